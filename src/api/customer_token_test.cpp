#include "api/customer_token.hpp"

#include <gtest/gtest.h>

namespace kefu::api {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";

TEST(CustomerToken, SignedTokenVerifies) {
    CustomerTokenVerifier v(kKey);
    auto token = v.Sign({"C0001", "app", 2000});
    auto claims = v.Verify(token, 1000);
    ASSERT_TRUE(claims.has_value());
    EXPECT_EQ(claims->customer_ref, "C0001");
    EXPECT_EQ(claims->channel, "app");
}

TEST(CustomerToken, ExpiredTokenIsRejected) {
    CustomerTokenVerifier v(kKey);
    EXPECT_FALSE(v.Verify(v.Sign({"C0001", "", 1000}), 1000).has_value());
}

TEST(CustomerToken, OtherKeyOrTamperingIsRejected) {
    CustomerTokenVerifier v(kKey);
    CustomerTokenVerifier other("another-key-another-key-another-key");
    auto token = v.Sign({"C0001", "", 2000});
    EXPECT_FALSE(other.Verify(token, 1000).has_value());
    std::string tampered = token;
    tampered[8] = tampered[8] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(v.Verify(tampered, 1000).has_value());
    EXPECT_FALSE(v.Verify("kct1.garbage", 1000).has_value());
    EXPECT_FALSE(v.Verify("", 1000).has_value());
}

TEST(CustomerToken, DisabledWithoutKey) {
    CustomerTokenVerifier v("");
    EXPECT_FALSE(v.enabled());
    EXPECT_FALSE(v.Verify("kct1.a.b", 0).has_value());
}

}  // namespace
}  // namespace kefu::api
