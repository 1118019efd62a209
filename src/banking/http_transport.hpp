#pragma once
// A small synchronous HTTP/1.1 client for one upstream origin (http or https), used by HttpCoreBank. It
// knows nothing of banking: it sends a request and returns the status and body, within a deadline.
//
// - Every Send() returns by its deadline (plus scheduling noise). Each connection owns a private
//   io_context that only the thread using the connection runs; Beast's stream timers end a slow connect,
//   handshake, write or read at the deadline. Host names are resolved on a helper thread so that a slow
//   DNS server cannot hold the caller either.
// - Idle keep-alive connections are pooled and reused, most recently used first.
// - TLS: the server is verified against `ca_file` (or the system store) and its name or IP address; SNI is
//   sent for names; a client certificate is presented when configured (mTLS).
//
// An HttpClient is safe for concurrent use from multiple threads without external synchronization.

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace kefu::banking {

struct HttpClientOptions {
    bool tls = false;
    std::string host;  // a DNS name or an IP literal (IPv6 without brackets)
    std::uint16_t port = 0;
    std::string ca_file;    // PEM bundle to verify the server; empty = the system store
    std::string cert_file;  // PEM client certificate chain for mTLS; empty = none
    std::string key_file;   // PEM private key of cert_file
    bool verify_peer = true;
    // Idle connections kept for reuse; 0 disables keep-alive reuse.
    int max_idle_connections = 4;
    // An idle connection older than this is closed rather than reused.
    std::chrono::milliseconds idle_timeout{10000};
    std::size_t max_response_bytes = 4 * 1024 * 1024;
};

struct HttpRequest {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string target;  // origin-form and percent-encoded: /core/v1/customers/c1001/cards
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // sent as application/json when not empty
    // True iff sending the request twice is harmless (a read, or a write with an idempotency key). Only
    // such requests use pooled connections: the server may have closed one while it sat idle, and then the
    // request is sent again, once, on a new connection.
    bool replayable = false;
};

struct HttpResponse {
    unsigned status = 0;
    std::string body;
};

class HttpClient {
  public:
    // Loads the TLS files; fails with kInvalidArgument naming the file that could not be used.
    static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends the request and reads the whole response. kUpstreamTimeout when the deadline passes first;
    // kUnavailable when there is no connection, the TLS handshake fails, the connection is closed or the
    // response is not valid HTTP or is too large. Any HTTP status is a success here.
    Result<HttpResponse> Send(const HttpRequest& request, std::chrono::steady_clock::time_point deadline);

    // Idle pooled connections (for tests and metrics).
    std::size_t IdleConnections() const;

  private:
    struct Impl;
    explicit HttpClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::banking
