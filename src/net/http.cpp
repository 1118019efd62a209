#include "net/http.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse_query.hpp>

#include "core/ids.hpp"

namespace kefu::net {

std::string_view RequestContext::Param(std::string_view name) const {
    for (const auto& [k, v] : params) {
        if (k == name) return v;
    }
    return {};
}

std::optional<std::string> RequestContext::Query(std::string_view name) const {
    if (query.empty()) return std::nullopt;
    auto parsed = boost::urls::parse_query(query);
    if (!parsed) return std::nullopt;
    for (auto param : *parsed) {
        if (param.key == name) return std::string(param.has_value ? param.value : "");
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

Response ErrorResponse(std::string_view request_id, unsigned version, const Error& error) {
    Response res{static_cast<http::status>(HttpStatusFor(error.code)), version};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    boost::json::object body;
    body["code"] = ErrorCodeName(error.code);
    body["message"] = error.message;
    body["request_id"] = request_id;
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

Response ErrorResponse(const RequestContext& ctx, const Error& error) {
    return ErrorResponse(ctx.request_id, ctx.req.version(), error);
}

Response TextResponse(const RequestContext& ctx, http::status status, std::string_view content_type,
                      std::string body) {
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
