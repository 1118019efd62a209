// HttpCoreBank against an in-process core (Boost.Beast on 127.0.0.1, its own thread) whose answers each test
// scripts: bodies, statuses, delays, dropped connections, broken JSON; and over HTTPS with mTLS, with a CA,
// server and client certificates made at test time.

#include "banking/http_bank.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>  // getpid

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace kefu::banking {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------------------
// The scripted core

struct Reply {
    unsigned status = 200;
    std::string body = "{}";
    std::chrono::milliseconds delay{0};
    bool drop = false;         // read the request, then close without answering
    bool close_after = false;  // answer "keep-alive", then close anyway (an idle time-out at the core)
};

struct Seen {
    std::string method;
    std::string target;  // as sent: path and query, percent-encoded
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names

    std::string Header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
    // A query parameter, percent-decoded.
    std::string Param(std::string_view name) const {
        auto url = boost::urls::parse_origin_form(target);
        if (!url) return "<bad target>";
        auto it = url->params().find(name);
        return it == url->params().end() ? "" : std::string((*it).value);
    }
    std::string Path() const { return target.substr(0, target.find('?')); }
};

class TestCore {
  public:
    using Script = std::function<Reply(const Seen&, int index)>;

    explicit TestCore(Script script, std::shared_ptr<ssl::context> tls = nullptr)
        : script_(std::move(script)), tls_(std::move(tls)) {
        acceptor_.open(tcp::v4());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        asio::co_spawn(ioc_, Accept(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~TestCore() {
        ioc_.stop();
        thread_.join();
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::string Url(std::string_view host = "127.0.0.1") const {
        return std::string(tls_ ? "https://" : "http://") + std::string(host) + ":" + std::to_string(port()) +
               "/core/v1";
    }
    int requests() const {
        std::lock_guard lock(mu_);
        return static_cast<int>(seen_.size());
    }
    Seen last() const {
        std::lock_guard lock(mu_);
        return seen_.empty() ? Seen{} : seen_.back();
    }
    int connections() const { return connections_.load(); }
    std::string server_name() const {
        std::lock_guard lock(mu_);
        return server_name_;
    }

  private:
    asio::awaitable<void> Accept() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            ++connections_;
            asio::co_spawn(ioc_, Session(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> Session(tcp::socket socket) {
        if (!tls_) {
            co_await Serve(socket);
            co_return;
        }
        beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls_);
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
            std::lock_guard lock(mu_);
            server_name_ = name;
        }
        co_await Serve(stream);
    }

    template <typename Stream>
    asio::awaitable<void> Serve(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            Reply reply = Record(req);
            if (reply.delay > 0ms) {
                asio::steady_timer timer(ioc_, reply.delay);
                co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            if (reply.drop) co_return;
            http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
            res.set(http::field::content_type, "application/json");
            res.keep_alive(req.keep_alive());
            res.body() = reply.body;
            res.prepare_payload();
            auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            if (wec || !res.keep_alive() || reply.close_after) co_return;
        }
    }

    Reply Record(const http::request<http::string_body>& req) {
        Seen seen{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
        for (const auto& field : req) {
            std::string name(field.name_string());
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            seen.headers[name] = std::string(field.value());
        }
        int index = 0;
        {
            std::lock_guard lock(mu_);
            index = static_cast<int>(seen_.size());
            seen_.push_back(seen);
        }
        return script_(seen, index);
    }

    Script script_;
    std::shared_ptr<ssl::context> tls_;
    asio::io_context ioc_{1};
    tcp::acceptor acceptor_{ioc_};
    std::thread thread_;
    std::atomic<int> connections_{0};
    mutable std::mutex mu_;
    std::vector<Seen> seen_;   // guarded by mu_
    std::string server_name_;  // guarded by mu_; the SNI of the last TLS handshake
};

Reply Body(std::string body) {
    Reply r;
    r.body = std::move(body);
    return r;
}
Reply Status(unsigned status, std::string body = "{}") {
    Reply r = Body(std::move(body));
    r.status = status;
    return r;
}
Reply Slow(std::chrono::milliseconds delay, std::string body = "{}") {
    Reply r = Body(std::move(body));
    r.delay = delay;
    return r;
}
Reply Drop() {
    Reply r;
    r.drop = true;
    return r;
}
Reply ThenClose(std::string body) {
    Reply r = Body(std::move(body));
    r.close_after = true;
    return r;
}

TestCore::Script Always(Reply reply) {
    return [reply](const Seen&, int) { return reply; };
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures

constexpr const char* kProfile = R"({"id":"c1001","name":{"zh":"王小明","en":"Wang Xiaoming"},
    "preferred_language":"zh","birth_date":"1988-04-12","phone":"+8613800138001","risk_level":"R2",
    "segment":"mass","marketing_opt_out":false,"app_user":true,"extra_field_from_a_newer_core":1})";

constexpr const char* kDebitCard = R"({"id":"k100101","kind":"debit","last4":"1282","account_id":"a100101",
    "status":"frozen","expires":"2029-06","credit_limit":null,"statement_balance":null,"minimum_due":null,
    "statement_date":null,"due_date":null})";

constexpr const char* kCreditCard = R"({"id":"k100202","kind":"credit","last4":"2185","account_id":"",
    "status":"active","expires":"2029-04","credit_limit":{"amount":"50000.00","currency":"CNY"},
    "statement_balance":{"amount":"12486.30","currency":"CNY"},"minimum_due":{"amount":"1248.63","currency":"CNY"},
    "statement_date":"2026-11-05","due_date":"2026-11-25"})";

std::string CardAction(std::string_view outcome, std::string_view extra = "") {
    return std::string(R"({"outcome":")") + std::string(outcome) + R"(","card":)" + kDebitCard + std::string(extra) +
           "}";
}

HttpBankOptions Options(const TestCore& core) {
    HttpBankOptions o;
    o.base_url = core.Url();
    o.timeout = 2000ms;
    o.retries = 2;
    o.backoff = 5ms;
    o.breaker_failures = 100;
    o.breaker_cooldown = 200ms;
    o.bearer_token = "test-token";
    return o;
}

std::unique_ptr<HttpCoreBank> Bank(HttpBankOptions options) {
    auto bank = HttpCoreBank::Create(std::move(options));
    if (!bank) ADD_FAILURE() << bank.error().message;
    return bank ? std::move(bank).value() : nullptr;
}

CallContext Ctx(std::string idempotency_key = "") { return CallContext{"req-42", 2000ms, std::move(idempotency_key)}; }

template <typename T>
ErrorCode CodeOf(const Result<T>& r) {
    return r ? ErrorCode::kInternal : r.error().code;
}

// ---------------------------------------------------------------------------------------------------------
// Every operation: request and parsing

TEST(HttpCoreBank, ProfileSendsTheDocumentedRequestAndParsesTheCustomer) {
    TestCore core(Always(Body(kProfile)));
    auto bank = Bank(Options(core));
    auto p = bank->Profile(Ctx(), "c1001");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->id, "c1001");
    EXPECT_EQ(p->name.zh, "王小明");
    EXPECT_EQ(p->name.In("en"), "Wang Xiaoming");
    EXPECT_EQ(p->preferred_language, "zh");
    EXPECT_EQ(p->birth_date, "1988-04-12");
    EXPECT_EQ(p->phone, "+8613800138001");
    EXPECT_EQ(p->risk_level, "R2");
    EXPECT_EQ(p->segment, "mass");
    EXPECT_FALSE(p->marketing_opt_out);
    EXPECT_TRUE(p->app_user);

    Seen seen = core.last();
    EXPECT_EQ(seen.method, "GET");
    EXPECT_EQ(seen.target, "/core/v1/customers/c1001");
    EXPECT_EQ(seen.Header("authorization"), "Bearer test-token");
    EXPECT_EQ(seen.Header("x-request-id"), "req-42");
    EXPECT_EQ(seen.Header("accept"), "application/json");
    EXPECT_EQ(seen.Header("idempotency-key"), "");  // reads carry none
    EXPECT_EQ(seen.Header("host"), "127.0.0.1:" + std::to_string(core.port()));
}

TEST(HttpCoreBank, LookupsPostThePersonalDataInTheBody) {
    TestCore core(Always(Body(kProfile)));
    auto bank = Bank(Options(core));
    ASSERT_TRUE(bank->FindByPhone(Ctx(), "+8613800138001"));
    Seen seen = core.last();
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.target, "/core/v1/customers/lookup");
    EXPECT_EQ(seen.Header("content-type"), "application/json");
    EXPECT_EQ(json::parse(seen.body), json::parse(R"({"phone":"+8613800138001"})"));

    auto p = bank->FindByCardAndBirthDate(Ctx(), "1282", "1988-04-12");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->id, "c1001");
    seen = core.last();
    EXPECT_EQ(seen.target, "/core/v1/customers/lookup");
    EXPECT_EQ(json::parse(seen.body), json::parse(R"({"card_last4":"1282","birth_date":"1988-04-12"})"));
}

TEST(HttpCoreBank, ParsesAccounts) {
    TestCore core(Always(Body(R"({"items":[
        {"id":"a100101","number":"6217000010010152601","last4":"2601","type":"savings",
         "balance":{"amount":"52340.18","currency":"CNY"},"status":"active","opened":"2019-06-03"},
        {"id":"a100402","number":"6217000010040200017","last4":"0017","type":"current",
         "balance":{"amount":"-0.05","currency":"USD"},"status":"dormant","opened":"2011-09-01"}]})")));
    auto bank = Bank(Options(core));
    auto accounts = bank->Accounts(Ctx(), "c1001");
    ASSERT_TRUE(accounts) << accounts.error().message;
    EXPECT_EQ(core.last().target, "/core/v1/customers/c1001/accounts");
    ASSERT_EQ(accounts->size(), 2u);
    const Account& a = (*accounts)[0];
    EXPECT_EQ(a.id, "a100101");
    EXPECT_EQ(a.number, "6217000010010152601");
    EXPECT_EQ(a.last4, "2601");
    EXPECT_EQ(a.type, "savings");
    EXPECT_EQ(a.balance, (Money{5234018, "CNY"}));
    EXPECT_EQ(a.status, "active");
    EXPECT_EQ(a.opened, "2019-06-03");
    EXPECT_EQ((*accounts)[1].balance, (Money{-5, "USD"}));
    EXPECT_EQ((*accounts)[1].status, "dormant");
}

TEST(HttpCoreBank, TransactionsSendEveryFilterAndParseThePage) {
    TestCore core(Always(Body(R"({"items":[
        {"id":"t1","account_id":"","card_id":"k100202","time":"2026-11-19T12:30:00",
         "amount":{"amount":"-1286.00","currency":"CNY"},"original":{"amount":"-181.13","currency":"USD"},
         "kind":"card","merchant_id":"ctrip","category":"travel","description":{"zh":"携程","en":"Trip.com"}},
        {"id":"t2","account_id":"a100101","card_id":"","time":"2026-11-10T09:00:00",
         "amount":{"amount":"12800.00","currency":"CNY"},"original":null,
         "kind":"income","merchant_id":"","category":"","description":{"zh":"工资","en":"Salary"}}],
        "total":37,"totals":[{"amount":"-4100.50","currency":"CNY"},{"amount":"-12.00","currency":"USD"}]})")));
    auto bank = Bank(Options(core));
    TransactionQuery q;
    q.from = "2026-10-01";
    q.to = "2026-10-31";
    q.card_id = "k100202";
    q.merchant = "淘宝 & co";
    q.category = "online_shopping";
    q.debits_only = true;
    q.limit = 50;
    auto page = bank->Transactions(Ctx(), "c1002", q);
    ASSERT_TRUE(page) << page.error().message;

    Seen seen = core.last();
    EXPECT_EQ(seen.Path(), "/core/v1/customers/c1002/transactions");
    EXPECT_EQ(seen.Param("from"), "2026-10-01");
    EXPECT_EQ(seen.Param("to"), "2026-10-31");
    EXPECT_EQ(seen.Param("card_id"), "k100202");
    EXPECT_EQ(seen.Param("merchant"), "淘宝 & co");
    EXPECT_EQ(seen.Param("category"), "online_shopping");
    EXPECT_EQ(seen.Param("debits_only"), "true");
    EXPECT_EQ(seen.Param("limit"), "50");
    EXPECT_EQ(seen.target.find("account_id"), std::string::npos);  // empty filters are left out

    ASSERT_EQ(page->items.size(), 2u);
    const Transaction& t = page->items[0];
    EXPECT_EQ(t.id, "t1");
    EXPECT_EQ(t.card_id, "k100202");
    EXPECT_EQ(t.time, "2026-11-19T12:30:00");
    EXPECT_EQ(t.amount, (Money{-128600, "CNY"}));
    ASSERT_TRUE(t.original);
    EXPECT_EQ(*t.original, (Money{-18113, "USD"}));
    EXPECT_EQ(t.kind, "card");
    EXPECT_EQ(t.merchant_id, "ctrip");
    EXPECT_EQ(t.category, "travel");
    EXPECT_EQ(t.description.en, "Trip.com");
    EXPECT_FALSE(page->items[1].original);
    EXPECT_EQ(page->items[1].account_id, "a100101");
    EXPECT_EQ(page->total, 37);
    ASSERT_EQ(page->totals.size(), 2u);
    EXPECT_EQ(page->totals[1], (Money{-1200, "USD"}));
}

TEST(HttpCoreBank, TransactionLimitIsCheckedBeforeCallingTheCore) {
    TestCore core(Always(Body("{}")));
    auto bank = Bank(Options(core));
    TransactionQuery q;
    q.limit = 501;
    EXPECT_EQ(CodeOf(bank->Transactions(Ctx(), "c1001", q)), ErrorCode::kInvalidArgument);
    q.limit = 0;
    EXPECT_EQ(CodeOf(bank->Transactions(Ctx(), "c1001", q)), ErrorCode::kInvalidArgument);
    EXPECT_EQ(core.requests(), 0);
}

TEST(HttpCoreBank, ParsesDebitAndCreditCards) {
    TestCore core(Always(Body(std::string(R"({"items":[)") + kDebitCard + "," + kCreditCard + "]}")));
    auto bank = Bank(Options(core));
    auto cards = bank->Cards(Ctx(), "c1002");
    ASSERT_TRUE(cards) << cards.error().message;
    EXPECT_EQ(core.last().target, "/core/v1/customers/c1002/cards");
    ASSERT_EQ(cards->size(), 2u);
    const Card& debit = (*cards)[0];
    EXPECT_EQ(debit.kind, "debit");
    EXPECT_EQ(debit.last4, "1282");
    EXPECT_EQ(debit.account_id, "a100101");
    EXPECT_EQ(debit.status, "frozen");
    EXPECT_EQ(debit.expires, "2029-06");
    EXPECT_FALSE(debit.credit_limit);
    EXPECT_FALSE(debit.statement_date);
    const Card& credit = (*cards)[1];
    EXPECT_EQ(credit.kind, "credit");
    EXPECT_EQ(credit.account_id, "");
    EXPECT_EQ(credit.credit_limit, (Money{5000000, "CNY"}));
    EXPECT_EQ(credit.statement_balance, (Money{1248630, "CNY"}));
    EXPECT_EQ(credit.minimum_due, (Money{124863, "CNY"}));
    EXPECT_EQ(credit.statement_date, "2026-11-05");
    EXPECT_EQ(credit.due_date, "2026-11-25");
}

TEST(HttpCoreBank, CardActionsPostToTheCardWithTheIdempotencyKey) {
    TestCore core([](const Seen& seen, int) {
        if (seen.Path().ends_with("/report-lost"))
            return Body(CardAction("done", R"(,"replacement_reference":"RPL-7")"));
        if (seen.Path().ends_with("/unfreeze")) return Body(CardAction("not_allowed"));
        return Body(CardAction("already"));
    });
    auto bank = Bank(Options(core));

    auto lost = bank->ReportLost(Ctx("idem-1"), "c1006", "k100601", "stolen", true);
    ASSERT_TRUE(lost) << lost.error().message;
    EXPECT_EQ(lost->outcome, "done");
    EXPECT_EQ(lost->replacement_reference, "RPL-7");
    EXPECT_EQ(lost->card.id, "k100101");
    Seen seen = core.last();
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.target, "/core/v1/customers/c1006/cards/k100601/report-lost");
    EXPECT_EQ(seen.Header("idempotency-key"), "idem-1");
    EXPECT_EQ(json::parse(seen.body), json::parse(R"({"reason":"stolen","replace":true})"));

    auto frozen = bank->Freeze(Ctx("idem-2"), "c1009", "k100901");
    ASSERT_TRUE(frozen) << frozen.error().message;
    EXPECT_EQ(frozen->outcome, "already");
    EXPECT_EQ(frozen->replacement_reference, "");
    EXPECT_EQ(frozen->card.status, "frozen");
    EXPECT_EQ(core.last().target, "/core/v1/customers/c1009/cards/k100901/freeze");
    EXPECT_EQ(core.last().Header("idempotency-key"), "idem-2");

    auto unfrozen = bank->Unfreeze(Ctx("idem-3"), "c1009", "k100901");
    ASSERT_TRUE(unfrozen) << unfrozen.error().message;
    EXPECT_EQ(unfrozen->outcome, "not_allowed");
    EXPECT_EQ(core.last().target, "/core/v1/customers/c1009/cards/k100901/unfreeze");
}

TEST(HttpCoreBank, ReportLostRejectsAnUnknownReasonLocally) {
    TestCore core(Always(Body("{}")));
    auto bank = Bank(Options(core));
    EXPECT_EQ(CodeOf(bank->ReportLost(Ctx("k"), "c1", "k1", "misplaced", false)), ErrorCode::kInvalidArgument);
    EXPECT_EQ(core.requests(), 0);
}

TEST(HttpCoreBank, TransferStatusByReferenceOrLatest) {
    TestCore core(Always(Body(R"({"reference":"TR20261121005530","date":"2026-11-21",
        "to_name":{"zh":"张伟","en":"Zhang Wei"},"to_account_tail":"8810","amount":{"amount":"5000.00","currency":"CNY"},
        "status":"returned","channel":"mobile","reason":{"zh":"收款账户已销户","en":"The payee's account is closed"}})")));
    auto bank = Bank(Options(core));
    auto t = bank->TransferStatus(Ctx(), "c1003", "TR20261121005530");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(core.last().target, "/core/v1/customers/c1003/transfers/TR20261121005530");
    EXPECT_EQ(t->reference, "TR20261121005530");
    EXPECT_EQ(t->date, "2026-11-21");
    EXPECT_EQ(t->to_name.zh, "张伟");
    EXPECT_EQ(t->to_account_tail, "8810");
    EXPECT_EQ(t->amount, (Money{500000, "CNY"}));
    EXPECT_EQ(t->status, "returned");
    EXPECT_EQ(t->channel, "mobile");
    ASSERT_TRUE(t->reason);
    EXPECT_EQ(t->reason->en, "The payee's account is closed");

    ASSERT_TRUE(bank->TransferStatus(Ctx(), "c1003", ""));
    EXPECT_EQ(core.last().target, "/core/v1/customers/c1003/transfers/latest");
}

TEST(HttpCoreBank, CreateComplaintPostsTheRequest) {
    TestCore core(Always(Status(201, R"({"reference":"CMP-20261123-0001","status":"received",
                                      "created_at":"2026-11-23T10:15:00+08:00","category":"fees"})")));
    auto bank = Bank(Options(core));
    ComplaintRequest req{"fees", "被重复扣费 1286 元", "web", "cv_abc", "zh"};
    auto c = bank->CreateComplaint(Ctx("idem-c"), "c1010", req);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->reference, "CMP-20261123-0001");
    EXPECT_EQ(c->status, "received");
    EXPECT_EQ(c->created_at, "2026-11-23T10:15:00+08:00");
    EXPECT_EQ(c->category, "fees");
    Seen seen = core.last();
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.target, "/core/v1/customers/c1010/complaints");
    EXPECT_EQ(seen.Header("idempotency-key"), "idem-c");
    EXPECT_EQ(json::parse(seen.body), json::parse(R"({"category":"fees","description":"被重复扣费 1286 元",
        "channel":"web","conversation_id":"cv_abc","language":"zh"})"));
}

TEST(HttpCoreBank, ParsesProducts) {
    TestCore core(Always(Body(R"({"items":[
        {"id":"p-deposit-3y","type":"deposit","name":{"zh":"三年定期","en":"3-year deposit"},"risk":"R1",
         "rate":"2.35%","currency":"CNY","min_amount":{"amount":"50.00","currency":"CNY"},
         "description":{"zh":"保本","en":"Principal protected"}},
        {"id":"p-fund","type":"wealth","name":{"zh":"基金","en":"Fund"},"risk":"R4","rate":null,"currency":"USD",
         "min_amount":{"amount":"1000","currency":"USD"},"description":{"zh":"理财非存款","en":"Not a deposit"}}]})")));
    auto bank = Bank(Options(core));
    auto products = bank->Products(Ctx());
    ASSERT_TRUE(products) << products.error().message;
    EXPECT_EQ(core.last().target, "/core/v1/products");
    ASSERT_EQ(products->size(), 2u);
    EXPECT_EQ((*products)[0].id, "p-deposit-3y");
    EXPECT_EQ((*products)[0].type, "deposit");
    EXPECT_EQ((*products)[0].name.en, "3-year deposit");
    EXPECT_EQ((*products)[0].risk, "R1");
    EXPECT_EQ((*products)[0].rate, "2.35%");
    EXPECT_EQ((*products)[0].min_amount, (Money{5000, "CNY"}));
    EXPECT_EQ((*products)[1].rate, "");
    EXPECT_EQ((*products)[1].currency, "USD");
    EXPECT_EQ((*products)[1].min_amount, (Money{100000, "USD"}));
}

TEST(HttpCoreBank, IdsAreEncodedSoTheyCannotChangeThePath) {
    TestCore core(Always(Body(R"({"items":[]})")));
    auto bank = Bank(Options(core));
    ASSERT_TRUE(bank->Accounts(Ctx(), "c1/../x?y"));
    EXPECT_EQ(core.last().target, "/core/v1/customers/c1%2F..%2Fx%3Fy/accounts");
    EXPECT_EQ(CodeOf(bank->Accounts(Ctx(), "")), ErrorCode::kInvalidArgument);
    EXPECT_EQ(core.requests(), 1);
}

TEST(HttpCoreBank, GeneratesARequestIdWhenTheCallerHasNone) {
    TestCore core(Always(Body(kProfile)));
    auto bank = Bank(Options(core));
    ASSERT_TRUE(bank->Profile(CallContext{}, "c1001"));
    EXPECT_FALSE(core.last().Header("x-request-id").empty());
}

// ---------------------------------------------------------------------------------------------------------
// Status mapping

TEST(HttpCoreBank, NotFoundNeedsTheContractsErrorBody) {
    TestCore core([](const Seen& seen, int) {
        if (seen.Path().ends_with("/c404")) return Status(404, R"({"code":"not_found","message":"no such customer"})");
        return Status(404, "<html>Not Found</html>");  // a wrong base_url, not a missing customer
    });
    auto bank = Bank(Options(core));
    auto missing = bank->Profile(Ctx(), "c404");
    EXPECT_EQ(CodeOf(missing), ErrorCode::kNotFound);
    auto misrouted = bank->Profile(Ctx(), "c1001");
    ASSERT_EQ(CodeOf(misrouted), ErrorCode::kUnavailable);
    EXPECT_NE(misrouted.error().message.find("base_url"), std::string::npos);
    EXPECT_EQ(core.requests(), 2);  // 4xx is never retried
}

TEST(HttpCoreBank, BadRequestIsInvalidArgumentAndNotRetried) {
    TestCore core(Always(Status(422, R"({"code":"invalid_birth_date","message":"..."})")));
    auto bank = Bank(Options(core));
    auto r = bank->FindByCardAndBirthDate(Ctx(), "1282", "1988-13-45");
    ASSERT_EQ(CodeOf(r), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("invalid_birth_date"), std::string::npos);
    EXPECT_EQ(core.requests(), 1);
}

TEST(HttpCoreBank, RefusedCredentialsAreUnavailableAndNotRetried) {
    TestCore core(Always(Status(401, R"({"code":"unauthorized"})")));
    auto bank = Bank(Options(core));
    EXPECT_EQ(CodeOf(bank->Products(Ctx())), ErrorCode::kUnavailable);
    EXPECT_EQ(core.requests(), 1);
    EXPECT_EQ(bank->CircuitState(), "closed");  // the core answered: not a breaker failure
}

TEST(HttpCoreBank, ServerErrorsAreRetriedThenUnavailable) {
    TestCore core(Always(Status(500, R"({"code":"internal"})")));
    auto bank = Bank(Options(core));
    auto r = bank->Accounts(Ctx(), "c1001");
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_EQ(r.error().message, "core banking answered 500");
    EXPECT_EQ(core.requests(), 3);  // the first attempt and two retries
}

TEST(HttpCoreBank, ARetryAfterATransientFailureSucceeds) {
    TestCore core([](const Seen&, int index) {
        if (index == 0) return Status(503);
        if (index == 1) return Drop();
        return Body(kProfile);
    });
    auto options = Options(core);
    options.max_idle_connections = 0;  // one connection per request, so each drop is one request
    auto bank = Bank(options);
    auto p = bank->Profile(Ctx(), "c1001");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(core.requests(), 3);
}

TEST(HttpCoreBank, WritesAreRetriedOnlyWithAnIdempotencyKey) {
    TestCore core(Always(Status(502)));
    auto bank = Bank(Options(core));
    EXPECT_EQ(CodeOf(bank->Freeze(Ctx(), "c1001", "k100101")), ErrorCode::kUnavailable);
    EXPECT_EQ(core.requests(), 1);
    EXPECT_EQ(core.last().Header("idempotency-key"), "");
    EXPECT_EQ(CodeOf(bank->CreateComplaint(Ctx(), "c1001", {})), ErrorCode::kUnavailable);
    EXPECT_EQ(core.requests(), 2);
    EXPECT_EQ(CodeOf(bank->Freeze(Ctx("idem-9"), "c1001", "k100101")), ErrorCode::kUnavailable);
    EXPECT_EQ(core.requests(), 5);
}

TEST(HttpCoreBank, ADroppedConnectionIsUnavailable) {
    TestCore core(Always(Drop()));
    auto options = Options(core);
    options.retries = 0;
    auto bank = Bank(options);
    auto r = bank->Cards(Ctx(), "c1001");
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_NE(r.error().message.find("closed"), std::string::npos);
}

TEST(HttpCoreBank, ARefusedConnectionIsUnavailable) {
    std::uint16_t port = 0;
    {
        asio::io_context ioc;
        tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }  // closed again: nothing listens there now
    HttpBankOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.retries = 1;
    o.backoff = 1ms;
    auto bank = Bank(o);
    auto r = bank->Products(Ctx());
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_NE(r.error().message.find("connect"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// Deadlines

TEST(HttpCoreBank, ASlowCoreTimesOutWithinTheDeadline) {
    TestCore core(Always(Slow(3000ms, kProfile)));
    auto options = Options(core);
    options.timeout = 300ms;
    auto bank = Bank(options);
    auto start = std::chrono::steady_clock::now();
    auto r = bank->Profile(Ctx(), "c1001");
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(CodeOf(r), ErrorCode::kUpstreamTimeout);
    EXPECT_LT(elapsed, 300ms + 1s);
    EXPECT_EQ(core.requests(), 1);  // the deadline covers the retries too: no time was left for one
}

TEST(HttpCoreBank, TheCallersTimeoutShortensTheDeadline) {
    TestCore core(Always(Slow(3000ms, kProfile)));
    auto options = Options(core);
    options.timeout = 10000ms;
    auto bank = Bank(options);
    CallContext ctx{"req-1", 200ms, ""};
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(CodeOf(bank->Profile(ctx, "c1001")), ErrorCode::kUpstreamTimeout);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 200ms + 1s);
}

TEST(HttpCoreBank, AnOversizedResponseIsUnavailable) {
    TestCore core(Always(Body(R"({"items":[],"padding":")" + std::string(4096, 'x') + "\"}")));
    auto options = Options(core);
    options.max_response_bytes = 1024;
    options.retries = 0;
    auto bank = Bank(options);
    auto r = bank->Products(Ctx());
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_NE(r.error().message.find("larger than 1024"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// Malformed bodies

TEST(HttpCoreBank, MalformedJsonIsUnavailable) {
    TestCore core(Always(Body(R"({"id":"c1001","name":)")));
    auto bank = Bank(Options(core));
    auto r = bank->Profile(Ctx(), "c1001");
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_EQ(r.error().message, "core banking response is not valid JSON");
    EXPECT_EQ(core.requests(), 1);
}

TEST(HttpCoreBank, ABodyThatBreaksTheContractIsUnavailableAndNamesTheField) {
    struct Case {
        std::string body;
        std::string field;
    };
    std::vector<Case> cases = {
        {R"({"items":[{"id":"a1","number":"1","last4":"0001","type":"savings","balance":{"amount":52340.18,"currency":"CNY"},
            "status":"active","opened":"2019-06-03"}]})",
         "items[0].balance.amount"},
        {R"({"items":[{"id":"a1","number":"1","last4":"0001","type":"savings","balance":{"amount":"1.234","currency":"CNY"},
            "status":"active","opened":"2019-06-03"}]})",
         "items[0].balance.amount"},
        {R"({"items":[{"id":"a1","number":"1","type":"savings","balance":{"amount":"1.00","currency":"CNY"},
            "status":"active","opened":"2019-06-03"}]})",
         "items[0].last4"},
        {R"({"items":[{"id":"a1","number":"1","last4":"0001","type":"savings","balance":{"amount":"1.00","currency":"yuan"},
            "status":"active","opened":"2019-06-03"}]})",
         "items[0].balance.currency"},
        {R"({"items":{}})", "items"},
        {R"([])", "the body"},
    };
    for (const auto& c : cases) {
        TestCore core(Always(Body(c.body)));
        auto bank = Bank(Options(core));
        auto r = bank->Accounts(Ctx(), "c1001");
        ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable) << c.body;
        EXPECT_NE(r.error().message.find("malformed: " + c.field + " "), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find("6217"), std::string::npos);  // values never reach the message
    }
}

TEST(HttpCoreBank, ValuesOutsideTheContractsSetsAreMalformed) {
    TestCore core(Always(Body(R"({"outcome":"maybe","card":)" + std::string(kDebitCard) + "}")));
    auto bank = Bank(Options(core));
    auto r = bank->Freeze(Ctx("k"), "c1001", "k100101");
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_NE(r.error().message.find("outcome"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// Circuit breaker

TEST(HttpCoreBank, TheCircuitOpensFailsFastAndAProbeClosesIt) {
    std::atomic<bool> healthy{false};
    TestCore core([&](const Seen&, int) { return healthy ? Body(R"({"items":[]})") : Status(500); });
    auto options = Options(core);
    options.retries = 0;
    options.breaker_failures = 3;
    options.breaker_cooldown = 200ms;
    auto bank = Bank(options);

    for (int i = 0; i < 3; ++i) EXPECT_EQ(CodeOf(bank->Products(Ctx())), ErrorCode::kUnavailable);
    EXPECT_EQ(core.requests(), 3);
    EXPECT_EQ(bank->CircuitState(), "open");

    auto start = std::chrono::steady_clock::now();
    auto refused = bank->Products(Ctx());
    ASSERT_EQ(CodeOf(refused), ErrorCode::kUnavailable);
    EXPECT_EQ(refused.error().message, "core banking circuit open");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
    EXPECT_EQ(core.requests(), 3);  // the core was not contacted

    healthy = true;
    std::this_thread::sleep_for(250ms);  // past the cooldown
    auto probe = bank->Products(Ctx());
    ASSERT_TRUE(probe) << probe.error().message;
    EXPECT_EQ(core.requests(), 4);
    EXPECT_EQ(bank->CircuitState(), "closed");
    ASSERT_TRUE(bank->Products(Ctx()));
}

TEST(HttpCoreBank, RetriesStopWhenTheCircuitOpens) {
    TestCore core(Always(Status(500)));
    auto options = Options(core);
    options.retries = 5;
    options.breaker_failures = 2;
    auto bank = Bank(options);
    auto r = bank->Products(Ctx());
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_EQ(r.error().message, "core banking answered 500");  // the real failure, not "circuit open"
    EXPECT_EQ(core.requests(), 2);
    EXPECT_EQ(bank->CircuitState(), "open");
}

TEST(HttpCoreBank, TimeoutsCountAsBreakerFailures) {
    TestCore core(Always(Slow(2000ms)));
    auto options = Options(core);
    options.timeout = 100ms;
    options.breaker_failures = 1;
    auto bank = Bank(options);
    EXPECT_EQ(CodeOf(bank->Products(Ctx())), ErrorCode::kUpstreamTimeout);
    EXPECT_EQ(bank->CircuitState(), "open");
}

// ---------------------------------------------------------------------------------------------------------
// Connections

TEST(HttpCoreBank, KeepAliveConnectionsAreReused) {
    TestCore core(Always(Body(kProfile)));
    auto bank = Bank(Options(core));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(bank->Profile(Ctx(), "c1001"));
    EXPECT_EQ(core.requests(), 3);
    EXPECT_EQ(core.connections(), 1);
}

TEST(HttpCoreBank, AConnectionTheCoreClosedWhileIdleIsReplacedTransparently) {
    TestCore core(Always(ThenClose(kProfile)));
    auto options = Options(core);
    options.retries = 0;  // the replay on a new connection is not a retry
    auto bank = Bank(options);
    ASSERT_TRUE(bank->Profile(Ctx(), "c1001"));
    std::this_thread::sleep_for(20ms);  // let the close reach the client's socket
    auto again = bank->Profile(Ctx(), "c1001");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(core.connections(), 2);
}

TEST(HttpCoreBank, ResolvesHostNames) {
    TestCore core(Always(Body(kProfile)));
    auto options = Options(core);
    options.base_url = core.Url("localhost");
    auto bank = Bank(options);
    auto p = bank->Profile(Ctx(), "c1001");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(core.last().Header("host"), "localhost:" + std::to_string(core.port()));
}

// ---------------------------------------------------------------------------------------------------------
// Options

TEST(HttpBankOptions, RejectsBadValuesWithTheOptionsName) {
    auto error_of = [](auto mutate) {
        HttpBankOptions o;
        o.base_url = "https://core.bank.example/api/v1";
        mutate(o);
        auto r = ValidateHttpBankOptions(o);
        return r ? std::string("ok") : r.error().message;
    };
    EXPECT_EQ(error_of([](HttpBankOptions&) {}), "ok");
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.base_url = ""; }).find("base_url"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.base_url = "ftp://core/x"; }).find("http:// or https://"),
              std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.base_url = "core.bank.example"; }).find("base_url"),
              std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.base_url = "https://u:p@core/x"; }).find("credentials"),
              std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.base_url = "https://core/x?a=1"; }).find("query"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.timeout = -1ms; }).find("timeout"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.timeout = 0ms; }).find("timeout"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.backoff = -5ms; }).find("backoff"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.retries = -1; }).find("retries"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.retries = 11; }).find("retries"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.breaker_failures = 0; }).find("breaker_failures"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.breaker_cooldown = 0ms; }).find("breaker_cooldown"),
              std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.cert_file = "client.pem"; }).find("key_file"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.key_file = "client.key"; }).find("cert_file"), std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) {
                  o.base_url = "http://core/x";
                  o.ca_file = "ca.pem";
              }).find("https://"),
              std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.bearer_token = "abc\r\nX-Evil: 1"; }).find("bearer_token"),
              std::string::npos);
    EXPECT_NE(error_of([](HttpBankOptions& o) { o.max_idle_connections = -1; }).find("max_idle_connections"),
              std::string::npos);
}

TEST(HttpBankOptions, StripsATrailingSlash) {
    HttpBankOptions o;
    o.base_url = "http://10.0.0.5:8443/core/v1/";
    auto r = ValidateHttpBankOptions(o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->base_url, "http://10.0.0.5:8443/core/v1");
}

TEST(HttpBankOptions, CreateReportsTlsFilesItCannotLoad) {
    HttpBankOptions o;
    o.base_url = "https://core.bank.example";
    o.ca_file = "/nonexistent/ca.pem";
    auto r = HttpCoreBank::Create(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("ca_file /nonexistent/ca.pem"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// HTTPS with mutual TLS. A throw-away CA signs a server certificate (127.0.0.1 and localhost) and a client
// certificate, all written to a temporary directory.

struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
    void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr) << value;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A certificate for `key`, signed by `issuer_key` (self-signed when `issuer` is null).
Cert MakeCert(const char* common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long serial,
              const std::vector<std::pair<int, const char*>>& extensions) {
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                               0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    for (const auto& [nid, value] : extensions) AddExtension(cert.get(), issuer ? issuer : cert.get(), nid, value);
    EXPECT_GT(X509_sign(cert.get(), issuer_key, EVP_sha256()), 0);
    return cert;
}

void WritePem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    if (cert) PEM_write_X509(f, cert);
    if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
}

class HttpsCoreBank : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                         ("kefu-mtls-" + std::to_string(::getpid())));
        std::filesystem::create_directories(*dir_);
        Key ca_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
        Cert ca = MakeCert("Kefu Test CA", ca_key.get(), nullptr, ca_key.get(), 1,
                           {{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}});
        auto leaf = [&](const char* cn, long serial, const char* usage, const char* san, const char* file) {
            Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
            std::vector<std::pair<int, const char*>> ext = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                            {NID_key_usage, "critical,digitalSignature"},
                                                            {NID_ext_key_usage, usage},
                                                            {NID_authority_key_identifier, "keyid:always"}};
            if (san) ext.emplace_back(NID_subject_alt_name, san);
            Cert cert = MakeCert(cn, key.get(), ca.get(), ca_key.get(), serial, ext);
            WritePem(*dir_ / (std::string(file) + ".pem"), cert.get(), nullptr);
            WritePem(*dir_ / (std::string(file) + ".key"), nullptr, key.get());
        };
        leaf("core.test", 2, "serverAuth", "IP:127.0.0.1,DNS:localhost", "server");
        leaf("kefu", 3, "clientAuth", nullptr, "client");
        WritePem(*dir_ / "ca.pem", ca.get(), nullptr);
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(*dir_);
        delete dir_;
    }

    static std::string File(const char* name) { return (*dir_ / name).string(); }

    // The core's TLS: its certificate, and a client certificate from the test CA is required.
    static std::shared_ptr<ssl::context> ServerTls() {
        auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
        ctx->use_certificate_chain_file(File("server.pem"));
        ctx->use_private_key_file(File("server.key"), ssl::context::pem);
        ctx->load_verify_file(File("ca.pem"));
        ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
        return ctx;
    }

    static HttpBankOptions MtlsOptions(const TestCore& core, std::string_view host) {
        auto o = Options(core);
        o.base_url = core.Url(host);
        o.ca_file = File("ca.pem");
        o.cert_file = File("client.pem");
        o.key_file = File("client.key");
        o.retries = 0;
        return o;
    }

    static std::filesystem::path* dir_;
};
std::filesystem::path* HttpsCoreBank::dir_ = nullptr;

TEST_F(HttpsCoreBank, SucceedsWithTheClientCertificate) {
    TestCore core(Always(Body(kProfile)), ServerTls());
    auto bank = Bank(MtlsOptions(core, "127.0.0.1"));
    auto p = bank->Profile(Ctx(), "c1001");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->id, "c1001");
    EXPECT_EQ(core.last().Header("authorization"), "Bearer test-token");
    ASSERT_TRUE(bank->Profile(Ctx(), "c1001"));
    EXPECT_EQ(core.connections(), 1);  // the TLS connection was kept alive and reused
}

TEST_F(HttpsCoreBank, SendsTheServerNameAndVerifiesIt) {
    TestCore core(Always(Body(kProfile)), ServerTls());
    auto bank = Bank(MtlsOptions(core, "localhost"));
    auto p = bank->Profile(Ctx(), "c1001");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(core.server_name(), "localhost");
}

TEST_F(HttpsCoreBank, FailsWithoutTheClientCertificate) {
    TestCore core(Always(Body(kProfile)), ServerTls());
    auto o = MtlsOptions(core, "127.0.0.1");
    o.cert_file.clear();
    o.key_file.clear();
    auto bank = Bank(o);
    auto r = bank->Profile(Ctx(), "c1001");
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_EQ(core.requests(), 0);
}

TEST_F(HttpsCoreBank, RefusesAServerItCannotVerify) {
    TestCore core(Always(Body(kProfile)), ServerTls());
    auto o = MtlsOptions(core, "127.0.0.1");
    o.ca_file.clear();  // the system store does not know the test CA
    auto bank = Bank(o);
    auto r = bank->Profile(Ctx(), "c1001");
    ASSERT_EQ(CodeOf(r), ErrorCode::kUnavailable);
    EXPECT_NE(r.error().message.find("TLS handshake failed"), std::string::npos) << r.error().message;
    EXPECT_EQ(core.requests(), 0);
}

TEST_F(HttpsCoreBank, CreateRejectsAKeyThatDoesNotMatchTheCertificate) {
    HttpBankOptions o;
    o.base_url = "https://core.bank.example";
    o.ca_file = File("ca.pem");
    o.cert_file = File("client.pem");
    o.key_file = File("server.key");
    auto r = HttpCoreBank::Create(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("key_file"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("mismatch"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace kefu::banking
