#pragma once
// Staff tokens for the admin APIs (docs/kb.md, "Admin API"). A token is 256 random bits shown once when it
// is made; the database keeps only its SHA-256. Roles follow the product's RBAC: agent, supervisor,
// kb_editor, analyst, admin. (Password sign-in with MFA will issue tokens of this same kind.)

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "net/http.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::api {

struct StaffMember {
    std::string name;
    std::string role;
};

bool ValidStaffRole(std::string_view role);

// Creates a staff member and returns their new token. kConflict if the name is taken.
[[nodiscard]] Result<std::string> AddStaff(storage::sqlite::Connection& c, const std::string& name,
                                           const std::string& role);
std::int64_t CountStaff(storage::sqlite::Connection& c);

class StaffAuth {
  public:
    explicit StaffAuth(storage::sqlite::Database& db) : db_(db) {}
    // The staff member behind the request's bearer token, if they hold one of `roles`: kUnauthorized for
    // a missing or unknown token, kForbidden for a role without the right.
    boost::asio::awaitable<Result<StaffMember>> Require(const net::RequestContext& ctx,
                                                        std::span<const std::string_view> roles);

  private:
    storage::sqlite::Database& db_;
};

// On first start (no staff at all) creates "admin" and writes its token to `token_file` (mode 0600).
// Returns true iff it created one.
[[nodiscard]] Result<bool> BootstrapAdmin(storage::sqlite::Database& db, const std::string& token_file);

}  // namespace kefu::api
