#include "api/conversation_service.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <ctime>

#include "api/conversation_json.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/thread_name.hpp"
#include "storage/async.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;
using storage::Await;

namespace {

constexpr std::size_t kAuthCacheMax = 200000;

metrics::Counter& MessagesCounter(std::string_view role) {
    return metrics::Default().GetCounter("kefu_messages_total", "Messages stored, by role.",
                                         metrics::Label("role", role));
}

json::array QuickRepliesJson(const dialogue::BotMessage& m) {
    json::array qr;
    for (const auto& q : m.quick_replies) qr.push_back(json::object{{"label", q.label}, {"payload", q.payload}});
    return qr;
}

}  // namespace

ConversationService::ConversationService(storage::ConversationStore& store, const dialogue::PipelineHolder& pipelines,
                                         Hub& hub, const CustomerTokenVerifier& tokens, int workers)
    : store_(store), pipelines_(pipelines), hub_(hub), tokens_(tokens), workers_(static_cast<std::size_t>(workers)) {}

ConversationService::~ConversationService() { workers_.join(); }

void ConversationService::Remember(const std::string& id, CachedAuth auth) {
    std::lock_guard lock(cache_mu_);
    if (auth_cache_.size() >= kAuthCacheMax) auth_cache_.clear();  // crude bound; misses reload from storage
    auth_cache_.insert_or_assign(id, std::move(auth));
}

std::vector<storage::NewMessage> ConversationService::ToNewMessages(const std::vector<dialogue::BotMessage>& replies,
                                                                    std::optional<std::int64_t> in_reply_to) const {
    std::vector<storage::NewMessage> out;
    out.reserve(replies.size());
    UnixMillis now = NowMillis();
    for (const auto& r : replies) {
        std::string meta =
            r.quick_replies.empty() ? "{}" : json::serialize(json::object{{"quick_replies", QuickRepliesJson(r)}});
        out.push_back(
            storage::NewMessage{NewId("msg_"), "bot", r.text, std::nullopt, in_reply_to, std::move(meta), now});
    }
    return out;
}

awaitable<Result<CreatedConversation>> ConversationService::Create(CreateConversationRequest request) {
    UnixMillis now = NowMillis();
    storage::ConversationRecord rec;
    rec.id = NewId("cv_");
    std::string token = NewSecretToken();
    rec.token_hash = Sha256Hex(token);
    rec.channel = request.channel;
    rec.language = request.language;
    rec.customer_ref = request.customer_ref;
    rec.created_at = rec.updated_at = now;
    auto pipeline = pipelines_.Get();
    if (!pipeline) co_return Error{ErrorCode::kUnavailable, "the bot is starting; try again shortly"};
    auto welcome = ToNewMessages({pipeline->Welcome(request.language)}, std::nullopt);
    auto created = co_await Await<storage::CreatedConversation>(
        [&](auto done) { store_.CreateConversation(rec, std::move(welcome), std::move(done)); });
    if (!created) co_return created.error();
    MessagesCounter("bot").Inc(created->messages.size());
    Remember(rec.id, CachedAuth{rec.token_hash, ConversationRef{rec.id, rec.channel, rec.language, rec.customer_ref}});
    log::Debug("conversation created",
               {{"conversation_id", rec.id}, {"channel", rec.channel}, {"language", rec.language}});
    co_return CreatedConversation{std::move(created->conversation), std::move(token), std::move(created->messages)};
}

awaitable<Result<ConversationRef>> ConversationService::Authorize(const std::string& id,
                                                                  std::optional<std::string_view> token) {
    const Error not_found{ErrorCode::kNotFound, "conversation not found"};
    if (!token || token->empty() || id.size() > 64) co_return not_found;
    std::optional<CachedAuth> auth;
    {
        std::lock_guard lock(cache_mu_);
        if (auto it = auth_cache_.find(id); it != auth_cache_.end()) auth = it->second;
    }
    if (!auth) {
        auto rec = co_await Await<storage::ConversationRecord>(
            [&](auto done) { store_.GetConversation(id, std::move(done)); });
        if (!rec) co_return rec.error().code == ErrorCode::kNotFound ? not_found : rec.error();
        auth = CachedAuth{rec->token_hash, ConversationRef{rec->id, rec->channel, rec->language, rec->customer_ref}};
        Remember(id, *auth);
    }
    if (ConstantTimeEquals(Sha256Hex(*token), auth->token_hash)) co_return auth->ref;
    if (auth->ref.customer_ref) {
        auto claims = tokens_.Verify(*token, static_cast<long long>(std::time(nullptr)));
        if (claims && claims->customer_ref == *auth->ref.customer_ref) co_return auth->ref;
    }
    co_return not_found;
}

awaitable<Result<PostedMessage>> ConversationService::Post(
    const ConversationRef& conv, std::string client_message_id, std::string text, const Subscriber* origin,
    std::function<void(const storage::MessageRecord&, bool)> on_stored) {
    auto pipeline = pipelines_.Get();
    if (!pipeline) co_return Error{ErrorCode::kUnavailable, "the bot is starting; try again shortly"};
    auto guard = co_await turn_locks_.Lock(conv.id);

    // A retry of a stored message gets the stored answer; the bot does not run again (a retried "freeze my
    // card" must not act twice). The same read brings the dialogue state.
    auto prepared = co_await Await<storage::TurnContext>(
        [&](auto done) { store_.PrepareTurn(conv.id, client_message_id, std::move(done)); });
    if (!prepared) co_return prepared.error();
    if (auto& stored = prepared->stored) {
        if (stored->message.text != text) {
            co_return Error{ErrorCode::kConflict, "client_message_id was already used for a different message"};
        }
        if (on_stored) on_stored(stored->message, true);
        co_return PostedMessage{std::move(stored->message), std::move(stored->replies), true};
    }
    const storage::ConversationRecord* record = &prepared->conversation;
    if (record->status != "open") co_return Error{ErrorCode::kConversationEnded, "the conversation has ended"};

    // A person has the conversation (or it waits for one): the message is stored and goes to the agent; the bot
    // stays silent.
    if (record->desk_status != "bot") {
        storage::NewMessage msg{NewId("msg_"), "customer", std::move(text), client_message_id,
                                std::nullopt,  "{}",       NowMillis()};
        auto appended = co_await Await<storage::AppendOutcome>([&](auto done) {
            store_.AppendTurn(conv.id, std::move(msg), {}, std::nullopt, std::nullopt, {}, std::move(done));
        });
        if (!appended) co_return appended.error();
        storage::AppendOutcome& out = appended.value();
        if (on_stored) on_stored(out.message, out.duplicate);
        if (!out.duplicate) {
            MessagesCounter("customer").Inc();
            hub_.Publish(conv.id, MessageEvent(out.message), origin);
        }
        co_return PostedMessage{std::move(out.message), {}, out.duplicate};
    }

    // The bot answers first, on a worker thread (a flow may wait on the core bank); the customer message, the
    // replies and the new dialogue state are then committed together, so a turn is never half stored.
    const std::string customer = conv.customer_ref.value_or("");
    dialogue::TurnInput input{conv.id,       conv.channel, conv.language,     text,
                              record->state, customer,     client_message_id, {}};
    // co_spawn, not a bare post(workers_): a posted use_awaitable handler resumes on the coroutine's own (I/O)
    // executor, so the bot would run on the I/O threads after all.
    std::optional<storage::HandoffRecord> handoff;
    auto run = [&pipeline, &input, &handoff, &conv, desk = desk_]() -> awaitable<dialogue::TurnResult> {
        static thread_local const bool named = (SetThreadName("kefu-bot"), true);
        (void)named;
        dialogue::TurnResult t = pipeline->Run(input);
        if (desk) handoff = desk->Consider(conv, t);
        co_return t;
    };
    dialogue::TurnResult turn = co_await boost::asio::co_spawn(workers_, run, boost::asio::use_awaitable);
    json::array top;
    for (const auto& [intent, confidence] : turn.understanding.top) {
        top.push_back(json::object{{"intent", intent}, {"confidence", confidence}});
    }
    json::object meta{{"intent", turn.understanding.intent},
                      {"confidence", turn.understanding.confidence},
                      {"language", turn.understanding.language},
                      {"action", turn.decision.action},
                      {"kb", turn.decision.knowledge.id.empty()
                                 ? json::value(nullptr)
                                 : json::value(json::object{{"id", turn.decision.knowledge.id},
                                                            {"decision", turn.decision.knowledge.decision},
                                                            {"confidence", turn.decision.knowledge.confidence}})},
                      {"top", std::move(top)},
                      {"flow", turn.decision.flow.empty() ? json::value(nullptr)
                                                          : json::value(json::object{{"name", turn.decision.flow},
                                                                                     {"step", turn.decision.step}})},
                      {"bank_calls", json::value_from(turn.decision.bank_calls)},
                      {"verified", turn.decision.verified},
                      {"handoff", turn.decision.handoff},
                      {"entities", std::move(turn.understanding.entities)},
                      {"sentiment", json::object{{"label", turn.understanding.sentiment},
                                                 {"score", turn.understanding.sentiment_score},
                                                 {"anger", turn.understanding.anger},
                                                 {"urgency", turn.understanding.urgency}}}};
    // What the bot understood belongs to the customer's message (once per turn, however many replies), for
    // the agent's context and analytics; the replies carry only their quick replies.
    // Nobody can take it: the conversation stays with the bot (so the next message is answered at once) and the
    // desk makes a ticket after the commit.
    std::optional<storage::HandoffRecord> unstaffed;
    if (handoff && !desk_->Accepts(*handoff)) {
        unstaffed = std::move(handoff);
        handoff.reset();
    }
    std::vector<storage::PendingTicket> tickets;
    if (desk_) tickets = desk_->TicketsFor(conv, turn, unstaffed);
    storage::NewMessage msg{NewId("msg_"),         "customer", std::move(text), client_message_id, std::nullopt,
                            json::serialize(meta), NowMillis()};
    auto appended = co_await Await<storage::AppendOutcome>([&](auto done) {
        store_.AppendTurn(conv.id, std::move(msg), ToNewMessages(turn.replies, std::nullopt), turn.decision.state,
                          handoff, tickets, std::move(done));
    });
    if (!appended) co_return appended.error();
    storage::AppendOutcome& out = appended.value();
    if (on_stored) on_stored(out.message, out.duplicate);
    if (!out.duplicate) {
        MessagesCounter("customer").Inc();
        MessagesCounter("bot").Inc(out.replies.size());
        hub_.Publish(conv.id, MessageEvent(out.message), origin);
        for (const auto& r : out.replies) hub_.Publish(conv.id, MessageEvent(r), origin);
        if (turn.decision.unanswered && unanswered_) unanswered_(conv, out.message.text, turn.decision);
        if (handoff) desk_->OnHandoff(conv, *handoff);
        if (!tickets.empty()) desk_->OnTicketsStored(std::move(tickets));
    }
    co_return PostedMessage{std::move(out.message), std::move(out.replies), out.duplicate};
}

awaitable<Result<storage::ConversationRecord>> ConversationService::Get(const std::string& id) {
    co_return co_await Await<storage::ConversationRecord>(
        [&](auto done) { store_.GetConversation(id, std::move(done)); });
}

awaitable<Result<storage::MessagePage>> ConversationService::List(const std::string& id, std::int64_t after,
                                                                  int limit) {
    co_return co_await Await<storage::MessagePage>(
        [&](auto done) { store_.ListMessages(id, after, limit, std::move(done)); });
}

awaitable<Result<storage::ConversationRecord>> ConversationService::End(const std::string& id,
                                                                        const Subscriber* origin) {
    auto guard = co_await turn_locks_.Lock(id);
    auto rec = co_await Await<storage::ConversationRecord>(
        [&](auto done) { store_.EndConversation(id, NowMillis(), std::move(done)); });
    if (rec) hub_.Publish(id, StatusEvent(rec.value()), origin);
    co_return rec;
}

}  // namespace kefu::api
