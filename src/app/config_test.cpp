#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kefu::app {
namespace {

std::string WriteToml(const std::string& body) {
    static int n = 0;
    auto path = std::filesystem::temp_directory_path() /
                ("kefu_config_test_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".toml");
    std::ofstream(path) << body;
    return path.string();
}

std::variant<Config, ConfigError> Load(ConfigSources s) {
    s.use_env = false;
    return LoadConfig(s);
}

TEST(Config, DefaultsAreTheEmbeddedMode) {
    ConfigSources s;
    s.file = WriteToml("");
    auto r = Load(s);
    ASSERT_TRUE(std::holds_alternative<Config>(r));
    const auto& c = std::get<Config>(r);
    EXPECT_EQ(c.server.port, 8080);
    EXPECT_EQ(c.storage.driver, "sqlite");
    EXPECT_EQ(c.storage.path, "var/kefu.db");
    EXPECT_EQ(c.bot.pack, "packs/demo");
}

TEST(Config, FileValuesApply) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = 9090\nrate_limit_rps = 5\n[log]\nlevel = \"debug\"\n");
    auto c = std::get<Config>(Load(s));
    EXPECT_EQ(c.server.port, 9090);
    EXPECT_DOUBLE_EQ(c.server.rate_limit_rps, 5.0);
    EXPECT_EQ(c.log.level, "debug");
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = 9090\nprot = 1\n");
    auto r = Load(s);
    ASSERT_TRUE(std::holds_alternative<ConfigError>(r));
    const auto& msg = std::get<ConfigError>(r).message;
    EXPECT_NE(msg.find("unknown key 'server.prot'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(":3"), std::string::npos) << msg;
}

TEST(Config, UnknownSectionIsAnError) {
    ConfigSources s;
    s.file = WriteToml("[serverr]\nport = 1\n");
    EXPECT_TRUE(std::holds_alternative<ConfigError>(Load(s)));
}

TEST(Config, WrongTypeNamesKey) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = \"80\"\n");
    auto msg = std::get<ConfigError>(Load(s)).message;
    EXPECT_NE(msg.find("server.port: must be an integer"), std::string::npos) << msg;
}

TEST(Config, BadValueNamesKeyAndRange) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = 70000\n");
    auto msg = std::get<ConfigError>(Load(s)).message;
    EXPECT_NE(msg.find("server.port: must be an integer from 0 to 65535"), std::string::npos) << msg;
}

TEST(Config, EnumValuesAreChecked) {
    ConfigSources s;
    s.file = WriteToml("[log]\nlevel = \"loud\"\n");
    auto msg = std::get<ConfigError>(Load(s)).message;
    EXPECT_NE(msg.find("log.level: must be one of"), std::string::npos) << msg;
}

TEST(Config, SyntaxErrorNamesLine) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = = 3\n");
    auto msg = std::get<ConfigError>(Load(s)).message;
    EXPECT_NE(msg.find(":2"), std::string::npos) << msg;
}

TEST(Config, MissingFileIsAnError) {
    ConfigSources s;
    s.file = "/nonexistent/kefu.toml";
    EXPECT_TRUE(std::holds_alternative<ConfigError>(Load(s)));
}

TEST(Config, FlagsOverrideFile) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = 9090\n");
    s.flags = {{"server.port", "9191"}};
    EXPECT_EQ(std::get<Config>(Load(s)).server.port, 9191);
}

TEST(Config, BadFlagValueNamesFlag) {
    ConfigSources s;
    s.flags = {{"server.port", "http"}};
    auto msg = std::get<ConfigError>(Load(s)).message;
    EXPECT_NE(msg.find("flag --server.port"), std::string::npos) << msg;
}

TEST(Config, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = 9090\n");
    setenv("KEFU_SERVER_PORT", "9292", 1);
    auto with_env = LoadConfig(s);
    s.flags = {{"server.port", "9393"}};
    auto with_flag = LoadConfig(s);
    setenv("KEFU_SERVER_PORT", "nope", 1);
    auto bad_env = LoadConfig(ConfigSources{});
    unsetenv("KEFU_SERVER_PORT");
    EXPECT_EQ(std::get<Config>(with_env).server.port, 9292);
    EXPECT_EQ(std::get<Config>(with_flag).server.port, 9393);
    ASSERT_TRUE(std::holds_alternative<ConfigError>(bad_env));
    EXPECT_NE(std::get<ConfigError>(bad_env).message.find("KEFU_SERVER_PORT"), std::string::npos);
}

TEST(Config, EveryKeyHasAnEnvironmentName) {
    for (const auto& k : Schema()) {
        EXPECT_EQ(k.EnvName().rfind("KEFU_", 0), 0u);
        EXPECT_FALSE(k.help.empty()) << k.Name();
    }
}

TEST(Config, RenderedConfigLoadsBackUnchanged) {
    ConfigSources s;
    s.file = WriteToml("[server]\nport = 9494\n[web]\nroot = \"web/static\"\n");
    auto c = std::get<Config>(Load(s));
    ConfigSources again;
    again.file = WriteToml(RenderConfig(c));
    auto c2 = std::get<Config>(Load(again));
    EXPECT_EQ(RenderConfig(c), RenderConfig(c2));
    EXPECT_EQ(c2.server.port, 9494);
}

}  // namespace
}  // namespace kefu::app

namespace kefu::app {
namespace {

TEST(Config, ShippedExampleIsValidAndMatchesDefaults) {
    ConfigSources s;
    std::string file = KEFU_SOURCE_DIR;  // (not `std::string(...) + "..."`: GCC 12 -Warray-bounds false positive)
    file += "/config/kefu.example.toml";
    s.file = file;
    s.use_env = false;
    auto r = LoadConfig(s);
    ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).message;
    EXPECT_EQ(RenderConfig(std::get<Config>(r)), RenderConfig(Config{}));
}

}  // namespace
}  // namespace kefu::app
