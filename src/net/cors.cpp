#include "net/cors.hpp"

#include <algorithm>
#include <cctype>

namespace kefu::net {

namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool IsOrigin(std::string_view s) {
    std::string_view rest;
    if (s.starts_with("https://")) {
        rest = s.substr(8);
    } else if (s.starts_with("http://")) {
        rest = s.substr(7);
    } else {
        return false;
    }
    auto colon = rest.find(':');
    std::string_view host = rest.substr(0, colon);
    if (host.empty()) return false;
    for (char c : host) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
    }
    if (colon == std::string_view::npos) return true;
    std::string_view port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool CorsPolicy::Allows(std::string_view origin, std::string_view path) const {
    if (origins.empty() || origin.empty()) return false;
    bool under = std::any_of(path_prefixes.begin(), path_prefixes.end(), [&](const std::string& p) {
        return path.starts_with(p) && (path.size() == p.size() || path[p.size()] == '/');
    });
    if (!under) return false;
    std::string o = Lower(origin);
    return std::find(origins.begin(), origins.end(), o) != origins.end();
}

Result<std::vector<std::string>> ParseOrigins(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string_view entry = Trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (entry.empty()) continue;
        std::string o = Lower(entry);
        if (!IsOrigin(o)) {
            return Error{ErrorCode::kInvalidArgument,
                         "'" + std::string(entry) + "' is not an origin such as https://www.bank.example"};
        }
        if (std::find(out.begin(), out.end(), o) == out.end()) out.push_back(std::move(o));
    }
    return out;
}

void AddCorsHeaders(Response& res, std::string_view origin) {
    res.set(http::field::access_control_allow_origin, origin);
    res.set(http::field::access_control_expose_headers, "X-Request-Id, Retry-After");
    res.set(http::field::vary, "Origin");
}

Response PreflightResponse(const RequestContext& ctx, std::string_view origin, std::string_view methods,
                           int max_age_s) {
    Response res{http::status::no_content, ctx.req.version()};
    AddCorsHeaders(res, origin);
    res.set(http::field::access_control_allow_methods, methods);
    res.set(http::field::access_control_allow_headers, "Authorization, Content-Type, X-Request-Id");
    res.set(http::field::access_control_max_age, std::to_string(max_age_s));
    res.keep_alive(ctx.req.keep_alive());
    return res;
}

}  // namespace kefu::net
