#include "core/ids.hpp"

#include <sodium.h>

#include <array>
#include <atomic>
#include <stdexcept>

namespace kefu {

namespace {
void EnsureSodium() {
    static const bool kReady = [] {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
        return true;
    }();
    (void)kReady;
}
}  // namespace

std::string NewId(std::string_view prefix) {
    EnsureSodium();
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::array<unsigned char, 26> raw{};
    randombytes_buf(raw.data(), raw.size());
    std::string id(prefix);
    id.reserve(prefix.size() + raw.size());
    for (unsigned char b : raw) id.push_back(kAlphabet[b & 31]);  // 5 bits each: 130 bits in all
    return id;
}

std::string NewSecretToken() {
    EnsureSodium();
    std::array<unsigned char, 32> raw{};
    randombytes_buf(raw.data(), raw.size());
    std::array<char, sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)> out{};
    sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return std::string(out.data());
}

std::string NewRequestId() {
    EnsureSodium();
    // A random per-process prefix and a counter: unique, cheap, and needs no syscall per request.
    static const std::uint32_t kPrefix = randombytes_random();
    static std::atomic<std::uint32_t> counter{0};
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t v = (static_cast<std::uint64_t>(kPrefix) << 32) | counter.fetch_add(1, std::memory_order_relaxed);
    std::string id(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<size_t>(i)] = kHex[v & 15];
    return id;
}

std::string Sha256Hex(std::string_view s) {
    EnsureSodium();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(s.data()), s.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data());
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kefu
