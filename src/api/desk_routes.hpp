#pragma once
// Registration of the desk's HTTP routes and its WebSocket (docs/desk.md).

#include "api/conversation_service.hpp"
#include "api/desk_service.hpp"
#include "api/roles.hpp"
#include "api/staff.hpp"
#include "net/router.hpp"
#include "net/websocket.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::api {

// /api/v1/auth, /api/v1/staff, /api/v1/desk, /api/v1/tickets, and POST /api/v1/conversations/{id}/csat.
void AddDeskRoutes(net::Router& router, RoleTable& roles, DeskService& desk, StaffAuth& auth,
                   storage::sqlite::Database& db, ConversationService& conversations);

// /api/v1/desk/ws: the console's live feed, authenticated by the session cookie or a bearer token.
net::WsHandlerFactory MakeDeskWebSocket(DeskService& desk, StaffAuth& auth);
inline constexpr std::string_view kDeskWebSocketPath = "/api/v1/desk/ws";

}  // namespace kefu::api
