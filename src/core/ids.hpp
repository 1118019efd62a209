#pragma once
// Unguessable identifiers and secrets. All randomness comes from libsodium's CSPRNG.

#include <string>
#include <string_view>

namespace kefu {

// prefix + 26 lower-case base32 characters (130 random bits), e.g. "cv_k3j...".
std::string NewId(std::string_view prefix);
// A 256-bit bearer secret, base64url without padding (43 characters).
std::string NewSecretToken();
// A short id for request correlation (16 hex characters); not a secret.
std::string NewRequestId();
// SHA-256 of s, as 64 lower-case hex characters (for storing token hashes instead of tokens).
std::string Sha256Hex(std::string_view s);
// Constant-time equality for secrets and hashes.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kefu
