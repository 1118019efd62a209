#pragma once
// Conversations as the customer sees them: create, authorise, post a message and get the bot's replies,
// read the transcript, end. Knows nothing of HTTP or WebSocket framing; both transports call it.
// Thread-safe: one instance serves every I/O thread. Turns of one conversation are processed strictly
// one after another (KeyedMutex); different conversations proceed in parallel.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/customer_token.hpp"
#include "api/hub.hpp"
#include "api/keyed_mutex.hpp"
#include "core/error.hpp"
#include "dialogue/pipeline.hpp"
#include "storage/conversation_store.hpp"

namespace kefu::api {

struct CreateConversationRequest {
    std::string channel = "web";
    std::string language = "zh";
    std::optional<std::string> customer_ref;  // set only from a verified customer token
};

struct CreatedConversation {
    storage::ConversationRecord conversation;
    std::string access_token;  // shown once; only its hash is stored
    std::vector<storage::MessageRecord> messages;
};

// What a caller is allowed to know about a conversation it may access (immutable fields only).
struct ConversationRef {
    std::string id;
    std::string channel;
    std::string language;
    std::optional<std::string> customer_ref;
};

struct PostedMessage {
    storage::MessageRecord message;
    std::vector<storage::MessageRecord> replies;
    bool duplicate = false;
};

// The human desk, as the conversation service sees it (implemented by DeskService).
class DeskLink {
  public:
    virtual ~DeskLink() = default;
    // On a bot worker, after every turn: whether it goes to a person, and if so the queue, priority and reason.
    // A turn that asked for a person always does; the desk's VIP rule may hand over a turn that did not (it then
    // sets `turn.decision.handoff` and adds its reply). May ask the core bank whether the customer is a VIP.
    virtual std::optional<storage::HandoffRecord> Consider(const ConversationRef& conversation,
                                                           dialogue::TurnResult& turn) = 0;
    // Whether a person can take this hand-off now (the desk is open and someone with the skill and language is
    // online). When not, the conversation stays with the bot, and TicketsFor gets the hand-off as `unstaffed`.
    virtual bool Accepts(const storage::HandoffRecord& handoff) = 0;
    // After the hand-off is committed with the turn (the conversation is queued): route it.
    virtual void OnHandoff(const ConversationRef& conversation, const storage::HandoffRecord& handoff) = 0;
    // Before the turn is stored: the tickets it owes (a hand-off nobody could take; a complaint filed in the core
    // bank). They are committed with the turn, so none is lost if the process stops before OnTicketsStored.
    virtual std::vector<storage::PendingTicket> TicketsFor(const ConversationRef& conversation,
                                                           const dialogue::TurnResult& turn,
                                                           const std::optional<storage::HandoffRecord>& unstaffed) = 0;
    // After the turn with `tickets` is committed: create the tickets and tell the customer (at most once each).
    virtual void OnTicketsStored(std::vector<storage::PendingTicket> tickets) = 0;
};

class ConversationService {
  public:
    // `pipelines` may be empty while the bot loads: turns then fail with kUnavailable. The bot runs on
    // `workers` threads, off the I/O threads: a flow may wait on the core bank.
    ConversationService(storage::ConversationStore& store, const dialogue::PipelineHolder& pipelines, Hub& hub,
                        const CustomerTokenVerifier& tokens, int workers = 4);
    ~ConversationService();

    boost::asio::awaitable<Result<CreatedConversation>> Create(CreateConversationRequest request);

    // kNotFound unless `token` is the conversation's access token or a valid customer token for its
    // customer. An unknown id and a wrong token are indistinguishable.
    boost::asio::awaitable<Result<ConversationRef>> Authorize(const std::string& id,
                                                              std::optional<std::string_view> token);

    // Runs the bot, then stores the customer message and the replies in one durable commit. `on_stored`
    // runs once that commit is done, before the replies are handed back, for transports that acknowledge
    // separately. Idempotent by client_message_id: a retry returns the original message and replies.
    // Other watchers of the conversation (except `origin`) get the customer message and the replies
    // through the hub.
    boost::asio::awaitable<Result<PostedMessage>> Post(
        const ConversationRef& conversation, std::string client_message_id, std::string text,
        const Subscriber* origin = nullptr,
        std::function<void(const storage::MessageRecord&, bool duplicate)> on_stored = {});

    boost::asio::awaitable<Result<storage::ConversationRecord>> Get(const std::string& id);
    boost::asio::awaitable<Result<storage::MessagePage>> List(const std::string& id, std::int64_t after, int limit);
    boost::asio::awaitable<Result<storage::ConversationRecord>> End(const std::string& id,
                                                                    const Subscriber* origin = nullptr);

    // Called after each stored turn the bot could not answer (fallback or "did you mean"), with the
    // customer's text, for unanswered-question mining. Set before serving; must not block.
    using UnansweredSink =
        std::function<void(const ConversationRef&, const std::string& text, const dialogue::Decision&)>;
    void SetUnansweredSink(UnansweredSink sink) { unanswered_ = std::move(sink); }
    // Set before serving. Without a desk, hand-offs are only marked in the message metadata.
    void SetDesk(DeskLink* desk) { desk_ = desk; }

    const CustomerTokenVerifier& tokens() const { return tokens_; }
    Hub& hub() { return hub_; }

  private:
    struct CachedAuth {
        std::string token_hash;
        ConversationRef ref;
    };
    std::vector<storage::NewMessage> ToNewMessages(const std::vector<dialogue::BotMessage>& replies,
                                                   std::optional<std::int64_t> in_reply_to) const;
    void Remember(const std::string& id, CachedAuth auth);

    storage::ConversationStore& store_;
    const dialogue::PipelineHolder& pipelines_;
    Hub& hub_;
    const CustomerTokenVerifier& tokens_;
    KeyedMutex turn_locks_;
    UnansweredSink unanswered_;
    DeskLink* desk_ = nullptr;
    boost::asio::thread_pool workers_;

    std::mutex cache_mu_;
    std::unordered_map<std::string, CachedAuth> auth_cache_;  // guarded by cache_mu_
};

}  // namespace kefu::api
