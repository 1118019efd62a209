#pragma once
// What identity verification needs beyond the conversation: a way to send one-time codes (the SMS channel)
// and a durable per-customer record of failures, lockouts and the marketing opt-out. The verification
// dialogue itself is in manager.cpp (docs/flows.md, "Verification").

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace kefu::storage::sqlite {
class Database;
}

namespace kefu::flow {

// The SMS channel as verification sees it. Implementations are thread-safe and must not block for long.
class SmsSender {
  public:
    virtual ~SmsSender() = default;
    virtual void Send(const std::string& phone_e164, const std::string& text) = 0;
};

// The sandbox's SMS "gateway": nothing leaves the machine. It keeps the last message per phone (for
// `kefu chat` and tests) and writes it to the log only when `show_in_log` is set, which the server allows
// only in development (log.level debug and the sandbox bank); production logs never carry a code.
class SandboxSms final : public SmsSender {
  public:
    explicit SandboxSms(bool show_in_log) : show_in_log_(show_in_log) {}
    void Send(const std::string& phone_e164, const std::string& text) override;
    std::string Last(const std::string& phone_e164) const;

  private:
    bool show_in_log_;
    mutable std::mutex mu_;
    std::map<std::string, std::string> last_;  // guarded by mu_
};

// Durable per-customer verification failures and lockouts, and the marketing opt-out. Thread-safe; calls
// block on storage (the dialogue runs on worker threads).
class CustomerGuard {
  public:
    virtual ~CustomerGuard() = default;
    virtual UnixMillis LockedUntil(const std::string& customer) = 0;
    // Counts a failure; at `lock_after` failures locks until now + lock_for and resets the count. Returns
    // the lock's end, or 0 when not locked.
    virtual UnixMillis RecordFailure(const std::string& customer, UnixMillis now, int lock_after,
                                     UnixMillis lock_for) = 0;
    virtual void ClearFailures(const std::string& customer, UnixMillis now) = 0;
    virtual bool OptedOut(const std::string& customer) = 0;
    virtual void SetOptOut(const std::string& customer, UnixMillis now) = 0;
};

std::unique_ptr<CustomerGuard> MakeSqliteCustomerGuard(storage::sqlite::Database& db);

}  // namespace kefu::flow
