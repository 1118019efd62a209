#include "api/staff.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/async.hpp"

namespace kefu::api {

using storage::sqlite::Connection;

bool ValidStaffRole(std::string_view role) {
    return role == "agent" || role == "supervisor" || role == "kb_editor" || role == "analyst" || role == "admin";
}

Result<std::string> AddStaff(Connection& c, const std::string& name, const std::string& role) {
    if (name.empty() || name.size() > 64) return Error{ErrorCode::kInvalidArgument, "name must be 1-64 characters"};
    if (!ValidStaffRole(role)) {
        return Error{ErrorCode::kInvalidArgument, "role must be agent, supervisor, kb_editor, analyst or admin"};
    }
    auto& s = c.Prepare("SELECT 1 FROM staff WHERE name = ?");
    s.Bind(1, name);
    bool exists = s.Step();
    s.Reset();
    if (exists) return Error{ErrorCode::kConflict, "a staff member named '" + name + "' exists"};
    std::string token = "kst1." + NewSecretToken();
    c.Prepare("INSERT INTO staff(name, role, token_hash, created_at) VALUES (?, ?, ?, ?)")
        .Bind(1, name)
        .Bind(2, role)
        .Bind(3, Sha256Hex(token))
        .Bind(4, NowMillis())
        .Run();
    return token;
}

std::int64_t CountStaff(Connection& c) {
    auto& s = c.Prepare("SELECT COUNT(*) FROM staff");
    s.Step();
    auto n = s.Int(0);
    s.Reset();
    return n;
}

boost::asio::awaitable<Result<StaffMember>> StaffAuth::Require(const net::RequestContext& ctx,
                                                               std::span<const std::string_view> roles) {
    auto token = ctx.BearerToken();
    if (!token || token->empty() || token->size() > 200) {
        co_return Error{ErrorCode::kUnauthorized, "a staff token is required (Authorization: Bearer ...)"};
    }
    std::string hash = Sha256Hex(*token);
    auto member = co_await storage::Await<StaffMember>([&](auto done) {
        db_.Read<StaffMember>(
            [hash](Connection& c) -> Result<StaffMember> {
                auto& s = c.Prepare("SELECT name, role FROM staff WHERE token_hash = ? AND disabled = 0");
                s.Bind(1, hash);
                if (!s.Step()) return Error{ErrorCode::kUnauthorized, "the staff token is not valid"};
                StaffMember m{s.Text(0), s.Text(1)};
                s.Reset();
                return m;
            },
            std::move(done));
    });
    if (!member) co_return member.error();
    for (auto r : roles) {
        if (member->role == r) co_return member;
    }
    co_return Error{ErrorCode::kForbidden, "the role '" + member->role + "' may not do this"};
}

Result<bool> BootstrapAdmin(storage::sqlite::Database& db, const std::string& token_file) {
    auto token = db.WriteAndWait<std::string>([](Connection& c) -> Result<std::string> {
        if (CountStaff(c) > 0) return std::string();
        return AddStaff(c, "admin", "admin");
    });
    if (!token) return token.error();
    if (token->empty()) return false;
    std::error_code ec;
    auto parent = std::filesystem::path(token_file).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    // Created 0600 from the start: the token is never readable by others, not even for a moment.
    int fd = ::open(token_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Error{ErrorCode::kInternal, "cannot write " + token_file};
    std::string line = *token + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok) return Error{ErrorCode::kInternal, "cannot write " + token_file};
    return true;
}

}  // namespace kefu::api
