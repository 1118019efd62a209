// kefu_ws_echo: the baseline for bench/ws_load. A bare Boost.Beast WebSocket echo server with the same
// threading model as Kefu (one io_context run by N threads, a strand per connection, one C++20 coroutine
// per connection, TCP_NODELAY on accepted sockets) and none of Kefu's work: it answers every text frame
// with the same frame. Any request path is accepted for the upgrade, so the load generator can use the
// same URL as for Kefu.
//
//   kefu_ws_echo --port 0 --threads 2
//
// Prints "kefu_ws_echo: listening on HOST:PORT" on stdout once it accepts connections; SIGINT or SIGTERM
// stops it within a second (open connections are closed, not drained: nothing here is worth keeping).

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct EchoOptions {
    std::string host = "127.0.0.1";
    int port = 0;                           // 0: the kernel picks one; the chosen port is printed
    int threads = 0;                        // 0: one per core, as Kefu's server.io_threads = 0
    std::size_t max_message_bytes = 16384;  // Kefu's server.ws_max_message_bytes default
};

std::atomic<long> g_open_connections{0};

void LogSpawnFailure(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "kefu_ws_echo: connection task failed: %s\n", ex.what());
    }
}

// Serves one connection: upgrade, then read a frame and write it back until the peer goes away.
asio::awaitable<void> Echo(tcp::socket socket, std::size_t max_message_bytes) {
    g_open_connections.fetch_add(1, std::memory_order_relaxed);
    websocket::stream<beast::tcp_stream> ws(std::move(socket));
    // Same timeouts as Kefu's WsConnection: 15 s to finish the handshake, pings after 120 s of silence.
    ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(15), std::chrono::seconds(120), true});
    ws.read_message_max(max_message_bytes);
    auto [aec] = co_await ws.async_accept(kNoThrow);
    if (!aec) {
        beast::flat_buffer buffer;
        for (;;) {
            auto [rec, rn] = co_await ws.async_read(buffer, kNoThrow);
            if (rec) break;
            ws.text(ws.got_text());
            auto [wec, wn] = co_await ws.async_write(buffer.data(), kNoThrow);
            if (wec) break;
            buffer.consume(buffer.size());
        }
    }
    g_open_connections.fetch_sub(1, std::memory_order_relaxed);
}

asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, asio::io_context& ioc, std::size_t max_message_bytes) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kNoThrow);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            std::fprintf(stderr, "kefu_ws_echo: accept failed: %s\n", ec.message().c_str());
            if (ec == asio::error::no_descriptors) {
                asio::steady_timer t(ioc, std::chrono::milliseconds(50));
                co_await t.async_wait(kNoThrow);
            }
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto ex = socket.get_executor();
        asio::co_spawn(ex, Echo(std::move(socket), max_message_bytes), LogSpawnFailure);
    }
}

void RaiseFileLimit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

}  // namespace

int main(int argc, char** argv) {
    EchoOptions opt;
    CLI::App app{"Bare Beast WebSocket echo server: the baseline for kefu_ws_load."};
    app.add_option("--host", opt.host, "Address to listen on.")->capture_default_str();
    app.add_option("--port", opt.port, "Port to listen on; 0 picks a free one.")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    app.add_option("--threads", opt.threads, "I/O threads; 0 = one per core.")
        ->check(CLI::Range(0, 256))
        ->capture_default_str();
    app.add_option("--max-message-bytes", opt.max_message_bytes, "Largest frame accepted.")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "kefu_ws_echo: %s\n", e.what());
        return 2;
    }

    std::signal(SIGPIPE, SIG_IGN);
    RaiseFileLimit();
    const int threads =
        opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    asio::io_context ioc(threads);
    tcp::acceptor acceptor(ioc);
    try {
        tcp::endpoint ep(asio::ip::make_address(opt.host), static_cast<unsigned short>(opt.port));
        acceptor.open(ep.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kefu_ws_echo: cannot listen on %s:%d: %s\n", opt.host.c_str(), opt.port, e.what());
        return 1;
    }

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
        beast::error_code ignored;
        acceptor.close(ignored);
        ioc.stop();  // connections are dropped, not drained: an echo has nothing to flush
    });
    asio::co_spawn(ioc, AcceptLoop(acceptor, ioc, opt.max_message_bytes), LogSpawnFailure);

    std::cout << "kefu_ws_echo: listening on " << opt.host << ":" << acceptor.local_endpoint().port() << " with "
              << threads << " threads" << std::endl;
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    std::fprintf(stderr, "kefu_ws_echo: stopped with %ld connections open\n", g_open_connections.load());
    return 0;
}
