#include "nlu/decimal.hpp"

namespace kefu::nlu {

namespace {

std::optional<std::int64_t> Pow10(int exponent) {
    std::int64_t v = 1;
    for (int i = 0; i < exponent; ++i) {
        if (__builtin_mul_overflow(v, 10, &v)) return std::nullopt;
    }
    return v;
}

}  // namespace

bool Decimal::IsInteger() const {
    auto p = Pow10(scale_);
    return p && units_ % *p == 0;
}

std::optional<std::int64_t> Decimal::ToInteger() const {
    auto p = Pow10(scale_);
    if (!p || units_ % *p != 0) return std::nullopt;
    return units_ / *p;
}

std::optional<Decimal> Decimal::WithScale(int scale) const {
    if (scale < scale_ || scale > kMaxScale) return std::nullopt;
    auto p = Pow10(scale - scale_);
    std::int64_t units = 0;
    if (!p || __builtin_mul_overflow(units_, *p, &units)) return std::nullopt;
    return Decimal(units, scale);
}

std::optional<Decimal> Decimal::Add(const Decimal& other) const {
    int scale = scale_ > other.scale_ ? scale_ : other.scale_;
    auto a = WithScale(scale);
    auto b = other.WithScale(scale);
    std::int64_t sum = 0;
    if (!a || !b || __builtin_add_overflow(a->units_, b->units_, &sum)) return std::nullopt;
    return Decimal(sum, scale);
}

std::optional<Decimal> Decimal::MulPow10(int exponent) const {
    if (exponent < 0) return std::nullopt;
    // Consume fractional digits first so that 1.5 x 10^4 stays exact and small.
    std::int64_t units = units_;
    int scale = scale_;
    while (exponent > 0 && scale > 0) {
        --scale;
        --exponent;
    }
    auto p = Pow10(exponent);
    if (!p || __builtin_mul_overflow(units, *p, &units)) return std::nullopt;
    return Decimal(units, scale);
}

std::string Decimal::ToString(int min_fraction_digits) const {
    int scale = scale_;
    std::int64_t units = units_;
    // Drop trailing zeros beyond the minimum, then pad up to it.
    while (scale > min_fraction_digits && units % 10 == 0) {
        units /= 10;
        --scale;
    }
    const bool negative = units < 0;
    const std::uint64_t magnitude =
        negative ? std::uint64_t{0} - static_cast<std::uint64_t>(units) : static_cast<std::uint64_t>(units);
    std::string digits = std::to_string(magnitude);
    while (static_cast<int>(digits.size()) <= scale) digits.insert(digits.begin(), '0');
    std::string out = negative ? "-" : "";
    out += digits.substr(0, digits.size() - static_cast<std::size_t>(scale));
    if (scale > 0 || min_fraction_digits > 0) {
        out.push_back('.');
        out += digits.substr(digits.size() - static_cast<std::size_t>(scale));
        for (int i = scale; i < min_fraction_digits; ++i) out.push_back('0');
    }
    return out;
}

bool operator==(const Decimal& a, const Decimal& b) {
    int scale = a.scale_ > b.scale_ ? a.scale_ : b.scale_;
    auto l = a.WithScale(scale);
    auto r = b.WithScale(scale);
    return l && r && l->units_ == r->units_;
}

}  // namespace kefu::nlu
