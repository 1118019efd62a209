#pragma once
// Reads the sandbox bank's seed file (packs/demo/bank/sandbox.yaml) into a plain model, checks every rule of
// packs/demo/bank/README.md ("What a loader must reject" and the schema tables), and generates six months of
// transactions from it. No database here: banking/sandbox_bank.hpp stores the model.
//
// Determinism: the generated transactions depend only on the file's content (and on `as_of`, which moves
// every date by the same number of days). Loading the same file twice gives identical data, on any
// platform: the generator is splitmix64 seeded from a 64-bit FNV-1a hash of the customer id, the line's
// index and the period, never the clock or a standard-library distribution.
//
// The model holds full account and card numbers and identity documents: never log them unmasked.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "banking/core_bank.hpp"
#include "core/error.hpp"

namespace kefu::banking {

struct SandboxCustomer {
    CustomerProfile profile;
    std::optional<std::string> id_number;  // 18-character resident ID (or foreign permanent resident ID)
    std::optional<std::string> passport;   // exactly one of id_number and passport is set
    std::string email;
    Bilingual notes;  // for testers; never shown to customers
};

struct SandboxAccount {
    std::string customer_id;
    Account account;  // balance on the (shifted) reference date; number is the full number
};

struct SandboxCard {
    std::string customer_id;
    std::string number;     // full number: sensitive
    int statement_day = 0;  // credit cards only, 1..28
    int due_day = 0;        // credit cards only, 1..28
    Card card;              // credit cards: statement_date and due_date computed relative to as_of
};

struct SandboxIncome {
    std::string customer_id;
    Bilingual description;
    Money amount;  // in the account's currency
    int day = 1;   // of every month
    std::string account_id;
};

struct SandboxSpending {
    std::string customer_id;
    std::string merchant_id;
    int per_month = 0;
    Money min;  // both in the merchant's currency
    Money max;
    std::string card_id;
};

struct SandboxTransfer {
    std::string customer_id;
    std::string account_id;  // the paying account: the first active, non-fixed-deposit account in the currency
    Transfer transfer;       // date shifted by as_of; the reference is an identifier and never changes
};

struct SandboxExtraTransaction {
    std::string customer_id;
    std::string date;  // YYYY-MM-DD, shifted by as_of
    std::string merchant_id;
    Money amount;  // in the merchant's currency
    std::string card_id;
};

struct SandboxMerchant {
    std::string id;
    Bilingual name;
    std::string category;
    std::string country;   // ISO 3166 alpha-2
    std::string currency;  // the currency it bills in
};

struct SandboxProduct {
    Product product;
    std::string suits_json;  // the `suits` mapping as a JSON object, for the recommender
};

struct SandboxTransaction {
    std::string customer_id;
    Transaction transaction;
    // The account's balance after this transaction; nullopt for credit-card transactions (no account).
    std::optional<std::int64_t> balance_after_cents;
};

struct SandboxData {
    std::string reference_date;  // as written in the file
    std::string as_of;           // the sandbox's "today": reference_date shifted (equal to it by default)
    std::string fingerprint;     // SHA-256 (hex) of the file's bytes
    std::vector<SandboxCustomer> customers;
    std::vector<SandboxAccount> accounts;  // in file order (the order matters: transfers pay from the first)
    std::vector<SandboxCard> cards;
    std::vector<SandboxIncome> income;
    std::vector<SandboxSpending> spending;
    std::vector<SandboxTransfer> transfers;  // in file order: each customer's first is the most recent
    std::vector<SandboxExtraTransaction> extra_transactions;
    std::vector<SandboxMerchant> merchants;
    std::vector<SandboxProduct> products;
    // Generated: per customer, oldest first. Ids are "tx-<customer>-<5-digit sequence>" in time order.
    std::vector<SandboxTransaction> transactions;
};

struct SandboxLoadOptions {
    // The sandbox's "today", YYYY-MM-DD. Empty (the default): the file's reference_date. Otherwise every date
    // in the data (transactions, transfers, statements, accounts' opening dates; not card expiry, birth dates
    // or transfer references) moves by the whole number of days between reference_date and as_of, so a demo
    // started on a later day still has "last month" transactions.
    std::string as_of;
};

// Parses and checks `yaml`, then generates the transactions. `file` labels the problems ("file:line: message").
// On any problem returns kImportInvalid; `problems`, when not null, receives all of them in line order. Problem
// texts name keys and ids, never card, account, ID or phone numbers. A malformed `as_of` is kInvalidArgument.
Result<SandboxData> ParseSandbox(std::string_view yaml, std::string_view file, const SandboxLoadOptions& options,
                                 std::vector<std::string>* problems = nullptr);

// Reads `path` and calls ParseSandbox. A missing or unreadable file is kNotFound.
Result<SandboxData> LoadSandboxFile(const std::string& path, const SandboxLoadOptions& options,
                                    std::vector<std::string>* problems = nullptr);

// The demo's fixed exchange rates: `cents` in currency `from` converted to `to`, rounded half up to the cent
// (USD 7.10, HKD 0.91, JPY 0.047 CNY per unit). nullopt for a currency without a rate.
std::optional<std::int64_t> ConvertCents(std::int64_t cents, std::string_view from, std::string_view to);

}  // namespace kefu::banking
