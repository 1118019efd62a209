#include "nlu/datetime.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "nlu/chinese_numerals.hpp"

namespace kefu::nlu::detail {

namespace {

constexpr std::size_t kNpos = std::u32string_view::npos;

// --- civil calendar (H. Hinnant's days_from_civil / civil_from_days) --------------------------------------

std::int64_t DaysFromCivil(const CivilDate& date) {
    const int y = date.year - (date.month <= 2 ? 1 : 0);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const auto mp = static_cast<unsigned>(date.month > 2 ? date.month - 3 : date.month + 9);
    const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(date.day) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return CivilDate{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
}

bool ValidDate(int y, int m, int d) {
    return y >= 1900 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

CivilDate AddDays(const CivilDate& date, std::int64_t n) { return CivilFromDays(DaysFromCivil(date) + n); }

// Monday = 0 ... Sunday = 6. 1970-01-01 was a Thursday.
int Weekday(const CivilDate& date) { return static_cast<int>(((DaysFromCivil(date) % 7) + 7 + 3) % 7); }

CivilDate AddMonths(const CivilDate& date, int n) {
    int index = date.year * 12 + (date.month - 1) + n;
    CivilDate out{index / 12, index % 12 + 1, date.day};
    if (out.day > DaysInMonth(out.year, out.month)) out.day = DaysInMonth(out.year, out.month);
    return out;
}

CivilDate FirstOfMonth(const CivilDate& d) { return CivilDate{d.year, d.month, 1}; }
CivilDate LastOfMonth(const CivilDate& d) { return CivilDate{d.year, d.month, DaysInMonth(d.year, d.month)}; }
CivilDate MondayOf(const CivilDate& d) { return AddDays(d, -Weekday(d)); }

std::string Iso(const CivilDate& d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
    return buf;
}

std::string HhMm(int minutes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

// --- matches ------------------------------------------------------------------------------------------------

enum class Meridiem { kNone, kAm, kPm, kNoon };

struct Period {
    std::size_t end = 0;
    int start_minute = 0;
    int end_minute = 0;  // inclusive: 23:59 for the evening
    Meridiem meridiem = Meridiem::kNone;
};

constexpr Period kMorning{0, 6 * 60, 12 * 60, Meridiem::kAm};
constexpr Period kEarlyMorning{0, 0, 6 * 60, Meridiem::kAm};
constexpr Period kNoon{0, 11 * 60, 13 * 60, Meridiem::kNoon};
constexpr Period kAfternoon{0, 12 * 60, 18 * 60, Meridiem::kPm};
constexpr Period kDusk{0, 17 * 60, 19 * 60, Meridiem::kPm};
constexpr Period kEvening{0, 18 * 60, 23 * 60 + 59, Meridiem::kPm};

struct DateMatch {
    std::size_t end = 0;
    CivilDate first;
    CivilDate last;
    bool range = false;
    std::optional<Period> period;  // "今晚", "tonight", "this afternoon"
};

struct TimeMatch {
    std::size_t end = 0;
    int minute_of_day = 0;
};

struct IntMatch {
    int value = 0;
    std::size_t end = 0;
    bool arabic = false;
    int digits = 0;  // Arabic digits, or Chinese digit-string length
    bool digit_string = false;
};

DateMatch Single(std::size_t end, const CivilDate& d) { return DateMatch{end, d, d, false, std::nullopt}; }
DateMatch Range(std::size_t end, const CivilDate& a, const CivilDate& b) {
    return DateMatch{end, a, b, true, std::nullopt};
}

struct Word {
    std::u32string_view text;
    int value;
};

constexpr Word kEnglishWeekdays[] = {
    {U"monday", 0}, {U"tuesday", 1}, {U"wednesday", 2}, {U"thursday", 3}, {U"friday", 4}, {U"saturday", 5},
    {U"sunday", 6}, {U"mon", 0},     {U"tues", 1},      {U"tue", 1},      {U"wed", 2},    {U"thurs", 3},
    {U"thur", 3},   {U"thu", 3},     {U"fri", 4},       {U"sat", 5},      {U"sun", 6},
};
constexpr std::size_t kFullWeekdayNames = 7;

constexpr Word kEnglishMonths[] = {
    {U"january", 1}, {U"february", 2}, {U"march", 3},     {U"april", 4},    {U"may", 5},       {U"june", 6},
    {U"july", 7},    {U"august", 8},   {U"september", 9}, {U"october", 10}, {U"november", 11}, {U"december", 12},
    {U"jan", 1},     {U"feb", 2},      {U"mar", 3},       {U"apr", 4},      {U"jun", 6},       {U"jul", 7},
    {U"aug", 8},     {U"sept", 9},     {U"sep", 9},       {U"oct", 10},     {U"nov", 11},      {U"dec", 12},
};
constexpr std::size_t kFullMonthNames = 12;

constexpr Word kEnglishNumbers[] = {
    {U"one", 1},       {U"two", 2},     {U"three", 3}, {U"four", 4}, {U"five", 5},    {U"six", 6},
    {U"seven", 7},     {U"eight", 8},   {U"nine", 9},  {U"ten", 10}, {U"eleven", 11}, {U"twelve", 12},
    {U"fourteen", 14}, {U"thirty", 30}, {U"a", 1},     {U"an", 1},
};

enum class Unit { kDay, kWeek, kMonth, kYear };

// The first day of a rolling range of `n` units ending today: "last 3 days" is today and the two before.
CivilDate RollingStart(const CivilDate& today, int n, Unit unit) {
    switch (unit) {
        case Unit::kDay:
            return AddDays(today, -(n - 1));
        case Unit::kWeek:
            return AddDays(today, -(7 * n - 1));
        case Unit::kMonth:
            return AddDays(AddMonths(today, -n), 1);
        case Unit::kYear:
            return AddDays(AddMonths(today, -12 * n), 1);
    }
    return today;
}

CivilDate Offset(const CivilDate& today, int n, Unit unit) {
    switch (unit) {
        case Unit::kDay:
            return AddDays(today, n);
        case Unit::kWeek:
            return AddDays(today, 7 * n);
        case Unit::kMonth:
            return AddMonths(today, n);
        case Unit::kYear:
            return AddMonths(today, 12 * n);
    }
    return today;
}

class DateTimeScanner {
  public:
    DateTimeScanner(Text t, const ReferenceTime& ref) : t_(t), today_(ref.date) {}

    void Run(Claims& claims, std::vector<Candidate>& out) const;

  private:
    std::size_t Lit(std::size_t p, std::u32string_view s) const { return LiteralAt(t_, p, s) ? p + s.size() : kNpos; }
    std::size_t Tok(std::size_t p, std::u32string_view s) const { return MatchToken(t_, p, s); }
    std::size_t Sp(std::size_t p) const { return SkipSpace(t_, p); }
    char32_t C(std::size_t p) const { return At(t_, p); }

    bool IsStart(std::size_t i) const;
    std::optional<IntMatch> ReadInt(std::size_t p) const;
    std::optional<IntMatch> ReadEnglishNumber(std::size_t p) const;
    std::size_t MatchWord(std::size_t p, const Word* begin, const Word* end, int* value) const;

    std::optional<DateMatch> ParseDate(std::size_t p) const;
    std::optional<DateMatch> ParseNumeric(std::size_t p) const;
    std::optional<DateMatch> ParseChinese(std::size_t p) const;
    std::optional<DateMatch> ParseChineseNumberLed(std::size_t p) const;
    std::optional<DateMatch> ParseChineseMonthTail(std::size_t p, int year, int month) const;
    std::optional<DateMatch> ParseChineseDayTail(std::size_t p, const CivilDate& month) const;
    std::optional<DateMatch> ParseEnglish(std::size_t p) const;
    std::optional<DateMatch> ParseEnglishOffset(std::size_t p) const;
    std::optional<DateMatch> ParseEnglishDayMonth(std::size_t p) const;
    std::optional<DateMatch> ParseEnglishMonthLed(std::size_t p) const;
    std::optional<DateMatch> ParseEnglishEdge(std::size_t p) const;
    std::size_t ReadChineseUnit(std::size_t p, Unit* unit) const;
    std::size_t ReadEnglishUnit(std::size_t p, Unit* unit) const;
    std::optional<int> ReadYearAfter(std::size_t* p) const;

    std::optional<Period> ParsePeriod(std::size_t p) const;
    std::optional<TimeMatch> ParseTime(std::size_t p, const std::optional<Period>& period, bool after_date) const;

    Text t_;
    CivilDate today_;
};

bool DateTimeScanner::IsStart(std::size_t i) const {
    const char32_t c = t_[i];
    const char32_t prev = Before(t_, i);
    if (IsAsciiLetter(c)) return !IsWordChar(prev);
    if (IsDigit(c)) {
        if (IsWordChar(prev)) return false;
        if ((prev == '.' || prev == ',' || prev == ':' || prev == '/' || prev == '-') && IsDigit(Before(t_, i - 1))) {
            return false;
        }
        return prev != U'年' && prev != U'月';
    }
    // Not after 年 or 月 either: when "2月30日" is no date, "30日" is not one on its own.
    if (IsNumeralChar(c)) return !IsNumeralChar(prev) && !IsWordChar(prev) && prev != U'年' && prev != U'月';
    // The first characters of every Chinese form that does not start with a number.
    static constexpr std::u32string_view kTriggers = U"今明后昨前大本这下上周星礼月年最近过去当凌早清中傍晚夜";
    return kTriggers.find(c) != std::u32string_view::npos;
}

std::optional<IntMatch> DateTimeScanner::ReadInt(std::size_t p) const {
    if (p >= t_.size() || !IsNumeralChar(t_[p])) return std::nullopt;
    static constexpr NumeralOptions kDateNumerals{false, false, false};
    auto n = ParseNumeral(t_, p, kDateNumerals);
    if (!n) return std::nullopt;
    auto v = n->value.ToInteger();
    if (!v || *v < 0 || *v > 99999) return std::nullopt;
    return IntMatch{static_cast<int>(*v), n->end, n->single_arabic, n->digit_count, n->digit_string};
}

std::optional<IntMatch> DateTimeScanner::ReadEnglishNumber(std::size_t p) const {
    if (IsDigit(C(p))) {
        auto n = ReadInt(p);
        if (n && n->arabic) return n;
        return std::nullopt;
    }
    int v = 0;
    std::size_t e = MatchWord(p, std::begin(kEnglishNumbers), std::end(kEnglishNumbers), &v);
    if (e == kNpos) return std::nullopt;
    return IntMatch{v, e, false, 0, false};
}

std::size_t DateTimeScanner::MatchWord(std::size_t p, const Word* begin, const Word* end, int* value) const {
    for (const Word* w = begin; w != end; ++w) {
        const std::size_t e = Tok(p, w->text);
        if (e != kNpos) {
            *value = w->value;
            // "dec.", "fri."
            return w->text.size() <= 4 && C(e) == '.' && !IsDigit(C(e + 1)) ? e + 1 : e;
        }
    }
    return kNpos;
}

// --- dates ---------------------------------------------------------------------------------------------------

std::optional<DateMatch> DateTimeScanner::ParseDate(std::size_t p) const {
    const char32_t c = C(p);
    if (IsDigit(c)) {
        if (auto d = ParseNumeric(p)) return d;
        if (auto d = ParseEnglishOffset(p)) return d;
        if (auto d = ParseEnglishDayMonth(p)) return d;
        return ParseChineseNumberLed(p);
    }
    if (IsAsciiLetter(c)) return ParseEnglish(p);
    return ParseChinese(p);
}

std::optional<DateMatch> DateTimeScanner::ParseNumeric(std::size_t p) const {
    auto a = ReadInt(p);
    if (!a || !a->arabic) return std::nullopt;
    const char32_t sep = C(a->end);
    if (sep != '-' && sep != '/' && sep != '.') return std::nullopt;
    auto b = ReadInt(a->end + 1);
    if (!b || !b->arabic || b->digits > 2) return std::nullopt;
    if (a->digits == 4) {
        // 2026-12-01, 2026/12/01, 2026.12.01
        if (C(b->end) != sep) return std::nullopt;
        auto d = ReadInt(b->end + 1);
        if (!d || !d->arabic || d->digits > 2) return std::nullopt;
        if (IsWordChar(C(d->end)) && !(C(d->end) == 't' && IsDigit(C(d->end + 1)))) return std::nullopt;
        if ((C(d->end) == '.' || C(d->end) == '-' || C(d->end) == '/') && IsDigit(C(d->end + 1))) return std::nullopt;
        if (!ValidDate(a->value, b->value, d->value)) return std::nullopt;
        return Single(d->end, CivilDate{a->value, b->value, d->value});
    }
    // 12/1 and 12/1/2026: month first.
    if (sep != '/' || a->digits > 2) return std::nullopt;
    int year = today_.year;
    std::size_t end = b->end;
    if (C(end) == '/') {
        auto y = ReadInt(end + 1);
        if (!y || !y->arabic || y->digits != 4) return std::nullopt;
        year = y->value;
        end = y->end;
    }
    if (IsWordChar(C(end)) || ((C(end) == '/' || C(end) == '.') && IsDigit(C(end + 1)))) return std::nullopt;
    if (!ValidDate(year, a->value, b->value)) return std::nullopt;
    return Single(end, CivilDate{year, a->value, b->value});
}

// Reads 天/日, 周/星期/礼拜 (with an optional 个), 个月, 年.
std::size_t DateTimeScanner::ReadChineseUnit(std::size_t p, Unit* unit) const {
    std::size_t e = kNpos;
    if ((e = Lit(p, U"天")) != kNpos) {
        *unit = Unit::kDay;
    } else if ((e = Lit(p, U"个星期")) != kNpos || (e = Lit(p, U"个礼拜")) != kNpos || (e = Lit(p, U"星期")) != kNpos ||
               (e = Lit(p, U"礼拜")) != kNpos || (e = Lit(p, U"周")) != kNpos) {
        *unit = Unit::kWeek;
    } else if ((e = Lit(p, U"个月")) != kNpos) {
        *unit = Unit::kMonth;
    } else if ((e = Lit(p, U"年")) != kNpos) {
        *unit = Unit::kYear;
    }
    return e;
}

// After "M月": 1日 / 1号 / 底 / 末 / 初 / 上旬 / 中旬 / 下旬, or nothing (the whole month).
std::optional<DateMatch> DateTimeScanner::ParseChineseMonthTail(std::size_t p, int year, int month) const {
    if (year < 1900 || year > 2199 || month < 1 || month > 12) return std::nullopt;
    const CivilDate first{year, month, 1};
    const CivilDate last = LastOfMonth(first);
    std::size_t q = p;
    if (C(q) == U'份') ++q;
    if (auto d = ReadInt(q); d && (C(d->end) == U'日' || C(d->end) == U'号')) {
        if (!ValidDate(year, month, d->value)) return std::nullopt;
        return Single(d->end + 1, CivilDate{year, month, d->value});
    }
    if (C(q) == U'底' || C(q) == U'末') return Single(q + 1, last);
    if (C(q) == U'初') return Single(q + 1, first);
    if (std::size_t e = Lit(q, U"上旬"); e != kNpos) return Range(e, first, CivilDate{year, month, 10});
    if (std::size_t e = Lit(q, U"中旬"); e != kNpos)
        return Range(e, CivilDate{year, month, 11}, CivilDate{year, month, 20});
    if (std::size_t e = Lit(q, U"下旬"); e != kNpos) return Range(e, CivilDate{year, month, 21}, last);
    return Range(q, first, last);
}

// After a month reference (下个月, 本月): 的, then 15号 / 月底 / 底 / 初, or nothing (the whole month).
std::optional<DateMatch> DateTimeScanner::ParseChineseDayTail(std::size_t p, const CivilDate& month) const {
    std::size_t q = C(p) == U'的' ? p + 1 : p;
    if (auto d = ReadInt(q); d && (C(d->end) == U'日' || C(d->end) == U'号')) {
        if (!ValidDate(month.year, month.month, d->value)) return std::nullopt;
        return Single(d->end + 1, CivilDate{month.year, month.month, d->value});
    }
    std::size_t r = C(q) == U'月' ? q + 1 : q;
    if (C(r) == U'底' || C(r) == U'末') return Single(r + 1, LastOfMonth(month));
    if (C(r) == U'初') return Single(r + 1, FirstOfMonth(month));
    return Range(p, FirstOfMonth(month), LastOfMonth(month));
}

std::optional<DateMatch> DateTimeScanner::ParseChineseNumberLed(std::size_t p) const {
    auto n = ReadInt(p);
    if (!n) return std::nullopt;
    const std::size_t e = n->end;
    // Years: 2026年..., 二〇二六年...
    if (C(e) == U'年' && (n->arabic ? n->digits == 4 : n->digit_string && n->digits == 4) && n->value >= 1900 &&
        n->value <= 2199) {
        const int year = n->value;
        const std::size_t q = e + 1;
        if (C(q) == U'底' || C(q) == U'末') return Single(q + 1, CivilDate{year, 12, 31});
        if (C(q) == U'初') return Single(q + 1, CivilDate{year, 1, 1});
        if (auto m = ReadInt(q); m && C(m->end) == U'月') return ParseChineseMonthTail(m->end + 1, year, m->value);
        return Range(q, CivilDate{year, 1, 1}, CivilDate{year, 12, 31});
    }
    if (n->digit_string) return std::nullopt;
    // 12月1日, 12月
    if (C(e) == U'月' && n->value >= 1 && n->value <= 12) return ParseChineseMonthTail(e + 1, today_.year, n->value);
    // 15号, 1日
    if ((C(e) == U'号' || C(e) == U'日') && n->value >= 1 && n->value <= 31) {
        static constexpr std::u32string_view kNotADay = U"线楼窗机门柜房码台位院馆店车床球字选元游";
        if (kNotADay.find(C(e + 1)) != std::u32string_view::npos || Before(t_, p) == U'第') return std::nullopt;
        if (!ValidDate(today_.year, today_.month, n->value)) return std::nullopt;
        return Single(e + 1, CivilDate{today_.year, today_.month, n->value});
    }
    // 三天后, 3天前, 两周后, 一个月以后
    Unit unit = Unit::kDay;
    std::size_t u = ReadChineseUnit(e, &unit);
    if (u != kNpos && n->value > 0 && n->value <= 1000) {
        if (C(u) == U'以' || C(u) == U'之') ++u;
        if (C(u) == U'后') return Single(u + 1, Offset(today_, n->value, unit));
        if (C(u) == U'前') return Single(u + 1, Offset(today_, -n->value, unit));
    }
    return std::nullopt;
}

std::optional<DateMatch> DateTimeScanner::ParseChinese(std::size_t p) const {
    if (IsNumeralChar(C(p))) return ParseChineseNumberLed(p);

    // Single days, some with a part of the day.
    struct DayWord {
        std::u32string_view text;
        int offset;
        const Period* period;
    };
    static constexpr DayWord kDays[] = {
        {U"大前天", -3, nullptr}, {U"大后天", 3, nullptr}, {U"前天", -2, nullptr},  {U"后天", 2, nullptr},
        {U"昨天", -1, nullptr},   {U"昨日", -1, nullptr},  {U"今天", 0, nullptr},   {U"今日", 0, nullptr},
        {U"明天", 1, nullptr},    {U"明日", 1, nullptr},   {U"今晚", 0, &kEvening}, {U"昨晚", -1, &kEvening},
        {U"明晚", 1, &kEvening},  {U"今早", 0, &kMorning}, {U"明早", 1, &kMorning}, {U"今晨", 0, &kMorning},
    };
    for (const DayWord& w : kDays) {
        if (std::size_t e = Lit(p, w.text); e != kNpos) {
            DateMatch m = Single(e, AddDays(today_, w.offset));
            if (w.period != nullptr) m.period = *w.period;
            return m;
        }
    }

    // Years: 今年, 明年, 去年, 前年, 后年, then a month, an end, or nothing.
    static constexpr Word kYears[] = {{U"今年", 0}, {U"明年", 1}, {U"去年", -1}, {U"前年", -2}, {U"后年", 2}};
    for (const Word& w : kYears) {
        std::size_t q = Lit(p, w.text);
        if (q == kNpos) continue;
        const int year = today_.year + w.value;
        if (C(q) == U'的') ++q;
        if (C(q) == U'年') ++q;  // 今年年底
        if (C(q) == U'底' || C(q) == U'末') return Single(q + 1, CivilDate{year, 12, 31});
        if (C(q) == U'初') return Single(q + 1, CivilDate{year, 1, 1});
        if (auto m = ReadInt(q); m && C(m->end) == U'月') return ParseChineseMonthTail(m->end + 1, year, m->value);
        return Range(Lit(p, w.text), CivilDate{year, 1, 1}, CivilDate{year, 12, 31});
    }

    // Months: 本月, 这个月, 下个月, 下月, 上个月, 上月, 上上个月, then 15号 / 底 / 初 or nothing.
    static constexpr Word kMonths[] = {
        {U"上上个月", -2}, {U"下下个月", 2}, {U"这个月", 0}, {U"本月", 0},    {U"这月", 0},
        {U"当月", 0},      {U"下个月", 1},   {U"下月", 1},   {U"上个月", -1}, {U"上月", -1},
    };
    for (const Word& w : kMonths) {
        if (std::size_t e = Lit(p, w.text); e != kNpos)
            return ParseChineseDayTail(e, AddMonths(FirstOfMonth(today_), w.value));
    }

    // Weeks: 本周五, 下周一, 上个星期五, 周五, 星期天, 礼拜三, 周末, 本周, 下周.
    struct WeekWord {
        std::u32string_view text;
        int offset;
        bool needs_day;  // bare 周 / 星期 / 礼拜 needs a weekday after it
    };
    static constexpr WeekWord kWeeks[] = {
        {U"上上个星期", -2, false}, {U"上上个礼拜", -2, false}, {U"上上星期", -2, false}, {U"上上周", -2, false},
        {U"下下个星期", 2, false},  {U"下下个礼拜", 2, false},  {U"下下星期", 2, false},  {U"下下周", 2, false},
        {U"这个星期", 0, false},    {U"这个礼拜", 0, false},    {U"这个周", 0, false},    {U"这星期", 0, false},
        {U"这礼拜", 0, false},      {U"这周", 0, false},        {U"本星期", 0, false},    {U"本周", 0, false},
        {U"下个星期", 1, false},    {U"下个礼拜", 1, false},    {U"下个周", 1, false},    {U"下星期", 1, false},
        {U"下礼拜", 1, false},      {U"下周", 1, false},        {U"上个星期", -1, false}, {U"上个礼拜", -1, false},
        {U"上个周", -1, false},     {U"上星期", -1, false},     {U"上礼拜", -1, false},   {U"上周", -1, false},
        {U"星期", 0, true},         {U"礼拜", 0, true},         {U"周", 0, true},
    };
    for (const WeekWord& w : kWeeks) {
        std::size_t e = Lit(p, w.text);
        if (e == kNpos) continue;
        const CivilDate monday = AddDays(MondayOf(today_), 7 * w.offset);
        static constexpr std::u32string_view kDayNames = U"一二三四五六日天";
        const char32_t d = C(e);
        int weekday = -1;
        if (std::size_t k = kDayNames.find(d); k != std::u32string_view::npos && d != 0) {
            weekday = k >= 6 ? 6 : static_cast<int>(k);
        } else if (d >= '1' && d <= '7' && !IsDigit(C(e + 1))) {
            weekday = static_cast<int>(d - '1');
        }
        if (weekday >= 0) return Single(e + 1, AddDays(monday, weekday));
        if (d == U'末') return Range(e + 1, AddDays(monday, 5), AddDays(monday, 6));
        if (w.needs_day) return std::nullopt;
        return Range(e, monday, AddDays(monday, 6));
    }

    // Ends: 月底, 月末, 月初, 年底, 年末, 年初.
    if (std::size_t e = Lit(p, U"月底"); e != kNpos) return Single(e, LastOfMonth(today_));
    if (std::size_t e = Lit(p, U"月末"); e != kNpos) return Single(e, LastOfMonth(today_));
    if (std::size_t e = Lit(p, U"月初"); e != kNpos) return Single(e, FirstOfMonth(today_));
    if (std::size_t e = Lit(p, U"年底"); e != kNpos) return Single(e, CivilDate{today_.year, 12, 31});
    if (std::size_t e = Lit(p, U"年末"); e != kNpos) return Single(e, CivilDate{today_.year, 12, 31});
    if (std::size_t e = Lit(p, U"年初"); e != kNpos) return Single(e, CivilDate{today_.year, 1, 1});

    // Rolling ranges: 最近三天, 近7天, 过去一周, 最近一个月.
    std::size_t q = kNpos;
    if ((q = Lit(p, U"最近")) != kNpos || (q = Lit(p, U"过去")) != kNpos || (q = Lit(p, U"近")) != kNpos) {
        if (C(q) == U'的') ++q;
        if (auto n = ReadInt(q); n && n->value > 0 && n->value <= 1000 && !n->digit_string) {
            Unit unit = Unit::kDay;
            std::size_t e = ReadChineseUnit(n->end, &unit);
            if (e == kNpos && C(n->end) == U'日') {
                e = n->end + 1;
                unit = Unit::kDay;
            }
            if (e != kNpos) return Range(e, RollingStart(today_, n->value, unit), today_);
        }
    }
    return std::nullopt;
}

std::size_t DateTimeScanner::ReadEnglishUnit(std::size_t p, Unit* unit) const {
    std::size_t which = 0;
    std::size_t e =
        MatchAnyToken(t_, p, {U"days", U"day", U"weeks", U"week", U"months", U"month", U"years", U"year"}, &which);
    if (e != kNpos) *unit = static_cast<Unit>(which / 2);
    return e;
}

// "3 days ago", "two weeks ago", "in 3 days", "in a week".
std::optional<DateMatch> DateTimeScanner::ParseEnglishOffset(std::size_t p) const {
    std::size_t q = p;
    bool in = false;
    if (std::size_t e = Tok(p, U"in"); e != kNpos && C(e) == ' ') {
        in = true;
        q = e + 1;
    }
    auto n = ReadEnglishNumber(q);
    if (!n || n->value <= 0 || n->value > 1000 || C(n->end) != ' ') return std::nullopt;
    Unit unit = Unit::kDay;
    std::size_t e = ReadEnglishUnit(n->end + 1, &unit);
    if (e == kNpos) return std::nullopt;
    if (in) return Single(e, Offset(today_, n->value, unit));
    if (C(e) != ' ') return std::nullopt;
    if (std::size_t a = Tok(e + 1, U"ago"); a != kNpos) return Single(a, Offset(today_, -n->value, unit));
    if (std::size_t a = Tok(e + 1, U"later"); a != kNpos) return Single(a, Offset(today_, n->value, unit));
    if (std::size_t a = Tok(e + 1, U"from now"); a != kNpos) return Single(a, Offset(today_, n->value, unit));
    return std::nullopt;
}

// An optional ", 2026" or " 2026" after a month and day.
std::optional<int> DateTimeScanner::ReadYearAfter(std::size_t* p) const {
    std::size_t q = *p;
    if (C(q) == ',') ++q;
    q = Sp(q);
    if (!IsDigit(C(q))) return std::nullopt;
    auto y = ReadInt(q);
    if (!y || !y->arabic || y->digits != 4 || IsWordChar(C(y->end))) return std::nullopt;
    *p = y->end;
    return y->value;
}

// "1 December", "1st of December 2026", "15th dec".
std::optional<DateMatch> DateTimeScanner::ParseEnglishDayMonth(std::size_t p) const {
    auto d = ReadInt(p);
    if (!d || !d->arabic || d->digits > 2) return std::nullopt;
    std::size_t q = d->end;
    if (std::size_t e = MatchAnyTokenEnd(t_, q, {U"st", U"nd", U"rd", U"th"}); e != kNpos) q = e;
    if (IsWordChar(C(q)) || C(q) != ' ') return std::nullopt;
    q = q + 1;
    if (std::size_t e = Tok(q, U"of"); e != kNpos && C(e) == ' ') q = e + 1;
    int month = 0;
    std::size_t e = MatchWord(q, std::begin(kEnglishMonths), std::end(kEnglishMonths), &month);
    if (e == kNpos) return std::nullopt;
    int year = today_.year;
    if (auto y = ReadYearAfter(&e)) year = *y;
    if (!ValidDate(year, month, d->value)) return std::nullopt;
    return Single(e, CivilDate{year, month, d->value});
}

// "December 1", "Dec 1st, 2026", "December 2026", "December".
std::optional<DateMatch> DateTimeScanner::ParseEnglishMonthLed(std::size_t p) const {
    int month = 0;
    std::size_t e = kNpos;
    std::size_t index = 0;
    for (const Word& w : kEnglishMonths) {
        e = MatchWord(p, &w, &w + 1, &month);
        if (e != kNpos) break;
        ++index;
    }
    if (e == kNpos) return std::nullopt;
    if (C(e) == ' ' && IsDigit(C(e + 1))) {
        auto d = ReadInt(e + 1);
        if (d && d->arabic && d->digits <= 2) {
            std::size_t q = d->end;
            if (std::size_t o = MatchAnyTokenEnd(t_, q, {U"st", U"nd", U"rd", U"th"}); o != kNpos) q = o;
            if (!IsWordChar(C(q)) && !(C(q) == ':' && IsDigit(C(q + 1)))) {
                int year = today_.year;
                if (auto y = ReadYearAfter(&q)) year = *y;
                if (!ValidDate(year, month, d->value)) return std::nullopt;
                return Single(q, CivilDate{year, month, d->value});
            }
        }
        if (d && d->arabic && d->digits == 4 && !IsWordChar(C(d->end)) && d->value >= 1900 && d->value <= 2199) {
            const CivilDate first{d->value, month, 1};
            return Range(d->end, first, LastOfMonth(first));
        }
    }
    // A month name alone: full names only, and not "may" (a verb far more often than a month).
    if (index >= kFullMonthNames || month == 5) return std::nullopt;
    const CivilDate first{today_.year, month, 1};
    return Range(e, first, LastOfMonth(first));
}

// "end of the month", "end of next month", "beginning of the month", "end of the year", "month end".
std::optional<DateMatch> DateTimeScanner::ParseEnglishEdge(std::size_t p) const {
    std::size_t q = p;
    if (std::size_t e = Tok(q, U"month end"); e != kNpos) return Single(e, LastOfMonth(today_));
    if (std::size_t e = Tok(q, U"the"); e != kNpos && C(e) == ' ') q = e + 1;
    std::size_t which = 0;
    std::size_t e = MatchAnyToken(t_, q, {U"end of", U"beginning of", U"start of"}, &which);
    if (e == kNpos || C(e) != ' ') return std::nullopt;
    const bool at_end = which == 0;
    q = e + 1;
    int offset = 0;
    std::size_t k = 0;
    if (std::size_t m = MatchAnyToken(t_, q, {U"the", U"this", U"next", U"last"}, &k); m != kNpos && C(m) == ' ') {
        offset = k == 2 ? 1 : k == 3 ? -1 : 0;
        q = m + 1;
    }
    if (std::size_t m = Tok(q, U"month"); m != kNpos) {
        const CivilDate month = AddMonths(FirstOfMonth(today_), offset);
        return Single(m, at_end ? LastOfMonth(month) : month);
    }
    if (std::size_t m = Tok(q, U"year"); m != kNpos) {
        const int year = today_.year + offset;
        return Single(m, at_end ? CivilDate{year, 12, 31} : CivilDate{year, 1, 1});
    }
    return std::nullopt;
}

std::optional<DateMatch> DateTimeScanner::ParseEnglish(std::size_t p) const {
    struct DayWord {
        std::u32string_view text;
        int offset;
        const Period* period;
    };
    static constexpr DayWord kDays[] = {
        {U"the day after tomorrow", 2, nullptr},
        {U"day after tomorrow", 2, nullptr},
        {U"the day before yesterday", -2, nullptr},
        {U"day before yesterday", -2, nullptr},
        {U"today", 0, nullptr},
        {U"tomorrow", 1, nullptr},
        {U"yesterday", -1, nullptr},
        {U"tonight", 0, &kEvening},
        {U"this morning", 0, &kMorning},
        {U"this afternoon", 0, &kAfternoon},
        {U"this evening", 0, &kEvening},
    };
    for (const DayWord& w : kDays) {
        if (std::size_t e = Tok(p, w.text); e != kNpos) {
            DateMatch m = Single(e, AddDays(today_, w.offset));
            if (w.period != nullptr) m.period = *w.period;
            return m;
        }
    }
    if (auto d = ParseEnglishEdge(p)) return d;
    if (auto d = ParseEnglishOffset(p)) return d;

    // Modifiers: next / last / this / past / coming / previous.
    std::size_t which = 0;
    std::size_t e = MatchAnyToken(
        t_, p, {U"the last", U"the past", U"this coming", U"next", U"last", U"this", U"past", U"coming", U"previous"},
        &which);
    if (e != kNpos && C(e) == ' ') {
        static constexpr int kOffsets[] = {-1, -1, 0, 1, -1, 0, -1, 0, -1};
        static constexpr bool kRolling[] = {true, true, false, false, true, false, true, false, false};
        const int offset = kOffsets[which];
        const bool rolling_allowed = kRolling[which];
        const bool past = which == 1 || which == 6;
        const std::size_t q = e + 1;
        int weekday = 0;
        if (std::size_t d = MatchWord(q, std::begin(kEnglishWeekdays), std::end(kEnglishWeekdays), &weekday);
            d != kNpos && which >= 2) {
            return Single(d, AddDays(MondayOf(today_), 7 * offset + weekday));
        }
        if (rolling_allowed) {
            // "last 3 days", "past two weeks", "past week" (one unit).
            if (auto n = ReadEnglishNumber(q); n && n->value > 0 && n->value <= 1000 && C(n->end) == ' ') {
                Unit unit = Unit::kDay;
                if (std::size_t u = ReadEnglishUnit(n->end + 1, &unit); u != kNpos) {
                    return Range(u, RollingStart(today_, n->value, unit), today_);
                }
            }
            Unit unit = Unit::kDay;
            if (std::size_t u = ReadEnglishUnit(q, &unit); u != kNpos && (past || which == 0)) {
                return Range(u, RollingStart(today_, 1, unit), today_);
            }
        }
        if (which >= 2 && !past) {
            if (std::size_t u = Tok(q, U"weekend"); u != kNpos) {
                const CivilDate monday = AddDays(MondayOf(today_), 7 * offset);
                return Range(u, AddDays(monday, 5), AddDays(monday, 6));
            }
            if (std::size_t u = Tok(q, U"week"); u != kNpos) {
                const CivilDate monday = AddDays(MondayOf(today_), 7 * offset);
                return Range(u, monday, AddDays(monday, 6));
            }
            if (std::size_t u = Tok(q, U"month"); u != kNpos) {
                const CivilDate month = AddMonths(FirstOfMonth(today_), offset);
                return Range(u, month, LastOfMonth(month));
            }
            if (std::size_t u = Tok(q, U"year"); u != kNpos) {
                const int year = today_.year + offset;
                return Range(u, CivilDate{year, 1, 1}, CivilDate{year, 12, 31});
            }
        }
    }
    // A weekday alone (full names): this week's.
    int weekday = 0;
    if (std::size_t d =
            MatchWord(p, std::begin(kEnglishWeekdays), std::begin(kEnglishWeekdays) + kFullWeekdayNames, &weekday);
        d != kNpos) {
        return Single(d, AddDays(MondayOf(today_), weekday));
    }
    if (std::size_t u = Tok(p, U"weekend"); u != kNpos) {
        const CivilDate monday = MondayOf(today_);
        return Range(u, AddDays(monday, 5), AddDays(monday, 6));
    }
    return ParseEnglishMonthLed(p);
}

// --- times ---------------------------------------------------------------------------------------------------

std::optional<Period> DateTimeScanner::ParsePeriod(std::size_t p) const {
    struct PeriodWord {
        std::u32string_view text;
        const Period* period;
    };
    static constexpr PeriodWord kPeriods[] = {
        {U"凌晨", &kEarlyMorning},      {U"早上", &kMorning},
        {U"早晨", &kMorning},           {U"清晨", &kMorning},
        {U"上午", &kMorning},           {U"中午", &kNoon},
        {U"下午", &kAfternoon},         {U"傍晚", &kDusk},
        {U"晚上", &kEvening},           {U"晚间", &kEvening},
        {U"夜里", &kEvening},           {U"夜间", &kEvening},
        {U"in the morning", &kMorning}, {U"in the afternoon", &kAfternoon},
        {U"in the evening", &kEvening}, {U"at night", &kEvening},
        {U"morning", &kMorning},        {U"afternoon", &kAfternoon},
        {U"evening", &kEvening},        {U"night", &kEvening},
    };
    for (const PeriodWord& w : kPeriods) {
        if (std::size_t e = Tok(p, w.text); e != kNpos) {
            Period out = *w.period;
            out.end = e;
            return out;
        }
    }
    return std::nullopt;
}

std::optional<TimeMatch> DateTimeScanner::ParseTime(std::size_t p, const std::optional<Period>& period,
                                                    bool after_date) const {
    if (std::size_t e = Tok(p, U"noon"); e != kNpos) return TimeMatch{e, 12 * 60};
    if (std::size_t e = Tok(p, U"midnight"); e != kNpos) return TimeMatch{e, 0};
    auto h = ReadInt(p);
    if (!h || h->digit_string) return std::nullopt;
    int hour = h->value;
    int minute = 0;
    std::size_t end = h->end;
    bool explicit_meridiem = false;
    Meridiem meridiem = period ? period->meridiem : Meridiem::kNone;
    const char32_t c = C(end);
    if (h->arabic && c == ':') {
        // 15:00, 3:30pm, 15:00:00
        if (!IsDigit(C(end + 1)) || !IsDigit(C(end + 2)) || IsDigit(C(end + 3)) || h->digits > 2) return std::nullopt;
        minute = static_cast<int>((C(end + 1) - '0') * 10 + (C(end + 2) - '0'));
        end += 3;
        if (C(end) == ':' && IsDigit(C(end + 1)) && IsDigit(C(end + 2)) && !IsDigit(C(end + 3))) end += 3;
    } else if (c == U'点' || c == U'时') {
        ++end;
        bool minute_part = false;
        if (C(end) == U'半') {
            minute = 30;
            ++end;
            minute_part = true;
        } else if (std::size_t e = Lit(end, U"一刻"); e != kNpos) {
            minute = 15;
            end = e;
            minute_part = true;
        } else if (std::size_t e3 = Lit(end, U"三刻"); e3 != kNpos) {
            minute = 45;
            end = e3;
            minute_part = true;
        } else if (C(end) == U'整' || C(end) == U'钟') {
            ++end;
            minute_part = true;
        } else if (auto m = ReadInt(end); m && !m->digit_string && m->value <= 59) {
            if (C(m->end) == U'分') {
                minute = m->value;
                end = m->end + 1;
                minute_part = true;
            } else if (m->value >= 10 && !IsNumeralChar(C(m->end))) {
                minute = m->value;  // "3点15", "三点二十"
                end = m->end;
                minute_part = true;
            }
        }
        // "一点" alone is "a little": a Chinese-numeral hour needs a part of the day, a date or a minute part.
        if (!h->arabic && !minute_part && !period && !after_date) return std::nullopt;
    } else if (!h->arabic || h->digits > 2) {
        return std::nullopt;
    }
    // am / pm / o'clock after an Arabic hour.
    if (h->arabic && c != U'点' && c != U'时') {
        const std::size_t q = Sp(end);
        std::size_t which = 0;
        std::size_t e = MatchAnyTokenEnd(t_, q, {U"a.m.", U"p.m.", U"a.m", U"p.m", U"am", U"pm", U"o'clock"}, &which);
        if (e != kNpos) {
            end = e;
            if (which < 6) {
                if (hour < 1 || hour > 12) return std::nullopt;
                explicit_meridiem = true;
                meridiem = which % 2 == 0 ? Meridiem::kAm : Meridiem::kPm;
            }
        } else if (c != ':') {
            return std::nullopt;  // a bare number is not a time
        }
    }
    if (hour > 23 || minute > 59) return std::nullopt;
    if (meridiem == Meridiem::kPm && hour < 12) hour += 12;
    if (meridiem == Meridiem::kNoon && hour < 6) hour += 12;
    if (meridiem == Meridiem::kAm && hour == 12 && (explicit_meridiem || period)) hour = 0;
    if (period && period->start_minute >= 18 * 60 && hour == 12) hour = 0;  // 晚上12点 is midnight
    if (hour > 23) return std::nullopt;
    return TimeMatch{end, hour * 60 + minute};
}

// --- the scan ------------------------------------------------------------------------------------------------

std::string DateTimeText(const CivilDate& d, int minute_of_day) { return Iso(d) + "T" + HhMm(minute_of_day); }

void DateTimeScanner::Run(Claims& claims, std::vector<Candidate>& out) const {
    std::size_t i = 0;
    while (i < t_.size()) {
        if (claims.IsClaimed(i) || !IsStart(i)) {
            ++i;
            continue;
        }
        bool emitted = false;
        if (auto d = ParseDate(i)) {
            if (d->range) {
                boost::json::object v;
                v["start"] = Iso(d->first);
                v["end"] = Iso(d->last);
                emitted = Emit(claims, out, "date_range", i, d->end, std::move(v));
                if (emitted) i = d->end;
            } else {
                // A date, then perhaps a part of the day and a time: "明天下午3点", "tomorrow at 3pm",
                // "2026-12-01T15:00", "yesterday afternoon".
                std::size_t q = Sp(d->end);
                if (C(q) == U'的') ++q;
                if (C(q) == 't' && IsDigit(C(q + 1)) && q == d->end) ++q;
                std::optional<Period> period = d->period;
                std::size_t end = d->end;
                if (!period) {
                    if (auto per = ParsePeriod(q)) {
                        period = per;
                        end = per->end;
                        q = Sp(per->end);
                    }
                } else {
                    q = Sp(d->end);
                }
                std::size_t tq = q;
                if (std::size_t at = Tok(q, U"at"); at != kNpos && C(at) == ' ') tq = at + 1;
                auto tm = ParseTime(tq, period, true);
                boost::json::object v;
                if (tm) {
                    v["datetime"] = DateTimeText(d->first, tm->minute_of_day);
                    end = tm->end;
                } else if (period) {
                    v["start"] = DateTimeText(d->first, period->start_minute);
                    v["end"] = DateTimeText(d->first, period->end_minute);
                }
                if (v.empty()) {
                    v["date"] = Iso(d->first);
                    emitted = Emit(claims, out, "date", i, d->end, std::move(v));
                    end = d->end;
                } else {
                    emitted = Emit(claims, out, "datetime", i, end, std::move(v));
                }
                if (emitted) i = end;
            }
        }
        if (!emitted) {
            std::optional<Period> period = ParsePeriod(i);
            const std::size_t tp = period ? Sp(period->end) : i;
            if (auto tm = ParseTime(tp, period, false)) {
                // "3pm tomorrow": a date after the time makes a datetime.
                std::size_t q = Sp(tm->end);
                auto d = ParseDate(q);
                boost::json::object v;
                if (d && !d->range && !d->period && !period) {
                    v["datetime"] = DateTimeText(d->first, tm->minute_of_day);
                    emitted = Emit(claims, out, "datetime", i, d->end, std::move(v));
                    if (emitted) i = d->end;
                } else {
                    v["time"] = HhMm(tm->minute_of_day);
                    emitted = Emit(claims, out, "time", i, tm->end, std::move(v));
                    if (emitted) i = tm->end;
                }
            }
        }
        if (!emitted) {
            // Skip the rest of this token so that a long run of digits or letters is looked at once.
            const char32_t c = t_[i];
            ++i;
            if (IsWordChar(c)) {
                while (i < t_.size() && IsWordChar(t_[i])) ++i;
            } else if (IsNumeralChar(c)) {
                while (i < t_.size() && IsNumeralChar(t_[i])) ++i;
            }
        }
    }
}

}  // namespace

Result<ReferenceTime> ParseReferenceTime(std::string_view s) {
    auto bad = [] {
        return Error::Make(ErrorCode::kInvalidArgument,
                           "reference_time must be an ISO-8601 local time such as 2026-11-23T10:00:00+08:00");
    };
    auto digits = [&](std::size_t pos, std::size_t n, int* out) {
        if (pos + n > s.size()) return false;
        int v = 0;
        for (std::size_t k = pos; k < pos + n; ++k) {
            if (s[k] < '0' || s[k] > '9') return false;
            v = v * 10 + (s[k] - '0');
        }
        *out = v;
        return true;
    };
    ReferenceTime r;
    if (!digits(0, 4, &r.date.year) || s.size() < 10 || s[4] != '-' || !digits(5, 2, &r.date.month) || s[7] != '-' ||
        !digits(8, 2, &r.date.day) || !ValidDate(r.date.year, r.date.month, r.date.day)) {
        return bad();
    }
    std::size_t p = 10;
    if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
        if (!digits(p + 1, 2, &r.hour) || p + 3 >= s.size() || s[p + 3] != ':' || !digits(p + 4, 2, &r.minute) ||
            r.hour > 23 || r.minute > 59) {
            return bad();
        }
        p += 6;
        int sec = 0;
        if (p < s.size() && s[p] == ':') {
            if (!digits(p + 1, 2, &sec) || sec > 60) return bad();
            p += 3;
            if (p < s.size() && s[p] == '.') {
                ++p;
                while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
            }
        }
    }
    if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
        ++p;
    } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
        int oh = 0;
        int om = 0;
        if (!digits(p + 1, 2, &oh) || oh > 14) return bad();
        p += 3;
        if (p < s.size() && s[p] == ':') ++p;
        if (!digits(p, 2, &om) || om > 59) return bad();
        p += 2;
    }
    if (p != s.size()) return bad();
    return r;
}

void ScanDateTimes(Text text, const ReferenceTime& reference, Claims& claims, std::vector<Candidate>& out) {
    DateTimeScanner(text, reference).Run(claims, out);
}

}  // namespace kefu::nlu::detail
