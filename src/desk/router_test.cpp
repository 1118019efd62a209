#include "desk/router.hpp"

#include <gtest/gtest.h>

namespace kefu::desk {
namespace {

AgentProfile Agent(std::string name, std::vector<std::string> skills = {"general"},
                   std::vector<std::string> languages = {"zh", "en"}, int max_chats = 2) {
    return AgentProfile{std::move(name), std::move(skills), std::move(languages), max_chats};
}

WaitingChat Chat(std::string id, std::string skill = "general", std::string language = "zh", int priority = 0,
                 UnixMillis at = 1000) {
    return WaitingChat{id, "cv_" + id, std::move(skill), std::move(language), priority, at};
}

TEST(DeskRouter, LongestIdleAgentWithTheSkillAndAFreeSlotGetsTheChat) {
    Router r;
    r.UpsertAgent(Agent("a", {"general", "cards"}), 0);
    r.UpsertAgent(Agent("b", {"general"}), 0);
    r.UpsertAgent(Agent("c", {"general", "cards"}, {"zh", "en"}, 1), 0);
    r.SetPresence("a", Presence::kOnline, 300);  // idle since 300
    r.SetPresence("b", Presence::kOnline, 100);  // idle longest, but no "cards"
    r.SetPresence("c", Presence::kOnline, 200);  // has "cards", idle since 200

    auto first = r.Enqueue(Chat("1", "cards"), 1000);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->agent, "c");
    // c is now full (max 1): the next cards chat goes to a, although c had been idle longer before.
    auto second = r.Enqueue(Chat("2", "cards"), 1001);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->agent, "a");
    // A general chat: b has been idle longest.
    auto third = r.Enqueue(Chat("3", "general"), 1002);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->agent, "b");
}

TEST(DeskRouter, LanguageAndPresenceAreRespected) {
    Router r;
    r.UpsertAgent(Agent("zh_only", {"general"}, {"zh"}), 0);
    r.UpsertAgent(Agent("away", {"general"}, {"en"}), 0);
    r.SetPresence("zh_only", Presence::kOnline, 0);
    r.SetPresence("away", Presence::kAway, 0);
    EXPECT_FALSE(r.Enqueue(Chat("1", "general", "en"), 10));
    EXPECT_FALSE(r.Staffed("general", "en"));
    EXPECT_TRUE(r.Staffed("general", "zh"));
    EXPECT_EQ(r.WaitingCount(), 1u);
    // The English speaker comes back: the waiting chat goes to them at once.
    auto got = r.SetPresence("away", Presence::kOnline, 20);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].agent, "away");
    EXPECT_EQ(got[0].conversation_id, "cv_1");
    EXPECT_EQ(r.WaitingCount(), 0u);
}

TEST(DeskRouter, PriorityThenWaitingTimeAndPositionsMove) {
    Router r;
    r.UpsertAgent(Agent("a", {"general"}, {"zh"}, 1), 0);
    r.SetPresence("a", Presence::kOnline, 0);
    ASSERT_TRUE(r.Enqueue(Chat("busy"), 1));  // a is full now
    EXPECT_FALSE(r.Enqueue(Chat("old", "general", "zh", 0, 10), 10));
    EXPECT_FALSE(r.Enqueue(Chat("newer", "general", "zh", 0, 20), 20));
    EXPECT_FALSE(r.Enqueue(Chat("vip", "general", "zh", 2, 30), 30));
    EXPECT_EQ(r.PositionOf("vip")->position, 1);
    EXPECT_EQ(r.PositionOf("old")->position, 2);
    EXPECT_EQ(r.PositionOf("newer")->position, 3);
    // Five minutes per chat until there is history, one agent: the third waits about 15 minutes.
    EXPECT_EQ(r.PositionOf("newer")->eta_s, 900);

    auto next = r.Release("a", "busy", 100, 60'000);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].chat_id, "vip");
    EXPECT_EQ(r.PositionOf("old")->position, 1);
    EXPECT_EQ(r.PositionOf("newer")->position, 2);
    EXPECT_EQ(r.PositionOf("newer")->eta_s, 120);  // the handle time now comes from the one ended chat
    EXPECT_FALSE(r.PositionOf("vip"));
}

TEST(DeskRouter, ManualTakeDropAndCapacity) {
    Router r;
    r.UpsertAgent(Agent("a", {"general"}, {"zh"}, 1), 0);
    EXPECT_FALSE(r.Enqueue(Chat("1"), 1));  // nobody online: queued
    EXPECT_FALSE(r.Take("nope", "a", 2));
    EXPECT_TRUE(r.Take("1", "a", 2));
    EXPECT_FALSE(r.Take("1", "a", 3));  // no longer waiting
    EXPECT_FALSE(r.Enqueue(Chat("2"), 4));
    EXPECT_FALSE(r.Take("2", "a", 5));  // a is full
    EXPECT_TRUE(r.Take("2", "a", 5, /*ignore_capacity=*/true));
    EXPECT_FALSE(r.Enqueue(Chat("3"), 6));
    EXPECT_TRUE(r.Drop("3"));
    EXPECT_FALSE(r.Drop("3"));
    auto agents = r.Agents();
    ASSERT_EQ(agents.size(), 1u);
    EXPECT_EQ(agents[0].active, 2);
    EXPECT_TRUE(r.Queues().empty());
}

TEST(DeskRouter, GoingOfflineKeepsChatsButTakesNoNewOnes) {
    Router r;
    r.UpsertAgent(Agent("a"), 0);
    r.SetPresence("a", Presence::kOnline, 0);
    ASSERT_TRUE(r.Enqueue(Chat("1"), 1));
    r.SetPresence("a", Presence::kOffline, 2);
    EXPECT_FALSE(r.Enqueue(Chat("2"), 3));
    // Releasing while offline frees the slot but assigns nothing.
    EXPECT_TRUE(r.Release("a", "1", 4, 0).empty());
    EXPECT_EQ(r.WaitingCount(), 1u);
    EXPECT_EQ(ParsePresence("online"), Presence::kOnline);
    EXPECT_FALSE(ParsePresence("busy"));
    EXPECT_EQ(PresenceName(Presence::kAway), "away");
}

}  // namespace
}  // namespace kefu::desk
