// Operations endpoints (/healthz, /readyz, /metrics), the OpenAPI document, and the static web assets.

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "api/routes.hpp"
#include "core/embedded.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;
using net::RequestContext;
using net::Response;
using net::http::field;
using net::http::status;

namespace {

std::string_view MimeType(std::string_view path) {
    static const std::map<std::string_view, std::string_view> kTypes = {{".html", "text/html; charset=utf-8"},
                                                                        {".js", "text/javascript; charset=utf-8"},
                                                                        {".mjs", "text/javascript; charset=utf-8"},
                                                                        {".css", "text/css; charset=utf-8"},
                                                                        {".svg", "image/svg+xml"},
                                                                        {".png", "image/png"},
                                                                        {".json", "application/json"},
                                                                        {".yaml", "application/yaml; charset=utf-8"},
                                                                        {".ico", "image/x-icon"},
                                                                        {".txt", "text/plain; charset=utf-8"},
                                                                        {".woff2", "font/woff2"}};
    auto dot = path.rfind('.');
    if (dot != std::string_view::npos) {
        if (auto it = kTypes.find(path.substr(dot)); it != kTypes.end()) return it->second;
    }
    return "application/octet-stream";
}

// Web pages may load scripts, styles and connections from this origin only.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

struct Asset {
    std::string data;
    std::string etag;
};

class StaticFiles {
  public:
    explicit StaticFiles(std::string root) : root_(std::move(root)) {
        if (root_.empty()) {
            for (const auto& f : embedded::WebFiles()) {
                assets_.emplace(std::string(f.path), Asset{std::string(f.data), Etag(f.data)});
            }
        }
    }

    awaitable<Response> Serve(const RequestContext& ctx) const {
        std::string rel(ctx.path.substr(1));
        if (rel.empty() || rel.back() == '/') rel += "index.html";
        std::optional<Asset> asset = Find(rel);
        if (!asset) co_return net::ErrorResponse(ctx, {ErrorCode::kNotFound, "no such resource"});
        auto inm = ctx.req.find(field::if_none_match);
        if (inm != ctx.req.end() && std::string_view(inm->value().data(), inm->value().size()) == asset->etag) {
            Response res{status::not_modified, ctx.req.version()};
            res.set(field::etag, asset->etag);
            co_return res;
        }
        Response res = net::TextResponse(ctx, status::ok, MimeType(rel), std::move(asset->data));
        res.set(field::etag, asset->etag);
        res.set(field::cache_control, rel.ends_with(".html") ? "no-cache" : "public, max-age=300");
        if (rel.ends_with(".html")) {
            res.set("Content-Security-Policy", kContentSecurityPolicy);
            res.set("Referrer-Policy", "same-origin");
        }
        if (rel.starts_with("widget/")) res.set(field::access_control_allow_origin, "*");  // embeddable anywhere
        co_return res;
    }

  private:
    static std::string Etag(std::string_view data) { return "\"" + Sha256Hex(data).substr(0, 32) + "\""; }

    std::optional<Asset> Find(const std::string& rel) const {
        if (root_.empty()) {
            auto it = assets_.find(rel);
            if (it == assets_.end()) return std::nullopt;
            return it->second;
        }
        // Development mode: read from disk, refusing anything that escapes the root.
        if (rel.find("..") != std::string::npos || rel.find('\\') != std::string::npos) return std::nullopt;
        std::filesystem::path p = std::filesystem::path(root_) / rel;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
        std::ifstream in(p, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string data = ss.str();
        return Asset{data, Etag(data)};
    }

    std::string root_;
    std::map<std::string, Asset> assets_;
};

}  // namespace

void AddOpsRoutes(net::Router& router, OpsOptions options) {
    using net::http::verb;
    router.Add(verb::get, "/healthz", [](RequestContext& ctx) -> awaitable<Response> {
        co_return net::JsonResponse(ctx, status::ok, json::object{{"status", "ok"}});
    });
    router.Add(verb::get, "/readyz", [ready = options.ready](RequestContext& ctx) -> awaitable<Response> {
        if (ready && !ready()) co_return net::ErrorResponse(ctx, {ErrorCode::kUnavailable, "not ready"});
        co_return net::JsonResponse(ctx, status::ok, json::object{{"status", "ready"}});
    });
    router.Add(verb::get, "/metrics", [](RequestContext& ctx) -> awaitable<Response> {
        co_return net::TextResponse(ctx, status::ok, "text/plain; version=0.0.4; charset=utf-8",
                                    metrics::Default().Render());
    });
    router.Add(verb::get, "/api/v1/openapi.yaml", [](RequestContext& ctx) -> awaitable<Response> {
        for (const auto& f : embedded::DocFiles()) {
            if (f.path == "openapi.yaml") {
                co_return net::TextResponse(ctx, status::ok, "application/yaml; charset=utf-8", std::string(f.data));
            }
        }
        co_return net::ErrorResponse(ctx, {ErrorCode::kNotFound, "no such resource"});
    });
    auto files = std::make_shared<StaticFiles>(options.web_root);
    router.SetFallbackGet([files](RequestContext& ctx) { return files->Serve(ctx); });
}

}  // namespace kefu::api
