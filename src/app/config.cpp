#include "app/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/cors.hpp"

namespace kefu::app {

namespace {

using Setter = std::function<std::optional<std::string>(Config&, const ConfigValue&)>;
using Getter = std::function<ConfigValue(const Config&)>;

ConfigKey Int(std::string s, std::string k, std::string help, std::int64_t lo, std::int64_t hi,
              std::function<std::int64_t&(Config&)> field) {
    Setter set = [lo, hi, field](Config& c, const ConfigValue& v) -> std::optional<std::string> {
        auto i = std::get<std::int64_t>(v);
        if (i < lo || i > hi) return fmt::format("must be an integer from {} to {}", lo, hi);
        field(c) = i;
        return std::nullopt;
    };
    Getter get = [field](const Config& c) { return ConfigValue(field(const_cast<Config&>(c))); };
    return ConfigKey{std::move(s), std::move(k), ValueType::kInt, std::move(help), set, get};
}

ConfigKey Double(std::string s, std::string k, std::string help, double lo, double hi,
                 std::function<double&(Config&)> field) {
    Setter set = [lo, hi, field](Config& c, const ConfigValue& v) -> std::optional<std::string> {
        double d = std::holds_alternative<std::int64_t>(v) ? static_cast<double>(std::get<std::int64_t>(v))
                                                           : std::get<double>(v);
        if (!(d >= lo && d <= hi)) return fmt::format("must be a number from {} to {}", lo, hi);
        field(c) = d;
        return std::nullopt;
    };
    Getter get = [field](const Config& c) { return ConfigValue(field(const_cast<Config&>(c))); };
    return ConfigKey{std::move(s), std::move(k), ValueType::kDouble, std::move(help), set, get};
}

ConfigKey Bool(std::string s, std::string k, std::string help, std::function<bool&(Config&)> field) {
    Setter set = [field](Config& c, const ConfigValue& v) -> std::optional<std::string> {
        field(c) = std::get<bool>(v);
        return std::nullopt;
    };
    Getter get = [field](const Config& c) { return ConfigValue(field(const_cast<Config&>(c))); };
    return ConfigKey{std::move(s), std::move(k), ValueType::kBool, std::move(help), set, get};
}

// `check` (optional) returns why a value is refused.
ConfigKey String(std::string s, std::string k, std::string help, std::vector<std::string> allowed,
                 std::function<std::string&(Config&)> field, bool allow_empty = true,
                 std::function<std::optional<std::string>(const std::string&)> check = {}) {
    Setter set = [allowed, field, allow_empty, check](Config& c, const ConfigValue& v) -> std::optional<std::string> {
        const auto& str = std::get<std::string>(v);
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), str) == allowed.end()) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            return "must be one of: " + list;
        }
        if (!allow_empty && str.empty()) return std::string("must not be empty");
        if (check) {
            if (auto why = check(str)) return why;
        }
        field(c) = str;
        return std::nullopt;
    };
    Getter get = [field](const Config& c) { return ConfigValue(field(const_cast<Config&>(c))); };
    return ConfigKey{std::move(s), std::move(k), ValueType::kString, std::move(help), set, get};
}

std::string TypeName(ValueType t) {
    switch (t) {
        case ValueType::kInt:
            return "an integer";
        case ValueType::kDouble:
            return "a number";
        case ValueType::kBool:
            return "true or false";
        case ValueType::kString:
            return "a string";
    }
    return "a value";
}

// Parses a flag or environment string into the key's type.
std::optional<ConfigValue> ParseString(ValueType t, const std::string& s) {
    switch (t) {
        case ValueType::kInt: {
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
            return v;
        }
        case ValueType::kDouble: {
            try {
                std::size_t used = 0;
                double v = std::stod(s, &used);
                if (used != s.size()) return std::nullopt;
                return v;
            } catch (...) {
                return std::nullopt;
            }
        }
        case ValueType::kBool:
            if (s == "true" || s == "1") return true;
            if (s == "false" || s == "0") return false;
            return std::nullopt;
        case ValueType::kString:
            return s;
    }
    return std::nullopt;
}

std::optional<ConfigValue> FromToml(ValueType t, const toml::node& n) {
    switch (t) {
        case ValueType::kInt:
            if (auto v = n.value_exact<std::int64_t>()) return *v;
            return std::nullopt;
        case ValueType::kDouble:
            if (auto v = n.value_exact<double>()) return *v;
            if (auto v = n.value_exact<std::int64_t>()) return static_cast<double>(*v);
            return std::nullopt;
        case ValueType::kBool:
            if (auto v = n.value_exact<bool>()) return *v;
            return std::nullopt;
        case ValueType::kString:
            if (auto v = n.value_exact<std::string>()) return *v;
            return std::nullopt;
    }
    return std::nullopt;
}

const ConfigKey* FindKey(std::string_view section, std::string_view key) {
    for (const auto& k : Schema()) {
        if (k.section == section && k.key == key) return &k;
    }
    return nullptr;
}

}  // namespace

std::string ConfigKey::EnvName() const {
    std::string out = "KEFU_";
    for (char c : section + "_" + key) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return out;
}

const std::vector<ConfigKey>& Schema() {
    static const std::vector<ConfigKey> kSchema = {
        String(
            "server", "host", "Address to listen on.", {}, [](Config& c) -> std::string& { return c.server.host; },
            false),
        Int("server", "port", "TCP port; 0 picks a free one.", 0, 65535,
            [](Config& c) -> std::int64_t& { return c.server.port; }),
        Int("server", "io_threads", "I/O threads; 0 = one per core.", 0, 256,
            [](Config& c) -> std::int64_t& { return c.server.io_threads; }),
        Int("server", "max_connections", "Open connections at most; more get 503 overloaded.", 1, 1000000,
            [](Config& c) -> std::int64_t& { return c.server.max_connections; }),
        Int("server", "max_header_bytes", "Request header size limit (431 beyond).", 1024, 1048576,
            [](Config& c) -> std::int64_t& { return c.server.max_header_bytes; }),
        Int("server", "max_body_bytes", "Request body size limit (413 beyond).", 1024, 104857600,
            [](Config& c) -> std::int64_t& { return c.server.max_body_bytes; }),
        Int("server", "read_timeout_ms", "Time to receive a whole request once it has begun (408 beyond).", 100, 600000,
            [](Config& c) -> std::int64_t& { return c.server.read_timeout_ms; }),
        Int("server", "idle_timeout_ms", "Keep-alive wait for the next request.", 100, 3600000,
            [](Config& c) -> std::int64_t& { return c.server.idle_timeout_ms; }),
        Double("server", "rate_limit_rps", "Requests per second per client IP, sustained; 0 = off.", 0, 1e6,
               [](Config& c) -> double& { return c.server.rate_limit_rps; }),
        Double("server", "rate_limit_burst", "Requests per client IP at once.", 1, 1e6,
               [](Config& c) -> double& { return c.server.rate_limit_burst; }),
        Int("server", "shutdown_timeout_ms", "Deadline for a graceful shutdown.", 0, 600000,
            [](Config& c) -> std::int64_t& { return c.server.shutdown_timeout_ms; }),
        Int("server", "ws_max_message_bytes", "Largest WebSocket message accepted.", 256, 1048576,
            [](Config& c) -> std::int64_t& { return c.server.ws_max_message_bytes; }),
        String(
            "server", "cors_origins",
            "Origins (comma-separated, e.g. https://www.bank.example) whose pages may call the customer API "
            "across origins: a widget embedded on the bank's site. Empty = none.",
            {}, [](Config& c) -> std::string& { return c.server.cors_origins; }, true,
            [](const std::string& v) -> std::optional<std::string> {
                auto parsed = net::ParseOrigins(v);
                if (!parsed) return parsed.error().message;
                return std::nullopt;
            }),
        String("storage", "driver", "Storage back end.", {"sqlite"},
               [](Config& c) -> std::string& { return c.storage.driver; }),
        String(
            "storage", "path", "SQLite database file.", {}, [](Config& c) -> std::string& { return c.storage.path; },
            false),
        Int("storage", "batch_max", "Write operations per group commit at most.", 1, 100000,
            [](Config& c) -> std::int64_t& { return c.storage.batch_max; }),
        String("log", "level", "Log level.", {"trace", "debug", "info", "warn", "error", "off"},
               [](Config& c) -> std::string& { return c.log.level; }),
        String("log", "format", "Log line format.", {"json", "text"},
               [](Config& c) -> std::string& { return c.log.format; }),
        String(
            "bot", "pack", "Directory of the bot pack (intents, FAQ, flows).", {},
            [](Config& c) -> std::string& { return c.bot.pack; }, false),
        String("bot", "default_language", "Language of a conversation when the client gives none.", {"zh", "en"},
               [](Config& c) -> std::string& { return c.bot.default_language; }),
        String(
            "bot", "model_dir", "Where trained intent models are cached.", {},
            [](Config& c) -> std::string& { return c.bot.model_dir; }, false),
        Double("kb", "answer_threshold", "Knowledge-base confidence needed to answer.", 0, 1,
               [](Config& c) -> double& { return c.kb.answer_threshold; }),
        Double("kb", "clarify_threshold", "Confidence needed to offer \"did you mean\" (below: fallback).", 0, 1,
               [](Config& c) -> double& { return c.kb.clarify_threshold; }),
        Int("kb", "poll_ms", "How often the server checks the database for knowledge-base changes by others.", 50,
            600000, [](Config& c) -> std::int64_t& { return c.kb.poll_ms; }),
        Bool("kb", "four_eyes", "Approving needs a reviewer other than the author (recommended in production).",
             [](Config& c) -> bool& { return c.kb.four_eyes; }),
        Bool("kb", "seed_from_pack", "Load the pack's kb/*.csv, published, into an empty knowledge base at start.",
             [](Config& c) -> bool& { return c.kb.seed_from_pack; }),
        Int("dialogue", "workers", "Threads that run bot turns (flows may wait on the core bank).", 1, 256,
            [](Config& c) -> std::int64_t& { return c.dialogue.workers; }),
        Int("dialogue", "verified_ttl_s", "How long an identity verification holds.", 30, 86400,
            [](Config& c) -> std::int64_t& { return c.dialogue.verified_ttl_s; }),
        Int("dialogue", "lock_after", "Failed verifications before a lockout.", 1, 100,
            [](Config& c) -> std::int64_t& { return c.dialogue.lock_after; }),
        Int("dialogue", "lock_s", "How long a verification lockout lasts.", 1, 86400,
            [](Config& c) -> std::int64_t& { return c.dialogue.lock_s; }),
        Bool("dialogue", "show_otp_in_log",
             "Log the sandbox's one-time codes (development only; refused unless bank.adapter is sandbox).",
             [](Config& c) -> bool& { return c.dialogue.show_otp_in_log; }),
        String("bank", "adapter", "Core-banking adapter.", {"sandbox", "http", "none"},
               [](Config& c) -> std::string& { return c.bank.adapter; }),
        String("bank", "sandbox_file", "Sandbox bank data; empty = <pack>/bank/sandbox.yaml.", {},
               [](Config& c) -> std::string& { return c.bank.sandbox_file; }),
        String("bank", "http_base_url", "Base URL of the core system's HTTP/JSON API (docs/core-banking-http.md).", {},
               [](Config& c) -> std::string& { return c.bank.http_base_url; }),
        Int("bank", "http_timeout_ms", "Deadline of one core-banking call.", 50, 60000,
            [](Config& c) -> std::int64_t& { return c.bank.http_timeout_ms; }),
        Int("bank", "http_retries", "Retries of a failed read (or idempotent write).", 0, 10,
            [](Config& c) -> std::int64_t& { return c.bank.http_retries; }),
        Int("bank", "http_backoff_ms", "First retry delay; doubles each retry.", 0, 60000,
            [](Config& c) -> std::int64_t& { return c.bank.http_backoff_ms; }),
        Int("bank", "http_breaker_failures", "Consecutive failures that open the circuit breaker.", 1, 1000,
            [](Config& c) -> std::int64_t& { return c.bank.http_breaker_failures; }),
        Int("bank", "http_breaker_cooldown_ms", "How long the circuit stays open before a probe.", 100, 3600000,
            [](Config& c) -> std::int64_t& { return c.bank.http_breaker_cooldown_ms; }),
        String("bank", "http_token_file", "File with the bearer token for the core (or set KEFU_BANK_TOKEN).", {},
               [](Config& c) -> std::string& { return c.bank.http_token_file; }),
        String("bank", "http_ca_file", "CA bundle to verify the core's certificate; empty = system store.", {},
               [](Config& c) -> std::string& { return c.bank.http_ca_file; }),
        String("bank", "http_cert_file", "Client certificate for mTLS (PEM).", {},
               [](Config& c) -> std::string& { return c.bank.http_cert_file; }),
        String("bank", "http_key_file", "Client private key for mTLS (PEM).", {},
               [](Config& c) -> std::string& { return c.bank.http_key_file; }),
        String("web", "root", "Serve web assets from this directory instead of the embedded copy (development).", {},
               [](Config& c) -> std::string& { return c.web.root; }),
        String("auth", "customer_token_secret_file",
               "File holding the HMAC key for signed customer tokens (or set KEFU_AUTH_CUSTOMER_TOKEN_SECRET).", {},
               [](Config& c) -> std::string& { return c.auth.customer_token_secret_file; }),
        Int("auth", "session_ttl_s", "Staff sign-in sessions expire this long after their last use.", 60, 30 * 86400,
            [](Config& c) -> std::int64_t& { return c.auth.session_ttl_s; }),
        Int("auth", "lock_after", "Wrong passwords in a row before a staff account is locked.", 1, 100,
            [](Config& c) -> std::int64_t& { return c.auth.lock_after; }),
        Int("auth", "lock_s", "How long a locked staff account stays locked.", 1, 86400,
            [](Config& c) -> std::int64_t& { return c.auth.lock_s; }),
        Bool("auth", "cookie_secure",
             "Mark the console's session cookie Secure (always, behind TLS; it is also set when a proxy sends "
             "X-Forwarded-Proto: https).",
             [](Config& c) -> bool& { return c.auth.cookie_secure; }),
        String("desk", "file", "The desk's hours, queues, SLAs and canned responses; empty = <pack>/desk/desk.yaml.",
               {}, [](Config& c) -> std::string& { return c.desk.file; }),
        Int("desk", "sla_check_interval_ms", "How often open tickets are checked for SLA breaches.", 50, 3600000,
            [](Config& c) -> std::int64_t& { return c.desk.sla_check_interval_ms; }),
    };
    return kSchema;
}

std::variant<Config, ConfigError> LoadConfig(const ConfigSources& sources) {
    Config cfg;
    auto apply = [&](const ConfigKey& k, const ConfigValue& v, const std::string& where) -> std::optional<ConfigError> {
        if (auto reason = k.set(cfg, v))
            return ConfigError{fmt::format("config: {}: {} ({})", k.Name(), *reason, where)};
        return std::nullopt;
    };

    std::optional<std::string> file = sources.file;
    if (!file && std::filesystem::exists("kefu.toml")) file = "kefu.toml";
    if (file) {
        if (!std::filesystem::exists(*file))
            return ConfigError{fmt::format("config: cannot read '{}': no such file", *file)};
        toml::table root;
        try {
            root = toml::parse_file(*file);
        } catch (const toml::parse_error& e) {
            return ConfigError{fmt::format("config: {}:{}: {}", *file, e.source().begin.line, e.description())};
        }
        for (const auto& [section, node] : root) {
            auto where = [&](const toml::node& n) { return fmt::format("{}:{}", *file, n.source().begin.line); };
            const auto* table = node.as_table();
            if (!table) {
                return ConfigError{
                    fmt::format("config: unknown key '{}' ({}): expected a [section]", section.str(), where(node))};
            }
            for (const auto& [key, value] : *table) {
                const ConfigKey* k = FindKey(section.str(), key.str());
                if (!k)
                    return ConfigError{
                        fmt::format("config: unknown key '{}.{}' ({})", section.str(), key.str(), where(value))};
                auto v = FromToml(k->type, value);
                if (!v)
                    return ConfigError{
                        fmt::format("config: {}: must be {} ({})", k->Name(), TypeName(k->type), where(value))};
                if (auto err = apply(*k, *v, where(value))) return *err;
            }
        }
    }
    if (sources.use_env) {
        for (const auto& k : Schema()) {
            const char* env = std::getenv(k.EnvName().c_str());
            if (!env) continue;
            auto v = ParseString(k.type, env);
            if (!v)
                return ConfigError{
                    fmt::format("config: {}: must be {} (environment {})", k.Name(), TypeName(k.type), k.EnvName())};
            if (auto err = apply(k, *v, "environment " + k.EnvName())) return *err;
        }
    }
    for (const auto& [name, value] : sources.flags) {
        auto dot = name.find('.');
        const ConfigKey* k = dot == std::string::npos ? nullptr : FindKey(name.substr(0, dot), name.substr(dot + 1));
        if (!k) return ConfigError{fmt::format("config: unknown key '{}' (flag)", name)};
        auto v = ParseString(k->type, value);
        if (!v)
            return ConfigError{fmt::format("config: {}: must be {} (flag --{})", k->Name(), TypeName(k->type), name)};
        if (auto err = apply(*k, *v, "flag --" + name)) return *err;
    }
    if (cfg.server.rate_limit_burst < 1) cfg.server.rate_limit_burst = 1;
    return cfg;
}

std::string RenderConfig(const Config& c) {
    std::string out;
    std::string section;
    for (const auto& k : Schema()) {
        if (k.section != section) {
            section = k.section;
            out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", section);
        }
        ConfigValue v = k.get(c);
        std::string rendered;
        if (auto* i = std::get_if<std::int64_t>(&v)) rendered = std::to_string(*i);
        if (auto* d = std::get_if<double>(&v)) rendered = fmt::format("{}", *d);
        if (auto* b = std::get_if<bool>(&v)) rendered = *b ? "true" : "false";
        if (auto* s = std::get_if<std::string>(&v)) {
            std::ostringstream os;
            os << toml::value<std::string>(*s);
            rendered = os.str();
        }
        out += fmt::format("{} = {}  # {}\n", k.key, rendered, k.help);
    }
    return out;
}

std::string LoadCustomerTokenSecret(const Config& c) {
    if (const char* env = std::getenv("KEFU_AUTH_CUSTOMER_TOKEN_SECRET"); env && *env) return env;
    if (c.auth.customer_token_secret_file.empty()) return {};
    std::ifstream in(c.auth.customer_token_secret_file, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read auth.customer_token_secret_file '" + c.auth.customer_token_secret_file +
                                 "'");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    if (s.size() < 32) throw std::runtime_error("the customer token secret must be at least 32 bytes");
    return s;
}

}  // namespace kefu::app
