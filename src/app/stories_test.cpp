// Every conversation story of the demo pack (packs/demo/stories) passes: the flows, verification,
// digressions, corrections, cancels, lockouts and core-bank time-outs, in both languages.
#include "app/stories.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kefu::app {
namespace {

// Built in two steps: GCC 12 reports a false -Warray-bounds for `std::string(MACRO) + "..."`.
std::string DemoPack() {
    std::string s = KEFU_SOURCE_DIR;
    s += "/packs/demo";
    return s;
}

TEST(Stories, EveryDemoPackStoryPasses) {
    Config config;
    config.bot.pack = DemoPack();
    config.bot.model_dir = (std::filesystem::temp_directory_path() / "kefu-stories-models").string();
    std::ostringstream out;
    StoryReport report = RunStories(config, {}, out);
    for (const auto& p : report.problems) ADD_FAILURE() << p;
    for (const auto& f : report.failures) ADD_FAILURE() << f;
    if (report.failed > 0) std::cerr << out.str();
    EXPECT_EQ(report.failed, 0);
    // The bar: at least 40 stories, at least 20 per language.
    EXPECT_GE(report.passed, 40);
    EXPECT_GE(report.passed_by_language["zh"], 20);
    EXPECT_GE(report.passed_by_language["en"], 20);
}

TEST(Stories, AFailingExpectationIsReportedWithFileAndLine) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / "kefu-story-fail-test";
    fs::create_directories(dir);
    fs::path file = dir / "wrong.yaml";
    {
        std::ofstream f(file);
        f << "version: 1\nstories:\n  - story: wrong expectation\n    language: en\n    turns:\n"
             "      - user: what is my balance\n        expect: {flow: transfer_status}\n";
    }
    Config config;
    config.bot.pack = DemoPack();
    config.bot.model_dir = (fs::temp_directory_path() / "kefu-stories-models").string();
    std::ostringstream out;
    StoryReport report = RunStories(config, {{file.string()}, "", false}, out);
    ASSERT_EQ(report.failed, 1);
    ASSERT_FALSE(report.failures.empty());
    EXPECT_NE(report.failures[0].find(file.string() + ":6:"), std::string::npos) << report.failures[0];
    EXPECT_NE(report.failures[0].find("expected 'transfer_status', got 'balance'"), std::string::npos)
        << report.failures[0];
    fs::remove_all(dir);
}

}  // namespace
}  // namespace kefu::app
