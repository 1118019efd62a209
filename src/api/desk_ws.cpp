// The desk WebSocket (docs/desk.md, "Desk WebSocket"): an agent's or supervisor's live feed. Authenticated
// by the upgrade request's session cookie or bearer token; the connection then gets the desk rooms' events
// and, wrapped as {"type":"conversation",...}, the events of every conversation it watches (the agent's own
// chats, joined automatically, and any a supervisor opens). Frames go through the connection's bounded
// queue like the customers': a console too slow to read is disconnected, never waited for.

#include <boost/json.hpp>
#include <map>

#include "api/conversation_json.hpp"
#include "api/desk_routes.hpp"
#include "api/json_body.hpp"
#include "core/log.hpp"
#include "core/pii.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

// Forwards one conversation's events to a desk connection, wrapped with the conversation's id.
class ConversationWatch final : public Subscriber {
  public:
    ConversationWatch(std::weak_ptr<net::WsConnection> conn, std::string conversation_id)
        : conn_(std::move(conn)),
          prefix_(R"({"type":"conversation","conversation_id":)" + json::serialize(json::value(conversation_id)) +
                  R"(,"event":)") {}
    // Agents see card, ID and phone numbers masked, live as in the context (core/pii.hpp).
    void Deliver(const std::string& frame) override {
        auto c = conn_.lock();
        if (!c) return;
        if (!frame.starts_with(R"({"type":"message")")) {
            c->Send(prefix_ + frame + "}");
            return;
        }
        boost::system::error_code ec;
        auto v = json::parse(frame, ec);
        if (ec || !v.is_object()) return;
        if (auto* m = v.as_object().if_contains("message"); m && m->is_object()) {
            if (auto* t = m->as_object().if_contains("text"); t && t->is_string()) *t = MaskPii(t->as_string());
        }
        c->Send(prefix_ + json::serialize(v) + "}");
    }

  private:
    std::weak_ptr<net::WsConnection> conn_;
    std::string prefix_;
};

class DeskWsHandler final : public net::WsSessionHandler,
                            public Subscriber,
                            public std::enable_shared_from_this<DeskWsHandler> {
  public:
    DeskWsHandler(DeskService& desk, StaffAuth& auth, std::weak_ptr<net::WsConnection> conn,
                  std::optional<std::string> token)
        : desk_(desk), auth_(auth), conn_(std::move(conn)), token_(std::move(token)) {}

    awaitable<void> OnOpen() override {
        Result<StaffMember> who = Error{ErrorCode::kUnauthorized, "sign in first"};
        if (token_) {
            std::string token = std::move(*token_);
            who = co_await auth_.FromToken(token);
        }
        token_.reset();
        if (who && who->role != "agent" && who->role != "supervisor") {
            who = Error{ErrorCode::kForbidden, "the desk feed is for agents and supervisors"};
        }
        if (!who) {
            Send(ErrorEvent(who.error()));
            if (auto c = conn_.lock()) c->Close(boost::beast::websocket::close_code::policy_error);
            co_return;
        }
        staff_ = who.value();
        Join(DeskService::AgentRoom(staff_->name));
        Join(std::string(DeskService::kAgentsRoom));
        if (staff_->role == "supervisor") Join(std::string(DeskService::kSupervisorsRoom));
        std::string me = staff_->name;
        auto mine = co_await desk_.ActiveChats(me);
        if (mine) {
            for (const auto& c : *mine) Watch(c.conversation_id);
        }
        json::array skills;
        for (const auto& s : staff_->skills) skills.emplace_back(s);
        Send(json::serialize(
            json::object{{"type", "hello"},
                         {"staff", json::object{{"name", staff_->name},
                                                {"display_name", staff_->display_name},
                                                {"role", staff_->role},
                                                {"skills", std::move(skills)},
                                                {"presence", desk::PresenceName(desk_.PresenceOf(staff_->name))}}}}));
    }

    // Desk-room events. An assignment to this agent also subscribes the connection to the conversation, so
    // the customer's next message cannot slip in between.
    void Deliver(const std::string& frame) override {
        if (staff_ && frame.starts_with(R"({"type":"assigned")")) {
            boost::system::error_code ec;
            auto v = json::parse(frame, ec);
            if (!ec) {
                const auto& chat = v.as_object().at("chat").as_object();
                if (chat.at("agent").is_string() && chat.at("agent").as_string() == staff_->name) {
                    Watch(std::string(chat.at("conversation_id").as_string()));
                }
            }
        }
        Send(frame);
    }

    awaitable<void> OnText(std::string text) override {
        if (!staff_) co_return;
        auto frame = ParseObject(text);
        if (!frame) {
            Send(ErrorEvent(frame.error()));
            co_return;
        }
        auto type = OptionalString(*frame, "type", {1, 32, false, false});
        auto conversation = OptionalString(*frame, "conversation_id", {1, 64, false, false});
        if (!type || !type.value() || !conversation) {
            Send(ErrorEvent({ErrorCode::kInvalidArgument, "a frame needs a type (watch, unwatch, typing, ping)"}));
            co_return;
        }
        const std::string& t = *type.value();
        if (t == "ping") {
            Send(R"({"type":"pong"})");
        } else if ((t == "watch" || t == "unwatch" || t == "typing") && !conversation.value()) {
            Send(ErrorEvent({ErrorCode::kInvalidArgument, "conversation_id is required"}));
        } else if (t == "watch") {
            co_await WatchIfAllowed(*conversation.value());
        } else if (t == "unwatch") {
            Unwatch(*conversation.value());
        } else if (t == "typing") {
            auto state = frame->if_contains("state");
            std::lock_guard lock(mu_);
            if (state && state->is_bool() && watches_.contains(*conversation.value())) {
                desk_.hub().Publish(*conversation.value(), TypingEvent("agent", state->as_bool()),
                                    watches_.at(*conversation.value()).get());
            }
        } else {
            Send(ErrorEvent({ErrorCode::kInvalidArgument, "unknown frame type"}));
        }
    }

    void OnClose() override {
        for (const auto& room : rooms_) desk_.hub().Leave(room, this);
        std::lock_guard lock(mu_);
        for (const auto& [id, w] : watches_) desk_.hub().Leave(id, w.get());
        watches_.clear();
    }

  private:
    void Send(std::string frame) {
        if (auto c = conn_.lock()) c->Send(std::move(frame));
    }

    void Join(const std::string& room) {
        rooms_.push_back(room);
        desk_.hub().Join(room, shared_from_this());
    }

    void Watch(const std::string& conversation_id) {
        std::lock_guard lock(mu_);
        if (watches_.contains(conversation_id)) return;
        auto w = std::make_shared<ConversationWatch>(conn_, conversation_id);
        desk_.hub().Join(conversation_id, w);
        watches_.emplace(conversation_id, std::move(w));
    }

    void Unwatch(const std::string& conversation_id) {
        std::lock_guard lock(mu_);
        auto it = watches_.find(conversation_id);
        if (it == watches_.end()) return;
        desk_.hub().Leave(conversation_id, it->second.get());
        watches_.erase(it);
    }

    // A supervisor may watch any conversation with a desk chat; an agent only those they have.
    awaitable<void> WatchIfAllowed(const std::string& conversation_id) {
        std::string agent = staff_->role == "supervisor" ? std::string() : staff_->name;
        auto chats = co_await desk_.ActiveChats(agent);
        bool ok = chats && std::any_of(chats->begin(), chats->end(),
                                       [&](const DeskChat& c) { return c.conversation_id == conversation_id; });
        if (!ok) {
            Send(ErrorEvent({ErrorCode::kNotFound, "no desk chat for that conversation"}));
            co_return;
        }
        Watch(conversation_id);
        Send(json::serialize(json::object{{"type", "watching"}, {"conversation_id", conversation_id}}));
    }

    DeskService& desk_;
    StaffAuth& auth_;
    std::weak_ptr<net::WsConnection> conn_;
    std::optional<std::string> token_;
    std::optional<StaffMember> staff_;
    std::vector<std::string> rooms_;
    std::mutex mu_;  // watches_ is also touched from Deliver (any thread)
    std::map<std::string, std::shared_ptr<ConversationWatch>> watches_;
};

}  // namespace

net::WsHandlerFactory MakeDeskWebSocket(DeskService& desk, StaffAuth& auth) {
    return
        [&desk, &auth](std::weak_ptr<net::WsConnection> conn, std::string /*client_ip*/, const net::Request& upgrade) {
            return std::make_shared<DeskWsHandler>(desk, auth, std::move(conn), StaffAuth::TokenOf(upgrade));
        };
}

}  // namespace kefu::api
