#include "api/roles.hpp"

#include <boost/json.hpp>

namespace kefu::api {

void RoleTable::Declare(net::http::verb method, const std::string& pattern, std::vector<std::string> roles) {
    routes_.push_back({std::string(net::http::to_string(method)), pattern, std::move(roles)});
}

std::string RoleTable::ToJson() const {
    boost::json::array out;
    for (const auto& r : routes_) {
        boost::json::array roles;
        for (const auto& role : r.roles) roles.emplace_back(role);
        out.push_back(boost::json::object{{"method", r.method}, {"pattern", r.pattern}, {"roles", std::move(roles)}});
    }
    return boost::json::serialize(out);
}

void AddStaffRoute(net::Router& router, RoleTable& table, StaffAuth& auth, net::http::verb method,
                   const std::string& pattern, std::vector<std::string> roles, StaffHandler handler) {
    table.Declare(method, pattern, roles);
    router.Add(method, pattern,
               [&auth, roles = std::move(roles),
                handler = std::move(handler)](net::RequestContext& ctx) -> boost::asio::awaitable<net::Response> {
                   std::vector<std::string_view> allowed(roles.begin(), roles.end());
                   auto who = co_await auth.Require(ctx, allowed);
                   if (!who) co_return net::ErrorResponse(ctx, who.error());
                   co_return co_await handler(ctx, who.value());
               });
}

}  // namespace kefu::api
