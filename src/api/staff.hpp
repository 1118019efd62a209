#pragma once
// Staff accounts, sign-in and authorisation (docs/desk.md, "Staff and sign-in"). Roles follow the product's
// RBAC: agent, supervisor, kb_editor, analyst, admin.
//
// A staff member proves who they are with either
// - a session from `POST /api/v1/auth/login` (password, argon2id): the console keeps it in an HttpOnly
//   cookie, API clients send it as a bearer token; or
// - a long-lived API token (`kst1.…`, made by `kefu staff add`), as a bearer token.
// The database keeps only SHA-256 hashes of tokens and argon2id hashes of passwords. Password hashing runs on
// a small pool of its own, never on the I/O threads.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "net/http.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::api {

struct StaffMember {
    std::string name;
    std::string role;
    std::string display_name;
    std::vector<std::string> skills;
    std::vector<std::string> languages;
    int max_chats = 3;
};

bool ValidStaffRole(std::string_view role);
inline constexpr std::string_view kRolesText = "agent, supervisor, kb_editor, analyst or admin";

struct NewStaff {
    std::string name;
    std::string role;
    std::string display_name;                  // "" = the name
    std::optional<std::string> password_hash;  // argon2id, from HashPassword
    std::vector<std::string> skills = {"general"};
    std::vector<std::string> languages = {"zh", "en"};
    int max_chats = 3;
};

// Validates a new member's fields (name, role, skills, languages, max_chats): kInvalidArgument naming the field.
Result<void> ValidateNewStaff(const NewStaff& s);
// Creates a staff member and returns their new API token. kConflict if the name is taken.
[[nodiscard]] Result<std::string> CreateStaff(storage::sqlite::Connection& c, const NewStaff& s);
[[nodiscard]] Result<std::string> AddStaff(storage::sqlite::Connection& c, const std::string& name,
                                           const std::string& role);
std::int64_t CountStaff(storage::sqlite::Connection& c);
Result<StaffMember> LoadStaff(storage::sqlite::Connection& c, const std::string& name);
std::vector<StaffMember> ListStaff(storage::sqlite::Connection& c);

// argon2id (libsodium crypto_pwhash_str, interactive limits). Slow on purpose: call off the I/O threads.
std::string HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);
// 10–256 characters (code units); kInvalidArgument otherwise.
Result<void> CheckPasswordRules(std::string_view password);

struct AuthOptions {
    std::int64_t session_ttl_ms = 12LL * 3600 * 1000;
    int lock_after = 5;
    std::int64_t lock_ms = 15LL * 60 * 1000;
    bool cookie_secure = false;
};

struct StaffSession {
    std::string token;  // shown once: the cookie and the bearer token
    UnixMillis expires_at = 0;
    StaffMember staff;
};

class StaffAuth {
  public:
    explicit StaffAuth(storage::sqlite::Database& db, AuthOptions options = {});
    ~StaffAuth();

    // The staff member behind the request's session cookie or bearer token, if they hold one of `roles` (empty:
    // any role): kUnauthorized for missing, unknown or expired credentials, kForbidden for a role without the
    // right.
    boost::asio::awaitable<Result<StaffMember>> Require(const net::RequestContext& ctx,
                                                        std::span<const std::string_view> roles);
    // The same from a raw token (the desk WebSocket's upgrade request).
    boost::asio::awaitable<Result<StaffMember>> FromToken(std::string token);

    // Checks the password; kUnauthorized (same for an unknown name), kLocked with the seconds to wait.
    boost::asio::awaitable<Result<StaffSession>> Login(std::string name, std::string password,
                                                       std::int64_t* retry_after_s = nullptr);
    boost::asio::awaitable<void> Logout(std::string token);
    // HashPassword on the auth pool.
    boost::asio::awaitable<std::string> Hash(std::string password);

    // The session token or API token a request carries: bearer first, then the kefu_session cookie.
    static std::optional<std::string> TokenOf(const net::Request& req);
    // Set-Cookie values.
    std::string SessionCookie(const net::RequestContext& ctx, const std::string& token) const;
    std::string ClearedCookie(const net::RequestContext& ctx) const;

  private:
    bool Secure(const net::RequestContext& ctx) const;

    storage::sqlite::Database& db_;
    AuthOptions options_;
    boost::asio::thread_pool pool_{2};
};

// On first start (no staff at all) creates "admin" and writes its API token to `token_file` (mode 0600). With
// `password_out` set, admin also gets a random one-time password, returned there (the demo's first start
// prints it once). Returns true iff it created one.
[[nodiscard]] Result<bool> BootstrapAdmin(storage::sqlite::Database& db, const std::string& token_file,
                                          std::string* password_out = nullptr);

}  // namespace kefu::api
