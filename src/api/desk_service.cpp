#include "api/desk_service.hpp"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <map>
#include <set>

#include "api/conversation_json.hpp"
#include "api/desk_summary.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/pii.hpp"
#include "storage/async.hpp"
#include "storage/sqlite/sqlite_conversation_store.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;
using storage::MessageRecord;
using storage::NewMessage;
using storage::sqlite::Connection;

namespace {

constexpr std::string_view kChatColumns =
    "c.id, c.conversation_id, c.status, c.skill, c.language, c.priority, c.reason, c.agent, c.queued_at, "
    "c.assigned_at, c.ended_at, c.wrap_up, c.ticket_id, s.score, s.comment";

DeskChat ReadChat(const storage::sqlite::Statement& s) {
    DeskChat c;
    c.id = s.Text(0);
    c.conversation_id = s.Text(1);
    c.status = s.Text(2);
    c.skill = s.Text(3);
    c.language = s.Text(4);
    c.priority = static_cast<int>(s.Int(5));
    c.reason = s.Text(6);
    c.agent = s.OptText(7);
    c.queued_at = s.Int(8);
    c.assigned_at = s.OptInt(9);
    c.ended_at = s.OptInt(10);
    c.wrap_up = s.OptText(11);
    c.ticket_id = s.OptText(12);
    if (auto score = s.OptInt(13)) c.csat_score = static_cast<int>(*score);
    c.csat_comment = s.OptText(14).value_or("");
    return c;
}

Result<DeskChat> LoadChat(Connection& c, const std::string& id) {
    static const std::string kSql = "SELECT " + std::string(kChatColumns) +
                                    " FROM desk_chats c LEFT JOIN csat s ON s.chat_id = c.id WHERE c.id = ?";
    auto& s = c.Prepare(kSql);
    s.Bind(1, id);
    if (!s.Step()) {
        s.Reset();
        return Error{ErrorCode::kNotFound, "no such chat"};
    }
    auto chat = ReadChat(s);
    s.Reset();
    return chat;
}

json::value Opt(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }
json::value OptTime(const std::optional<UnixMillis>& v) {
    return v ? json::value(FormatIsoMillis(*v)) : json::value(nullptr);
}

std::string Fill(std::string text, std::string_view key, const std::string& value) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
        text.replace(at, key.size(), value);
    }
    return text;
}

// "11月24日 10:00" / "24 Nov 10:00" in the desk's time zone.
std::string LocalDue(UnixMillis t, int offset_min, const std::string& language) {
    std::time_t secs = static_cast<std::time_t>((t + std::int64_t{offset_min} * 60'000) / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (language == "en") {
        return fmt::format("{} {} {:02d}:{:02d}", tm.tm_mday, kMonths[static_cast<std::size_t>(tm.tm_mon)], tm.tm_hour,
                           tm.tm_min);
    }
    return fmt::format("{}月{}日 {:02d}:{:02d}", tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

NewMessage SystemMessage(std::string text, json::object meta = {}) {
    return NewMessage{NewId("msg_"),         "system",   std::move(text), std::nullopt, std::nullopt,
                      json::serialize(meta), NowMillis()};
}

std::string TicketTypeForSkill(const std::string& skill) {
    if (skill == "cards") return "card";
    if (skill == "transfers") return "transfer";
    if (skill == "complaints") return "complaint";
    return "callback";
}

metrics::Counter& HandoffCounter(std::string_view outcome) {
    return metrics::Default().GetCounter("kefu_desk_handoffs_total",
                                         "Hand-offs from the bot, by outcome (assigned, queued, ticket).",
                                         metrics::Label("outcome", outcome));
}

}  // namespace

json::object ToJson(const DeskChat& c) {
    return json::object{
        {"id", c.id},
        {"conversation_id", c.conversation_id},
        {"status", c.status},
        {"skill", c.skill},
        {"language", c.language},
        {"priority", c.priority},
        {"reason", c.reason},
        {"agent", Opt(c.agent)},
        {"queued_at", FormatIsoMillis(c.queued_at)},
        {"assigned_at", OptTime(c.assigned_at)},
        {"ended_at", OptTime(c.ended_at)},
        {"wrap_up", Opt(c.wrap_up)},
        {"ticket_id", Opt(c.ticket_id)},
        {"csat", c.csat_score ? json::value(json::object{{"score", *c.csat_score}, {"comment", c.csat_comment}})
                              : json::value(nullptr)},
    };
}

// ---------------------------------------------------------------------------------------------------------

struct DeskService::Impl {
    storage::sqlite::Database& db;
    Hub& hub;
    std::shared_ptr<banking::CoreBank> bank;
    std::int64_t sla_interval_ms;

    mutable std::mutex mu;
    desk::DeskConfig config;                                     // guarded by mu
    desk::Router router;                                         // guarded by mu
    std::unordered_map<std::string, desk::QueuePosition> told;   // chat → the position last pushed; guarded by mu
    std::unordered_map<std::string, std::string> display_names;  // agent → the name customers see; guarded by mu

    std::optional<boost::asio::any_io_executor> executor;
    boost::asio::thread_pool pool{2};  // core-bank lookups for the agent's context, and the SLA check
    // The SLA timer lives on the desk's own pool (through a strand), never on the server's I/O context:
    // the desk outlives the server, and a timer must not outlive the context whose service it uses.
    // Declared after the pool, so it is destroyed first.
    boost::asio::strand<boost::asio::thread_pool::executor_type> sla_strand{boost::asio::make_strand(pool)};
    boost::asio::strand<boost::asio::thread_pool::executor_type> queue_strand{boost::asio::make_strand(pool)};
    std::unique_ptr<boost::asio::steady_timer> sla_timer;
    std::atomic<bool> stopped{false};

    Impl(storage::sqlite::Database& d, Hub& h, std::shared_ptr<banking::CoreBank> b, desk::DeskConfig c,
         std::int64_t interval)
        : db(d), hub(h), bank(std::move(b)), sla_interval_ms(interval), config(std::move(c)) {}

    // By reference: GCC 12 destroys a temporary passed to a coroutine's by-value parameter twice. The
    // caller's temporary lives until the end of its full expression, which includes the co_await.
    template <typename T, typename F>
    awaitable<Result<T>> Write(const F& fn) {
        co_return co_await storage::Await<T>([&](auto done) { db.Write<T>(fn, std::move(done)); });
    }
    template <typename T, typename F>
    awaitable<Result<T>> Read(const F& fn) {
        co_return co_await storage::Await<T>([&](auto done) { db.Read<T>(fn, std::move(done)); });
    }

    void Spawn(std::function<awaitable<void>()> fn) {
        if (!executor) return;
        boost::asio::co_spawn(
            *executor, [fn = std::move(fn)]() -> awaitable<void> { co_await fn(); },
            [](std::exception_ptr e) {
                if (!e) return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    log::Error("desk task failed", {{"error", ex.what()}});
                }
            });
    }

    // A customer-facing text of the desk file, in both languages (the caller picks one where it knows the chat).
    desk::LocalText Text(std::string_view key) const {
        std::lock_guard lock(mu);
        return {config.Message(key, "zh"), config.Message(key, "en")};
    }

    void PublishDesk(const std::string& conversation_id, std::string_view status,
                     const std::optional<std::string>& agent_display) {
        hub.Publish(conversation_id,
                    json::serialize(json::object{
                        {"type", "desk"},
                        {"desk_status", status},
                        {"agent", agent_display ? json::value(json::object{{"display_name", *agent_display}})
                                                : json::value(nullptr)}}));
    }

    void PublishChat(const DeskChat& chat, std::string_view type) {
        std::string frame = json::serialize(json::object{{"type", type}, {"chat", ToJson(chat)}});
        if (chat.agent) hub.Publish(AgentRoom(*chat.agent), frame);
        hub.Publish(std::string(kSupervisorsRoom), frame);
    }

    // Queue changes are coalesced: one flush per kQueueFlushDelay at most, however many chats queued or were
    // assigned meanwhile. A burst of hand-offs would otherwise send every console a frame per chat (200
    // consoles × 2,000 hand-offs = 400,000 frames) and recompute every waiting customer's position each time.
    static constexpr std::chrono::milliseconds kQueueFlushDelay{100};
    std::atomic<bool> queue_flush_pending{false};

    void QueueChanged() {
        if (queue_flush_pending.exchange(true)) return;
        auto timer = std::make_shared<boost::asio::steady_timer>(queue_strand, kQueueFlushDelay);
        timer->async_wait([this, timer](boost::system::error_code ec) {
            queue_flush_pending = false;
            if (!ec && !stopped) FlushQueueChanged();
        });
    }

    void FlushQueueChanged() {
        // Supervisors are in kAgentsRoom too: one frame per console.
        hub.Publish(std::string(kAgentsRoom), R"({"type":"queue_changed"})");
        // Tell each waiting customer their position when it changed.
        std::vector<std::pair<std::string, desk::QueuePosition>> changed;
        {
            std::lock_guard lock(mu);
            auto all = router.AllPositions();
            std::unordered_map<std::string, desk::QueuePosition> now;
            for (auto& [chat, pos] : all) {
                auto it = told.find(chat.chat_id);
                if (it == told.end() || it->second.position != pos.position || it->second.eta_s != pos.eta_s) {
                    changed.emplace_back(chat.conversation_id, pos);
                }
                now.emplace(chat.chat_id, pos);
            }
            told = std::move(now);
        }
        for (const auto& [conversation_id, pos] : changed) {
            hub.Publish(conversation_id, json::serialize(json::object{
                                             {"type", "queue"}, {"position", pos.position}, {"eta_s", pos.eta_s}}));
        }
    }

    // The router gave `chat_id` to `agent`: record it, tell the customer and the agent.
    awaitable<void> Assigned(std::string chat_id, std::string agent, std::string_view how) {
        UnixMillis now = NowMillis();
        struct Out {
            DeskChat chat;
            MessageRecord message;
            std::string display;
        };
        desk::LocalText text = Text(how == "transfer" ? "transferred" : "joined");
        auto write_op1 = [chat_id, agent, now, text](Connection& c) -> Result<Out> {
            auto chat = LoadChat(c, chat_id);
            if (!chat) return chat.error();
            auto staff = LoadStaff(c, agent);
            if (!staff) return staff.error();
            c.Prepare("UPDATE desk_chats SET status = 'assigned', agent = ?, assigned_at = ? WHERE id = ?")
                .Bind(1, agent)
                .Bind(2, now)
                .Bind(3, chat_id)
                .Run();
            c.Prepare("UPDATE conversations SET desk_status = 'assigned', desk_chat = ? WHERE id = ?")
                .Bind(1, chat_id)
                .Bind(2, chat->conversation_id)
                .Run();
            auto message = storage::sqlite::InsertMessage(
                c, chat->conversation_id, SystemMessage(Fill(text.In(chat->language), "{name}", staff->display_name)));
            chat->status = "assigned";
            chat->agent = agent;
            chat->assigned_at = now;
            return Out{std::move(chat.value()), std::move(message), staff->display_name};
        };
        auto out = co_await Write<Out>(write_op1);
        if (!out) {
            log::Error("desk assignment not recorded", {{"chat", chat_id}, {"error", out.error().message}});
            std::lock_guard lock(mu);
            router.Release(agent, chat_id, now, 0);
            co_return;
        }
        hub.Publish(out->chat.conversation_id, MessageEvent(out->message));
        PublishDesk(out->chat.conversation_id, "assigned", out->display);
        PublishChat(out->chat, "assigned");
        QueueChanged();
    }

    void AssignAll(const std::vector<desk::Assignment>& assignments) {
        for (const auto& a : assignments) {
            Spawn([this, a]() -> awaitable<void> { co_await Assigned(a.chat_id, a.agent, "router"); });
        }
    }

    // A ticket the desk owes for a stored turn (desk_pending_tickets): created, and the row deleted, in one
    // transaction, so running this twice for the same row (after the commit and again at a restart) makes one
    // ticket. The ticket's time and SLA start are the turn's.
    awaitable<void> Settle(storage::PendingTicket p) {
        desk::DeskConfig cfg;
        {
            std::lock_guard lock(mu);
            cfg = config;
        }
        boost::system::error_code ec;
        json::value parsed = json::parse(p.payload, ec);
        if (ec || !parsed.is_object()) {
            log::Error("pending ticket unreadable", {{"id", p.id}, {"kind", p.kind}});
            co_return;
        }
        const json::object& o = parsed.as_object();
        auto str = [&o](std::string_view key) -> std::string {
            const auto* v = o.if_contains(key);
            return v && v->is_string() ? std::string(v->as_string()) : std::string();
        };
        auto opt = [&str](std::string_view key) -> std::optional<std::string> {
            std::string v = str(key);
            return v.empty() ? std::nullopt : std::optional<std::string>(std::move(v));
        };
        const UnixMillis at = p.created_at;
        const int offset = cfg.business_hours.utc_offset_min;
        const bool handoff = p.kind == "handoff";
        storage::HandoffRecord h;
        NewTicket t;
        std::string said;
        if (handoff) {
            h.chat_id = str("chat_id");
            h.skill = str("skill");
            h.language = str("language");
            h.reason = str("reason");
            if (const auto* v = o.if_contains("priority"); v && v->is_int64())
                h.priority = static_cast<int>(v->as_int64());
            if (const auto* v = o.if_contains("queued_at"); v && v->is_int64()) h.queued_at = v->as_int64();
            const auto* closed = o.if_contains("closed");
            said = cfg.Message(closed && closed->is_bool() && closed->as_bool() ? "ticket_closed" : "ticket_nobody",
                               h.language);
            t.type = TicketTypeForSkill(h.skill);
            t.priority = h.priority >= 2 ? "high" : "normal";
            t.subject = h.language == "en" ? "Customer asked for an agent (" + h.skill + ")"
                                           : "客户请求人工服务（" + h.skill + "）";
            t.source = "handoff";
        } else {
            t.type = "complaint";
            t.priority = str("priority").empty() ? "normal" : str("priority");
            t.subject = str("subject");
            t.complaint_ref = opt("complaint_ref");
            t.customer_ref = opt("customer_ref");
            t.source = "complaint";
        }
        t.conversation_id = p.conversation_id;
        const UnixMillis due = cfg.business_hours.Add(at, cfg.SlaMs(t.type, t.priority));
        struct Out {
            Ticket ticket;
            std::optional<MessageRecord> message;
        };
        auto settle_op = [p, h, t, at, due, offset, said, handoff](Connection& c) -> Result<std::optional<Out>> {
            auto& pending = c.Prepare("SELECT 1 FROM desk_pending_tickets WHERE id = ?");
            pending.Bind(1, p.id);
            const bool owed = pending.Step();
            pending.Reset();
            if (!owed) return std::optional<Out>{};  // settled already
            NewTicket ticket = t;
            if (handoff) {
                auto conv = storage::sqlite::LoadConversation(c, *t.conversation_id);
                if (conv) ticket.customer_ref = conv->customer_ref;
            }
            Out out{InsertTicket(c, "kefu", ticket, at, due, offset), std::nullopt};
            if (handoff) {
                c.Prepare(
                     "INSERT INTO desk_chats(id, conversation_id, status, skill, language, priority, reason, "
                     "queued_at, "
                     "ended_at, ticket_id) VALUES (?, ?, 'ticketed', ?, ?, ?, ?, ?, ?, ?)")
                    .Bind(1, h.chat_id)
                    .Bind(2, *t.conversation_id)
                    .Bind(3, h.skill)
                    .Bind(4, h.language)
                    .Bind(5, std::int64_t{h.priority})
                    .Bind(6, h.reason)
                    .Bind(7, h.queued_at)
                    .Bind(8, at)
                    .Bind(9, out.ticket.id)
                    .Run();
                std::string text =
                    Fill(Fill(said, "{ticket}", out.ticket.id), "{due}", LocalDue(due, offset, h.language));
                out.message = storage::sqlite::InsertMessage(
                    c, *t.conversation_id, SystemMessage(std::move(text), json::object{{"ticket_id", out.ticket.id}}));
            }
            c.Prepare("DELETE FROM desk_pending_tickets WHERE id = ?").Bind(1, p.id).Run();
            return std::optional<Out>{std::move(out)};
        };
        auto out = co_await Write<std::optional<Out>>(settle_op);
        if (!out) {
            log::Error("ticket not created",
                       {{"kind", p.kind}, {"conversation_id", p.conversation_id}, {"error", out.error().message}});
            co_return;
        }
        if (!out->has_value()) co_return;
        Out& done = **out;
        if (handoff) {
            HandoffCounter("ticket").Inc();
            hub.Publish(*t.conversation_id, MessageEvent(*done.message));
            PublishDesk(*t.conversation_id, "bot", std::nullopt);
        }
        PublishTicket("ticket_created", done.ticket);
    }

    // Ticket events go to every desk console (agents and supervisors are all in kAgentsRoom): their lists stay
    // current without polling.
    void PublishTicket(std::string_view type, const Ticket& ticket) {
        hub.Publish(std::string(kAgentsRoom),
                    json::serialize(json::object{{"type", type}, {"ticket", ToJson(ticket)}}));
    }

    static std::string NextTicketId(Connection& c, UnixMillis now, int offset_min) {
        std::time_t secs = static_cast<std::time_t>((now + std::int64_t{offset_min} * 60'000) / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        std::string prefix = fmt::format("TK-{:04d}{:02d}{:02d}-", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        auto& s = c.Prepare("SELECT COUNT(*) FROM tickets WHERE id >= ? AND id < ?");
        s.Bind(1, prefix).Bind(2, prefix + "\x7f");
        s.Step();
        std::int64_t n = s.Int(0) + 1;
        s.Reset();
        return prefix + fmt::format("{:04d}", n);
    }

    static void AddEvent(Connection& c, const std::string& ticket_id, std::string_view kind, const std::string& actor,
                         const json::object& detail, UnixMillis now) {
        auto& s = c.Prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM ticket_events WHERE ticket_id = ?");
        s.Bind(1, ticket_id);
        s.Step();
        std::int64_t seq = s.Int(0);
        s.Reset();
        c.Prepare(
             "INSERT INTO ticket_events(ticket_id, seq, kind, actor, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .Bind(1, ticket_id)
            .Bind(2, seq)
            .Bind(3, kind)
            .Bind(4, actor)
            .Bind(5, json::serialize(detail))
            .Bind(6, now)
            .Run();
    }

    static Ticket InsertTicket(Connection& c, const std::string& actor, const NewTicket& t, UnixMillis now,
                               UnixMillis due, int offset_min) {
        Ticket out;
        out.id = NextTicketId(c, now, offset_min);
        out.type = t.type;
        out.priority = t.priority;
        out.status = "new";
        out.subject = t.subject;
        out.description = t.description;
        out.customer_ref = t.customer_ref;
        out.conversation_id = t.conversation_id;
        out.complaint_ref = t.complaint_ref;
        out.assignee = t.assignee;
        out.created_by = actor;
        out.source = t.source;
        out.created_at = out.updated_at = now;
        out.due_at = due;
        c.Prepare(
             "INSERT INTO tickets(id, type, priority, status, subject, description, customer_ref, conversation_id, "
             "complaint_ref, assignee, created_by, created_at, updated_at, due_at, source) "
             "VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(1, out.id)
            .Bind(2, out.type)
            .Bind(3, out.priority)
            .Bind(4, out.subject)
            .Bind(5, out.description)
            .Bind(6, out.customer_ref)
            .Bind(7, out.conversation_id)
            .Bind(8, out.complaint_ref)
            .Bind(9, out.assignee)
            .Bind(10, actor)
            .Bind(11, now)
            .Bind(12, now)
            .Bind(13, due)
            .Bind(14, out.source)
            .Run();
        AddEvent(c, out.id, "created", actor,
                 json::object{{"type", out.type}, {"priority", out.priority}, {"source", out.source}}, now);
        return out;
    }

    // The SLA check waits for its write, so it runs on the desk's pool, never on an I/O thread. The timer is
    // only touched on its strand.
    void ArmSla() {
        if (!sla_timer || stopped) return;
        sla_timer->expires_after(std::chrono::milliseconds(sla_interval_ms));
        sla_timer->async_wait([this](boost::system::error_code ec) {
            if (ec || stopped) return;
            sla_tick();
            ArmSla();
        });
    }
    std::function<void()> sla_tick;
};

// ---------------------------------------------------------------------------------------------------------

DeskService::DeskService(storage::sqlite::Database& db, Hub& hub, std::shared_ptr<banking::CoreBank> bank,
                         desk::DeskConfig config, std::int64_t sla_check_interval_ms)
    : impl_(std::make_unique<Impl>(db, hub, std::move(bank), std::move(config), sla_check_interval_ms)),
      db_(db),
      hub_(hub) {}

DeskService::~DeskService() {
    Stop();
    impl_->pool.join();
}

Result<void> DeskService::Start(boost::asio::any_io_executor executor) {
    impl_->executor = executor;
    UnixMillis now = NowMillis();
    struct Snapshot {
        std::vector<StaffMember> staff;
        std::vector<DeskChat> open;
        std::vector<storage::PendingTicket> owed;  // tickets of turns stored just before the last stop
    };
    auto snap = db_.ReadAndWait<Snapshot>([](Connection& c) -> Result<Snapshot> {
        Snapshot s;
        s.staff = ListStaff(c);
        static const std::string kSql = "SELECT " + std::string(kChatColumns) +
                                        " FROM desk_chats c LEFT JOIN csat s ON s.chat_id = c.id WHERE c.status IN "
                                        "('queued', 'assigned') ORDER BY c.queued_at";
        auto& st = c.Prepare(kSql);
        while (st.Step()) s.open.push_back(ReadChat(st));
        st.Reset();
        auto& pt = c.Prepare(
            "SELECT id, conversation_id, kind, payload, created_at FROM desk_pending_tickets ORDER BY created_at");
        while (pt.Step()) s.owed.push_back({pt.Text(0), pt.Text(1), pt.Text(2), pt.Text(3), pt.Int(4)});
        pt.Reset();
        return s;
    });
    if (!snap) return snap.error();
    {
        std::lock_guard lock(impl_->mu);
        for (const auto& m : snap->staff) {
            if (m.role == "agent" || m.role == "supervisor") {
                impl_->router.UpsertAgent({m.name, m.skills, m.languages, m.max_chats}, now);
                impl_->display_names[m.name] = m.display_name;
            }
        }
        for (const auto& c : snap->open) {
            if (c.status == "assigned" && c.agent) {
                impl_->router.Restore(*c.agent, c.id);
            } else {
                impl_->router.Enqueue({c.id, c.conversation_id, c.skill, c.language, c.priority, c.queued_at}, now);
            }
        }
    }
    impl_->sla_timer = std::make_unique<boost::asio::steady_timer>(impl_->sla_strand);
    impl_->sla_tick = [this] { CheckSla(NowMillis()); };
    boost::asio::post(impl_->sla_strand, [impl = impl_.get()] { impl->ArmSla(); });
    if (!snap->owed.empty()) {
        log::Warn("desk: creating tickets owed by turns stored before the last stop", {{"count", snap->owed.size()}});
        OnTicketsStored(std::move(snap->owed));
    }
    log::Info("desk started", {{"agents", snap->staff.size()}, {"open_chats", snap->open.size()}});
    return Ok();
}

void DeskService::Stop() {
    if (impl_->stopped.exchange(true)) return;
    boost::asio::post(impl_->sla_strand, [impl = impl_.get()] {
        if (impl->sla_timer) impl->sla_timer->cancel();
    });
}

void DeskService::SetConfig(desk::DeskConfig config) {
    std::lock_guard lock(impl_->mu);
    impl_->config = std::move(config);
}

desk::DeskConfig DeskService::Config() const {
    std::lock_guard lock(impl_->mu);
    return impl_->config;
}

// ---- hand-offs -------------------------------------------------------------------------------------------

std::optional<storage::HandoffRecord> DeskService::Consider(const ConversationRef& conversation,
                                                            dialogue::TurnResult& turn) {
    const auto& u = turn.understanding;
    desk::VipRule vip;
    {
        std::lock_guard lock(impl_->mu);
        vip = impl_->config.vip;
    }
    const bool negative = u.anger || (u.sentiment == "negative" && u.sentiment_score <= -0.6);
    // The VIP rule looks only at turns the bot did not hand over itself, and never breaks into a task.
    const bool vip_trigger =
        !turn.decision.handoff && turn.decision.flow.empty() &&
        ((vip.handoff_on_fallback && turn.decision.action == "fallback") || (vip.handoff_on_negative && negative));
    if (!turn.decision.handoff && !vip_trigger) return std::nullopt;

    storage::HandoffRecord h;
    h.chat_id = NewId("ch_");
    h.language = turn.decision.reply_language.empty() ? conversation.language : turn.decision.reply_language;
    h.queued_at = NowMillis();
    // The flow the customer was in (the state keeps the last one even after an escalation ended it).
    std::string last_flow = turn.decision.flow;
    std::optional<std::string> customer = conversation.customer_ref;
    boost::system::error_code ec;
    auto state = json::parse(turn.decision.state.value_or("{}"), ec);
    if (!ec && state.is_object()) {
        const auto& o = state.as_object();
        if (last_flow.empty()) {
            if (const auto* lf = o.if_contains("last_flow"); lf && lf->is_string()) last_flow = lf->as_string();
        }
        if (const auto* v = o.if_contains("verify"); v && v->is_object()) {
            if (const auto* c = v->as_object().if_contains("customer");
                c && c->is_string() && !c->as_string().empty()) {
                customer = std::string(c->as_string());
            }
        }
    }
    {
        std::lock_guard lock(impl_->mu);
        h.skill = impl_->config.SkillFor(last_flow, u.intent);
    }
    if (u.intent == "human_agent") {
        h.reason = "request";
    } else if (turn.decision.action == "fallback") {
        h.reason = "fallback";
    } else if (u.anger) {
        h.reason = "anger";
    } else {
        h.reason = "flow";
    }
    if (negative) h.priority = 1;
    // VIP: a segment of the core bank's profile (on a bot worker: the call may wait on the core).
    bool is_vip = false;
    if (customer && impl_->bank) {
        auto profile = impl_->bank->Profile({NewRequestId(), std::chrono::milliseconds(1500), ""}, *customer);
        is_vip = profile && vip.segments.contains(profile->segment);
    }
    if (is_vip) {
        h.priority = 2;
        if (h.reason != "request") h.reason = "vip";
    }
    if (vip_trigger) {
        // Only when a person can take it now: otherwise the bot's answer stands (no ticket for a fallback).
        if (!is_vip || !Accepts(h)) return std::nullopt;
        turn.decision.handoff = true;
        turn.replies.push_back({impl_->Text("vip_handoff").In(h.language), {}});
    }
    return h;
}

bool DeskService::Accepts(const storage::HandoffRecord& h) {
    std::lock_guard lock(impl_->mu);
    return impl_->config.chat_hours.IsOpen(NowMillis()) && impl_->router.Staffed(h.skill, h.language);
}

void DeskService::OnHandoff(const ConversationRef& conversation, const storage::HandoffRecord& h) {
    UnixMillis now = NowMillis();
    std::optional<desk::Assignment> assigned;
    {
        std::lock_guard lock(impl_->mu);
        // Queued even if the last agent went offline since Accepts: it waits for the next one.
        assigned =
            impl_->router.Enqueue({h.chat_id, conversation.id, h.skill, h.language, h.priority, h.queued_at}, now);
    }
    if (assigned) {
        HandoffCounter("assigned").Inc();
        impl_->AssignAll({*assigned});
        return;
    }
    HandoffCounter("queued").Inc();
    impl_->PublishDesk(conversation.id, "queued", std::nullopt);
    impl_->QueueChanged();
}

std::vector<storage::PendingTicket> DeskService::TicketsFor(const ConversationRef& conversation,
                                                            const dialogue::TurnResult& turn,
                                                            const std::optional<storage::HandoffRecord>& unstaffed) {
    std::vector<storage::PendingTicket> out;
    const UnixMillis now = NowMillis();
    if (unstaffed) {
        // Two fallbacks in a row with nobody online are not worth a ticket: the bot's answer gives the hotline.
        if (unstaffed->reason == "fallback") {
            HandoffCounter("unstaffed_fallback").Inc();
        } else {
            bool closed = false;
            {
                std::lock_guard lock(impl_->mu);
                closed = !impl_->config.chat_hours.IsOpen(now);
            }
            const auto& h = *unstaffed;
            out.push_back({NewId("pt_"), conversation.id, "handoff",
                           json::serialize(json::object{{"chat_id", h.chat_id},
                                                        {"skill", h.skill},
                                                        {"language", h.language},
                                                        {"priority", h.priority},
                                                        {"reason", h.reason},
                                                        {"queued_at", h.queued_at},
                                                        {"closed", closed}}),
                           now});
        }
    }
    const auto& calls = turn.decision.bank_calls;
    if (std::find(calls.begin(), calls.end(), "create_complaint:done") != calls.end()) {
        // The core's complaint reference, as the reply quoted it (CMP-…).
        std::string ref;
        for (const auto& r : turn.replies) {
            if (auto at = r.text.find("CMP-"); at != std::string::npos) {
                auto end = at + 4;
                while (end < r.text.size() &&
                       (std::isalnum(static_cast<unsigned char>(r.text[end])) || r.text[end] == '-'))
                    ++end;
                ref = r.text.substr(at, end - at);
                break;
            }
        }
        std::optional<std::string> customer = conversation.customer_ref;
        boost::system::error_code ec;
        auto state = json::parse(turn.decision.state.value_or("{}"), ec);
        if (!ec && state.is_object()) {
            if (const auto* v = state.as_object().if_contains("verify"); v && v->is_object()) {
                if (const auto* c = v->as_object().if_contains("customer");
                    c && c->is_string() && !c->as_string().empty()) {
                    customer = std::string(c->as_string());
                }
            }
        }
        json::object payload{{"priority", turn.understanding.anger ? "high" : "normal"},
                             {"subject", (turn.decision.reply_language == "en" ? "Complaint " : "投诉 ") +
                                             (ref.empty() ? std::string("(no reference)") : ref)},
                             {"complaint_ref", ref},
                             {"customer_ref", customer.value_or("")}};
        out.push_back({NewId("pt_"), conversation.id, "complaint", json::serialize(payload), now});
    }
    return out;
}

void DeskService::OnTicketsStored(std::vector<storage::PendingTicket> tickets) {
    for (auto& t : tickets) {
        impl_->Spawn([this, t = std::move(t)]() -> awaitable<void> { co_await impl_->Settle(t); });
    }
}

// ---- agents ----------------------------------------------------------------------------------------------

awaitable<Result<void>> DeskService::SetPresence(const StaffMember& agent, desk::Presence presence) {
    UnixMillis now = NowMillis();
    std::vector<desk::Assignment> got;
    {
        std::lock_guard lock(impl_->mu);
        impl_->router.UpsertAgent({agent.name, agent.skills, agent.languages, agent.max_chats}, now);
        impl_->display_names[agent.name] = agent.display_name;
        got = impl_->router.SetPresence(agent.name, presence, now);
    }
    impl_->AssignAll(got);
    std::string frame = json::serialize(
        json::object{{"type", "presence"}, {"agent", agent.name}, {"presence", desk::PresenceName(presence)}});
    hub_.Publish(std::string(kSupervisorsRoom), frame);
    impl_->QueueChanged();
    co_return Ok();
}

desk::Presence DeskService::PresenceOf(const std::string& agent) const {
    std::lock_guard lock(impl_->mu);
    return impl_->router.PresenceOf(agent);
}

json::object DeskService::QueueJson() const {
    UnixMillis now = NowMillis();
    std::lock_guard lock(impl_->mu);
    json::array queues;
    for (const auto& q : impl_->router.Queues()) {
        json::array waiting;
        int position = 0;
        for (const auto& c : q.waiting) {
            waiting.push_back(json::object{{"chat_id", c.chat_id},
                                           {"conversation_id", c.conversation_id},
                                           {"priority", c.priority},
                                           {"waited_s", (now - c.queued_at) / 1000},
                                           {"position", ++position}});
        }
        queues.push_back(json::object{{"skill", q.skill}, {"language", q.language}, {"waiting", std::move(waiting)}});
    }
    return json::object{{"queues", std::move(queues)}};
}

awaitable<Result<std::vector<DeskChat>>> DeskService::ActiveChats(std::string agent) {
    auto op = [agent](Connection& c) -> Result<std::vector<DeskChat>> {
        static const std::string kAll = "SELECT " + std::string(kChatColumns) +
                                        " FROM desk_chats c LEFT JOIN csat s ON s.chat_id = c.id WHERE c.status IN "
                                        "('queued', 'assigned') ORDER BY c.queued_at";
        static const std::string kMine = "SELECT " + std::string(kChatColumns) +
                                         " FROM desk_chats c LEFT JOIN csat s ON s.chat_id = c.id WHERE c.status = "
                                         "'assigned' AND c.agent = ? ORDER BY c.assigned_at";
        auto& s = c.Prepare(agent.empty() ? kAll : kMine);
        if (!agent.empty()) s.Bind(1, agent);
        std::vector<DeskChat> out;
        while (s.Step()) out.push_back(ReadChat(s));
        s.Reset();
        return out;
    };
    co_return co_await impl_->Read<std::vector<DeskChat>>(op);
}

awaitable<Result<DeskChat>> DeskService::GetChat(const std::string& chat_id) {
    auto op1 = [chat_id](Connection& c) { return LoadChat(c, chat_id); };
    co_return co_await impl_->Read<DeskChat>(op1);
}

awaitable<Result<DeskChat>> DeskService::Accept(const StaffMember& agent, const std::string& chat_id) {
    UnixMillis now = NowMillis();
    bool took = false;
    {
        std::lock_guard lock(impl_->mu);
        impl_->router.UpsertAgent({agent.name, agent.skills, agent.languages, agent.max_chats}, now);
        took = impl_->router.Take(chat_id, agent.name, now, agent.role == "supervisor");
    }
    if (!took) {
        co_return Error{ErrorCode::kConflict, "the chat is no longer waiting, or you have no free slot"};
    }
    co_await impl_->Assigned(chat_id, agent.name, "accept");
    co_return co_await GetChat(chat_id);
}

awaitable<Result<MessageRecord>> DeskService::Reply(const StaffMember& agent, const std::string& chat_id,
                                                    std::string client_message_id, std::string text) {
    const std::string key = "agent:" + client_message_id;
    struct Out {
        MessageRecord message;
        bool duplicate = false;
    };
    auto op2 = [chat_id, key, text = std::move(text), agent](Connection& c) -> Result<Out> {
        auto chat = LoadChat(c, chat_id);
        if (!chat) return chat.error();
        if (chat->status != "assigned" || chat->agent != agent.name) {
            return Error{ErrorCode::kConflict, "only the agent who has the chat can reply in it"};
        }
        if (auto stored = storage::sqlite::LoadTurn(c, chat->conversation_id, key)) {
            if (stored->message.text != text) {
                return Error{ErrorCode::kConflict, "client_message_id was already used for a different message"};
            }
            return Out{std::move(stored->message), true};
        }
        NewMessage m{NewId("msg_"),
                     "agent",
                     text,
                     key,
                     std::nullopt,
                     json::serialize(json::object{{"agent", agent.name}, {"agent_display_name", agent.display_name}}),
                     NowMillis()};
        return Out{storage::sqlite::InsertMessage(c, chat->conversation_id, m), false};
    };
    auto out = co_await impl_->Write<Out>(op2);
    if (!out) co_return out.error();
    if (!out->duplicate) {
        metrics::Default()
            .GetCounter("kefu_messages_total", "Messages stored, by role.", metrics::Label("role", "agent"))
            .Inc();
        hub_.Publish(out->message.conversation_id, MessageEvent(out->message));
    }
    co_return out->message;
}

awaitable<Result<void>> DeskService::AddNote(const StaffMember& agent, const std::string& chat_id, std::string text) {
    auto op3 = [chat_id, author = agent.name, text = std::move(text)](Connection& c) -> Result<bool> {
        auto chat = LoadChat(c, chat_id);
        if (!chat) return chat.error();
        c.Prepare("INSERT INTO desk_notes(chat_id, author, text, created_at) VALUES (?, ?, ?, ?)")
            .Bind(1, chat_id)
            .Bind(2, author)
            .Bind(3, text)
            .Bind(4, NowMillis())
            .Run();
        return true;
    };
    auto ok = co_await impl_->Write<bool>(op3);
    if (!ok) co_return ok.error();
    co_return Ok();
}

awaitable<Result<DeskChat>> DeskService::Transfer(const StaffMember& by, const std::string& chat_id,
                                                  std::optional<std::string> to_agent,
                                                  std::optional<std::string> to_skill,
                                                  std::optional<std::string> to_language) {
    auto chat = co_await GetChat(chat_id);
    if (!chat) co_return chat.error();
    if (chat->status != "assigned" || (chat->agent != by.name && by.role != "supervisor")) {
        co_return Error{ErrorCode::kConflict, "only the agent who has the chat (or a supervisor) can transfer it"};
    }
    const std::string from = *chat->agent;
    UnixMillis now = NowMillis();
    if (to_agent) {
        if (*to_agent == from) co_return Error{ErrorCode::kInvalidArgument, "the chat is already with that agent"};
        std::vector<desk::Assignment> freed;
        {
            std::lock_guard lock(impl_->mu);
            bool ok = false;
            for (const auto& a : impl_->router.Agents()) {
                if (a.name == *to_agent) ok = a.presence == desk::Presence::kOnline && a.active < a.max_chats;
            }
            if (!ok) {
                co_return Error{ErrorCode::kConflict, "that agent is not online or has no free slot"};
            }
            freed = impl_->router.Release(from, chat_id, now, 0);
            impl_->router.Restore(*to_agent, chat_id);
        }
        impl_->AssignAll(freed);
        co_await impl_->Assigned(chat_id, *to_agent, "transfer");  // the new agent and supervisors: "assigned"
        auto moved = co_await GetChat(chat_id);
        // The old agent sees the chat as it now is (with the new agent), and closes the tab.
        if (moved) {
            hub_.Publish(AgentRoom(from),
                         json::serialize(json::object{{"type", "chat_changed"}, {"chat", ToJson(moved.value())}}));
        }
        co_return moved;
    }
    std::string skill = to_skill.value_or(chat->skill);
    std::string language = to_language.value_or(chat->language);
    if (language != "zh" && language != "en") co_return Error{ErrorCode::kInvalidArgument, "language must be zh or en"};
    auto op4 = [chat_id, skill, language, now, said = impl_->Text("requeued").In(chat->language),
                conv = chat->conversation_id](Connection& c) -> Result<MessageRecord> {
        c.Prepare(
             "UPDATE desk_chats SET status = 'queued', agent = NULL, assigned_at = NULL, skill = ?, language = ?, "
             "reason = 'transfer' WHERE id = ?")
            .Bind(1, skill)
            .Bind(2, language)
            .Bind(3, chat_id)
            .Run();
        c.Prepare("UPDATE conversations SET desk_status = 'queued' WHERE id = ?").Bind(1, conv).Run();
        return storage::sqlite::InsertMessage(c, conv, SystemMessage(said));
    };
    auto moved = co_await impl_->Write<MessageRecord>(op4);
    if (!moved) co_return moved.error();
    std::vector<desk::Assignment> next;
    std::optional<desk::Assignment> now_assigned;
    {
        std::lock_guard lock(impl_->mu);
        next = impl_->router.Release(from, chat_id, now, 0);
        now_assigned =
            impl_->router.Enqueue({chat_id, chat->conversation_id, skill, language, chat->priority, now}, now);
    }
    hub_.Publish(chat->conversation_id, MessageEvent(moved.value()));
    impl_->PublishDesk(chat->conversation_id, "queued", std::nullopt);
    chat->status = "queued";
    impl_->PublishChat(*chat, "chat_changed");
    impl_->AssignAll(next);
    if (now_assigned) impl_->AssignAll({*now_assigned});
    impl_->QueueChanged();
    co_return co_await GetChat(chat_id);
}

awaitable<Result<DeskChat>> DeskService::Finish(const StaffMember& by, const std::string& chat_id,
                                                std::optional<std::string> wrap_up) {
    if (wrap_up) {
        auto cfg = Config();
        bool known = std::any_of(cfg.wrap_up_codes.begin(), cfg.wrap_up_codes.end(),
                                 [&](const desk::WrapUpCode& w) { return w.code == *wrap_up; });
        if (!known) co_return Error{ErrorCode::kInvalidArgument, "wrap_up is not one of the desk's wrap-up codes"};
    }
    UnixMillis now = NowMillis();
    struct Out {
        DeskChat chat;
        MessageRecord message;
    };
    auto op5 = [chat_id, wrap_up, now, by, ended = impl_->Text("ended"),
                returned = impl_->Text("returned")](Connection& c) -> Result<Out> {
        auto chat = LoadChat(c, chat_id);
        if (!chat) return chat.error();
        if (chat->status != "assigned" || (chat->agent != by.name && by.role != "supervisor")) {
            return Error{ErrorCode::kConflict, "only the agent who has the chat (or a supervisor) can end it"};
        }
        chat->status = wrap_up ? "ended" : "returned";
        chat->ended_at = now;
        chat->wrap_up = wrap_up;
        c.Prepare("UPDATE desk_chats SET status = ?, ended_at = ?, wrap_up = ? WHERE id = ?")
            .Bind(1, chat->status)
            .Bind(2, now)
            .Bind(3, wrap_up)
            .Bind(4, chat_id)
            .Run();
        // The bot takes over again, without the flow it was in before the hand-off.
        auto conv = storage::sqlite::LoadConversation(c, chat->conversation_id);
        if (!conv) return conv.error();
        boost::system::error_code ec;
        auto state = json::parse(conv->state, ec);
        if (!ec && state.is_object()) {
            state.as_object().erase("flow");
            state.as_object().erase("suspended");
            state.as_object().erase("fallbacks");
        }
        c.Prepare("UPDATE conversations SET desk_status = 'bot', desk_chat = NULL, state = ? WHERE id = ?")
            .Bind(1, !ec && state.is_object() ? json::serialize(state) : conv->state)
            .Bind(2, chat->conversation_id)
            .Run();
        auto message = storage::sqlite::InsertMessage(
            c, chat->conversation_id,
            wrap_up ? SystemMessage(ended.In(chat->language), json::object{{"csat_chat_id", chat_id}})
                    : SystemMessage(returned.In(chat->language)));
        return Out{std::move(chat.value()), std::move(message)};
    };
    auto out = co_await impl_->Write<Out>(op5);
    if (!out) co_return out.error();
    std::vector<desk::Assignment> next;
    {
        std::lock_guard lock(impl_->mu);
        std::int64_t handled = out->chat.assigned_at ? now - *out->chat.assigned_at : 0;
        next = impl_->router.Release(*out->chat.agent, chat_id, now, handled);
    }
    hub_.Publish(out->chat.conversation_id, MessageEvent(out->message));
    impl_->PublishDesk(out->chat.conversation_id, "bot", std::nullopt);
    if (wrap_up) {
        hub_.Publish(out->chat.conversation_id,
                     json::serialize(json::object{{"type", "csat_request"}, {"chat_id", chat_id}}));
    }
    impl_->PublishChat(out->chat, "chat_changed");
    impl_->AssignAll(next);
    impl_->QueueChanged();
    co_return out->chat;
}

awaitable<Result<json::object>> DeskService::Context(const DeskChat& chat) {
    struct Data {
        storage::ConversationRecord conv;
        std::vector<MessageRecord> messages;
        json::array notes;
    };
    auto op6 = [id = chat.conversation_id, chat_id = chat.id](Connection& c) -> Result<Data> {
        auto conv = storage::sqlite::LoadConversation(c, id);
        if (!conv) return conv.error();
        Data d{std::move(conv.value()), {}, {}};
        auto& s = c.Prepare(
            "SELECT id, conversation_id, seq, role, text, client_message_id, in_reply_to, meta, created_at FROM "
            "(SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 200) ORDER BY seq");
        s.Bind(1, id);
        while (s.Step()) {
            d.messages.push_back(MessageRecord{s.Text(0), s.Text(1), s.Int(2), s.Text(3), s.Text(4), s.OptText(5),
                                               s.OptInt(6), s.Text(7), s.Int(8)});
        }
        s.Reset();
        auto& n = c.Prepare("SELECT author, text, created_at FROM desk_notes WHERE chat_id = ? ORDER BY rowid");
        n.Bind(1, chat_id);
        while (n.Step()) {
            d.notes.push_back(
                json::object{{"author", n.Text(0)}, {"text", n.Text(1)}, {"created_at", FormatIsoMillis(n.Int(2))}});
        }
        n.Reset();
        return d;
    };
    auto data = co_await impl_->Read<Data>(op6);
    if (!data) co_return data.error();

    const bool en = chat.language == "en";
    json::array transcript;
    SummaryInput facts;
    std::shared_ptr<const desk::PackLabels> labels_keep;  // alive while facts.labels points into it
    facts.language = chat.language;
    facts.reason = chat.reason;
    {
        std::lock_guard lock(impl_->mu);
        labels_keep = impl_->config.labels;
    }
    facts.labels = labels_keep.get();
    for (const auto& m : data->messages) {
        json::object o = ToJson(m);
        o["text"] = MaskPii(m.text);  // agents see card, ID and phone numbers masked
        if (m.role == "customer") {
            boost::system::error_code ec;
            auto meta = json::parse(m.meta, ec);
            if (!ec && meta.is_object() && meta.as_object().contains("intent")) {
                const auto& mo = meta.as_object();
                o["understanding"] =
                    json::object{{"intent", mo.at("intent")},
                                 {"confidence", mo.contains("confidence") ? mo.at("confidence") : json::value(nullptr)},
                                 {"entities", mo.contains("entities") ? mo.at("entities") : json::value(json::array{})},
                                 {"sentiment", mo.contains("sentiment") ? mo.at("sentiment") : json::value(nullptr)}};
                facts.turns.push_back({m.text, mo});
            }
        }
        transcript.push_back(std::move(o));
    }
    json::object verification{{"verified", false}, {"method", nullptr}, {"customer_ref", nullptr}};
    json::array sentiment;
    json::value flow = nullptr;
    std::optional<std::string> customer = data->conv.customer_ref;
    boost::system::error_code ec;
    auto state = json::parse(data->conv.state, ec);
    if (!ec && state.is_object()) {
        const auto& so = state.as_object();
        facts.state = so;
        if (const auto* s = so.if_contains("sentiment"); s && s->is_array()) sentiment = s->as_array();
        if (const auto* v = so.if_contains("verify"); v && v->is_object()) {
            const auto& vo = v->as_object();
            if (const auto* c = vo.if_contains("customer"); c && c->is_string() && !c->as_string().empty()) {
                customer = std::string(c->as_string());
                verification = json::object{{"verified", true},
                                            {"method", vo.contains("method") ? vo.at("method") : json::value(nullptr)},
                                            {"customer_ref", *customer}};
            }
        }
        if (const auto* f = so.if_contains("flow"); f && f->is_object()) flow = *f;
    }
    if (data->conv.customer_ref && !verification.at("verified").as_bool()) {
        verification =
            json::object{{"verified", true}, {"method", "channel"}, {"customer_ref", *data->conv.customer_ref}};
    }

    json::value profile = nullptr;
    if (customer && impl_->bank) {
        auto lookup = [bank = impl_->bank, id = *customer, en]() -> awaitable<json::value> {
            banking::CallContext ctx{NewRequestId(), std::chrono::milliseconds(2000), ""};
            auto p = bank->Profile(ctx, id);
            if (!p) co_return nullptr;
            json::array accounts;
            if (auto as = bank->Accounts(ctx, id)) {
                for (const auto& a : *as) {
                    accounts.push_back(json::object{{"type", a.type},
                                                    {"currency", a.balance.currency},
                                                    {"masked", "****" + a.last4},
                                                    {"status", a.status}});
                }
            }
            json::array cards;
            if (auto cs = bank->Cards(ctx, id)) {
                for (const auto& c : *cs) {
                    cards.push_back(json::object{{"kind", c.kind}, {"last4", c.last4}, {"status", c.status}});
                }
            }
            co_return json::object{{"customer_ref", p->id},
                                   {"name", en ? p->name.en : p->name.zh},
                                   {"segment", p->segment},
                                   {"risk_level", p->risk_level},
                                   {"preferred_language", p->preferred_language},
                                   {"accounts", std::move(accounts)},
                                   {"cards", std::move(cards)}};
        };
        profile = co_await boost::asio::co_spawn(impl_->pool, lookup, boost::asio::use_awaitable);
    }
    co_return json::object{{"conversation", json::object{{"id", data->conv.id},
                                                         {"channel", data->conv.channel},
                                                         {"language", data->conv.language},
                                                         {"desk_status", data->conv.desk_status}}},
                           {"transcript", std::move(transcript)},
                           {"sentiment_trend", std::move(sentiment)},
                           {"verification", std::move(verification)},
                           {"profile", std::move(profile)},
                           {"summary", json::value_from(SummariseBotPart(facts))},
                           {"notes", std::move(data->notes)},
                           {"flow", std::move(flow)}};
}

awaitable<Result<json::array>> DeskService::Canned(const StaffMember& agent, const DeskChat& chat) {
    auto cfg = Config();
    std::string customer_name;
    auto ctx = co_await Context(chat);
    if (ctx && ctx->at("profile").is_object())
        customer_name = std::string(ctx->at("profile").as_object().at("name").as_string());
    json::array out;
    for (const auto& c : cfg.canned) {
        std::string text = c.text.In(chat.language);
        std::string name = customer_name.empty() ? "" : (chat.language == "en" ? " " + customer_name : customer_name);
        text = Fill(Fill(text, "{customer.name}", name), "{agent.name}", agent.display_name);
        out.push_back(json::object{{"id", c.id}, {"title", c.title.In(chat.language)}, {"text", std::move(text)}});
    }
    co_return out;
}

json::object DeskService::Overview() const {
    UnixMillis now = NowMillis();
    std::lock_guard lock(impl_->mu);
    json::array queues;
    for (const auto& q : impl_->router.Queues()) {
        std::int64_t longest = q.waiting.empty() ? 0 : (now - q.waiting.front().queued_at) / 1000;
        for (const auto& c : q.waiting) longest = std::max(longest, (now - c.queued_at) / 1000);
        queues.push_back(json::object{
            {"skill", q.skill}, {"language", q.language}, {"waiting", q.waiting.size()}, {"longest_wait_s", longest}});
    }
    json::array agents;
    for (const auto& a : impl_->router.Agents()) {
        auto display = impl_->display_names.find(a.name);
        agents.push_back(
            json::object{{"name", a.name},
                         {"display_name", display == impl_->display_names.end() ? a.name : display->second},
                         {"presence", desk::PresenceName(a.presence)},
                         {"active", a.active},
                         {"max_chats", a.max_chats},
                         {"idle_s", a.active == 0 ? (now - a.idle_since) / 1000 : 0}});
    }
    return json::object{{"queues", std::move(queues)},
                        {"agents", std::move(agents)},
                        {"average_handle_s", impl_->router.AverageHandleMs() / 1000}};
}

json::object DeskService::TransferTargets() const {
    std::lock_guard lock(impl_->mu);
    json::array agents;
    for (const auto& a : impl_->router.Agents()) {
        auto display = impl_->display_names.find(a.name);
        agents.push_back(
            json::object{{"name", a.name},
                         {"display_name", display == impl_->display_names.end() ? a.name : display->second},
                         {"presence", desk::PresenceName(a.presence)},
                         {"active", a.active},
                         {"max_chats", a.max_chats},
                         {"skills", json::value_from(a.skills)},
                         {"languages", json::value_from(a.languages)},
                         {"free", a.presence == desk::Presence::kOnline && a.active < a.max_chats}});
    }
    return json::object{{"agents", std::move(agents)}, {"skills", json::value_from(impl_->config.AllSkills())}};
}

// ---- CSAT ------------------------------------------------------------------------------------------------

awaitable<Result<std::optional<DeskService::PendingSurvey>>> DeskService::PendingCsat(
    const std::string& conversation_id) {
    UnixMillis since = NowMillis() - 7 * 24 * 3'600'000LL;
    auto op = [conversation_id, since](Connection& c) -> Result<std::optional<PendingSurvey>> {
        static const std::string kSql =
            "SELECT " + std::string(kChatColumns) +
            " FROM desk_chats c LEFT JOIN csat s ON s.chat_id = c.id WHERE c.conversation_id = ? "
            "ORDER BY c.queued_at DESC, c.rowid DESC LIMIT 1";
        auto& st = c.Prepare(kSql);
        st.Bind(1, conversation_id);
        std::optional<DeskChat> latest;
        if (st.Step()) latest = ReadChat(st);
        st.Reset();
        if (!latest || latest->status != "ended" || latest->csat_score || !latest->ended_at ||
            *latest->ended_at < since) {
            return std::optional<PendingSurvey>{};
        }
        std::string display;
        if (latest->agent) {
            auto staff = LoadStaff(c, *latest->agent);
            display = staff ? staff->display_name : std::string();
        }
        return std::optional<PendingSurvey>{PendingSurvey{latest->id, std::move(display), *latest->ended_at}};
    };
    co_return co_await impl_->Read<std::optional<PendingSurvey>>(op);
}

awaitable<Result<void>> DeskService::SubmitCsat(const std::string& conversation_id, const std::string& chat_id,
                                                int score, std::string comment) {
    auto op7 = [conversation_id, chat_id, score, comment = std::move(comment)](Connection& c) -> Result<bool> {
        auto chat = LoadChat(c, chat_id);
        if (!chat || chat->conversation_id != conversation_id || chat->status != "ended") {
            return Error{ErrorCode::kNotFound, "no ended chat with that id in this conversation"};
        }
        if (chat->csat_score) return Error{ErrorCode::kConflict, "this chat has already been rated"};
        c.Prepare(
             "INSERT INTO csat(chat_id, conversation_id, agent, score, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .Bind(1, chat_id)
            .Bind(2, conversation_id)
            .Bind(3, chat->agent)
            .Bind(4, std::int64_t{score})
            .Bind(5, comment)
            .Bind(6, NowMillis())
            .Run();
        return true;
    };
    auto ok = co_await impl_->Write<bool>(op7);
    if (!ok) co_return ok.error();
    metrics::Default()
        .GetCounter("kefu_csat_responses_total", "CSAT survey answers, by score.",
                    metrics::Label("score", std::to_string(score)))
        .Inc();
    co_return Ok();
}

awaitable<Result<json::object>> DeskService::CsatReport(int limit) {
    auto op8 = [limit](Connection& c) -> Result<json::object> {
        auto& agg = c.Prepare("SELECT COUNT(*), COALESCE(AVG(score), 0) FROM csat");
        agg.Step();
        std::int64_t count = agg.Int(0);
        agg.Reset();
        auto& avg = c.Prepare("SELECT AVG(score) FROM csat");
        avg.Step();
        double average = 0;
        if (auto v = avg.OptText(0)) average = std::stod(*v);
        avg.Reset();
        auto& s =
            c.Prepare("SELECT chat_id, agent, score, comment, created_at FROM csat ORDER BY created_at DESC LIMIT ?");
        s.Bind(1, std::int64_t{limit});
        json::array rows;
        while (s.Step()) {
            rows.push_back(json::object{{"chat_id", s.Text(0)},
                                        {"agent", Opt(s.OptText(1))},
                                        {"score", s.Int(2)},
                                        {"comment", s.Text(3)},
                                        {"created_at", FormatIsoMillis(s.Int(4))}});
        }
        s.Reset();
        return json::object{{"count", count}, {"average", average}, {"responses", std::move(rows)}};
    };
    co_return co_await impl_->Read<json::object>(op8);
}

// ---- tickets ---------------------------------------------------------------------------------------------

namespace {

constexpr std::string_view kTicketColumns =
    "id, type, priority, status, subject, description, customer_ref, conversation_id, complaint_ref, assignee, "
    "created_by, source, created_at, updated_at, due_at, breached_at";

Ticket ReadTicket(const storage::sqlite::Statement& s) {
    Ticket t;
    t.id = s.Text(0);
    t.type = s.Text(1);
    t.priority = s.Text(2);
    t.status = s.Text(3);
    t.subject = s.Text(4);
    t.description = s.Text(5);
    t.customer_ref = s.OptText(6);
    t.conversation_id = s.OptText(7);
    t.complaint_ref = s.OptText(8);
    t.assignee = s.OptText(9);
    t.created_by = s.Text(10);
    t.source = s.Text(11);
    t.created_at = s.Int(12);
    t.updated_at = s.Int(13);
    t.due_at = s.Int(14);
    t.breached_at = s.OptInt(15);
    return t;
}

Result<Ticket> LoadTicket(Connection& c, const std::string& id) {
    static const std::string kSql = "SELECT " + std::string(kTicketColumns) + " FROM tickets WHERE id = ?";
    auto& s = c.Prepare(kSql);
    s.Bind(1, id);
    if (!s.Step()) {
        s.Reset();
        return Error{ErrorCode::kNotFound, "no such ticket"};
    }
    auto t = ReadTicket(s);
    s.Reset();
    return t;
}

// new → open → pending → resolved → closed; reopen (resolved/closed → open). Pending and open go both ways.
bool Allowed(const std::string& from, const std::string& to) {
    static const std::map<std::string, std::set<std::string>> kNext = {
        {"new", {"open", "pending", "resolved"}},
        {"open", {"pending", "resolved"}},
        {"pending", {"open", "resolved"}},
        {"resolved", {"closed", "open"}},
        {"closed", {"open"}},
    };
    auto it = kNext.find(from);
    return it != kNext.end() && it->second.contains(to);
}

}  // namespace

json::object ToJson(const Ticket& t) {
    return json::object{{"id", t.id},
                        {"type", t.type},
                        {"priority", t.priority},
                        {"status", t.status},
                        {"subject", t.subject},
                        {"description", t.description},
                        {"customer_ref", Opt(t.customer_ref)},
                        {"conversation_id", Opt(t.conversation_id)},
                        {"complaint_ref", Opt(t.complaint_ref)},
                        {"assignee", Opt(t.assignee)},
                        {"created_by", t.created_by},
                        {"source", t.source},
                        {"created_at", FormatIsoMillis(t.created_at)},
                        {"updated_at", FormatIsoMillis(t.updated_at)},
                        {"due_at", FormatIsoMillis(t.due_at)},
                        {"breached", t.breached_at.has_value()},
                        {"breached_at", OptTime(t.breached_at)}};
}

awaitable<Result<Ticket>> DeskService::CreateTicket(const std::string& actor, NewTicket t) {
    auto cfg = Config();
    UnixMillis now = NowMillis();
    UnixMillis due = cfg.business_hours.Add(now, cfg.SlaMs(t.type, t.priority));
    int offset = cfg.business_hours.utc_offset_min;
    auto op9 = [actor, t = std::move(t), now, due, offset](Connection& c) -> Result<Ticket> {
        if (t.conversation_id) {
            auto conv = storage::sqlite::LoadConversation(c, *t.conversation_id);
            if (!conv) return Error{ErrorCode::kInvalidArgument, "conversation_id: no such conversation"};
        }
        if (t.assignee && !LoadStaff(c, *t.assignee)) {
            return Error{ErrorCode::kInvalidArgument, "assignee: no such staff member"};
        }
        return Impl::InsertTicket(c, actor, t, now, due, offset);
    };
    auto out = co_await impl_->Write<Ticket>(op9);
    if (out) impl_->PublishTicket("ticket_created", *out);
    co_return out;
}

awaitable<Result<std::vector<Ticket>>> DeskService::ListTickets(TicketFilter f) {
    auto op10 = [f](Connection& c) -> Result<std::vector<Ticket>> {
        std::string sql = "SELECT " + std::string(kTicketColumns) + " FROM tickets WHERE 1 = 1";
        if (f.status.empty()) {
            sql += " AND status IN ('new', 'open', 'pending')";
        } else if (f.status != "all") {
            sql += " AND status = ?1";
        }
        if (!f.assignee.empty()) sql += " AND assignee = ?2";
        if (f.breached_only) sql += " AND breached_at IS NOT NULL";
        if (!f.customer_ref.empty()) sql += " AND customer_ref = ?4";
        if (!f.conversation_id.empty()) sql += " AND conversation_id = ?5";
        sql += f.newest_first ? " ORDER BY created_at DESC, id DESC LIMIT ?3" : " ORDER BY due_at LIMIT ?3";
        auto& s = c.Prepare(sql);
        if (!f.status.empty() && f.status != "all") s.Bind(1, f.status);
        if (!f.assignee.empty()) s.Bind(2, f.assignee);
        s.Bind(3, std::int64_t{f.limit});
        if (!f.customer_ref.empty()) s.Bind(4, f.customer_ref);
        if (!f.conversation_id.empty()) s.Bind(5, f.conversation_id);
        std::vector<Ticket> out;
        while (s.Step()) out.push_back(ReadTicket(s));
        s.Reset();
        return out;
    };
    co_return co_await impl_->Read<std::vector<Ticket>>(op10);
}

awaitable<Result<json::object>> DeskService::GetTicket(const std::string& id) {
    auto op11 = [id](Connection& c) -> Result<json::object> {
        auto t = LoadTicket(c, id);
        if (!t) return t.error();
        auto& s = c.Prepare(
            "SELECT seq, kind, actor, detail, created_at FROM ticket_events WHERE ticket_id = ? ORDER BY seq");
        s.Bind(1, id);
        json::array events;
        while (s.Step()) {
            boost::system::error_code ec;
            auto detail = json::parse(s.Text(3), ec);
            events.push_back(json::object{{"seq", s.Int(0)},
                                          {"kind", s.Text(1)},
                                          {"actor", s.Text(2)},
                                          {"detail", ec ? json::value(json::object{}) : detail},
                                          {"created_at", FormatIsoMillis(s.Int(4))}});
        }
        s.Reset();
        return json::object{{"ticket", ToJson(*t)}, {"events", std::move(events)}};
    };
    co_return co_await impl_->Read<json::object>(op11);
}

awaitable<Result<Ticket>> DeskService::UpdateTicket(const std::string& actor, const std::string& id,
                                                    TicketChange change) {
    auto cfg = Config();
    auto op12 = [actor, id, change, cfg](Connection& c) -> Result<Ticket> {
        auto t = LoadTicket(c, id);
        if (!t) return t.error();
        UnixMillis now = NowMillis();
        if (change.status && *change.status != t->status) {
            if (!Allowed(t->status, *change.status)) {
                return Error{ErrorCode::kInvalidTransition,
                             "a ticket cannot go from " + t->status + " to " + *change.status};
            }
            Impl::AddEvent(c, id, "status", actor, json::object{{"from", t->status}, {"to", *change.status}}, now);
            t->status = *change.status;
        }
        if (change.priority && *change.priority != t->priority) {
            Impl::AddEvent(c, id, "priority", actor, json::object{{"from", t->priority}, {"to", *change.priority}},
                           now);
            t->priority = *change.priority;
            // A new priority gives a new due time, counted from creation.
            t->due_at = cfg.business_hours.Add(t->created_at, cfg.SlaMs(t->type, t->priority));
        }
        if (change.assignee && *change.assignee != t->assignee) {
            if (*change.assignee) {
                auto who = LoadStaff(c, **change.assignee);
                if (!who) return Error{ErrorCode::kInvalidArgument, "assignee: no such staff member"};
            }
            Impl::AddEvent(c, id, "assignee", actor,
                           json::object{{"from", Opt(t->assignee)}, {"to", Opt(*change.assignee)}}, now);
            t->assignee = *change.assignee;
        }
        t->updated_at = now;
        c.Prepare("UPDATE tickets SET status = ?, priority = ?, assignee = ?, due_at = ?, updated_at = ? WHERE id = ?")
            .Bind(1, t->status)
            .Bind(2, t->priority)
            .Bind(3, t->assignee)
            .Bind(4, t->due_at)
            .Bind(5, now)
            .Bind(6, id)
            .Run();
        return t;
    };
    auto out = co_await impl_->Write<Ticket>(op12);
    if (out) impl_->PublishTicket("ticket_changed", *out);
    co_return out;
}

awaitable<Result<CommentOutcome>> DeskService::CommentTicket(const std::string& actor, const std::string& display_name,
                                                             const std::string& id, std::string text, bool is_public) {
    struct Out {
        Ticket ticket;
        std::optional<MessageRecord> message;
    };
    auto op13 = [actor, display_name, id, text = std::move(text), is_public](Connection& c) -> Result<Out> {
        auto t = LoadTicket(c, id);
        if (!t) return t.error();
        UnixMillis now = NowMillis();
        c.Prepare("UPDATE tickets SET updated_at = ? WHERE id = ?").Bind(1, now).Bind(2, id).Run();
        t->updated_at = now;
        Out result{std::move(t.value()), std::nullopt};
        // A public comment reaches the customer through their conversation.
        if (is_public && result.ticket.conversation_id) {
            auto conv = storage::sqlite::LoadConversation(c, *result.ticket.conversation_id);
            if (conv && conv->status == "open") {
                result.message = storage::sqlite::InsertMessage(
                    c, *result.ticket.conversation_id,
                    NewMessage{NewId("msg_"), "agent", text, std::nullopt, std::nullopt,
                               json::serialize(json::object{
                                   {"agent", actor}, {"agent_display_name", display_name}, {"ticket_id", id}}),
                               now});
            }
        }
        // The history says whether a public comment reached the customer (it cannot once their conversation ended).
        json::object detail{{"text", text}, {"public", is_public}};
        if (is_public) detail["delivered"] = result.message.has_value();
        Impl::AddEvent(c, id, "comment", actor, detail, now);
        return result;
    };
    auto out = co_await impl_->Write<Out>(op13);
    if (!out) co_return out.error();
    if (out->message) hub_.Publish(out->message->conversation_id, MessageEvent(*out->message));
    impl_->PublishTicket("ticket_changed", out->ticket);
    co_return CommentOutcome{std::move(out->ticket), out->message.has_value()};
}

std::size_t DeskService::CheckSla(UnixMillis now) {
    auto flagged = db_.WriteAndWait<std::vector<Ticket>>([now](Connection& c) -> Result<std::vector<Ticket>> {
        static const std::string kSql = "SELECT " + std::string(kTicketColumns) +
                                        " FROM tickets WHERE breached_at IS NULL AND status IN ('new', 'open', "
                                        "'pending') AND due_at <= ? ORDER BY due_at LIMIT 500";
        auto& s = c.Prepare(kSql);
        s.Bind(1, now);
        std::vector<Ticket> due;
        while (s.Step()) due.push_back(ReadTicket(s));
        s.Reset();
        for (auto& t : due) {
            c.Prepare("UPDATE tickets SET breached_at = ? WHERE id = ?").Bind(1, now).Bind(2, t.id).Run();
            Impl::AddEvent(c, t.id, "sla_breached", "kefu", json::object{{"due_at", FormatIsoMillis(t.due_at)}}, now);
            t.breached_at = now;
        }
        return due;
    });
    if (!flagged) {
        log::Error("SLA check failed", {{"error", flagged.error().message}});
        return 0;
    }
    for (const auto& t : *flagged) {
        metrics::Default()
            .GetCounter("kefu_tickets_breached_total", "Tickets flagged past their SLA due time, by type.",
                        metrics::Label("type", t.type))
            .Inc();
        std::string frame = json::serialize(json::object{{"type", "sla_breached"}, {"ticket", ToJson(t)}});
        hub_.Publish(std::string(kSupervisorsRoom), frame);
        if (t.assignee) hub_.Publish(AgentRoom(*t.assignee), frame);
        log::Warn("ticket SLA breached", {{"ticket", t.id}, {"type", t.type}, {"priority", t.priority}});
    }
    return flagged->size();
}

}  // namespace kefu::api
