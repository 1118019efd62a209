#include "net/cors.hpp"

#include <gtest/gtest.h>

namespace kefu::net {
namespace {

TEST(Cors, ParsesAListOfOriginsAndNamesABadOne) {
    auto ok = ParseOrigins(" https://www.Bank.example, http://localhost:3000 ,https://www.bank.example");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok.value(), (std::vector<std::string>{"https://www.bank.example", "http://localhost:3000"}));
    EXPECT_TRUE(ParseOrigins("")->empty());
    for (const char* bad : {"*", "www.bank.example", "https://www.bank.example/chat", "ftp://bank.example", "https://",
                            "https://bank.example:80a", "https://*.bank.example"}) {
        auto r = ParseOrigins(std::string("https://ok.example, ") + bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
}

TEST(Cors, AllowsOnlyListedOriginsUnderThePrefixes) {
    CorsPolicy p;
    p.origins = {"https://www.bank.example"};
    EXPECT_TRUE(p.Allows("https://www.bank.example", "/api/v1/conversations"));
    EXPECT_TRUE(p.Allows("https://WWW.bank.example", "/api/v1/conversations/cv_1/messages"));
    EXPECT_FALSE(p.Allows("https://evil.example", "/api/v1/conversations"));
    EXPECT_FALSE(p.Allows("https://www.bank.example", "/api/v1/desk/queue"));  // staff routes never
    EXPECT_FALSE(p.Allows("https://www.bank.example", "/api/v1/conversationsX"));
    EXPECT_FALSE(p.Allows("", "/api/v1/conversations"));
    CorsPolicy off;
    EXPECT_FALSE(off.Allows("https://www.bank.example", "/api/v1/conversations"));
}

}  // namespace
}  // namespace kefu::net
