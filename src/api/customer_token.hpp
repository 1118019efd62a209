#pragma once
// Customer tokens signed by a trusted channel (the bank's app back end), so that a signed-in customer
// can reach their conversations from any channel without a per-conversation token.
// Format: "kct1." + base64url(payload JSON) + "." + base64url(HMAC-SHA256(key, "kct1." + payload_b64)),
// payload {"sub": "<customer ref>", "exp": <unix seconds>, "ch": "<channel>"?}. See docs/customer-tokens.md.

#include <optional>
#include <string>
#include <string_view>

namespace kefu::api {

struct CustomerClaims {
    std::string customer_ref;
    std::string channel;  // may be empty
    long long expires_at = 0;
};

class CustomerTokenVerifier {
  public:
    // An empty key disables customer tokens: Verify always returns nullopt.
    explicit CustomerTokenVerifier(std::string key) : key_(std::move(key)) {}

    std::optional<CustomerClaims> Verify(std::string_view token, long long now_unix_seconds) const;
    // Signs claims (used by tests, the CLI and the sandbox app).
    std::string Sign(const CustomerClaims& claims) const;
    bool enabled() const { return !key_.empty(); }

  private:
    std::string key_;
};

}  // namespace kefu::api
