#pragma once
// The core-banking adapter: what the bot may ask of (and do in) the bank's core system. Two
// implementations: SandboxBank (the demo bank, stored in Kefu's own database; banking/sandbox_bank.hpp)
// and HttpCoreBank (a real core system over HTTP/JSON; banking/http_bank.hpp, contract in
// docs/core-banking-http.md).
//
// Calls are synchronous and may block for up to CallContext::timeout, retries included: the dialogue runs
// them on its worker threads, never on an I/O thread. Implementations are thread-safe.
//
// Errors: kNotFound (no such customer/card/transfer for this customer), kUpstreamTimeout (the core did not
// answer in time), kUnavailable (the core answered with an error, or the circuit breaker is open),
// kInvalidArgument (a request the core refused as malformed). Business outcomes that are not failures
// ("the card is already frozen") are values, not errors: see CardActionResult.
//
// Money is an integer count of cents (minor units × 100 for every currency, JPY included, so "1234.00"
// JPY is 123400) with an ISO currency code. Customer data returned here is sensitive: never log it
// unmasked (core/pii.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace kefu::banking {

struct Money {
    std::int64_t cents = 0;
    std::string currency = "CNY";  // CNY | USD | HKD | JPY | ...
    friend bool operator==(const Money&, const Money&) = default;
};

// "52340.18" → 5234018. nullopt unless the text is an optionally signed decimal with at most two decimals.
std::optional<std::int64_t> ParseCents(std::string_view text);
// 5234018 → "52340.18"; -5 → "-0.05".
std::string FormatCents(std::int64_t cents);

// Text in both languages, as the bank holds it (names, descriptions).
struct Bilingual {
    std::string zh;
    std::string en;
    const std::string& In(std::string_view language) const { return language == "en" ? en : zh; }
};

// Per call: who is asking and how long to wait. The idempotency key makes a retried write harmless
// (the same key twice performs the operation once and returns the first outcome).
struct CallContext {
    std::string request_id;  // for logs and the core's traces
    std::chrono::milliseconds timeout{3000};
    std::string idempotency_key;  // writes only; empty for reads
};

struct CustomerProfile {
    std::string id;  // the customer reference (c1001)
    Bilingual name;
    std::string preferred_language;  // zh | en
    std::string birth_date;          // YYYY-MM-DD
    std::string phone;               // E.164
    std::string risk_level;          // R1..R5
    std::string segment;             // mass | affluent | private
    bool marketing_opt_out = false;
    bool app_user = false;
};

struct Account {
    std::string id;
    std::string number;  // full number: sensitive
    std::string last4;
    std::string type;  // savings | current | fixed_deposit
    Money balance;
    std::string status;  // active | dormant | closed
    std::string opened;  // YYYY-MM-DD
};

struct Card {
    std::string id;
    std::string kind;  // debit | credit
    std::string last4;
    std::string account_id;  // debit: the linked account; credit: ""
    std::string status;      // active | frozen | lost | stolen | expired
    std::string expires;     // YYYY-MM
    // Credit cards only.
    std::optional<Money> credit_limit;
    std::optional<Money> statement_balance;  // owed on the latest statement
    std::optional<Money> minimum_due;
    std::optional<std::string> statement_date;  // the latest statement, YYYY-MM-DD
    std::optional<std::string> due_date;        // its due date, YYYY-MM-DD
};

struct Transaction {
    std::string id;
    std::string account_id;         // the account posted to ("" for a credit card transaction)
    std::string card_id;            // "" when not a card transaction
    std::string time;               // local ISO date-time, YYYY-MM-DDTHH:MM:SS
    Money amount;                   // negative for debits, in the posted currency
    std::optional<Money> original;  // the merchant's amount when another currency
    std::string kind;               // card | income | transfer | transfer_return | fee
    std::string merchant_id;        // "" unless a card transaction
    std::string category;           // merchant category (dining, online_shopping, ...) or ""
    Bilingual description;
};

struct TransactionQuery {
    std::string from;  // inclusive YYYY-MM-DD; "" = no bound
    std::string to;    // inclusive YYYY-MM-DD; "" = no bound
    std::string account_id;
    std::string card_id;
    std::string merchant;  // merchant id, or a name fragment in either language (matched case-insensitively)
    std::string category;
    bool debits_only = false;
    int limit = 20;  // most recent first; at most 500
};

struct TransactionPage {
    std::vector<Transaction> items;  // most recent first
    int total = 0;                   // matches before the limit
    // Sum of the matching transactions' amounts, per posted currency (before the limit).
    std::vector<Money> totals;
};

struct Transfer {
    std::string reference;
    std::string date;  // YYYY-MM-DD
    Bilingual to_name;
    std::string to_account_tail;
    Money amount;
    std::string status;  // completed | pending | failed | returned
    std::string channel;
    std::optional<Bilingual> reason;  // failed and returned
};

// The outcome of reporting a card lost or stolen, freezing or unfreezing it.
struct CardActionResult {
    // done | already (nothing to do: already frozen / active / blocked) | not_allowed (e.g. unfreeze a lost
    // card, or freeze an expired one)
    std::string outcome;
    Card card;                          // the card after the action
    std::string replacement_reference;  // report_lost with a replacement: its order reference
};

struct ComplaintRequest {
    std::string category;  // fees | card | transfer | service | fraud | other
    std::string description;
    std::string channel;
    std::string conversation_id;
    std::string language;
};

struct Complaint {
    std::string reference;  // CMP-…, shown to the customer
    std::string status;     // received
    std::string created_at;
    std::string category;
};

struct Product {
    std::string id;
    std::string type;  // deposit | wealth | card | loan | insurance
    Bilingual name;
    std::string risk;  // R1..R5
    std::string rate;  // "1.20%" or ""
    std::string currency;
    Money min_amount;
    Bilingual description;
};

class CoreBank {
  public:
    virtual ~CoreBank() = default;

    virtual Result<CustomerProfile> Profile(const CallContext& ctx, const std::string& customer) = 0;
    // For verification: the customer whose registered mobile is `phone` (E.164), or kNotFound.
    virtual Result<CustomerProfile> FindByPhone(const CallContext& ctx, const std::string& phone) = 0;
    // For verification: the customer holding a card ending `last4` whose birth date is `birth_date`
    // (YYYY-MM-DD), or kNotFound. Both must match.
    virtual Result<CustomerProfile> FindByCardAndBirthDate(const CallContext& ctx, const std::string& last4,
                                                           const std::string& birth_date) = 0;

    virtual Result<std::vector<Account>> Accounts(const CallContext& ctx, const std::string& customer) = 0;
    virtual Result<TransactionPage> Transactions(const CallContext& ctx, const std::string& customer,
                                                 const TransactionQuery& query) = 0;
    virtual Result<std::vector<Card>> Cards(const CallContext& ctx, const std::string& customer) = 0;

    // Blocks the card for good ("lost" or "stolen") and, if `replace`, orders a replacement.
    virtual Result<CardActionResult> ReportLost(const CallContext& ctx, const std::string& customer,
                                                const std::string& card_id, const std::string& reason,
                                                bool replace) = 0;
    virtual Result<CardActionResult> Freeze(const CallContext& ctx, const std::string& customer,
                                            const std::string& card_id) = 0;
    virtual Result<CardActionResult> Unfreeze(const CallContext& ctx, const std::string& customer,
                                              const std::string& card_id) = 0;

    // By reference; or the most recent transfer when `reference` is empty. kNotFound if none.
    virtual Result<Transfer> TransferStatus(const CallContext& ctx, const std::string& customer,
                                            const std::string& reference) = 0;

    virtual Result<Complaint> CreateComplaint(const CallContext& ctx, const std::string& customer,
                                              const ComplaintRequest& request) = 0;

    virtual Result<std::vector<Product>> Products(const CallContext& ctx) = 0;
};

}  // namespace kefu::banking
