#pragma once
// Registration of every HTTP route and the WebSocket protocol. One handler file per resource.

#include <atomic>
#include <functional>
#include <string>

#include "api/conversation_service.hpp"
#include "api/roles.hpp"
#include "api/staff.hpp"
#include "kb/service.hpp"
#include "net/router.hpp"
#include "net/websocket.hpp"

namespace kefu::api {

// /api/v1/conversations...
void AddConversationRoutes(net::Router& router, ConversationService& service);

struct OpsOptions {
    std::function<bool()> ready;  // /readyz answers 200 only when this returns true
    std::string web_root;         // empty: serve the embedded web assets; else a directory to serve from disk
};
// /api/v1/kb... (docs/kb.md): the knowledge-base admin API, for staff with the kb_editor or admin role.
void AddKbRoutes(net::Router& router, kb::KbService& kb, StaffAuth& staff, RoleTable& roles);

// /healthz, /readyz, /metrics, /api/v1/openapi.yaml, and the static web files as the GET fallback.
void AddOpsRoutes(net::Router& router, OpsOptions options);

// The conversation WebSocket protocol (docs/api-v1.md).
net::WsHandlerFactory MakeConversationWebSocket(ConversationService& service);

}  // namespace kefu::api
