#include "flow/flow_def.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace kefu::flow {

namespace fs = std::filesystem;

int FlowDef::StepIndex(std::string_view id) const {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].id == id) return static_cast<int>(i);
    }
    return -1;
}

const Text& Messages::Get(const std::string& key) const {
    static const Text kEmpty;
    auto it = text.find(key);
    return it == text.end() ? kEmpty : it->second;
}

const FlowDef* FlowSet::Find(std::string_view name) const {
    for (const auto& f : flows) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

const FlowDef* FlowSet::ForIntent(std::string_view intent) const {
    for (const auto& f : flows) {
        if (std::find(f.trigger.begin(), f.trigger.end(), intent) != f.trigger.end()) return &f;
    }
    return nullptr;
}

const std::vector<std::string>& RequiredMessageKeys() {
    static const std::vector<std::string> kKeys = {
        "verify_start",      "verify_remind",     "anger_handoff", "verify_need_birth_date",
        "verify_need_last4", "otp_sent",          "otp_wrong",     "verify_failed",
        "verify_locked",     "verified",          "cancelled",     "nothing_to_cancel",
        "back_to_flow",      "system_error",      "escalate",      "opt_out_done",
        "recommend_more",    "attempts_exceeded", "choose_one",    "no_candidates",
        "which_one"};
    return kKeys;
}

const std::map<std::string, std::vector<std::string>>& KnownActions() {
    static const std::map<std::string, std::vector<std::string>> kActions = {
        {"accounts", {"account"}},
        {"transactions", {"account", "card", "period", "merchant", "category"}},
        {"spending", {"account", "card", "period", "merchant", "category"}},
        {"report_lost", {"card", "reason", "replace"}},
        {"freeze_card", {"card"}},
        {"unfreeze_card", {"card"}},
        {"transfer_status", {"reference"}},
        {"card_bill", {"card"}},
        {"create_complaint", {"category", "description"}},
    };
    return kActions;
}

const std::vector<std::string>& ActionVariables(const std::string& action) {
    static const std::map<std::string, std::vector<std::string>> kVars = {
        {"accounts", {"accounts", "account", "count"}},
        {"transactions", {"transactions", "count", "total", "period_label", "merchant_name"}},
        {"spending", {"total", "count", "period_label", "merchant_name", "transactions"}},
        {"report_lost", {"card_after", "replacement"}},
        {"freeze_card", {"card_after"}},
        {"unfreeze_card", {"card_after"}},
        {"transfer", {}},
        {"transfer_status", {"transfer"}},
        {"card_bill", {"bill"}},
        {"create_complaint", {"complaint"}},
    };
    static const std::vector<std::string> kNone;
    auto it = kVars.find(action);
    return it == kVars.end() ? kNone : it->second;
}

namespace {

const std::set<std::string> kSlotTypes = {"card",         "account", "period", "merchant",
                                          "transfer_ref", "yes_no",  "text",   "choice"};
const std::set<std::string> kOutcomes = {"done",        "already", "not_allowed", "not_found", "empty",
                                         "completed",   "pending", "failed",      "returned",  "timeout",
                                         "unavailable", "error",   "default"};

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Collects problems instead of stopping at the first, so an author fixes a file in one pass.
class Reader {
  public:
    Reader(std::string file, std::vector<std::string>& problems) : file_(std::move(file)), problems_(problems) {}

    void Problem(const YAML::Node& at, const std::string& what) {
        problems_.push_back(fmt::format("{}:{}: {}", file_, at.Mark().line + 1, what));
    }
    void ProblemAt(int line, const std::string& what) {
        problems_.push_back(fmt::format("{}:{}: {}", file_, line, what));
    }
    int Line(const YAML::Node& n) const { return n.Mark().line + 1; }
    const std::string& file() const { return file_; }

    void Keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, const std::string& where) {
        if (!map.IsMap()) return;
        for (const auto& kv : map) {
            auto k = kv.first.as<std::string>();
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
                Problem(kv.first, fmt::format("{}: unknown key '{}'", where, k));
            }
        }
    }

    std::string Str(const YAML::Node& n, const std::string& what) {
        if (!n || !n.IsScalar()) {
            Problem(n, what + " must be text");
            return {};
        }
        return n.as<std::string>();
    }

    Text Bilingual(const YAML::Node& n, const std::string& what) {
        Text t;
        if (!n || !n.IsMap()) {
            Problem(n, what + " must be a map with zh and en");
            return t;
        }
        Keys(n, {"zh", "en"}, what);
        if (n["zh"] && n["zh"].IsScalar()) t.zh = n["zh"].as<std::string>();
        if (n["en"] && n["en"].IsScalar()) t.en = n["en"].as<std::string>();
        if (t.zh.empty() || t.en.empty()) Problem(n, what + " needs non-empty zh and en");
        return t;
    }

    bool Bool(const YAML::Node& n, const std::string& what) {
        try {
            return n.as<bool>();
        } catch (const YAML::Exception&) {
            Problem(n, what + " must be true or false");
            return false;
        }
    }

    std::vector<std::string> List(const YAML::Node& n, const std::string& what) {
        std::vector<std::string> out;
        if (!n) return out;
        if (!n.IsSequence()) {
            Problem(n, what + " must be a list");
            return out;
        }
        for (const auto& i : n) out.push_back(Str(i, what + " item"));
        return out;
    }

  private:
    std::string file_;
    std::vector<std::string>& problems_;
};

Outcome ReadOutcome(Reader& r, const YAML::Node& n, const std::string& where) {
    Outcome o;
    o.present = true;
    if (!n.IsMap()) {
        r.Problem(n, where + " must be a map (say, each, item, go, end, escalate)");
        return o;
    }
    r.Keys(n, {"say", "each", "item", "go", "end", "escalate"}, where);
    if (n["say"]) o.say = r.Bilingual(n["say"], where + ".say");
    if (n["each"]) o.each = r.Str(n["each"], where + ".each");
    if (n["item"]) o.item = r.Bilingual(n["item"], where + ".item");
    if (n["go"]) o.go = r.Str(n["go"], where + ".go");
    if (n["end"]) o.end = r.Bool(n["end"], where + ".end");
    if (n["escalate"]) o.escalate = r.Bool(n["escalate"], where + ".escalate");
    if (o.each.empty() != o.item.empty()) r.Problem(n, where + ": 'each' and 'item' go together");
    return o;
}

SlotDef ReadSlot(Reader& r, const std::string& name, const YAML::Node& n) {
    SlotDef s;
    s.name = name;
    s.line = r.Line(n);
    const std::string where = "slot '" + name + "'";
    if (!n.IsMap()) {
        r.Problem(n, where + " must be a map");
        return s;
    }
    r.Keys(n, {"type", "prompt", "reprompt", "max_attempts", "optional", "filter", "default", "choices", "none"},
           where);
    if (n["none"]) s.none = r.Bilingual(n["none"], where + ".none");
    s.type = r.Str(n["type"], where + ".type");
    if (!s.type.empty() && !kSlotTypes.contains(s.type)) {
        r.Problem(n["type"], fmt::format("{}: unknown type '{}' (card, account, period, merchant, transfer_ref, "
                                         "yes_no, text, choice)",
                                         where, s.type));
    }
    if (n["optional"]) s.optional = r.Bool(n["optional"], where + ".optional");
    if (n["prompt"]) {
        s.prompt = r.Bilingual(n["prompt"], where + ".prompt");
    } else if (!s.optional) {
        r.Problem(n, where + " needs a prompt (or optional: true)");
    }
    s.reprompt = n["reprompt"] ? r.Bilingual(n["reprompt"], where + ".reprompt") : s.prompt;
    if (n["max_attempts"]) {
        s.max_attempts = n["max_attempts"].as<int>(0);
        if (s.max_attempts < 1 || s.max_attempts > 10) r.Problem(n["max_attempts"], where + ".max_attempts: 1 to 10");
    }
    if (const auto& f = n["filter"]) {
        r.Keys(f, {"status", "kind"}, where + ".filter");
        s.status_filter = r.List(f["status"], where + ".filter.status");
        if (f["kind"]) s.kind_filter = r.Str(f["kind"], where + ".filter.kind");
    }
    if (n["default"]) {
        s.default_value = r.Str(n["default"], where + ".default");
        static const std::set<std::string> kPeriods = {"last_30_days", "this_month", "last_month", "last_6_months"};
        if (s.type == "period" && !kPeriods.contains(s.default_value)) {
            r.Problem(n["default"], where + ".default: last_30_days, this_month, last_month or last_6_months");
        }
    }
    if (const auto& cs = n["choices"]) {
        if (!cs.IsSequence()) r.Problem(cs, where + ".choices must be a list");
        for (const auto& c : cs) {
            Choice ch;
            r.Keys(c, {"id", "label", "keywords"}, where + " choice");
            ch.id = r.Str(c["id"], where + " choice id");
            ch.label = r.Bilingual(c["label"], where + " choice label");
            for (auto& k : r.List(c["keywords"], where + " choice keywords")) ch.keywords.push_back(Lower(k));
            s.choices.push_back(std::move(ch));
        }
    }
    if (s.type == "choice" && s.choices.empty()) r.Problem(n, where + ": a choice slot needs choices");
    return s;
}

StepDef ReadStep(Reader& r, const YAML::Node& n, std::size_t index) {
    StepDef st;
    st.line = r.Line(n);
    const std::string where = fmt::format("step {}", index + 1);
    if (!n.IsMap()) {
        r.Problem(n, where + " must be a map");
        return st;
    }
    r.Keys(n, {"id", "when", "ask", "confirm", "action", "say", "end", "args", "on", "on_deny", "each", "item"}, where);
    if (n["id"]) st.id = r.Str(n["id"], where + ".id");
    if (n["when"]) st.when = r.Str(n["when"], where + ".when");
    int kinds = 0;
    if (n["ask"]) {
        st.kind = "ask", st.slot = r.Str(n["ask"], where + ".ask"), ++kinds;
    }
    if (n["confirm"]) {
        st.kind = "confirm", st.body.say = r.Bilingual(n["confirm"], where + ".confirm"), ++kinds;
    }
    if (n["action"]) {
        st.kind = "action", st.action = r.Str(n["action"], where + ".action"), ++kinds;
    }
    if (n["say"]) {
        st.kind = "say", st.body.say = r.Bilingual(n["say"], where + ".say"), ++kinds;
    }
    if (n["end"]) {
        st.kind = "end", ++kinds;
    }
    if (kinds != 1) r.Problem(n, where + " needs exactly one of ask, confirm, action, say, end");
    if (n["each"]) st.body.each = r.Str(n["each"], where + ".each");
    if (n["item"]) st.body.item = r.Bilingual(n["item"], where + ".item");
    if (const auto& a = n["args"]) {
        if (!a.IsMap()) r.Problem(a, where + ".args must be a map");
        for (const auto& kv : a) st.args[kv.first.as<std::string>()] = r.Str(kv.second, where + ".args");
    }
    if (const auto& on = n["on"]) {
        if (!on.IsMap()) r.Problem(on, where + ".on must be a map of outcome to what follows");
        for (const auto& kv : on) {
            auto outcome = kv.first.as<std::string>();
            if (!kOutcomes.contains(outcome)) r.Problem(kv.first, where + ": unknown outcome '" + outcome + "'");
            st.on[outcome] = ReadOutcome(r, kv.second, where + ".on." + outcome);
        }
    }
    if (n["on_deny"]) st.on_deny = ReadOutcome(r, n["on_deny"], where + ".on_deny");
    if (st.kind != "action" && (n["args"] || n["on"])) r.Problem(n, where + ": args and on belong to an action");
    if (st.kind != "confirm" && n["on_deny"]) r.Problem(n, where + ": on_deny belongs to a confirm");
    return st;
}

// Cross-checks: slots, actions, step ids and template names exist.
void CheckFlow(Reader& r, const FlowDef& f, const YAML::Node& root) {
    std::set<std::string> ids;
    for (const auto& st : f.steps) {
        if (!st.id.empty() && !ids.insert(st.id).second) {
            r.Problem(root["steps"], "duplicate step id '" + st.id + "'");
        }
    }
    std::set<std::string> names;  // what templates may use: slots, action results and list items
    for (const auto& [n, s] : f.slots) names.insert(n);
    names.insert({"list", "customer"});
    std::set<std::string> vars;  // the variables the flow's actions set (ActionVariables)
    for (const auto& st : f.steps) {
        if (st.kind == "action") {
            for (const auto& v : ActionVariables(st.action)) vars.insert(v);
        }
    }
    auto check_text = [&](const Text& t, const StepDef& st) {
        for (const auto* s : {&t.zh, &t.en}) {
            for (const auto& n : TemplateNames(*s)) {
                if (!names.contains(n) && !vars.contains(n)) {
                    r.ProblemAt(st.line, fmt::format("'{{{}}}' names no slot or action result", n));
                }
            }
        }
    };
    auto check_go = [&](const Outcome& o, const StepDef& st) {
        if (!o.go.empty() && f.StepIndex(o.go) < 0) {
            r.Problem(root["steps"], fmt::format("step at line {}: 'go: {}' names no step", st.line, o.go));
        }
    };
    for (const auto& st : f.steps) {
        if (st.kind == "ask" && !f.slots.contains(st.slot)) {
            r.Problem(root["steps"], fmt::format("step at line {}: asks for undefined slot '{}'", st.line, st.slot));
        }
        if (st.kind == "action") {
            auto it = KnownActions().find(st.action);
            if (it == KnownActions().end()) {
                r.Problem(root["steps"], fmt::format("step at line {}: unknown action '{}'", st.line, st.action));
            } else {
                for (const auto& [param, source] : st.args) {
                    if (std::find(it->second.begin(), it->second.end(), param) == it->second.end()) {
                        r.Problem(root["steps"],
                                  fmt::format("step at line {}: action '{}' takes no '{}'", st.line, st.action, param));
                    }
                    if (!source.starts_with("=") && !f.slots.contains(source)) {
                        r.Problem(root["steps"], fmt::format("step at line {}: argument '{}' names undefined slot '{}'",
                                                             st.line, param, source));
                    }
                }
            }
        }
        check_go(st.on_deny, st);
        for (const auto& [k, o] : st.on) check_go(o, st);
        check_text(st.body.say, st);
        check_text(st.on_deny.say, st);
        for (const auto& [k, o] : st.on) check_text(o.say, st);
        // List items name the fields of each element; they are not checked here.
    }
}

void ReadFlow(Reader& r, const YAML::Node& root, FlowSet& set) {
    FlowDef f;
    f.file = r.file();
    r.Keys(root,
           {"version", "flow", "description", "trigger", "requires_verification", "recommend",
            "suppresses_recommendations", "slots", "steps"},
           "flow");
    if (root["suppresses_recommendations"]) {
        f.suppresses_recommendations = r.Bool(root["suppresses_recommendations"], "suppresses_recommendations");
    }
    f.name = r.Str(root["flow"], "flow");
    f.trigger = r.List(root["trigger"], "trigger");
    if (root["requires_verification"])
        f.requires_verification = r.Bool(root["requires_verification"], "requires_verification");
    if (root["recommend"]) f.recommend = r.Bool(root["recommend"], "recommend");
    if (const auto& slots = root["slots"]) {
        if (!slots.IsMap()) r.Problem(slots, "slots must be a map");
        for (const auto& kv : slots) {
            auto name = kv.first.as<std::string>();
            f.slots[name] = ReadSlot(r, name, kv.second);
        }
    }
    if (!root["steps"] || !root["steps"].IsSequence() || root["steps"].size() == 0) {
        r.Problem(root, "flow '" + f.name + "' needs a list of steps");
    } else {
        std::size_t i = 0;
        for (const auto& s : root["steps"]) f.steps.push_back(ReadStep(r, s, i++));
    }
    CheckFlow(r, f, root);
    if (set.Find(f.name) != nullptr) r.Problem(root["flow"], "flow '" + f.name + "' is defined twice");
    for (const auto& t : f.trigger) {
        if (const auto* other = set.ForIntent(t)) {
            r.Problem(root["trigger"], fmt::format("intent '{}' already starts flow '{}'", t, other->name));
        }
    }
    set.flows.push_back(std::move(f));
}

void ReadMessages(Reader& r, const YAML::Node& root, FlowSet& set) {
    r.Keys(root, {"version", "messages"}, "messages file");
    const auto& m = root["messages"];
    if (!m.IsMap()) return r.Problem(m, "messages must be a map of key to {zh, en}");
    for (const auto& kv : m) {
        auto key = kv.first.as<std::string>();
        set.messages.text[key] = r.Bilingual(kv.second, "message '" + key + "'");
    }
    for (const auto& key : RequiredMessageKeys()) {
        if (!set.messages.text.contains(key)) r.Problem(m, "missing message '" + key + "'");
    }
}

void ReadLexicon(Reader& r, const YAML::Node& root, FlowSet& set) {
    r.Keys(root, {"version", "lexicon"}, "lexicon file");
    const auto& lex = root["lexicon"];
    r.Keys(lex, {"merchants", "categories"}, "lexicon");
    struct Target {
        const char* key;
        std::map<std::string, std::vector<std::string>>* names;
        std::map<std::string, std::vector<std::string>>* keys;
    };
    for (const auto& [key, target, keys] : {Target{"merchants", &set.merchants, &set.merchant_keys},
                                            Target{"categories", &set.categories, &set.category_keys}}) {
        const auto& n = lex[key];
        if (!n) continue;
        if (!n.IsMap()) {
            r.Problem(n, std::string("lexicon.") + key + " must be a map of id to a list of names");
            continue;
        }
        for (const auto& kv : n) {
            for (auto& w : r.List(kv.second, kv.first.as<std::string>())) {
                (*keys)[kv.first.as<std::string>()].push_back(Lower(w));
                (*target)[kv.first.as<std::string>()].push_back(w);
            }
        }
    }
}

void ReadRecommendations(Reader& r, const YAML::Node& root, FlowSet& set) {
    r.Keys(root, {"version", "recommendations"}, "recommendations file");
    const auto& rules = root["recommendations"];
    if (!rules.IsSequence()) return r.Problem(rules, "recommendations must be a list of rules");
    for (const auto& n : rules) {
        RecommendationRule rule;
        rule.line = r.Line(n);
        r.Keys(n, {"id", "when", "products", "say"}, "recommendation");
        rule.id = r.Str(n["id"], "recommendation id");
        if (const auto& w = n["when"]) {
            r.Keys(w, {"min_idle_balance", "min_foreign_transactions"}, "recommendation '" + rule.id + "'.when");
            if (w["min_idle_balance"]) rule.min_idle_balance = r.Str(w["min_idle_balance"], "min_idle_balance");
            if (w["min_foreign_transactions"]) rule.min_foreign_transactions = w["min_foreign_transactions"].as<int>(0);
        } else {
            r.Problem(n, "recommendation '" + rule.id + "' needs 'when'");
        }
        rule.products = r.List(n["products"], "products");
        if (rule.products.empty()) r.Problem(n, "recommendation '" + rule.id + "' needs products");
        rule.say = r.Bilingual(n["say"], "recommendation '" + rule.id + "'.say");
        set.recommendations.push_back(std::move(rule));
    }
}

}  // namespace

Result<std::shared_ptr<const FlowSet>> LoadFlows(const std::string& dir, std::vector<std::string>* problems_out) {
    std::vector<std::string> problems;
    auto set = std::make_shared<FlowSet>();
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    if (ec) return Error{ErrorCode::kNotFound, dir + ": " + ec.message()};
    std::sort(files.begin(), files.end());
    bool has_messages = false;
    for (const auto& path : files) {
        Reader r(path.string(), problems);
        try {
            YAML::Node root = YAML::LoadFile(path.string());
            if (!root.IsMap() || !root["version"] || root["version"].as<int>(0) != 1) {
                r.Problem(root, "expected 'version: 1'");
                continue;
            }
            if (root["flow"]) {
                ReadFlow(r, root, *set);
            } else if (root["messages"]) {
                ReadMessages(r, root, *set);
                has_messages = true;
            } else if (root["lexicon"]) {
                ReadLexicon(r, root, *set);
            } else if (root["recommendations"]) {
                ReadRecommendations(r, root, *set);
            } else {
                r.Problem(root, "expected one of 'flow', 'messages', 'lexicon' or 'recommendations'");
            }
        } catch (const YAML::Exception& e) {
            problems.push_back(fmt::format("{}:{}: {}", path.string(), e.mark.line + 1, e.msg));
        }
    }
    if (!files.empty() && !has_messages) problems.push_back(dir + ": no messages file (messages: …)");
    if (problems_out) *problems_out = problems;
    if (!problems.empty()) {
        return Error{ErrorCode::kImportInvalid,
                     fmt::format("{} problem(s) in the flows; first: {}", problems.size(), problems.front())};
    }
    return std::shared_ptr<const FlowSet>(std::move(set));
}

}  // namespace kefu::flow
