#include "flow/turn.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>

namespace kefu::flow {

namespace json = boost::json;
namespace chr = std::chrono;

Turn::Turn(const dialogue::TurnInput& in, const dialogue::Understanding& understanding, const FlowSet& f,
           banking::CoreBank* b, std::string lang, std::string date)
    : input(in),
      u(understanding),
      flows(f),
      bank(b),
      language(std::move(lang)),
      today(std::move(date)),
      text(in.text) {}

banking::CallContext Turn::Call(bool write, std::string_view op) const {
    banking::CallContext c;
    c.request_id = fmt::format("{}:{}", input.conversation_id, input.message_id);
    // A retried customer message repeats the same key, so the core performs the write once.
    if (write) c.idempotency_key = fmt::format("{}:{}:{}", input.conversation_id, input.message_id, op);
    return c;
}

const Result<std::vector<banking::Card>>& Turn::Cards() {
    if (!cards_) {
        cards_ = bank ? bank->Cards(Call(false, "cards"), customer)
                      : Result<std::vector<banking::Card>>(Error{ErrorCode::kUnavailable, "no core bank"});
    }
    return *cards_;
}

const Result<std::vector<banking::Account>>& Turn::Accounts() {
    if (!accounts_) {
        accounts_ = bank ? bank->Accounts(Call(false, "accounts"), customer)
                         : Result<std::vector<banking::Account>>(Error{ErrorCode::kUnavailable, "no core bank"});
    }
    return *accounts_;
}

const Result<banking::CustomerProfile>& Turn::Profile() {
    if (!profile_) {
        profile_ = bank ? bank->Profile(Call(false, "profile"), customer)
                        : Result<banking::CustomerProfile>(Error{ErrorCode::kUnavailable, "no core bank"});
    }
    return *profile_;
}

namespace {

std::optional<chr::year_month_day> ParseDate(const std::string& d) {
    int y = 0;
    unsigned m = 0;
    unsigned day = 0;
    if (std::sscanf(d.c_str(), "%d-%u-%u", &y, &m, &day) != 3) return std::nullopt;
    chr::year_month_day ymd{chr::year{y}, chr::month{m}, chr::day{day}};
    if (!ymd.ok()) return std::nullopt;
    return ymd;
}

std::string Format(const chr::year_month_day& d) {
    return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                       static_cast<unsigned>(d.day()));
}

std::string Grouped(std::int64_t cents) {
    std::string s = banking::FormatCents(cents < 0 ? -cents : cents);
    auto dot = s.find('.');
    for (auto i = static_cast<long>(dot) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return (cents < 0 ? "-" : "") + s;
}

const char* ZhCurrency(const std::string& c) {
    if (c == "CNY") return "元";
    if (c == "USD") return "美元";
    if (c == "HKD") return "港元";
    if (c == "JPY") return "日元";
    return nullptr;
}

}  // namespace

std::string AddDays(const std::string& date, int days) {
    auto d = ParseDate(date);
    if (!d) return date;
    return Format(chr::year_month_day{chr::sys_days{*d} + chr::days{days}});
}

std::string FirstOfMonth(const std::string& date, int months_back) {
    auto d = ParseDate(date);
    if (!d) return date;
    auto ym = chr::year_month{d->year(), d->month()} - chr::months{months_back};
    return Format(chr::year_month_day{ym / chr::day{1}});
}

std::string LastOfMonth(const std::string& date, int months_back) {
    auto d = ParseDate(date);
    if (!d) return date;
    auto ym = chr::year_month{d->year(), d->month()} - chr::months{months_back};
    return Format(chr::year_month_day{chr::year_month_day_last{ym.year(), chr::month_day_last{ym.month()}}});
}

json::object MoneyText(const banking::Money& m) {
    const char* zh = ZhCurrency(m.currency);
    return {{"zh", zh ? Grouped(m.cents) + zh : m.currency + " " + Grouped(m.cents)},
            {"en", m.currency + " " + Grouped(m.cents)}};
}

json::object DateText(const std::string& iso) {
    auto d = ParseDate(iso.substr(0, 10));
    if (!d) return {{"zh", iso}, {"en", iso}};
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto y = static_cast<int>(d->year());
    auto m = static_cast<unsigned>(d->month());
    auto day = static_cast<unsigned>(d->day());
    return {{"zh", fmt::format("{}年{}月{}日", y, m, day)}, {"en", fmt::format("{} {} {}", day, kMonths[m - 1], y)}};
}

json::object CardLabel(const banking::Card& c) {
    bool credit = c.kind == "credit";
    return {{"zh", fmt::format("尾号{}的{}", c.last4, credit ? "信用卡" : "借记卡")},
            {"en", fmt::format("{} card ending {}", credit ? "credit" : "debit", c.last4)}};
}

json::object AccountLabel(const banking::Account& a) {
    const char* zh_cur = a.balance.currency == "USD" ? "美元" : a.balance.currency == "CNY" ? "人民币" : "外币";
    const char* zh_type = a.type == "fixed_deposit" ? "定期账户" : a.type == "current" ? "活期账户" : "储蓄账户";
    const char* en_type = a.type == "fixed_deposit" ? "time deposit"
                          : a.type == "current"     ? "current account"
                                                    : "savings account";
    return {{"zh", fmt::format("尾号{}的{}{}", a.last4, zh_cur, zh_type)},
            {"en", fmt::format("{} {} ending {}", a.balance.currency, en_type, a.last4)}};
}

}  // namespace kefu::flow
