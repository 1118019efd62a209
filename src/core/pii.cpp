#include "core/pii.hpp"

#include <cctype>

namespace kefu {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsEmailLocalChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool IsEmailDomainChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }

// Masks all but the last `keep_tail` and first `keep_head` digits of a span, keeping separators.
std::string MaskDigits(std::string_view span, std::size_t digit_count, std::size_t keep_head, std::size_t keep_tail) {
    std::string out;
    out.reserve(span.size());
    std::size_t seen = 0;
    for (char c : span) {
        if (IsDigit(c) || c == 'X' || c == 'x') {
            bool keep = seen < keep_head || seen >= digit_count - keep_tail;
            out.push_back(keep ? c : '*');
            ++seen;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

enum class NumberKind { kNone, kCard, kResidentId, kPhone };

NumberKind Classify(const std::string& digits, bool ends_with_x) {
    const std::size_t n = digits.size() + (ends_with_x ? 1 : 0);
    if (n == 18 && (ends_with_x || ResidentIdChecksumValid(digits))) return NumberKind::kResidentId;
    if (ends_with_x) return NumberKind::kNone;
    if (n == 15 && digits[0] != '0') {
        // 15-digit legacy resident IDs have no checksum; mask them when they are not a Luhn card either way.
        return LuhnValid(digits) ? NumberKind::kCard : NumberKind::kResidentId;
    }
    if (n >= 16 && n <= 19) return NumberKind::kCard;
    if (n == 13 && digits.compare(0, 2, "86") == 0 && digits[2] == '1' && digits[3] >= '3') return NumberKind::kPhone;
    if (n >= 13 && n <= 19 && LuhnValid(digits)) return NumberKind::kCard;
    if (n == 11 && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9') return NumberKind::kPhone;
    return NumberKind::kNone;
}

}  // namespace

bool LuhnValid(std::string_view digits) {
    if (digits.size() < 2) return false;
    int sum = 0;
    bool dbl = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (!IsDigit(*it)) return false;
        int d = *it - '0';
        if (dbl) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

bool ResidentIdChecksumValid(std::string_view id) {
    static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
    if (id.size() != 18) return false;
    int sum = 0;
    for (int i = 0; i < 17; ++i) {
        if (!IsDigit(id[static_cast<size_t>(i)])) return false;
        sum += (id[static_cast<size_t>(i)] - '0') * kWeights[i];
    }
    char expected = kCheck[sum % 11];
    char got = id[17] == 'x' ? 'X' : id[17];
    return got == expected;
}

std::string MaskPii(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        char c = text[i];
        // E-mail: find '@' with a plausible local part before it (already copied) and a domain after it.
        if (c == '@' && i > 0 && IsEmailLocalChar(text[i - 1])) {
            std::size_t j = i + 1;
            bool dot = false;
            while (j < n && IsEmailDomainChar(text[j])) {
                dot |= text[j] == '.';
                ++j;
            }
            if (dot && j > i + 3) {
                // Rewind the local part already emitted, keep its first character.
                std::size_t k = out.size();
                while (k > 0 && IsEmailLocalChar(out[k - 1])) --k;
                if (k < out.size()) {
                    out.resize(k + 1);
                    out += "***";
                }
                out.append(text.substr(i, j - i));
                i = j;
                continue;
            }
        }
        // Digit runs, allowing single spaces or dashes between digits, not glued to letters or digits.
        bool boundary = i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]));
        if (IsDigit(c) && boundary) {
            std::string digits;
            std::size_t j = i;
            while (j < n) {
                if (IsDigit(text[j])) {
                    digits.push_back(text[j]);
                    ++j;
                } else if ((text[j] == ' ' || text[j] == '-') && j + 1 < n && IsDigit(text[j + 1]) &&
                           digits.size() < 19) {
                    ++j;
                } else {
                    break;
                }
                if (digits.size() > 19) break;
            }
            bool ends_with_x = j < n && (text[j] == 'X' || text[j] == 'x') && digits.size() == 17;
            std::size_t end = ends_with_x ? j + 1 : j;
            bool tail_ok = end >= n || !std::isalnum(static_cast<unsigned char>(text[end]));
            // Digits that run on past 19 are not one of our numbers; copy the whole run untouched.
            while (!tail_ok && end < n && IsDigit(text[end])) ++end;
            NumberKind kind = tail_ok ? Classify(digits, ends_with_x) : NumberKind::kNone;
            std::string_view span = text.substr(i, end - i);
            std::size_t count = digits.size() + (ends_with_x ? 1 : 0);
            switch (kind) {
                case NumberKind::kCard:
                case NumberKind::kResidentId:
                    out += MaskDigits(span, count, 0, 4);
                    break;
                case NumberKind::kPhone:
                    out += MaskDigits(span, count, count - 8, 4);
                    break;
                case NumberKind::kNone:
                    out.append(span);
                    break;
            }
            i = end;
            continue;
        }
        out.push_back(c);
        ++i;
    }
    return out;
}

}  // namespace kefu
