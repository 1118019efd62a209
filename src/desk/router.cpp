#include "desk/router.hpp"

#include <algorithm>
#include <numeric>

namespace kefu::desk {

namespace {

constexpr std::int64_t kDefaultHandleMs = 5 * 60 * 1000;
constexpr std::size_t kHandleSamples = 20;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::string_view PresenceName(Presence p) {
    switch (p) {
        case Presence::kOnline:
            return "online";
        case Presence::kAway:
            return "away";
        case Presence::kOffline:
            break;
    }
    return "offline";
}

std::optional<Presence> ParsePresence(std::string_view s) {
    if (s == "online") return Presence::kOnline;
    if (s == "away") return Presence::kAway;
    if (s == "offline") return Presence::kOffline;
    return std::nullopt;
}

bool Router::Agent::Can(const std::string& skill, const std::string& language) const {
    return Contains(profile.skills, skill) && Contains(profile.languages, language);
}

void Router::UpsertAgent(const AgentProfile& profile, UnixMillis now) {
    auto [it, fresh] = agents_.try_emplace(profile.name);
    it->second.profile = profile;
    if (fresh) it->second.idle_since = now;
}

Presence Router::PresenceOf(const std::string& agent) const {
    auto it = agents_.find(agent);
    return it == agents_.end() ? Presence::kOffline : it->second.presence;
}

std::vector<Assignment> Router::SetPresence(const std::string& agent, Presence presence, UnixMillis now) {
    auto it = agents_.find(agent);
    if (it == agents_.end()) return {};
    bool was_online = it->second.presence == Presence::kOnline;
    it->second.presence = presence;
    if (presence != Presence::kOnline) return {};
    if (!was_online && it->second.active.empty()) it->second.idle_since = now;
    return Fill(agent, now);
}

std::optional<std::string> Router::BestAgentFor(const std::string& skill, const std::string& language) const {
    const Agent* best = nullptr;
    for (const auto& [name, a] : agents_) {
        if (a.presence != Presence::kOnline || static_cast<int>(a.active.size()) >= a.profile.max_chats) continue;
        if (!a.Can(skill, language)) continue;
        if (best == nullptr || a.idle_since < best->idle_since) best = &a;  // map order breaks ties by name
    }
    if (best == nullptr) return std::nullopt;
    return best->profile.name;
}

void Router::Assign(Agent& a, const std::string& chat_id, UnixMillis now) {
    a.active.insert(chat_id);
    a.idle_since = now;
}

std::optional<Assignment> Router::Enqueue(const WaitingChat& chat, UnixMillis now) {
    if (index_.contains(chat.chat_id)) return std::nullopt;
    if (auto agent = BestAgentFor(chat.skill, chat.language)) {
        Assign(agents_.at(*agent), chat.chat_id, now);
        return Assignment{chat.chat_id, chat.conversation_id, *agent};
    }
    Key key{-chat.priority, chat.queued_at, arrivals_++};
    queues_[{chat.skill, chat.language}].emplace(key, chat.chat_id);
    index_.emplace(chat.chat_id, Entry{chat, key});
    return std::nullopt;
}

bool Router::Drop(const std::string& chat_id) {
    auto it = index_.find(chat_id);
    if (it == index_.end()) return false;
    QueueId q{it->second.chat.skill, it->second.chat.language};
    auto qit = queues_.find(q);
    if (qit != queues_.end()) {
        qit->second.erase(it->second.key);
        if (qit->second.empty()) queues_.erase(qit);
    }
    index_.erase(it);
    return true;
}

bool Router::Take(const std::string& chat_id, const std::string& agent, UnixMillis now, bool ignore_capacity) {
    auto a = agents_.find(agent);
    if (a == agents_.end() || !index_.contains(chat_id)) return false;
    if (!ignore_capacity && static_cast<int>(a->second.active.size()) >= a->second.profile.max_chats) return false;
    Drop(chat_id);
    Assign(a->second, chat_id, now);
    return true;
}

std::vector<Assignment> Router::Fill(const std::string& agent, UnixMillis now) {
    std::vector<Assignment> out;
    auto it = agents_.find(agent);
    if (it == agents_.end()) return out;
    Agent& a = it->second;
    while (a.presence == Presence::kOnline && static_cast<int>(a.active.size()) < a.profile.max_chats) {
        // The best waiting chat among the queues this agent serves.
        const std::pair<const Key, std::string>* best = nullptr;
        for (const auto& skill : a.profile.skills) {
            for (const auto& language : a.profile.languages) {
                auto q = queues_.find({skill, language});
                if (q == queues_.end() || q->second.empty()) continue;
                const auto& head = *q->second.begin();
                if (best == nullptr || head.first < best->first) best = &head;
            }
        }
        if (best == nullptr) break;
        std::string chat_id = best->second;
        std::string conversation_id = index_.at(chat_id).chat.conversation_id;
        Drop(chat_id);
        Assign(a, chat_id, now);
        out.push_back({chat_id, conversation_id, agent});
    }
    return out;
}

std::vector<Assignment> Router::Release(const std::string& agent, const std::string& chat_id, UnixMillis now,
                                        std::int64_t handled_ms) {
    auto it = agents_.find(agent);
    if (it == agents_.end()) return {};
    if (it->second.active.erase(chat_id) == 0) return {};
    it->second.idle_since = now;
    if (handled_ms > 0) {
        if (handle_ms_.size() < kHandleSamples) {
            handle_ms_.push_back(handled_ms);
        } else {
            handle_ms_[handle_next_] = handled_ms;
            handle_next_ = (handle_next_ + 1) % kHandleSamples;
        }
    }
    return Fill(agent, now);
}

void Router::Restore(const std::string& agent, const std::string& chat_id) {
    auto it = agents_.find(agent);
    if (it != agents_.end()) it->second.active.insert(chat_id);
}

bool Router::Staffed(const std::string& skill, const std::string& language) const {
    return std::any_of(agents_.begin(), agents_.end(), [&](const auto& kv) {
        return kv.second.presence == Presence::kOnline && kv.second.Can(skill, language);
    });
}

std::int64_t Router::AverageHandleMs() const {
    if (handle_ms_.empty()) return kDefaultHandleMs;
    return std::accumulate(handle_ms_.begin(), handle_ms_.end(), std::int64_t{0}) /
           static_cast<std::int64_t>(handle_ms_.size());
}

int Router::EligibleOnline(const QueueId& q) const {
    int n = 0;
    for (const auto& [name, a] : agents_) {
        if (a.presence == Presence::kOnline && a.Can(q.first, q.second)) ++n;
    }
    return n;
}

std::optional<WaitingChat> Router::Waiting(const std::string& chat_id) const {
    auto it = index_.find(chat_id);
    if (it == index_.end()) return std::nullopt;
    return it->second.chat;
}

std::optional<QueuePosition> Router::PositionOf(const std::string& chat_id) const {
    auto it = index_.find(chat_id);
    if (it == index_.end()) return std::nullopt;
    QueueId q{it->second.chat.skill, it->second.chat.language};
    const auto& queue = queues_.at(q);
    int position = static_cast<int>(std::distance(queue.begin(), queue.find(it->second.key))) + 1;
    std::int64_t eta_ms = AverageHandleMs() * position / std::max(1, EligibleOnline(q));
    return QueuePosition{position, eta_ms / 1000};
}

std::vector<std::pair<WaitingChat, QueuePosition>> Router::AllPositions() const {
    std::vector<std::pair<WaitingChat, QueuePosition>> out;
    out.reserve(index_.size());
    std::int64_t avg = AverageHandleMs();
    for (const auto& [q, queue] : queues_) {
        int online = std::max(1, EligibleOnline(q));
        int position = 0;
        for (const auto& [key, chat_id] : queue) {
            ++position;
            out.emplace_back(index_.at(chat_id).chat, QueuePosition{position, avg * position / online / 1000});
        }
    }
    return out;
}

std::vector<QueueLoad> Router::Queues() const {
    std::vector<QueueLoad> out;
    for (const auto& [q, queue] : queues_) {
        QueueLoad load{q.first, q.second, {}};
        for (const auto& [key, chat_id] : queue) load.waiting.push_back(index_.at(chat_id).chat);
        out.push_back(std::move(load));
    }
    return out;
}

std::vector<AgentLoad> Router::Agents() const {
    std::vector<AgentLoad> out;
    for (const auto& [name, a] : agents_) {
        out.push_back({name, a.presence, static_cast<int>(a.active.size()), a.profile.max_chats, a.idle_since,
                       a.profile.skills, a.profile.languages});
    }
    return out;
}

}  // namespace kefu::desk
