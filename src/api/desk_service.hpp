#pragma once
// The human desk (docs/desk.md): hand-offs from the bot, routing to agents, agents' chats, CSAT, and tickets
// with SLAs. The database is the record (desk_chats, conversations.desk_status, tickets, …); the router keeps
// the live queues and agents' loads in memory and is rebuilt from the database at start. Events go out
// through the hub: to the conversation's room (the customer and any agent watching it) and to the desk rooms
// `desk:agent:<name>`, `desk:agents` and `desk:supervisors`.
//
// Thread-safe: the router is guarded by a mutex; every write is one database transaction.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/conversation_service.hpp"
#include "api/hub.hpp"
#include "api/staff.hpp"
#include "banking/core_bank.hpp"
#include "desk/desk_config.hpp"
#include "desk/router.hpp"
#include "storage/conversation_store.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::api {

struct DeskChat {
    std::string id;
    std::string conversation_id;
    std::string status;  // queued | assigned | ended | returned | ticketed
    std::string skill;
    std::string language;
    int priority = 0;
    std::string reason;
    std::optional<std::string> agent;
    UnixMillis queued_at = 0;
    std::optional<UnixMillis> assigned_at;
    std::optional<UnixMillis> ended_at;
    std::optional<std::string> wrap_up;
    std::optional<std::string> ticket_id;
    std::optional<int> csat_score;
    std::string csat_comment;
};
boost::json::object ToJson(const DeskChat& c);

struct Ticket {
    std::string id;
    std::string type;
    std::string priority;
    std::string status;
    std::string subject;
    std::string description;
    std::optional<std::string> customer_ref;
    std::optional<std::string> conversation_id;
    std::optional<std::string> complaint_ref;
    std::optional<std::string> assignee;
    std::string created_by;
    std::string source;
    UnixMillis created_at = 0;
    UnixMillis updated_at = 0;
    UnixMillis due_at = 0;
    std::optional<UnixMillis> breached_at;
};
boost::json::object ToJson(const Ticket& t);

struct NewTicket {
    std::string type = "other";
    std::string priority = "normal";
    std::string subject;
    std::string description;
    std::optional<std::string> customer_ref;
    std::optional<std::string> conversation_id;
    std::optional<std::string> complaint_ref;
    std::optional<std::string> assignee;
    std::string source = "api";
};

struct TicketFilter {
    std::string status;  // "" = any open (new, open, pending); "all"; or one status
    std::string assignee;
    bool breached_only = false;
    std::string customer_ref;     // "" = any customer
    std::string conversation_id;  // "" = any conversation
    bool newest_first = false;    // else the most urgent (earliest due) first
    int limit = 50;
};

struct CommentOutcome {
    Ticket ticket;
    bool delivered = false;  // a public comment was posted into the customer's (open) conversation
};

struct TicketChange {
    std::optional<std::string> status;
    std::optional<std::string> priority;
    std::optional<std::optional<std::string>> assignee;  // set to null to unassign
};

class DeskService final : public DeskLink {
  public:
    DeskService(storage::sqlite::Database& db, Hub& hub, std::shared_ptr<banking::CoreBank> bank,
                desk::DeskConfig config, std::int64_t sla_check_interval_ms);
    ~DeskService() override;

    // Rebuilds the router from the database (agents offline until they sign in again; queued chats wait) and
    // starts the SLA check (on the desk's own threads; `executor` runs the desk's follow-up tasks).
    Result<void> Start(boost::asio::any_io_executor executor);
    void Stop();
    void SetConfig(desk::DeskConfig config);
    desk::DeskConfig Config() const;

    // ---- DeskLink: hand-offs from the bot ----------------------------------------------------------------
    std::optional<storage::HandoffRecord> Consider(const ConversationRef& conversation,
                                                   dialogue::TurnResult& turn) override;
    bool Accepts(const storage::HandoffRecord& handoff) override;
    void OnHandoff(const ConversationRef& conversation, const storage::HandoffRecord& handoff) override;
    std::vector<storage::PendingTicket> TicketsFor(const ConversationRef& conversation,
                                                   const dialogue::TurnResult& turn,
                                                   const std::optional<storage::HandoffRecord>& unstaffed) override;
    void OnTicketsStored(std::vector<storage::PendingTicket> tickets) override;

    // ---- agents ------------------------------------------------------------------------------------------
    boost::asio::awaitable<Result<void>> SetPresence(const StaffMember& agent, desk::Presence presence);
    desk::Presence PresenceOf(const std::string& agent) const;
    boost::json::object QueueJson() const;
    // The open chats (queued and assigned), or only those assigned to `agent` when it is not empty.
    boost::asio::awaitable<Result<std::vector<DeskChat>>> ActiveChats(std::string agent);
    boost::asio::awaitable<Result<DeskChat>> GetChat(const std::string& chat_id);
    boost::asio::awaitable<Result<DeskChat>> Accept(const StaffMember& agent, const std::string& chat_id);
    boost::asio::awaitable<Result<storage::MessageRecord>> Reply(const StaffMember& agent, const std::string& chat_id,
                                                                 std::string client_message_id, std::string text);
    boost::asio::awaitable<Result<void>> AddNote(const StaffMember& agent, const std::string& chat_id,
                                                 std::string text);
    // To another online agent with a free slot, or back to a queue (skill, language).
    boost::asio::awaitable<Result<DeskChat>> Transfer(const StaffMember& by, const std::string& chat_id,
                                                      std::optional<std::string> to_agent,
                                                      std::optional<std::string> to_skill,
                                                      std::optional<std::string> to_language);
    // Back to the bot (no survey), or ended with a wrap-up code (the customer gets the survey).
    boost::asio::awaitable<Result<DeskChat>> Finish(const StaffMember& by, const std::string& chat_id,
                                                    std::optional<std::string> wrap_up);
    // The customer panel: transcript with understanding, sentiment, verification, profile, summary, notes.
    boost::asio::awaitable<Result<boost::json::object>> Context(const DeskChat& chat);
    // Canned responses in the chat's language with {customer.name} and {agent.name} filled in.
    boost::asio::awaitable<Result<boost::json::array>> Canned(const StaffMember& agent, const DeskChat& chat);
    boost::json::object Overview() const;
    // Who a chat can be transferred to: every agent (presence, load, skills, languages, `free` = online with
    // a free slot), and the queues (skills).
    boost::json::object TransferTargets() const;

    // ---- the customer's survey ---------------------------------------------------------------------------
    boost::asio::awaitable<Result<void>> SubmitCsat(const std::string& conversation_id, const std::string& chat_id,
                                                    int score, std::string comment);
    boost::asio::awaitable<Result<boost::json::object>> CsatReport(int limit);
    // The survey a customer still owes: the conversation's latest desk chat when it ended (not returned to the
    // bot) in the last 7 days and is not rated yet. A reloaded widget shows it again.
    struct PendingSurvey {
        std::string chat_id;
        std::string agent_display_name;
        UnixMillis ended_at = 0;
    };
    boost::asio::awaitable<Result<std::optional<PendingSurvey>>> PendingCsat(const std::string& conversation_id);

    // ---- tickets -----------------------------------------------------------------------------------------
    boost::asio::awaitable<Result<Ticket>> CreateTicket(const std::string& actor, NewTicket t);
    boost::asio::awaitable<Result<std::vector<Ticket>>> ListTickets(TicketFilter f);
    boost::asio::awaitable<Result<boost::json::object>> GetTicket(const std::string& id);
    boost::asio::awaitable<Result<Ticket>> UpdateTicket(const std::string& actor, const std::string& id,
                                                        TicketChange change);
    boost::asio::awaitable<Result<CommentOutcome>> CommentTicket(const std::string& actor,
                                                                 const std::string& display_name, const std::string& id,
                                                                 std::string text, bool is_public);
    // Flags open tickets past their due time; returns how many were flagged. Runs on the SLA timer.
    std::size_t CheckSla(UnixMillis now);

    Hub& hub() { return hub_; }
    static std::string AgentRoom(const std::string& name) { return "desk:agent:" + name; }
    static constexpr std::string_view kAgentsRoom = "desk:agents";
    static constexpr std::string_view kSupervisorsRoom = "desk:supervisors";

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    storage::sqlite::Database& db_;
    Hub& hub_;
};

}  // namespace kefu::api
