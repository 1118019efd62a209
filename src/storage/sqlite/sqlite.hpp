#pragma once
// Thin RAII wrappers over the SQLite C API. Statements are prepared once per connection and cached;
// values are always bound, never spliced into SQL. Errors throw SqliteError, which the Database
// catches at the boundary of each operation and turns into a Result.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kefu::storage::sqlite {

class SqliteError : public std::runtime_error {
  public:
    SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
    int code() const { return code_; }

  private:
    int code_;
};

class Statement {
  public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binding is 1-based, as in SQLite.
    Statement& Bind(int index, std::int64_t v);
    Statement& BindDouble(int index, double v);
    Statement& Bind(int index, std::string_view v);
    Statement& Bind(int index, const std::string& v) { return Bind(index, std::string_view(v)); }
    Statement& Bind(int index, const char* v) { return Bind(index, std::string_view(v)); }
    Statement& BindNull(int index);
    Statement& Bind(int index, const std::optional<std::string>& v);
    Statement& Bind(int index, const std::optional<std::int64_t>& v);

    // Advances; returns true iff a row is available.
    bool Step();
    // Steps to completion (for statements that return no rows).
    void Run();
    void Reset();

    std::int64_t Int(int col) const;
    double Double(int col) const;
    std::string Text(int col) const;
    bool IsNull(int col) const;
    std::optional<std::string> OptText(int col) const;
    std::optional<std::int64_t> OptInt(int col) const;

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

class Connection {
  public:
    // Opens (creating if needed) the database file. `read_only` connections refuse writes.
    Connection(const std::string& path, bool read_only);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Returns the cached statement for sql, reset and with bindings cleared.
    Statement& Prepare(std::string_view sql);
    void Exec(std::string_view sql);
    std::int64_t Changes() const;
    sqlite3* raw() { return db_; }

  private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

}  // namespace kefu::storage::sqlite
