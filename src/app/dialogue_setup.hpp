#pragma once
// The dialogue manager's start-up, shared by `kefu serve` and `kefu chat`: the core-banking adapter chosen
// by bank.adapter (the sandbox bank is loaded from the pack into the database on first start), the SMS
// sender for one-time codes, and the per-customer guard (lockouts, marketing opt-out).

#include <memory>

#include "app/config.hpp"
#include "banking/core_bank.hpp"
#include "core/error.hpp"
#include "flow/manager.hpp"
#include "flow/verification.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::app {

struct DialogueRuntime {
    std::shared_ptr<banking::CoreBank> bank;        // null when bank.adapter = none
    std::shared_ptr<flow::SandboxSms> sandbox_sms;  // the sandbox's SMS outbox
    std::shared_ptr<flow::CustomerGuard> guard;
    flow::ManagerOptions options;
};

// Fails with a clear message for an unusable configuration (http without a base URL, OTPs in the log
// outside the sandbox, unreadable token or TLS files) or a sandbox file with problems ("file:line: ...").
Result<DialogueRuntime> SetUpDialogue(const Config& config, storage::sqlite::Database& db);

// `kefu bank reset`: reloads the sandbox bank from its file (every change made in conversations is lost),
// dated so that its "today" is `as_of` (YYYY-MM-DD; empty = today). Problems are printed as file:line.
int BankReset(const Config& config, const std::string& as_of);

// The sandbox file the configuration names (bank.sandbox_file, else <pack>/bank/sandbox.yaml).
std::string SandboxFile(const Config& config);

}  // namespace kefu::app
