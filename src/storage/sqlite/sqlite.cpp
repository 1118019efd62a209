#include "storage/sqlite/sqlite.hpp"

#include <fmt/format.h>

namespace kefu::storage::sqlite {

namespace {
[[noreturn]] void Throw(sqlite3* db, int rc, std::string_view what) {
    throw SqliteError(rc, fmt::format("sqlite {}: {} ({})", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc));
}
}  // namespace

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, std::int64_t v) {
    if (int rc = sqlite3_bind_int64(stmt_, index, v); rc != SQLITE_OK) Throw(db_, rc, "bind");
    return *this;
}
Statement& Statement::BindDouble(int index, double v) {
    if (int rc = sqlite3_bind_double(stmt_, index, v); rc != SQLITE_OK) Throw(db_, rc, "bind");
    return *this;
}
Statement& Statement::Bind(int index, std::string_view v) {
    if (int rc = sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        rc != SQLITE_OK)
        Throw(db_, rc, "bind");
    return *this;
}
Statement& Statement::BindNull(int index) {
    if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) Throw(db_, rc, "bind");
    return *this;
}
Statement& Statement::Bind(int index, const std::optional<std::string>& v) {
    return v ? Bind(index, std::string_view(*v)) : BindNull(index);
}
Statement& Statement::Bind(int index, const std::optional<std::int64_t>& v) {
    return v ? Bind(index, *v) : BindNull(index);
}

bool Statement::Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Throw(db_, rc, "step");
}

void Statement::Run() {
    while (Step()) {
    }
}

void Statement::Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::Text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::optional<std::string> Statement::OptText(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Text(col);
}
std::optional<std::int64_t> Statement::OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
}

Connection::Connection(const std::string& path, bool read_only) {
    int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = fmt::format("cannot open database '{}': {}", path, db_ ? sqlite3_errmsg(db_) : "");
        sqlite3_close(db_);
        db_ = nullptr;
        throw SqliteError(rc, msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
    cache_.clear();  // finalize statements before closing
    if (db_) sqlite3_close(db_);
}

Statement& Connection::Prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
        if (rc != SQLITE_OK) Throw(db_, rc, "prepare");
        it = cache_.emplace(std::string(sql), std::make_unique<Statement>(db_, stmt)).first;
    }
    it->second->Reset();
    return *it->second;
}

void Connection::Exec(std::string_view sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw SqliteError(rc, fmt::format("sqlite exec: {}", msg));
    }
}

std::int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

}  // namespace kefu::storage::sqlite
