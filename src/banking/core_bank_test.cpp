#include "banking/core_bank.hpp"

#include <gtest/gtest.h>

namespace kefu::banking {
namespace {

TEST(Money, ParsesAndFormatsCents) {
    EXPECT_EQ(ParseCents("52340.18"), 5234018);
    EXPECT_EQ(ParseCents("6.4"), 640);
    EXPECT_EQ(ParseCents("-0.05"), -5);
    EXPECT_EQ(ParseCents("1200"), 120000);
    EXPECT_FALSE(ParseCents("1.234"));
    EXPECT_FALSE(ParseCents("1,000.00"));
    EXPECT_FALSE(ParseCents(""));
    EXPECT_FALSE(ParseCents("1."));
    EXPECT_EQ(FormatCents(5234018), "52340.18");
    EXPECT_EQ(FormatCents(-5), "-0.05");
    EXPECT_EQ(FormatCents(0), "0.00");
}

}  // namespace
}  // namespace kefu::banking
