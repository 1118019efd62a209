#include "banking/sandbox_bank.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>

#include "banking/sandbox_loader.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"

namespace kefu::banking {

using storage::sqlite::Connection;
using storage::sqlite::Statement;

namespace {

namespace json = boost::json;

Error NotFound(std::string_view what) { return Error{ErrorCode::kNotFound, fmt::format("no such {}", what)}; }

std::optional<std::int64_t> OptCents(const std::optional<Money>& m) {
    return m ? std::optional<std::int64_t>(m->cents) : std::nullopt;
}
std::optional<std::string> NonEmpty(const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); }

// ------------------------------------------------------------------------------------------- loading

// Every bank_ table, children before parents (foreign keys are on).
constexpr std::string_view kClearBank =
    "DELETE FROM bank_idempotency; DELETE FROM bank_complaints; DELETE FROM bank_transactions; "
    "DELETE FROM bank_transfers; DELETE FROM bank_cards; DELETE FROM bank_accounts; DELETE FROM bank_customers; "
    "DELETE FROM bank_merchants; DELETE FROM bank_products; DELETE FROM bank_meta;";

void InsertCustomers(Connection& c, const SandboxData& d) {
    for (const auto& cu : d.customers) {
        const CustomerProfile& p = cu.profile;
        c.Prepare(
             "INSERT INTO bank_customers(id, name_zh, name_en, preferred_language, birth_date, phone, id_number, "
             "passport, email, risk_level, segment, marketing_opt_out, app_user, notes_zh, notes_en) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(1, p.id)
            .Bind(2, p.name.zh)
            .Bind(3, p.name.en)
            .Bind(4, p.preferred_language)
            .Bind(5, p.birth_date)
            .Bind(6, p.phone)
            .Bind(7, cu.id_number)
            .Bind(8, cu.passport)
            .Bind(9, cu.email)
            .Bind(10, p.risk_level)
            .Bind(11, p.segment)
            .Bind(12, std::int64_t{p.marketing_opt_out})
            .Bind(13, std::int64_t{p.app_user})
            .Bind(14, cu.notes.zh)
            .Bind(15, cu.notes.en)
            .Run();
    }
}

// Position within the customer's list, as written in the file.
class Positions {
  public:
    std::int64_t Next(const std::string& customer) { return next_[customer]++; }

  private:
    std::map<std::string, std::int64_t> next_;
};

void InsertAccounts(Connection& c, const SandboxData& d) {
    Positions pos;
    for (const auto& sa : d.accounts) {
        const Account& a = sa.account;
        c.Prepare(
             "INSERT INTO bank_accounts(id, customer_id, position, number, last4, type, currency, balance_cents, "
             "status, opened) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(1, a.id)
            .Bind(2, sa.customer_id)
            .Bind(3, pos.Next(sa.customer_id))
            .Bind(4, a.number)
            .Bind(5, a.last4)
            .Bind(6, a.type)
            .Bind(7, a.balance.currency)
            .Bind(8, a.balance.cents)
            .Bind(9, a.status)
            .Bind(10, a.opened)
            .Run();
    }
}

void InsertCards(Connection& c, const SandboxData& d) {
    Positions pos;
    for (const auto& sc : d.cards) {
        const Card& k = sc.card;
        bool credit = k.kind == "credit";
        c.Prepare(
             "INSERT INTO bank_cards(id, customer_id, position, kind, number, last4, account_id, status, expires, "
             "credit_limit_cents, statement_day, due_day, statement_balance_cents, minimum_due_cents, "
             "statement_date, due_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(1, k.id)
            .Bind(2, sc.customer_id)
            .Bind(3, pos.Next(sc.customer_id))
            .Bind(4, k.kind)
            .Bind(5, sc.number)
            .Bind(6, k.last4)
            .Bind(7, NonEmpty(k.account_id))
            .Bind(8, k.status)
            .Bind(9, k.expires)
            .Bind(10, OptCents(k.credit_limit))
            .Bind(11, credit ? std::optional<std::int64_t>(sc.statement_day) : std::nullopt)
            .Bind(12, credit ? std::optional<std::int64_t>(sc.due_day) : std::nullopt)
            .Bind(13, OptCents(k.statement_balance))
            .Bind(14, OptCents(k.minimum_due))
            .Bind(15, k.statement_date)
            .Bind(16, k.due_date)
            .Run();
    }
}

void InsertMerchants(Connection& c, const SandboxData& d) {
    for (const auto& m : d.merchants) {
        c.Prepare(
             "INSERT INTO bank_merchants(id, name_zh, name_en, category, country, currency) "
             "VALUES (?, ?, ?, ?, ?, ?)")
            .Bind(1, m.id)
            .Bind(2, m.name.zh)
            .Bind(3, m.name.en)
            .Bind(4, m.category)
            .Bind(5, m.country)
            .Bind(6, m.currency)
            .Run();
    }
}

void InsertTransactions(Connection& c, const SandboxData& d) {
    for (const auto& st : d.transactions) {
        const Transaction& t = st.transaction;
        c.Prepare(
             "INSERT INTO bank_transactions(id, customer_id, account_id, card_id, time, amount_cents, currency, "
             "original_cents, original_currency, kind, merchant_id, category, description_zh, description_en, "
             "balance_after_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(1, t.id)
            .Bind(2, st.customer_id)
            .Bind(3, t.account_id)
            .Bind(4, t.card_id)
            .Bind(5, t.time)
            .Bind(6, t.amount.cents)
            .Bind(7, t.amount.currency)
            .Bind(8, OptCents(t.original))
            .Bind(9, t.original ? std::optional(t.original->currency) : std::nullopt)
            .Bind(10, t.kind)
            .Bind(11, t.merchant_id)
            .Bind(12, t.category)
            .Bind(13, t.description.zh)
            .Bind(14, t.description.en)
            .Bind(15, st.balance_after_cents)
            .Run();
    }
}

void InsertTransfers(Connection& c, const SandboxData& d) {
    Positions pos;
    for (const auto& st : d.transfers) {
        const Transfer& t = st.transfer;
        c.Prepare(
             "INSERT INTO bank_transfers(reference, customer_id, position, account_id, date, to_name_zh, to_name_en, "
             "to_account_tail, amount_cents, currency, status, channel, reason_zh, reason_en) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(1, t.reference)
            .Bind(2, st.customer_id)
            .Bind(3, pos.Next(st.customer_id))
            .Bind(4, st.account_id)
            .Bind(5, t.date)
            .Bind(6, t.to_name.zh)
            .Bind(7, t.to_name.en)
            .Bind(8, t.to_account_tail)
            .Bind(9, t.amount.cents)
            .Bind(10, t.amount.currency)
            .Bind(11, t.status)
            .Bind(12, t.channel)
            .Bind(13, t.reason ? std::optional(t.reason->zh) : std::nullopt)
            .Bind(14, t.reason ? std::optional(t.reason->en) : std::nullopt)
            .Run();
    }
}

void InsertProducts(Connection& c, const SandboxData& d) {
    std::int64_t position = 0;
    for (const auto& sp : d.products) {
        const Product& p = sp.product;
        c.Prepare(
             "INSERT INTO bank_products(id, position, type, name_zh, name_en, risk, rate, currency, "
             "min_amount_cents, description_zh, description_en, suits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(1, p.id)
            .Bind(2, position++)
            .Bind(3, p.type)
            .Bind(4, p.name.zh)
            .Bind(5, p.name.en)
            .Bind(6, p.risk)
            .Bind(7, p.rate)
            .Bind(8, p.currency)
            .Bind(9, p.min_amount.cents)
            .Bind(10, p.description.zh)
            .Bind(11, p.description.en)
            .Bind(12, sp.suits_json)
            .Run();
    }
}

void InsertMeta(Connection& c, const std::string& key, const std::string& value) {
    c.Prepare("INSERT INTO bank_meta(key, value) VALUES (?, ?)").Bind(1, key).Bind(2, value).Run();
}

LoadReport ReportOf(const SandboxData& d) {
    auto n = [](const auto& v) { return static_cast<int>(v.size()); };
    return LoadReport{d.fingerprint, d.reference_date,  d.as_of,        n(d.customers), n(d.accounts),
                      n(d.cards),    n(d.transactions), n(d.transfers), n(d.merchants), n(d.products)};
}

// ------------------------------------------------------------------------------------------- reading

constexpr std::string_view kProfileColumns =
    "id, name_zh, name_en, preferred_language, birth_date, phone, risk_level, segment, marketing_opt_out, app_user";

CustomerProfile ReadProfile(const Statement& s) {
    CustomerProfile p;
    p.id = s.Text(0);
    p.name = {s.Text(1), s.Text(2)};
    p.preferred_language = s.Text(3);
    p.birth_date = s.Text(4);
    p.phone = s.Text(5);
    p.risk_level = s.Text(6);
    p.segment = s.Text(7);
    p.marketing_opt_out = s.Int(8) != 0;
    p.app_user = s.Int(9) != 0;
    return p;
}

// Runs a query expected to return at most one profile.
Result<CustomerProfile> OneProfile(Statement& s) {
    std::optional<CustomerProfile> p;
    if (s.Step()) p = ReadProfile(s);
    s.Reset();
    if (!p) return NotFound("customer");
    return std::move(*p);
}

bool CustomerExists(Connection& c, const std::string& customer) {
    auto& s = c.Prepare("SELECT 1 FROM bank_customers WHERE id = ?").Bind(1, customer);
    bool found = s.Step();
    s.Reset();
    return found;
}

constexpr std::string_view kCardColumns =
    "id, kind, last4, COALESCE(account_id, ''), status, expires, credit_limit_cents, statement_balance_cents, "
    "minimum_due_cents, statement_date, due_date";

std::optional<Money> OptMoney(const Statement& s, int col) {
    if (s.IsNull(col)) return std::nullopt;
    return Money{s.Int(col), "CNY"};  // credit cards are in CNY
}

Card ReadCard(const Statement& s) {
    Card k;
    k.id = s.Text(0);
    k.kind = s.Text(1);
    k.last4 = s.Text(2);
    k.account_id = s.Text(3);
    k.status = s.Text(4);
    k.expires = s.Text(5);
    k.credit_limit = OptMoney(s, 6);
    k.statement_balance = OptMoney(s, 7);
    k.minimum_due = OptMoney(s, 8);
    k.statement_date = s.OptText(9);
    k.due_date = s.OptText(10);
    return k;
}

std::optional<Card> FindCard(Connection& c, const std::string& customer, const std::string& card_id) {
    static const std::string kSql =
        fmt::format("SELECT {} FROM bank_cards WHERE id = ? AND customer_id = ?", kCardColumns);
    auto& s = c.Prepare(kSql).Bind(1, card_id).Bind(2, customer);
    std::optional<Card> card;
    if (s.Step()) card = ReadCard(s);
    s.Reset();
    return card;
}

bool OwnsAccount(Connection& c, const std::string& customer, const std::string& account_id) {
    auto& s =
        c.Prepare("SELECT 1 FROM bank_accounts WHERE id = ? AND customer_id = ?").Bind(1, account_id).Bind(2, customer);
    bool found = s.Step();
    s.Reset();
    return found;
}

Transaction ReadTransaction(const Statement& s) {
    Transaction t;
    t.id = s.Text(0);
    t.account_id = s.Text(1);
    t.card_id = s.Text(2);
    t.time = s.Text(3);
    t.amount = Money{s.Int(4), s.Text(5)};
    if (!s.IsNull(6)) t.original = Money{s.Int(6), s.Text(7)};
    t.kind = s.Text(8);
    t.merchant_id = s.Text(9);
    t.category = s.Text(10);
    t.description = {s.Text(11), s.Text(12)};
    return t;
}

// One WHERE clause for the page and its totals. Numbered parameters: an empty filter matches everything.
// The merchant matches its id, or a fragment of its English name (case-insensitively) or its Chinese name.
constexpr std::string_view kTransactionFilter =
    "WHERE customer_id = ?1 AND (?2 = '' OR substr(time, 1, 10) >= ?2) AND (?3 = '' OR substr(time, 1, 10) <= ?3) "
    "AND (?4 = '' OR account_id = ?4) AND (?5 = '' OR card_id = ?5) "
    "AND (?6 = '' OR merchant_id IN (SELECT id FROM bank_merchants WHERE id = lower(?6) "
    "OR instr(lower(name_en), lower(?6)) > 0 OR instr(name_zh, ?6) > 0)) "
    "AND (?7 = '' OR category = ?7) AND (?8 = 0 OR amount_cents < 0)";

void BindFilter(Statement& s, const std::string& customer, const TransactionQuery& q) {
    s.Bind(1, customer)
        .Bind(2, q.from)
        .Bind(3, q.to)
        .Bind(4, q.account_id)
        .Bind(5, q.card_id)
        .Bind(6, q.merchant)
        .Bind(7, q.category)
        .Bind(8, std::int64_t{q.debits_only});
}

TransactionPage QueryTransactions(Connection& c, const std::string& customer, const TransactionQuery& q) {
    static const std::string kTotals = fmt::format(
        "SELECT currency, SUM(amount_cents), COUNT(*) FROM bank_transactions {} GROUP BY currency ORDER BY currency",
        kTransactionFilter);
    static const std::string kItems = fmt::format(
        "SELECT id, account_id, card_id, time, amount_cents, currency, original_cents, original_currency, kind, "
        "merchant_id, category, description_zh, description_en FROM bank_transactions {} "
        "ORDER BY time DESC, id DESC LIMIT ?9",
        kTransactionFilter);
    TransactionPage page;
    auto& totals = c.Prepare(kTotals);
    BindFilter(totals, customer, q);
    while (totals.Step()) {
        page.totals.push_back(Money{totals.Int(1), totals.Text(0)});
        page.total += static_cast<int>(totals.Int(2));
    }
    auto& items = c.Prepare(kItems);
    BindFilter(items, customer, q);
    items.Bind(9, std::int64_t{std::clamp(q.limit, 0, 500)});
    while (items.Step()) page.items.push_back(ReadTransaction(items));
    return page;
}

Transfer ReadTransfer(const Statement& s) {
    Transfer t;
    t.reference = s.Text(0);
    t.date = s.Text(1);
    t.to_name = {s.Text(2), s.Text(3)};
    t.to_account_tail = s.Text(4);
    t.amount = Money{s.Int(5), s.Text(6)};
    t.status = s.Text(7);
    t.channel = s.Text(8);
    if (!s.IsNull(9)) t.reason = Bilingual{s.Text(9), s.Text(10)};
    return t;
}

// ------------------------------------------------------------------------------------------- writing

// The next reference "<kind>-YYYYMMDD-NNNNNN" for `now`'s date. `max_sql` selects the largest existing reference
// with the prefix given as ?1. Sequences are per day; the single writer makes check-and-insert race-free.
std::string NextReference(Connection& c, std::string_view max_sql, std::string_view kind, const std::string& now) {
    std::string prefix = fmt::format("{}-{}{}{}-", kind, now.substr(0, 4), now.substr(5, 2), now.substr(8, 2));
    auto& s = c.Prepare(max_sql).Bind(1, prefix);
    std::int64_t last = 0;
    if (s.Step() && !s.IsNull(0)) last = std::stoll(s.Text(0).substr(prefix.size()));
    s.Reset();
    return fmt::format("{}{:06}", prefix, last + 1);
}

std::string EnsureReplacement(Connection& c, const std::string& card_id, const std::string& now) {
    auto& existing = c.Prepare("SELECT replacement_reference FROM bank_cards WHERE id = ?").Bind(1, card_id);
    std::optional<std::string> reference = existing.Step() ? existing.OptText(0) : std::nullopt;
    existing.Reset();
    if (reference) return *reference;
    std::string next = NextReference(c,
                                     "SELECT MAX(replacement_reference) FROM bank_cards "
                                     "WHERE substr(replacement_reference, 1, 13) = ?1",
                                     "RPL", now);
    c.Prepare("UPDATE bank_cards SET replacement_reference = ?, updated_at = ? WHERE id = ?")
        .Bind(1, next)
        .Bind(2, now)
        .Bind(3, card_id)
        .Run();
    return next;
}

json::value MoneyJson(const std::optional<Money>& m) {
    if (!m) return nullptr;
    return json::object{{"cents", m->cents}, {"currency", m->currency}};
}
std::optional<Money> MoneyFrom(const json::value& v) {
    if (v.is_null()) return std::nullopt;
    return Money{v.at("cents").as_int64(), json::value_to<std::string>(v.at("currency"))};
}
json::value TextJson(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
std::optional<std::string> TextFrom(const json::value& v) {
    if (v.is_null()) return std::nullopt;
    return json::value_to<std::string>(v);
}

// Stored outcomes of idempotent writes.
json::value Encode(const CardActionResult& r) {
    const Card& k = r.card;
    return json::object{{"outcome", r.outcome},
                        {"replacement_reference", r.replacement_reference},
                        {"card", json::object{{"id", k.id},
                                              {"kind", k.kind},
                                              {"last4", k.last4},
                                              {"account_id", k.account_id},
                                              {"status", k.status},
                                              {"expires", k.expires},
                                              {"credit_limit", MoneyJson(k.credit_limit)},
                                              {"statement_balance", MoneyJson(k.statement_balance)},
                                              {"minimum_due", MoneyJson(k.minimum_due)},
                                              {"statement_date", TextJson(k.statement_date)},
                                              {"due_date", TextJson(k.due_date)}}}};
}
void Decode(const json::value& v, CardActionResult& r) {
    auto text = [](const json::value& o, std::string_view key) { return json::value_to<std::string>(o.at(key)); };
    r.outcome = text(v, "outcome");
    r.replacement_reference = text(v, "replacement_reference");
    const json::value& k = v.at("card");
    r.card = Card{text(k, "id"),
                  text(k, "kind"),
                  text(k, "last4"),
                  text(k, "account_id"),
                  text(k, "status"),
                  text(k, "expires"),
                  MoneyFrom(k.at("credit_limit")),
                  MoneyFrom(k.at("statement_balance")),
                  MoneyFrom(k.at("minimum_due")),
                  TextFrom(k.at("statement_date")),
                  TextFrom(k.at("due_date"))};
}
json::value Encode(const Complaint& c) {
    return json::object{
        {"reference", c.reference}, {"status", c.status}, {"created_at", c.created_at}, {"category", c.category}};
}
void Decode(const json::value& v, Complaint& c) {
    c.reference = json::value_to<std::string>(v.at("reference"));
    c.status = json::value_to<std::string>(v.at("status"));
    c.created_at = json::value_to<std::string>(v.at("created_at"));
    c.category = json::value_to<std::string>(v.at("category"));
}

// Runs `act` once per idempotency key (always when the key is empty). Runs inside the caller's write, so the
// outcome and its record commit together. `request` describes what was asked; a key reused for a different
// request is refused.
template <typename T, typename Act>
Result<T> Idempotent(Connection& c, const std::string& key, const std::string& request, const std::string& now,
                     Act act) {
    if (key.empty()) return act();
    auto& find = c.Prepare("SELECT request, result FROM bank_idempotency WHERE key = ?").Bind(1, key);
    std::optional<std::pair<std::string, std::string>> stored;
    if (find.Step()) stored.emplace(find.Text(0), find.Text(1));
    find.Reset();
    if (stored) {
        if (stored->first != request) {
            return Error{ErrorCode::kConflict, "this idempotency key was already used for a different request"};
        }
        T out;
        Decode(json::parse(stored->second), out);
        return out;
    }
    Result<T> result = act();
    if (!result.ok()) return result;
    c.Prepare("INSERT INTO bank_idempotency(key, request, result, created_at) VALUES (?, ?, ?, ?)")
        .Bind(1, key)
        .Bind(2, request)
        .Bind(3, json::serialize(Encode(result.value())))
        .Bind(4, now)
        .Run();
    return result;
}

constexpr std::array<std::string_view, 6> kComplaintCategories = {"fees",    "card",  "transfer",
                                                                  "service", "fraud", "other"};

}  // namespace

// ------------------------------------------------------------------------------------------ load API

Result<LoadReport> LoadSandbox(storage::sqlite::Database& db, const std::string& yaml_path,
                               std::optional<std::string> as_of, std::vector<std::string>* problems) {
    SandboxLoadOptions options;
    options.as_of = as_of.value_or("");
    auto data = LoadSandboxFile(yaml_path, options, problems);
    if (!data.ok()) return data.error();
    const SandboxData& d = data.value();
    std::string loaded_at = LocalIsoNow();
    auto report = db.WriteAndWait<LoadReport>([&](Connection& c) -> Result<LoadReport> {
        c.Exec(kClearBank);
        InsertCustomers(c, d);
        InsertAccounts(c, d);
        InsertCards(c, d);
        InsertMerchants(c, d);
        InsertTransactions(c, d);
        InsertTransfers(c, d);
        InsertProducts(c, d);
        InsertMeta(c, "fingerprint", d.fingerprint);
        InsertMeta(c, "source", yaml_path);
        InsertMeta(c, "reference_date", d.reference_date);
        InsertMeta(c, "as_of", d.as_of);
        InsertMeta(c, "loaded_at", loaded_at);
        return ReportOf(d);
    });
    if (report.ok()) {
        log::Info("sandbox bank loaded", {{"as_of", d.as_of},
                                          {"customers", report->customers},
                                          {"transactions", report->transactions},
                                          {"fingerprint", d.fingerprint.substr(0, 12)}});
    }
    return report;
}

Result<bool> SandboxIsLoaded(storage::sqlite::Database& db) {
    return db.ReadAndWait<bool>([](Connection& c) -> Result<bool> {
        auto& s = c.Prepare("SELECT 1 FROM bank_meta WHERE key = 'fingerprint'");
        bool loaded = s.Step();
        s.Reset();
        return loaded;
    });
}

// ------------------------------------------------------------------------------------------ the bank

SandboxBank::SandboxBank(storage::sqlite::Database& db, SandboxBankOptions options)
    : db_(db), options_(std::move(options)) {}

std::string SandboxBank::Now() const { return options_.now ? options_.now() : LocalIsoNow().substr(0, 19); }

Result<CustomerProfile> SandboxBank::Profile(const CallContext&, const std::string& customer) {
    return db_.ReadAndWait<CustomerProfile>([&](Connection& c) {
        static const std::string kSql = fmt::format("SELECT {} FROM bank_customers WHERE id = ?", kProfileColumns);
        return OneProfile(c.Prepare(kSql).Bind(1, customer));
    });
}

Result<CustomerProfile> SandboxBank::FindByPhone(const CallContext&, const std::string& phone) {
    return db_.ReadAndWait<CustomerProfile>([&](Connection& c) {
        static const std::string kSql = fmt::format("SELECT {} FROM bank_customers WHERE phone = ?", kProfileColumns);
        return OneProfile(c.Prepare(kSql).Bind(1, phone));
    });
}

// One query for both facts, and one answer when either is wrong: a caller learns nothing about which part
// failed (nor whether the card exists).
Result<CustomerProfile> SandboxBank::FindByCardAndBirthDate(const CallContext&, const std::string& last4,
                                                            const std::string& birth_date) {
    return db_.ReadAndWait<CustomerProfile>([&](Connection& c) {
        static const std::string kSql = fmt::format(
            "SELECT {} FROM bank_customers WHERE birth_date = ?2 AND id IN "
            "(SELECT customer_id FROM bank_cards WHERE last4 = ?1)",
            kProfileColumns);
        return OneProfile(c.Prepare(kSql).Bind(1, last4).Bind(2, birth_date));
    });
}

Result<std::vector<Account>> SandboxBank::Accounts(const CallContext&, const std::string& customer) {
    return db_.ReadAndWait<std::vector<Account>>([&](Connection& c) -> Result<std::vector<Account>> {
        if (!CustomerExists(c, customer)) return NotFound("customer");
        auto& s = c.Prepare(
                       "SELECT id, number, last4, type, balance_cents, currency, status, opened FROM bank_accounts "
                       "WHERE customer_id = ? ORDER BY position")
                      .Bind(1, customer);
        std::vector<Account> out;
        while (s.Step()) {
            out.push_back(
                Account{s.Text(0), s.Text(1), s.Text(2), s.Text(3), Money{s.Int(4), s.Text(5)}, s.Text(6), s.Text(7)});
        }
        return out;
    });
}

Result<TransactionPage> SandboxBank::Transactions(const CallContext&, const std::string& customer,
                                                  const TransactionQuery& query) {
    return db_.ReadAndWait<TransactionPage>([&](Connection& c) -> Result<TransactionPage> {
        if (!CustomerExists(c, customer)) return NotFound("customer");
        if (!query.card_id.empty() && !FindCard(c, customer, query.card_id)) return NotFound("card");
        if (!query.account_id.empty() && !OwnsAccount(c, customer, query.account_id)) return NotFound("account");
        return QueryTransactions(c, customer, query);
    });
}

Result<std::vector<Card>> SandboxBank::Cards(const CallContext&, const std::string& customer) {
    return db_.ReadAndWait<std::vector<Card>>([&](Connection& c) -> Result<std::vector<Card>> {
        if (!CustomerExists(c, customer)) return NotFound("customer");
        static const std::string kSql =
            fmt::format("SELECT {} FROM bank_cards WHERE customer_id = ? ORDER BY position", kCardColumns);
        auto& s = c.Prepare(kSql).Bind(1, customer);
        std::vector<Card> out;
        while (s.Step()) out.push_back(ReadCard(s));
        return out;
    });
}

Result<CardActionResult> SandboxBank::ReportLost(const CallContext& ctx, const std::string& customer,
                                                 const std::string& card_id, const std::string& reason, bool replace) {
    if (reason != "lost" && reason != "stolen") {
        return Error{ErrorCode::kInvalidArgument, "reason must be lost or stolen"};
    }
    return ChangeCard(ctx, customer, card_id, CardAction::kReportLost, reason, replace);
}

Result<CardActionResult> SandboxBank::Freeze(const CallContext& ctx, const std::string& customer,
                                             const std::string& card_id) {
    return ChangeCard(ctx, customer, card_id, CardAction::kFreeze, "", false);
}

Result<CardActionResult> SandboxBank::Unfreeze(const CallContext& ctx, const std::string& customer,
                                               const std::string& card_id) {
    return ChangeCard(ctx, customer, card_id, CardAction::kUnfreeze, "", false);
}

namespace {

struct Transition {
    std::string outcome;  // done | already | not_allowed
    std::string status;   // the card's status afterwards
};

// The card state machine: frozen is reversible; lost and stolen are final; expired allows nothing.
Transition Decide(std::string_view action, const std::string& status, const std::string& reason) {
    bool blocked = status == "lost" || status == "stolen";
    if (action == "report_lost") {
        if (status == "active" || status == "frozen") return {"done", reason};
        return {blocked ? "already" : "not_allowed", status};
    }
    if (action == "freeze") {
        if (status == "active") return {"done", "frozen"};
        return {status == "frozen" ? "already" : "not_allowed", status};
    }
    if (status == "frozen") return {"done", "active"};  // unfreeze
    return {status == "active" ? "already" : "not_allowed", status};
}

}  // namespace

Result<CardActionResult> SandboxBank::ChangeCard(const CallContext& ctx, const std::string& customer,
                                                 const std::string& card_id, CardAction action,
                                                 const std::string& reason, bool replace) {
    std::string_view name = action == CardAction::kReportLost ? "report_lost"
                            : action == CardAction::kFreeze   ? "freeze"
                                                              : "unfreeze";
    std::string request = fmt::format("{}|{}|{}|{}|{}", name, customer, card_id, reason, replace);
    std::string now = Now();
    return db_.WriteAndWait<CardActionResult>([&](Connection& c) {
        return Idempotent<CardActionResult>(c, ctx.idempotency_key, request, now, [&]() -> Result<CardActionResult> {
            auto card = FindCard(c, customer, card_id);
            if (!card) return NotFound("card");
            Transition t = Decide(name, card->status, reason);
            if (t.status != card->status) {
                c.Prepare("UPDATE bank_cards SET status = ?, updated_at = ? WHERE id = ?")
                    .Bind(1, t.status)
                    .Bind(2, now)
                    .Bind(3, card_id)
                    .Run();
            }
            CardActionResult out;
            out.outcome = t.outcome;
            // A card already blocked may still need its replacement ("shall I order a new card?").
            if (action == CardAction::kReportLost && replace && t.outcome != "not_allowed") {
                out.replacement_reference = EnsureReplacement(c, card_id, now);
            }
            out.card = *FindCard(c, customer, card_id);
            return out;
        });
    });
}

Result<Transfer> SandboxBank::TransferStatus(const CallContext&, const std::string& customer,
                                             const std::string& reference) {
    return db_.ReadAndWait<Transfer>([&](Connection& c) -> Result<Transfer> {
        // ?2 = '': the most recent, by date and then by the file's order (its first is the latest).
        auto& s = c.Prepare(
                       "SELECT reference, date, to_name_zh, to_name_en, to_account_tail, amount_cents, currency, "
                       "status, channel, reason_zh, reason_en FROM bank_transfers "
                       "WHERE customer_id = ?1 AND (?2 = '' OR reference = ?2) ORDER BY date DESC, position LIMIT 1")
                      .Bind(1, customer)
                      .Bind(2, reference);
        std::optional<Transfer> t;
        if (s.Step()) t = ReadTransfer(s);
        s.Reset();
        if (!t) return NotFound("transfer");
        return std::move(*t);
    });
}

Result<Complaint> SandboxBank::CreateComplaint(const CallContext& ctx, const std::string& customer,
                                               const ComplaintRequest& request) {
    if (std::find(kComplaintCategories.begin(), kComplaintCategories.end(), request.category) ==
        kComplaintCategories.end()) {
        return Error{ErrorCode::kInvalidArgument, "category must be fees, card, transfer, service, fraud or other"};
    }
    if (request.description.empty()) return Error{ErrorCode::kInvalidArgument, "a complaint needs a description"};
    // The description is the customer's own words: it stays out of the idempotency record's request text.
    std::string fingerprint = fmt::format("complaint|{}|{}|{}|{}", customer, request.category, request.conversation_id,
                                          Sha256Hex(request.description));
    std::string now = Now();
    return db_.WriteAndWait<Complaint>([&](Connection& c) {
        return Idempotent<Complaint>(c, ctx.idempotency_key, fingerprint, now, [&]() -> Result<Complaint> {
            if (!CustomerExists(c, customer)) return NotFound("customer");
            Complaint out;
            out.reference = NextReference(
                c, "SELECT MAX(reference) FROM bank_complaints WHERE substr(reference, 1, 13) = ?1", "CMP", now);
            out.status = "received";
            out.created_at = now;
            out.category = request.category;
            c.Prepare(
                 "INSERT INTO bank_complaints(reference, customer_id, category, description, channel, "
                 "conversation_id, language, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .Bind(1, out.reference)
                .Bind(2, customer)
                .Bind(3, request.category)
                .Bind(4, request.description)
                .Bind(5, request.channel)
                .Bind(6, request.conversation_id)
                .Bind(7, request.language)
                .Bind(8, out.status)
                .Bind(9, out.created_at)
                .Run();
            return out;
        });
    });
}

Result<std::vector<Product>> SandboxBank::Products(const CallContext&) {
    return db_.ReadAndWait<std::vector<Product>>([](Connection& c) -> Result<std::vector<Product>> {
        auto& s = c.Prepare(
            "SELECT id, type, name_zh, name_en, risk, rate, currency, min_amount_cents, description_zh, "
            "description_en FROM bank_products ORDER BY position");
        std::vector<Product> out;
        while (s.Step()) {
            out.push_back(Product{s.Text(0),
                                  s.Text(1),
                                  {s.Text(2), s.Text(3)},
                                  s.Text(4),
                                  s.Text(5),
                                  s.Text(6),
                                  Money{s.Int(7), s.Text(6)},
                                  {s.Text(8), s.Text(9)}});
        }
        return out;
    });
}

}  // namespace kefu::banking
