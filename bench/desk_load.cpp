// kefu_desk_load: the desk router under the load — 200 agents, 2,000 waiting customers — against a
// plain baseline in the same run (bench/README.md, "desk_load").
//
//   build/release/kefu_desk_load [--agents 200] [--customers 2000] [--rounds 5] [--seed 1]
//
// What is timed: each routing decision as the desk service makes it under its lock —
//   enqueue   a hand-off arriving while every agent is busy (2,000 already waiting),
//   online    an agent coming online and taking up to max_chats waiting chats,
//   release   an agent ending a chat and getting the best waiting chat they can serve (the steady state).
// The baseline does the same decisions the obvious way: one vector of waiting chats scanned for the best one an
// agent can serve, and one vector of agents scanned for the longest idle. Both must make the same assignments
// (checked). Reports p50/p99 per decision in microseconds and the kefu/baseline ratios; the last line is one
// JSON object.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "desk/router.hpp"

namespace {

using kefu::desk::AgentProfile;
using kefu::desk::Presence;
using kefu::desk::Router;
using kefu::desk::WaitingChat;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kSkills = {"general", "cards", "transfers", "complaints"};
const std::vector<std::string> kLanguages = {"zh", "en"};

struct Stats {
    std::vector<double> us;
    void Add(Clock::time_point t0) {
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    double P(double q) {
        if (us.empty()) return 0;
        std::sort(us.begin(), us.end());
        return us[std::min(us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(us.size())))];
    }
};

// The obvious implementation, for comparison.
class Baseline {
  public:
    struct Agent {
        AgentProfile p;
        bool online = false;
        int active = 0;
        kefu::UnixMillis idle_since = 0;
        bool Can(const WaitingChat& c) const {
            return std::find(p.skills.begin(), p.skills.end(), c.skill) != p.skills.end() &&
                   std::find(p.languages.begin(), p.languages.end(), c.language) != p.languages.end();
        }
    };
    void AddAgent(const AgentProfile& p) { agents_.push_back({p, false, 0, 0}); }
    // Returns the agent's index, or -1 when queued.
    int Enqueue(const WaitingChat& c, kefu::UnixMillis now) {
        int best = -1;
        for (int i = 0; i < static_cast<int>(agents_.size()); ++i) {
            const auto& a = agents_[static_cast<std::size_t>(i)];
            if (!a.online || a.active >= a.p.max_chats || !a.Can(c)) continue;
            if (best < 0 || a.idle_since < agents_[static_cast<std::size_t>(best)].idle_since) best = i;
        }
        if (best >= 0) {
            agents_[static_cast<std::size_t>(best)].active++;
            agents_[static_cast<std::size_t>(best)].idle_since = now;
            return best;
        }
        waiting_.push_back(c);
        return -1;
    }
    // Fills the agent's free slots from the waiting chats; returns the chat ids taken.
    std::vector<std::string> Fill(int agent, kefu::UnixMillis now) {
        std::vector<std::string> out;
        auto& a = agents_[static_cast<std::size_t>(agent)];
        while (a.online && a.active < a.p.max_chats) {
            int best = -1;
            for (int i = 0; i < static_cast<int>(waiting_.size()); ++i) {
                const auto& c = waiting_[static_cast<std::size_t>(i)];
                if (!a.Can(c)) continue;
                const auto& b = waiting_[static_cast<std::size_t>(best < 0 ? i : best)];
                if (best < 0 || c.priority > b.priority || (c.priority == b.priority && c.queued_at < b.queued_at))
                    best = i;
            }
            if (best < 0) break;
            out.push_back(waiting_[static_cast<std::size_t>(best)].chat_id);
            waiting_.erase(waiting_.begin() + best);
            a.active++;
            a.idle_since = now;
        }
        return out;
    }
    std::vector<std::string> Online(int agent, kefu::UnixMillis now) {
        agents_[static_cast<std::size_t>(agent)].online = true;
        agents_[static_cast<std::size_t>(agent)].idle_since = now;
        return Fill(agent, now);
    }
    std::vector<std::string> Release(int agent, kefu::UnixMillis now) {
        agents_[static_cast<std::size_t>(agent)].active--;
        agents_[static_cast<std::size_t>(agent)].idle_since = now;
        return Fill(agent, now);
    }
    std::size_t Waiting() const { return waiting_.size(); }

  private:
    std::vector<Agent> agents_;
    std::vector<WaitingChat> waiting_;
};

struct Result {
    Stats enqueue, online, release;
    std::size_t assignments = 0;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Desk routing under load: Kefu's router against a plain baseline in the same run."};
    int agents = 200;
    int customers = 2000;
    int rounds = 5;
    unsigned seed = 1;
    app.add_option("--agents", agents, "Agents (each serves 1-3 skills, 1-2 languages, 3 chats at once)")
        ->check(CLI::Range(1, 100000));
    app.add_option("--customers", customers, "Customers waiting before the agents come online")
        ->check(CLI::Range(1, 1000000));
    app.add_option("--rounds", rounds, "Repetitions (fresh state each)")->check(CLI::Range(1, 1000));
    app.add_option("--seed", seed, "Random seed");
    CLI11_PARSE(app, argc, argv);

    Result kefu_r;
    Result base_r;
    std::size_t mismatches = 0;
    for (int round = 0; round < rounds; ++round) {
        std::mt19937 rng(seed + static_cast<unsigned>(round));
        std::vector<AgentProfile> profiles;
        for (int i = 0; i < agents; ++i) {
            AgentProfile p{"agent" + std::to_string(i), {"general"}, {"zh"}, 3};
            for (std::size_t s = 1; s < kSkills.size(); ++s) {
                if (rng() % 3 == 0) p.skills.push_back(kSkills[s]);
            }
            if (rng() % 2 == 0) p.languages.push_back("en");
            profiles.push_back(std::move(p));
        }
        std::vector<WaitingChat> chats;
        for (int i = 0; i < customers; ++i) {
            chats.push_back({"ch" + std::to_string(i), "cv" + std::to_string(i), kSkills[rng() % kSkills.size()],
                             kLanguages[rng() % 4 == 0 ? 1 : 0], static_cast<int>(rng() % 10 == 0 ? 2 : rng() % 5 == 0),
                             static_cast<kefu::UnixMillis>(i)});
        }
        Router router;
        Baseline base;
        kefu::UnixMillis now = 1'000'000;
        for (const auto& p : profiles) {
            router.UpsertAgent(p, now);
            base.AddAgent(p);
        }
        // 1. Everyone waits: nobody is online.
        for (const auto& c : chats) {
            auto t0 = Clock::now();
            router.Enqueue(c, now);
            kefu_r.enqueue.Add(t0);
            t0 = Clock::now();
            base.Enqueue(c, now);
            base_r.enqueue.Add(t0);
        }
        // 2. Agents come online one by one, each taking up to three waiting chats.
        std::vector<std::vector<std::string>> held(static_cast<std::size_t>(agents));
        for (int i = 0; i < agents; ++i) {
            ++now;
            auto t0 = Clock::now();
            auto got = router.SetPresence(profiles[static_cast<std::size_t>(i)].name, Presence::kOnline, now);
            kefu_r.online.Add(t0);
            t0 = Clock::now();
            auto got_base = base.Online(i, now);
            base_r.online.Add(t0);
            std::vector<std::string> ids;
            for (const auto& a : got) ids.push_back(a.chat_id);
            if (ids != got_base) ++mismatches;
            held[static_cast<std::size_t>(i)] = ids;
            kefu_r.assignments += ids.size();
        }
        // 3. Steady state: random agents end a chat and take the next one, until the queue is empty.
        while (router.WaitingCount() > 0) {
            ++now;
            int i = static_cast<int>(rng() % static_cast<unsigned>(agents));
            auto& mine = held[static_cast<std::size_t>(i)];
            if (mine.empty()) continue;
            std::string done = mine.back();
            mine.pop_back();
            auto t0 = Clock::now();
            auto got = router.Release(profiles[static_cast<std::size_t>(i)].name, done, now, 300'000);
            kefu_r.release.Add(t0);
            t0 = Clock::now();
            auto got_base = base.Release(i, now);
            base_r.release.Add(t0);
            std::vector<std::string> ids;
            for (const auto& a : got) ids.push_back(a.chat_id);
            if (ids != got_base) ++mismatches;
            for (auto& id : ids) mine.push_back(id);
            kefu_r.assignments += ids.size();
            if (base.Waiting() != router.WaitingCount()) ++mismatches;
        }
    }

    auto row = [](const char* what, Stats& k, Stats& b) {
        double kp50 = k.P(0.50);
        double kp99 = k.P(0.99);
        double bp50 = b.P(0.50);
        double bp99 = b.P(0.99);
        std::printf(
            "%-8s  n=%-7zu kefu p50 %8.2f us  p99 %8.2f us   baseline p50 %8.2f us  p99 %8.2f us   p99 ratio x%.2f\n",
            what, k.us.size(), kp50, kp99, bp50, bp99, bp99 > 0 ? kp99 / bp99 : 0.0);
        return std::array<double, 4>{kp50, kp99, bp50, bp99};
    };
    std::printf("desk_load: %d agents (3 chats each), %d waiting customers, %d rounds, seed %u\n", agents, customers,
                rounds, seed);
    auto e = row("enqueue", kefu_r.enqueue, base_r.enqueue);
    auto o = row("online", kefu_r.online, base_r.online);
    auto r = row("release", kefu_r.release, base_r.release);
    std::printf("assignments %zu, decisions that differ from the baseline: %zu\n", kefu_r.assignments, mismatches);
    std::printf("command: kefu_desk_load --agents %d --customers %d --rounds %d --seed %u\n", agents, customers, rounds,
                seed);
    auto obj = [](const char* name, const std::array<double, 4>& v) {
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "\"%s\":{\"kefu_p50_us\":%.2f,\"kefu_p99_us\":%.2f,\"baseline_p50_us\":%.2f,\"baseline_p99_us\":%.2f}",
            name, v[0], v[1], v[2], v[3]);
        return std::string(buf);
    };
    std::printf(
        "{\"bench\":\"desk_load\",\"agents\":%d,\"customers\":%d,\"rounds\":%d,\"assignments\":%zu,"
        "\"mismatches\":%zu,%s,%s,%s}\n",
        agents, customers, rounds, kefu_r.assignments, mismatches, obj("enqueue", e).c_str(), obj("online", o).c_str(),
        obj("release", r).c_str());
    return mismatches == 0 ? 0 : 1;
}
