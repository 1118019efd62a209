#pragma once
// Conversations and transcripts: the records and the repository interface. The SQLite implementation is
// in storage/sqlite/; a PostgreSQL one implements the same interface. Every method is asynchronous:
// `done` is called exactly once, on a storage thread (use storage/async.hpp to co_await it).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace kefu::storage {

template <typename T>
using Callback = std::function<void(Result<T>)>;

struct ConversationRecord {
    std::string id;
    std::string token_hash;  // SHA-256 hex of the access token
    std::string channel;
    std::string language;
    std::optional<std::string> customer_ref;
    std::string status = "open";  // open | ended
    UnixMillis created_at = 0;
    UnixMillis updated_at = 0;
    std::optional<UnixMillis> ended_at;
    std::int64_t last_seq = 0;
    std::string state = "{}";              // the dialogue manager's state (JSON object), written with each turn
    std::string desk_status = "bot";       // bot | queued | assigned (docs/desk.md)
    std::optional<std::string> desk_chat;  // the open desk chat while queued or assigned
};

// A hand-off to the human desk, queued in the same transaction as the turn that asked for it.
struct HandoffRecord {
    std::string chat_id;
    std::string skill;
    std::string language;
    int priority = 0;
    std::string reason;  // request | fallback | flow | anger | vip
    UnixMillis queued_at = 0;
};

// A ticket the desk owes for a turn (a hand-off nobody could take, a complaint filed through the bot). It is
// stored with the turn, in the same transaction, and the desk turns it into a ticket after the commit, or at
// the next start when the process stopped in between.
struct PendingTicket {
    std::string id;  // pt_…
    std::string conversation_id;
    std::string kind;     // handoff | complaint
    std::string payload;  // JSON object, the desk's own
    UnixMillis created_at = 0;
};

struct MessageRecord {
    std::string id;
    std::string conversation_id;
    std::int64_t seq = 0;
    std::string role;  // customer | bot | agent | system
    std::string text;
    std::optional<std::string> client_message_id;
    std::optional<std::int64_t> in_reply_to;
    std::string meta = "{}";  // JSON object: a customer message's understanding; a bot reply's quick_replies
    UnixMillis created_at = 0;
};

struct NewMessage {
    std::string id;
    std::string role;
    std::string text;
    std::optional<std::string> client_message_id;
    std::optional<std::int64_t> in_reply_to;
    std::string meta = "{}";
    UnixMillis created_at = 0;
};

struct AppendOutcome {
    MessageRecord message;
    bool duplicate = false;              // the client_message_id was already stored; nothing was written
    std::vector<MessageRecord> replies;  // for a duplicate: the messages stored in reply to the original
};

struct TurnContext {
    ConversationRecord conversation;
    std::optional<AppendOutcome> stored;  // the earlier turn with the same client_message_id
};

struct CreatedConversation {
    ConversationRecord conversation;
    std::vector<MessageRecord> messages;  // the initial messages, with their seqs
};

struct MessagePage {
    std::vector<MessageRecord> messages;
    bool has_more = false;
};

class ConversationStore {
  public:
    virtual ~ConversationStore() = default;

    // Creates the conversation and its first messages (the welcome) in one transaction.
    virtual void CreateConversation(ConversationRecord record, std::vector<NewMessage> initial,
                                    Callback<CreatedConversation> done) = 0;
    // kNotFound if there is no such conversation.
    virtual void GetConversation(std::string id, Callback<ConversationRecord> done) = 0;
    // Appends a customer message, idempotently by (conversation, client_message_id): a second call with
    // the same id stores nothing and returns the original with duplicate=true and its replies.
    // kConflict if the id was used with a different text; kConversationEnded if the conversation ended.
    virtual void AppendCustomerMessage(std::string conversation_id, NewMessage message,
                                       Callback<AppendOutcome> done) = 0;
    // Appends a whole turn in one transaction: the customer message, the replies to it (their in_reply_to
    // is set to the customer message's seq) and, when given, the conversation's new dialogue state. So a
    // restart resumes exactly after the last acknowledged turn. Idempotent like AppendCustomerMessage: for a
    // duplicate nothing is written and the original message and its replies are returned. With `handoff`, the
    // conversation joins the desk's queue in the same transaction (only while the bot has it); `tickets` are
    // stored in it too (desk_pending_tickets).
    virtual void AppendTurn(std::string conversation_id, NewMessage customer, std::vector<NewMessage> replies,
                            std::optional<std::string> state, std::optional<HandoffRecord> handoff,
                            std::vector<PendingTicket> tickets, Callback<AppendOutcome> done) = 0;
    // What a new turn needs, in one read: the conversation (with its dialogue state) and the turn already
    // stored for this client_message_id, if any, so that a retry is answered without running the bot again (a
    // retried "freeze my card" must not act twice). kNotFound if there is no such conversation.
    virtual void PrepareTurn(std::string conversation_id, std::string client_message_id,
                             Callback<TurnContext> done) = 0;
    // Appends bot, agent or system messages in order, assigning consecutive seqs.
    virtual void AppendMessages(std::string conversation_id, std::vector<NewMessage> messages,
                                Callback<std::vector<MessageRecord>> done) = 0;
    // Messages with seq > after, ascending, at most limit.
    virtual void ListMessages(std::string conversation_id, std::int64_t after, int limit,
                              Callback<MessagePage> done) = 0;
    // Marks the conversation ended (idempotent) and returns it.
    virtual void EndConversation(std::string conversation_id, UnixMillis now, Callback<ConversationRecord> done) = 0;
};

}  // namespace kefu::storage
