#include "banking/http_transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace kefu::banking {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
using Endpoints = std::vector<tcp::endpoint>;
using BeastRequest = http::request<http::string_body>;

// Time for the handlers of operations that Beast's timers ended at the deadline to run.
constexpr auto kDeadlineSlack = std::chrono::milliseconds(500);

// The reason OpenSSL gave for a failed TLS call, or the error's own text.
std::string TlsReason(const beast::error_code& ec) {
    if (ec.category() == asio::error::get_ssl_category()) {
        if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) return reason;
    }
    return ec.message();
}

Result<std::unique_ptr<ssl::context>> MakeTlsContext(const HttpClientOptions& o) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    if (!o.ca_file.empty()) {
        ctx->load_verify_file(o.ca_file, ec);
        if (ec) return Error::Make(ErrorCode::kInvalidArgument, "ca_file " + o.ca_file + ": " + TlsReason(ec));
    } else if (o.verify_peer) {
        ctx->set_default_verify_paths(ec);
        if (ec) return Error::Make(ErrorCode::kInvalidArgument, "system CA store: " + TlsReason(ec));
    }
    ctx->set_verify_mode(o.verify_peer ? ssl::verify_peer : ssl::verify_none);
    if (!o.cert_file.empty()) {
        ctx->use_certificate_chain_file(o.cert_file, ec);
        if (ec) return Error::Make(ErrorCode::kInvalidArgument, "cert_file " + o.cert_file + ": " + TlsReason(ec));
        ctx->use_private_key_file(o.key_file, ssl::context::pem, ec);
        if (ec) return Error::Make(ErrorCode::kInvalidArgument, "key_file " + o.key_file + ": " + TlsReason(ec));
        if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
            return Error::Make(ErrorCode::kInvalidArgument, "key_file " + o.key_file + " does not match cert_file");
        }
    }
    return ctx;
}

// Resolves host names on its own thread, so that a caller waits for DNS no longer than its deadline (the
// system resolver cannot be interrupted; a late answer is dropped).
class Resolver {
  public:
    Resolver() : work_(asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
    ~Resolver() {
        ioc_.stop();
        thread_.join();
    }

    Result<Endpoints> Resolve(const std::string& host, std::uint16_t port, SteadyTime deadline) {
        auto promise = std::make_shared<std::promise<Result<Endpoints>>>();
        auto answer = promise->get_future();
        // Resolver objects are created and used on the resolver thread only.
        asio::post(ioc_, [this, host, port, promise] {
            auto resolver = std::make_shared<tcp::resolver>(ioc_);
            resolver->async_resolve(host, std::to_string(port),
                                    [resolver, promise](beast::error_code ec, tcp::resolver::results_type results) {
                                        if (ec) {
                                            promise->set_value(Error::Make(ErrorCode::kUnavailable,
                                                                           "cannot resolve host: " + ec.message()));
                                            return;
                                        }
                                        promise->set_value(Endpoints(results.begin(), results.end()));
                                    });
        });
        if (answer.wait_until(deadline) != std::future_status::ready) {
            return Error::Make(ErrorCode::kUpstreamTimeout, "timed out resolving the host name");
        }
        return answer.get();
    }

  private:
    asio::io_context ioc_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::thread thread_;
};

// One connection and the io_context that drives it. Only the thread that holds the connection runs the
// io_context, so a call never waits on another call's I/O.
struct Connection {
    asio::io_context ioc{1};  // declared first: outlives the streams that use it
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    Endpoints endpoints;
    beast::flat_buffer buffer;
    bool connected = false;
    SteadyTime idle_since{};

    beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

// What one exchange on a connection produced.
struct Outcome {
    std::optional<HttpResponse> response;
    bool keep_alive = false;
    beast::error_code ec;
    const char* stage = "";         // connect | tls handshake | write | read
    bool response_started = false;  // some bytes of a response arrived before the error
    long verify_result = X509_V_OK;

    void Fail(const char* at, beast::error_code e) {
        stage = at;
        ec = e;
    }
};

template <typename Stream>
asio::awaitable<void> WriteAndRead(Stream& stream, Connection& c, const BeastRequest& req, std::size_t max_body,
                                   Outcome& out) {
    auto [wec, wn] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
    if (wec) {
        out.Fail("write", wec);
        co_return;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    auto [rec, rn] = co_await http::async_read(stream, c.buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (rec) {
        out.Fail("read", rec);
        out.response_started = parser.got_some();
        co_return;
    }
    out.keep_alive = parser.get().keep_alive();
    out.response = HttpResponse{parser.get().result_int(), std::move(parser.get().body())};
}

asio::awaitable<void> Exchange(Connection& c, const BeastRequest& req, SteadyTime deadline, std::size_t max_body,
                               Outcome& out) {
    // Beast's timer ends whichever operation is pending at the deadline with error::timeout.
    c.Lowest().expires_at(deadline);
    if (!c.connected) {
        auto [ec, endpoint] = co_await c.Lowest().async_connect(c.endpoints, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            out.Fail("connect", ec);
            co_return;
        }
        c.Lowest().socket().set_option(tcp::no_delay(true), ec);
        if (c.tls) {
            auto [hec] = co_await c.tls->async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
            if (hec) {
                out.Fail("tls handshake", hec);
                out.verify_result = SSL_get_verify_result(c.tls->native_handle());
                co_return;
            }
        }
        c.connected = true;
    }
    if (c.tls) {
        co_await WriteAndRead(*c.tls, c, req, max_body, out);
    } else {
        co_await WriteAndRead(*c.plain, c, req, max_body, out);
    }
    c.Lowest().expires_never();
}

// Runs one exchange on the caller's thread. Returns false if it did not finish by the deadline (plus slack),
// which Beast's timers should make impossible; the connection must then be discarded.
bool RunExchange(Connection& c, const BeastRequest& req, SteadyTime deadline, std::size_t max_body, Outcome& out) {
    bool finished = false;
    std::exception_ptr failure;
    asio::co_spawn(c.ioc, Exchange(c, req, deadline, max_body, out), [&](std::exception_ptr e) {
        finished = true;
        failure = e;
    });
    c.ioc.restart();
    c.ioc.run_until(deadline + kDeadlineSlack);
    if (failure) std::rethrow_exception(failure);  // a bug (or out of memory), not an I/O error
    return finished;
}

bool IsTimeout(const Outcome& out, SteadyTime deadline) {
    return out.ec == beast::error::timeout || std::chrono::steady_clock::now() >= deadline;
}

Error TransportError(const Outcome& out, SteadyTime deadline, std::size_t max_body) {
    std::string stage = out.stage;
    if (IsTimeout(out, deadline)) return Error::Make(ErrorCode::kUpstreamTimeout, "timed out during " + stage);
    if (stage == "tls handshake") {
        std::string reason = TlsReason(out.ec);
        if (out.verify_result != X509_V_OK) {
            reason += std::string(" (") + X509_verify_cert_error_string(out.verify_result) + ")";
        }
        return Error::Make(ErrorCode::kUnavailable, "TLS handshake failed: " + reason);
    }
    if (out.ec == http::error::body_limit) {
        return Error::Make(ErrorCode::kUnavailable, "response larger than " + std::to_string(max_body) + " bytes");
    }
    if (out.ec == http::error::end_of_stream || out.ec == asio::error::eof || out.ec == ssl::error::stream_truncated) {
        return Error::Make(ErrorCode::kUnavailable, "connection closed by the server during " + stage);
    }
    return Error::Make(ErrorCode::kUnavailable, stage + " failed: " + TlsReason(out.ec));
}

std::string HostHeader(const HttpClientOptions& o) {
    std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
    bool default_port = o.port == (o.tls ? 443 : 80);
    return default_port ? host : host + ":" + std::to_string(o.port);
}

}  // namespace

struct HttpClient::Impl {
    HttpClientOptions options;
    std::string host_header;
    std::unique_ptr<ssl::context> tls;    // null for http
    std::optional<Endpoints> ip_literal;  // set when the host is an IP address: no DNS
    std::unique_ptr<Resolver> resolver;   // set otherwise

    mutable std::mutex mu;
    std::vector<std::unique_ptr<Connection>> idle;  // guarded by mu; most recently used last

    BeastRequest Build(const HttpRequest& r) const;
    Result<std::unique_ptr<Connection>> Open(SteadyTime deadline);
    Result<void> PrepareTls(Connection& c) const;
    std::unique_ptr<Connection> TakeIdle();
    void PutIdle(std::unique_ptr<Connection> c);
};

BeastRequest HttpClient::Impl::Build(const HttpRequest& r) const {
    BeastRequest req{r.method, r.target, 11};
    req.set(http::field::host, host_header);
    req.set(http::field::user_agent, "kefu");
    req.set(http::field::accept, "application/json");
    for (const auto& [name, value] : r.headers) req.set(name, value);
    if (!r.body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = r.body;
    }
    req.keep_alive(options.max_idle_connections > 0);
    req.prepare_payload();
    return req;
}

Result<void> HttpClient::Impl::PrepareTls(Connection& c) const {
    SSL* ssl = c.tls->native_handle();
    if (ip_literal) {
        // SNI carries host names only (RFC 6066); an IP address is checked against the certificate's SANs.
        if (options.verify_peer && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), options.host.c_str()) != 1) {
            return Error::Make(ErrorCode::kInternal, "cannot set the TLS peer address");
        }
        return Ok();
    }
    if (SSL_set_tlsext_host_name(ssl, options.host.c_str()) != 1 ||
        (options.verify_peer && SSL_set1_host(ssl, options.host.c_str()) != 1)) {
        return Error::Make(ErrorCode::kInternal, "cannot set the TLS server name");
    }
    return Ok();
}

Result<std::unique_ptr<Connection>> HttpClient::Impl::Open(SteadyTime deadline) {
    auto c = std::make_unique<Connection>();
    if (ip_literal) {
        c->endpoints = *ip_literal;
    } else {
        auto endpoints = resolver->Resolve(options.host, options.port, deadline);
        if (!endpoints) return endpoints.error();
        c->endpoints = std::move(endpoints).value();
    }
    if (tls) {
        c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c->ioc, *tls);
        if (auto r = PrepareTls(*c); !r) return r.error();
    } else {
        c->plain = std::make_unique<beast::tcp_stream>(c->ioc);
    }
    return c;
}

std::unique_ptr<Connection> HttpClient::Impl::TakeIdle() {
    std::vector<std::unique_ptr<Connection>> stale;  // declared before the lock: closed after it is released
    std::lock_guard lock(mu);
    auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        if (now - c->idle_since < options.idle_timeout) return c;
        stale.push_back(std::move(c));
    }
    return nullptr;
}

void HttpClient::Impl::PutIdle(std::unique_ptr<Connection> c) {
    c->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    if (static_cast<int>(idle.size()) < options.max_idle_connections) idle.push_back(std::move(c));
    // Otherwise the pool is full and `c` is closed on return.
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
    auto impl = std::make_unique<Impl>();
    if (options.tls) {
        auto ctx = MakeTlsContext(options);
        if (!ctx) return ctx.error();
        impl->tls = std::move(ctx).value();
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(options.host, ec);
    if (!ec) {
        impl->ip_literal = Endpoints{tcp::endpoint(address, options.port)};
    } else {
        impl->resolver = std::make_unique<Resolver>();
    }
    impl->host_header = HostHeader(options);
    impl->options = std::move(options);
    return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, SteadyTime deadline) {
    const auto req = impl_->Build(request);
    const auto max_body = impl_->options.max_response_bytes;
    std::unique_ptr<Connection> c = request.replayable ? impl_->TakeIdle() : nullptr;
    const bool reused = c != nullptr;
    if (!c) {
        auto opened = impl_->Open(deadline);
        if (!opened) return opened.error();
        c = std::move(opened).value();
    }
    Outcome out;
    bool finished = RunExchange(*c, req, deadline, max_body, out);
    if (finished && reused && !out.response && !out.response_started && !IsTimeout(out, deadline)) {
        // The server closed the pooled connection while it sat idle: send again, once, on a new one.
        auto opened = impl_->Open(deadline);
        if (!opened) return opened.error();
        c = std::move(opened).value();
        out = Outcome{};
        finished = RunExchange(*c, req, deadline, max_body, out);
    }
    if (!finished) return Error::Make(ErrorCode::kUpstreamTimeout, "timed out");
    if (!out.response) return TransportError(out, deadline, max_body);
    if (out.keep_alive && impl_->options.max_idle_connections > 0) impl_->PutIdle(std::move(c));
    return std::move(*out.response);
}

std::size_t HttpClient::IdleConnections() const {
    std::lock_guard lock(impl_->mu);
    return impl_->idle.size();
}

}  // namespace kefu::banking
