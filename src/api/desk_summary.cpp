#include "api/desk_summary.hpp"

#include <algorithm>
#include <array>

#include "core/pii.hpp"

namespace kefu::api {

namespace json = boost::json;

namespace {

// A fixed vocabulary (hand-off reasons, verification methods, core-bank actions and outcomes, entity types)
// with its names in both languages.
struct Term {
    std::string_view key;
    std::string_view zh;
    std::string_view en;
};

constexpr std::array kReasons = {
    Term{"request", "客户主动要求转人工", "the customer asked for a person"},
    Term{"fallback", "机器人连续未能回答", "the bot could not answer twice in a row"},
    Term{"flow", "业务办理未能完成", "a task could not be completed"},
    Term{"anger", "客户情绪激动", "the customer is upset"},
    Term{"vip", "VIP 客户优先服务", "a VIP customer"},
    Term{"transfer", "由其他坐席转来", "transferred by another agent"},
};
constexpr std::array kMethods = {
    Term{"card_birth_date", "卡号后四位 + 出生日期", "card last four + date of birth"},
    Term{"otp", "手机短信验证码", "SMS one-time code"},
    Term{"channel", "渠道已登录", "signed in on the channel"},
};
constexpr std::array kActions = {
    Term{"accounts", "查询余额", "looked up balances"},
    Term{"transactions", "查询交易明细", "looked up transactions"},
    Term{"spending", "统计消费", "summed up spending"},
    Term{"report_lost", "挂失银行卡", "blocked a lost card"},
    Term{"freeze_card", "冻结银行卡", "froze a card"},
    Term{"unfreeze_card", "解冻银行卡", "unfroze a card"},
    Term{"transfer_status", "查询转账状态", "checked a transfer"},
    Term{"card_bill", "查询信用卡账单", "looked up the card bill"},
    Term{"create_complaint", "登记投诉", "filed a complaint"},
    Term{"recommend", "推荐产品", "suggested a product"},
};
constexpr std::array kOutcomes = {
    Term{"done", "已完成", "done"},
    Term{"already", "此前已办理", "already so"},
    Term{"not_allowed", "不可办理", "not allowed"},
    Term{"not_found", "未找到", "not found"},
    Term{"timeout", "核心系统超时", "core bank timed out"},
    Term{"unavailable", "核心系统不可用", "core bank unavailable"},
    Term{"error", "失败", "failed"},
};
constexpr std::array kEntityTypes = {
    Term{"money", "金额", "amount"},
    Term{"date", "日期", "date"},
    Term{"date_range", "日期", "dates"},
    Term{"time", "时间", "time"},
    Term{"datetime", "时间", "time"},
    Term{"card_number", "卡号", "card"},
    Term{"account_number", "账号", "account"},
    Term{"phone", "手机号", "phone"},
    Term{"id_number", "身份证号", "ID"},
    Term{"email", "邮箱", "e-mail"},
    Term{"transfer_ref", "转账编号", "transfer"},
};
// Intents that say nothing about what the customer needs.
constexpr std::array<std::string_view, 9> kSmallTalk = {
    "greet", "thanks", "goodbye", "affirm", "deny", "cancel", "human_agent", "bot_capabilities", "out_of_scope"};

template <std::size_t N>
std::string Name(const std::array<Term, N>& terms, std::string_view key, bool en) {
    for (const auto& t : terms) {
        if (t.key == key) return std::string(en ? t.en : t.zh);
    }
    return std::string(key);
}

std::string Str(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

const json::object* Obj(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

void AddOnce(std::vector<std::string>& list, std::string item) {
    if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& x : items) {
        if (!out.empty()) out += sep;
        out += x;
    }
    return out;
}

std::string Quote(const std::string& text, bool en) {
    // Long messages are cut at a code point boundary, so a line stays a line.
    constexpr std::size_t kMax = 60;
    std::string t = MaskPii(text);
    if (t.size() > kMax) {
        std::size_t cut = kMax;
        while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
        t = t.substr(0, cut) + "…";
    }
    return en ? "\"" + t + "\"" : "「" + t + "」";
}

}  // namespace

std::vector<std::string> SummariseBotPart(const SummaryInput& in) {
    const bool en = in.language == "en";
    const std::string_view colon = en ? ": " : "：";
    const std::string_view sep = en ? "; " : "；";
    auto line = [&](std::string_view zh, std::string_view english, const std::string& facts) {
        return std::string(en ? english : zh) + std::string(colon) + facts;
    };
    auto label = [&](const std::map<std::string, desk::LocalText, std::less<>>* names,
                     const std::string& key) -> std::string {
        if (names != nullptr) {
            if (auto it = names->find(key); it != names->end() && !it->second.In(in.language).empty()) {
                return it->second.In(in.language);
            }
        }
        return key;
    };
    auto intent_name = [&](const std::string& intent) {
        return label(in.labels ? &in.labels->intents : nullptr, intent);
    };

    std::vector<std::string> needs;      // what the customer came for, in order
    std::vector<std::string> done;       // what the bot did at the core bank, with the outcome
    std::vector<std::string> mentioned;  // the entities the customer gave
    std::vector<std::string> unanswered;
    bool anger = false;
    std::string last_sentiment;
    // The task the customer was in when the turn before the last left it (a hand-off asked for mid-task ends the
    // flow, so the state no longer has it).
    const json::object* previous_flow = nullptr;
    const json::object* interrupted = nullptr;
    for (const auto& t : in.turns) {
        if (t.meta.empty()) continue;
        const json::object* flow = Obj(t.meta, "flow");
        const auto* calls_value = t.meta.if_contains("bank_calls");
        const bool acted = calls_value != nullptr && calls_value->is_array() && !calls_value->as_array().empty();
        interrupted = flow == nullptr && !acted ? previous_flow : nullptr;
        // An answer to the verification question (card digits and a birth date, a phone) is not worth repeating.
        const bool verifying = previous_flow != nullptr && Str(*previous_flow, "step") == "verify";
        previous_flow = flow;
        const std::string intent = Str(t.meta, "intent");
        if (!intent.empty() && std::find(kSmallTalk.begin(), kSmallTalk.end(), intent) == kSmallTalk.end()) {
            AddOnce(needs, intent_name(intent));
        }
        if (Str(t.meta, "action") == "fallback") unanswered.push_back(Quote(t.text, en));
        if (const auto* calls = t.meta.if_contains("bank_calls"); calls != nullptr && calls->is_array()) {
            for (const auto& c : calls->as_array()) {
                if (!c.is_string()) continue;
                std::string_view call = c.as_string();
                auto colon_at = call.find(':');
                std::string_view action = call.substr(0, colon_at);
                std::string_view outcome = colon_at == std::string_view::npos ? "" : call.substr(colon_at + 1);
                if (action == "recommend") {
                    AddOnce(done, Name(kActions, action, en));
                    continue;
                }
                AddOnce(done, Name(kActions, action, en) + (en ? " (" : "（") + Name(kOutcomes, outcome, en) +
                                  (en ? ")" : "）"));
            }
        }
        if (const auto* entities = t.meta.if_contains("entities");
            !verifying && entities != nullptr && entities->is_array()) {
            for (const auto& e : entities->as_array()) {
                if (!e.is_object() || mentioned.size() >= 6) continue;
                std::string text = MaskPii(Str(e.as_object(), "text"));
                if (text.empty()) continue;
                AddOnce(mentioned, Name(kEntityTypes, Str(e.as_object(), "type"), en) + " " + text);
            }
        }
        if (const auto* s = Obj(t.meta, "sentiment")) {
            last_sentiment = Str(*s, "label");
            if (const auto* a = s->if_contains("anger"); a != nullptr && a->is_bool() && a->as_bool()) anger = true;
        }
    }

    std::vector<std::string> out;
    out.push_back(line("转人工原因", "Hand-off", Name(kReasons, in.reason, en)));

    std::string identity;
    if (const auto* v = Obj(in.state, "verify"); v != nullptr && !Str(*v, "customer").empty()) {
        identity = std::string(en ? "verified" : "已核验") + (en ? " (" : "（") +
                   Name(kMethods, Str(*v, "method"), en) + (en ? ")" : "）");
    } else {
        identity = en ? "not verified" : "未核验";
    }
    out.push_back(line("身份", "Identity", identity));

    if (!needs.empty()) out.push_back(line("客户诉求", "Asked about", Join(needs, " → ")));
    if (!done.empty()) out.push_back(line("机器人已办理", "Done by the bot", Join(done, sep)));
    // The unfinished task: still open in the state (its step is the slot asked for), or left by the hand-off turn
    // (its step as the turn before left it).
    const json::object* open = Obj(in.state, "flow");
    std::string step;
    if (open != nullptr && !Str(*open, "name").empty()) {
        step = Str(*open, "awaiting") == "slot" ? Str(*open, "slot") : Str(*open, "awaiting");
    } else {
        open = interrupted;
        if (open != nullptr) step = Str(*open, "step");
    }
    if (open != nullptr && !Str(*open, "name").empty()) {
        const std::string flow = Str(*open, "name");
        std::string facts = label(in.labels ? &in.labels->flows : nullptr, flow);
        if (step == "verify") {
            facts += en ? " (waiting for identity verification)" : "（等待客户完成身份核验）";
        } else if (!step.empty()) {
            std::string asked = label(in.labels ? &in.labels->slot_prompts : nullptr, flow + "." + step);
            if (asked == flow + "." + step) asked = step;
            facts += en ? " (waiting for the answer to " + Quote(asked, en) + ")"
                        : "（等待客户回答" + Quote(asked, en) + "）";
        }
        out.push_back(line("未完成的业务", "Unfinished task", facts));
    }
    if (!mentioned.empty()) out.push_back(line("客户提到", "Mentioned", Join(mentioned, sep)));
    if (anger || last_sentiment == "negative") {
        out.push_back(
            line("情绪", "Mood", anger ? std::string(en ? "angry" : "愤怒") : std::string(en ? "negative" : "负面")));
    }
    if (!unanswered.empty()) {
        if (unanswered.size() > 3) unanswered.erase(unanswered.begin(), unanswered.end() - 3);
        out.push_back(line("未能回答", "Not answered", Join(unanswered, en ? ", " : "、")));
    }
    return out;
}

}  // namespace kefu::api
