// The sandbox bank: the loader's checks and generator (banking/sandbox_loader.hpp) against the real demo pack
// and small broken files, and SandboxBank's operations on a temporary database.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "banking/sandbox_bank.hpp"
#include "banking/sandbox_loader.hpp"
#include "core/ids.hpp"

namespace kefu::banking {
namespace {

using storage::sqlite::Database;

const std::string kPack = KEFU_SOURCE_DIR "/packs/demo/bank/sandbox.yaml";

SandboxData ParsePack(const std::string& as_of = "") {
    std::vector<std::string> problems;
    auto data = LoadSandboxFile(kPack, SandboxLoadOptions{as_of}, &problems);
    for (const auto& p : problems) ADD_FAILURE() << p;
    EXPECT_TRUE(data.ok()) << (data.ok() ? "" : data.error().message);
    return data.ok() ? std::move(data).value() : SandboxData{};
}

std::vector<const SandboxTransaction*> TransactionsOf(const SandboxData& d, std::string_view customer) {
    std::vector<const SandboxTransaction*> out;
    for (const auto& t : d.transactions) {
        if (t.customer_id == customer) out.push_back(&t);
    }
    return out;
}

// True iff `s` has the shape of `pattern`, where '9' stands for any digit and every other character for itself.
// (std::regex trips a false -Wmaybe-uninitialized in GCC 12's sanitizer builds.)
bool Shaped(std::string_view s, std::string_view pattern) {
    if (s.size() != pattern.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool ok = pattern[i] == '9' ? (s[i] >= '0' && s[i] <= '9') : s[i] == pattern[i];
        if (!ok) return false;
    }
    return true;
}

std::string Describe(const Transaction& t) {
    return t.id + "|" + t.account_id + "|" + t.card_id + "|" + t.time + "|" + std::to_string(t.amount.cents) +
           t.amount.currency + "|" + (t.original ? std::to_string(t.original->cents) + t.original->currency : "") +
           "|" + t.kind + "|" + t.merchant_id + "|" + t.description.en;
}

// ------------------------------------------------------------------------------------------ loader

TEST(SandboxLoader, DemoPackLoadsWithoutProblemsAndExpectedCounts) {
    SandboxData d = ParsePack();
    EXPECT_EQ(d.reference_date, "2026-11-23");
    EXPECT_EQ(d.as_of, "2026-11-23");
    EXPECT_EQ(d.fingerprint.size(), 64u);
    EXPECT_EQ(d.customers.size(), 12u);
    EXPECT_EQ(d.accounts.size(), 22u);
    EXPECT_EQ(d.cards.size(), 25u);
    EXPECT_EQ(d.transfers.size(), 16u);
    EXPECT_EQ(d.merchants.size(), 35u);  // README: 24 Chinese and 11 foreign
    EXPECT_EQ(std::count_if(d.merchants.begin(), d.merchants.end(), [](const auto& m) { return m.country == "CN"; }),
              24);
    EXPECT_EQ(d.products.size(), 15u);
    EXPECT_EQ(d.extra_transactions.size(), 2u);

    // What the README says the generator produces: per_month × 6 draws per spending line, six credits per income
    // line, a debit per completed/pending/returned transfer plus a credit per returned one, and every extra.
    std::size_t expected = d.income.size() * 6 + d.extra_transactions.size();
    for (const auto& s : d.spending) expected += static_cast<std::size_t>(s.per_month) * 6;
    for (const auto& t : d.transfers) {
        if (t.transfer.status != "failed") ++expected;
        if (t.transfer.status == "returned") ++expected;
    }
    EXPECT_EQ(d.transactions.size(), expected);
}

TEST(SandboxLoader, TwoLoadsGiveIdenticalTransactions) {
    SandboxData a = ParsePack();
    SandboxData b = ParsePack();
    ASSERT_EQ(a.transactions.size(), b.transactions.size());
    ASSERT_FALSE(a.transactions.empty());
    for (std::size_t i = 0; i < a.transactions.size(); ++i) {
        ASSERT_EQ(Describe(a.transactions[i].transaction), Describe(b.transactions[i].transaction)) << i;
        ASSERT_EQ(a.transactions[i].balance_after_cents, b.transactions[i].balance_after_cents) << i;
    }
    EXPECT_EQ(a.fingerprint, b.fingerprint);
}

TEST(SandboxLoader, TransactionsCoverExactlySixMonths) {
    SandboxData d = ParsePack();
    std::string earliest = "9999", latest;
    for (const auto& t : d.transactions) {
        std::string day = t.transaction.time.substr(0, 10);
        EXPECT_GE(day, "2026-05-24") << t.transaction.id;
        EXPECT_LE(day, "2026-11-23") << t.transaction.id;
        EXPECT_TRUE(Shaped(t.transaction.time, "9999-99-99T99:99:99")) << t.transaction.time;
        earliest = std::min(earliest, day);
        latest = std::max(latest, day);
    }
    EXPECT_LT(earliest, "2026-06-01");  // the window is really used from its start
    EXPECT_GT(latest, "2026-11-15");
    // Each income line gives exactly six credits, on its day of the month.
    int salary = 0;
    for (const auto* t : TransactionsOf(d, "c1001")) {
        if (t->transaction.kind != "income") continue;
        ++salary;
        EXPECT_EQ(t->transaction.time.substr(8, 2), "10");
        EXPECT_EQ(t->transaction.amount, (Money{1280000, "CNY"}));
    }
    EXPECT_EQ(salary, 6);
    // c1001's Taobao line: 6 a month in each of the six periods (05-23, 06-23], … (10-23, 11-23].
    std::map<std::string, int> per_period;
    for (const auto* t : TransactionsOf(d, "c1001")) {
        if (t->transaction.merchant_id != "taobao") continue;
        const std::string& day = t->transaction.time;
        ++per_period[day.substr(0, 10) <= "2026-06-23"   ? "p0"
                     : day.substr(0, 10) <= "2026-07-23" ? "p1"
                     : day.substr(0, 10) <= "2026-08-23" ? "p2"
                     : day.substr(0, 10) <= "2026-09-23" ? "p3"
                     : day.substr(0, 10) <= "2026-10-23" ? "p4"
                                                         : "p5"];
    }
    EXPECT_EQ(per_period,
              (std::map<std::string, int>{{"p0", 6}, {"p1", 6}, {"p2", 6}, {"p3", 6}, {"p4", 6}, {"p5", 6}}));
}

TEST(SandboxLoader, BlockedCardsHaveNothingAfterTheBlock) {
    SandboxData d = ParsePack();
    int before = 0;
    for (const auto& t : d.transactions) {
        const std::string& card = t.transaction.card_id;
        if (card != "k100601" && card != "k100901") continue;  // c1006's lost card, c1009's frozen one
        EXPECT_LE(t.transaction.time.substr(0, 10), "2026-11-20") << t.transaction.id;
        ++before;
    }
    EXPECT_GT(before, 100);
}

// README: "each account's expected balance six months ago covers at least one month of its debits, so the
// history stays positive".
TEST(SandboxLoader, RunningBalancesStayNonNegativeGoingBackwards) {
    SandboxData d = ParsePack();
    for (const auto& sa : d.accounts) {
        const Account& a = sa.account;
        std::int64_t lowest = a.balance.cents;
        std::optional<std::int64_t> opening;
        std::optional<std::int64_t> newest;
        int n = 0;
        for (const auto* t : TransactionsOf(d, sa.customer_id)) {
            if (t->transaction.account_id != a.id) continue;
            ASSERT_TRUE(t->balance_after_cents.has_value());
            EXPECT_EQ(t->transaction.amount.currency, a.balance.currency) << t->transaction.id;
            std::int64_t before = *t->balance_after_cents - t->transaction.amount.cents;
            if (!opening) opening = before;
            newest = t->balance_after_cents;
            lowest = std::min({lowest, before, *t->balance_after_cents});
            ++n;
        }
        EXPECT_GE(lowest, 0) << a.id << " goes negative: lowest " << FormatCents(lowest) << " " << a.balance.currency;
        if (n > 0) {
            EXPECT_EQ(newest, a.balance.cents) << a.id << ": the history must end at the file's balance";
        }
        // Nothing is generated on a fixed deposit or an account that is not active.
        if (a.status != "active" || a.type == "fixed_deposit") {
            EXPECT_EQ(n, 0) << a.id;
        }
    }
}

TEST(SandboxLoader, DuplicateTripComChargesForC1010) {
    SandboxData d = ParsePack();
    std::vector<const Transaction*> charges;
    for (const auto* t : TransactionsOf(d, "c1010")) {
        const Transaction& tx = t->transaction;
        if (tx.merchant_id == "ctrip" && tx.time.starts_with("2026-11-19") && tx.amount == Money{-128600, "CNY"}) {
            charges.push_back(&tx);
        }
    }
    ASSERT_EQ(charges.size(), 2u);
    EXPECT_EQ(charges[0]->time, charges[1]->time);  // the same time of day: a duplicate, not two bookings
    EXPECT_NE(charges[0]->id, charges[1]->id);
    EXPECT_EQ(charges[0]->card_id, "k101001");
    EXPECT_EQ(charges[0]->account_id, "a101001");
    EXPECT_EQ(charges[0]->category, "travel");
    EXPECT_EQ(charges[0]->description.en, "Trip.com (Ctrip)");
    EXPECT_FALSE(charges[0]->original.has_value());
}

TEST(SandboxLoader, ConvertsForeignCurrenciesAtTheDemoRatesHalfUp) {
    EXPECT_EQ(ConvertCents(1200000, "JPY", "CNY"), 56400);  // JPY 12,000 × 0.047
    EXPECT_EQ(ConvertCents(999, "USD", "CNY"), 7093);       // 70.929 → 70.93
    EXPECT_EQ(ConvertCents(550, "HKD", "CNY"), 501);        // 5.005 → 5.01: half up
    EXPECT_EQ(ConvertCents(-550, "HKD", "CNY"), -501);      // a debit converts like a credit
    EXPECT_EQ(ConvertCents(10000, "CNY", "USD"), 1408);     // 14.0845 → 14.08
    EXPECT_EQ(ConvertCents(12345, "CNY", "CNY"), 12345);
    EXPECT_FALSE(ConvertCents(100, "EUR", "CNY"));

    SandboxData d = ParsePack();
    int jpy = 0, usd_on_credit = 0;
    for (const auto& st : d.transactions) {
        const Transaction& t = st.transaction;
        if (t.merchant_id == "isetan" && t.card_id == "k100801") {  // c1008's debit card, a CNY account
            ASSERT_TRUE(t.original.has_value());
            EXPECT_EQ(t.original->currency, "JPY");
            EXPECT_EQ(t.amount.currency, "CNY");
            EXPECT_EQ(t.amount.cents, ConvertCents(t.original->cents, "JPY", "CNY"));
            EXPECT_GE(-t.original->cents, 800000);  // within [8000.00, 65000.00] JPY
            EXPECT_LE(-t.original->cents, 6500000);
            ++jpy;
        }
        if (t.merchant_id == "amazon_us" && t.card_id == "k100402") {  // c1004's credit card posts in CNY
            ASSERT_TRUE(t.original.has_value());
            EXPECT_EQ(t.original->currency, "USD");
            EXPECT_EQ(t.amount.currency, "CNY");
            EXPECT_EQ(t.amount.cents, ConvertCents(t.original->cents, "USD", "CNY"));
            EXPECT_EQ(t.account_id, "");
            EXPECT_FALSE(st.balance_after_cents.has_value());
            ++usd_on_credit;
        }
    }
    EXPECT_EQ(jpy, 6);
    EXPECT_EQ(usd_on_credit, 12);
}

TEST(SandboxLoader, CreditCardStatementDatesFollowTheReferenceDate) {
    SandboxData d = ParsePack();
    auto card = [&](std::string_view id) {
        auto it = std::find_if(d.cards.begin(), d.cards.end(), [&](const auto& k) { return k.card.id == id; });
        return it == d.cards.end() ? Card{} : it->card;
    };
    Card c1002 = card("k100202");  // README: statement on the 5th, CNY 12,486.30 owed, due 2026-11-25
    EXPECT_EQ(c1002.statement_date, "2026-11-05");
    EXPECT_EQ(c1002.due_date, "2026-11-25");
    EXPECT_EQ(c1002.statement_balance, (Money{1248630, "CNY"}));
    EXPECT_EQ(c1002.minimum_due, (Money{124863, "CNY"}));
    Card c1012 = card("k101203");  // statement day 25 is after the 23rd: last month's statement, due this month
    EXPECT_EQ(c1012.statement_date, "2026-10-25");
    EXPECT_EQ(c1012.due_date, "2026-11-15");
    EXPECT_FALSE(card("k100101").statement_date.has_value());
}

TEST(SandboxLoader, AsOfShiftsEveryDateButNotExpiryOrReferences) {
    SandboxData base = ParsePack();
    SandboxData later = ParsePack("2026-12-23");  // 30 days later
    EXPECT_EQ(later.as_of, "2026-12-23");
    EXPECT_EQ(later.reference_date, "2026-11-23");
    ASSERT_EQ(base.transactions.size(), later.transactions.size());
    auto plus30 = [](const std::string& time) {
        int y = std::stoi(time.substr(0, 4)), m = std::stoi(time.substr(5, 2)), dd = std::stoi(time.substr(8, 2));
        std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(m)} /
                                  std::chrono::day{static_cast<unsigned>(dd)}};
        std::chrono::year_month_day shifted{day + std::chrono::days{30}};
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(shifted.year()),
                      static_cast<unsigned>(shifted.month()), static_cast<unsigned>(shifted.day()));
        return std::string(buf) + time.substr(10);
    };
    for (std::size_t i = 0; i < base.transactions.size(); ++i) {
        const Transaction& a = base.transactions[i].transaction;
        const Transaction& b = later.transactions[i].transaction;
        ASSERT_EQ(plus30(a.time), b.time) << a.id;
        ASSERT_EQ(a.amount, b.amount);
        ASSERT_EQ(a.id, b.id);
    }
    EXPECT_EQ(later.transfers[0].transfer.reference, base.transfers[0].transfer.reference);
    EXPECT_EQ(later.transfers[0].transfer.date, plus30(base.transfers[0].transfer.date));
    EXPECT_EQ(later.accounts[0].account.opened, plus30(base.accounts[0].account.opened));
    EXPECT_EQ(later.cards[0].card.expires, base.cards[0].card.expires);
    for (const auto& k : later.cards) {
        if (k.card.id != "k100202") continue;
        EXPECT_EQ(k.card.statement_date, "2026-12-05");  // statement day 5 relative to the new "today"
        EXPECT_EQ(k.card.due_date, "2026-12-25");
    }
    std::vector<std::string> problems;
    auto bad = LoadSandboxFile(kPack, SandboxLoadOptions{"23/12/2026"}, &problems);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

// ----------------------------------------------------------------------------------- validation

// A small valid file; the tests break it in several places at once.
constexpr std::string_view kMinimal = R"(version: 1
reference_date: 2026-11-23
customers:
  - id: c1
    name: {zh: 王小明, en: Wang Xiaoming}
    preferred_language: zh
    birth_date: 1988-04-12
    phone: "+8613800138001"
    id_number: "110101198804120010"
    passport: null
    email: wang@example.com
    risk_level: R2
    segment: mass
    marketing_opt_out: false
    app_user: true
    accounts:
      - {id: a1, number: "6217000010010152601", type: savings, currency: CNY, balance: "52340.18", opened: 2019-06-03, status: active}
    cards:
      - {id: k1, kind: debit, number: "6222020110010361282", account: a1, status: active, expires: 2029-06, credit_limit: null, statement_day: null, due_day: null, current_balance: null, minimum_due: null}
    income:
      - {description: {zh: 工资, en: Salary}, amount: "12800.00", day: 10, account: a1}
    spending:
      - {merchant: taobao, per_month: 2, min: "35.00", max: "420.00", card: k1}
    transfers: []
    notes: {zh: 测试, en: Test}
merchants:
  - {id: taobao, name: {zh: 淘宝, en: Taobao}, category: online_shopping, country: CN, currency: CNY}
products:
  - {id: p-x, type: deposit, name: {zh: 定期, en: Deposit}, risk: R1, min_amount: "50.00", rate: "1.20%", currency: CNY, description: {zh: 说明, en: Text}, suits: {min_idle_balance: "100.00"}}
)";

class SandboxValidation : public ::testing::Test {
  protected:
    void SetUp() override { dir_ = std::filesystem::temp_directory_path() / NewId("kefu_sandbox_yaml_"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Writes `text` to a file and loads it.
    Result<SandboxData> Load(const std::string& text) {
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "bank.yaml").string();
        std::ofstream(path_) << text;
        return LoadSandboxFile(path_, {}, &problems_);
    }
    // `text` with the first occurrence of `from` replaced.
    static std::string With(std::string text, std::string_view from, std::string_view to) {
        auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return text.replace(at, from.size(), to);
    }
    // 1-based line of the first line containing `marker`.
    static int LineOf(const std::string& text, std::string_view marker) {
        auto at = text.find(marker);
        EXPECT_NE(at, std::string::npos) << marker;
        return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    }
    bool HasProblem(int line, std::string_view words) const {
        std::string prefix = path_ + ":" + std::to_string(line) + ": ";
        return std::any_of(problems_.begin(), problems_.end(), [&](const std::string& p) {
            return p.starts_with(prefix) && p.find(words) != std::string::npos;
        });
    }
    std::string AllProblems() const {
        std::string all;
        for (const auto& p : problems_) all += p + "\n";
        return all;
    }

    std::filesystem::path dir_;
    std::string path_;
    std::vector<std::string> problems_;
};

TEST_F(SandboxValidation, MinimalFileIsValid) {
    auto r = Load(std::string(kMinimal));
    ASSERT_TRUE(r.ok()) << AllProblems();
    EXPECT_TRUE(problems_.empty());
    EXPECT_EQ(r->transactions.size(), 6u + 12u);
}

TEST_F(SandboxValidation, ReportsEveryProblemWithItsLine) {
    std::string text(kMinimal);
    text = With(text, "6222020110010361282", "6222020110010361283");                      // Luhn
    text = With(text, "    app_user: true\n", "    app_user: true\n    colour: blue\n");  // unknown key
    text = With(text, "{zh: 测试, en: Test}", "{zh: 测试}");                              // no English notes
    text = With(text, "merchant: taobao", "merchant: tmall");                             // unknown merchant
    text = With(text, "110101198804120010", "110101198804120011");                        // ID check character
    text = With(text, "balance: \"52340.18\"", "balance: 52340.18");                      // money as a float
    auto r = Load(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kImportInvalid);
    EXPECT_EQ(r.error().message.find("6222020110010361283"), std::string::npos);  // never the card number
    EXPECT_EQ(problems_.size(), 6u) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "6222020110010361283"), "Luhn")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "colour:"), "unknown key 'colour'")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "{zh: 测试}"), "'notes' has no en text")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "merchant: tmall"), "unknown merchant 'tmall'")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "110101198804120011"), "check character")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "balance: 52340.18"), "two decimals")) << AllProblems();
    for (const auto& p : problems_) EXPECT_EQ(p.find("6222020110010361283"), std::string::npos) << p;
}

TEST_F(SandboxValidation, ReportsReferenceAndConsistencyRules) {
    std::string text(kMinimal);
    text = With(text, "birth_date: 1988-04-12", "birth_date: 1988-04-13");  // differs from the ID number
    text = With(text, "account: a1, status: active", "account: a9, status: active");
    text = With(text, "status: active, expires: 2029-06", "status: active, expires: 2021-06");
    text = With(text, "transfers: []",
                "transfers:\n      - {reference: \"TR20260101000001\", date: 2026-01-01, to_name: {zh: 李, en: Li}, "
                "to_account_tail: \"1234\", amount: \"10.00\", currency: CNY, status: failed, channel: mobile}");
    text = With(text, "  - {id: taobao,", "  - {id: a1,");  // a duplicate id (merchants share the id space)
    auto r = Load(text);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(HasProblem(LineOf(text, "110101198804120010"), "birth_date")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "account: a9"), "'account' must be one of c1's")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "expires: 2021-06"), "must be expired")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "TR20260101000001"), "outside the six-month window")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "TR20260101000001"), "needs a 'reason'")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "{id: a1, name"), "duplicate id 'a1' (first at line 17)")) << AllProblems();
    EXPECT_EQ(LineOf(text, "{id: a1, number"), 17);
    EXPECT_FALSE(HasProblem(LineOf(text, "merchant: taobao"), "not active")) << AllProblems();
}

TEST_F(SandboxValidation, ChecksCreditFieldsSegmentsAndProducts) {
    std::string text(kMinimal);
    text = With(text, "    income:\n",
                "      - {id: k2, kind: credit, number: \"4111111004026939\", account: null, status: active, "
                "expires: 2029-08, credit_limit: \"1000.00\", statement_day: 15, due_day: 25, "
                "current_balance: \"1200.00\", minimum_due: \"100.00\"}\n"
                "      - {id: k3, kind: debit, number: \"6222020110020124563\", account: a1, status: active, "
                "expires: 2031-07, credit_limit: \"5.00\", statement_day: null, due_day: null, "
                "current_balance: null, minimum_due: null}\n    income:\n");
    text = With(text, "segment: mass", "segment: private");
    text = With(text, "suits: {min_idle_balance: \"100.00\"}", "suits: {min_idle_balance: \"100.00\", shoe_size: 42}");
    auto r = Load(text);
    ASSERT_FALSE(r.ok());
    int credit = LineOf(text, "4111111004026939");
    EXPECT_TRUE(HasProblem(credit, "'current_balance' is above 'credit_limit'")) << AllProblems();
    EXPECT_TRUE(HasProblem(credit, "'minimum_due' must be 10%")) << AllProblems();
    EXPECT_TRUE(HasProblem(credit, "'due_day' must be 20 days after")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "6222020110020124563"), "a debit card's 'credit_limit' must be null"))
        << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "segment: private"), "'segment' must be mass")) << AllProblems();
    EXPECT_TRUE(HasProblem(LineOf(text, "shoe_size"), "unknown key 'shoe_size'")) << AllProblems();
    EXPECT_EQ(problems_.size(), 6u) << AllProblems();
}

TEST_F(SandboxValidation, SyntaxErrorsCarryTheirLine) {
    auto r = Load("version: 1\nreference_date: 2026-11-23\ncustomers: [\n");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(problems_.size(), 1u);
    EXPECT_NE(problems_[0].find("not valid YAML"), std::string::npos) << problems_[0];
}

// --------------------------------------------------------------------------------------- the bank

constexpr std::string_view kNow = "2026-11-23T10:15:00";

class SandboxBankTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / NewId("kefu_sandbox_test_");
        Open();
        auto report = LoadSandbox(*db_, kPack, std::nullopt);
        ASSERT_TRUE(report.ok()) << report.error().message;
        report_ = report.value();
    }
    void TearDown() override {
        Close();
        std::filesystem::remove_all(dir_);
    }
    void Open() {
        db_ = Database::Open({(dir_ / "kefu.db").string(), 2, 64});
        bank_ = std::make_unique<SandboxBank>(*db_, SandboxBankOptions{[] { return std::string(kNow); }});
    }
    void Close() {
        bank_.reset();
        if (db_) db_->Close();
        db_.reset();
    }
    Card CardOf(const std::string& customer, const std::string& id) {
        auto cards = bank_->Cards(ctx_, customer);
        EXPECT_TRUE(cards.ok());
        for (const auto& k : cards.value()) {
            if (k.id == id) return k;
        }
        ADD_FAILURE() << "no card " << id;
        return {};
    }
    static CallContext Keyed(std::string key) {
        CallContext ctx;
        ctx.idempotency_key = std::move(key);
        return ctx;
    }

    std::filesystem::path dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<SandboxBank> bank_;
    LoadReport report_;
    CallContext ctx_;
};

TEST_F(SandboxBankTest, LoadReportsCountsAndMarksTheSandboxLoaded) {
    EXPECT_EQ(report_.customers, 12);
    EXPECT_EQ(report_.accounts, 22);
    EXPECT_EQ(report_.cards, 25);
    EXPECT_EQ(report_.transfers, 16);
    EXPECT_EQ(report_.merchants, 35);
    EXPECT_EQ(report_.products, 15);
    EXPECT_EQ(static_cast<std::size_t>(report_.transactions), ParsePack().transactions.size());
    EXPECT_EQ(report_.as_of, "2026-11-23");
    EXPECT_EQ(SandboxIsLoaded(*db_).value(), true);

    // Loading again replaces everything with identical data.
    TransactionQuery all;
    all.limit = 500;
    auto first = bank_->Transactions(ctx_, "c1001", all);
    ASSERT_TRUE(first.ok());
    auto again = LoadSandbox(*db_, kPack, std::nullopt);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->transactions, report_.transactions);
    auto second = bank_->Transactions(ctx_, "c1001", all);
    ASSERT_TRUE(second.ok());
    ASSERT_EQ(first->items.size(), second->items.size());
    for (std::size_t i = 0; i < first->items.size(); ++i) {
        EXPECT_EQ(Describe(first->items[i]), Describe(second->items[i]));
    }
}

TEST_F(SandboxBankTest, AnEmptyDatabaseIsNotLoadedAndABadFileChangesNothing) {
    Close();
    std::filesystem::remove_all(dir_);
    db_ = Database::Open({(dir_ / "kefu.db").string(), 2, 64});
    EXPECT_EQ(SandboxIsLoaded(*db_).value(), false);
    std::ofstream(dir_ / "bad.yaml") << "version: 2\n";
    std::vector<std::string> problems;
    auto r = LoadSandbox(*db_, (dir_ / "bad.yaml").string(), std::nullopt, &problems);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kImportInvalid);
    EXPECT_FALSE(problems.empty());
    EXPECT_EQ(SandboxIsLoaded(*db_).value(), false);
}

TEST_F(SandboxBankTest, ProfilesAccountsAndProducts) {
    auto p = bank_->Profile(ctx_, "c1007");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->name.en, "James Miller");
    EXPECT_EQ(p->preferred_language, "en");
    EXPECT_EQ(p->segment, "affluent");
    EXPECT_EQ(bank_->Profile(ctx_, "c9999").error().code, ErrorCode::kNotFound);

    auto accounts = bank_->Accounts(ctx_, "c1007");
    ASSERT_TRUE(accounts.ok());
    ASSERT_EQ(accounts->size(), 3u);
    EXPECT_EQ((*accounts)[1].id, "a100702");
    EXPECT_EQ((*accounts)[1].balance, (Money{2431055, "USD"}));
    EXPECT_EQ((*accounts)[1].last4, "2319");
    EXPECT_EQ((*accounts)[2].type, "fixed_deposit");
    EXPECT_EQ(bank_->Accounts(ctx_, "nobody").error().code, ErrorCode::kNotFound);

    auto products = bank_->Products(ctx_);
    ASSERT_TRUE(products.ok());
    ASSERT_EQ(products->size(), 15u);
    EXPECT_EQ((*products)[0].id, "p-td-1y");
    EXPECT_EQ((*products)[0].rate, "1.20%");
    EXPECT_EQ((*products)[0].min_amount, (Money{5000, "CNY"}));
    EXPECT_EQ((*products)[3].min_amount.currency, "USD");
}

TEST_F(SandboxBankTest, FreezePersistsAcrossReopeningTheDatabase) {
    auto r = bank_->Freeze(ctx_, "c1001", "k100101");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->outcome, "done");
    EXPECT_EQ(r->card.status, "frozen");
    Close();
    Open();
    EXPECT_EQ(CardOf("c1001", "k100101").status, "frozen");
    auto again = bank_->Freeze(ctx_, "c1001", "k100101");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->outcome, "already");
    // Someone else's card is not found, whatever its id.
    EXPECT_EQ(bank_->Freeze(ctx_, "c1002", "k100102").error().code, ErrorCode::kNotFound);
}

TEST_F(SandboxBankTest, CardStateMachine) {
    auto unfreeze_lost = bank_->Unfreeze(ctx_, "c1006", "k100601");
    ASSERT_TRUE(unfreeze_lost.ok());
    EXPECT_EQ(unfreeze_lost->outcome, "not_allowed");
    EXPECT_EQ(unfreeze_lost->card.status, "lost");
    EXPECT_EQ(bank_->Freeze(ctx_, "c1006", "k100601")->outcome, "not_allowed");
    EXPECT_EQ(bank_->Freeze(ctx_, "c1012", "k101201")->outcome, "not_allowed");  // expired
    EXPECT_EQ(bank_->Unfreeze(ctx_, "c1001", "k100101")->outcome, "already");    // active

    auto unfreeze = bank_->Unfreeze(ctx_, "c1009", "k100901");
    ASSERT_TRUE(unfreeze.ok());
    EXPECT_EQ(unfreeze->outcome, "done");
    EXPECT_EQ(CardOf("c1009", "k100901").status, "active");

    // Already lost: nothing to block, but the replacement can still be ordered, once.
    auto lost_again = bank_->ReportLost(ctx_, "c1006", "k100601", "lost", true);
    ASSERT_TRUE(lost_again.ok());
    EXPECT_EQ(lost_again->outcome, "already");
    EXPECT_EQ(lost_again->replacement_reference, "RPL-20261123-000001");
    EXPECT_EQ(bank_->ReportLost(ctx_, "c1006", "k100601", "lost", true)->replacement_reference, "RPL-20261123-000001");

    auto stolen = bank_->ReportLost(ctx_, "c1001", "k100103", "stolen", true);
    ASSERT_TRUE(stolen.ok());
    EXPECT_EQ(stolen->outcome, "done");
    EXPECT_EQ(stolen->card.status, "stolen");
    EXPECT_EQ(stolen->replacement_reference, "RPL-20261123-000002");
    EXPECT_EQ(bank_->Unfreeze(ctx_, "c1001", "k100103")->outcome, "not_allowed");  // permanent

    auto no_replacement = bank_->ReportLost(ctx_, "c1001", "k100102", "lost", false);
    ASSERT_TRUE(no_replacement.ok());
    EXPECT_EQ(no_replacement->card.status, "lost");
    EXPECT_EQ(no_replacement->replacement_reference, "");
    EXPECT_EQ(bank_->ReportLost(ctx_, "c1001", "k100101", "misplaced", false).error().code,
              ErrorCode::kInvalidArgument);
}

TEST_F(SandboxBankTest, IdempotencyKeyPerformsAWriteOnce) {
    auto first = bank_->Freeze(Keyed("req-1"), "c1001", "k100101");
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->outcome, "done");
    ASSERT_TRUE(bank_->Unfreeze(ctx_, "c1001", "k100101").ok());  // someone unfreezes it meanwhile

    auto retry = bank_->Freeze(Keyed("req-1"), "c1001", "k100101");
    ASSERT_TRUE(retry.ok());
    EXPECT_EQ(retry->outcome, "done");                       // the first outcome …
    EXPECT_EQ(retry->card.status, "frozen");                 // … as it was then
    EXPECT_EQ(CardOf("c1001", "k100101").status, "active");  // and the freeze was not repeated

    EXPECT_EQ(bank_->Unfreeze(Keyed("req-1"), "c1001", "k100101").error().code, ErrorCode::kConflict);

    ComplaintRequest complaint{"fees", "Charged twice", "web", "cv_1", "en"};
    auto c1 = bank_->CreateComplaint(Keyed("cmp-1"), "c1010", complaint);
    auto c2 = bank_->CreateComplaint(Keyed("cmp-1"), "c1010", complaint);
    ASSERT_TRUE(c1.ok());
    ASSERT_TRUE(c2.ok());
    EXPECT_EQ(c1->reference, c2->reference);
    EXPECT_EQ(bank_->CreateComplaint(ctx_, "c1010", complaint)->reference, "CMP-20261123-000002");
}

TEST_F(SandboxBankTest, TransactionFilters) {
    TransactionQuery q;
    q.merchant = "淘宝";
    q.from = "2026-10-01";
    q.to = "2026-10-31";
    q.limit = 500;
    auto zh = bank_->Transactions(ctx_, "c1001", q);
    ASSERT_TRUE(zh.ok());
    ASSERT_GT(zh->total, 0);
    EXPECT_EQ(zh->total, static_cast<int>(zh->items.size()));
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < zh->items.size(); ++i) {
        const Transaction& t = zh->items[i];
        EXPECT_EQ(t.merchant_id, "taobao");
        EXPECT_GE(t.time, "2026-10-01T00:00:00");
        EXPECT_LE(t.time, "2026-10-31T23:59:59");
        if (i > 0) {
            EXPECT_GE(zh->items[i - 1].time, t.time);  // most recent first
        }
        sum += t.amount.cents;
    }
    ASSERT_EQ(zh->totals.size(), 1u);
    EXPECT_EQ(zh->totals[0], (Money{sum, "CNY"}));
    EXPECT_LT(sum, 0);

    q.merchant = "TaoBao";  // the English name, any case
    auto en = bank_->Transactions(ctx_, "c1001", q);
    ASSERT_TRUE(en.ok());
    EXPECT_EQ(en->total, zh->total);
    EXPECT_EQ(en->totals, zh->totals);

    q.limit = 2;  // the limit cuts the items, not the total or the sums
    auto page = bank_->Transactions(ctx_, "c1001", q);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->items.size(), 2u);
    EXPECT_EQ(page->total, zh->total);
    EXPECT_EQ(page->totals, zh->totals);
    EXPECT_EQ(page->items[0].id, zh->items[0].id);

    TransactionQuery month;
    month.from = "2026-10-01";
    month.to = "2026-10-31";
    month.limit = 500;
    auto everything = bank_->Transactions(ctx_, "c1001", month);
    month.debits_only = true;
    auto debits = bank_->Transactions(ctx_, "c1001", month);
    ASSERT_TRUE(everything.ok());
    ASSERT_TRUE(debits.ok());
    EXPECT_EQ(everything->total - debits->total, 1);  // the salary on the 10th is the only credit
    for (const auto& t : debits->items) EXPECT_LT(t.amount.cents, 0);

    TransactionQuery by_card;
    by_card.card_id = "k100102";
    by_card.category = "dining";
    by_card.limit = 500;
    auto coffee = bank_->Transactions(ctx_, "c1001", by_card);
    ASSERT_TRUE(coffee.ok());
    EXPECT_EQ(coffee->total, 60);  // Luckin, 10 a month on the old university card
    for (const auto& t : coffee->items) EXPECT_EQ(t.merchant_id, "luckin");
    by_card.card_id = "k100201";  // c1002's card
    EXPECT_EQ(bank_->Transactions(ctx_, "c1001", by_card).error().code, ErrorCode::kNotFound);

    TransactionQuery capped;  // c1001 has 290 transactions, under the cap of 500
    capped.limit = 100000;
    auto all = bank_->Transactions(ctx_, "c1001", capped);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->total, 290);
    EXPECT_EQ(all->items.size(), 290u);
    capped.limit = -3;
    auto none = bank_->Transactions(ctx_, "c1001", capped);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->items.empty());
    EXPECT_EQ(none->total, 290);
}

TEST_F(SandboxBankTest, TransferStatusLatestOrByReference) {
    auto latest = bank_->TransferStatus(ctx_, "c1006", "");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest->reference, "TR20261121005530");
    EXPECT_EQ(latest->status, "failed");
    ASSERT_TRUE(latest->reason.has_value());
    EXPECT_NE(latest->reason->en.find("does not match"), std::string::npos);

    auto older = bank_->TransferStatus(ctx_, "c1006", "TR20261105001847");
    ASSERT_TRUE(older.ok());
    EXPECT_EQ(older->status, "completed");
    EXPECT_EQ(older->amount, (Money{100000, "CNY"}));
    EXPECT_FALSE(older->reason.has_value());

    EXPECT_EQ(bank_->TransferStatus(ctx_, "c1001", "TR20261121005530").error().code, ErrorCode::kNotFound);
    EXPECT_EQ(bank_->TransferStatus(ctx_, "c1006", "TR00000000000000").error().code, ErrorCode::kNotFound);

    auto pending = bank_->TransferStatus(ctx_, "c1007", "");
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(pending->status, "pending");
    EXPECT_EQ(pending->amount, (Money{800000, "USD"}));

    // A returned transfer: the debit, and the credit two days later.
    TransactionQuery q;
    q.from = "2026-11-12";
    q.to = "2026-11-14";
    auto returned = bank_->Transactions(ctx_, "c1011", q);
    ASSERT_TRUE(returned.ok());
    int debit = 0, credit = 0;
    for (const auto& t : returned->items) {
        if (t.kind == "transfer" && t.amount == Money{-500000, "CNY"} && t.time.starts_with("2026-11-12")) ++debit;
        if (t.kind == "transfer_return" && t.amount == Money{500000, "CNY"} && t.time.starts_with("2026-11-14")) {
            ++credit;
        }
    }
    EXPECT_EQ(debit, 1);
    EXPECT_EQ(credit, 1);
}

TEST_F(SandboxBankTest, ComplaintsGetUniqueReferences) {
    ComplaintRequest req{"fees", "I was charged twice for one hotel", "web", "cv_abc", "en"};
    auto first = bank_->CreateComplaint(ctx_, "c1010", req);
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(Shaped(first->reference, "CMP-99999999-999999")) << first->reference;
    EXPECT_EQ(first->reference, "CMP-20261123-000001");
    EXPECT_EQ(first->status, "received");
    EXPECT_EQ(first->created_at, kNow);
    EXPECT_EQ(first->category, "fees");
    auto second = bank_->CreateComplaint(ctx_, "c1001", req);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->reference, "CMP-20261123-000002");

    req.category = "weather";
    EXPECT_EQ(bank_->CreateComplaint(ctx_, "c1010", req).error().code, ErrorCode::kInvalidArgument);
    req.category = "service";
    EXPECT_EQ(bank_->CreateComplaint(ctx_, "c0000", req).error().code, ErrorCode::kNotFound);
}

TEST_F(SandboxBankTest, VerificationNeedsBothFactsToMatch) {
    auto ok = bank_->FindByCardAndBirthDate(ctx_, "7306", "1957-03-05");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->id, "c1003");
    auto wrong_date = bank_->FindByCardAndBirthDate(ctx_, "7306", "1957-03-06");
    auto wrong_card = bank_->FindByCardAndBirthDate(ctx_, "1282", "1957-03-05");  // c1001's card
    auto no_card = bank_->FindByCardAndBirthDate(ctx_, "0000", "1957-03-05");
    ASSERT_FALSE(wrong_date.ok());
    ASSERT_FALSE(wrong_card.ok());
    ASSERT_FALSE(no_card.ok());
    // The same answer whichever part is wrong.
    EXPECT_EQ(wrong_date.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(wrong_date.error().message, wrong_card.error().message);
    EXPECT_EQ(wrong_date.error().message, no_card.error().message);
    // A lost card still identifies its holder (README: whatever its status).
    EXPECT_EQ(bank_->FindByCardAndBirthDate(ctx_, "3813", "1990-07-13")->id, "c1006");

    EXPECT_EQ(bank_->FindByPhone(ctx_, "+8613800138011")->id, "c1011");
    EXPECT_EQ(bank_->FindByPhone(ctx_, "+8613800138099").error().code, ErrorCode::kNotFound);
}

TEST_F(SandboxBankTest, AsOfShiftsTheStoredData) {
    auto shifted = LoadSandbox(*db_, kPack, std::string("2026-12-23"));
    ASSERT_TRUE(shifted.ok());
    EXPECT_EQ(shifted->as_of, "2026-12-23");
    auto latest = bank_->TransferStatus(ctx_, "c1001", "");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest->reference, "TR20261118000123");
    EXPECT_EQ(latest->date, "2026-12-18");
    EXPECT_EQ(CardOf("c1002", "k100202").due_date, "2026-12-25");

    TransactionQuery q;
    q.merchant = "ctrip";
    q.from = "2026-12-19";
    q.to = "2026-12-19";
    auto dup = bank_->Transactions(ctx_, "c1010", q);
    ASSERT_TRUE(dup.ok());
    EXPECT_EQ(dup->total, 2);
    EXPECT_EQ(dup->totals, (std::vector<Money>{{-257200, "CNY"}}));
}

}  // namespace
}  // namespace kefu::banking
