#include "net/websocket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace kefu::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
metrics::Gauge& OpenWebSockets() {
    static auto& g = metrics::Default().GetGauge("kefu_websockets_open", "Open WebSocket connections.");
    return g;
}
metrics::Counter& DroppedSlow() {
    static auto& c = metrics::Default().GetCounter("kefu_websockets_dropped_slow_total",
                                                   "WebSocket clients disconnected because they could not keep up.");
    return c;
}
}  // namespace

WsConnection::WsConnection(beast::tcp_stream stream, WsOptions options) : ws_(std::move(stream)), options_(options) {}

asio::awaitable<void> WsConnection::Run(Request req, WsHandlerFactory factory, std::string client_ip) {
    auto self = shared_from_this();
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{std::chrono::seconds(15), std::chrono::seconds(120), true};
    ws_.set_option(timeouts);
    ws_.read_message_max(options_.max_message_bytes);
    ws_.set_option(
        websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "kefu"); }));
    auto [ec] = co_await ws_.async_accept(req, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;

    OpenWebSockets().Add(1);
    auto handler = factory(weak_from_this(), std::move(client_ip), req);
    co_await handler->OnOpen();
    beast::flat_buffer buffer;
    for (;;) {
        auto [rec, n] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (rec) break;  // closed, timed out, or a protocol error (Beast already sent the close code)
        if (!ws_.got_text()) {
            buffer.consume(buffer.size());
            Send(R"({"type":"error","code":"invalid_argument","message":"binary frames are not supported"})");
            continue;
        }
        std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        co_await handler->OnText(std::move(text));
        if (closing_) break;
    }
    handler->OnClose();
    OpenWebSockets().Add(-1);
}

void WsConnection::Send(std::string text) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
        if (self->closing_) return;
        self->queued_bytes_ += text.size();
        if (self->queued_bytes_ > self->options_.max_queued_bytes) {
            DroppedSlow().Inc();
            log::Warn("websocket client too slow, disconnecting", {{"queued_bytes", self->queued_bytes_}});
            self->closing_ = true;
            beast::get_lowest_layer(self->ws_).close();
            return;
        }
        self->queue_.push_back(std::move(text));
        if (!self->writing_) {
            self->writing_ = true;
            asio::co_spawn(self->ws_.get_executor(), self->WriteLoop(), [](std::exception_ptr e) {
                if (e) {
                    try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                        log::Error("websocket write loop failed", {{"error", ex.what()}});
                    }
                }
            });
        }
    });
}

asio::awaitable<void> WsConnection::WriteLoop() {
    auto self = shared_from_this();
    while (!queue_.empty()) {
        ws_.text(true);
        auto [ec, n] = co_await ws_.async_write(asio::buffer(queue_.front()), asio::as_tuple(asio::use_awaitable));
        queued_bytes_ -= queue_.front().size();
        queue_.pop_front();
        if (ec) {
            queue_.clear();
            queued_bytes_ = 0;
            break;
        }
    }
    if (closing_) {
        beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
        co_await ws_.async_close(close_code_, asio::as_tuple(asio::use_awaitable));
        beast::get_lowest_layer(ws_).close();
    }
    writing_ = false;
}

void WsConnection::Close(websocket::close_code code) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), code] {
        if (self->closing_) return;
        self->closing_ = true;
        self->close_code_ = code;
        if (!self->writing_) {
            // Otherwise WriteLoop sends the close frame once the queue is drained: Beast allows one
            // write operation at a time, and a close frame is a write.
            self->writing_ = true;
            asio::co_spawn(self->ws_.get_executor(), self->WriteLoop(), asio::detached);
        }
    });
}

}  // namespace kefu::net
