#pragma once
// HttpCoreBank: the CoreBank of a real core-banking system, reached over HTTP/JSON. The contract the bank's
// integration team implements is docs/core-banking-http.md; this class is its client.
//
// - Deadline: a call returns within min(CallContext::timeout, HttpBankOptions::timeout), retries and
//   back-off included. A core that does not answer in time gives kUpstreamTimeout.
// - Retries: reads, and writes that carry an idempotency key, are retried after a connection failure or a
//   5xx answer, with exponential back-off and jitter, while the deadline allows. A write without a key is
//   sent once. A 4xx answer is never retried.
// - Circuit breaker: every attempt asks it first; after `breaker_failures` consecutive failed attempts it
//   opens and calls fail at once with kUnavailable "core banking circuit open" until a probe succeeds.
// - Nothing customer-related is logged: log lines carry the request id, the method and the path (which
//   holds customer and card ids, never card numbers or phones); bodies and query strings are not logged.
//
// An HttpCoreBank is safe for concurrent use from multiple threads without external synchronization.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "banking/circuit_breaker.hpp"
#include "banking/core_bank.hpp"

namespace boost::json {
class value;
}

namespace kefu::banking {

class HttpClient;
struct HttpRequest;

struct HttpBankOptions {
    // http://host[:port][/prefix] or https://…; the contract's paths are appended to it. Required.
    std::string base_url;
    // The longest one call may take, retries included; CallContext::timeout may shorten it. > 0.
    std::chrono::milliseconds timeout{3000};
    // Further attempts after a failed one (for reads and keyed writes). 0–10.
    int retries = 2;
    // Wait before the first retry; doubled for each further one, each wait drawn from [w/2, w]. >= 0.
    std::chrono::milliseconds backoff{100};
    // Consecutive failed attempts that open the circuit. >= 1.
    int breaker_failures = 5;
    // How long the circuit stays open before a probe call is let through. > 0.
    std::chrono::milliseconds breaker_cooldown{10000};
    // Sent as "Authorization: Bearer <token>" when not empty. Printable ASCII, no spaces.
    std::string bearer_token;
    // TLS (https only). ca_file: PEM bundle that verifies the server; empty = the system store.
    // cert_file and key_file: the client certificate chain and its key for mTLS; both or neither.
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    // Verify the server's certificate and name. Turn off only against a test core.
    bool verify_peer = true;
    // Idle keep-alive connections kept for reuse; 0 opens a connection per request. 0–64.
    int max_idle_connections = 4;
    // An idle connection older than this is not reused. Keep it below the core's keep-alive time-out.
    std::chrono::milliseconds idle_timeout{10000};
    // A larger response body is an error (kUnavailable). >= 1024.
    std::size_t max_response_bytes = 4 * 1024 * 1024;
};

// Checks the options without touching the network or the files. The message names the option and the
// reason ("base_url must start with http:// or https://"). Returns the options with a trailing '/' removed
// from base_url.
Result<HttpBankOptions> ValidateHttpBankOptions(HttpBankOptions options);

class HttpCoreBank final : public CoreBank {
  public:
    // Validates the options and loads the TLS files. Does not contact the core. A failure stops start-up.
    static Result<std::unique_ptr<HttpCoreBank>> Create(HttpBankOptions options);
    ~HttpCoreBank() override;

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

    // "closed" | "open" | "half_open", for metrics and the health endpoint.
    std::string_view CircuitState() const { return breaker_.StateName(); }

    struct Call;  // one request of the contract; defined and used in http_bank.cpp only

  private:
    HttpCoreBank(HttpBankOptions options, std::string path_prefix, std::unique_ptr<HttpClient> client);

    // Sends the call and decodes the answer with `decode` (defined and used in http_bank.cpp only).
    template <typename T, typename Decode>
    Result<T> Fetch(const CallContext& ctx, const Call& call, Decode decode);
    // Sends the call with retries under the breaker; returns the parsed JSON body of a 2xx answer.
    Result<boost::json::value> Execute(const CallContext& ctx, const std::string& request_id, const Call& call);
    Result<boost::json::value> Attempt(const HttpRequest& request, std::chrono::steady_clock::time_point deadline,
                                       bool* retryable);
    Result<CardActionResult> CardAction(const CallContext& ctx, const std::string& customer, const std::string& card_id,
                                        std::string_view action, std::string body);

    const HttpBankOptions options_;
    const std::string path_prefix_;  // the base URL's path without a trailing '/', e.g. "/core/v1"
    const std::unique_ptr<HttpClient> client_;
    CircuitBreaker breaker_;
};

}  // namespace kefu::banking
