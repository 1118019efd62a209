#pragma once
// Wall-clock helpers. Times are stored as Unix epoch milliseconds and shown as ISO-8601 UTC.

#include <cstdint>
#include <string>

namespace kefu {

using UnixMillis = std::int64_t;

UnixMillis NowMillis();
// "2026-11-23T13:45:01.123Z"
std::string FormatIsoMillis(UnixMillis t);
// The local time now with its UTC offset, "2026-11-23T18:45:01+08:00" (reference time for relative dates).
std::string LocalIsoNow();

}  // namespace kefu
