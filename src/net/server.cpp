#include "net/server.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/thread_name.hpp"
#include "core/utf8.hpp"

namespace kefu::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

void LogSpawnFailure(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        log::Error("connection task failed", {{"error", ex.what()}});
    }
}

metrics::Gauge& OpenConnections() {
    static auto& g = metrics::Default().GetGauge("kefu_connections_open", "Open TCP connections (HTTP and WebSocket).");
    return g;
}

void RecordRequest(std::string_view route, std::string_view method, unsigned status, double seconds) {
    auto& reg = metrics::Default();
    std::string labels = metrics::Label("route", route) + "," + metrics::Label("method", method) + "," +
                         metrics::Label("status", std::to_string(status));
    reg.GetCounter("kefu_http_requests_total", "HTTP requests by route, method and status.", labels).Inc();
    reg.GetHistogram("kefu_http_request_duration_seconds",
                     "HTTP request latency by route, from parsed request to response ready.",
                     metrics::Label("route", route))
        .Observe(seconds);
}

bool IsJsonContentType(const Request& req) {
    auto it = req.find(http::field::content_type);
    if (it == req.end()) return false;
    std::string_view v(it->value().data(), it->value().size());
    auto semi = v.find(';');
    std::string_view mime = v.substr(0, semi);
    while (!mime.empty() && mime.back() == ' ') mime.remove_suffix(1);
    return beast::iequals(mime, "application/json");
}

bool IsOpsPath(std::string_view path) { return path == "/healthz" || path == "/readyz" || path == "/metrics"; }

// Serves one TCP connection: HTTP/1.1 keep-alive requests until close, or a WebSocket upgrade.
class HttpSession final : public Server::Session, public std::enable_shared_from_this<HttpSession> {
  public:
    HttpSession(Server& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
        beast::error_code ec;
        auto ep = stream_.socket().remote_endpoint(ec);
        client_ip_ = ec ? "unknown" : ep.address().to_string();
    }

    auto executor() { return stream_.get_executor(); }

    const ServerOptions::FileUpload* FileUploadFor(beast::string_view target) const {
        std::string_view t(target.data(), target.size());
        for (const auto& u : server_.options().file_uploads) {
            if (t.starts_with(u.prefix)) return &u;
        }
        return nullptr;
    }

    void StopGracefully() override {
        asio::post(stream_.get_executor(), [self = shared_from_this()] {
            if (self->idle_) beast::get_lowest_layer(self->stream_).cancel();
        });
    }

    asio::awaitable<void> Run() {
        auto self = shared_from_this();
        const auto& opt = server_.options();
        beast::flat_buffer buffer;
        for (;;) {
            if (buffer.size() == 0 && !co_await WaitForRequest(buffer)) break;
            http::request_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(opt.max_header_bytes));
            parser.body_limit(opt.max_body_bytes);
            // The read timeout is a separate timer that cancels the read (rather than the stream's own
            // timeout, which closes the socket), so that a 408 can still be written.
            auto timed_out = std::make_shared<bool>(false);
            asio::steady_timer timer(stream_.get_executor(), opt.read_timeout);
            timer.async_wait([self, timed_out](beast::error_code ec) {
                if (ec) return;
                *timed_out = true;
                beast::error_code ignored;
                self->stream_.socket().cancel(ignored);
            });
            stream_.expires_never();
            auto [ec, n] =
                co_await http::async_read_header(stream_, buffer, parser, asio::as_tuple(asio::use_awaitable));
            // Beast checks header_limit only while the header is incomplete; check the whole header too.
            if (!ec && HeaderBytes(parser.get()) > opt.max_header_bytes) ec = http::error::header_limit;
            const ServerOptions::FileUpload* upload = nullptr;
            if (!ec) {
                upload = FileUploadFor(parser.get().target());
                if (upload) parser.body_limit(upload->max_body_bytes);
            }
            if (!ec && !parser.is_done()) {
                std::tie(ec, n) =
                    co_await http::async_read(stream_, buffer, parser, asio::as_tuple(asio::use_awaitable));
            }
            timer.cancel();
            if (*timed_out) ec = beast::error::timeout;
            if (ec) {
                if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
                    ec == asio::error::operation_aborted) {
                    break;
                }
                Error err{ErrorCode::kInvalidArgument, "malformed HTTP request"};
                if (ec == http::error::header_limit) {
                    err = {ErrorCode::kHeaderTooLarge, "request headers are too large"};
                } else if (ec == http::error::body_limit) {
                    err = {ErrorCode::kPayloadTooLarge,
                           "request body is larger than " +
                               std::to_string(upload ? upload->max_body_bytes : opt.max_body_bytes) + " bytes"};
                } else if (ec == beast::error::timeout) {
                    err = {ErrorCode::kRequestTimeout, "the request was not received in time"};
                }
                std::string rid = parser.is_header_done() ? RequestIdFor(parser.get()) : NewRequestId();
                RecordRequest("(unparsed)", "-", static_cast<unsigned>(HttpStatusFor(err.code)), 0);
                log::Info("request rejected",
                          {{"request_id", rid}, {"code", ErrorCodeName(err.code)}, {"ip", client_ip_}});
                co_await WriteAndLinger(ErrorResponse(rid, 11, err));
                break;
            }
            Request req = parser.release();
            if (beast::websocket::is_upgrade(req)) {
                std::string_view target = req.target();
                if (const auto* factory = server_.ws_factory(target.substr(0, target.find('?')))) {
                    co_await UpgradeToWebSocket(std::move(req), *factory);
                    co_return;
                }
            }
            Response res = co_await Dispatch(req);
            bool keep = res.keep_alive() && req.keep_alive() && !server_.draining();
            res.keep_alive(keep);
            stream_.expires_after(opt.read_timeout);
            auto [wec, wn] = co_await http::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
            if (wec || !keep) break;
        }
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

  private:
    // Bytes of the request line and header fields, as sent.
    static std::size_t HeaderBytes(const Request& req) {
        std::size_t n = req.method_string().size() + req.target().size() + 12;
        for (const auto& f : req) n += f.name_string().size() + f.value().size() + 4;
        return n;
    }

    // Waits for the first bytes of the next request: up to the idle timeout normally, and only for a
    // short grace period once the server is draining, so that a request a client has already sent is
    // still answered while an idle connection is closed. Returns false when the connection should end.
    asio::awaitable<bool> WaitForRequest(beast::flat_buffer& buffer) {
        for (;;) {
            const bool draining = server_.draining();
            idle_ = !draining;
            stream_.expires_after(draining ? std::chrono::milliseconds(200) : server_.options().idle_timeout);
            auto [ec, n] = co_await stream_.async_read_some(buffer.prepare(4096), asio::as_tuple(asio::use_awaitable));
            idle_ = false;
            if (!ec) {
                buffer.commit(n);
                co_return true;
            }
            // Woken by StopGracefully: look once more, briefly, for a request already on its way.
            if (ec == asio::error::operation_aborted && !draining && server_.draining()) continue;
            co_return false;
        }
    }

    // Writes a final error response, then drains what the client is still sending for a moment, so the
    // kernel does not reset the connection before the client has read the response.
    asio::awaitable<void> WriteAndLinger(Response res) {
        res.keep_alive(false);
        stream_.expires_after(std::chrono::seconds(5));
        auto [ec, n] = co_await http::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        std::array<char, 16384> sink{};
        std::size_t drained = 0;
        stream_.expires_after(std::chrono::milliseconds(500));
        while (drained < (8u << 20)) {
            auto [rec, rn] = co_await stream_.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
            if (rec) break;
            drained += rn;
        }
    }

    asio::awaitable<void> UpgradeToWebSocket(Request req, WsHandlerFactory factory) {
        std::string rid = RequestIdFor(req);
        int retry_after = 0;
        if (server_.draining() || !server_.rate_limiter().Allow(client_ip_, &retry_after)) {
            Error err = server_.draining() ? Error{ErrorCode::kUnavailable, "the server is shutting down"}
                                           : Error{ErrorCode::kRateLimited, "too many requests"};
            Response res = ErrorResponse(rid, req.version(), err);
            if (retry_after) res.set(http::field::retry_after, std::to_string(retry_after));
            RecordRequest(server_.options().websocket_path, "GET", res.result_int(), 0);
            co_await WriteAndLinger(std::move(res));
            co_return;
        }
        RecordRequest(server_.options().websocket_path, "GET", 101, 0);
        auto ws = std::make_shared<WsConnection>(std::move(stream_), server_.options().websocket);
        struct WsRef final : Server::Session {
            std::weak_ptr<WsConnection> conn;

            void StopGracefully() override {
                if (auto c = conn.lock()) c->Close();
            }
        };
        auto ref = std::make_shared<WsRef>();
        ref->conn = ws;
        auto id = server_.Register(ref);
        co_await ws->Run(std::move(req), std::move(factory), client_ip_);
        server_.Unregister(id);
    }

    asio::awaitable<Response> Dispatch(const Request& req) {
        auto t0 = std::chrono::steady_clock::now();
        std::string_view target(req.target().data(), req.target().size());
        auto qpos = target.find('?');
        RequestContext ctx{req,
                           RequestIdFor(req),
                           client_ip_,
                           target.substr(0, qpos),
                           qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1),
                           {}};
        std::string route = "(unmatched)";
        // A page on a listed origin (a widget on the bank's site) may call the customer API.
        std::string_view origin(req[http::field::origin].data(), req[http::field::origin].size());
        const auto& cors = server_.options().cors;
        const bool cross = !origin.empty() && cors.Allows(origin, ctx.path);
        Response res;
        if (cross && req.method() == http::verb::options && req.count(http::field::access_control_request_method)) {
            route = "(preflight)";
            res = Preflight(ctx, origin);
        } else {
            res = co_await Handle(ctx, route);
            if (cross) AddCorsHeaders(res, origin);
        }
        res.set("X-Request-Id", ctx.request_id);
        res.set(http::field::server, "kefu");
        res.set("X-Content-Type-Options", "nosniff");
        if (req.method() == http::verb::head) {
            auto len = res.body().size();
            res.body().clear();
            res.content_length(len);
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        RecordRequest(route, std::string_view(req.method_string().data(), req.method_string().size()), res.result_int(),
                      secs);
        if (res.result_int() >= 500) {
            log::Error("request failed",
                       {{"request_id", ctx.request_id}, {"route", route}, {"status", res.result_int()}});
        } else {
            log::Debug("request", {{"request_id", ctx.request_id},
                                   {"method", std::string_view(req.method_string().data(), req.method_string().size())},
                                   {"route", route},
                                   {"status", res.result_int()},
                                   {"ms", secs * 1000}});
        }
        co_return res;
    }

    // The methods the path has, or a 404 when it has none.
    Response Preflight(const RequestContext& ctx, std::string_view origin) {
        auto match = server_.router().Find(http::verb::options, ctx.path);
        if (match.allowed.empty()) {
            Response res = ErrorResponse(ctx, {ErrorCode::kNotFound, "no such resource"});
            AddCorsHeaders(res, origin);
            return res;
        }
        auto verbs = match.allowed;
        std::sort(verbs.begin(), verbs.end());
        std::string methods;
        for (auto v : verbs) {
            if (!methods.empty()) methods += ", ";
            methods += std::string(http::to_string(v));
        }
        return PreflightResponse(ctx, origin, methods, server_.options().cors.max_age_s);
    }

    asio::awaitable<Response> Handle(RequestContext& ctx, std::string& route) {
        const Request& req = ctx.req;
        if (!IsOpsPath(ctx.path)) {
            int retry_after = 0;
            if (!server_.rate_limiter().Allow(client_ip_, &retry_after)) {
                Response res = ErrorResponse(ctx, {ErrorCode::kRateLimited, "too many requests; slow down"});
                res.set(http::field::retry_after, std::to_string(retry_after));
                co_return res;
            }
        }
        auto match = server_.router().Find(req.method(), ctx.path);
        if (!match.route) {
            if (!match.allowed.empty()) {
                std::string allow;
                for (auto v : match.allowed) {
                    if (!allow.empty()) allow += ", ";
                    allow += std::string(http::to_string(v));
                }
                Response res = ErrorResponse(ctx, {ErrorCode::kMethodNotAllowed, "method not allowed; use " + allow});
                res.set(http::field::allow, allow);
                co_return res;
            }
            if ((req.method() == http::verb::get || req.method() == http::verb::head) &&
                server_.router().fallback_get()) {
                route = "(static)";
                co_return co_await server_.router().fallback_get()(ctx);
            }
            co_return ErrorResponse(ctx, {ErrorCode::kNotFound, "no such resource"});
        }
        route = match.route->pattern;
        ctx.params = std::move(match.params);
        if (!req.body().empty() && !FileUploadFor(req.target())) {
            if (!IsJsonContentType(req)) {
                co_return ErrorResponse(ctx,
                                        {ErrorCode::kUnsupportedMediaType, "request bodies must be application/json"});
            }
            if (!IsValidUtf8(req.body())) {
                co_return ErrorResponse(ctx, {ErrorCode::kInvalidUtf8, "request body is not valid UTF-8"});
            }
        }
        try {
            co_return co_await match.route->handler(ctx);
        } catch (const std::exception& e) {
            log::Error("handler threw", {{"request_id", ctx.request_id}, {"route", route}, {"error", e.what()}});
        }
        co_return ErrorResponse(ctx, {ErrorCode::kInternal, "internal error"});
    }

    Server& server_;
    beast::tcp_stream stream_;
    std::string client_ip_;
    bool idle_ = false;  // waiting between requests; touched only on the strand
};

}  // namespace

Server::Server(ServerOptions options, const Router& router, WsHandlerFactory ws_factory)
    : options_(std::move(options)),
      router_(router),
      ws_routes_{{options_.websocket_path, std::move(ws_factory)}},
      rate_limiter_(options_.rate_limit_rps, options_.rate_limit_burst),
      ioc_(options_.io_threads > 0 ? options_.io_threads
                                   : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
      acceptor_(ioc_) {}

Server::~Server() {
    if (!threads_.empty()) Shutdown();
}

void Server::Listen() {
    tcp::endpoint ep(asio::ip::make_address(options_.host), static_cast<unsigned short>(options_.port));
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    bound_port_ = acceptor_.local_endpoint().port();
}

void Server::Start() {
    asio::co_spawn(ioc_, AcceptLoop(), LogSpawnFailure);
    int n = options_.io_threads > 0 ? options_.io_threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < n; ++i) {
        threads_.emplace_back([this] {
            SetThreadName("kefu-io");
            ioc_.run();
        });
    }
    log::Info("listening", {{"host", options_.host}, {"port", bound_port_}, {"io_threads", n}});
}

asio::awaitable<void> Server::AcceptLoop() {
    for (;;) {
        auto [ec, socket] =
            co_await acceptor_.async_accept(asio::make_strand(ioc_), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
            log::Warn("accept failed", {{"error", ec.message()}});
            if (ec == asio::error::no_descriptors) {
                asio::steady_timer t(ioc_, std::chrono::milliseconds(50));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        int count = connections_.fetch_add(1) + 1;
        OpenConnections().Add(1);
        auto release = [this](std::exception_ptr e) {
            connections_.fetch_sub(1);
            OpenConnections().Add(-1);
            LogSpawnFailure(e);
        };
        if (count > options_.max_connections) {
            // Over the limit: answer 503 at once on this connection, then close it.
            auto ex = socket.get_executor();
            asio::co_spawn(
                ex,
                [s = std::move(socket)]() mutable -> asio::awaitable<void> {
                    beast::tcp_stream stream(std::move(s));
                    stream.expires_after(std::chrono::seconds(2));
                    Response res = ErrorResponse(NewRequestId(), 11,
                                                 {ErrorCode::kOverloaded, "too many connections; try again shortly"});
                    res.set(http::field::retry_after, "1");
                    res.keep_alive(false);
                    co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
                    beast::error_code ignored;
                    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                },
                release);
            continue;
        }
        auto session = std::make_shared<HttpSession>(*this, std::move(socket));
        auto id = Register(session);
        asio::co_spawn(session->executor(), session->Run(), [this, id, release](std::exception_ptr e) {
            Unregister(id);
            release(e);
        });
    }
}

std::uint64_t Server::Register(std::weak_ptr<Session> s) {
    std::lock_guard lock(sessions_mu_);
    auto id = next_session_id_++;
    sessions_.emplace(id, std::move(s));
    return id;
}

void Server::Unregister(std::uint64_t id) {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(id);
}

void Server::Shutdown() {
    if (draining_.exchange(true)) return;
    log::Info("shutting down", {{"connections", connections_.load()}});
    asio::post(acceptor_.get_executor(), [this] {
        beast::error_code ignored;
        acceptor_.close(ignored);
    });
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(sessions_mu_);
        for (auto& [id, w] : sessions_) {
            if (auto s = w.lock()) live.push_back(std::move(s));
        }
    }
    for (auto& s : live) s->StopGracefully();
    live.clear();
    auto deadline = std::chrono::steady_clock::now() + options_.shutdown_timeout;
    while (connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (connections_.load() > 0) log::Warn("shutdown deadline passed", {{"connections", connections_.load()}});
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

}  // namespace kefu::net
