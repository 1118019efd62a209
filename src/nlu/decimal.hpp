#pragma once
// An exact decimal number for money amounts: an integer count of units of 10^-scale. No floating point, so
// "1,000.50" stays 1000.50 and "一点五万" is exactly 15000. Arithmetic reports overflow instead of wrapping.

#include <cstdint>
#include <optional>
#include <string>

namespace kefu::nlu {

class Decimal {
  public:
    static constexpr int kMaxScale = 8;

    constexpr Decimal() = default;
    // The number units * 10^-scale. Requires 0 <= scale <= kMaxScale.
    constexpr Decimal(std::int64_t units, int scale) : units_(units), scale_(scale) {}
    static constexpr Decimal Integer(std::int64_t v) { return Decimal(v, 0); }

    std::int64_t units() const { return units_; }
    int scale() const { return scale_; }
    bool IsZero() const { return units_ == 0; }
    // Returns true iff the value has no fractional part.
    bool IsInteger() const;
    // The integral value, if IsInteger() and it fits.
    std::optional<std::int64_t> ToInteger() const;

    // Each returns nullopt on overflow (or a scale above kMaxScale).
    std::optional<Decimal> Add(const Decimal& other) const;
    std::optional<Decimal> MulPow10(int exponent) const;  // exponent >= 0
    std::optional<Decimal> WithScale(int scale) const;    // scale >= scale(); pads with zeros

    // Plain decimal text with at least `min_fraction_digits` digits after the point ("1500.00").
    std::string ToString(int min_fraction_digits) const;

    friend bool operator==(const Decimal& a, const Decimal& b);

  private:
    std::int64_t units_ = 0;
    int scale_ = 0;
};

}  // namespace kefu::nlu
