#include "core/pii.hpp"

#include <gtest/gtest.h>

namespace kefu {
namespace {

TEST(Luhn, AcceptsKnownTestCards) {
    EXPECT_TRUE(LuhnValid("4111111111111111"));
    EXPECT_TRUE(LuhnValid("6222021234567890128"));
    EXPECT_FALSE(LuhnValid("4111111111111112"));
    EXPECT_FALSE(LuhnValid("41111111x1111111"));
}

TEST(ResidentId, ChecksumFollowsGb11643) {
    EXPECT_TRUE(ResidentIdChecksumValid("11010519491231002X"));
    EXPECT_TRUE(ResidentIdChecksumValid("11010519491231002x"));
    EXPECT_FALSE(ResidentIdChecksumValid("110105194912310021"));
    EXPECT_FALSE(ResidentIdChecksumValid("1101051949123100"));
}

TEST(MaskPii, MasksCardsKeepingLastFour) {
    EXPECT_EQ(MaskPii("card 4111111111111111 ok"), "card ************1111 ok");
    EXPECT_EQ(MaskPii("card 4111 1111 1111 1111."), "card **** **** **** 1111.");
    EXPECT_EQ(MaskPii("4111-1111-1111-1111"), "****-****-****-1111");
}

TEST(MaskPii, MasksSixteenDigitRunsEvenWhenLuhnFails) { EXPECT_EQ(MaskPii("4111111111111112"), "************1112"); }

TEST(MaskPii, MasksResidentIds) { EXPECT_EQ(MaskPii("身份证11010519491231002X。"), "身份证**************002X。"); }

TEST(MaskPii, MasksPhonesKeepingPrefixAndTail) {
    EXPECT_EQ(MaskPii("call 13812345678"), "call 138****5678");
    EXPECT_EQ(MaskPii("+86 13812345678"), "+86 138****5678");
    EXPECT_EQ(MaskPii("电话138-1234-5678"), "电话138-****-5678");
}

TEST(MaskPii, MasksEmails) { EXPECT_EQ(MaskPii("mail zhang.san@example.com now"), "mail z***@example.com now"); }

TEST(MaskPii, LeavesOrdinaryNumbersAlone) {
    EXPECT_EQ(MaskPii("amount 1000.50 on 2026-11-23, ts 1732368000"), "amount 1000.50 on 2026-11-23, ts 1732368000");
    EXPECT_EQ(MaskPii("order 12345"), "order 12345");
    EXPECT_EQ(MaskPii("id cv_abc4111111111111111"), "id cv_abc4111111111111111");
}

TEST(MaskPii, HandlesJsonLogLines) {
    std::string line = R"({"msg":"x","text":"my card 6222021234567890128 phone 13912345678"})";
    std::string masked = MaskPii(line);
    EXPECT_EQ(masked.find("6222021234567890128"), std::string::npos);
    EXPECT_EQ(masked.find("13912345678"), std::string::npos);
    EXPECT_NE(masked.find("0128"), std::string::npos);
}

}  // namespace
}  // namespace kefu
