#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <memory>

#include "core/clock.hpp"
#include "core/pii.hpp"

namespace kefu::log {

namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kJson};

std::shared_ptr<spdlog::logger> Logger() {
    static const auto kLogger = [] {
        auto l = std::make_shared<spdlog::logger>("kefu", std::make_shared<spdlog::sinks::stderr_sink_mt>());
        l->set_pattern("%v");
        l->set_level(spdlog::level::trace);
        l->flush_on(spdlog::level::trace);
        return l;
    }();
    return kLogger;
}

std::string_view LevelName(Level l) {
    switch (l) {
        case Level::kTrace:
            return "trace";
        case Level::kDebug:
            return "debug";
        case Level::kInfo:
            return "info";
        case Level::kWarn:
            return "warn";
        case Level::kError:
            return "error";
        case Level::kOff:
            return "off";
    }
    return "info";
}

void AppendJsonString(std::string& out, std::string_view s) { out += boost::json::serialize(boost::json::string(s)); }

void AppendValue(std::string& out, const Field::Value& v, bool json) {
    if (const auto* s = std::get_if<std::string_view>(&v)) {
        if (json) {
            AppendJsonString(out, *s);
        } else {
            out.append(*s);
        }
    } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
        out += std::to_string(*i);
    } else if (const auto* d = std::get_if<double>(&v)) {
        char buf[32];
        int n = std::snprintf(buf, sizeof buf, "%.6g", *d);
        out.append(buf, static_cast<size_t>(n));
    } else if (const auto* b = std::get_if<bool>(&v)) {
        out += *b ? "true" : "false";
    }
}

}  // namespace

bool ParseLevel(std::string_view s, Level* out) {
    for (Level l : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError, Level::kOff}) {
        if (s == LevelName(l)) {
            *out = l;
            return true;
        }
    }
    return false;
}

void Init(Level level, Format format) {
    g_level.store(level);
    g_format.store(format);
}

bool Enabled(Level level) { return level != Level::kOff && level >= g_level.load(std::memory_order_relaxed); }

std::string FormatLine(Level level, std::string_view msg, std::initializer_list<Field> fields) {
    const bool json = g_format.load(std::memory_order_relaxed) == Format::kJson;
    std::string line;
    line.reserve(128);
    if (json) {
        line += "{\"ts\":\"";
        line += FormatIsoMillis(NowMillis());
        line += "\",\"level\":\"";
        line += LevelName(level);
        line += "\",\"msg\":";
        AppendJsonString(line, msg);
        for (const Field& f : fields) {
            line += ',';
            AppendJsonString(line, f.key);
            line += ':';
            AppendValue(line, f.value, true);
        }
        line += '}';
    } else {
        line += FormatIsoMillis(NowMillis());
        line += ' ';
        line += LevelName(level);
        line += ' ';
        line += msg;
        for (const Field& f : fields) {
            line += ' ';
            line += f.key;
            line += '=';
            AppendValue(line, f.value, false);
        }
    }
    return MaskPii(line);
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
    Logger()->info(FormatLine(level, msg, fields));
}

void Flush() { Logger()->flush(); }

}  // namespace kefu::log
