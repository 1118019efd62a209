#pragma once
// HTTP types shared by the server, the router and the handlers, and the one place that turns an Error
// into the JSON body {code, message, request_id}.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace kefu::net {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct RequestContext {
    const Request& req;
    std::string request_id;
    std::string client_ip;
    std::string_view path;                                    // the target without the query string
    std::string_view query;                                   // after '?', undecoded
    std::vector<std::pair<std::string, std::string>> params;  // path parameters from the route pattern

    std::string_view Param(std::string_view name) const;
    // The first query parameter with this name, percent-decoded.
    std::optional<std::string> Query(std::string_view name) const;
    // The bearer token from the Authorization header, if any.
    std::optional<std::string_view> BearerToken() const;
};

using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

Response JsonResponse(const RequestContext& ctx, http::status status, const boost::json::value& body);
// The body is {code, message, request_id} plus the fields of `extra` (details a client can act on).
Response ErrorResponse(const RequestContext& ctx, const Error& error, const boost::json::object& extra = {});
// For failures before a RequestContext exists (header too large, timeouts).
Response ErrorResponse(std::string_view request_id, unsigned version, const Error& error,
                       const boost::json::object& extra = {});
Response TextResponse(const RequestContext& ctx, http::status status, std::string_view content_type, std::string body);

// A client-supplied X-Request-Id is kept if it is 1–64 chars of [A-Za-z0-9._-]; otherwise a new one is made.
std::string RequestIdFor(const Request& req);

}  // namespace kefu::net
