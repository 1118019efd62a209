#include "banking/sandbox_loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <utility>

#include "core/ids.hpp"

namespace kefu::banking {

namespace {

namespace chr = std::chrono;
using Days = chr::sys_days;

// ------------------------------------------------------------------------------------------------ dates

std::optional<int> ParseDigits(std::string_view s) {
    if (s.empty() || s.size() > 9) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::optional<Days> ParseDate(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    auto y = ParseDigits(s.substr(0, 4));
    auto m = ParseDigits(s.substr(5, 2));
    auto d = ParseDigits(s.substr(8, 2));
    if (!y || !m || !d) return std::nullopt;
    chr::year_month_day ymd{chr::year{*y}, chr::month{static_cast<unsigned>(*m)}, chr::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    return Days{ymd};
}

// "2028-09" → its first day.
std::optional<chr::year_month> ParseMonth(std::string_view s) {
    if (s.size() != 7 || s[4] != '-') return std::nullopt;
    auto y = ParseDigits(s.substr(0, 4));
    auto m = ParseDigits(s.substr(5, 2));
    if (!y || !m || *m < 1 || *m > 12) return std::nullopt;
    return chr::year_month{chr::year{*y}, chr::month{static_cast<unsigned>(*m)}};
}

std::string FormatDate(Days d) {
    chr::year_month_day ymd{d};
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()));
}

std::string FormatTime(Days d, int seconds) {
    return fmt::format("{}T{:02}:{:02}:{:02}", FormatDate(d), seconds / 3600, seconds / 60 % 60, seconds % 60);
}

// Calendar months, clamped to the month's last day (03-31 minus one month is 02-28).
Days AddMonths(Days d, int n) {
    chr::year_month_day shifted = chr::year_month_day{d} + chr::months{n};
    if (!shifted.ok()) shifted = chr::year_month_day_last{shifted.year(), chr::month_day_last{shifted.month()}};
    return Days{shifted};
}

std::string ShiftDate(const std::string& date, chr::days delta) { return FormatDate(*ParseDate(date) + delta); }

// The six-month window of generated data: (reference_date − 6 months, reference_date].
struct Window {
    Days ref;
    Days first;  // the first day inside
    bool Contains(Days d) const { return d >= first && d <= ref; }
};

// ------------------------------------------------------------------------------------------ randomness

std::uint64_t Fnv1a64(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

// splitmix64: tiny, well defined and identical on every platform, unlike std::uniform_*_distribution.
class SplitMix64 {
  public:
    explicit SplitMix64(std::string_view seed) : state_(Fnv1a64(seed)) {}
    std::uint64_t Next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi]. The modulo bias is below 2^-40 for the ranges used here.
    std::int64_t Between(std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    int Seconds(int from_hour, int to_hour) {
        return static_cast<int>(Between(std::int64_t{from_hour} * 3600, std::int64_t{to_hour} * 3600 - 1));
    }

  private:
    std::uint64_t state_;
};

// ------------------------------------------------------------------------------------ number checks

bool AllDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Lower-case letters and digits, plus any of `extra`.
bool IsIdText(std::string_view s, std::string_view extra) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos;
    });
}

bool LuhnValid(std::string_view digits) {
    int sum = 0;
    bool twice = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        int d = *it - '0';
        if (twice && (d *= 2) > 9) d -= 9;
        sum += d;
        twice = !twice;
    }
    return sum % 10 == 0;
}

// ISO 7064 MOD 11-2, as used by the 18-character resident ID.
char IdCheckCharacter(std::string_view first17) {
    static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static constexpr std::string_view kCheck = "10X98765432";
    int sum = 0;
    for (std::size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
    return kCheck[static_cast<std::size_t>(sum % 11)];
}

std::optional<std::int64_t> MilliCnyPerUnit(std::string_view currency) {
    if (currency == "CNY") return 1000;
    if (currency == "USD") return 7100;
    if (currency == "HKD") return 910;
    if (currency == "JPY") return 47;
    return std::nullopt;
}

constexpr std::int64_t kCentsPerCny = 100;

// ------------------------------------------------------------------------------------------ problems

int NodeLine(const YAML::Node& n) { return n.Mark().line + 1; }

// Collects every problem with its line, so the operator fixes the whole file in one pass.
class Checker {
  public:
    void At(int line, std::string message) { problems_.emplace_back(line, std::move(message)); }
    void At(const YAML::Node& node, std::string message) { At(NodeLine(node), std::move(message)); }
    bool ok() const { return problems_.empty(); }

    std::vector<std::string> Formatted(std::string_view file) const {
        auto sorted = problems_;
        std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::string> out;
        for (const auto& [line, message] : sorted) out.push_back(fmt::format("{}:{}: {}", file, line, message));
        return out;
    }

  private:
    std::vector<std::pair<int, std::string>> problems_;
};

bool Contains(std::initializer_list<std::string_view> list, std::string_view s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

// One YAML mapping being read. The constructor reports unknown and missing keys once; the getters report
// bad values at the value's line and return a harmless default, so parsing goes on and finds every problem.
// A getter says nothing about a missing key (already reported).
class Fields {
  public:
    Fields(Checker& ck, const YAML::Node& node, std::string what, std::initializer_list<std::string_view> required,
           std::initializer_list<std::string_view> optional = {})
        : ck_(ck), node_(node), what_(std::move(what)) {
        if (!node.IsMap()) {
            ck_.At(node, fmt::format("{} must be a mapping", what_));
            return;
        }
        is_map_ = true;
        for (const auto& kv : node) {
            const std::string& key = kv.first.Scalar();
            if (!Contains(required, key) && !Contains(optional, key)) {
                ck_.At(kv.first, fmt::format("{}: unknown key '{}'", what_, key));
            }
        }
        for (std::string_view key : required) {
            if (!node[std::string(key)].IsDefined()) ck_.At(node, fmt::format("{}: missing key '{}'", what_, key));
        }
    }

    const std::string& what() const { return what_; }
    int line() const { return NodeLine(node_); }
    int LineOf(std::string_view key) const {
        auto v = Value(key);
        return v ? NodeLine(*v) : line();
    }
    void Problem(std::string_view key, const std::string& message) const {
        ck_.At(LineOf(key), fmt::format("{}: {}", what_, message));
    }

    std::optional<YAML::Node> Value(std::string_view key) const {
        if (!is_map_) return std::nullopt;
        YAML::Node v = node_[std::string(key)];
        if (!v.IsDefined()) return std::nullopt;
        return v;
    }
    bool IsNull(std::string_view key) const {
        auto v = Value(key);
        return v && v->IsNull();
    }

    // A non-empty scalar.
    std::string Text(std::string_view key) const {
        auto v = Value(key);
        if (!v) return {};
        if (!v->IsScalar() || v->Scalar().empty()) {
            Problem(key, fmt::format("'{}' must be non-empty text", key));
            return {};
        }
        return v->Scalar();
    }
    std::optional<std::string> NullableText(std::string_view key) const {
        if (!Value(key) || IsNull(key)) return std::nullopt;
        return Text(key);
    }

    // A quoted string of digits ("numbers made of digits" in the README), of one of the given lengths.
    // The message never repeats the value: these are account, card, ID and phone numbers.
    std::string Digits(std::string_view key, std::initializer_list<std::size_t> lengths) const {
        auto v = Value(key);
        if (!v) return {};
        if (!v->IsScalar() || v->Tag() != "!" || !AllDigits(v->Scalar()) ||
            std::find(lengths.begin(), lengths.end(), v->Scalar().size()) == lengths.end()) {
            std::string sizes;
            for (std::size_t n : lengths) sizes += (sizes.empty() ? "" : " or ") + std::to_string(n);
            Problem(key, fmt::format("'{}' must be a quoted string of {} digits", key, sizes));
            return {};
        }
        return v->Scalar();
    }

    // Money: a quoted string with exactly two decimals, never a float.
    std::int64_t Money(std::string_view key) const {
        auto v = Value(key);
        if (!v) return 0;
        const std::string& s = v->IsScalar() ? v->Scalar() : std::string();
        auto dot = s.find('.');
        bool shaped = v->IsScalar() && v->Tag() == "!" && dot != std::string::npos && dot + 3 == s.size() &&
                      AllDigits(s.substr(0, dot)) && AllDigits(s.substr(dot + 1));
        auto cents = shaped ? ParseCents(s) : std::nullopt;
        if (!cents) {
            Problem(key, fmt::format("'{}' must be a quoted amount with exactly two decimals, like \"1234.50\"", key));
            return 0;
        }
        return *cents;
    }
    std::optional<std::int64_t> NullableMoney(std::string_view key) const {
        if (!Value(key) || IsNull(key)) return std::nullopt;
        return Money(key);
    }

    // YYYY-MM-DD, a real calendar date. "" when missing or wrong.
    std::string Date(std::string_view key) const {
        auto v = Value(key);
        if (!v) return {};
        if (!v->IsScalar() || !ParseDate(v->Scalar())) {
            Problem(key, fmt::format("'{}' must be a date, YYYY-MM-DD", key));
            return {};
        }
        return v->Scalar();
    }

    std::string Enum(std::string_view key, std::initializer_list<std::string_view> allowed) const {
        auto v = Value(key);
        if (!v) return {};
        if (!v->IsScalar() || !Contains(allowed, v->Scalar())) {
            std::string list;
            for (auto a : allowed) list += (list.empty() ? "" : " | ") + std::string(a);
            Problem(key, fmt::format("'{}' must be one of {}", key, list));
            return {};
        }
        return v->Scalar();
    }

    int Int(std::string_view key, int lo, int hi) const {
        auto v = Value(key);
        if (!v) return lo;
        int n = 0;
        try {
            n = v->as<int>();
        } catch (const YAML::Exception&) {
            n = lo - 1;
        }
        if (!v->IsScalar() || n < lo || n > hi) {
            Problem(key, fmt::format("'{}' must be a whole number from {} to {}", key, lo, hi));
            return lo;
        }
        return n;
    }
    std::optional<int> NullableInt(std::string_view key, int lo, int hi) const {
        if (!Value(key) || IsNull(key)) return std::nullopt;
        return Int(key, lo, hi);
    }

    bool Bool(std::string_view key) const {
        auto v = Value(key);
        if (!v) return false;
        if (v->IsScalar() && (v->Scalar() == "true" || v->Scalar() == "false")) return v->Scalar() == "true";
        Problem(key, fmt::format("'{}' must be true or false", key));
        return false;
    }

    // {zh, en}, both present and non-empty.
    Bilingual Text2(std::string_view key) const {
        auto v = Value(key);
        if (!v) return {};
        if (!v->IsMap()) {
            Problem(key, fmt::format("'{}' must be a mapping with zh and en text", key));
            return {};
        }
        for (const auto& kv : *v) {
            if (kv.first.Scalar() != "zh" && kv.first.Scalar() != "en") {
                ck_.At(kv.first, fmt::format("{}: '{}' has an unknown key '{}'", what_, key, kv.first.Scalar()));
            }
        }
        Bilingual out;
        for (auto [lang, slot] : {std::pair{"zh", &out.zh}, std::pair{"en", &out.en}}) {
            YAML::Node t = (*v)[lang];
            if (t.IsDefined() && t.IsScalar() && !t.Scalar().empty()) {
                *slot = t.Scalar();
            } else {
                Problem(key, fmt::format("'{}' has no {} text", key, lang));
            }
        }
        return out;
    }

    // The items of a sequence (empty when missing or wrong).
    std::vector<YAML::Node> List(std::string_view key, bool allow_empty) const {
        auto v = Value(key);
        std::vector<YAML::Node> items;
        if (!v) return items;
        if (!v->IsSequence()) {
            Problem(key, fmt::format("'{}' must be a list", key));
            return items;
        }
        for (const auto& item : *v) items.push_back(item);
        if (items.empty() && !allow_empty) Problem(key, fmt::format("'{}' must not be empty", key));
        return items;
    }

  private:
    Checker& ck_;
    const YAML::Node node_;
    std::string what_;
    bool is_map_ = false;
};

// The `id` of a mapping, for labelling its problems before it is checked.
std::string IdOf(const YAML::Node& node) {
    if (node.IsMap()) {
        YAML::Node id = node["id"];
        if (id.IsDefined() && id.IsScalar()) return id.Scalar();
    }
    return "?";
}

// ------------------------------------------------------------------------------------------ parsing

// Everything the checks share while the file is read. Uniqueness maps hold value → first line.
struct ParseState {
    ParseState(Checker& checker, SandboxData& out) : ck(checker), data(out) {}

    Checker& ck;
    SandboxData& data;
    std::optional<Window> window;  // nullopt when reference_date itself is bad
    std::map<std::string, int> ids;
    std::map<std::string, int> numbers;  // account and card numbers
    std::map<std::string, int> last4s;
    std::map<std::string, int> phones;
    std::map<std::string, int> emails;
    std::map<std::string, int> documents;  // ID numbers and passports
    std::map<std::string, int> references;
    std::map<std::string, const SandboxMerchant*> merchants;

    // Records `value`; reports a duplicate at the later of the two lines (sections are not read in file order).
    // `shown` names the value in the message ("" for sensitive values).
    void Unique(std::map<std::string, int>& seen, const std::string& value, int line, std::string_view what,
                std::string_view shown) {
        if (value.empty()) return;
        auto [it, fresh] = seen.emplace(value, line);
        if (fresh) return;
        int first = std::min(it->second, line);
        int later = std::max(it->second, line);
        it->second = first;
        ck.At(later, shown.empty() ? fmt::format("duplicate {} (first at line {})", what, first)
                                   : fmt::format("duplicate {} '{}' (first at line {})", what, shown, first));
    }

    const SandboxAccount* Account(const std::string& customer, const std::string& id) const {
        for (const auto& a : data.accounts) {
            if (a.customer_id == customer && a.account.id == id) return &a;
        }
        return nullptr;
    }
    const SandboxCard* Card(const std::string& customer, const std::string& id) const {
        for (const auto& c : data.cards) {
            if (c.customer_id == customer && c.card.id == id) return &c;
        }
        return nullptr;
    }
    bool InWindow(const std::string& date) const {
        return window && !date.empty() && window->Contains(*ParseDate(date));
    }
};

void ParseMerchant(ParseState& st, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("merchant {}", IdOf(node)), {"id", "name", "category", "country", "currency"});
    SandboxMerchant m;
    m.id = f.Text("id");
    if (!m.id.empty() && !IsIdText(m.id, "_")) f.Problem("id", "'id' must match [a-z0-9_]+");
    st.Unique(st.ids, m.id, f.LineOf("id"), "id", m.id);
    m.name = f.Text2("name");
    m.category = f.Enum("category", {"online_shopping", "groceries", "dining", "transport", "travel", "utilities",
                                     "entertainment", "education", "healthcare", "cash_withdrawal", "foreign"});
    m.country = f.Text("country");
    if (!m.country.empty() && (m.country.size() != 2 || !std::all_of(m.country.begin(), m.country.end(),
                                                                     [](char c) { return c >= 'A' && c <= 'Z'; }))) {
        f.Problem("country", "'country' must be an ISO 3166 alpha-2 code");
    }
    m.currency = f.Enum("currency", {"CNY", "USD", "HKD", "JPY"});
    if (!m.country.empty() && !m.currency.empty() && (m.country == "CN") != (m.currency == "CNY")) {
        f.Problem("currency", "CN merchants bill in CNY and all others in a foreign currency");
    }
    st.data.merchants.push_back(std::move(m));
}

// `suits` as a JSON object (key order as in the file).
std::string ParseSuits(ParseState& st, const Fields& product) {
    auto node = product.Value("suits");
    if (!node) return "{}";
    Fields f(st.ck, *node, product.what() + " suits", {},
             {"min_idle_balance", "foreign_spend_per_month", "segment", "min_monthly_income", "holds_currency",
              "age_range", "no_credit_card"});
    if (!node->IsMap()) return "{}";
    if (node->size() == 0) product.Problem("suits", "'suits' needs at least one key");
    boost::json::object out;
    for (const auto& kv : *node) {
        const std::string& key = kv.first.Scalar();
        if (key == "min_idle_balance" || key == "min_monthly_income") {
            out[key] = FormatCents(f.Money(key));
        } else if (key == "foreign_spend_per_month") {
            out[key] = f.Int(key, 1, 1000);
        } else if (key == "holds_currency") {
            out[key] = f.Enum(key, {"CNY", "USD"});
        } else if (key == "no_credit_card") {
            if (!f.Bool(key)) f.Problem(key, "'no_credit_card' can only be true");
            out[key] = true;
        } else if (key == "segment") {
            boost::json::array segments;
            for (const auto& s : kv.second.IsSequence() ? std::vector<YAML::Node>(kv.second.begin(), kv.second.end())
                                                        : std::vector<YAML::Node>{kv.second}) {
                if (s.IsScalar() && Contains({"mass", "affluent", "private"}, s.Scalar())) {
                    segments.emplace_back(s.Scalar());
                } else {
                    st.ck.At(
                        s, fmt::format("{}: 'segment' must be mass | affluent | private, or a list of them", f.what()));
                }
            }
            out[key] = std::move(segments);
        } else if (key == "age_range") {
            const YAML::Node& r = kv.second;
            int lo = -1;
            int hi = -1;
            try {
                if (r.IsSequence() && r.size() == 2) {
                    lo = r[0].as<int>();
                    hi = r[1].as<int>();
                }
            } catch (const YAML::Exception&) {
                lo = -1;
            }
            if (lo < 0 || hi < lo) {
                f.Problem(key, "'age_range' must be [min, max] with min <= max");
            }
            out[key] = boost::json::array{lo, hi};
        }
    }
    return boost::json::serialize(out);
}

void ParseProduct(ParseState& st, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("product {}", IdOf(node)),
             {"id", "type", "name", "risk", "min_amount", "rate", "currency", "description", "suits"});
    SandboxProduct p;
    Product& pr = p.product;
    pr.id = f.Text("id");
    if (!pr.id.empty() && !(pr.id.starts_with("p-") && IsIdText(pr.id.substr(2), "-"))) {
        f.Problem("id", "'id' must be p- followed by [a-z0-9-]+");
    }
    st.Unique(st.ids, pr.id, f.LineOf("id"), "id", pr.id);
    pr.type = f.Enum("type", {"deposit", "wealth", "card", "loan", "insurance"});
    pr.name = f.Text2("name");
    pr.risk = f.Enum("risk", {"R1", "R2", "R3", "R4", "R5"});
    pr.currency = f.Enum("currency", {"CNY", "USD"});
    pr.min_amount = Money{f.Money("min_amount"), pr.currency};
    if (auto rate = f.NullableText("rate")) {
        auto dot = rate->find('.');
        bool shaped = rate->ends_with("%") && dot != std::string::npos && dot + 4 == rate->size() &&
                      AllDigits(rate->substr(0, dot)) && AllDigits(rate->substr(dot + 1, 2));
        if (!shaped) f.Problem("rate", "'rate' must look like \"1.20%\", or be null");
        pr.rate = *rate;
    }
    pr.description = f.Text2("description");
    p.suits_json = ParseSuits(st, f);
    st.data.products.push_back(std::move(p));
}

// Identity: phone, e-mail, ID number or passport (exactly one), birth date inside the ID number.
void ParseIdentity(ParseState& st, const Fields& f, SandboxCustomer& c) {
    CustomerProfile& p = c.profile;
    p.phone = f.Text("phone");
    if (!p.phone.empty() && !(p.phone.size() == 14 && p.phone.starts_with("+861") && AllDigits(p.phone.substr(1)))) {
        f.Problem("phone", "'phone' must be +86 followed by an 11-digit mobile number");
    }
    st.Unique(st.phones, p.phone, f.LineOf("phone"), "phone", "");
    c.email = f.Text("email");
    if (!c.email.empty() && (!c.email.ends_with("@example.com") || c.email.size() <= 12)) {
        f.Problem("email", "'email' must be an @example.com address");
    }
    st.Unique(st.emails, c.email, f.LineOf("email"), "email", "");

    if (!f.IsNull("id_number") && f.Value("id_number")) {
        std::string id = f.Text("id_number");
        bool shaped = id.size() == 18 && AllDigits(id.substr(0, 17)) && (AllDigits(id.substr(17)) || id[17] == 'X');
        if (!shaped) {
            f.Problem("id_number", "'id_number' must be 17 digits and a check character (0-9 or X)");
        } else if (IdCheckCharacter(id) != id[17]) {
            f.Problem("id_number", "'id_number' has a wrong check character (ISO 7064 MOD 11-2)");
        } else if (!p.birth_date.empty() && id.substr(6, 8) != p.birth_date.substr(0, 4) + p.birth_date.substr(5, 2) +
                                                                   p.birth_date.substr(8, 2)) {
            f.Problem("id_number", "'id_number' does not carry the customer's birth_date");
        }
        c.id_number = id;
        st.Unique(st.documents, id, f.LineOf("id_number"), "ID number", "");
    }
    if (auto passport = f.NullableText("passport")) {
        if (!std::all_of(passport->begin(), passport->end(),
                         [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'); })) {
            f.Problem("passport", "'passport' must be upper-case letters and digits");
        }
        c.passport = *passport;
        st.Unique(st.documents, *passport, f.LineOf("passport"), "passport", "");
    }
    if (f.Value("id_number") && f.Value("passport") && c.id_number.has_value() == c.passport.has_value()) {
        f.Problem("passport", "exactly one of 'id_number' and 'passport' must be set");
    }
}

void ParseAccount(ParseState& st, const SandboxCustomer& c, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("account {}", IdOf(node)),
             {"id", "number", "type", "currency", "balance", "opened", "status"});
    SandboxAccount a;
    a.customer_id = c.profile.id;
    Account& acc = a.account;
    acc.id = f.Text("id");
    if (!acc.id.empty() && !IsIdText(acc.id, "")) f.Problem("id", "'id' must match [a-z0-9]+");
    st.Unique(st.ids, acc.id, f.LineOf("id"), "id", acc.id);
    acc.number = f.Digits("number", {19});
    acc.last4 = acc.number.size() >= 4 ? acc.number.substr(acc.number.size() - 4) : "";
    st.Unique(st.numbers, acc.number, f.LineOf("number"), "account or card number", "");
    acc.type = f.Enum("type", {"savings", "current", "fixed_deposit"});
    acc.balance = Money{f.Money("balance"), f.Enum("currency", {"CNY", "USD"})};
    acc.opened = f.Date("opened");
    acc.status = f.Enum("status", {"active", "dormant", "closed"});
    if (acc.status == "closed" && acc.balance.cents != 0) f.Problem("balance", "a closed account has a zero balance");
    auto opened = ParseDate(acc.opened);
    auto born = ParseDate(c.profile.birth_date);
    if (opened && born && *opened < AddMonths(*born, 16 * 12)) {
        f.Problem("opened", "'opened' must be after the holder's 16th birthday");
    }
    if (opened && st.window && *opened > st.window->ref) f.Problem("opened", "'opened' is after reference_date");
    st.data.accounts.push_back(std::move(a));
}

// The credit fields: all null on a debit card, all set (and consistent) on a credit card.
void ParseCreditFields(const Fields& f, SandboxCard& k) {
    for (std::string_view key : {"credit_limit", "statement_day", "due_day", "current_balance", "minimum_due"}) {
        if (!f.Value(key)) continue;
        if (k.card.kind == "debit" && !f.IsNull(key))
            f.Problem(key, fmt::format("a debit card's '{}' must be null", key));
        if (k.card.kind == "credit" && f.IsNull(key))
            f.Problem(key, fmt::format("a credit card's '{}' must be set", key));
    }
    if (k.card.kind != "credit") return;
    auto limit = f.NullableMoney("credit_limit");
    auto owed = f.NullableMoney("current_balance");
    auto minimum = f.NullableMoney("minimum_due");
    k.statement_day = f.NullableInt("statement_day", 1, 28).value_or(0);
    k.due_day = f.NullableInt("due_day", 1, 28).value_or(0);
    if (limit) k.card.credit_limit = Money{*limit, "CNY"};
    if (owed) k.card.statement_balance = Money{*owed, "CNY"};
    if (minimum) k.card.minimum_due = Money{*minimum, "CNY"};
    if (limit && owed && *owed > *limit) f.Problem("current_balance", "'current_balance' is above 'credit_limit'");
    if (owed && minimum && *minimum != (*owed + 5) / 10) {
        f.Problem("minimum_due", "'minimum_due' must be 10% of 'current_balance', rounded half up");
    }
    // FAQ cc-billing-cycle: due 20 days after the statement; the same month for statement days 1-8, else the next.
    if (k.statement_day > 0 && k.due_day > 0) {
        int expected = k.statement_day <= 8 ? k.statement_day + 20 : k.statement_day - 10;
        if (k.due_day != expected) f.Problem("due_day", "'due_day' must be 20 days after 'statement_day'");
    }
}

void ParseCard(ParseState& st, const SandboxCustomer& c, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("card {}", IdOf(node)),
             {"id", "kind", "number", "account", "status", "expires", "credit_limit", "statement_day", "due_day",
              "current_balance", "minimum_due"});
    SandboxCard k;
    k.customer_id = c.profile.id;
    Card& card = k.card;
    card.id = f.Text("id");
    if (!card.id.empty() && !IsIdText(card.id, "")) f.Problem("id", "'id' must match [a-z0-9]+");
    st.Unique(st.ids, card.id, f.LineOf("id"), "id", card.id);
    card.kind = f.Enum("kind", {"debit", "credit"});
    k.number = f.Digits("number", {16, 19});
    if (!k.number.empty()) {
        bool prefix = (k.number.starts_with("622202") && k.number.size() == 19) || k.number.starts_with("625094") ||
                      k.number.starts_with("411111") || k.number.starts_with("555555");
        if (!prefix) f.Problem("number", "'number' must start with a test prefix (622202, 625094, 411111, 555555)");
        if (!LuhnValid(k.number)) f.Problem("number", "'number' fails the Luhn check");
        card.last4 = k.number.substr(k.number.size() - 4);
        st.Unique(st.numbers, k.number, f.LineOf("number"), "account or card number", "");
        st.Unique(st.last4s, card.last4, f.LineOf("number"), "card last four digits", card.last4);
    }
    if (card.kind == "debit") {
        card.account_id = f.Text("account");
        const SandboxAccount* a = st.Account(c.profile.id, card.account_id);
        if (!card.account_id.empty() && (!a || a->account.type == "fixed_deposit")) {
            f.Problem("account",
                      fmt::format("'account' must be one of {}'s savings or current accounts", c.profile.id));
        }
    } else if (card.kind == "credit" && !f.IsNull("account") && f.Value("account")) {
        f.Problem("account", "a credit card's 'account' must be null");
    }
    card.status = f.Enum("status", {"active", "frozen", "lost", "stolen", "expired"});
    card.expires = f.Text("expires");
    auto expires = ParseMonth(card.expires);
    if (!card.expires.empty() && !expires) f.Problem("expires", "'expires' must be YYYY-MM");
    if (expires && st.window && !card.status.empty()) {
        chr::year_month_day ref{st.window->ref};
        bool past = *expires < chr::year_month{ref.year(), ref.month()};
        if (past != (card.status == "expired")) {
            f.Problem("status", past ? "the card expired before reference_date, so 'status' must be expired"
                                     : "'status' is expired but 'expires' is not before reference_date's month");
        }
    }
    ParseCreditFields(f, k);
    st.data.cards.push_back(std::move(k));
}

// An account that income, spending or a transfer may use: the customer's own, active, not a fixed deposit.
bool IsUsableAccount(const SandboxAccount* a) {
    return a && a->account.status == "active" && a->account.type != "fixed_deposit";
}

void ParseIncome(ParseState& st, const SandboxCustomer& c, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("{} income", c.profile.id), {"description", "amount", "day", "account"});
    SandboxIncome in;
    in.customer_id = c.profile.id;
    in.description = f.Text2("description");
    in.day = f.Int("day", 1, 28);
    in.account_id = f.Text("account");
    const SandboxAccount* a = st.Account(c.profile.id, in.account_id);
    if (!in.account_id.empty() && !IsUsableAccount(a)) {
        f.Problem("account",
                  fmt::format("'account' must be one of {}'s active savings or current accounts", c.profile.id));
    }
    in.amount = Money{f.Money("amount"), a ? a->account.balance.currency : "CNY"};
    st.data.income.push_back(std::move(in));
}

// A card that spending or an extra transaction may use: the customer's own, not expired, and (debit) on an
// active account.
void CheckSpendingCard(const ParseState& st, const Fields& f, const SandboxCustomer& c, const std::string& card_id) {
    if (card_id.empty()) return;
    const SandboxCard* k = st.Card(c.profile.id, card_id);
    if (!k) {
        f.Problem("card", fmt::format("'card' must be one of {}'s cards", c.profile.id));
    } else if (k->card.status == "expired") {
        f.Problem("card", "'card' is expired");
    } else if (const SandboxAccount* a = st.Account(c.profile.id, k->card.account_id);
               k->card.kind == "debit" && a && !IsUsableAccount(a)) {
        f.Problem("card", "the debit card's account is not active");
    }
}

std::string MerchantRef(const ParseState& st, const Fields& f) {
    std::string id = f.Text("merchant");
    if (!id.empty() && !st.merchants.contains(id)) f.Problem("merchant", fmt::format("unknown merchant '{}'", id));
    return id;
}

void ParseSpending(ParseState& st, const SandboxCustomer& c, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("{} spending", c.profile.id), {"merchant", "per_month", "min", "max", "card"});
    SandboxSpending s;
    s.customer_id = c.profile.id;
    s.merchant_id = MerchantRef(st, f);
    std::string currency = st.merchants.contains(s.merchant_id) ? st.merchants.at(s.merchant_id)->currency : "CNY";
    s.per_month = f.Int("per_month", 1, 1000);
    s.min = Money{f.Money("min"), currency};
    s.max = Money{f.Money("max"), currency};
    if (s.min.cents <= 0 || s.min.cents > s.max.cents) f.Problem("max", "need 0 < 'min' <= 'max'");
    s.card_id = f.Text("card");
    CheckSpendingCard(st, f, c, s.card_id);
    st.data.spending.push_back(std::move(s));
}

void ParseTransfer(ParseState& st, const SandboxCustomer& c, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("{} transfer", c.profile.id),
             {"reference", "date", "to_name", "to_account_tail", "amount", "currency", "status", "channel"},
             {"reason"});
    SandboxTransfer t;
    t.customer_id = c.profile.id;
    Transfer& tr = t.transfer;
    tr.reference = f.Text("reference");
    tr.date = f.Date("date");
    std::string compact = tr.date.empty() ? "" : tr.date.substr(0, 4) + tr.date.substr(5, 2) + tr.date.substr(8, 2);
    if (!tr.reference.empty() &&
        (tr.reference.size() != 16 || !tr.reference.starts_with("TR") || !AllDigits(tr.reference.substr(2)) ||
         (!compact.empty() && tr.reference.substr(2, 8) != compact))) {
        f.Problem("reference", "'reference' must be TR, the date as yyyymmdd, and 6 digits");
    }
    st.Unique(st.references, tr.reference, f.LineOf("reference"), "transfer reference", tr.reference);
    if (!tr.date.empty() && !st.InWindow(tr.date)) f.Problem("date", "'date' is outside the six-month window");
    tr.to_name = f.Text2("to_name");
    tr.to_account_tail = f.Digits("to_account_tail", {4});
    tr.amount = Money{f.Money("amount"), f.Enum("currency", {"CNY", "USD"})};
    tr.status = f.Enum("status", {"completed", "pending", "failed", "returned"});
    tr.channel = f.Enum("channel", {"mobile", "online", "branch", "phone"});
    if (tr.channel == "mobile" && !c.profile.app_user) {
        f.Problem("channel", "a customer without the app never transfers through the mobile channel");
    }
    bool needs_reason = tr.status == "failed" || tr.status == "returned";
    if (needs_reason && !f.Value("reason"))
        f.Problem("status", fmt::format("a {} transfer needs a 'reason'", tr.status));
    if (!needs_reason && f.Value("reason")) f.Problem("reason", "only failed and returned transfers have a 'reason'");
    if (needs_reason && f.Value("reason")) tr.reason = f.Text2("reason");
    // Paid from the first listed account that is active, not a fixed deposit and in the transfer's currency.
    for (const auto& a : st.data.accounts) {
        if (a.customer_id == c.profile.id && IsUsableAccount(&a) && a.account.balance.currency == tr.amount.currency) {
            t.account_id = a.account.id;
            break;
        }
    }
    if (t.account_id.empty() && !tr.amount.currency.empty()) {
        f.Problem("currency", fmt::format("{} has no active savings or current account in {} to pay it from",
                                          c.profile.id, tr.amount.currency));
    }
    st.data.transfers.push_back(std::move(t));
}

void ParseExtra(ParseState& st, const SandboxCustomer& c, const YAML::Node& node) {
    Fields f(st.ck, node, fmt::format("{} extra transaction", c.profile.id), {"date", "merchant", "amount", "card"});
    SandboxExtraTransaction x;
    x.customer_id = c.profile.id;
    x.date = f.Date("date");
    if (!x.date.empty() && !st.InWindow(x.date)) f.Problem("date", "'date' is outside the six-month window");
    x.merchant_id = MerchantRef(st, f);
    std::string currency = st.merchants.contains(x.merchant_id) ? st.merchants.at(x.merchant_id)->currency : "CNY";
    x.amount = Money{f.Money("amount"), currency};
    x.card_id = f.Text("card");
    CheckSpendingCard(st, f, c, x.card_id);
    st.data.extra_transactions.push_back(std::move(x));
}

// The segment follows assets under management: every account, converted to CNY at the demo rates.
void CheckSegment(ParseState& st, const Fields& f, const SandboxCustomer& c) {
    std::int64_t aum = 0;
    for (const auto& a : st.data.accounts) {
        if (a.customer_id != c.profile.id) continue;
        aum += ConvertCents(a.account.balance.cents, a.account.balance.currency, "CNY").value_or(0);
    }
    const std::string expected = aum < 500'000 * kCentsPerCny     ? "mass"
                                 : aum < 6'000'000 * kCentsPerCny ? "affluent"
                                                                  : "private";
    if (!c.profile.segment.empty() && c.profile.segment != expected) {
        f.Problem("segment", fmt::format("'segment' must be {} for assets of CNY {}", expected, FormatCents(aum)));
    }
}

void ParseCustomer(ParseState& st, const YAML::Node& node) {
    Fields f(
        st.ck, node, fmt::format("customer {}", IdOf(node)),
        {"id", "name", "preferred_language", "birth_date", "phone", "id_number", "passport", "email", "risk_level",
         "segment", "marketing_opt_out", "app_user", "accounts", "cards", "income", "spending", "transfers", "notes"},
        {"extra_transactions"});
    SandboxCustomer c;
    CustomerProfile& p = c.profile;
    p.id = f.Text("id");
    if (!p.id.empty() && !IsIdText(p.id, "")) f.Problem("id", "'id' must match [a-z0-9]+");
    st.Unique(st.ids, p.id, f.LineOf("id"), "id", p.id);
    p.name = f.Text2("name");
    p.preferred_language = f.Enum("preferred_language", {"zh", "en"});
    p.birth_date = f.Date("birth_date");
    ParseIdentity(st, f, c);
    p.risk_level = f.Enum("risk_level", {"R1", "R2", "R3", "R4", "R5"});
    p.segment = f.Enum("segment", {"mass", "affluent", "private"});
    p.marketing_opt_out = f.Bool("marketing_opt_out");
    p.app_user = f.Bool("app_user");
    c.notes = f.Text2("notes");
    // In dependency order: cards refer to accounts; income, spending and transfers to both.
    for (const auto& n : f.List("accounts", false)) ParseAccount(st, c, n);
    for (const auto& n : f.List("cards", true)) ParseCard(st, c, n);
    for (const auto& n : f.List("income", true)) ParseIncome(st, c, n);
    for (const auto& n : f.List("spending", true)) ParseSpending(st, c, n);
    for (const auto& n : f.List("transfers", true)) ParseTransfer(st, c, n);
    for (const auto& n : f.List("extra_transactions", true)) ParseExtra(st, c, n);
    CheckSegment(st, f, c);
    st.data.customers.push_back(std::move(c));
}

void ParseDocument(ParseState& st, const YAML::Node& root) {
    Fields f(st.ck, root, "the file", {"version", "reference_date", "customers", "merchants", "products"});
    if (f.Value("version")) f.Int("version", 1, 1);
    st.data.reference_date = f.Date("reference_date");
    if (auto ref = ParseDate(st.data.reference_date)) st.window = Window{*ref, AddMonths(*ref, -6) + chr::days{1}};
    // Merchants first: customers refer to them.
    for (const auto& n : f.List("merchants", false)) ParseMerchant(st, n);
    for (const auto& m : st.data.merchants) st.merchants.emplace(m.id, &m);
    for (const auto& n : f.List("customers", false)) ParseCustomer(st, n);
    for (const auto& n : f.List("products", true)) ParseProduct(st, n);
}

// ---------------------------------------------------------------------------------------- generation

// Builds each customer's transactions in reference-date time, oldest first, with ids and running balances.
class Generator {
  public:
    explicit Generator(SandboxData& data, Window window) : data_(data), window_(window) {
        for (const auto& a : data.accounts) accounts_[a.account.id] = &a;
        for (const auto& k : data.cards) cards_[k.card.id] = &k;
        for (const auto& m : data.merchants) merchants_[m.id] = &m;
    }

    void Run() {
        for (const auto& c : data_.customers) {
            drafts_.clear();
            const std::string& id = c.profile.id;
            AddIncome(id);
            AddSpending(id);
            AddTransfers(id);
            AddExtras(id);
            Finish(id);
        }
    }

  private:
    void Add(Transaction t) { drafts_.push_back(std::move(t)); }

    void AddIncome(const std::string& customer) {
        int index = 0;
        for (const auto& in : data_.income) {
            if (in.customer_id != customer) continue;
            // Every month touching the window; the day falls inside it in exactly six of them.
            chr::year_month_day first{window_.first};
            chr::year_month_day last{window_.ref};
            for (chr::year_month month{first.year(), first.month()}; month <= last.year() / last.month();
                 month += chr::months{1}) {
                Days day{month / chr::day{static_cast<unsigned>(in.day)}};
                if (!window_.Contains(day)) continue;
                SplitMix64 rng(fmt::format("{}|income|{}|{}", customer, index, FormatDate(day)));
                Transaction t;
                t.account_id = in.account_id;
                t.time = FormatTime(day, rng.Seconds(7, 10));
                t.amount = in.amount;
                t.kind = "income";
                t.description = in.description;
                Add(std::move(t));
            }
            ++index;
        }
    }

    Transaction CardDebit(const SandboxCard& card, const SandboxMerchant& m, std::int64_t merchant_cents, Days day,
                          int seconds) const {
        Transaction t;
        t.card_id = card.card.id;
        bool debit = card.card.kind == "debit";
        t.account_id = debit ? card.card.account_id : "";
        // Debit cards post in their account's currency, credit cards in CNY.
        std::string posted = debit ? accounts_.at(card.card.account_id)->account.balance.currency : "CNY";
        t.amount = Money{-ConvertCents(merchant_cents, m.currency, posted).value_or(0), posted};
        if (posted != m.currency) t.original = Money{-merchant_cents, m.currency};
        t.time = FormatTime(day, seconds);
        t.kind = "card";
        t.merchant_id = m.id;
        t.category = m.category;
        t.description = m.name;
        return t;
    }

    // per_month draws in each of six one-month periods (ref − 6 + p months, ref − 5 + p months].
    void AddSpending(const std::string& customer) {
        int index = 0;
        for (const auto& s : data_.spending) {
            if (s.customer_id != customer) continue;
            const SandboxCard& card = *cards_.at(s.card_id);
            const SandboxMerchant& m = *merchants_.at(s.merchant_id);
            const std::string& status = card.card.status;
            // A blocked card gets nothing after reference_date − 3 days, so nothing appears after the block.
            bool blocked = status == "frozen" || status == "lost" || status == "stolen";
            for (int period = 0; period < 6; ++period) {
                Days after = AddMonths(window_.ref, period - 6);
                Days last = AddMonths(window_.ref, period - 5);
                if (blocked) last = std::min(last, window_.ref - chr::days{3});
                std::int64_t span = (last - after).count();
                if (span <= 0) continue;
                SplitMix64 rng(fmt::format("{}|spending|{}|{}", customer, index, period));
                for (int i = 0; i < s.per_month; ++i) {
                    Days day = after + chr::days{rng.Between(1, span)};
                    std::int64_t cents = rng.Between(s.min.cents, s.max.cents);
                    Add(CardDebit(card, m, cents, day, rng.Seconds(7, 23)));
                }
            }
            ++index;
        }
    }

    void AddTransfers(const std::string& customer) {
        for (const auto& st : data_.transfers) {
            const Transfer& tr = st.transfer;
            // failed: the money was returned at once, nothing posted (FAQ xfer-failed-refund).
            if (st.customer_id != customer || tr.status == "failed") continue;
            Days day = *ParseDate(tr.date);
            SplitMix64 rng(tr.reference);
            Transaction t;
            t.account_id = st.account_id;
            t.time = FormatTime(day, rng.Seconds(8, 22));
            t.amount = Money{-tr.amount.cents, tr.amount.currency};
            t.kind = "transfer";
            t.description = Bilingual{"转账给 " + tr.to_name.zh, "Transfer to " + tr.to_name.en};
            Add(t);
            Days back = day + chr::days{2};
            if (tr.status == "returned" && back <= window_.ref) {
                t.time = FormatTime(back, rng.Seconds(8, 22));
                t.amount.cents = tr.amount.cents;
                t.kind = "transfer_return";
                t.description = tr.reason.value_or(Bilingual{});
                Add(std::move(t));
            }
        }
    }

    void AddExtras(const std::string& customer) {
        for (const auto& x : data_.extra_transactions) {
            if (x.customer_id != customer) continue;
            // Seeded from the entry's content alone: identical entries get the same time, like a duplicate charge.
            SplitMix64 rng(
                fmt::format("{}|extra|{}|{}|{}|{}", customer, x.date, x.merchant_id, x.amount.cents, x.card_id));
            Add(CardDebit(*cards_.at(x.card_id), *merchants_.at(x.merchant_id), x.amount.cents, *ParseDate(x.date),
                          rng.Seconds(7, 23)));
        }
    }

    // Orders by time (ties keep generation order), names them, and walks balances back from the reference date.
    void Finish(const std::string& customer) {
        std::stable_sort(drafts_.begin(), drafts_.end(),
                         [](const Transaction& a, const Transaction& b) { return a.time < b.time; });
        std::size_t first = data_.transactions.size();
        int seq = 0;
        for (auto& t : drafts_) {
            t.id = fmt::format("tx-{}-{:05}", customer, ++seq);
            data_.transactions.push_back(SandboxTransaction{customer, std::move(t), std::nullopt});
        }
        std::map<std::string, std::int64_t> running;
        for (const auto& a : data_.accounts) {
            if (a.customer_id == customer) running[a.account.id] = a.account.balance.cents;
        }
        for (std::size_t i = data_.transactions.size(); i-- > first;) {
            auto& st = data_.transactions[i];
            if (st.transaction.account_id.empty()) continue;
            std::int64_t& balance = running[st.transaction.account_id];
            st.balance_after_cents = balance;
            balance -= st.transaction.amount.cents;
        }
    }

    SandboxData& data_;
    Window window_;
    std::map<std::string, const SandboxAccount*> accounts_;
    std::map<std::string, const SandboxCard*> cards_;
    std::map<std::string, const SandboxMerchant*> merchants_;
    std::vector<Transaction> drafts_;  // the current customer's
};

// The latest statement on or before `today`, and its due date (the same month if due_day is later, else the next).
void SetStatementDates(SandboxCard& k, Days today) {
    if (k.card.kind != "credit" || k.statement_day <= 0 || k.due_day <= 0) return;
    chr::year_month_day t{today};
    chr::year_month_day statement{t.year(), t.month(), chr::day{static_cast<unsigned>(k.statement_day)}};
    if (Days{statement} > today) statement = statement - chr::months{1};
    chr::year_month_day due{statement.year(), statement.month(), chr::day{static_cast<unsigned>(k.due_day)}};
    if (k.due_day <= k.statement_day) due = due + chr::months{1};
    k.card.statement_date = FormatDate(Days{statement});
    k.card.due_date = FormatDate(Days{due});
}

// Moves every date by as_of − reference_date whole days (not expiry, birth dates or references).
void ShiftTo(SandboxData& d, Days ref, Days as_of) {
    chr::days delta = as_of - ref;
    d.as_of = FormatDate(as_of);
    for (auto& k : d.cards) SetStatementDates(k, as_of);
    if (delta.count() == 0) return;
    for (auto& a : d.accounts) a.account.opened = ShiftDate(a.account.opened, delta);
    for (auto& t : d.transfers) t.transfer.date = ShiftDate(t.transfer.date, delta);
    for (auto& x : d.extra_transactions) x.date = ShiftDate(x.date, delta);
    for (auto& t : d.transactions) {
        std::string& time = t.transaction.time;
        time = ShiftDate(time.substr(0, 10), delta) + time.substr(10);
    }
}

Result<SandboxData> Reject(const Checker& ck, std::string_view file, std::vector<std::string>* problems) {
    auto list = ck.Formatted(file);
    std::string message =
        fmt::format("{} has {} problem{}; the first: {}", file, list.size(), list.size() == 1 ? "" : "s", list.front());
    if (problems) *problems = std::move(list);
    return Error{ErrorCode::kImportInvalid, std::move(message)};
}

}  // namespace

std::optional<std::int64_t> ConvertCents(std::int64_t cents, std::string_view from, std::string_view to) {
    if (from == to) return cents;
    auto rate_from = MilliCnyPerUnit(from);
    auto rate_to = MilliCnyPerUnit(to);
    if (!rate_from || !rate_to) return std::nullopt;
    // Half up on the magnitude, so a debit converts exactly like the matching credit.
    std::int64_t magnitude = (cents < 0 ? -cents : cents) * *rate_from;
    std::int64_t rounded = (2 * magnitude + *rate_to) / (2 * *rate_to);
    return cents < 0 ? -rounded : rounded;
}

Result<SandboxData> ParseSandbox(std::string_view yaml, std::string_view file, const SandboxLoadOptions& options,
                                 std::vector<std::string>* problems) {
    if (problems) problems->clear();
    std::optional<Days> as_of;
    if (!options.as_of.empty()) {
        as_of = ParseDate(options.as_of);
        if (!as_of) return Error{ErrorCode::kInvalidArgument, "as_of must be a date, YYYY-MM-DD"};
    }
    Checker ck;
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        ck.At(e.mark.line + 1, "not valid YAML: " + e.msg);
        return Reject(ck, file, problems);
    }
    SandboxData data;
    data.fingerprint = Sha256Hex(yaml);
    ParseState st(ck, data);
    ParseDocument(st, root);
    if (!ck.ok()) return Reject(ck, file, problems);

    Generator(data, *st.window).Run();
    ShiftTo(data, st.window->ref, as_of.value_or(st.window->ref));
    return data;
}

Result<SandboxData> LoadSandboxFile(const std::string& path, const SandboxLoadOptions& options,
                                    std::vector<std::string>* problems) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::kNotFound, fmt::format("cannot read the sandbox file {}", path)};
    std::ostringstream text;
    text << in.rdbuf();
    return ParseSandbox(text.str(), path, options, problems);
}

}  // namespace kefu::banking
