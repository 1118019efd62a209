#include "net/http.hpp"

#include <boost/json/serialize.hpp>

#include "core/ids.hpp"

namespace kefu::net {

std::string_view RequestContext::Param(std::string_view name) const {
    for (const auto& [k, v] : params) {
        if (k == name) return v;
    }
    return {};
}

namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded decoding: %XX and '+' for space. Malformed escapes stay as they are.
std::string FormDecode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

}  // namespace

// Parsed by hand: Boost.URL 1.81's parse_query reads past the end of a view that is not NUL-terminated.
std::optional<std::string> RequestContext::Query(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        auto eq = pair.find('=');
        if (FormDecode(pair.substr(0, eq)) == name) {
            return eq == std::string_view::npos ? std::string() : FormDecode(pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

std::optional<std::string_view> RequestContext::BearerToken() const {
    auto it = req.find(http::field::authorization);
    if (it == req.end()) return std::nullopt;
    std::string_view v(it->value().data(), it->value().size());
    constexpr std::string_view kPrefix = "Bearer ";
    if (v.size() <= kPrefix.size() || !v.starts_with(kPrefix)) return std::nullopt;
    return v.substr(kPrefix.size());
}

Response JsonResponse(const RequestContext& ctx, http::status status, const boost::json::value& body) {
    Response res{status, ctx.req.version()};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

Response ErrorResponse(std::string_view request_id, unsigned version, const Error& error,
                       const boost::json::object& extra) {
    Response res{static_cast<http::status>(HttpStatusFor(error.code)), version};
    res.set("X-Request-Id", request_id);
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    boost::json::object body;
    body["code"] = ErrorCodeName(error.code);
    body["message"] = error.message;
    body["request_id"] = request_id;
    for (const auto& [k, v] : extra) body[k] = v;
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

Response ErrorResponse(const RequestContext& ctx, const Error& error, const boost::json::object& extra) {
    return ErrorResponse(ctx.request_id, ctx.req.version(), error, extra);
}

Response TextResponse(const RequestContext& ctx, http::status status, std::string_view content_type, std::string body) {
    Response res{status, ctx.req.version()};
    res.set(http::field::content_type, content_type);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

std::string RequestIdFor(const Request& req) {
    auto it = req.find("X-Request-Id");
    if (it != req.end()) {
        std::string_view v(it->value().data(), it->value().size());
        bool ok = !v.empty() && v.size() <= 64;
        for (char c : v) {
            ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
        }
        if (ok) return std::string(v);
    }
    return NewRequestId();
}

}  // namespace kefu::net
