#pragma once
// Kefu's configuration: one TOML file, every key overridable by an environment variable
// KEFU_<SECTION>_<KEY> and by a flag --<section>.<key>, in that order of precedence (flag wins).
// The schema below is the single list of keys: loading, validation, `config check` output, the flags
// and docs/configuration.md all come from it. Unknown keys, wrong types and bad values are errors that
// name the key, the reason and where the value came from.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kefu::app {

struct Config {
    struct Server {
        std::string host = "0.0.0.0";
        std::int64_t port = 8080;
        std::int64_t io_threads = 0;
        std::int64_t max_connections = 10000;
        std::int64_t max_header_bytes = 8192;
        std::int64_t max_body_bytes = 65536;
        std::int64_t read_timeout_ms = 15000;
        std::int64_t idle_timeout_ms = 60000;
        double rate_limit_rps = 100;
        double rate_limit_burst = 200;
        std::int64_t shutdown_timeout_ms = 10000;
        std::int64_t ws_max_message_bytes = 16384;
        std::string cors_origins;  // comma-separated origins a cross-origin widget may call from; "" = none
    } server;
    struct Storage {
        std::string driver = "sqlite";
        std::string path = "var/kefu.db";
        std::int64_t batch_max = 512;
    } storage;
    struct Log {
        std::string level = "info";
        std::string format = "json";
    } log;
    struct Bot {
        std::string pack = "packs/demo";
        std::string default_language = "zh";
        std::string model_dir = "var/models";
    } bot;
    struct Kb {
        double answer_threshold = 0.55;
        double clarify_threshold = 0.25;
        std::int64_t poll_ms = 500;
        bool four_eyes = false;
        bool seed_from_pack = true;
    } kb;
    struct Dialogue {
        std::int64_t workers = 4;  // threads that run turns (flows may wait on the core bank)
        std::int64_t verified_ttl_s = 900;
        std::int64_t lock_after = 5;
        std::int64_t lock_s = 900;
        bool show_otp_in_log = false;
    } dialogue;
    struct Bank {
        std::string adapter = "sandbox";  // sandbox | http | none
        std::string sandbox_file;         // "" = <pack>/bank/sandbox.yaml
        std::string http_base_url;
        std::int64_t http_timeout_ms = 3000;
        std::int64_t http_retries = 2;
        std::int64_t http_backoff_ms = 100;
        std::int64_t http_breaker_failures = 5;
        std::int64_t http_breaker_cooldown_ms = 30000;
        std::string http_token_file;
        std::string http_ca_file;
        std::string http_cert_file;
        std::string http_key_file;
    } bank;
    struct Web {
        std::string root;
    } web;
    struct Auth {
        std::string customer_token_secret_file;
        std::int64_t session_ttl_s = 43200;  // staff sessions: 12 hours from the last request
        std::int64_t lock_after = 5;         // wrong passwords in a row before a staff account locks
        std::int64_t lock_s = 900;
        bool cookie_secure = false;  // also set when the request says X-Forwarded-Proto: https
    } auth;
    struct Desk {
        std::string file;  // "" = <pack>/desk/desk.yaml
        std::int64_t sla_check_interval_ms = 30000;
    } desk;
};

using ConfigValue = std::variant<std::int64_t, double, bool, std::string>;

enum class ValueType { kInt, kDouble, kBool, kString };

struct ConfigKey {
    std::string section;
    std::string key;
    ValueType type;
    std::string help;
    // Validates and stores; returns an error reason ("must be ...") or nullopt.
    std::function<std::optional<std::string>(Config&, const ConfigValue&)> set;
    std::function<ConfigValue(const Config&)> get;

    std::string Name() const { return section + "." + key; }
    std::string EnvName() const;
};

const std::vector<ConfigKey>& Schema();

struct ConfigError {
    std::string message;  // one line: "config: server.port: must be ... (kefu.toml:3)"
};

struct ConfigSources {
    std::optional<std::string> file;                         // TOML path; nullopt = ./kefu.toml if it exists
    std::vector<std::pair<std::string, std::string>> flags;  // (section.key, value) from the command line
    bool use_env = true;
};

// Builds the configuration from defaults, the file, the environment and flags.
std::variant<Config, ConfigError> LoadConfig(const ConfigSources& sources);

// The effective configuration as TOML (for `kefu config check`).
std::string RenderConfig(const Config& c);

// Reads the customer-token HMAC key: KEFU_AUTH_CUSTOMER_TOKEN_SECRET, else the file named in the config.
// Empty when neither is set. Throws std::runtime_error if the file cannot be read.
std::string LoadCustomerTokenSecret(const Config& c);

}  // namespace kefu::app
