#pragma once
// Routing of hand-offs to agents (docs/desk.md, "Routing"): queues per (skill, language) ordered by
// priority, then by waiting time; agents with presence, skills, languages and a chat limit. A chat goes to
// the online agent with the skill, the language and a free slot who has been idle longest; when an agent
// frees a slot or comes online, the best waiting chat they can take goes to them.
//
// Pure bookkeeping in memory: no I/O, no clock of its own (every call takes `now`), not thread-safe (the
// desk service holds a lock around it). The database is the record; the router is rebuilt from it at start.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"

namespace kefu::desk {

enum class Presence { kOffline, kAway, kOnline };
std::string_view PresenceName(Presence p);
std::optional<Presence> ParsePresence(std::string_view s);

struct AgentProfile {
    std::string name;
    std::vector<std::string> skills;     // e.g. general, cards, transfers, complaints
    std::vector<std::string> languages;  // zh, en
    int max_chats = 3;
};

struct WaitingChat {
    std::string chat_id;
    std::string conversation_id;
    std::string skill;
    std::string language;
    int priority = 0;  // higher first: 2 VIP, 1 unhappy, 0 normal
    UnixMillis queued_at = 0;
};

struct Assignment {
    std::string chat_id;
    std::string conversation_id;
    std::string agent;
};

struct QueuePosition {
    int position = 0;  // 1 = next
    std::int64_t eta_s = 0;
};

struct AgentLoad {
    std::string name;
    Presence presence = Presence::kOffline;
    int active = 0;
    int max_chats = 0;
    UnixMillis idle_since = 0;
    std::vector<std::string> skills;
    std::vector<std::string> languages;
};

struct QueueLoad {
    std::string skill;
    std::string language;
    std::vector<WaitingChat> waiting;  // in the order they will be served
};

class Router {
  public:
    // Adds an agent or updates their profile; presence and active chats are kept.
    void UpsertAgent(const AgentProfile& profile, UnixMillis now);
    // Sets presence. Coming online (or getting a free slot) may assign waiting chats at once: they are returned.
    std::vector<Assignment> SetPresence(const std::string& agent, Presence presence, UnixMillis now);
    Presence PresenceOf(const std::string& agent) const;

    // A new hand-off: assigned at once when an agent is free, else queued (nullopt).
    std::optional<Assignment> Enqueue(const WaitingChat& chat, UnixMillis now);
    // Gives a waiting chat to `agent` by hand (accept): false if it is not waiting or the agent has no slot.
    bool Take(const std::string& chat_id, const std::string& agent, UnixMillis now, bool ignore_capacity = false);
    // Drops a waiting chat (it became a ticket, the conversation ended).
    bool Drop(const std::string& chat_id);
    // A chat an agent had is over (ended, returned to the bot, transferred away): frees the slot and returns
    // the waiting chats that go to that agent now. `handled_ms` feeds the handle-time estimate (0: none).
    std::vector<Assignment> Release(const std::string& agent, const std::string& chat_id, UnixMillis now,
                                    std::int64_t handled_ms);
    // Records a chat as the agent's without any checks (restoring state at start).
    void Restore(const std::string& agent, const std::string& chat_id);

    // Is anyone online who could ever take a chat of this skill and language (even if busy now)?
    bool Staffed(const std::string& skill, const std::string& language) const;
    std::optional<QueuePosition> PositionOf(const std::string& chat_id) const;
    std::optional<WaitingChat> Waiting(const std::string& chat_id) const;
    // Every waiting chat's position, for pushing updates to customers.
    std::vector<std::pair<WaitingChat, QueuePosition>> AllPositions() const;

    std::vector<QueueLoad> Queues() const;
    std::vector<AgentLoad> Agents() const;
    std::size_t WaitingCount() const { return index_.size(); }
    std::int64_t AverageHandleMs() const;

  private:
    struct Agent {
        AgentProfile profile;
        Presence presence = Presence::kOffline;
        std::set<std::string> active;  // chat ids
        UnixMillis idle_since = 0;     // the last assignment or release: longest idle goes first
        bool Can(const std::string& skill, const std::string& language) const;
    };
    // Ordered: priority descending, then queued_at, then arrival order.
    using Key = std::tuple<int, UnixMillis, std::uint64_t>;
    using QueueId = std::pair<std::string, std::string>;  // skill, language
    struct Entry {
        WaitingChat chat;
        Key key;
    };

    std::optional<std::string> BestAgentFor(const std::string& skill, const std::string& language) const;
    std::vector<Assignment> Fill(const std::string& agent, UnixMillis now);
    void Assign(Agent& a, const std::string& chat_id, UnixMillis now);
    int EligibleOnline(const QueueId& q) const;

    std::map<std::string, Agent> agents_;
    std::map<QueueId, std::map<Key, std::string>> queues_;  // queue → ordered chat ids
    std::unordered_map<std::string, Entry> index_;          // waiting chat id → entry
    std::uint64_t arrivals_ = 0;
    std::vector<std::int64_t> handle_ms_;  // the last 20 handle times (ring)
    std::size_t handle_next_ = 0;
};

}  // namespace kefu::desk
