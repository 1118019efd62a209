#pragma once
// A server-side WebSocket connection. The protocol lives in a WsSessionHandler (one per connection);
// this class owns the socket, reads frames in order, and sends through an unbounded-by-count but
// bounded-by-bytes queue: Send() never blocks, and a client too slow to drain its queue is
// disconnected rather than allowed to hold memory or stall a broadcast.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <string>

#include "net/http.hpp"

namespace kefu::net {

class WsConnection;

class WsSessionHandler {
  public:
    virtual ~WsSessionHandler() = default;
    // Called once after the upgrade, before the first frame is read (e.g. to authenticate and join rooms).
    virtual boost::asio::awaitable<void> OnOpen() { co_return; }
    // Called for each text frame, one at a time, on the connection's strand.
    virtual boost::asio::awaitable<void> OnText(std::string text) = 0;
    // Called once when the connection is gone.
    virtual void OnClose() = 0;
};

// Creates the protocol handler for a new connection; `upgrade` is the HTTP request that opened it (its cookies
// and Authorization header).
using WsHandlerFactory = std::function<std::shared_ptr<WsSessionHandler>(
    std::weak_ptr<WsConnection>, std::string client_ip, const Request& upgrade)>;

struct WsOptions {
    std::size_t max_message_bytes = 16384;
    std::size_t max_queued_bytes = 1 << 20;  // a client that lets this much pile up is dropped
};

class WsConnection : public std::enable_shared_from_this<WsConnection> {
  public:
    WsConnection(boost::beast::tcp_stream stream, WsOptions options);

    // Completes the upgrade for req and runs the read loop until the connection closes.
    boost::asio::awaitable<void> Run(Request req, WsHandlerFactory factory, std::string client_ip);

    // Thread-safe; returns at once. Frames are sent in the order Send was called.
    void Send(std::string text);
    // Thread-safe: sends a close frame (code 1001 going away or 1008 policy) and ends the connection.
    void Close(boost::beast::websocket::close_code code = boost::beast::websocket::close_code::going_away);

  private:
    boost::asio::awaitable<void> WriteLoop();

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    WsOptions options_;
    // Members below are touched only on the connection's strand.
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool closing_ = false;
    boost::beast::websocket::close_code close_code_ = boost::beast::websocket::close_code::going_away;
};

}  // namespace kefu::net
