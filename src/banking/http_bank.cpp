#include "banking/http_bank.hpp"

#include <algorithm>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <initializer_list>
#include <limits>
#include <optional>
#include <random>
#include <thread>

#include "banking/http_transport.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"

namespace kefu::banking {
namespace {

namespace json = boost::json;
namespace urls = boost::urls;
using http_verb = boost::beast::http::verb;
using SteadyTime = std::chrono::steady_clock::time_point;

Error Invalid(std::string message) { return Error::Make(ErrorCode::kInvalidArgument, std::move(message)); }
Error Unavailable(std::string message) { return Error::Make(ErrorCode::kUnavailable, std::move(message)); }

// Printable ASCII without spaces: safe as a header value (no CR/LF injection).
bool IsToken(std::string_view s, std::size_t max_size) {
    return s.size() <= max_size && std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// ---------------------------------------------------------------------------------------------------------
// Options

Result<void> ValidateBaseUrl(const std::string& base_url) {
    auto url = urls::parse_absolute_uri(base_url);
    if (!url) return Invalid("base_url is not a valid absolute URL");
    if (url->scheme() != "http" && url->scheme() != "https")
        return Invalid("base_url must start with http:// or https://");
    if (url->encoded_host().empty()) return Invalid("base_url has no host");
    if (url->has_userinfo()) return Invalid("base_url must not carry credentials; use bearer_token");
    if (url->has_port() && url->port_number() == 0) return Invalid("base_url has an invalid port");
    if (url->has_query() || url->has_fragment()) return Invalid("base_url must not have a query or fragment");
    return Ok();
}

Result<void> ValidateTls(const HttpBankOptions& o) {
    bool https = o.base_url.starts_with("https://");
    if (o.cert_file.empty() != o.key_file.empty()) return Invalid("cert_file and key_file must be given together");
    if (!https && (!o.ca_file.empty() || !o.cert_file.empty())) {
        return Invalid("ca_file, cert_file and key_file need an https:// base_url");
    }
    return Ok();
}

Result<void> ValidateLimits(const HttpBankOptions& o) {
    using std::chrono::milliseconds;
    if (o.timeout <= milliseconds::zero()) return Invalid("timeout must be positive");
    if (o.retries < 0 || o.retries > 10) return Invalid("retries must be between 0 and 10");
    if (o.backoff < milliseconds::zero()) return Invalid("backoff must not be negative");
    if (o.breaker_failures < 1) return Invalid("breaker_failures must be at least 1");
    if (o.breaker_cooldown <= milliseconds::zero()) return Invalid("breaker_cooldown must be positive");
    if (o.max_idle_connections < 0 || o.max_idle_connections > 64) {
        return Invalid("max_idle_connections must be between 0 and 64");
    }
    if (o.idle_timeout < milliseconds::zero()) return Invalid("idle_timeout must not be negative");
    if (o.max_response_bytes < 1024) return Invalid("max_response_bytes must be at least 1024");
    return Ok();
}

// ---------------------------------------------------------------------------------------------------------
// Response decoding. Every field the struct needs must be present with the right type; unknown fields are
// ignored so that the core can add some. Problems name the field's path, never its value.

std::string Join(std::string_view where, std::string_view key) {
    return where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
}

// Reads the fields of one JSON object and records the first problem in `error` ("items[2].balance: ...").
class Fields {
  public:
    Fields(const json::value& v, std::string where, std::string& error)
        : obj_(v.if_object()), where_(std::move(where)), error_(error) {
        if (!obj_) Fail("", "must be an object");
    }

    std::string Str(std::string_view key) {
        const json::value* v = Require(key);
        if (v && !v->is_string()) Fail(key, "must be a string");
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    }
    // Absent or null: nullopt.
    std::optional<std::string> OptStr(std::string_view key) {
        if (IsAbsent(key)) return std::nullopt;
        return Str(key);
    }
    std::string OneOf(std::string_view key, std::initializer_list<std::string_view> allowed) {
        std::string s = Str(key);
        if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) Fail(key, "has a value outside its set");
        return s;
    }
    bool Bool(std::string_view key) {
        const json::value* v = Require(key);
        if (v && !v->is_bool()) Fail(key, "must be true or false");
        return v && v->is_bool() && v->get_bool();
    }
    int Count(std::string_view key) {
        const json::value* v = Require(key);
        if (!v) return 0;
        constexpr std::int64_t kMax = std::numeric_limits<int>::max();
        std::int64_t n = -1;
        if (v->is_int64()) n = v->get_int64();
        if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(kMax))
            n = static_cast<std::int64_t>(v->get_uint64());
        if (n < 0 || n > kMax) {
            Fail(key, "must be a non-negative integer");
            return 0;
        }
        return static_cast<int>(n);
    }
    Money MoneyAt(std::string_view key) {
        const json::value* v = Require(key);
        return v ? DecodeMoney(*v, Join(where_, key), error_) : Money{};
    }
    std::optional<Money> OptMoney(std::string_view key) {
        if (IsAbsent(key)) return std::nullopt;
        return MoneyAt(key);
    }
    Bilingual Text(std::string_view key) {
        const json::value* v = Require(key);
        if (!v) return {};
        Fields text(*v, Join(where_, key), error_);
        return Bilingual{text.Str("zh"), text.Str("en")};
    }
    std::optional<Bilingual> OptText(std::string_view key) {
        if (IsAbsent(key)) return std::nullopt;
        return Text(key);
    }
    // A JSON array whose elements `decode(value, where, error)` turns into T.
    template <typename T, typename Decode>
    std::vector<T> List(std::string_view key, Decode decode) {
        std::vector<T> out;
        const json::value* v = Require(key);
        if (v && !v->is_array()) Fail(key, "must be an array");
        if (!v || !v->is_array()) return out;
        const auto& array = v->get_array();
        out.reserve(array.size());
        for (std::size_t i = 0; i < array.size(); ++i) {
            out.push_back(decode(array[i], Join(where_, key) + "[" + std::to_string(i) + "]", error_));
        }
        return out;
    }
    template <typename T, typename Decode>
    T Object(std::string_view key, Decode decode) {
        const json::value* v = Require(key);
        return v ? decode(*v, Join(where_, key), error_) : T{};
    }

    static Money DecodeMoney(const json::value& v, const std::string& where, std::string& error) {
        Fields f(v, where, error);
        std::string amount = f.Str("amount");
        std::string currency = f.Str("currency");
        auto cents = ParseCents(amount);
        if (!cents) f.Fail("amount", "must be a decimal string with at most two decimals");
        bool iso = currency.size() == 3 &&
                   std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
        if (!iso) f.Fail("currency", "must be an ISO 4217 code");
        return Money{cents.value_or(0), currency};
    }

  private:
    bool IsAbsent(std::string_view key) const {
        if (!obj_) return true;
        const json::value* v = obj_->if_contains(key);
        return !v || v->is_null();
    }
    const json::value* Require(std::string_view key) {
        const json::value* v = obj_ ? obj_->if_contains(key) : nullptr;
        if (obj_ && !v) Fail(key, "is missing");
        return v;
    }
    void Fail(std::string_view key, std::string_view problem) {
        if (!error_.empty()) return;  // the first problem is enough
        std::string path = Join(where_, key);
        error_ = (path.empty() ? "the body" : path) + " " + std::string(problem);
    }

    const json::object* obj_;
    std::string where_;
    std::string& error_;
};

CustomerProfile DecodeProfile(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    CustomerProfile p;
    p.id = f.Str("id");
    p.name = f.Text("name");
    p.preferred_language = f.OneOf("preferred_language", {"zh", "en"});
    p.birth_date = f.Str("birth_date");
    p.phone = f.Str("phone");
    p.risk_level = f.Str("risk_level");
    p.segment = f.Str("segment");
    p.marketing_opt_out = f.Bool("marketing_opt_out");
    p.app_user = f.Bool("app_user");
    return p;
}

Account DecodeAccount(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    Account a;
    a.id = f.Str("id");
    a.number = f.Str("number");
    a.last4 = f.Str("last4");
    a.type = f.Str("type");
    a.balance = f.MoneyAt("balance");
    a.status = f.Str("status");
    a.opened = f.Str("opened");
    return a;
}

Card DecodeCard(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    Card c;
    c.id = f.Str("id");
    c.kind = f.OneOf("kind", {"debit", "credit"});
    c.last4 = f.Str("last4");
    c.account_id = f.Str("account_id");
    c.status = f.OneOf("status", {"active", "frozen", "lost", "stolen", "expired"});
    c.expires = f.Str("expires");
    c.credit_limit = f.OptMoney("credit_limit");
    c.statement_balance = f.OptMoney("statement_balance");
    c.minimum_due = f.OptMoney("minimum_due");
    c.statement_date = f.OptStr("statement_date");
    c.due_date = f.OptStr("due_date");
    return c;
}

Transaction DecodeTransaction(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    Transaction t;
    t.id = f.Str("id");
    t.account_id = f.Str("account_id");
    t.card_id = f.Str("card_id");
    t.time = f.Str("time");
    t.amount = f.MoneyAt("amount");
    t.original = f.OptMoney("original");
    t.kind = f.Str("kind");
    t.merchant_id = f.Str("merchant_id");
    t.category = f.Str("category");
    t.description = f.Text("description");
    return t;
}

TransactionPage DecodeTransactionPage(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    TransactionPage page;
    page.items = f.List<Transaction>("items", DecodeTransaction);
    page.total = f.Count("total");
    page.totals = f.List<Money>("totals", Fields::DecodeMoney);
    return page;
}

Transfer DecodeTransfer(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    Transfer t;
    t.reference = f.Str("reference");
    t.date = f.Str("date");
    t.to_name = f.Text("to_name");
    t.to_account_tail = f.Str("to_account_tail");
    t.amount = f.MoneyAt("amount");
    t.status = f.OneOf("status", {"completed", "pending", "failed", "returned"});
    t.channel = f.Str("channel");
    t.reason = f.OptText("reason");
    return t;
}

CardActionResult DecodeCardAction(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    CardActionResult r;
    r.outcome = f.OneOf("outcome", {"done", "already", "not_allowed"});
    r.card = f.Object<Card>("card", DecodeCard);
    r.replacement_reference = f.OptStr("replacement_reference").value_or("");
    return r;
}

Complaint DecodeComplaint(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    Complaint c;
    c.reference = f.Str("reference");
    c.status = f.Str("status");
    c.created_at = f.Str("created_at");
    c.category = f.Str("category");
    return c;
}

Product DecodeProduct(const json::value& v, const std::string& where, std::string& error) {
    Fields f(v, where, error);
    Product p;
    p.id = f.Str("id");
    p.type = f.Str("type");
    p.name = f.Text("name");
    p.risk = f.Str("risk");
    p.rate = f.OptStr("rate").value_or("");
    p.currency = f.Str("currency");
    p.min_amount = f.MoneyAt("min_amount");
    p.description = f.Text("description");
    return p;
}

// A list endpoint's body, {"items": [...]}, whose elements `decode` reads.
template <typename T, typename Decode>
auto ItemsOf(Decode decode) {
    return [decode](const json::value& v, const std::string& where, std::string& error) {
        Fields f(v, where, error);
        return f.List<T>("items", decode);
    };
}

// ---------------------------------------------------------------------------------------------------------
// Requests

// One path segment (a customer, card or transfer id), percent-encoded so it cannot change the path.
std::string Segment(std::string_view s) { return urls::encode(s, urls::unreserved_chars); }

void AddParam(std::string& query, std::string_view name, std::string_view value) {
    if (value.empty()) return;
    if (!query.empty()) query += '&';
    query += name;
    query += '=';
    query += urls::encode(value, urls::unreserved_chars);
}

// The error body a core sends with a 4xx: {"code": "not_found", "message": "..."}; "" if there is none.
std::string ErrorBodyCode(const std::string& body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    const json::value* code = v.get_object().if_contains("code");
    return code && code->is_string() && IsToken(code->get_string(), 64) ? std::string(code->get_string()) : "";
}

// The error for a non-2xx answer that is not a server error.
Error StatusError(unsigned status, const std::string& body) {
    const std::string code = ErrorBodyCode(body);
    const std::string shown = std::to_string(status) + (code.empty() ? "" : " " + code);
    switch (status) {
        case 404:
            // A 404 without the contract's body is more likely a wrong base_url than a missing customer.
            if (code == "not_found") return Error::Make(ErrorCode::kNotFound, "core banking: not found");
            return Unavailable("core banking answered 404 without a not_found error body; check base_url");
        case 400:
        case 422:
            return Invalid("core banking refused the request as invalid (" + shown + ")");
        case 401:
        case 403:
            return Unavailable("core banking refused Kefu's credentials (" + shown + ")");
        default:
            return Unavailable("core banking answered " + shown);
    }
}

// Exponential back-off with "equal jitter": a wait drawn from [d/2, d], d = backoff × 2^(attempt-1).
std::chrono::milliseconds BackoffDelay(std::chrono::milliseconds backoff, int attempt) {
    thread_local std::mt19937 rng{std::random_device{}()};
    const auto full = backoff.count() << std::min(attempt - 1, 10);
    if (full <= 1) return std::chrono::milliseconds(full);
    std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(full / 2, full);
    return std::chrono::milliseconds(pick(rng));
}

std::string Serialize(json::object body) { return json::serialize(body); }

}  // namespace

struct HttpCoreBank::Call {
    http_verb method = http_verb::get;
    std::string path;    // below the base URL, percent-encoded: /customers/c1001/cards
    std::string query;   // percent-encoded, without '?'; not logged
    std::string body;    // JSON, or empty
    bool write = false;  // changes state at the core: retried only with an idempotency key
};

namespace {
using Call = HttpCoreBank::Call;
Call Get(std::string path) {
    Call call;
    call.path = std::move(path);
    return call;
}
Call Post(std::string path, std::string body, bool write) {
    Call call;
    call.method = http_verb::post;
    call.path = std::move(path);
    call.body = std::move(body);
    call.write = write;
    return call;
}
}  // namespace

Result<HttpBankOptions> ValidateHttpBankOptions(HttpBankOptions options) {
    while (options.base_url.ends_with('/')) options.base_url.pop_back();
    if (options.base_url.empty()) return Invalid("base_url is required");
    if (auto r = ValidateBaseUrl(options.base_url); !r) return r.error();
    if (auto r = ValidateTls(options); !r) return r.error();
    if (auto r = ValidateLimits(options); !r) return r.error();
    if (!IsToken(options.bearer_token, 4096)) return Invalid("bearer_token must be printable ASCII without spaces");
    return options;
}

Result<std::unique_ptr<HttpCoreBank>> HttpCoreBank::Create(HttpBankOptions options) {
    auto valid = ValidateHttpBankOptions(std::move(options));
    if (!valid) return valid.error();
    HttpBankOptions o = std::move(valid).value();
    auto url = urls::parse_absolute_uri(o.base_url).value();
    HttpClientOptions client;
    client.tls = url.scheme() == "https";
    client.host = url.host_address();
    client.port = url.has_port() ? url.port_number() : static_cast<std::uint16_t>(client.tls ? 443 : 80);
    client.ca_file = o.ca_file;
    client.cert_file = o.cert_file;
    client.key_file = o.key_file;
    client.verify_peer = o.verify_peer;
    client.max_idle_connections = o.max_idle_connections;
    client.idle_timeout = o.idle_timeout;
    client.max_response_bytes = o.max_response_bytes;
    auto http = HttpClient::Create(std::move(client));
    if (!http) return http.error();
    if (url.scheme() == "https" && !o.verify_peer) {
        log::Warn("core banking: TLS peer verification is off", {{"base_url", o.base_url}});
    }
    std::string prefix(url.encoded_path().data(), url.encoded_path().size());
    return std::unique_ptr<HttpCoreBank>(new HttpCoreBank(std::move(o), std::move(prefix), std::move(http).value()));
}

HttpCoreBank::HttpCoreBank(HttpBankOptions options, std::string path_prefix, std::unique_ptr<HttpClient> client)
    : options_(std::move(options)),
      path_prefix_(std::move(path_prefix)),
      client_(std::move(client)),
      breaker_({.failure_threshold = options_.breaker_failures, .cooldown = options_.breaker_cooldown}) {}

HttpCoreBank::~HttpCoreBank() = default;

Result<json::value> HttpCoreBank::Attempt(const HttpRequest& request, SteadyTime deadline, bool* retryable) {
    auto response = client_->Send(request, deadline);
    if (!response) {
        breaker_.RecordFailure();
        *retryable = true;
        return Error::Make(response.error().code, "core banking: " + response.error().message);
    }
    const unsigned status = response->status;
    if (status >= 500) {
        breaker_.RecordFailure();
        *retryable = true;
        return Unavailable("core banking answered " + std::to_string(status));
    }
    if (status < 200 || status >= 300) {
        breaker_.RecordSuccess();  // the core is up; it refused this request
        return StatusError(status, response->body);
    }
    boost::system::error_code ec;
    json::value body = json::parse(response->body, ec);
    if (ec) {
        breaker_.RecordFailure();
        return Unavailable("core banking response is not valid JSON");
    }
    breaker_.RecordSuccess();
    return body;
}

Result<json::value> HttpCoreBank::Execute(const CallContext& ctx, const std::string& request_id, const Call& call) {
    const auto deadline = std::chrono::steady_clock::now() + std::min(ctx.timeout, options_.timeout);
    if (!IsToken(request_id, 128) || !IsToken(ctx.idempotency_key, 128)) {
        return Invalid("request id and idempotency key must be printable ASCII without spaces");
    }
    HttpRequest request;
    request.method = call.method;
    request.target = path_prefix_ + call.path + (call.query.empty() ? "" : "?" + call.query);
    request.body = call.body;
    request.headers.emplace_back("X-Request-Id", request_id);
    if (!options_.bearer_token.empty())
        request.headers.emplace_back("Authorization", "Bearer " + options_.bearer_token);
    const bool keyed = call.write && !ctx.idempotency_key.empty();
    if (keyed) request.headers.emplace_back("Idempotency-Key", ctx.idempotency_key);
    request.replayable = !call.write || keyed;
    const int attempts = request.replayable ? 1 + options_.retries : 1;

    std::optional<Error> last;
    for (int attempt = 1;; ++attempt) {
        if (!breaker_.Allow()) {
            // Cut short by the breaker: report the last real failure if there was one.
            if (!last) last = Unavailable("core banking circuit open");
            break;
        }
        bool retryable = false;
        auto result = Attempt(request, deadline, &retryable);
        if (result) return result;
        last = result.error();
        // Not found and invalid requests are ordinary answers; failures of the core are worth a warning.
        bool failure = last->code == ErrorCode::kUnavailable || last->code == ErrorCode::kUpstreamTimeout;
        auto level = failure ? log::Level::kWarn : log::Level::kDebug;
        if (log::Enabled(level)) {
            log::Write(level, "core banking call failed",
                       {{"request_id", request_id},
                        {"method", std::string_view(boost::beast::http::to_string(call.method))},
                        {"path", call.path},
                        {"attempt", attempt},
                        {"error", last->message}});
        }
        if (!retryable || attempt >= attempts) break;
        const auto wait = BackoffDelay(options_.backoff, attempt);
        if (std::chrono::steady_clock::now() + wait >= deadline) break;
        std::this_thread::sleep_for(wait);
    }
    return *last;
}

template <typename T, typename Decode>
Result<T> HttpCoreBank::Fetch(const CallContext& ctx, const Call& call, Decode decode) {
    const std::string request_id = ctx.request_id.empty() ? NewRequestId() : ctx.request_id;
    auto body = Execute(ctx, request_id, call);
    if (!body) return body.error();
    std::string problem;
    T value = decode(body.value(), std::string(), problem);
    if (problem.empty()) return value;
    // The core broke the contract: the integration team needs to hear of it.
    log::Warn("core banking response is malformed",
              {{"request_id", request_id}, {"path", call.path}, {"problem", problem}});
    return Unavailable("core banking response is malformed: " + problem);
}

// ---------------------------------------------------------------------------------------------------------
// Operations

namespace {
Result<void> CheckId(std::string_view what, const std::string& id) {
    if (id.empty()) return Invalid(std::string(what) + " is empty");
    return Ok();
}
}  // namespace

Result<CustomerProfile> HttpCoreBank::Profile(const CallContext& ctx, const std::string& customer) {
    if (auto r = CheckId("customer id", customer); !r) return r.error();
    return Fetch<CustomerProfile>(ctx, Get("/customers/" + Segment(customer)), DecodeProfile);
}

// Lookups are POSTs so that phones and birth dates stay out of URLs (and so out of access logs); they
// change nothing and are retried like reads.
Result<CustomerProfile> HttpCoreBank::FindByPhone(const CallContext& ctx, const std::string& phone) {
    auto call = Post("/customers/lookup", Serialize({{"phone", phone}}), false);
    return Fetch<CustomerProfile>(ctx, call, DecodeProfile);
}

Result<CustomerProfile> HttpCoreBank::FindByCardAndBirthDate(const CallContext& ctx, const std::string& last4,
                                                             const std::string& birth_date) {
    auto call = Post("/customers/lookup", Serialize({{"card_last4", last4}, {"birth_date", birth_date}}), false);
    return Fetch<CustomerProfile>(ctx, call, DecodeProfile);
}

Result<std::vector<Account>> HttpCoreBank::Accounts(const CallContext& ctx, const std::string& customer) {
    if (auto r = CheckId("customer id", customer); !r) return r.error();
    return Fetch<std::vector<Account>>(ctx, Get("/customers/" + Segment(customer) + "/accounts"),
                                       ItemsOf<Account>(DecodeAccount));
}

Result<TransactionPage> HttpCoreBank::Transactions(const CallContext& ctx, const std::string& customer,
                                                   const TransactionQuery& query) {
    if (auto r = CheckId("customer id", customer); !r) return r.error();
    if (query.limit < 1 || query.limit > 500) return Invalid("limit must be between 1 and 500");
    auto call = Get("/customers/" + Segment(customer) + "/transactions");
    AddParam(call.query, "from", query.from);
    AddParam(call.query, "to", query.to);
    AddParam(call.query, "account_id", query.account_id);
    AddParam(call.query, "card_id", query.card_id);
    AddParam(call.query, "merchant", query.merchant);
    AddParam(call.query, "category", query.category);
    if (query.debits_only) AddParam(call.query, "debits_only", "true");
    AddParam(call.query, "limit", std::to_string(query.limit));
    return Fetch<TransactionPage>(ctx, call, DecodeTransactionPage);
}

Result<std::vector<Card>> HttpCoreBank::Cards(const CallContext& ctx, const std::string& customer) {
    if (auto r = CheckId("customer id", customer); !r) return r.error();
    return Fetch<std::vector<Card>>(ctx, Get("/customers/" + Segment(customer) + "/cards"), ItemsOf<Card>(DecodeCard));
}

Result<CardActionResult> HttpCoreBank::CardAction(const CallContext& ctx, const std::string& customer,
                                                  const std::string& card_id, std::string_view action,
                                                  std::string body) {
    if (auto r = CheckId("customer id", customer); !r) return r.error();
    if (auto r = CheckId("card id", card_id); !r) return r.error();
    auto call = Post("/customers/" + Segment(customer) + "/cards/" + Segment(card_id) + "/" + std::string(action),
                     std::move(body), true);
    return Fetch<CardActionResult>(ctx, call, DecodeCardAction);
}

Result<CardActionResult> HttpCoreBank::ReportLost(const CallContext& ctx, const std::string& customer,
                                                  const std::string& card_id, const std::string& reason, bool replace) {
    if (reason != "lost" && reason != "stolen") return Invalid("reason must be lost or stolen");
    return CardAction(ctx, customer, card_id, "report-lost", Serialize({{"reason", reason}, {"replace", replace}}));
}

Result<CardActionResult> HttpCoreBank::Freeze(const CallContext& ctx, const std::string& customer,
                                              const std::string& card_id) {
    return CardAction(ctx, customer, card_id, "freeze", "{}");
}

Result<CardActionResult> HttpCoreBank::Unfreeze(const CallContext& ctx, const std::string& customer,
                                                const std::string& card_id) {
    return CardAction(ctx, customer, card_id, "unfreeze", "{}");
}

Result<Transfer> HttpCoreBank::TransferStatus(const CallContext& ctx, const std::string& customer,
                                              const std::string& reference) {
    if (auto r = CheckId("customer id", customer); !r) return r.error();
    std::string which = reference.empty() ? "latest" : Segment(reference);
    return Fetch<Transfer>(ctx, Get("/customers/" + Segment(customer) + "/transfers/" + which), DecodeTransfer);
}

Result<Complaint> HttpCoreBank::CreateComplaint(const CallContext& ctx, const std::string& customer,
                                                const ComplaintRequest& request) {
    if (auto r = CheckId("customer id", customer); !r) return r.error();
    auto call = Post("/customers/" + Segment(customer) + "/complaints",
                     Serialize({{"category", request.category},
                                {"description", request.description},
                                {"channel", request.channel},
                                {"conversation_id", request.conversation_id},
                                {"language", request.language}}),
                     true);
    return Fetch<Complaint>(ctx, call, DecodeComplaint);
}

Result<std::vector<Product>> HttpCoreBank::Products(const CallContext& ctx) {
    return Fetch<std::vector<Product>>(ctx, Get("/products"), ItemsOf<Product>(DecodeProduct));
}

}  // namespace kefu::banking
