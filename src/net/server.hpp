#pragma once
// The HTTP and WebSocket server: Boost.Beast over Asio with C++20 coroutines, one io_context run by
// `io_threads` threads, one strand per connection.
//
// Every request gets a request id (echoed as X-Request-Id and in error bodies), is counted and timed in
// /metrics by route and status, and passes the limits in ServerOptions; each limit answers with its
// documented JSON error. Shutdown() stops accepting, lets in-flight requests finish, closes idle and
// WebSocket connections, and returns once all are gone or the deadline passes.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/cors.hpp"
#include "net/rate_limiter.hpp"
#include "net/router.hpp"
#include "net/websocket.hpp"

namespace kefu::net {

struct ServerOptions {
    std::string host = "0.0.0.0";
    int port = 8080;              // 0 picks a free port (see Server::port())
    int io_threads = 0;           // 0 = one per core
    int max_connections = 10000;  // beyond this a new connection gets 503 overloaded and is closed
    std::size_t max_header_bytes = 8192;
    std::size_t max_body_bytes = 65536;
    std::chrono::milliseconds read_timeout{15000};  // to receive one whole request once it has begun
    std::chrono::milliseconds idle_timeout{60000};  // keep-alive wait between requests
    double rate_limit_rps = 100;                    // per client IP; 0 disables
    double rate_limit_burst = 200;
    std::chrono::milliseconds shutdown_timeout{10000};
    std::string websocket_path = "/api/v1/ws";
    WsOptions websocket;
    // Routes that take files rather than JSON (knowledge-base import): under `prefix`, bodies may be up to
    // `max_body_bytes` and of any content type (the handler checks the format).
    struct FileUpload {
        std::string prefix;
        std::size_t max_body_bytes = 0;
    };
    std::vector<FileUpload> file_uploads;
    CorsPolicy cors;  // cross-origin access to the customer API (none by default)
};

class Server {
  public:
    Server(ServerOptions options, const Router& router, WsHandlerFactory ws_factory);
    ~Server();

    // Binds and listens. Throws std::system_error if the address is unavailable.
    void Listen();
    // Runs the I/O threads; returns at once.
    void Start();
    // Graceful stop (see above); then stops the I/O threads. Safe to call once, from any non-I/O thread.
    void Shutdown();

    int port() const { return bound_port_; }
    boost::asio::io_context& io_context() { return ioc_; }
    bool draining() const { return draining_.load(); }

    // Internal: connection registry, used by sessions.
    class Session {
      public:
        virtual ~Session() = default;
        virtual void StopGracefully() = 0;  // thread-safe
    };
    std::uint64_t Register(std::weak_ptr<Session> s);
    void Unregister(std::uint64_t id);
    const ServerOptions& options() const { return options_; }
    const Router& router() const { return router_; }
    // Another WebSocket endpoint (before Start). The one given to the constructor serves websocket_path.
    void AddWebSocket(std::string path, WsHandlerFactory factory) { ws_routes_[std::move(path)] = std::move(factory); }
    // The factory for an upgrade to `path`, or null.
    const WsHandlerFactory* ws_factory(std::string_view path) const {
        auto it = ws_routes_.find(std::string(path));
        return it == ws_routes_.end() ? nullptr : &it->second;
    }
    RateLimiter& rate_limiter() { return rate_limiter_; }

  private:
    boost::asio::awaitable<void> AcceptLoop();

    ServerOptions options_;
    const Router& router_;
    std::map<std::string, WsHandlerFactory> ws_routes_;
    RateLimiter rate_limiter_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<std::thread> threads_;
    int bound_port_ = 0;
    std::atomic<bool> draining_{false};
    std::atomic<int> connections_{0};

    std::mutex sessions_mu_;
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;  // guarded by sessions_mu_
    std::uint64_t next_session_id_ = 1;                                   // guarded by sessions_mu_
};

}  // namespace kefu::net
