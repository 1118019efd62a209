#include "flow/state.hpp"

#include <boost/json.hpp>

namespace kefu::flow {

namespace json = boost::json;

namespace {

std::string Str(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t Int(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64()) return v->get_int64();
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    return 0;
}

bool Bool(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_bool() && v->get_bool();
}

json::object Obj(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_object() ? v->get_object() : json::object();
}

json::object FlowToJson(const ActiveFlow& f) {
    json::object attempts;
    for (const auto& [k, v] : f.attempts) attempts[k] = v;
    return {{"name", f.name},   {"step", f.step}, {"awaiting", f.awaiting},         {"slot", f.slot},
            {"slots", f.slots}, {"vars", f.vars}, {"attempts", std::move(attempts)}};
}

ActiveFlow FlowFromJson(const json::object& o) {
    ActiveFlow f;
    f.name = Str(o, "name");
    f.step = static_cast<int>(Int(o, "step"));
    f.awaiting = Str(o, "awaiting");
    f.slot = Str(o, "slot");
    f.slots = Obj(o, "slots");
    f.vars = Obj(o, "vars");
    for (const auto& [k, v] : Obj(o, "attempts")) {
        if (v.is_int64()) f.attempts[std::string(k)] = static_cast<int>(v.get_int64());
    }
    return f;
}

}  // namespace

DialogueState DialogueState::FromJson(std::string_view text) {
    DialogueState s;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return s;
    const auto& o = v.get_object();
    if (const auto* f = o.if_contains("flow"); f && f->is_object()) s.flow = FlowFromJson(f->get_object());
    if (const auto* st = o.if_contains("suspended"); st && st->is_array()) {
        for (const auto& f : st->get_array()) {
            if (f.is_object()) s.suspended.push_back(FlowFromJson(f.get_object()));
        }
    }
    json::object ver = Obj(o, "verify");
    s.verify.customer = Str(ver, "customer");
    s.verify.until = Int(ver, "until");
    s.verify.method = Str(ver, "method");
    s.verify.failures = static_cast<int>(Int(ver, "failures"));
    s.verify.locked_until = Int(ver, "locked_until");
    s.verify.stage = Str(ver, "stage");
    s.verify.last4 = Str(ver, "last4");
    s.verify.birth_date = Str(ver, "birth_date");
    s.verify.otp_customer = Str(ver, "otp_customer");
    s.verify.otp_hash = Str(ver, "otp_hash");
    s.verify.otp_salt = Str(ver, "otp_salt");
    s.verify.otp_expires = Int(ver, "otp_expires");
    s.last_flow = Str(o, "last_flow");
    s.last_slots = Obj(o, "last_slots");
    s.language = Str(o, "language");
    s.recommended = Bool(o, "recommended");
    s.opt_out = Bool(o, "opt_out");
    s.fallbacks = static_cast<int>(Int(o, "fallbacks"));
    if (const auto* a = o.if_contains("sentiment"); a && a->is_array()) {
        for (const auto& x : a->get_array()) {
            if (x.is_double()) s.sentiment.push_back(x.get_double());
        }
    }
    return s;
}

std::string DialogueState::ToJson() const {
    json::object o;
    if (flow) o["flow"] = FlowToJson(*flow);
    if (!suspended.empty()) {
        json::array a;
        for (const auto& f : suspended) a.push_back(FlowToJson(f));
        o["suspended"] = std::move(a);
    }
    const auto& v = verify;
    o["verify"] = json::object{{"customer", v.customer},
                               {"until", v.until},
                               {"method", v.method},
                               {"failures", v.failures},
                               {"locked_until", v.locked_until},
                               {"stage", v.stage},
                               {"last4", v.last4},
                               {"birth_date", v.birth_date},
                               {"otp_customer", v.otp_customer},
                               {"otp_hash", v.otp_hash},
                               {"otp_salt", v.otp_salt},
                               {"otp_expires", v.otp_expires}};
    if (!last_flow.empty()) {
        o["last_flow"] = last_flow;
        o["last_slots"] = last_slots;
    }
    o["language"] = language;
    o["recommended"] = recommended;
    o["opt_out"] = opt_out;
    o["fallbacks"] = fallbacks;
    json::array s;
    for (double x : sentiment) s.push_back(x);
    o["sentiment"] = std::move(s);
    return json::serialize(o);
}

}  // namespace kefu::flow
