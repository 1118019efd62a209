#include "nlu/chinese_numerals.hpp"

#include <string>

namespace kefu::nlu {

namespace {

bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }

constexpr char32_t kPoint = U'点';
constexpr char32_t kLiang = U'两';

}  // namespace

int ChineseDigitValue(char32_t c) {
    switch (c) {
        case U'零':
        case U'〇':
            return 0;
        case U'一':
        case U'壹':
            return 1;
        case U'二':
        case U'两':
        case U'贰':
        case U'貳':
            return 2;
        case U'三':
        case U'叁':
            return 3;
        case U'四':
        case U'肆':
            return 4;
        case U'五':
        case U'伍':
            return 5;
        case U'六':
        case U'陆':
        case U'陸':
            return 6;
        case U'七':
        case U'柒':
            return 7;
        case U'八':
        case U'捌':
            return 8;
        case U'九':
        case U'玖':
            return 9;
        default:
            return -1;
    }
}

int ChineseUnitExponent(char32_t c) {
    switch (c) {
        case U'十':
        case U'拾':
            return 1;
        case U'百':
        case U'佰':
            return 2;
        case U'千':
        case U'仟':
            return 3;
        case U'万':
        case U'萬':
            return 4;
        case U'亿':
        case U'億':
            return 8;
        default:
            return 0;
    }
}

bool IsNumeralChar(char32_t c) { return IsAsciiDigit(c) || ChineseDigitValue(c) >= 0 || ChineseUnitExponent(c) > 0; }

std::optional<ArabicNumber> ParseArabicNumber(std::u32string_view t, std::size_t pos, bool grouping_and_fraction) {
    if (pos >= t.size() || !IsAsciiDigit(t[pos])) return std::nullopt;
    ArabicNumber r;
    std::int64_t units = 0;
    std::size_t i = pos;
    auto take_digit = [&](char32_t c) {
        return !__builtin_mul_overflow(units, 10, &units) && !__builtin_add_overflow(units, c - '0', &units);
    };
    while (i < t.size() && IsAsciiDigit(t[i])) {
        if (++r.integer_digits > 18 || !take_digit(t[i])) return std::nullopt;
        ++i;
    }
    if (grouping_and_fraction && r.integer_digits <= 3) {
        while (i + 3 < t.size() && t[i] == ',' && IsAsciiDigit(t[i + 1]) && IsAsciiDigit(t[i + 2]) &&
               IsAsciiDigit(t[i + 3]) && !(i + 4 < t.size() && IsAsciiDigit(t[i + 4]))) {
            for (std::size_t k = 1; k <= 3; ++k) {
                if (!take_digit(t[i + k])) return std::nullopt;
            }
            r.integer_digits += 3;
            if (r.integer_digits > 18) return std::nullopt;
            r.grouped = true;
            i += 4;
        }
    }
    if (grouping_and_fraction && i + 1 < t.size() && t[i] == '.' && IsAsciiDigit(t[i + 1])) {
        ++i;
        while (i < t.size() && IsAsciiDigit(t[i])) {
            if (++r.fraction_digits > Decimal::kMaxScale || !take_digit(t[i])) return std::nullopt;
            ++i;
        }
    }
    r.value = Decimal(units, r.fraction_digits);
    r.end = i;
    return r;
}

std::optional<Numeral> ParseNumeral(std::u32string_view t, std::size_t pos, const NumeralOptions& options) {
    enum class Tok { kNone, kDigit, kArabic, kZero, kUnit };
    Numeral r;
    Decimal total;               // everything up to the last 万 or 亿
    Decimal section;             // the part below the last 万 or 亿
    std::optional<Decimal> num;  // a digit waiting for its unit
    bool num_single_digit = false;
    Tok last = Tok::kNone;
    int last_exp = 0;
    bool zero_seen = false;  // a 零 since the last unit: "一万零二" is 10002, not colloquial
    std::string run;         // Chinese digits before any unit, for digit strings ("二〇二六")
    int tokens = 0;
    std::size_t i = pos;
    std::size_t end = pos;

    auto add = [](const Decimal& a, const Decimal& b) { return a.Add(b); };
    // Bookkeeping after a unit (十 百 千 万 亿) has been applied at position i.
    auto consume_unit = [&](int exp) {
        num.reset();
        run.clear();
        last = Tok::kUnit;
        last_exp = exp;
        zero_seen = false;
        r.has_units = r.has_chinese = true;
        ++tokens;
        end = ++i;
    };

    while (i < t.size()) {
        const char32_t c = t[i];
        if (IsAsciiDigit(c)) {
            if (last == Tok::kDigit || last == Tok::kArabic || !run.empty()) break;
            auto a = ParseArabicNumber(t, i, options.arabic_grouping_and_fraction);
            if (!a) return std::nullopt;
            if (tokens == 0) {
                r.grouped = a->grouped;
                r.fraction_digits = a->fraction_digits;
                r.digit_count = a->integer_digits;
            }
            num = a->value;
            num_single_digit = a->end == i + 1;
            last = Tok::kArabic;
            ++tokens;
            i = end = a->end;
            continue;
        }
        const int d = ChineseDigitValue(c);
        if (d >= 0) {
            if (last == Tok::kArabic) break;
            if (!r.has_units) {
                if (!run.empty() && c == kLiang) break;  // "一两" is "one or two", not 12
                run.push_back(static_cast<char>('0' + d));
                if (run.size() > 18) return std::nullopt;
                num = Decimal::Integer(d);
                num_single_digit = true;
                last = Tok::kDigit;
            } else if (d == 0) {
                zero_seen = true;
                last = Tok::kZero;
            } else {
                if (last == Tok::kDigit) break;  // "一千五六": stop before the second digit
                num = Decimal::Integer(d);
                num_single_digit = true;
                last = Tok::kDigit;
            }
            r.has_chinese = true;
            ++tokens;
            end = ++i;
            continue;
        }
        const int exp = ChineseUnitExponent(c);
        if (exp > 0 && exp < 4) {
            if (run.size() >= 2) break;
            Decimal base;
            if (num) {
                base = *num;
            } else if (exp == 1 && last != Tok::kUnit) {
                base = Decimal::Integer(1);  // "十五", "一千零十"
            } else if (exp == 1 && last == Tok::kUnit && last_exp >= 4) {
                base = Decimal::Integer(1);  // "一万十五"
            } else {
                break;
            }
            auto scaled = base.MulPow10(exp);
            auto sum = scaled ? add(section, *scaled) : std::nullopt;
            if (!sum) return std::nullopt;
            section = *sum;
            consume_unit(exp);
            continue;
        }
        if (exp >= 4) {
            if (run.size() >= 2) break;
            auto v = num ? add(section, *num) : std::optional<Decimal>(section);
            if (!v) return std::nullopt;
            if (v->IsZero() && (exp != 8 || total.IsZero())) break;  // "万一", "千万": no number before the unit
            std::optional<Decimal> next;
            if (exp == 8) {
                auto s = add(total, *v);
                next = s ? s->MulPow10(8) : std::nullopt;
            } else {
                auto s = v->MulPow10(4);
                next = s ? add(total, *s) : std::nullopt;
            }
            if (!next) return std::nullopt;
            total = *next;
            section = Decimal();
            consume_unit(exp);
            continue;
        }
        if (c == kPoint && options.chinese_decimal_point && run.size() <= 1 && (num || !section.IsZero()) &&
            i + 1 < t.size() && ChineseDigitValue(t[i + 1]) >= 0 && t[i + 1] != kLiang) {
            // A fraction: "三点五" = 3.5, "一点五万" = 15000 (a 万 or 亿 after it scales the whole value).
            std::size_t j = i + 1;
            std::int64_t frac = 0;
            int scale = 0;
            while (j < t.size() && ChineseDigitValue(t[j]) >= 0 && t[j] != kLiang) {
                if (++scale > Decimal::kMaxScale) return std::nullopt;
                frac = frac * 10 + ChineseDigitValue(t[j]);
                ++j;
            }
            auto acc = num ? add(section, *num) : std::optional<Decimal>(section);
            if (acc) acc = add(*acc, Decimal(frac, scale));
            if (acc && j < t.size() && ChineseUnitExponent(t[j]) >= 4) {
                acc = acc->MulPow10(ChineseUnitExponent(t[j]));
                ++j;
            }
            if (acc) acc = add(total, *acc);
            if (!acc) return std::nullopt;
            r.value = *acc;
            r.has_chinese = true;
            r.end = j;
            r.single_arabic = false;
            return r;
        }
        break;
    }
    if (tokens == 0) return std::nullopt;

    if (run.size() >= 2) {
        r.digit_string = true;
        r.digit_count = static_cast<int>(run.size());
        r.value = Decimal::Integer(std::stoll(run));
        r.end = end;
        return r;
    }
    if (num && options.colloquial && (last == Tok::kDigit || last == Tok::kArabic) && num_single_digit && !zero_seen &&
        r.has_units && last_exp >= 2) {
        // "一万二" = 12000: a lone digit after a unit counts in the next unit down.
        num = num->MulPow10(last_exp == 8 ? 7 : last_exp - 1);
        if (!num) return std::nullopt;
    }
    std::optional<Decimal> value = add(total, section);
    if (value && num) value = add(*value, *num);
    if (!value) return std::nullopt;
    r.value = *value;
    r.end = end;
    r.single_arabic = tokens == 1 && last == Tok::kArabic;
    r.single_digit = tokens == 1 && num_single_digit && (last == Tok::kDigit || last == Tok::kArabic);
    if (!r.single_arabic) {
        r.grouped = false;
        r.fraction_digits = 0;
    }
    return r;
}

}  // namespace kefu::nlu
