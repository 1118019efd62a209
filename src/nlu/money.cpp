#include "nlu/money.hpp"

#include <optional>
#include <string_view>

#include "nlu/chinese_numerals.hpp"

namespace kefu::nlu::detail {

namespace {

constexpr std::size_t kNpos = std::u32string_view::npos;

struct CurrencyWord {
    std::u32string_view text;
    std::string_view code;
};

// Before the amount. Longer forms first: "us$" before "$".
constexpr CurrencyWord kPrefixes[] = {
    {U"us$", "USD"},  {U"hk$", "HKD"},    {U"¥", "CNY"},    {U"$", "USD"},    {U"€", "EUR"},    {U"£", "GBP"},
    {U"rmb", "CNY"},  {U"cny", "CNY"},    {U"usd", "USD"},  {U"eur", "EUR"},  {U"hkd", "HKD"},  {U"gbp", "GBP"},
    {U"jpy", "JPY"},  {U"人民币", "CNY"}, {U"美元", "USD"}, {U"美金", "USD"}, {U"欧元", "EUR"}, {U"港币", "HKD"},
    {U"港元", "HKD"}, {U"英镑", "GBP"},   {U"日元", "JPY"},
};

// After the amount (元, 块 and 圆 are handled apart: they take 角, 分 and 整).
constexpr CurrencyWord kSuffixes[] = {
    {U"人民币", "CNY"},     {U"美元", "USD"},
    {U"美金", "USD"},       {U"欧元", "EUR"},
    {U"港币", "HKD"},       {U"港元", "HKD"},
    {U"英镑", "GBP"},       {U"日元", "JPY"},
    {U"円", "JPY"},         {U"hong kong dollars", "HKD"},
    {U"hk dollars", "HKD"}, {U"us dollars", "USD"},
    {U"dollars", "USD"},    {U"dollar", "USD"},
    {U"bucks", "USD"},      {U"buck", "USD"},
    {U"usd", "USD"},        {U"rmb", "CNY"},
    {U"cny", "CNY"},        {U"yuan", "CNY"},
    {U"euros", "EUR"},      {U"euro", "EUR"},
    {U"eur", "EUR"},        {U"hkd", "HKD"},
    {U"pounds", "GBP"},     {U"pound", "GBP"},
    {U"gbp", "GBP"},        {U"yen", "JPY"},
    {U"jpy", "JPY"},        {U"€", "EUR"},
    {U"$", "USD"},          {U"£", "GBP"},
    {U"¥", "CNY"},
};

// Keywords after which a bare amount is money in the default currency. Checked against the text that ends
// right before the amount (after fillers), so the longer of two forms sharing an ending need not come first.
constexpr std::u32string_view kMoneyKeywords[] = {
    U"转账", U"汇款", U"付款", U"支付", U"还款", U"金额", U"余额", U"扣款", U"收款", U"退款", U"消费", U"取款", U"存款",
    U"额度", U"转",   U"付",   U"还",   U"借",   U"取",   U"存",   U"汇",   U"扣",   U"退",   U"花",   U"充",   U"欠",
};
constexpr std::u32string_view kEnglishMoneyKeywords[] = {
    U"amount of",  U"amount is",   U"amount",     U"balance of",    U"balance is", U"balance",
    U"sum of",     U"transfer of", U"transfer",   U"transferred",   U"pay",        U"paid",
    U"send",       U"sent",        U"withdraw",   U"withdrew",      U"deposit",    U"deposited",
    U"refund",     U"refunded",    U"charged",    U"spent",         U"owe",        U"refund of",
    U"payment of", U"charge of",   U"deposit of", U"withdrawal of", U"fee of",     U"fee",
};

// After an amount, these mean it counts something other than money.
bool IsMeasureWord(char32_t c) {
    static constexpr std::u32string_view kMeasures =
        U"次笔个天年月日号点张位条期岁分周秒小人项家份台倍成折遍趟件种户多几余来%‰下些样起岁楼层把批";
    return kMeasures.find(c) != std::u32string_view::npos;
}
constexpr std::u32string_view kEnglishMeasures[] = {
    U"times",   U"time",         U"days",  U"day",     U"weeks",        U"week",  U"months",
    U"month",   U"years",        U"year",  U"bills",   U"bill",         U"items", U"people",
    U"percent", U"transactions", U"hours", U"minutes", U"installments",
};

// After a single-digit amount and 块, these keep 块 a currency ("一块钱", "三块五", "两块的"); anything else
// Chinese makes it the measure word ("一块蛋糕", "一块儿").
bool AllowedAfterKuai(char32_t c) {
    static constexpr std::u32string_view kAllowed = U"钱整半毛角的了吧啊呢吗嘛给到还转付都就也是用左多哦呀么";
    return kAllowed.find(c) != std::u32string_view::npos || ChineseDigitValue(c) >= 0;
}

bool IsYuan(char32_t c) { return c == U'元' || c == U'块' || c == U'圆'; }

std::string AmountText(const Decimal& v, std::string_view currency) { return v.ToString(currency == "JPY" ? 0 : 2); }

struct Amount {
    Decimal value;
    std::size_t end = 0;
    Numeral numeral;
};

// A numeral and an optional multiplier ("2k", "1.5w", "2 million").
std::optional<Amount> ParseAmount(Text t, std::size_t pos) {
    auto num = ParseNumeral(t, pos);
    if (!num) return std::nullopt;
    Amount a{num->value, num->end, *num};
    if (!num->single_arabic) return a;
    int exp = 0;
    std::size_t end = a.end;
    const char32_t c = At(t, end);
    if ((c == 'k' || c == 'w' || c == 'm') && !IsWordChar(At(t, end + 1))) {
        exp = c == 'k' ? 3 : c == 'w' ? 4 : 6;
        ++end;
    } else {
        std::size_t which = 0;
        std::size_t e = MatchAnyToken(t, SkipSpace(t, end), {U"thousand", U"million", U"billion"}, &which);
        if (e != kNpos) {
            exp = which == 0 ? 3 : which == 1 ? 6 : 9;
            end = e;
        }
    }
    if (exp > 0) {
        auto v = a.value.MulPow10(exp);
        if (!v) return std::nullopt;
        a.value = *v;
        a.end = end;
        a.numeral.single_digit = false;
    }
    return a;
}

// The end of a currency word at `pos` from `table`, or npos; English words must end at a word boundary.
std::size_t MatchCurrency(Text t, std::size_t pos, const CurrencyWord* begin, const CurrencyWord* end,
                          std::string_view* code) {
    for (const CurrencyWord* w = begin; w != end; ++w) {
        if (!LiteralAt(t, pos, w->text)) continue;
        const std::size_t e = pos + w->text.size();
        if (IsAsciiAlnum(w->text.back()) && IsWordChar(At(t, e))) continue;
        *code = w->code;
        return e;
    }
    return kNpos;
}

std::size_t MatchPrefix(Text t, std::size_t pos, std::string_view* code) {
    const char32_t c = t[pos];
    if (IsAsciiLetter(c) && IsWordChar(Before(t, pos))) return kNpos;
    if (c < 0x80 && c != '$' && c != 'u' && c != 'h' && c != 'r' && c != 'c' && c != 'e' && c != 'g' && c != 'j') {
        return kNpos;
    }
    for (const CurrencyWord& w : kPrefixes) {
        if (LiteralAt(t, pos, w.text)) {
            *code = w.code;
            return pos + w.text.size();
        }
    }
    return kNpos;
}

std::size_t MatchSuffix(Text t, std::size_t pos, std::string_view* code) {
    std::size_t e = MatchCurrency(t, pos, std::begin(kSuffixes), std::end(kSuffixes), code);
    if (e == kNpos && At(t, pos) == ' ') {
        e = MatchCurrency(t, pos + 1, std::begin(kSuffixes), std::end(kSuffixes), code);
    }
    return e;
}

// A single digit (Chinese or Arabic) at pos, or -1.
int DigitAt(Text t, std::size_t pos) {
    const char32_t c = At(t, pos);
    if (IsDigit(c) && !IsDigit(At(t, pos + 1))) return static_cast<int>(c - '0');
    if (c == U'两' || c == U'〇') return c == U'两' ? 2 : -1;
    return ChineseDigitValue(c);
}

// Reads 角/毛 and 分 after 元/块 (or on their own): "五毛", "5角3分", colloquial "五毛二". `colloquial_jiao`
// also takes a lone digit as 角 ("三块五"). Adds to `value`; returns the new end.
std::size_t ReadJiaoFen(Text t, std::size_t pos, bool colloquial_jiao, Decimal& value) {
    auto add = [&](int digit, int scale) {
        if (auto v = value.Add(Decimal(digit, scale))) value = *v;
    };
    auto ends_here = [&](std::size_t p) {
        const char32_t c = At(t, p);
        return p >= t.size() || !(IsCjk(c) || IsAsciiAlnum(c)) || c == U'钱';
    };
    std::size_t p = pos;
    int d = DigitAt(t, p);
    if (d >= 0 && (At(t, p + 1) == U'角' || At(t, p + 1) == U'毛')) {
        add(d, 1);
        p += 2;
        int f = DigitAt(t, p);
        if (f >= 0 && At(t, p + 1) == U'分') {
            add(f, 2);
            p += 2;
        } else if (f >= 0 && ends_here(p + 1)) {
            add(f, 2);  // "五毛二"
            p += 1;
        }
    } else if (d > 0 || At(t, p) == U'零') {
        // "3元5分" or "三元零五分"; otherwise, colloquially, a lone digit is 角 ("三块五").
        std::size_t q = At(t, p) == U'零' ? p + 1 : p;
        int f = DigitAt(t, q);
        if (f >= 0 && At(t, q + 1) == U'分') {
            add(f, 2);  // "3元5分", "三元零五分"
            p = q + 2;
        } else if (colloquial_jiao && d > 0 && ends_here(p + 1)) {
            add(d, 1);  // "三块五"
            p += 1;
        }
    }
    return p;
}

// After 元/块/圆 at `pos` - 1: 角, 分, 半, 整, 钱. Returns the end.
std::size_t ReadYuanTail(Text t, std::size_t pos, char32_t yuan, Decimal& value) {
    std::size_t p = pos;
    if (At(t, p) == U'半') {
        if (auto v = value.Add(Decimal(5, 1))) value = *v;
        ++p;
    } else {
        p = ReadJiaoFen(t, p, yuan == U'块', value);
    }
    if (At(t, p) == U'钱' && yuan == U'块') ++p;
    if (At(t, p) == U'钱' && p > pos) ++p;  // "五毛钱" after 块 ("两块五毛钱")
    if (At(t, p) == U'整') ++p;
    return p;
}

bool EndsWithKeyword(Text before) {
    for (std::u32string_view kw : kMoneyKeywords) {
        if (before.size() >= kw.size() && before.substr(before.size() - kw.size()) == kw) return true;
    }
    for (std::u32string_view kw : kEnglishMoneyKeywords) {
        if (before.size() >= kw.size() && before.substr(before.size() - kw.size()) == kw &&
            !IsWordChar(Before(before, before.size() - kw.size()))) {
            return true;
        }
    }
    return false;
}

// A money keyword right before `pos`, perhaps with a few filler characters between ("余额还有500",
// "转了 500", "amount: 500").
bool PrecededByKeyword(Text t, std::size_t pos) {
    static constexpr std::u32string_view kFillers = U" :了是为约共有剩还只才就仅";
    std::size_t k = pos;
    for (int step = 0; step < 4; ++step) {
        if (EndsWithKeyword(t.substr(0, k))) return true;
        if (k == 0 || kFillers.find(t[k - 1]) == std::u32string_view::npos) return false;
        --k;
    }
    return false;
}

bool FollowedByMeasure(Text t, std::size_t end) {
    if (IsMeasureWord(At(t, end))) return true;
    if (IsWordChar(At(t, end))) return true;  // "500abc", "2kg"
    const std::size_t p = SkipSpace(t, end);
    if (IsMeasureWord(At(t, p))) return true;
    for (std::u32string_view w : kEnglishMeasures) {
        if (MatchToken(t, p, w) != kNpos) return true;
    }
    return false;
}

// "1月1日元旦" (New Year's Day on 1 January) is a date, not 1 yen.
bool IsDayThenYuanDan(Text t, std::size_t number_start, std::size_t number_end, std::size_t suffix_end) {
    return LiteralAt(t, number_end, U"日元") && (At(t, suffix_end) == U'旦' || Before(t, number_start) == U'月');
}

// Where a numeral may start: not inside a word, a number or another numeral.
bool IsNumberStart(Text t, std::size_t i) {
    const char32_t prev = Before(t, i);
    if (IsWordChar(prev) || IsNumeralChar(prev) || prev == U'点') return false;
    if ((prev == '.' || prev == ',') && IsDigit(Before(t, i - 1))) return false;
    return true;
}

std::size_t SkipNumeralRun(Text t, std::size_t i) {
    while (i < t.size() &&
           (IsNumeralChar(t[i]) || IsWordChar(t[i]) || ((t[i] == '.' || t[i] == ',') && IsDigit(At(t, i + 1))))) {
        ++i;
    }
    return i;
}

boost::json::object MoneyValue(const Decimal& v, std::string_view currency, bool inferred) {
    boost::json::object value;
    value["amount"] = AmountText(v, currency);
    value["currency"] = currency;
    if (inferred) value["currency_inferred"] = true;
    return value;
}

}  // namespace

void ScanMoney(Text t, const std::string& default_currency, Claims& claims, std::vector<Candidate>& out) {
    std::size_t i = 0;
    while (i < t.size()) {
        if (claims.IsClaimed(i)) {
            ++i;
            continue;
        }
        // A currency before the amount.
        std::string_view code;
        std::size_t p = MatchPrefix(t, i, &code);
        if (p != kNpos) {
            const std::size_t k = SkipSpace(t, p);
            if (IsNumeralChar(At(t, k)) && !claims.IsClaimed(k) && !IsNumeralChar(Before(t, i))) {
                if (auto a = ParseAmount(t, k)) {
                    Decimal value = a->value;
                    std::size_t end = a->end;
                    std::string_view suffix_code;
                    std::size_t s = SkipSpace(t, end);
                    if (IsYuan(At(t, s))) {
                        end = ReadYuanTail(t, s + 1, At(t, s), value);  // "港币100元", "¥3元5角"
                    } else if ((s = MatchSuffix(t, end, &suffix_code)) != kNpos && suffix_code == code &&
                               !IsNumeralChar(At(t, SkipSpace(t, s)))) {
                        end = s;  // "$30 usd", but not "£50 英镑30", where 英镑 belongs to the next amount
                    }
                    if (Emit(claims, out, "money", i, end, MoneyValue(value, code, false))) {
                        i = end;
                        continue;
                    }
                }
            }
        }
        if (!IsNumeralChar(t[i]) || !IsNumberStart(t, i)) {
            ++i;
            continue;
        }
        const std::size_t run_end = SkipNumeralRun(t, i);
        auto a = ParseAmount(t, i);
        if (!a || !claims.IsFree(i, a->end)) {
            i = run_end;
            continue;
        }
        Decimal value = a->value;
        std::size_t end = a->end;
        std::string currency;
        bool inferred = false;
        const std::size_t s = SkipSpace(t, end);
        if (IsYuan(At(t, s)) && !a->numeral.digit_string) {
            const char32_t yuan = At(t, s);
            end = ReadYuanTail(t, s + 1, yuan, value);
            if (yuan == U'块' && a->numeral.single_digit && end == s + 1 &&
                (At(t, end) == U'儿' || (IsCjk(At(t, end)) && !AllowedAfterKuai(At(t, end))))) {
                i = run_end;  // "一块蛋糕", "一块儿"
                continue;
            }
            currency = "CNY";
        } else if (std::size_t e = MatchSuffix(t, end, &code);
                   e != kNpos && !a->numeral.digit_string && !IsDayThenYuanDan(t, i, end, e)) {
            end = e;
            currency = std::string(code);
        } else if ((At(t, end) == U'毛' || At(t, end) == U'角') && a->numeral.single_digit && !value.IsZero()) {
            // "五毛", "5角": read again from the digit so that the tail ("五毛二", "钱") is included.
            value = Decimal();
            end = ReadJiaoFen(t, i, false, value);
            if (At(t, end) == U'钱') ++end;
            currency = "CNY";
        } else if (At(t, end) == U'分' && At(t, end + 1) == U'钱' && a->numeral.single_digit) {
            value = Decimal(a->value.units(), 2);  // a single digit, so scale 0
            end += 2;
            currency = "CNY";
        } else if (!a->numeral.digit_string && !(a->numeral.has_chinese && !a->numeral.has_units) && !value.IsZero() &&
                   !FollowedByMeasure(t, end) &&
                   (PrecededByKeyword(t, i) ||
                    (a->numeral.single_arabic && a->numeral.grouped && a->numeral.fraction_digits == 2))) {
            currency = default_currency;
            inferred = true;
        }
        if (!currency.empty() && Emit(claims, out, "money", i, end, MoneyValue(value, currency, inferred))) {
            i = end;
            continue;
        }
        i = run_end > i ? run_end : i + 1;
    }
}

}  // namespace kefu::nlu::detail
