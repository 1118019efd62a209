#pragma once
// Structured logging. One line per event, JSON by default: {"ts":..,"level":..,"msg":..,<fields>}.
// Every line passes through MaskPii before it is written, so a card, ID, phone or e-mail that slips
// into a message or field never reaches the log. Safe to call from any thread.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace kefu::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class Format { kJson, kText };

// Parses "trace|debug|info|warn|error|off"; returns false on anything else.
bool ParseLevel(std::string_view s, Level* out);

// Sets the level and format. Before Init: info, JSON, to stderr.
void Init(Level level, Format format);
bool Enabled(Level level);

struct Field {
    using Value = std::variant<std::string_view, std::int64_t, double, bool>;
    std::string_view key;
    Value value;

    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
    Field(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
    Field(std::string_view k, unsigned v) : key(k), value(static_cast<std::int64_t>(v)) {}
    Field(std::string_view k, std::uint64_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
    Field(std::string_view k, double v) : key(k), value(v) {}
    Field(std::string_view k, bool v) : key(k), value(v) {}
};

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields);
// Formats a line without writing it (used by tests and by Write).
std::string FormatLine(Level level, std::string_view msg, std::initializer_list<Field> fields);
void Flush();

inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) {
    if (Enabled(Level::kDebug)) Write(Level::kDebug, msg, f);
}
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) {
    if (Enabled(Level::kInfo)) Write(Level::kInfo, msg, f);
}
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) {
    if (Enabled(Level::kWarn)) Write(Level::kWarn, msg, f);
}
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) {
    if (Enabled(Level::kError)) Write(Level::kError, msg, f);
}

}  // namespace kefu::log
