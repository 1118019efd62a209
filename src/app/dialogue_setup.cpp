#include "app/dialogue_setup.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/kb_setup.hpp"
#include "banking/http_bank.hpp"
#include "banking/sandbox_bank.hpp"
#include "core/log.hpp"

namespace kefu::app {

namespace fs = std::filesystem;

std::string SandboxFile(const Config& config) {
    return config.bank.sandbox_file.empty() ? (fs::path(config.bot.pack) / "bank" / "sandbox.yaml").string()
                                            : config.bank.sandbox_file;
}

namespace {

Result<std::string> BankToken(const Config& config) {
    if (const char* env = std::getenv("KEFU_BANK_TOKEN"); env && *env) return std::string(env);
    if (config.bank.http_token_file.empty()) return std::string();
    std::ifstream in(config.bank.http_token_file);
    if (!in)
        return Error{ErrorCode::kInvalidArgument, "bank.http_token_file: cannot read " + config.bank.http_token_file};
    std::stringstream ss;
    ss << in.rdbuf();
    std::string token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
}

Result<std::shared_ptr<banking::CoreBank>> Sandbox(const Config& config, storage::sqlite::Database& db) {
    auto loaded = banking::SandboxIsLoaded(db);
    if (!loaded) return loaded.error();
    if (!loaded.value()) {
        const std::string file = SandboxFile(config);
        if (!fs::exists(file)) {
            log::Warn("no sandbox bank data; banking flows will apologise", {{"file", file}});
        } else {
            // The demo's "today" is the day the sandbox is first loaded, so "last month" has transactions.
            std::string today = LocalIsoNow().substr(0, 10);
            auto report = banking::LoadSandbox(db, file, today);
            if (!report) return report.error();
            log::Info("sandbox bank loaded", {{"file", file},
                                              {"customers", report->customers},
                                              {"transactions", report->transactions},
                                              {"as_of", report->as_of}});
        }
    }
    return std::shared_ptr<banking::CoreBank>(std::make_shared<banking::SandboxBank>(db));
}

Result<std::shared_ptr<banking::CoreBank>> Http(const Config& config) {
    banking::HttpBankOptions o;
    o.base_url = config.bank.http_base_url;
    if (o.base_url.empty()) {
        return Error{ErrorCode::kInvalidArgument, "bank.http_base_url: required when bank.adapter is http"};
    }
    o.timeout = std::chrono::milliseconds(config.bank.http_timeout_ms);
    o.retries = static_cast<int>(config.bank.http_retries);
    o.backoff = std::chrono::milliseconds(config.bank.http_backoff_ms);
    o.breaker_failures = static_cast<int>(config.bank.http_breaker_failures);
    o.breaker_cooldown = std::chrono::milliseconds(config.bank.http_breaker_cooldown_ms);
    o.ca_file = config.bank.http_ca_file;
    o.cert_file = config.bank.http_cert_file;
    o.key_file = config.bank.http_key_file;
    auto token = BankToken(config);
    if (!token) return token.error();
    o.bearer_token = token.value();
    auto bank = banking::HttpCoreBank::Create(std::move(o));
    if (!bank) {
        // The adapter names its options (base_url, ca_file, ...); the operator knows them as bank.http_*.
        std::string message = bank.error().message;
        for (const char* name : {"base_url", "timeout", "retries", "backoff", "breaker_failures", "breaker_cooldown",
                                 "ca_file", "cert_file", "key_file", "bearer_token"}) {
            std::string from = name;
            if (auto pos = message.find(from); pos != std::string::npos && (pos == 0 || message[pos - 1] == ' ')) {
                message.replace(
                    pos, from.size(),
                    std::string("bank.http_") + (from == "bearer_token" ? "token_file" : from) +
                        (from == "timeout" || from == "backoff" || from == "breaker_cooldown" ? "_ms" : ""));
                break;
            }
        }
        return Error{bank.error().code, message};
    }
    return std::shared_ptr<banking::CoreBank>(std::move(bank.value()));
}

}  // namespace

Result<DialogueRuntime> SetUpDialogue(const Config& config, storage::sqlite::Database& db) {
    DialogueRuntime rt;
    if (config.dialogue.show_otp_in_log && config.bank.adapter != "sandbox") {
        return Error{ErrorCode::kInvalidArgument,
                     "dialogue.show_otp_in_log: allowed only with bank.adapter = sandbox (never in production)"};
    }
    if (config.bank.adapter == "sandbox") {
        auto bank = Sandbox(config, db);
        if (!bank) return bank.error();
        rt.bank = std::move(bank.value());
    } else if (config.bank.adapter == "http") {
        auto bank = Http(config);
        if (!bank) return bank.error();
        rt.bank = std::move(bank.value());
    }
    // Until the SMS channel lands, codes go to the sandbox outbox: shown in development logs only.
    rt.sandbox_sms = std::make_shared<flow::SandboxSms>(config.dialogue.show_otp_in_log);
    rt.guard = flow::MakeSqliteCustomerGuard(db);
    rt.options.verified_ttl_ms = config.dialogue.verified_ttl_s * 1000;
    rt.options.lock_after = static_cast<int>(config.dialogue.lock_after);
    rt.options.lock_ms = config.dialogue.lock_s * 1000;
    return rt;
}

int BankReset(const Config& config, const std::string& as_of) {
    if (config.bank.adapter != "sandbox") {
        std::cerr << "kefu: bank reset works on the sandbox bank only (bank.adapter is " << config.bank.adapter
                  << ")\n";
        return 2;
    }
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    std::vector<std::string> problems;
    auto report =
        banking::LoadSandbox(*db, SandboxFile(config), as_of.empty() ? LocalIsoNow().substr(0, 10) : as_of, &problems);
    db->Close();
    if (!report) {
        for (const auto& p : problems) std::cerr << p << "\n";
        if (problems.empty()) std::cerr << "kefu: " << report.error().message << "\n";
        return 1;
    }
    std::cout << "sandbox bank loaded from " << SandboxFile(config) << " (today is " << report->as_of
              << "): " << report->customers << " customers, " << report->accounts << " accounts, " << report->cards
              << " cards, " << report->transactions << " transactions, " << report->transfers << " transfers, "
              << report->products << " products\n";
    return 0;
}

}  // namespace kefu::app
