#include "api/staff.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <filesystem>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "storage/async.hpp"

namespace kefu::api {

namespace json = boost::json;
using boost::asio::awaitable;
using storage::sqlite::Connection;

namespace {

constexpr std::string_view kSessionPrefix = "kss1.";
constexpr std::string_view kCookieName = "kefu_session";
constexpr std::string_view kStaffColumns = "name, role, display_name, skills, languages, max_chats";

std::vector<std::string> ParseList(const std::string& s) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = json::parse(s, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& x : v.as_array()) {
        if (x.is_string()) out.emplace_back(x.as_string());
    }
    return out;
}

std::string ListJson(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return json::serialize(a);
}

StaffMember ReadStaff(const storage::sqlite::Statement& s, int from = 0) {
    StaffMember m;
    m.name = s.Text(from);
    m.role = s.Text(from + 1);
    m.display_name = s.Text(from + 2);
    if (m.display_name.empty()) m.display_name = m.name;
    m.skills = ParseList(s.Text(from + 3));
    m.languages = ParseList(s.Text(from + 4));
    m.max_chats = static_cast<int>(s.Int(from + 5));
    return m;
}

bool ValidSkill(const std::string& s) {
    return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// A hash to check wrong names against, so that an unknown name takes as long as a wrong password.
const std::string& DummyHash() {
    static const std::string h = HashPassword("kefu-not-a-real-password");
    return h;
}

}  // namespace

bool ValidStaffRole(std::string_view role) {
    return role == "agent" || role == "supervisor" || role == "kb_editor" || role == "analyst" || role == "admin";
}

Result<void> ValidateNewStaff(const NewStaff& s) {
    bool name_ok = !s.name.empty() && s.name.size() <= 64 && std::all_of(s.name.begin(), s.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
    if (!name_ok) return Error{ErrorCode::kInvalidArgument, "name must be 1-64 characters of A-Z a-z 0-9 . _ -"};
    if (!ValidStaffRole(s.role)) return Error{ErrorCode::kInvalidArgument, "role must be " + std::string(kRolesText)};
    if (s.display_name.size() > 64) return Error{ErrorCode::kInvalidArgument, "display_name is over 64 characters"};
    if (s.skills.empty() || s.skills.size() > 20 || !std::all_of(s.skills.begin(), s.skills.end(), ValidSkill)) {
        return Error{ErrorCode::kInvalidArgument, "skills must be 1-20 names of a-z 0-9 _ (e.g. general, cards)"};
    }
    if (s.languages.empty() || !std::all_of(s.languages.begin(), s.languages.end(),
                                            [](const std::string& l) { return l == "zh" || l == "en"; })) {
        return Error{ErrorCode::kInvalidArgument, "languages must be zh and/or en"};
    }
    if (s.max_chats < 1 || s.max_chats > 20) return Error{ErrorCode::kInvalidArgument, "max_chats must be 1-20"};
    return Ok();
}

Result<std::string> CreateStaff(Connection& c, const NewStaff& s) {
    if (auto ok = ValidateNewStaff(s); !ok) return ok.error();
    auto& exists = c.Prepare("SELECT 1 FROM staff WHERE name = ?");
    exists.Bind(1, s.name);
    bool taken = exists.Step();
    exists.Reset();
    if (taken) return Error{ErrorCode::kConflict, "a staff member named '" + s.name + "' exists"};
    std::string token = "kst1." + NewSecretToken();
    c.Prepare(
         "INSERT INTO staff(name, role, token_hash, created_at, display_name, password_hash, skills, languages, "
         "max_chats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(1, s.name)
        .Bind(2, s.role)
        .Bind(3, Sha256Hex(token))
        .Bind(4, NowMillis())
        .Bind(5, s.display_name)
        .Bind(6, s.password_hash)
        .Bind(7, ListJson(s.skills))
        .Bind(8, ListJson(s.languages))
        .Bind(9, std::int64_t{s.max_chats})
        .Run();
    return token;
}

Result<std::string> AddStaff(Connection& c, const std::string& name, const std::string& role) {
    NewStaff s;
    s.name = name;
    s.role = role;
    return CreateStaff(c, s);
}

std::int64_t CountStaff(Connection& c) {
    auto& s = c.Prepare("SELECT COUNT(*) FROM staff");
    s.Step();
    auto n = s.Int(0);
    s.Reset();
    return n;
}

Result<StaffMember> LoadStaff(Connection& c, const std::string& name) {
    static const std::string kSql = "SELECT " + std::string(kStaffColumns) + " FROM staff WHERE name = ?";
    auto& s = c.Prepare(kSql);
    s.Bind(1, name);
    if (!s.Step()) {
        s.Reset();
        return Error{ErrorCode::kNotFound, "no staff member named '" + name + "'"};
    }
    auto m = ReadStaff(s);
    s.Reset();
    return m;
}

std::vector<StaffMember> ListStaff(Connection& c) {
    static const std::string kSql =
        "SELECT " + std::string(kStaffColumns) + " FROM staff WHERE disabled = 0 ORDER BY name";
    auto& s = c.Prepare(kSql);
    std::vector<StaffMember> out;
    while (s.Step()) out.push_back(ReadStaff(s));
    s.Reset();
    return out;
}

std::string HashPassword(const std::string& password) {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw std::runtime_error("out of memory while hashing a password");
    }
    return out;
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<void> CheckPasswordRules(std::string_view password) {
    if (password.size() < 10 || password.size() > 256) {
        return Error{ErrorCode::kInvalidArgument, "a password must be 10-256 characters long"};
    }
    return Ok();
}

StaffAuth::StaffAuth(storage::sqlite::Database& db, AuthOptions options) : db_(db), options_(options) {}

StaffAuth::~StaffAuth() { pool_.join(); }

std::optional<std::string> StaffAuth::TokenOf(const net::Request& req) {
    if (auto auth = req[net::http::field::authorization]; auth.size() > 7 && auth.substr(0, 7) == "Bearer ") {
        return std::string(auth.substr(7));
    }
    std::string_view cookies = req[net::http::field::cookie];
    while (!cookies.empty()) {
        auto semi = cookies.find(';');
        std::string_view part = cookies.substr(0, semi);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.size() > kCookieName.size() && part.substr(0, kCookieName.size()) == kCookieName &&
            part[kCookieName.size()] == '=') {
            return std::string(part.substr(kCookieName.size() + 1));
        }
        if (semi == std::string_view::npos) break;
        cookies.remove_prefix(semi + 1);
    }
    return std::nullopt;
}

awaitable<Result<StaffMember>> StaffAuth::FromToken(std::string token) {
    if (token.empty() || token.size() > 200) co_return Error{ErrorCode::kUnauthorized, "sign in first"};
    const bool session = token.starts_with(kSessionPrefix);
    std::string hash = Sha256Hex(token);
    const UnixMillis now = NowMillis();
    std::optional<UnixMillis> expires;
    auto member = co_await storage::Await<StaffMember>([&](auto done) {
        db_.Read<StaffMember>(
            [hash, session, now, &expires](Connection& c) -> Result<StaffMember> {
                static const std::string kBySession =
                    "SELECT s.expires_at, st.name, st.role, st.display_name, st.skills, st.languages, st.max_chats "
                    "FROM staff_sessions s JOIN staff st ON st.name = s.staff WHERE s.token_hash = ? AND "
                    "st.disabled = 0";
                static const std::string kByToken =
                    "SELECT 0, " + std::string(kStaffColumns) + " FROM staff WHERE token_hash = ? AND disabled = 0";
                auto& s = c.Prepare(session ? kBySession : kByToken);
                s.Bind(1, hash);
                if (!s.Step()) {
                    s.Reset();
                    return Error{ErrorCode::kUnauthorized, "the session or token is not valid; sign in again"};
                }
                UnixMillis until = s.Int(0);
                StaffMember m = ReadStaff(s, 1);
                s.Reset();
                if (session && until <= now) return Error{ErrorCode::kUnauthorized, "the session has expired"};
                if (session) expires = until;
                return m;
            },
            std::move(done));
    });
    // Sliding expiry, written at most once a minute per session.
    if (member && expires && *expires - now < options_.session_ttl_ms - 60'000) {
        db_.Write<bool>(
            [hash, until = now + options_.session_ttl_ms](Connection& c) -> Result<bool> {
                c.Prepare("UPDATE staff_sessions SET expires_at = ? WHERE token_hash = ?")
                    .Bind(1, until)
                    .Bind(2, hash)
                    .Run();
                return true;
            },
            [](Result<bool>) {});
    }
    co_return member;
}

awaitable<Result<StaffMember>> StaffAuth::Require(const net::RequestContext& ctx,
                                                  std::span<const std::string_view> roles) {
    auto token = TokenOf(ctx.req);
    if (!token) co_return Error{ErrorCode::kUnauthorized, "sign in first (session cookie or Authorization: Bearer)"};
    auto member = co_await FromToken(*token);
    if (!member) co_return member.error();
    if (roles.empty()) co_return member;
    for (auto r : roles) {
        if (member->role == r) co_return member;
    }
    co_return Error{ErrorCode::kForbidden, "the role '" + member->role + "' may not do this"};
}

awaitable<std::string> StaffAuth::Hash(std::string password) {
    auto run = [p = std::move(password)]() -> awaitable<std::string> { co_return HashPassword(p); };
    co_return co_await boost::asio::co_spawn(pool_, run, boost::asio::use_awaitable);
}

awaitable<Result<StaffSession>> StaffAuth::Login(std::string name, std::string password, std::int64_t* retry_after_s) {
    const Error wrong{ErrorCode::kUnauthorized, "the name or the password is wrong"};
    if (name.empty() || name.size() > 64 || password.size() > 1024) co_return wrong;
    struct Row {
        std::optional<std::string> hash;
        UnixMillis locked_until = 0;
    };
    auto row = co_await storage::Await<Row>([&](auto done) {
        db_.Read<Row>(
            [name](Connection& c) -> Result<Row> {
                auto& s = c.Prepare("SELECT password_hash, locked_until FROM staff WHERE name = ? AND disabled = 0");
                s.Bind(1, name);
                Row r;
                if (s.Step()) {
                    r.hash = s.OptText(0);
                    r.locked_until = s.Int(1);
                }
                s.Reset();
                return r;
            },
            std::move(done));
    });
    if (!row) co_return row.error();
    const UnixMillis now = NowMillis();
    if (row->locked_until > now) {
        if (retry_after_s) *retry_after_s = (row->locked_until - now + 999) / 1000;
        co_return Error{ErrorCode::kLocked, "too many wrong passwords; the account is locked for a while"};
    }
    auto check = [hash = row->hash, password = std::move(password)]() -> awaitable<bool> {
        co_return VerifyPassword(hash ? *hash : DummyHash(), password) && hash.has_value();
    };
    bool ok = co_await boost::asio::co_spawn(pool_, check, boost::asio::use_awaitable);
    if (!row->hash) co_return wrong;
    if (!ok) {
        auto locked = co_await storage::Await<bool>([&](auto done) {
            db_.Write<bool>(
                [name, now, o = options_](Connection& c) -> Result<bool> {
                    auto& s = c.Prepare(
                        "UPDATE staff SET failed_logins = failed_logins + 1 WHERE name = ? RETURNING failed_logins");
                    s.Bind(1, name);
                    std::int64_t failures = s.Step() ? s.Int(0) : 0;
                    s.Reset();
                    if (failures < o.lock_after) return false;
                    c.Prepare("UPDATE staff SET failed_logins = 0, locked_until = ? WHERE name = ?")
                        .Bind(1, now + o.lock_ms)
                        .Bind(2, name)
                        .Run();
                    return true;
                },
                std::move(done));
        });
        if (locked && *locked) log::Warn("staff account locked after wrong passwords", {{"staff", name}});
        co_return wrong;
    }
    std::string token = std::string(kSessionPrefix) + NewSecretToken();
    UnixMillis expires = now + options_.session_ttl_ms;
    auto member = co_await storage::Await<StaffMember>([&](auto done) {
        db_.Write<StaffMember>(
            [name, hash = Sha256Hex(token), now, expires](Connection& c) -> Result<StaffMember> {
                c.Prepare("UPDATE staff SET failed_logins = 0, locked_until = 0 WHERE name = ?").Bind(1, name).Run();
                // Expired sessions of this member are swept here, so the table does not grow without bound.
                c.Prepare("DELETE FROM staff_sessions WHERE staff = ? AND expires_at <= ?")
                    .Bind(1, name)
                    .Bind(2, now)
                    .Run();
                c.Prepare("INSERT INTO staff_sessions(token_hash, staff, created_at, expires_at) VALUES (?, ?, ?, ?)")
                    .Bind(1, hash)
                    .Bind(2, name)
                    .Bind(3, now)
                    .Bind(4, expires)
                    .Run();
                return LoadStaff(c, name);
            },
            std::move(done));
    });
    if (!member) co_return member.error();
    log::Info("staff signed in", {{"staff", name}, {"role", member->role}});
    co_return StaffSession{std::move(token), expires, std::move(member.value())};
}

awaitable<void> StaffAuth::Logout(std::string token) {
    if (!token.starts_with(kSessionPrefix)) co_return;  // API tokens are revoked by an admin, not by logout
    co_await storage::Await<bool>([&](auto done) {
        db_.Write<bool>(
            [hash = Sha256Hex(token)](Connection& c) -> Result<bool> {
                c.Prepare("DELETE FROM staff_sessions WHERE token_hash = ?").Bind(1, hash).Run();
                return true;
            },
            std::move(done));
    });
}

bool StaffAuth::Secure(const net::RequestContext& ctx) const {
    return options_.cookie_secure || ctx.req["X-Forwarded-Proto"] == "https";
}

std::string StaffAuth::SessionCookie(const net::RequestContext& ctx, const std::string& token) const {
    return std::string(kCookieName) + "=" + token +
           "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(options_.session_ttl_ms / 1000) +
           (Secure(ctx) ? "; Secure" : "");
}

std::string StaffAuth::ClearedCookie(const net::RequestContext& ctx) const {
    return std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
           (Secure(ctx) ? "; Secure" : "");
}

Result<bool> BootstrapAdmin(storage::sqlite::Database& db, const std::string& token_file, std::string* password_out) {
    std::string password;
    std::string hash;
    if (password_out) {
        password = NewSecretToken().substr(0, 20);
        hash = HashPassword(password);
    }
    auto token = db.WriteAndWait<std::string>([&](Connection& c) -> Result<std::string> {
        if (CountStaff(c) > 0) return std::string();
        NewStaff s;
        s.name = "admin";
        s.role = "admin";
        s.display_name = "Administrator";
        if (password_out) s.password_hash = hash;
        return CreateStaff(c, s);
    });
    if (!token) return token.error();
    if (token->empty()) return false;
    if (password_out) *password_out = password;
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
