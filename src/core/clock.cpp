#include "core/clock.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace kefu {

UnixMillis NowMillis() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatIsoMillis(UnixMillis t) {
    std::time_t secs = static_cast<std::time_t>(t / 1000);
    int ms = static_cast<int>(t % 1000);
    if (ms < 0) {
        ms += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace kefu
