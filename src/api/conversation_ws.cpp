// The conversation WebSocket protocol (docs/api-v1.md, "WebSocket"). One handler per connection; frames
// are handled one at a time in arrival order, on the connection's strand.

#include <boost/json.hpp>
#include <chrono>

#include "api/conversation_json.hpp"
#include "api/json_body.hpp"
#include "api/routes.hpp"
#include "core/log.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

constexpr int kResumeMaxMessages = 1000;
constexpr double kFramesPerSecond = 20;
constexpr double kFrameBurst = 40;

class ConversationWsHandler final : public net::WsSessionHandler,
                                    public Subscriber,
                                    public std::enable_shared_from_this<ConversationWsHandler> {
  public:
    ConversationWsHandler(ConversationService& svc, std::weak_ptr<net::WsConnection> conn)
        : svc_(svc), conn_(std::move(conn)), last_refill_(std::chrono::steady_clock::now()) {}

    awaitable<void> OnText(std::string text) override {
        if (!TakeToken()) {
            Send(ErrorEvent({ErrorCode::kRateLimited, "too many frames; slow down"}));
            co_return;
        }
        auto frame = ParseObject(text);
        if (!frame) {
            Send(ErrorEvent(frame.error()));
            co_return;
        }
        auto type = OptionalString(*frame, "type", {1, 32, false, false});
        if (!type || !type.value()) {
            Send(ErrorEvent(type ? Error{ErrorCode::kInvalidArgument, "type is required"} : type.error()));
            co_return;
        }
        const std::string& t = *type.value();
        if (t == "ping") {
            Send(R"({"type":"pong"})");
        } else if (t == "open") {
            co_await Open(*frame);
        } else if (!conv_) {
            Send(ErrorEvent({ErrorCode::kInvalidArgument, "send an open frame first"}));
        } else if (t == "message") {
            co_await Message(*frame);
        } else if (t == "typing") {
            auto state = frame->if_contains("state");
            if (!state || !state->is_bool()) {
                Send(ErrorEvent({ErrorCode::kInvalidArgument, "state must be true or false"}));
            } else {
                svc_.hub().Publish(conv_->id, TypingEvent("customer", state->as_bool()), this);
            }
        } else if (t == "end") {
            auto rec = co_await svc_.End(conv_->id, this);
            Send(rec ? StatusEvent(rec.value()) : ErrorEvent(rec.error()));
        } else {
            Send(ErrorEvent({ErrorCode::kInvalidArgument, "unknown frame type"}));
        }
    }

    void OnClose() override {
        if (conv_) svc_.hub().Leave(conv_->id, this);
    }

    void Deliver(const std::string& frame) override {
        {
            std::lock_guard lock(pending_mu_);
            if (!opened_) {
                pending_.push_back(frame);
                return;
            }
        }
        Send(frame);
    }

  private:
    void Send(std::string frame) {
        if (auto c = conn_.lock()) c->Send(std::move(frame));
    }

    bool TakeToken() {
        auto now = std::chrono::steady_clock::now();
        tokens_ = std::min(kFrameBurst,
                           tokens_ + std::chrono::duration<double>(now - last_refill_).count() * kFramesPerSecond);
        last_refill_ = now;
        if (tokens_ < 1) return false;
        tokens_ -= 1;
        return true;
    }

    awaitable<void> Open(const json::object& frame) {
        if (conv_) {
            Send(ErrorEvent({ErrorCode::kInvalidArgument, "the conversation is already open"}));
            co_return;
        }
        auto id = OptionalString(frame, "conversation_id", {1, 64, false, false});
        auto token = OptionalString(frame, "access_token", {1, 2048, false, false});
        if (!id || !token) {
            Send(ErrorEvent(!id ? id.error() : token.error()));
            co_return;
        }
        json::object opened{{"type", "opened"}};
        if (id.value()) {
            std::int64_t after = 0;
            if (const auto* a = frame.if_contains("after")) {
                if (!a->is_int64() || a->as_int64() < 0) {
                    Send(ErrorEvent({ErrorCode::kInvalidArgument, "after must be a non-negative integer"}));
                    co_return;
                }
                after = a->as_int64();
            }
            auto ref = co_await svc_.Authorize(
                *id.value(), token.value() ? std::optional<std::string_view>(*token.value()) : std::nullopt);
            if (!ref) {
                Send(ErrorEvent(ref.error()));
                if (auto c = conn_.lock()) c->Close(boost::beast::websocket::close_code::policy_error);
                co_return;
            }
            conv_ = ref.value();
            svc_.hub().Join(conv_->id, shared_from_this());  // join before reading: nothing falls in between
            auto rec = co_await svc_.Get(conv_->id);
            if (!rec) {
                Send(ErrorEvent(rec.error()));
                co_return;
            }
            json::array messages;
            bool more = true;
            while (more && messages.size() < kResumeMaxMessages) {
                auto page = co_await svc_.List(conv_->id, after, 200);
                if (!page) {
                    Send(ErrorEvent(page.error()));
                    co_return;
                }
                for (const auto& m : page->messages) messages.push_back(ToJson(m));
                more = page->has_more;
                if (!page->messages.empty()) after = page->messages.back().seq;
            }
            opened["conversation"] = ToJson(rec.value());
            opened["messages"] = std::move(messages);
            opened["has_more"] = more;
        } else {
            CreateConversationRequest req;
            auto channel = OptionalEnum(frame, "channel", {"web", "app", "wechat", "sms", "voice"}, "web");
            auto language = OptionalEnum(frame, "language", {"zh", "en"}, "zh");
            if (!channel || !language) {
                Send(ErrorEvent(!channel ? channel.error() : language.error()));
                co_return;
            }
            req.channel = channel.value();
            req.language = language.value();
            auto created = co_await svc_.Create(std::move(req));
            if (!created) {
                Send(ErrorEvent(created.error()));
                co_return;
            }
            const auto& c = created->conversation;
            conv_ = ConversationRef{c.id, c.channel, c.language, c.customer_ref};
            svc_.hub().Join(conv_->id, shared_from_this());
            opened["conversation"] = ToJson(c);
            opened["access_token"] = created->access_token;
            opened["messages"] = ToJson(created->messages);
            opened["has_more"] = false;
        }
        Send(json::serialize(opened));
        std::vector<std::string> pending;
        {
            std::lock_guard lock(pending_mu_);
            opened_ = true;
            pending.swap(pending_);
        }
        for (auto& f : pending) Send(std::move(f));
    }

    awaitable<void> Message(const json::object& frame) {
        auto cmid = RequiredClientMessageId(frame);
        std::string cmid_str = cmid ? cmid.value() : std::string();
        auto text = RequiredString(frame, "text", {1, 4000, true, true});
        if (!cmid || !text) {
            Send(ErrorEvent(!cmid ? cmid.error() : text.error(), cmid_str));
            co_return;
        }
        // The bot's replies are computed before the turn is committed, so they follow the ack at once: no
        // typing frames for the bot (they remain for agents and for turns that wait on a slow upstream).
        auto on_stored = [this, &cmid_str](const storage::MessageRecord& m, bool duplicate) {
            Send(json::serialize(json::object{
                {"type", "ack"}, {"client_message_id", cmid_str}, {"message", ToJson(m)}, {"duplicate", duplicate}}));
        };
        auto posted = co_await svc_.Post(*conv_, cmid_str, std::move(text.value()), this, on_stored);
        if (!posted) {
            Send(ErrorEvent(posted.error(), cmid_str));
            co_return;
        }
        for (const auto& r : posted->replies) Send(MessageEvent(r));
    }

    ConversationService& svc_;
    std::weak_ptr<net::WsConnection> conn_;
    std::optional<ConversationRef> conv_;  // set by open; touched only on the connection's strand
    double tokens_ = kFrameBurst;
    std::chrono::steady_clock::time_point last_refill_;

    std::mutex pending_mu_;
    bool opened_ = false;               // guarded by pending_mu_
    std::vector<std::string> pending_;  // hub frames that arrived before "opened"; guarded by pending_mu_
};

}  // namespace

net::WsHandlerFactory MakeConversationWebSocket(ConversationService& service) {
    return [&service](std::weak_ptr<net::WsConnection> conn, std::string /*client_ip*/, const net::Request&) {
        return std::make_shared<ConversationWsHandler>(service, std::move(conn));
    };
}

}  // namespace kefu::api
