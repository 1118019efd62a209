#pragma once
// Numbers as customers write them: Arabic ("1,000.50"), Chinese ("一千五百", "二〇二六"), financial capitals
// ("壹万伍仟"), colloquial abbreviations ("一万二" = 12000, "一千五" = 1500) and mixtures ("2万5千", "1.5万").
// Works on normalised text (half-width digits, Simplified characters; 萬 and 億 are accepted too).

#include <cstddef>
#include <optional>
#include <string_view>

#include "nlu/decimal.hpp"

namespace kefu::nlu {

// The value of a Chinese digit character (零〇一二两三…九 and 壹贰叁肆伍陆柒捌玖), or -1.
int ChineseDigitValue(char32_t c);
// The power of ten of a Chinese unit character (十拾 1, 百佰 2, 千仟 3, 万萬 4, 亿億 8), or 0.
int ChineseUnitExponent(char32_t c);
// Returns true iff c is an Arabic digit, a Chinese digit or a Chinese unit.
bool IsNumeralChar(char32_t c);

struct ArabicNumber {
    Decimal value;
    std::size_t end = 0;
    bool grouped = false;  // written with thousands separators ("1,000")
    int integer_digits = 0;
    int fraction_digits = 0;
};

// Parses ASCII digits at text[pos]; with `grouping_and_fraction`, also ',' thousands separators (groups of
// exactly three) and a '.' fraction. Returns nullopt when text[pos] is not a digit or the number does not
// fit (more than 18 integer digits, more than Decimal::kMaxScale fraction digits).
std::optional<ArabicNumber> ParseArabicNumber(std::u32string_view text, std::size_t pos, bool grouping_and_fraction);

struct NumeralOptions {
    bool arabic_grouping_and_fraction = true;  // "1,000.50", "1.5万"
    bool chinese_decimal_point = true;         // "一点五万" = 15000, "三点五" = 3.5
    bool colloquial = true;                    // "一万二" = 12000; without it, 10002
};

struct Numeral {
    Decimal value;
    std::size_t end = 0;
    bool has_chinese = false;    // any Chinese digit or unit was read
    bool has_units = false;      // any of 十百千万亿 was read
    bool digit_string = false;   // two or more Chinese digits without units: "二〇二六" = 2026
    int digit_count = 0;         // digits of a digit string, or integer digits of a lone Arabic number
    bool single_arabic = false;  // just one Arabic number and nothing Chinese
    bool grouped = false;        // the lone Arabic number used thousands separators
    int fraction_digits = 0;     // of the lone Arabic number
    bool single_digit = false;   // one digit 0-9 and nothing else ("五", "5")
};

// Parses the longest numeral at text[pos]. Returns nullopt when there is none (a unit with no number before
// it, as in "千万" or "万一", is not a numeral) or it overflows.
std::optional<Numeral> ParseNumeral(std::u32string_view text, std::size_t pos, const NumeralOptions& options = {});

}  // namespace kefu::nlu
