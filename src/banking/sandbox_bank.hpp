#pragma once
// The sandbox core bank: the demo bank kept in Kefu's own database (the bank_ tables, migration 0003),
// seeded from packs/demo/bank/sandbox.yaml by LoadSandbox. After loading, the database is the source of
// truth: a card frozen in a conversation stays frozen across restarts, until the file is loaded again.
//
// Thread-safe, like the Database it runs on. Every call blocks on the database (ReadAndWait/WriteAndWait),
// so callers are worker threads, never I/O threads or the storage threads. Writes run in the database's
// single writer, which serialises them: a card's check-then-change and a reference's sequence number are
// race-free without locks here.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "banking/core_bank.hpp"
#include "core/error.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::banking {

struct LoadReport {
    std::string fingerprint;     // SHA-256 (hex) of the file that was loaded
    std::string reference_date;  // as in the file
    std::string as_of;           // the sandbox's "today" after shifting
    int customers = 0;
    int accounts = 0;
    int cards = 0;
    int transactions = 0;
    int transfers = 0;
    int merchants = 0;
    int products = 0;
};

// Reads and checks `yaml_path` (banking/sandbox_loader.hpp), then replaces the content of every bank_ table
// in one write transaction: either the whole new sandbox is visible or the old one is untouched. Complaints,
// replacement orders and stored idempotency outcomes are reset with it. `as_of` (YYYY-MM-DD) moves the data's
// dates so that the sandbox's "today" is that day; nullopt keeps the file's reference_date.
// A file with problems is kImportInvalid; `problems`, when not null, receives every "file:line: message".
Result<LoadReport> LoadSandbox(storage::sqlite::Database& db, const std::string& yaml_path,
                               std::optional<std::string> as_of, std::vector<std::string>* problems = nullptr);

// True iff a sandbox has been loaded into `db` (and not since replaced by nothing).
Result<bool> SandboxIsLoaded(storage::sqlite::Database& db);

struct SandboxBankOptions {
    // The local date-time now, "YYYY-MM-DDTHH:MM:SS". It dates complaints and card changes and names references
    // (CMP-YYYYMMDD-…, RPL-YYYYMMDD-…). Default (empty): the wall clock.
    std::function<std::string()> now;
};

// CoreBank over the bank_ tables. CallContext::timeout is not used: the database is local. Business outcomes:
// - ReportLost (reason lost | stolen): an active or frozen card becomes lost/stolen for good ("done"); a card
//   already lost or stolen is "already" (and with `replace`, a replacement is ordered if none was); an expired
//   card is "not_allowed". `replace` orders a replacement with reference RPL-YYYYMMDD-NNNNNN.
// - Freeze: active → frozen ("done"); frozen → "already"; lost, stolen or expired → "not_allowed".
// - Unfreeze: frozen → active ("done"); active → "already"; lost, stolen or expired → "not_allowed".
// - A write with a non-empty CallContext::idempotency_key is performed once per key; a retry returns the first
//   outcome. The same key for a different request is kConflict.
class SandboxBank final : public CoreBank {
  public:
    // `db` must outlive the bank.
    explicit SandboxBank(storage::sqlite::Database& db, SandboxBankOptions options = {});

    Result<CustomerProfile> Profile(const CallContext& ctx, const std::string& customer) override;
    Result<CustomerProfile> FindByPhone(const CallContext& ctx, const std::string& phone) override;
    Result<CustomerProfile> FindByCardAndBirthDate(const CallContext& ctx, const std::string& last4,
                                                   const std::string& birth_date) override;

    Result<std::vector<Account>> Accounts(const CallContext& ctx, const std::string& customer) override;
    Result<TransactionPage> Transactions(const CallContext& ctx, const std::string& customer,
                                         const TransactionQuery& query) override;
    Result<std::vector<Card>> Cards(const CallContext& ctx, const std::string& customer) override;

    Result<CardActionResult> ReportLost(const CallContext& ctx, const std::string& customer, const std::string& card_id,
                                        const std::string& reason, bool replace) override;
    Result<CardActionResult> Freeze(const CallContext& ctx, const std::string& customer,
                                    const std::string& card_id) override;
    Result<CardActionResult> Unfreeze(const CallContext& ctx, const std::string& customer,
                                      const std::string& card_id) override;

    Result<Transfer> TransferStatus(const CallContext& ctx, const std::string& customer,
                                    const std::string& reference) override;

    Result<Complaint> CreateComplaint(const CallContext& ctx, const std::string& customer,
                                      const ComplaintRequest& request) override;

    Result<std::vector<Product>> Products(const CallContext& ctx) override;

  private:
    enum class CardAction { kReportLost, kFreeze, kUnfreeze };
    Result<CardActionResult> ChangeCard(const CallContext& ctx, const std::string& customer, const std::string& card_id,
                                        CardAction action, const std::string& reason, bool replace);
    std::string Now() const;

    storage::sqlite::Database& db_;
    SandboxBankOptions options_;
};

}  // namespace kefu::banking
