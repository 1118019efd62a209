#include "nlu/chinese_numerals.hpp"

#include <gtest/gtest.h>

#include "nlu/normalise.hpp"

namespace kefu::nlu {
namespace {

struct NumeralCase {
    const char* input;
    const char* value;  // Decimal::ToString(0)
    std::size_t end;    // code points consumed
};

constexpr NumeralCase kNumeralCases[] = {
    {"一", "1", 1},
    {"十", "10", 1},
    {"十五", "15", 2},
    {"二十", "20", 2},
    {"二十五", "25", 3},
    {"一百零五", "105", 4},
    {"一千五百", "1500", 4},
    {"一千五", "1500", 3},   // colloquial
    {"一万二", "12000", 3},  // colloquial
    {"三百五", "350", 3},
    {"一亿二", "120000000", 3},
    {"一万零二", "10002", 4},  // 零 stops the colloquial reading
    {"两万三千", "23000", 4},
    {"一亿五千万", "150000000", 5},
    {"一万亿", "1000000000000", 3},
    {"壹万伍仟", "15000", 4},  // financial capitals
    {"壹佰贰拾叁", "123", 5},
    {"玖仟玖佰玖拾玖", "9999", 7},
    {"萬", nullptr, 0},       // a unit alone is no number
    {"千万", nullptr, 0},     // "by all means"
    {"万一", nullptr, 0},     // "in case"
    {"二〇二六", "2026", 4},  // digit string
    {"一九四九年", "1949", 4},
    {"2万", "20000", 2},
    {"2万5千", "25000", 4},
    {"2万5", "25000", 3},
    {"1.5万", "15000", 4},
    {"1千5", "1500", 3},
    {"一点五万", "15000", 4},
    {"三点五", "3.5", 3},
    {"十二点五", "12.5", 4},
    {"1,000.50", "1000.5", 8},
    {"1,000,000", "1000000", 9},
    {"1,00", "1", 1},  // not a thousands group
    {"三十五六", "35", 3},
    {"一千五六", "1500", 3},
    {"5", "5", 1},
};

TEST(ChineseNumerals, ParsesTable) {
    for (const NumeralCase& c : kNumeralCases) {
        SCOPED_TRACE(c.input);
        const std::u32string text = DecodeUtf8(c.input);
        auto n = ParseNumeral(text, 0);
        if (c.value == nullptr) {
            EXPECT_FALSE(n.has_value());
            continue;
        }
        ASSERT_TRUE(n.has_value());
        EXPECT_EQ(n->value.ToString(0), c.value);
        EXPECT_EQ(n->end, c.end);
    }
}

TEST(ChineseNumerals, ColloquialReadingCanBeTurnedOff) {
    const std::u32string text = U"一万二";
    NumeralOptions strict;
    strict.colloquial = false;
    auto n = ParseNumeral(text, 0, strict);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(n->value.ToString(0), "10002");
}

TEST(ChineseNumerals, ReportsTheShapeOfTheNumber) {
    auto year = ParseNumeral(U"二〇二六年", 0);
    ASSERT_TRUE(year.has_value());
    EXPECT_TRUE(year->digit_string);
    EXPECT_EQ(year->digit_count, 4);

    auto grouped = ParseNumeral(U"1,000.50", 0);
    ASSERT_TRUE(grouped.has_value());
    EXPECT_TRUE(grouped->single_arabic);
    EXPECT_TRUE(grouped->grouped);
    EXPECT_EQ(grouped->fraction_digits, 2);

    auto five = ParseNumeral(U"五", 0);
    ASSERT_TRUE(five.has_value());
    EXPECT_TRUE(five->single_digit);
    EXPECT_FALSE(five->has_units);
}

TEST(ChineseNumerals, RejectsNumbersThatDoNotFit) {
    EXPECT_FALSE(ParseArabicNumber(U"1234567890123456789", 0, true).has_value());
    EXPECT_FALSE(ParseArabicNumber(U"1.123456789", 0, true).has_value());
    EXPECT_FALSE(ParseNumeral(U"99999999999亿", 0).has_value());
    EXPECT_FALSE(ParseNumeral(U"abc", 0).has_value());
    EXPECT_FALSE(ParseNumeral(U"", 0).has_value());
}

TEST(ChineseNumerals, DecimalArithmeticIsExact) {
    EXPECT_EQ(Decimal(150, 2).ToString(2), "1.50");
    EXPECT_EQ(Decimal(1, 1).Add(Decimal(2, 1))->ToString(2), "0.30");  // no 0.30000000000000004
    EXPECT_EQ(Decimal(15, 1).MulPow10(4)->ToString(0), "15000");
    EXPECT_EQ(Decimal(12345678, 4).ToString(2), "1234.5678");
    EXPECT_EQ(Decimal(5, 0).ToString(0), "5");
    EXPECT_FALSE(Decimal::Integer(INT64_MAX).MulPow10(1).has_value());
    EXPECT_TRUE(Decimal(1500, 2) == Decimal::Integer(15));
}

}  // namespace
}  // namespace kefu::nlu
