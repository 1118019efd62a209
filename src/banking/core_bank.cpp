#include "banking/core_bank.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

namespace kefu::banking {

std::optional<std::int64_t> ParseCents(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    auto dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    if (whole.empty() || whole.size() > 15 || frac.size() > 2 || (dot != std::string_view::npos && frac.empty())) {
        return std::nullopt;
    }
    std::int64_t units = 0;
    for (char c : whole) {
        if (c < '0' || c > '9') return std::nullopt;
        units = units * 10 + (c - '0');
    }
    std::int64_t cents = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        char c = i < frac.size() ? frac[i] : '0';
        if (c < '0' || c > '9') return std::nullopt;
        cents = cents * 10 + (c - '0');
    }
    std::int64_t v = units * 100 + cents;
    return negative ? -v : v;
}

std::string FormatCents(std::int64_t cents) {
    bool negative = cents < 0;
    std::uint64_t a = negative ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
    return fmt::format("{}{}.{:02d}", negative ? "-" : "", a / 100, a % 100);
}

}  // namespace kefu::banking
