#include "desk/desk_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kefu::desk {
namespace {

// 2026-11-23 is a Monday. Times below are UTC; the calendar is UTC+8.
constexpr UnixMillis kMonday0900Local = 1'795'395'600'000;  // 2026-11-23T01:00:00Z
constexpr std::int64_t kHour = 3'600'000;

Calendar OfficeHours() {
    Calendar c;
    c.utc_offset_min = 480;
    for (int d = 0; d < 5; ++d) c.week[static_cast<std::size_t>(d)] = {{9 * 60, 18 * 60}};
    return c;
}

TEST(DeskCalendar, OpenOnWeekdaysInOfficeHoursOnly) {
    Calendar c = OfficeHours();
    EXPECT_TRUE(c.IsOpen(kMonday0900Local));
    EXPECT_FALSE(c.IsOpen(kMonday0900Local - 1));
    EXPECT_FALSE(c.IsOpen(kMonday0900Local + 9 * kHour));       // 18:00
    EXPECT_FALSE(c.IsOpen(kMonday0900Local + 5 * 24 * kHour));  // Saturday 09:00
    c.holidays.insert("2026-11-23");
    EXPECT_FALSE(c.IsOpen(kMonday0900Local + kHour));
}

TEST(DeskCalendar, SlaClockStopsOutsideBusinessHours) {
    Calendar c = OfficeHours();
    // Monday 17:00 + 2 business hours = Tuesday 10:00.
    EXPECT_EQ(c.Add(kMonday0900Local + 8 * kHour, 2 * kHour), kMonday0900Local + 25 * kHour);
    // Friday 17:00 + 2 h = Monday 10:00.
    EXPECT_EQ(c.Add(kMonday0900Local + 4 * 24 * kHour + 8 * kHour, 2 * kHour),
              kMonday0900Local + 7 * 24 * kHour + kHour);
    // Created on Saturday: the clock starts on Monday 09:00.
    EXPECT_EQ(c.NextOpen(kMonday0900Local + 5 * 24 * kHour), kMonday0900Local + 7 * 24 * kHour);
    // A holiday on Tuesday moves Monday 17:00 + 2 h to Wednesday 10:00.
    c.holidays.insert("2026-11-24");
    EXPECT_EQ(c.Add(kMonday0900Local + 8 * kHour, 2 * kHour), kMonday0900Local + 49 * kHour);
    EXPECT_EQ(Calendar::Always().Add(kMonday0900Local, 5000), kMonday0900Local + 5000);
}

TEST(DeskConfig, DemoPackLoads) {
    std::vector<std::string> problems;
    auto c = LoadDeskConfig(KEFU_SOURCE_DIR "/packs/demo/desk/desk.yaml", &problems);
    ASSERT_TRUE(c) << (problems.empty() ? c.error().message : problems.front());
    EXPECT_EQ(c->SkillFor("card_lost", "card_lost"), "cards");
    EXPECT_EQ(c->SkillFor("", "greeting"), "general");
    EXPECT_GT(c->SlaMs("complaint", "urgent"), 0);
    EXPECT_LT(c->SlaMs("complaint", "urgent"), c->SlaMs("other", "low"));
    EXPECT_FALSE(c->canned.empty());
    EXPECT_FALSE(c->wrap_up_codes.empty());
    EXPECT_TRUE(c->vip.segments.contains("private"));
    EXPECT_TRUE(c->vip.handoff_on_fallback);
    // Every customer-facing text is the pack's, in both languages.
    for (auto key : kDeskMessageKeys) {
        EXPECT_TRUE(c->messages.contains(key)) << key;
        EXPECT_FALSE(c->Message(key, "zh").empty()) << key;
        EXPECT_FALSE(c->Message(key, "en").empty()) << key;
    }
    EXPECT_NE(c->Message("ticket_nobody", "en").find("{ticket}"), std::string::npos);
}

TEST(DeskConfig, MissingMessagesFallBackToBuiltInTexts) {
    auto dir = std::filesystem::temp_directory_path() / "kefu-desk-config-messages";
    std::filesystem::create_directories(dir);
    auto file = (dir / "desk.yaml").string();
    std::ofstream(file) << "messages:\n  joined: {zh: \"{name}来了\", en: \"{name} is here\"}\n";
    auto c = LoadDeskConfig(file);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->Message("joined", "en"), "{name} is here");
    EXPECT_EQ(c->Message("joined", "zh"), "{name}来了");
    EXPECT_NE(c->Message("ended", "en").find("rate"), std::string::npos);  // built in
    EXPECT_FALSE(c->vip.handoff_on_fallback);                              // off unless the file says so
    EXPECT_TRUE(c->vip.segments.contains("private"));
}

TEST(DeskConfig, ProblemsAreReportedWithLines) {
    auto dir = std::filesystem::temp_directory_path() / "kefu-desk-config-test";
    std::filesystem::create_directories(dir);
    auto file = (dir / "desk.yaml").string();
    std::ofstream(file) << "timezone: \"8\"\n"
                           "chat_hours:\n"
                           "  mon-fry: 09:00-18:00\n"
                           "  sat: 18:00-09:00\n"
                           "sla:\n"
                           "  parcel: {normal: 4h}\n"
                           "  complaint: {soon: 4h, normal: 4 hours}\n"
                           "colour: blue\n"
                           "vip: {handoff_on_fallback: maybe, colour: gold}\n"
                           "messages:\n"
                           "  farewell: {zh: 再见, en: Bye}\n"
                           "  ticket_closed: {zh: 稍后联系您, en: We will call}\n"
                           "  joined: {zh: 您好}\n";
    std::vector<std::string> problems;
    auto c = LoadDeskConfig(file, &problems);
    EXPECT_FALSE(c);
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    EXPECT_NE(all.find("desk.yaml:1: timezone"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:3: 'mon-fry'"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:4: '18:00-09:00'"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:6: unknown ticket type 'parcel'"), std::string::npos) << all;
    EXPECT_NE(all.find("unknown priority 'soon'"), std::string::npos) << all;
    EXPECT_NE(all.find("'4 hours' is not a duration"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:8: unknown key 'colour'"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:9: handoff_on_fallback is true or false"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:9: unknown key 'colour' in vip"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:11: unknown message 'farewell'"), std::string::npos) << all;
    EXPECT_NE(all.find("desk.yaml:12: the message ticket_closed must give the customer the {ticket}"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("desk.yaml:13: the message joined needs both zh and en"), std::string::npos) << all;
    std::filesystem::remove_all(dir);
    EXPECT_EQ(ParseDuration("90s"), 90'000);
    EXPECT_EQ(ParseDuration("2d"), 2 * 86'400'000LL);
    EXPECT_FALSE(ParseDuration("h"));
    EXPECT_FALSE(ParseDuration("-3h"));
}

}  // namespace
}  // namespace kefu::desk
