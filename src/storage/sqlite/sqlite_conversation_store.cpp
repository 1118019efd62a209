#include "storage/sqlite/sqlite_conversation_store.hpp"

namespace kefu::storage::sqlite {

namespace {

constexpr std::string_view kConversationColumns =
    "id, token_hash, channel, language, customer_ref, status, created_at, updated_at, ended_at, last_seq, state, "
    "desk_status, desk_chat";
constexpr std::string_view kMessageColumns =
    "id, conversation_id, seq, role, text, client_message_id, in_reply_to, meta, created_at";

ConversationRecord ReadConversation(const Statement& s) {
    ConversationRecord r;
    r.id = s.Text(0);
    r.token_hash = s.Text(1);
    r.channel = s.Text(2);
    r.language = s.Text(3);
    r.customer_ref = s.OptText(4);
    r.status = s.Text(5);
    r.created_at = s.Int(6);
    r.updated_at = s.Int(7);
    r.ended_at = s.OptInt(8);
    r.last_seq = s.Int(9);
    r.state = s.Text(10);
    r.desk_status = s.Text(11);
    r.desk_chat = s.OptText(12);
    return r;
}

MessageRecord ReadMessage(const Statement& s) {
    MessageRecord m;
    m.id = s.Text(0);
    m.conversation_id = s.Text(1);
    m.seq = s.Int(2);
    m.role = s.Text(3);
    m.text = s.Text(4);
    m.client_message_id = s.OptText(5);
    m.in_reply_to = s.OptInt(6);
    m.meta = s.Text(7);
    m.created_at = s.Int(8);
    return m;
}

}  // namespace

Result<ConversationRecord> LoadConversation(Connection& c, const std::string& id) {
    static const std::string kSql = "SELECT " + std::string(kConversationColumns) + " FROM conversations WHERE id = ?";
    auto& s = c.Prepare(kSql);
    s.Bind(1, id);
    if (!s.Step()) return Error{ErrorCode::kNotFound, "conversation not found"};
    auto r = ReadConversation(s);
    s.Reset();
    return r;
}

static std::vector<MessageRecord> LoadReplies(Connection& c, const std::string& conversation_id, std::int64_t seq) {
    // A range scan of the primary key: replies always follow the message they answer.
    static const std::string kSql =
        "SELECT " + std::string(kMessageColumns) +
        " FROM messages WHERE conversation_id = ? AND seq > ? AND in_reply_to = ? ORDER BY seq";
    auto& s = c.Prepare(kSql);
    s.Bind(1, conversation_id).Bind(2, seq).Bind(3, seq);
    std::vector<MessageRecord> out;
    while (s.Step()) out.push_back(ReadMessage(s));
    s.Reset();
    return out;
}

// The stored customer message with this client id and the replies to it, if any.
std::optional<AppendOutcome> LoadTurn(Connection& c, const std::string& conversation_id,
                                      const std::string& client_message_id) {
    static const std::string kSql =
        "SELECT " + std::string(kMessageColumns) + " FROM messages WHERE conversation_id = ? AND client_message_id = ?";
    auto& s = c.Prepare(kSql);
    s.Bind(1, conversation_id).Bind(2, client_message_id);
    if (!s.Step()) {
        s.Reset();
        return std::nullopt;
    }
    AppendOutcome out{ReadMessage(s), true, {}};
    s.Reset();
    out.replies = LoadReplies(c, conversation_id, out.message.seq);
    return out;
}

// Inserts one message with the next seq. Requires a write transaction.
MessageRecord InsertMessage(Connection& c, const std::string& conversation_id, const NewMessage& m) {
    auto& bump =
        c.Prepare("UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq");
    bump.Bind(1, m.created_at).Bind(2, conversation_id);
    if (!bump.Step()) throw SqliteError(0, "conversation vanished during append");
    std::int64_t seq = bump.Int(0);
    bump.Reset();

    c.Prepare(
         "INSERT INTO messages(conversation_id, seq, id, role, text, client_message_id, in_reply_to, meta, created_at) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(1, conversation_id)
        .Bind(2, seq)
        .Bind(3, m.id)
        .Bind(4, m.role)
        .Bind(5, m.text)
        .Bind(6, m.client_message_id)
        .Bind(7, m.in_reply_to)
        .Bind(8, m.meta)
        .Bind(9, m.created_at)
        .Run();
    return MessageRecord{m.id,          conversation_id, seq,         m.role, m.text, m.client_message_id,
                         m.in_reply_to, m.meta,          m.created_at};
}

namespace {

class SqliteConversationStore final : public ConversationStore {
  public:
    explicit SqliteConversationStore(Database& db) : db_(db) {}

    void CreateConversation(ConversationRecord record, std::vector<NewMessage> initial,
                            Callback<CreatedConversation> done) override {
        db_.Write<CreatedConversation>(
            [record = std::move(record), initial = std::move(initial)](Connection& c) -> Result<CreatedConversation> {
                c.Prepare(
                     "INSERT INTO conversations(id, token_hash, channel, language, customer_ref, status, created_at, "
                     "updated_at, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)")
                    .Bind(1, record.id)
                    .Bind(2, record.token_hash)
                    .Bind(3, record.channel)
                    .Bind(4, record.language)
                    .Bind(5, record.customer_ref)
                    .Bind(6, record.status)
                    .Bind(7, record.created_at)
                    .Bind(8, record.updated_at)
                    .Run();
                CreatedConversation out{record, {}};
                for (const auto& m : initial) out.messages.push_back(InsertMessage(c, record.id, m));
                out.conversation.last_seq = static_cast<std::int64_t>(out.messages.size());
                return out;
            },
            std::move(done));
    }

    void GetConversation(std::string id, Callback<ConversationRecord> done) override {
        db_.Read<ConversationRecord>([id = std::move(id)](Connection& c) { return LoadConversation(c, id); },
                                     std::move(done));
    }

    void AppendCustomerMessage(std::string conversation_id, NewMessage message, Callback<AppendOutcome> done) override {
        AppendTurn(std::move(conversation_id), std::move(message), {}, std::nullopt, std::nullopt, {}, std::move(done));
    }

    void PrepareTurn(std::string conversation_id, std::string client_message_id, Callback<TurnContext> done) override {
        db_.Read<TurnContext>(
            [conversation_id = std::move(conversation_id),
             client_message_id = std::move(client_message_id)](Connection& c) -> Result<TurnContext> {
                auto conv = LoadConversation(c, conversation_id);
                if (!conv) return conv.error();
                TurnContext out{std::move(conv.value()), std::nullopt};
                if (!client_message_id.empty()) out.stored = LoadTurn(c, conversation_id, client_message_id);
                return out;
            },
            std::move(done));
    }

    void AppendTurn(std::string conversation_id, NewMessage message, std::vector<NewMessage> replies,
                    std::optional<std::string> state, std::optional<HandoffRecord> handoff,
                    std::vector<PendingTicket> tickets, Callback<AppendOutcome> done) override {
        db_.Write<AppendOutcome>(
            [conversation_id = std::move(conversation_id), message = std::move(message), replies = std::move(replies),
             state = std::move(state), handoff = std::move(handoff),
             tickets = std::move(tickets)](Connection& c) -> Result<AppendOutcome> {
                auto conv = LoadConversation(c, conversation_id);
                if (!conv) return conv.error();
                if (message.client_message_id) {
                    if (auto out = LoadTurn(c, conversation_id, *message.client_message_id)) {
                        if (out->message.text != message.text) {
                            return Error{ErrorCode::kConflict,
                                         "client_message_id was already used for a different message"};
                        }
                        return *std::move(out);
                    }
                }
                if (conv->status != "open") return Error{ErrorCode::kConversationEnded, "the conversation has ended"};
                AppendOutcome out{InsertMessage(c, conversation_id, message), false, {}};
                for (NewMessage r : replies) {
                    r.in_reply_to = out.message.seq;
                    out.replies.push_back(InsertMessage(c, conversation_id, r));
                }
                if (state)
                    c.Prepare("UPDATE conversations SET state = ? WHERE id = ?")
                        .Bind(1, *state)
                        .Bind(2, conversation_id)
                        .Run();
                if (handoff && conv->desk_status == "bot") {
                    c.Prepare(
                         "INSERT INTO desk_chats(id, conversation_id, status, skill, language, priority, reason, "
                         "queued_at) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)")
                        .Bind(1, handoff->chat_id)
                        .Bind(2, conversation_id)
                        .Bind(3, handoff->skill)
                        .Bind(4, handoff->language)
                        .Bind(5, std::int64_t{handoff->priority})
                        .Bind(6, handoff->reason)
                        .Bind(7, handoff->queued_at)
                        .Run();
                    c.Prepare("UPDATE conversations SET desk_status = 'queued', desk_chat = ? WHERE id = ?")
                        .Bind(1, handoff->chat_id)
                        .Bind(2, conversation_id)
                        .Run();
                }
                for (const auto& t : tickets) {
                    c.Prepare(
                         "INSERT INTO desk_pending_tickets(id, conversation_id, kind, payload, created_at) "
                         "VALUES (?, ?, ?, ?, ?)")
                        .Bind(1, t.id)
                        .Bind(2, conversation_id)
                        .Bind(3, t.kind)
                        .Bind(4, t.payload)
                        .Bind(5, t.created_at)
                        .Run();
                }
                return out;
            },
            std::move(done));
    }

    void AppendMessages(std::string conversation_id, std::vector<NewMessage> messages,
                        Callback<std::vector<MessageRecord>> done) override {
        db_.Write<std::vector<MessageRecord>>(
            [conversation_id = std::move(conversation_id),
             messages = std::move(messages)](Connection& c) -> Result<std::vector<MessageRecord>> {
                std::vector<MessageRecord> out;
                out.reserve(messages.size());
                for (const auto& m : messages) out.push_back(InsertMessage(c, conversation_id, m));
                return out;
            },
            std::move(done));
    }

    void ListMessages(std::string conversation_id, std::int64_t after, int limit, Callback<MessagePage> done) override {
        db_.Read<MessagePage>(
            [conversation_id = std::move(conversation_id), after, limit](Connection& c) -> Result<MessagePage> {
                static const std::string kSql =
                    "SELECT " + std::string(kMessageColumns) +
                    " FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?";
                auto& s = c.Prepare(kSql);
                s.Bind(1, conversation_id).Bind(2, after).Bind(3, static_cast<std::int64_t>(limit) + 1);
                MessagePage page;
                while (s.Step()) page.messages.push_back(ReadMessage(s));
                s.Reset();
                if (page.messages.size() > static_cast<std::size_t>(limit)) {
                    page.messages.pop_back();
                    page.has_more = true;
                }
                return page;
            },
            std::move(done));
    }

    void EndConversation(std::string conversation_id, UnixMillis now, Callback<ConversationRecord> done) override {
        db_.Write<ConversationRecord>(
            [conversation_id = std::move(conversation_id), now](Connection& c) -> Result<ConversationRecord> {
                c.Prepare(
                     "UPDATE conversations SET status = 'ended', ended_at = ?, updated_at = ? "
                     "WHERE id = ? AND status <> 'ended'")
                    .Bind(1, now)
                    .Bind(2, now)
                    .Bind(3, conversation_id)
                    .Run();
                return LoadConversation(c, conversation_id);
            },
            std::move(done));
    }

  private:
    Database& db_;
};

}  // namespace

std::unique_ptr<ConversationStore> MakeConversationStore(Database& db) {
    return std::make_unique<SqliteConversationStore>(db);
}

}  // namespace kefu::storage::sqlite
