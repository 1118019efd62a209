#pragma once
// Cross-origin access to the customer-facing API, for a chat widget embedded on the bank's own site while
// Kefu answers from another origin (docs/api-v1.md, "Cross-origin widgets"). Only the listed origins, only
// under the listed path prefixes, and never with credentials: customers authenticate with bearer tokens,
// and staff routes (session cookies) stay same-origin.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "net/http.hpp"

namespace kefu::net {

struct CorsPolicy {
    std::vector<std::string> origins;  // exact, lower case: "https://www.bank.example", "http://localhost:3000"
    std::vector<std::string> path_prefixes = {"/api/v1/conversations"};
    int max_age_s = 600;

    // Whether a page from `origin` may call `path`.
    bool Allows(std::string_view origin, std::string_view path) const;
};

// "https://www.bank.example, https://m.bank.example:8443" → the origins, lower case. An entry that is not
// scheme://host[:port] (http or https, no path, no wildcard) is an error naming it.
Result<std::vector<std::string>> ParseOrigins(std::string_view list);

// The headers every answer to an allowed cross-origin request carries.
void AddCorsHeaders(Response& res, std::string_view origin);

// The answer to a preflight (OPTIONS with Access-Control-Request-Method): 204 with the path's methods, the
// headers a widget sends and how long the browser may cache it.
Response PreflightResponse(const RequestContext& ctx, std::string_view origin, std::string_view methods, int max_age_s);

}  // namespace kefu::net
