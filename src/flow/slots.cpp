#include "flow/slots.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace kefu::flow {

namespace json = boost::json;

namespace {

bool Has(std::string_view text, std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(),
                       [&](std::string_view w) { return text.find(w) != std::string_view::npos; });
}

// Whole-word match for ASCII words, substring for Chinese.
bool HasWord(std::string_view text, std::string_view w) {
    bool ascii = std::all_of(w.begin(), w.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    for (std::size_t pos = text.find(w); pos != std::string_view::npos; pos = text.find(w, pos + 1)) {
        if (!ascii) return true;
        bool left = pos == 0 || !std::isalnum(static_cast<unsigned char>(text[pos - 1]));
        std::size_t end = pos + w.size();
        bool right = end >= text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
        if (left && right) return true;
    }
    return false;
}

bool HasAnyWord(std::string_view text, std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return HasWord(text, w); });
}

bool IntentIs(const Turn& t, std::string_view intent, double min_confidence = 0.5) {
    return t.u.intent == intent && t.u.confidence >= min_confidence;
}

// 0-based ordinal the text names ("第二张", "the second one"), or -1.
int Ordinal(std::string_view text) {
    // Plain arrays: an initializer_list in a static table would point at a temporary array.
    static constexpr std::string_view kOrdinals[][3] = {
        {"第一", "first", "1st"}, {"第二", "second", "2nd"}, {"第三", "third", "3rd"}, {"第四", "fourth", "4th"}};
    for (int n = 0; n < 4; ++n) {
        for (std::string_view w : kOrdinals[n]) {
            if (HasWord(text, w)) return n;
        }
    }
    return -1;
}

std::size_t CodePoints(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A short answer ("好的", "yes please", "不用了") rather than a question or a request of its own: only short
// answers are read by their keywords, so "冻结要收费吗" is not a yes.
bool Short(const Turn& t) {
    const std::string& s = t.u.text;
    bool han = std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    if (han) return CodePoints(s) <= 12;
    return std::count(s.begin(), s.end(), ' ') < 6;
}

// The NLU is sure the message is something else (a question, another request).
bool OtherIntent(const Turn& t) {
    static constexpr std::string_view kActs[] = {"affirm", "deny", "cancel", "out_of_scope", "greet", "thanks", ""};
    return t.u.confidence >= 0.6 && std::find(std::begin(kActs), std::end(kActs), t.u.intent) == std::end(kActs);
}

std::string Id(const json::value* v) {
    if (v == nullptr || !v->is_object()) return {};
    const auto* id = v->get_object().if_contains("id");
    return id && id->is_string() ? std::string(id->get_string()) : std::string();
}

template <typename T, typename Pick>
SlotAnswer Choose(const std::vector<T>& candidates, Turn& turn, const json::value* current, bool prompted,
                  const std::optional<std::string>& last4, Pick to_value, bool narrowed) {
    SlotAnswer a;
    if (last4) {
        a.mentioned = true;
        for (const auto& c : candidates) {
            if (c.last4 == *last4) a.value = to_value(c);
        }
        return a;
    }
    std::vector<const T*> pool;
    for (const auto& c : candidates) pool.push_back(&c);
    if (SaysOther(turn) && current != nullptr) {
        a.mentioned = true;
        std::string cur = Id(current);
        std::erase_if(pool, [&](const T* c) { return c->id == cur; });
        if (pool.size() == 1) a.value = to_value(*pool.front());
        return a;
    }
    if (int n = Ordinal(turn.u.text); prompted && n >= 0 && static_cast<std::size_t>(n) < pool.size()) {
        a.value = to_value(*pool[static_cast<std::size_t>(n)]);
        return a;
    }
    // One candidate left (after the kind or currency the customer named): no need to ask.
    if (pool.size() == 1) a.value = to_value(*pool.front());
    a.mentioned = narrowed;
    return a;
}

json::value CardValue(const banking::Card& c) {
    return json::object{
        {"id", c.id}, {"last4", c.last4}, {"kind", c.kind}, {"status", c.status}, {"label", CardLabel(c)}};
}

json::value AccountValue(const banking::Account& a) {
    return json::object{{"id", a.id},
                        {"last4", a.last4},
                        {"type", a.type},
                        {"currency", a.balance.currency},
                        {"label", AccountLabel(a)}};
}

bool StatusOk(const SlotDef& s, const std::string& status) {
    return s.status_filter.empty() ||
           std::find(s.status_filter.begin(), s.status_filter.end(), status) != s.status_filter.end();
}

// A card or account named by its digits is taken whatever its state, so the flow can say "already frozen"
// or "that is not a credit card" instead of offering a different one.
template <typename T, typename ToValue>
SlotAnswer ByLast4(const std::vector<T>& items, const std::string& last4, ToValue to_value) {
    SlotAnswer a;
    a.mentioned = true;
    for (const auto& item : items) {
        if (item.last4 == last4) a.value = to_value(item);
    }
    return a;
}

SlotAnswer ResolveCard(const SlotDef& s, Turn& t, const json::value* current, bool prompted) {
    const auto& cards = t.Cards();
    if (!cards) return {};
    if (auto last4 = FindLast4(t)) return ByLast4(cards.value(), *last4, CardValue);
    std::vector<banking::Card> pool;
    for (const auto& c : cards.value()) {
        if (StatusOk(s, c.status) && (s.kind_filter.empty() || c.kind == s.kind_filter)) pool.push_back(c);
    }
    bool narrowed = false;
    const std::string& text = t.u.text;
    bool credit = Has(text, {"信用卡", "credit"});
    bool debit = Has(text, {"借记卡", "储蓄卡", "debit", "工资卡", "银行卡"}) && !credit;
    if (credit || (debit && !Has(text, {"银行卡"}))) {
        std::erase_if(pool, [&](const banking::Card& c) { return c.kind != (credit ? "credit" : "debit"); });
        narrowed = true;
    }
    // Unless the customer is answering, a single candidate is only taken when the customer has one card (or
    // one card of the kind the flow needs).
    if (!prompted && !narrowed && s.kind_filter.empty() && pool.size() == 1 && cards->size() > 1) {
        bool any_other_active = std::any_of(cards->begin(), cards->end(), [&](const banking::Card& c) {
            return c.id != pool.front().id && c.status == "active";
        });
        if (any_other_active) return {};
    }
    if (!prompted && !narrowed && pool.size() > 1 && !SaysOther(t)) return {};
    return Choose(pool, t, current, prompted, std::nullopt, CardValue, narrowed);
}

SlotAnswer ResolveAccount(const SlotDef& s, Turn& t, const json::value* current, bool prompted) {
    const auto& accounts = t.Accounts();
    if (!accounts) return {};
    if (auto last4 = FindLast4(t)) return ByLast4(accounts.value(), *last4, AccountValue);
    std::vector<banking::Account> pool;
    for (const auto& a : accounts.value()) {
        if (StatusOk(s, a.status) && (s.kind_filter.empty() || a.type == s.kind_filter)) pool.push_back(a);
    }
    const std::string& text = t.u.text;
    bool narrowed = false;
    auto narrow = [&](auto pred) {
        std::erase_if(pool, [&](const banking::Account& a) { return !pred(a); });
        narrowed = true;
    };
    // What the customer named, kept as a filter when several accounts match ("my USD accounts").
    json::object filter;
    json::object label{{"zh", ""}, {"en", ""}};
    if (Has(text, {"美元", "usd", "dollar", "美金"})) {
        narrow([](const auto& a) { return a.balance.currency == "USD"; });
        filter["currency"] = "USD";
        label = {{"zh", "美元"}, {"en", "USD"}};
    }
    if (Has(text, {"人民币", "cny", "rmb"})) {
        narrow([](const auto& a) { return a.balance.currency == "CNY"; });
        filter["currency"] = "CNY";
        label = {{"zh", "人民币"}, {"en", "CNY"}};
    }
    if (Has(text, {"定期", "fixed deposit", "time deposit"})) {
        narrow([](const auto& a) { return a.type == "fixed_deposit"; });
        filter["type"] = "fixed_deposit";
    } else if (Has(text, {"活期", "储蓄", "savings", "current account"})) {
        narrow([](const auto& a) { return a.type != "fixed_deposit"; });
        filter["demand"] = true;
    }
    if (!prompted && !narrowed && !SaysOther(t)) return {};
    SlotAnswer a = Choose(pool, t, current, prompted, std::nullopt, AccountValue, narrowed);
    if (!a.value && narrowed && pool.size() > 1) {
        filter["label"] = json::object{{"zh", std::string(label["zh"].as_string()) + "账户"},
                                       {"en", std::string(label["en"].as_string()) +
                                                  (label["en"].as_string().empty() ? "accounts" : " accounts")}};
        a.value = std::move(filter);
    }
    return a;
}

json::object PeriodValue(const std::string& from, const std::string& to, json::object label) {
    return {{"from", from}, {"to", to}, {"label", std::move(label)}};
}

std::optional<json::value> PeriodFromWords(std::string_view text, const std::string& today) {
    if (Has(text, {"上个月", "上月", "last month", "previous month"})) {
        return PeriodValue(FirstOfMonth(today, 1), LastOfMonth(today, 1), {{"zh", "上个月"}, {"en", "last month"}});
    }
    if (Has(text, {"这个月", "本月", "this month"})) {
        return PeriodValue(FirstOfMonth(today, 0), today, {{"zh", "本月"}, {"en", "this month"}});
    }
    if (Has(text, {"半年", "六个月", "6个月", "six months", "6 months"})) {
        return PeriodValue(AddDays(today, -182), today, {{"zh", "近六个月"}, {"en", "the last six months"}});
    }
    if (Has(text, {"三个月", "3个月", "three months", "3 months"})) {
        return PeriodValue(AddDays(today, -91), today, {{"zh", "近三个月"}, {"en", "the last three months"}});
    }
    if (Has(text, {"这周", "本周", "this week"})) {
        return PeriodValue(AddDays(today, -6), today, {{"zh", "最近一周"}, {"en", "the last week"}});
    }
    return std::nullopt;
}

SlotAnswer ResolvePeriod(const SlotDef&, Turn& t) {
    SlotAnswer a;
    for (const auto& e : t.u.raw_entities) {
        const auto& v = e.value;
        if (e.type == "date_range" && v.contains("start") && v.contains("end")) {
            a.value = PeriodValue(std::string(v.at("start").as_string()), std::string(v.at("end").as_string()),
                                  {{"zh", e.text}, {"en", e.text}});
            return a;
        }
        if (e.type == "date" && v.contains("date")) {
            std::string d(v.at("date").as_string());
            a.value = PeriodValue(d, d, DateText(d));
            return a;
        }
    }
    a.value = PeriodFromWords(t.u.text, t.today);
    return a;
}

// `keys`: the names lower-cased at load (FlowSet::merchant_keys), matched; `lexicon`: the display names.
SlotAnswer ResolveLexicon(const std::map<std::string, std::vector<std::string>>& lexicon,
                          const std::map<std::string, std::vector<std::string>>& keys, Turn& t) {
    SlotAnswer a;
    std::size_t best = 0;
    for (const auto& [id, names] : lexicon) {
        for (const auto& n : keys.at(id)) {
            if (n.size() > best && HasWord(t.u.text, n)) {
                best = n.size();
                a.value = json::object{{"id", id},
                                       {"label", json::object{{"zh", names.front()},
                                                              {"en", names.size() > 1 ? names[1] : names.front()}}}};
            }
        }
    }
    return a;
}

SlotAnswer ResolveTransferRef(Turn& t) {
    SlotAnswer a;
    for (const auto& e : t.u.raw_entities) {
        if (e.type == "transfer_ref" && e.value.contains("reference")) {
            a.value = json::string(e.value.at("reference").as_string());
            return a;
        }
    }
    // The demo bank's references ("TR20261118000123"): two letters and fourteen digits.
    std::string_view text = t.text;
    for (std::size_t i = 0; i + 16 <= text.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(text[i])) != 'T' ||
            std::toupper(static_cast<unsigned char>(text[i + 1])) != 'R') {
            continue;
        }
        std::size_t j = i + 2;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        if (j - i - 2 >= 8 && j - i - 2 <= 20) {
            std::string ref(text.substr(i, j - i));
            ref[0] = 'T', ref[1] = 'R';
            a.value = json::string(ref);
            return a;
        }
    }
    return a;
}

// The choice with the longest matching keyword ("duplicate charge" is a card problem, not a fee).
SlotAnswer ResolveChoice(const SlotDef& s, Turn& t) {
    SlotAnswer a;
    std::size_t best = 0;
    for (const auto& c : s.choices) {
        for (const auto& k : c.keywords) {
            if (k.size() > best && HasWord(t.u.text, k)) {
                best = k.size();
                a.value = json::object{{"id", c.id}, {"label", json::object{{"zh", c.label.zh}, {"en", c.label.en}}}};
            }
        }
    }
    return a;
}

}  // namespace

std::optional<std::string> FindDigits(std::string_view text, std::size_t length) {
    for (std::size_t i = 0; i < text.size();) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        if (j - i == length) return std::string(text.substr(i, length));
        i = j;
    }
    return std::nullopt;
}

std::optional<std::string> FindLast4(const Turn& t) {
    for (const auto& e : t.u.raw_entities) {
        if ((e.type == "card_number" || e.type == "account_number") && e.value.contains("last4")) {
            return std::string(e.value.at("last4").as_string());
        }
    }
    // A bare four-digit group outside dates, amounts, phones and other entities ("1282，1988年4月12日").
    std::string text = t.text;
    for (const auto& e : t.u.raw_entities) {
        for (auto pos = text.find(e.text); !e.text.empty() && pos != std::string::npos; pos = text.find(e.text)) {
            text.replace(pos, e.text.size(), " ");
        }
    }
    return FindDigits(text, 4);
}

bool SaysOther(const Turn& t) {
    return Has(t.u.text, {"另一张", "另外一张", "另一个", "另外那张", "另外一个", "其他", "别的"}) ||
           HasAnyWord(t.u.text, {"other", "another", "the other one", "different"});
}

namespace {

// The message opens with one of the words ("需要，麻烦帮我补一张", "no, the other one").
bool OpensWith(const Turn& t, std::initializer_list<std::string_view> words) {
    std::string_view text = t.u.text;
    return std::any_of(words.begin(), words.end(), [&](std::string_view w) {
        if (!text.starts_with(w)) return false;
        if (text.size() == w.size()) return true;
        auto next = static_cast<unsigned char>(text[w.size()]);
        return next >= 0x80 ? text.substr(w.size()).starts_with("，") || text.substr(w.size()).starts_with("。") ||
                                  text.substr(w.size()).starts_with("！")
                            : !std::isalnum(next);
    });
}

}  // namespace

bool IsShort(const Turn& t) { return Short(t); }

namespace {

bool OpensAffirm(const Turn& t) {
    return OpensWith(t, {"是",   "是的", "好", "好的", "对",   "对的", "需要", "要", "可以", "确认",
                         "确定", "行",   "嗯", "yes",  "yeah", "yep",  "sure", "ok", "okay", "please"});
}

bool OpensDeny(const Turn& t) {
    return OpensWith(t, {"不", "不用", "不要", "不需要", "不是", "不对", "否", "算了", "no", "nope", "not now"});
}

}  // namespace

bool IsAffirm(const Turn& t) {
    if (IsDeny(t)) return false;
    if (IntentIs(t, "affirm") || OpensAffirm(t)) return true;
    if (OtherIntent(t) || !Short(t)) return false;
    return Has(t.u.text, {"是的", "对的", "确认", "确定", "提交", "好的", "可以", "没错", "对", "是", "好", "行", "要",
                          "需要", "嗯"}) ||
           HasAnyWord(t.u.text, {"yes", "yeah", "yep", "sure", "ok", "okay", "confirm", "correct", "please do",
                                 "go ahead", "right", "submit", "do it", "please"});
}

bool IsDeny(const Turn& t) {
    if (IntentIs(t, "deny") || OpensDeny(t)) return true;
    if (OtherIntent(t) || !Short(t)) return false;
    return Has(t.u.text, {"不是", "不用", "不要", "不需要", "不对", "否", "先不", "暂时不", "别"}) ||
           HasAnyWord(t.u.text, {"no", "nope", "don't", "do not", "not now", "no thanks", "wrong"});
}

bool IsCancel(const Turn& t) {
    if (IntentIs(t, "cancel", 0.6)) return true;
    if (!Short(t)) return false;  // "…转到一半就退出来了" describes a problem; it cancels nothing
    return Has(t.u.text, {"算了", "取消", "不办了", "不弄了", "不查了", "退出"}) ||
           HasAnyWord(t.u.text, {"never mind", "nevermind", "cancel", "forget it", "stop", "quit"});
}

bool IsOptOut(const Turn& t) {
    return Has(t.u.text, {"不要再推荐", "别再推荐", "不要推荐", "别推荐", "不再推荐", "不需要推荐"}) ||
           Has(t.u.text, {"stop recommending", "no more suggestions", "no more offers", "stop suggesting",
                          "don't recommend", "do not recommend", "no suggestions"});
}

SlotAnswer ResolveSlot(const SlotDef& s, Turn& t, const json::value* current, bool prompted) {
    if (s.type == "card") return ResolveCard(s, t, current, prompted);
    if (s.type == "account") return ResolveAccount(s, t, current, prompted);
    if (s.type == "period") return ResolvePeriod(s, t);
    if (s.type == "merchant") {
        // A merchant ("淘宝") or, failing that, a category ("dining"): {id, label} or {category, label}.
        auto a = ResolveLexicon(t.flows.merchants, t.flows.merchant_keys, t);
        if (a.value) return a;
        a = ResolveLexicon(t.flows.categories, t.flows.category_keys, t);
        if (a.value) {
            json::object& o = a.value->as_object();
            o["category"] = o["id"];
            o.erase("id");
        }
        return a;
    }
    if (s.type == "transfer_ref") return ResolveTransferRef(t);
    if (s.type == "choice") return ResolveChoice(s, t);
    SlotAnswer a;
    if (s.type == "yes_no") {
        if (IsDeny(t))
            a.value = false;
        else if (IsAffirm(t))
            a.value = true;
        return a;
    }
    if (s.type == "text" && prompted) {
        if (t.text.size() >= 4) a.value = json::string(t.text);
    }
    return a;
}

std::vector<dialogue::QuickReply> SlotOptions(const SlotDef& s, Turn& t) {
    std::vector<dialogue::QuickReply> out;
    auto label = [&](const json::object& l) { return Display(l, t.language); };
    if (s.type == "card" && t.Cards()) {
        for (const auto& c : t.Cards().value()) {
            if (StatusOk(s, c.status) && (s.kind_filter.empty() || c.kind == s.kind_filter)) {
                std::string l = label(CardLabel(c));
                out.push_back({l, l});
            }
        }
    } else if (s.type == "account" && t.Accounts()) {
        for (const auto& a : t.Accounts().value()) {
            if (StatusOk(s, a.status) && (s.kind_filter.empty() || a.type == s.kind_filter)) {
                std::string l = label(AccountLabel(a));
                out.push_back({l, l});
            }
        }
    } else if (s.type == "choice") {
        for (const auto& c : s.choices) out.push_back({c.label.In(t.language), c.label.In(t.language)});
    } else if (s.type == "yes_no") {
        bool en = t.language == "en";
        out.push_back(dialogue::QuickReply{en ? "Yes" : "是", en ? "Yes" : "是"});
        out.push_back(dialogue::QuickReply{en ? "No" : "否", en ? "No" : "否"});
    }
    if (out.size() > 6) out.resize(6);
    return out;
}

}  // namespace kefu::flow
