#include "api/conversation_json.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"

namespace kefu::api {

namespace json = boost::json;

json::object ToJson(const storage::ConversationRecord& c) {
    json::object o;
    o["id"] = c.id;
    o["channel"] = c.channel;
    o["language"] = c.language;
    o["status"] = c.status;
    o["customer_ref"] = c.customer_ref ? json::value(*c.customer_ref) : json::value(nullptr);
    o["created_at"] = FormatIsoMillis(c.created_at);
    o["updated_at"] = FormatIsoMillis(c.updated_at);
    o["ended_at"] = c.ended_at ? json::value(FormatIsoMillis(*c.ended_at)) : json::value(nullptr);
    o["last_seq"] = c.last_seq;
    return o;
}

json::object ToJson(const storage::MessageRecord& m) {
    json::object o;
    o["id"] = m.id;
    o["seq"] = m.seq;
    o["role"] = m.role;
    o["text"] = m.text;
    o["client_message_id"] = m.client_message_id ? json::value(*m.client_message_id) : json::value(nullptr);
    o["in_reply_to"] = m.in_reply_to ? json::value(*m.in_reply_to) : json::value(nullptr);
    o["created_at"] = FormatIsoMillis(m.created_at);
    if (m.role == "bot") {
        boost::system::error_code ec;
        json::value meta = json::parse(m.meta, ec);
        const json::value* qr = !ec && meta.is_object() ? meta.as_object().if_contains("quick_replies") : nullptr;
        o["quick_replies"] = qr && qr->is_array() ? *qr : json::array{};
    } else if (m.role == "agent") {
        // The customer sees the agent's display name only, never their sign-in name.
        boost::system::error_code ec;
        json::value meta = json::parse(m.meta, ec);
        const json::value* name =
            !ec && meta.is_object() ? meta.as_object().if_contains("agent_display_name") : nullptr;
        o["agent"] = json::object{{"display_name", name && name->is_string() ? *name : json::value("")}};
    }
    return o;
}

json::array ToJson(const std::vector<storage::MessageRecord>& ms) {
    json::array a;
    a.reserve(ms.size());
    for (const auto& m : ms) a.push_back(ToJson(m));
    return a;
}

std::string MessageEvent(const storage::MessageRecord& m) {
    return json::serialize(json::object{{"type", "message"}, {"message", ToJson(m)}});
}

std::string StatusEvent(const storage::ConversationRecord& c) {
    return json::serialize(json::object{{"type", "status"}, {"status", c.status}, {"conversation", ToJson(c)}});
}

std::string TypingEvent(std::string_view role, bool state) {
    return json::serialize(json::object{{"type", "typing"}, {"role", role}, {"state", state}});
}

std::string ErrorEvent(const Error& e, std::string_view client_message_id) {
    json::object o{{"type", "error"}, {"code", ErrorCodeName(e.code)}, {"message", e.message}};
    if (!client_message_id.empty()) o["client_message_id"] = client_message_id;
    return json::serialize(o);
}

}  // namespace kefu::api
