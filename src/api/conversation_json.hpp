#pragma once
// The wire form of conversations, messages and WebSocket events (docs/api-v1.md).

#include <boost/json/object.hpp>
#include <string>

#include "core/error.hpp"
#include "storage/conversation_store.hpp"

namespace kefu::api {

boost::json::object ToJson(const storage::ConversationRecord& c);
boost::json::object ToJson(const storage::MessageRecord& m);
boost::json::array ToJson(const std::vector<storage::MessageRecord>& ms);

// WebSocket frames, serialised.
std::string MessageEvent(const storage::MessageRecord& m);
std::string StatusEvent(const storage::ConversationRecord& c);
std::string TypingEvent(std::string_view role, bool state);
std::string ErrorEvent(const Error& e, std::string_view client_message_id = {});

}  // namespace kefu::api
