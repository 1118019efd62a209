#pragma once
// Which staff roles may call which route: one table for the whole API (docs/desk.md). Staff routes are
// registered through AddStaffRoute, which checks the caller's role before the handler runs, so a route
// cannot forget the check; routes that check by themselves (the KB API) declare their roles here too.
// `kefu routes` prints the table; the functional role-matrix test walks it.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

#include "api/staff.hpp"
#include "net/router.hpp"

namespace kefu::api {

struct RouteRoles {
    std::string method;   // GET, POST, ...
    std::string pattern;  // /api/v1/desk/chats/{chat_id}
    std::vector<std::string> roles;
};

class RoleTable {
  public:
    void Declare(net::http::verb method, const std::string& pattern, std::vector<std::string> roles);
    const std::vector<RouteRoles>& routes() const { return routes_; }
    std::string ToJson() const;

  private:
    std::vector<RouteRoles> routes_;
};

using StaffHandler = std::function<boost::asio::awaitable<net::Response>(net::RequestContext&, const StaffMember&)>;

// Registers a route for staff with one of `roles`: 401/403 before the handler otherwise.
void AddStaffRoute(net::Router& router, RoleTable& table, StaffAuth& auth, net::http::verb method,
                   const std::string& pattern, std::vector<std::string> roles, StaffHandler handler);

}  // namespace kefu::api
