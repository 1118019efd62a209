#include "flow/manager.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <numeric>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "flow/actions.hpp"
#include "flow/slots.hpp"
#include "flow/state.hpp"
#include "flow/turn.hpp"

namespace kefu::flow {

namespace json = boost::json;
using dialogue::BotMessage;
using dialogue::Decision;
using dialogue::QuickReply;

namespace {

constexpr int kMaxStepsPerTurn = 64;          // a flow that loops through `go` stops here
constexpr std::int64_t kUsdToCnyCents = 710;  // the demo's fixed rate ×100 (recommendations only)

bool IsBankSlot(const std::string& type) { return type == "card" || type == "account"; }

// A card or account slot's id ("" for a filter such as "my USD accounts").
std::string SlotId(const json::value& v) {
    const auto* o = v.if_object();
    const auto* id = o ? o->if_contains("id") : nullptr;
    return id && id->is_string() ? std::string(id->get_string()) : std::string();
}

std::size_t CodePointCount(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A birth date typed without separators ("19570305") or day first ("30/10/1985", "30.10.1985"), which the
// entity extractor does not read as dates.
std::optional<std::string> LooseBirthDate(std::string_view text) {
    auto valid = [](int y, int m, int d) { return y >= 1900 && y <= 2025 && m >= 1 && m <= 12 && d >= 1 && d <= 31; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i])) ||
            (i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1])))) {
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        std::string_view run = text.substr(i, j - i);
        if (run.size() == 8) {
            int y = std::stoi(std::string(run.substr(0, 4)));
            int m = std::stoi(std::string(run.substr(4, 2)));
            int d = std::stoi(std::string(run.substr(6, 2)));
            if (valid(y, m, d)) return fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
        }
        int d = 0;
        int m = 0;
        int y = 0;
        char s1 = 0;
        char s2 = 0;
        std::string rest(text.substr(i, std::min<std::size_t>(10, text.size() - i)));
        if (std::sscanf(rest.c_str(), "%2d%c%2d%c%4d", &d, &s1, &m, &s2, &y) == 5 && s1 == s2 &&
            (s1 == '/' || s1 == '.' || s1 == '-') && valid(y, m, d)) {
            return fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
        }
    }
    return std::nullopt;
}

bool IsFailure(const std::string& outcome) {
    return outcome == "timeout" || outcome == "unavailable" || outcome == "error";
}

int RiskRank(const std::string& r) { return r.size() == 2 && r[0] == 'R' ? r[1] - '0' : 0; }

std::string Today(std::string_view reference_time) {
    std::string t = reference_time.empty() ? LocalIsoNow() : std::string(reference_time);
    return t.substr(0, 10);
}

// One turn of the dialogue manager.
class Session {
  public:
    Session(const ManagerParts& parts, const dialogue::TurnInput& in, const dialogue::Understanding& u)
        : p_(parts),
          in_(in),
          u_(u),
          st_(DialogueState::FromJson(in.state)),
          turn_(in, u, *parts.flows, parts.bank.get(), ReplyLanguage(in, u, st_), Today(in.reference_time)),
          now_(parts.options.now ? parts.options.now() : NowMillis()) {}

    Decision Run() {
        d_.intent = u_.intent;
        d_.reply_language = turn_.language;
        d_.action = "flow";
        st_.language = turn_.language;
        TrackSentiment();
        RefreshVerification();
        bool handled =
            Cancel() || OptOut() || HandoffRequest() || Verification() || ActiveFlow() || NewFlow() || CarryOver();
        if (!handled) Inner();
        // An angry customer outside any task is offered a person at once (a complaint in progress goes on: the
        // complaint is what they are angry about, and the agent gets it filed).
        if (u_.anger && !d_.handoff && !st_.flow && u_.intent != "complaint") {
            d_.handoff = true;
            SayKey("anger_handoff");
        }
        d_.state = st_.ToJson();
        d_.flow = st_.flow ? st_.flow->name : "";
        d_.step = st_.flow ? (st_.flow->awaiting == "slot" ? st_.flow->slot : st_.flow->awaiting) : "";
        d_.bank_calls = std::move(turn_.calls);
        d_.verified = !turn_.customer.empty();
        return std::move(d_);
    }

  private:
    // The language the customer wrote in; a lone Latin word ("ATM", "OK") or digits keep the language of the
    // conversation so far.
    static std::string ReplyLanguage(const dialogue::TurnInput& in, const dialogue::Understanding& u,
                                     const DialogueState& st) {
        std::string so_far = st.language.empty() ? std::string(in.language) : st.language;
        if (!st.language.empty() && CodePointCount(u.text) <= 4) return so_far;  // "好的", "OK", "3053"
        if (u.language == "zh") return "zh";
        if (u.language == "en" && (u.text.find(' ') != std::string::npos || st.language.empty())) return "en";
        return so_far;
    }

    const Messages& M() const { return p_.flows->messages; }
    const ManagerOptions& O() const { return p_.options; }

    // ---- replies --------------------------------------------------------------------------------------

    json::object Vars() const {
        json::object v;
        if (st_.flow) {
            v = st_.flow->vars;
            for (const auto& [k, x] : st_.flow->slots) v[k] = x;
        }
        return v;
    }

    void Say(const Text& t, const json::object& vars = {}, std::vector<QuickReply> quick = {}) {
        std::string text = Render(t.In(turn_.language), vars, turn_.language);
        if (text.empty()) return;
        d_.messages.push_back(BotMessage{std::move(text), std::move(quick)});
    }

    void SayKey(const std::string& key, const json::object& vars = {}, std::vector<QuickReply> quick = {}) {
        Say(M().Get(key), vars, std::move(quick));
    }

    void SayOutcome(const Outcome& o) {
        json::object vars = Vars();
        if (!o.each.empty()) {
            std::string list;
            if (const auto* items = Lookup(vars, o.each); items && items->is_array()) {
                for (const auto& item : items->get_array()) {
                    if (!item.is_object()) continue;
                    json::object iv = vars;
                    for (const auto& [k, x] : item.get_object()) iv[k] = x;
                    if (!list.empty()) list += "\n";
                    list += Render(o.item.In(turn_.language), iv, turn_.language);
                }
            }
            vars["list"] = list;
        }
        Say(o.say, vars);
    }

    std::vector<QuickReply> AgentOptions() const {
        std::vector<QuickReply> q;
        if (turn_.language == "en") {
            q.push_back(QuickReply{"Talk to a person", "Talk to a person"});
        } else {
            q.push_back(QuickReply{"转人工", "转人工"});
        }
        return q;
    }

    // ---- sentiment, cancel, opt-out --------------------------------------------------------------------

    void TrackSentiment() {
        st_.sentiment.push_back(u_.sentiment_score);
        if (st_.sentiment.size() > 10) st_.sentiment.erase(st_.sentiment.begin());
    }

    // Clearly unhappy now, or over the last few turns. Mildly negative scores on neutral requests ("show my
    // recent transactions") do not count.
    bool Negative() const {
        if (u_.anger || (u_.sentiment == "negative" && u_.sentiment_score <= -0.6)) return true;
        std::size_t n = std::min<std::size_t>(3, st_.sentiment.size());
        if (n == 0) return false;
        double sum = std::accumulate(st_.sentiment.end() - static_cast<long>(n), st_.sentiment.end(), 0.0);
        return sum / static_cast<double>(n) < -0.5;
    }

    bool Cancel() {
        bool busy = st_.flow.has_value() || !st_.verify.stage.empty();
        if (!busy || !IsCancel(turn_)) return false;
        st_.flow.reset();
        st_.suspended.clear();
        st_.verify.stage.clear();
        SayKey("cancelled");
        return true;
    }

    bool OptOut() {
        if (!IsOptOut(turn_)) return false;
        st_.opt_out = true;
        if (p_.guard && !st_.verify.customer.empty()) p_.guard->SetOptOut(st_.verify.customer, now_);
        SayKey("opt_out_done");
        RemindActive();
        return true;
    }

    // "转人工" / "talk to a person" wins over whatever the bot was in the middle of (a verification, a slot):
    // the request is never taken as a slot value or a wrong answer. The desk gets the flow's context from the
    // transcript and the state's history.
    bool HandoffRequest() {
        if (u_.intent != "human_agent" || u_.confidence < 0.5) return false;
        st_.flow.reset();
        st_.suspended.clear();
        st_.verify.stage.clear();
        Inner();
        return true;
    }

    // ---- verification ----------------------------------------------------------------------------------

    void RefreshVerification() {
        if (!in_.customer_ref.empty()) {  // the channel vouches for the customer (a signed app token)
            st_.verify.customer = std::string(in_.customer_ref);
            st_.verify.method = "channel";
            st_.verify.until = now_ + O().verified_ttl_ms;
        } else if (!st_.verify.customer.empty() && st_.verify.until <= now_) {
            st_.verify.customer.clear();  // expired: the next account question verifies again
            st_.verify.method.clear();
        }
        turn_.customer = st_.verify.customer;
    }

    bool Locked() const { return st_.verify.locked_until > now_; }

    json::object LockVars() const {
        auto minutes = std::max<std::int64_t>(1, (st_.verify.locked_until - now_ + 59999) / 60000);
        return {{"minutes", minutes}};
    }

    void StartVerification() {
        if (Locked()) {
            SayKey("verify_locked", LockVars(), AgentOptions());
            st_.flow.reset();
            return;
        }
        st_.verify.stage = "identify";
        st_.verify.last4.clear();
        st_.verify.birth_date.clear();
        SayKey("verify_start");
    }

    // A date of birth is more than a year ago: "昨天的汇款" or "next Friday" is not one.
    std::optional<std::string> BirthDate() const {
        std::string year_ago = turn_.today;
        if (year_ago.size() == 10)
            year_ago = fmt::format("{:04d}", std::stoi(year_ago.substr(0, 4)) - 1) + year_ago.substr(4);
        for (const auto& e : u_.raw_entities) {
            if (e.type == "date" && e.value.contains("date")) {
                std::string date(e.value.at("date").as_string());
                if (date < year_ago) return date;
                continue;
            }
            if (e.type == "id_number" && e.value.contains("birth_date")) {
                return std::string(e.value.at("birth_date").as_string());
            }
        }
        return LooseBirthDate(in_.text);
    }

    std::optional<std::string> Phone() const {
        for (const auto& e : u_.raw_entities) {
            if (e.type == "phone" && e.value.contains("e164")) return std::string(e.value.at("e164").as_string());
        }
        return std::nullopt;
    }

    bool Verification() {
        if (st_.verify.stage.empty()) {
            // Verification details while locked out: say so again rather than answer something else.
            bool details = Phone() || (FindLast4(turn_) && BirthDate());
            if (Locked() && details) {
                SayKey("verify_locked", LockVars(), AgentOptions());
                return true;
            }
            return false;
        }
        if (!st_.flow || st_.flow->awaiting != "verify") {  // nothing waits for it any more
            st_.verify.stage.clear();
            return false;
        }
        if (Locked()) {
            st_.verify.stage.clear();
            st_.flow.reset();
            SayKey("verify_locked", LockVars(), AgentOptions());
            return true;
        }
        if (st_.verify.stage == "otp") return CheckOtp();
        if (auto phone = Phone(); phone && p_.sms) return SendOtp(*phone);
        if (auto l4 = FindLast4(turn_)) st_.verify.last4 = *l4;
        if (auto b = BirthDate()) st_.verify.birth_date = *b;
        if (st_.verify.last4.empty() && st_.verify.birth_date.empty()) {
            if (SwitchWhileVerifying()) return true;
            return NotVerificationAnswer();
        }
        if (st_.verify.birth_date.empty()) {
            SayKey("verify_need_birth_date");
            return true;
        }
        if (st_.verify.last4.empty()) {
            SayKey("verify_need_last4");
            return true;
        }
        if (!p_.bank) return BankDown();
        auto who =
            p_.bank->FindByCardAndBirthDate(turn_.Call(false, "verify"), st_.verify.last4, st_.verify.birth_date);
        st_.verify.last4.clear();
        st_.verify.birth_date.clear();
        if (who) return Verified(who->id, "card_birth_date");
        if (who.error().code != ErrorCode::kNotFound) return BankDown();
        return Failed("");
    }

    // Another task while verifying: one that needs verification takes the waiting flow's place; one that
    // does not runs now, and verification resumes after it.
    bool SwitchWhileVerifying() {
        const FlowDef* other = p_.flows->ForIntent(u_.intent);
        if (other == nullptr || other == Def() || u_.confidence < O().switch_confidence) return false;
        if (other->requires_verification) {
            st_.flow.reset();
            st_.verify.stage.clear();
            StartFlow(*other);
            return true;
        }
        st_.suspended.push_back(std::move(*st_.flow));
        st_.flow.reset();
        st_.verify.stage.clear();
        StartFlow(*other);
        return true;
    }

    // Something else while verifying: answer a digression with a one-line reminder, else explain again. The
    // waiting task asked for again ("查询余额" twice) is not a digression: the FAQ about it would only confuse.
    bool NotVerificationAnswer() {
        if (p_.flows->ForIntent(u_.intent) != Def() && Digression()) {
            SayKey("verify_remind");
            return true;
        }
        SayKey("verify_start");
        return true;
    }

    bool BankDown() {
        SayKey("system_error", {}, AgentOptions());
        st_.verify.stage.clear();
        st_.flow.reset();
        return true;
    }

    bool SendOtp(const std::string& phone) {
        std::string customer;
        if (p_.bank) {
            auto who = p_.bank->FindByPhone(turn_.Call(false, "verify"), phone);
            if (who) {
                customer = who->id;
            } else if (who.error().code != ErrorCode::kNotFound) {
                return BankDown();
            }
        }
        // The same reply whether or not the number is registered, so the bot cannot be used to test numbers.
        std::string code = fmt::format("{:06d}", randombytes_uniform(1000000));
        st_.verify.otp_salt = NewSecretToken().substr(0, 16);
        st_.verify.otp_hash = Sha256Hex(st_.verify.otp_salt + code);
        st_.verify.otp_customer = customer;
        st_.verify.otp_expires = now_ + O().otp_ttl_ms;
        st_.verify.stage = "otp";
        if (!customer.empty()) {
            p_.sms->Send(
                phone,
                turn_.language == "en"
                    ? fmt::format(
                          "Kefu Demo Bank: your verification code is {}. It expires in 5 minutes. Never share it.",
                          code)
                    : fmt::format("【客服演示银行】您的验证码是{}，5分钟内有效，请勿告诉他人。", code));
        }
        SayKey("otp_sent");
        return true;
    }

    bool CheckOtp() {
        auto code = FindDigits(in_.text, 6);
        if (!code) {
            if (Digression()) return true;
            SayKey("otp_wrong");
            return true;
        }
        bool ok = !st_.verify.otp_customer.empty() && st_.verify.otp_expires > now_ &&
                  ConstantTimeEquals(Sha256Hex(st_.verify.otp_salt + *code), st_.verify.otp_hash);
        if (ok) return Verified(st_.verify.otp_customer, "otp");
        return Failed(st_.verify.otp_customer);
    }

    static void CountVerification(std::string_view method, std::string_view result) {
        metrics::Default()
            .GetCounter("kefu_verifications_total", "Identity verifications in conversations, by method and result.",
                        metrics::Label("method", method) + "," + metrics::Label("result", result))
            .Inc();
    }

    bool Verified(const std::string& customer, const std::string& method) {
        CountVerification(method, "ok");
        if (p_.guard && p_.guard->LockedUntil(customer) > now_) {
            st_.verify.locked_until = p_.guard->LockedUntil(customer);
            return Verification();  // reports the lock
        }
        if (p_.guard) p_.guard->ClearFailures(customer, now_);
        st_.verify.customer = customer;
        st_.verify.method = method;
        st_.verify.until = now_ + O().verified_ttl_ms;
        st_.verify.failures = 0;
        st_.verify.stage.clear();
        st_.verify.otp_hash.clear();
        turn_.customer = customer;
        SayKey("verified");
        if (st_.flow && st_.flow->awaiting == "verify") {
            st_.flow->awaiting.clear();
            PrefillFromStart();
            Continue();
        }
        return true;
    }

    bool Failed(const std::string& customer) {
        CountVerification(st_.verify.stage == "otp" ? "otp" : "card_birth_date", "failed");
        ++st_.verify.failures;
        if (p_.guard && !customer.empty()) {
            UnixMillis until = p_.guard->RecordFailure(customer, now_, O().lock_after, O().lock_ms);
            if (until > 0) st_.verify.locked_until = until;
        }
        if (st_.verify.failures >= O().lock_after) st_.verify.locked_until = now_ + O().lock_ms;
        if (Locked()) {
            st_.verify.failures = 0;
            st_.verify.stage.clear();
            st_.flow.reset();
            SayKey("verify_locked", LockVars(), AgentOptions());
            CountVerification("any", "locked");
            return true;
        }
        if (st_.verify.stage == "otp") st_.verify.stage = "identify";
        SayKey("verify_failed", {{"remaining", O().lock_after - st_.verify.failures}});
        return true;
    }

    // ---- flows -----------------------------------------------------------------------------------------

    const FlowDef* Def() const { return st_.flow ? p_.flows->Find(st_.flow->name) : nullptr; }

    // `ask_first`: a slot to ask before anything runs (carry-over pointed at one of several cards).
    void StartFlow(const FlowDef& def, json::object carried = {}, const std::string& ask_first = {}) {
        st_.flow = flow::ActiveFlow{};
        st_.flow->name = def.name;
        st_.flow->slots = std::move(carried);
        st_.flow->vars["_utterance"] = std::string(in_.text);        // for card/account slots once verified
        if (def.suppresses_recommendations) st_.recommended = true;  // no offers for the rest of a complaint chat
        d_.intent = u_.intent;
        for (const auto& [name, slot] : def.slots) {
            if (IsBankSlot(slot.type) || st_.flow->slots.contains(name)) continue;
            if (slot.type == "text" || slot.type == "yes_no") continue;  // only as an answer to their prompt
            auto a = ResolveSlot(slot, turn_, nullptr, false);
            if (a.value) st_.flow->slots[name] = *a.value;
        }
        if (def.requires_verification && turn_.customer.empty()) {
            st_.flow->awaiting = "verify";
            StartVerification();
            return;
        }
        PrefillBankSlots(turn_);
        if (!ask_first.empty() && def.slots.contains(ask_first)) return Ask(def.slots.at(ask_first), false);
        Continue();
    }

    // Card and account slots named in the message that started the flow, once the customer is known.
    void PrefillBankSlots(Turn& t) {
        const FlowDef* def = Def();
        for (const auto& [name, slot] : def->slots) {
            if (!IsBankSlot(slot.type) || st_.flow->slots.contains(name)) continue;
            auto a = ResolveSlot(slot, t, nullptr, false);
            if (a.value && a.mentioned) st_.flow->slots[name] = *a.value;
        }
    }

    void PrefillFromStart() {
        const auto* u = st_.flow->vars.if_contains("_utterance");
        dialogue::Understanding first;
        std::string original = u && u->is_string() ? std::string(u->get_string()) : std::string();
        first.text = original;  // matched like normalised text: ASCII lower case
        std::transform(first.text.begin(), first.text.end(), first.text.begin(), [](unsigned char c) {
            return c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
        });
        Turn t(in_, first, *p_.flows, p_.bank.get(), turn_.language, turn_.today);
        t.customer = turn_.customer;
        t.text = original;
        PrefillBankSlots(t);
        for (auto& c : t.calls) turn_.calls.push_back(std::move(c));
    }

    bool When(const std::string& cond) const {
        if (cond.empty()) return true;
        json::object vars = Vars();
        auto truthy = [&](std::string_view name) {
            const auto* v = Lookup(vars, name);
            return v && !v->is_null() && !(v->is_bool() && !v->get_bool()) &&
                   !(v->is_string() && v->get_string().empty());
        };
        if (auto eq = cond.find("=="); eq != std::string::npos) {
            auto trim = [](std::string s) {
                s.erase(0, s.find_first_not_of(' '));
                s.erase(s.find_last_not_of(' ') + 1);
                return s;
            };
            std::string lhs = trim(cond.substr(0, eq));
            std::string rhs = trim(cond.substr(eq + 2));
            const auto* v = Lookup(vars, lhs);
            if (v && v->is_object() && v->get_object().contains("id")) v = &v->get_object().at("id");
            return v && Display(*v, "en") == rhs;
        }
        if (cond.starts_with("!")) return !truthy(cond.substr(1));
        return truthy(cond);
    }

    json::object Args(const StepDef& st) const {
        json::object args;
        for (const auto& [param, source] : st.args) {
            if (source.starts_with("=")) {
                args[param] = source.substr(1);
            } else if (const auto* v = st_.flow->slots.if_contains(source)) {
                args[param] = *v;
            }
        }
        return args;
    }

    void Ask(const SlotDef& slot, bool again) {
        st_.flow->awaiting = "slot";
        st_.flow->slot = slot.name;
        const Text& prompt = again ? slot.reprompt : slot.prompt;
        Say(prompt.empty() ? M().Get("which_one") : prompt, Vars(), SlotOptions(slot, turn_));
    }

    void Confirm(const StepDef& st) {
        st_.flow->awaiting = "confirm";
        SlotDef yes_no;
        yes_no.type = "yes_no";
        Say(st.body.say, Vars(), SlotOptions(yes_no, turn_));
    }

    // Runs the active flow from its current step until it waits for the customer or ends.
    void Continue() {
        const FlowDef* def = Def();
        if (def == nullptr) {
            st_.flow.reset();
            return;
        }
        for (int guard = 0; guard < kMaxStepsPerTurn && st_.flow; ++guard) {
            auto& f = *st_.flow;
            if (f.step >= static_cast<int>(def->steps.size())) return Finish(*def);
            const StepDef& st = def->steps[static_cast<std::size_t>(f.step)];
            if (!When(st.when)) {
                ++f.step;
                continue;
            }
            if (st.kind == "ask") {
                const SlotDef& slot = def->slots.at(st.slot);
                if (f.slots.contains(st.slot) || slot.optional) {
                    ++f.step;
                    continue;
                }
                auto a = ResolveSlot(slot, turn_, nullptr, false);
                if (a.value && !a.mentioned && IsBankSlot(slot.type)) {  // the customer has only the one
                    f.slots[st.slot] = *a.value;
                    ++f.step;
                    continue;
                }
                if (IsBankSlot(slot.type) && SlotOptions(slot, turn_).empty()) {
                    // Nothing to choose from ("which credit card?" to a customer without one).
                    if (!slot.none.empty()) {
                        Say(slot.none, Vars());
                    } else {
                        SayKey("no_candidates");
                    }
                    st_.flow.reset();
                    return ResumeSuspended();
                }
                return Ask(slot, false);
            }
            if (st.kind == "confirm") return Confirm(st);
            if (st.kind == "say") {
                SayOutcome(st.body);
                ++f.step;
                continue;
            }
            if (st.kind == "end") return Finish(*def);
            // action
            ActionResult r = RunAction(st.action, Args(st), turn_);
            for (const auto& [k, v] : r.vars) f.vars[k] = v;
            const Outcome* o = nullptr;
            if (auto it = st.on.find(r.outcome); it != st.on.end()) o = &it->second;
            if (!o && IsFailure(r.outcome)) {
                if (auto it = st.on.find("error"); it != st.on.end()) o = &it->second;
            }
            if (!o) {
                if (auto it = st.on.find("default"); it != st.on.end()) o = &it->second;
            }
            if (!o && (IsFailure(r.outcome) || r.outcome == "not_found")) {
                // An apology and an alternative; the flow is dropped, the customer can try again later.
                SayKey("system_error", {}, AgentOptions());
                st_.flow.reset();
                return ResumeSuspended();
            }
            if (o) {
                SayOutcome(*o);
                if (o->escalate) return Escalate();
                if (o->end) return Finish(*def);
                if (!o->go.empty()) {
                    f.step = def->StepIndex(o->go);
                    continue;
                }
            }
            ++f.step;
        }
    }

    void Finish(const FlowDef& def) {
        st_.last_flow = def.name;
        st_.last_slots = st_.flow->slots;
        st_.flow.reset();
        st_.fallbacks = 0;
        if (def.recommend) Recommend();
        ResumeSuspended();
    }

    void ResumeSuspended() {
        if (st_.flow || st_.suspended.empty()) return;
        st_.flow = std::move(st_.suspended.back());
        st_.suspended.pop_back();
        RemindActive();
    }

    // "Back to your card: …" and the pending prompt again.
    void RemindActive() {
        const FlowDef* def = Def();
        if (!def) return;
        auto& f = *st_.flow;
        if (f.awaiting == "slot" && def->slots.contains(f.slot)) {
            SayKey("back_to_flow");
            Ask(def->slots.at(f.slot), false);
        } else if (f.awaiting == "confirm" && f.step < static_cast<int>(def->steps.size())) {
            SayKey("back_to_flow");
            Confirm(def->steps[static_cast<std::size_t>(f.step)]);
        } else if (f.awaiting == "verify") {
            if (!turn_.customer.empty()) {  // verified meanwhile
                f.awaiting.clear();
                PrefillFromStart();
                Continue();
            } else if (st_.verify.stage.empty()) {
                StartVerification();
            }
        }
    }

    void Escalate() {
        st_.flow.reset();
        st_.suspended.clear();
        d_.handoff = true;
        SayKey("escalate", {}, AgentOptions());
    }

    // The turn while a flow waits for an answer.
    bool ActiveFlow() {
        if (!st_.flow) return false;
        const FlowDef* def = Def();
        if (!def) {
            st_.flow.reset();
            return false;
        }
        auto& f = *st_.flow;
        // The pack was reloaded since this state was stored and the step is gone or changed: start afresh
        // rather than act on a step the customer never saw.
        const bool step_gone =
            f.step < 0 || f.step >= static_cast<int>(def->steps.size()) ||
            (f.awaiting == "confirm" && def->steps[static_cast<std::size_t>(f.step)].kind != "confirm") ||
            (f.awaiting == "slot" && !def->slots.contains(f.slot));
        if (step_gone && f.awaiting != "verify") {
            st_.flow.reset();
            return false;
        }
        if (f.awaiting == "verify") {  // verification was cancelled or locked; start again
            st_.flow.reset();
            return false;
        }
        if (f.awaiting == "slot" && def->slots.contains(f.slot)) {
            const SlotDef& slot = def->slots.at(f.slot);
            const json::value* current = f.slots.if_contains(f.slot);
            auto a = ResolveSlot(slot, turn_, current, true);
            // A free-text answer the bot asked for is the answer, even if it mentions another task; only a
            // short question ("对了，我余额还有多少") switches.
            if (a.value && ((slot.type == "text" && !IsShort(turn_)) || !SwitchesFlow(*def))) {
                f.slots[f.slot] = *a.value;
                f.awaiting.clear();
                // Asked at an `ask` step: go past it. Asked out of turn (carry-over): run the current step.
                const auto idx = static_cast<std::size_t>(f.step);
                if (idx < def->steps.size() && def->steps[idx].kind == "ask" && def->steps[idx].slot == f.slot)
                    ++f.step;
                Continue();
                return true;
            }
        } else if (f.awaiting == "confirm") {
            if (Correction(*def)) return true;
            if (IsDeny(turn_)) {
                const StepDef& st = def->steps[static_cast<std::size_t>(f.step)];
                if (st.on_deny.present) {
                    SayOutcome(st.on_deny);
                    if (!st.on_deny.go.empty()) {
                        f.awaiting.clear();
                        f.step = def->StepIndex(st.on_deny.go);
                        Continue();
                        return true;
                    }
                } else {
                    SayKey("cancelled");
                }
                st_.flow.reset();
                ResumeSuspended();
                return true;
            }
            if (IsAffirm(turn_)) {
                f.awaiting.clear();
                ++f.step;
                Continue();
                return true;
            }
        }
        if (SwitchesFlow(*def)) {
            st_.suspended.push_back(std::move(*st_.flow));
            st_.flow.reset();
            if (st_.suspended.size() > 3) st_.suspended.erase(st_.suspended.begin());
            StartFlow(*p_.flows->ForIntent(u_.intent));
            return true;
        }
        if (Digression()) {
            RemindActive();
            return true;
        }
        return Retry(*def);
    }

    bool SwitchesFlow(const FlowDef& current) const {
        const FlowDef* other = p_.flows->ForIntent(u_.intent);
        return other != nullptr && other != &current && u_.confidence >= O().switch_confidence;
    }

    // "No, the other card" / "the one ending 3053" while confirming: change the slot and confirm again.
    bool Correction(const FlowDef& def) {
        auto& f = *st_.flow;
        for (const auto& [name, slot] : def.slots) {
            if (!IsBankSlot(slot.type) || !f.slots.contains(name)) continue;
            const json::value* current = f.slots.if_contains(name);
            auto a = ResolveSlot(slot, turn_, current, false);
            if (!a.mentioned) continue;
            if (a.value && SlotId(*a.value) != SlotId(*current)) {
                f.slots[name] = *a.value;
                Confirm(def.steps[static_cast<std::size_t>(f.step)]);
                return true;
            }
            if (!a.value) {  // "the other one" with several others: ask again
                f.slots.erase(name);
                for (std::size_t i = 0; i < def.steps.size(); ++i) {
                    if (def.steps[i].kind == "ask" && def.steps[i].slot == name) f.step = static_cast<int>(i);
                }
                Ask(slot, true);
                return true;
            }
        }
        return false;
    }

    // An FAQ answer or small talk while a flow or verification waits.
    bool Digression() {
        if (!p_.inner) return false;
        Decision inner = p_.inner->Decide(in_, u_);
        bool answered =
            inner.action == "kb_answer" || (inner.action == "reply" && u_.confidence >= 0.5 && u_.intent != "affirm" &&
                                            u_.intent != "deny" && u_.intent != "out_of_scope");
        if (!answered) return false;
        for (auto& m : p_.responder->Respond(inner)) d_.messages.push_back(std::move(m));
        d_.knowledge = inner.knowledge;
        return true;
    }

    bool Retry(const FlowDef& def) {
        auto& f = *st_.flow;
        std::string key = f.awaiting == "slot" ? f.slot : "confirm";
        int max = f.awaiting == "slot" && def.slots.contains(f.slot) ? def.slots.at(f.slot).max_attempts : 3;
        if (++f.attempts[key] >= max) {
            SayKey("attempts_exceeded");
            Escalate();
            return true;
        }
        if (f.awaiting == "slot") {
            Ask(def.slots.at(f.slot), true);
        } else {
            SayKey("choose_one");
            Confirm(def.steps[static_cast<std::size_t>(f.step)]);
        }
        return true;
    }

    bool NewFlow() {
        const FlowDef* def = p_.flows->ForIntent(u_.intent);
        if (!def || u_.confidence < O().start_confidence) return false;
        StartFlow(*def);
        return true;
    }

    // "And my savings account?" after a balance: the last flow again with the slot the customer changed.
    bool CarryOver() {
        if (st_.last_flow.empty()) return false;
        const FlowDef* def = p_.flows->Find(st_.last_flow);
        if (!def) return false;
        bool cue = u_.text.find("呢") != std::string::npos || u_.text.find("那") != std::string::npos ||
                   u_.text.starts_with("and ") || u_.text.find("what about") != std::string::npos ||
                   u_.text.find("how about") != std::string::npos || u_.confidence < O().start_confidence;
        if (!cue || (def->requires_verification && turn_.customer.empty())) return false;
        json::object carried = st_.last_slots;
        bool changed = false;
        std::string unresolved;  // a card or account the customer pointed at but did not settle ("the other one")
        for (const auto& [name, slot] : def->slots) {
            if (slot.type == "text" || slot.type == "yes_no") {
                carried.erase(name);
                continue;
            }
            auto a = ResolveSlot(slot, turn_, carried.if_contains(name), false);
            if (a.value && (!IsBankSlot(slot.type) || a.mentioned)) {
                carried[name] = *a.value;
                changed = true;
            } else if (IsBankSlot(slot.type) && a.mentioned && SlotOptions(slot, turn_).size() > 1) {
                carried.erase(name);
                unresolved = name;
            }
        }
        if (!changed && unresolved.empty()) return false;
        if (changed) unresolved.clear();  // "那3053呢" named a card, not one of the accounts
        StartFlow(*def, std::move(carried), unresolved);
        return true;
    }

    // ---- recommendations -------------------------------------------------------------------------------

    void Recommend() {
        if (st_.recommended || st_.opt_out || Negative() || turn_.customer.empty() || !p_.bank) return;
        if (p_.flows->recommendations.empty()) return;
        const auto& profile = turn_.Profile();
        if (!profile || profile->marketing_opt_out) return;
        if (p_.guard && p_.guard->OptedOut(turn_.customer)) return;
        const auto& accounts = turn_.Accounts();
        if (!accounts) return;
        std::int64_t idle = 0;  // CNY cents in demand accounts
        for (const auto& a : accounts.value()) {
            if (a.status != "active" || a.type == "fixed_deposit") continue;
            idle += a.balance.currency == "USD"   ? a.balance.cents * kUsdToCnyCents / 100
                    : a.balance.currency == "CNY" ? a.balance.cents
                                                  : 0;
        }
        int foreign = -1;  // per month over three months, computed on demand
        auto foreign_per_month = [&] {
            if (foreign >= 0) return foreign;
            banking::TransactionQuery q;
            q.from = AddDays(turn_.today, -90);
            q.to = turn_.today;
            q.debits_only = true;
            q.limit = 500;
            auto page = p_.bank->Transactions(turn_.Call(false, "recommend"), turn_.customer, q);
            int n = 0;
            if (page) {
                for (const auto& t : page->items) {
                    if ((t.original && t.original->currency != "CNY") || t.amount.currency != "CNY") ++n;
                }
            }
            return foreign = n / 3;
        };
        auto products = p_.bank->Products(turn_.Call(false, "products"));
        if (!products) return;
        for (const auto& rule : p_.flows->recommendations) {
            if (!rule.min_idle_balance.empty() && idle < banking::ParseCents(rule.min_idle_balance).value_or(0))
                continue;
            if (rule.min_foreign_transactions > 0 && foreign_per_month() < rule.min_foreign_transactions) continue;
            for (const auto& id : rule.products) {
                auto it = std::find_if(products->begin(), products->end(), [&](const auto& p) { return p.id == id; });
                if (it == products->end() || RiskRank(it->risk) > RiskRank(profile->risk_level)) continue;
                json::object vars{
                    {"product", json::object{{"zh", it->name.zh}, {"en", it->name.en}}},
                    {"rate", it->rate},
                    {"description", json::object{{"zh", it->description.zh}, {"en", it->description.en}}}};
                SayKey("recommend_more", {});
                Say(rule.say, vars,
                    turn_.language == "en"
                        ? std::vector<QuickReply>{{"No more suggestions", "Stop recommending products"}}
                        : std::vector<QuickReply>{{"不再推荐", "不要再推荐产品"}});
                st_.recommended = true;
                turn_.calls.push_back("recommend:" + it->id);
                return;
            }
        }
    }

    // ---- everything else -------------------------------------------------------------------------------

    void Inner() {
        Decision inner = p_.inner->Decide(in_, u_);
        inner.messages = p_.responder->Respond(inner);
        st_.fallbacks = inner.action == "fallback" ? st_.fallbacks + 1 : 0;
        if (st_.fallbacks >= 2 || (u_.intent == "human_agent" && u_.confidence >= 0.5)) inner.handoff = true;
        std::vector<BotMessage> extra = std::move(d_.messages);
        d_ = std::move(inner);
        for (auto& m : extra) d_.messages.push_back(std::move(m));
    }

    const ManagerParts& p_;
    const dialogue::TurnInput& in_;
    const dialogue::Understanding& u_;
    DialogueState st_;
    Turn turn_;
    UnixMillis now_;
    Decision d_;
};

}  // namespace

Decision FlowPolicy::Decide(const dialogue::TurnInput& input, const dialogue::Understanding& u) const {
    return Session(parts_, input, u).Run();
}

}  // namespace kefu::flow
