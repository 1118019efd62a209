#include "flow/verification.hpp"

#include "core/log.hpp"
#include "core/pii.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::flow {

using storage::sqlite::Connection;

void SandboxSms::Send(const std::string& phone, const std::string& text) {
    {
        std::lock_guard lock(mu_);
        last_[phone] = text;
    }
    if (show_in_log_) {
        // Development only (see the class comment): the text carries the code so a tester can type it.
        log::Info("sandbox sms", {{"to", MaskPii(phone)}, {"text", text}});
    } else {
        log::Info("sandbox sms", {{"to", MaskPii(phone)}});
    }
}

std::string SandboxSms::Last(const std::string& phone) const {
    std::lock_guard lock(mu_);
    auto it = last_.find(phone);
    return it == last_.end() ? std::string() : it->second;
}

namespace {

class SqliteCustomerGuard final : public CustomerGuard {
  public:
    explicit SqliteCustomerGuard(storage::sqlite::Database& db) : db_(db) {}

    UnixMillis LockedUntil(const std::string& customer) override {
        auto r = db_.ReadAndWait<UnixMillis>([&](Connection& c) -> Result<UnixMillis> {
            auto& s = c.Prepare("SELECT locked_until FROM customer_guard WHERE customer_ref = ?");
            s.Bind(1, customer);
            UnixMillis v = s.Step() ? s.Int(0) : 0;
            s.Reset();
            return v;
        });
        return r ? r.value() : 0;
    }

    UnixMillis RecordFailure(const std::string& customer, UnixMillis now, int lock_after,
                             UnixMillis lock_for) override {
        auto r = db_.WriteAndWait<UnixMillis>([&](Connection& c) -> Result<UnixMillis> {
            auto& s = c.Prepare(
                "INSERT INTO customer_guard(customer_ref, failures, updated_at) VALUES (?, 1, ?) "
                "ON CONFLICT(customer_ref) DO UPDATE SET failures = failures + 1, updated_at = excluded.updated_at "
                "RETURNING failures");
            s.Bind(1, customer).Bind(2, now);
            std::int64_t failures = s.Step() ? s.Int(0) : 0;
            s.Reset();
            if (failures < lock_after) return UnixMillis{0};
            UnixMillis until = now + lock_for;
            c.Prepare("UPDATE customer_guard SET failures = 0, locked_until = ? WHERE customer_ref = ?")
                .Bind(1, until)
                .Bind(2, customer)
                .Run();
            return until;
        });
        return r ? r.value() : 0;
    }

    void ClearFailures(const std::string& customer, UnixMillis now) override {
        (void)db_.WriteAndWait<bool>([&](Connection& c) -> Result<bool> {
            c.Prepare("UPDATE customer_guard SET failures = 0, updated_at = ? WHERE customer_ref = ?")
                .Bind(1, now)
                .Bind(2, customer)
                .Run();
            return true;
        });
    }

    bool OptedOut(const std::string& customer) override {
        auto r = db_.ReadAndWait<bool>([&](Connection& c) -> Result<bool> {
            auto& s = c.Prepare("SELECT marketing_opt_out FROM customer_guard WHERE customer_ref = ?");
            s.Bind(1, customer);
            bool v = s.Step() && s.Int(0) != 0;
            s.Reset();
            return v;
        });
        return r && r.value();
    }

    void SetOptOut(const std::string& customer, UnixMillis now) override {
        (void)db_.WriteAndWait<bool>([&](Connection& c) -> Result<bool> {
            c.Prepare(
                 "INSERT INTO customer_guard(customer_ref, marketing_opt_out, updated_at) VALUES (?, 1, ?) "
                 "ON CONFLICT(customer_ref) DO UPDATE SET marketing_opt_out = 1, updated_at = excluded.updated_at")
                .Bind(1, customer)
                .Bind(2, now)
                .Run();
            return true;
        });
    }

  private:
    storage::sqlite::Database& db_;
};

}  // namespace

std::unique_ptr<CustomerGuard> MakeSqliteCustomerGuard(storage::sqlite::Database& db) {
    return std::make_unique<SqliteCustomerGuard>(db);
}

}  // namespace kefu::flow
