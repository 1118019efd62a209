#include "api/customer_token.hpp"

#include <sodium.h>

#include <boost/json.hpp>
#include <vector>

#include "core/ids.hpp"

namespace kefu::api {

namespace {

std::string B64(const unsigned char* p, std::size_t n) {
    std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::optional<std::string> Unb64(std::string_view s) {
    std::vector<unsigned char> out(s.size());
    std::size_t n = 0;
    if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &n, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(out.data()), n);
}

std::string Mac(const std::string& key, std::string_view data) {
    crypto_auth_hmacsha256_state st;
    unsigned char out[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    crypto_auth_hmacsha256_final(&st, out);
    return B64(out, sizeof out);
}

}  // namespace

std::optional<CustomerClaims> CustomerTokenVerifier::Verify(std::string_view token, long long now) const {
    if (key_.empty() || !token.starts_with("kct1.") || token.size() > 2048) return std::nullopt;
    auto dot = token.rfind('.');
    if (dot <= 5) return std::nullopt;
    std::string_view signed_part = token.substr(0, dot);
    std::string_view sig = token.substr(dot + 1);
    if (!ConstantTimeEquals(Mac(key_, signed_part), sig)) return std::nullopt;
    auto payload = Unb64(signed_part.substr(5));
    if (!payload) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(*payload, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    const auto* sub = o.if_contains("sub");
    const auto* exp = o.if_contains("exp");
    if (!sub || !sub->is_string() || sub->as_string().empty() || !exp || !exp->is_int64()) return std::nullopt;
    if (exp->as_int64() <= now) return std::nullopt;
    CustomerClaims c;
    c.customer_ref = std::string(sub->as_string());
    c.expires_at = exp->as_int64();
    if (const auto* ch = o.if_contains("ch"); ch && ch->is_string()) c.channel = std::string(ch->as_string());
    return c;
}

std::string CustomerTokenVerifier::Sign(const CustomerClaims& claims) const {
    boost::json::object o{{"sub", claims.customer_ref}, {"exp", claims.expires_at}};
    if (!claims.channel.empty()) o["ch"] = claims.channel;
    std::string payload = boost::json::serialize(o);
    std::string signed_part = "kct1." + B64(reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
    return signed_part + "." + Mac(key_, signed_part);
}

}  // namespace kefu::api
