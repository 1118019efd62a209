#include "nlu/identifiers.hpp"

#include <algorithm>
#include <span>

#include "core/pii.hpp"
#include "nlu/normalise.hpp"

namespace kefu::nlu {

using detail::At;
using detail::Before;
using detail::Candidate;
using detail::Claims;
using detail::IsAsciiAlnum;
using detail::IsAsciiLetter;
using detail::IsDigit;
using detail::IsWordChar;
using detail::Text;

constexpr std::size_t kNpos = std::u32string_view::npos;

// --- AccountPattern ------------------------------------------------------------------------------------

Result<AccountPattern> AccountPattern::Parse(std::string_view pattern) {
    AccountPattern p;
    p.source_.assign(pattern);
    auto bad = [&](std::size_t at, std::string_view why) {
        return Error::Make(ErrorCode::kInvalidArgument, "account pattern \"" + std::string(pattern) + "\" at " +
                                                            std::to_string(at) + ": " + std::string(why));
    };
    auto read_int = [&](std::size_t& i, int& v) {
        if (i >= pattern.size() || pattern[i] < '0' || pattern[i] > '9') return false;
        v = 0;
        while (i < pattern.size() && pattern[i] >= '0' && pattern[i] <= '9' && v < 100)
            v = v * 10 + (pattern[i++] - '0');
        return v < 100;
    };
    std::size_t i = 0;
    while (i < pattern.size()) {
        Atom atom{0, 1, 1};
        if (pattern[i] >= '0' && pattern[i] <= '9') {
            atom.digit = pattern[i++];
        } else if (pattern[i] == '\\' && i + 1 < pattern.size() && pattern[i + 1] == 'd') {
            i += 2;
        } else {
            return bad(i, "expected a digit or \\d");
        }
        if (i < pattern.size() && pattern[i] == '?') {
            atom.min = 0;
            ++i;
        } else if (i < pattern.size() && pattern[i] == '{') {
            ++i;
            if (!read_int(i, atom.min)) return bad(i, "expected a repeat count");
            atom.max = atom.min;
            if (i < pattern.size() && pattern[i] == ',') {
                ++i;
                if (!read_int(i, atom.max)) return bad(i, "expected a maximum repeat count");
            }
            if (i >= pattern.size() || pattern[i] != '}') return bad(i, "expected }");
            ++i;
            if (atom.max < atom.min) return bad(i, "maximum below minimum");
        }
        p.atoms_.push_back(atom);
    }
    if (p.atoms_.empty()) return bad(0, "empty pattern");
    return p;
}

bool AccountPattern::MatchFrom(std::size_t atom, std::string_view rest) const {
    if (atom == atoms_.size()) return rest.empty();
    const Atom& a = atoms_[atom];
    int count = 0;
    // Take as many as allowed, then back off one at a time (patterns and inputs are a few dozen long).
    while (count < a.max && static_cast<std::size_t>(count) < rest.size() &&
           (a.digit == 0 ? rest[static_cast<std::size_t>(count)] >= '0' && rest[static_cast<std::size_t>(count)] <= '9'
                         : rest[static_cast<std::size_t>(count)] == a.digit)) {
        ++count;
    }
    for (; count >= a.min; --count) {
        if (MatchFrom(atom + 1, rest.substr(static_cast<std::size_t>(count)))) return true;
    }
    return false;
}

bool AccountPattern::Matches(std::string_view digits) const { return MatchFrom(0, digits); }

namespace detail {

namespace {

std::string Upper(Text t, std::size_t start, std::size_t end) {
    std::string out;
    for (std::size_t i = start; i < end; ++i) {
        char32_t c = t[i];
        out.push_back(static_cast<char>(IsAsciiLetter(c) ? c - 'a' + 'A' : c));
    }
    return out;
}

// --- e-mail ---------------------------------------------------------------------------------------------

bool IsLocalChar(char32_t c) { return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool IsDomainChar(char32_t c) { return IsAsciiAlnum(c) || c == '.' || c == '-'; }

}  // namespace

void ScanEmails(Text t, Claims& claims, std::vector<Candidate>& out) {
    for (std::size_t at = 0; at < t.size(); ++at) {
        if (t[at] != '@') continue;
        std::size_t start = at;
        while (start > 0 && IsLocalChar(t[start - 1])) --start;
        while (start < at && (t[start] == '.' || t[start] == '-')) ++start;
        if (start == at) continue;
        std::size_t end = at + 1;
        while (end < t.size() && IsDomainChar(t[end])) ++end;
        while (end > at + 1 && (t[end - 1] == '.' || t[end - 1] == '-')) --end;
        // The domain needs a dot, a label before it and a top-level label of two or more letters.
        std::size_t last_dot = kNpos;
        for (std::size_t k = at + 1; k < end; ++k) {
            if (t[k] == '.') last_dot = k;
        }
        if (last_dot == kNpos || last_dot == at + 1 || t[at + 1] == '-' || end - last_dot < 3) continue;
        bool tld_letters = true;
        for (std::size_t k = last_dot + 1; k < end; ++k) tld_letters &= IsAsciiLetter(t[k]);
        if (!tld_letters) continue;
        boost::json::object value;
        value["address"] = EncodeUtf8(t.substr(start, end - start));
        Emit(claims, out, "email", start, end, std::move(value));
        at = end - 1;
    }
}

// --- transfer references --------------------------------------------------------------------------------

namespace {

// Reads a reference code at `pos`: 6-32 letters/digits (dashes allowed inside), at least 4 digits.
std::size_t ReadCode(Text t, std::size_t pos) {
    if (!IsAsciiAlnum(At(t, pos)) || IsWordChar(Before(t, pos))) return kNpos;
    std::size_t end = pos;
    int alnum = 0;
    int digits = 0;
    while (end < t.size() && (IsAsciiAlnum(t[end]) || (t[end] == '-' && IsAsciiAlnum(At(t, end + 1))))) {
        if (t[end] != '-') ++alnum;
        if (IsDigit(t[end])) ++digits;
        ++end;
    }
    if (IsWordChar(At(t, end)) || alnum < 6 || alnum > 32 || digits < 4) return kNpos;
    return end;
}

std::size_t MatchRefKeyword(Text t, std::size_t i) {
    const char32_t c = t[i];
    if (c != U'流' && c != U'参' && c != U'交' && c != U'转' && c != U'汇' && c != U'回' && c != U'凭' && c != 'r' &&
        c != 't' && c != 'u') {
        return kNpos;
    }
    return MatchAnyToken(t, i,
                         {U"流水号",
                          U"参考号",
                          U"交易号",
                          U"交易单号",
                          U"转账单号",
                          U"汇款单号",
                          U"回单号",
                          U"凭证号",
                          U"交易编号",
                          U"reference number",
                          U"reference no.",
                          U"reference no",
                          U"reference",
                          U"ref no.",
                          U"ref no",
                          U"ref.",
                          U"ref",
                          U"transaction id",
                          U"transaction number",
                          U"transaction no.",
                          U"transaction no",
                          U"txn id",
                          U"txn no",
                          U"utr"});
}

}  // namespace

void ScanTransferRefs(Text t, const std::vector<std::u32string>& prefixes, Claims& claims,
                      std::vector<Candidate>& out) {
    auto emit = [&](std::size_t start, std::size_t end) {
        boost::json::object value;
        value["reference"] = Upper(t, start, end);
        return Emit(claims, out, "transfer_ref", start, end, std::move(value));
    };
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (claims.IsClaimed(i)) continue;
        std::size_t k = MatchRefKeyword(t, i);
        if (k != kNpos) {
            // Fillers between the keyword and the code: spaces, ':', '#', '是', '为', "is".
            for (int guard = 0; guard < 6; ++guard) {
                const char32_t c = At(t, k);
                if (c == ' ' || c == ':' || c == '#' || c == U'是' || c == U'为' || c == '=') {
                    ++k;
                } else if (MatchToken(t, k, U"is") != kNpos) {
                    k += 2;
                } else {
                    break;
                }
            }
            std::size_t end = ReadCode(t, k);
            if (end != kNpos && emit(k, end)) {
                i = end - 1;
                continue;
            }
        }
        if (IsAsciiLetter(t[i]) && !IsWordChar(Before(t, i))) {
            for (const std::u32string& prefix : prefixes) {
                if (prefix.empty() || !LiteralAt(t, i, prefix)) continue;
                std::size_t end = i + prefix.size();
                int alnum = 0;
                int digits = 0;
                while (end < t.size() && IsAsciiAlnum(t[end])) {
                    ++alnum;
                    digits += IsDigit(t[end]) ? 1 : 0;
                    ++end;
                }
                if (!IsWordChar(At(t, end)) && alnum >= 8 && alnum <= 20 && digits >= 6 && emit(i, end)) {
                    i = end - 1;
                    break;
                }
            }
        }
    }
}

// --- digit-run identifiers ------------------------------------------------------------------------------

namespace {

struct Group {
    std::size_t start;
    std::size_t end;
};

bool ValidDate(int y, int m, int d) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

int Num(std::string_view s) {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

bool IsMobile(std::string_view d) { return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'; }

bool LayoutIs(std::span<const int> layout, std::initializer_list<int> want) {
    return layout.size() == want.size() && std::equal(layout.begin(), layout.end(), want.begin());
}

// One block, or groups of four with a shorter last group.
bool InFours(std::span<const int> layout) {
    if (layout.size() == 1) return true;
    for (std::size_t k = 0; k + 1 < layout.size(); ++k) {
        if (layout[k] != 4) return false;
    }
    return layout.back() >= 1 && layout.back() <= 4;
}

bool PhoneLayout(std::span<const int> layout) {
    return LayoutIs(layout, {11}) || LayoutIs(layout, {3, 4, 4}) || LayoutIs(layout, {3, 8});
}

}  // namespace

void ScanNumberIdentifiers(Text t, const std::vector<AccountPattern>& accounts, Claims& claims,
                           std::vector<Candidate>& out) {
    constexpr std::size_t kMaxDigits = 21;  // +86 and a mobile, or a 19-digit card with room to spare
    std::vector<Group> groups;
    std::size_t i = 0;
    while (i < t.size()) {
        if (!IsDigit(t[i]) || claims.IsClaimed(i)) {
            ++i;
            continue;
        }
        // Collect the run of digit groups.
        groups.clear();
        std::size_t j = i;
        while (true) {
            std::size_t g = j;
            while (j < t.size() && IsDigit(t[j]) && !claims.IsClaimed(j)) ++j;
            groups.push_back(Group{g, j});
            if (j + 1 < t.size() && (t[j] == ' ' || t[j] == '-') && IsDigit(t[j + 1]) && !claims.IsClaimed(j + 1)) {
                ++j;
                continue;
            }
            break;
        }
        const std::size_t run_end = j;
        const char32_t prev = Before(t, i);
        // Part of a longer number: after a decimal point, or a thousands group ("1,000").
        const bool glued_before =
            IsWordChar(prev) || (prev == '.' && IsDigit(Before(t, i - 1))) ||
            (prev == ',' && IsDigit(Before(t, i - 1)) && groups.size() == 1 && groups[0].end - groups[0].start == 3);
        const bool x_at_end = At(t, run_end) == 'x' && !IsWordChar(At(t, run_end + 1));
        const std::size_t after = x_at_end ? run_end + 1 : run_end;
        const bool glued_after = IsWordChar(At(t, after)) || (At(t, after) == '.' && IsDigit(At(t, after + 1))) ||
                                 (At(t, after) == ',' && IsDigit(At(t, after + 1)) && IsDigit(At(t, after + 2)) &&
                                  IsDigit(At(t, after + 3)) && !IsDigit(At(t, after + 4)));
        i = after;
        if (glued_before || glued_after) {
            while (i < t.size() && IsWordChar(t[i])) ++i;  // the rest of the token
            continue;
        }
        const bool plus_before = prev == '+';

        for (std::size_t g = 0; g < groups.size();) {
            // Extend to every end group within kMaxDigits, then try the longest first.
            std::string digits;
            std::vector<int> layout;
            std::vector<std::size_t> digits_at_end;  // digits.size() after each end group
            // One separator throughout, except that "+86 139-1234-5678" may set the country code apart.
            const bool country_code =
                groups[g].end - groups[g].start == 2 && t[groups[g].start] == '8' && t[groups[g].start + 1] == '6';
            const std::size_t first_sep = country_code ? g + 2 : g + 1;
            for (std::size_t e = g; e < groups.size(); ++e) {
                if (e >= first_sep && t[groups[e].start - 1] != t[groups[first_sep].start - 1]) break;
                const std::size_t len = groups[e].end - groups[e].start;
                if (digits.size() + len > kMaxDigits) break;
                for (std::size_t k = groups[e].start; k < groups[e].end; ++k) digits.push_back(static_cast<char>(t[k]));
                layout.push_back(static_cast<int>(len));
                digits_at_end.push_back(digits.size());
            }
            bool matched = false;
            std::size_t next_g = g + 1;
            for (std::size_t n = layout.size(); n > 0 && !matched; --n) {
                const std::size_t e = g + n - 1;
                const std::string_view d(digits.data(), digits_at_end[n - 1]);
                const std::span<const int> lay(layout.data(), n);
                const bool is_last = e + 1 == groups.size();
                const bool with_x = is_last && x_at_end;
                const std::size_t start = groups[g].start;
                const std::size_t end = groups[e].end + (with_x ? 1 : 0);
                next_g = e + 1;
                boost::json::object value;
                // Resident ID.
                if ((d.size() == 18 && !with_x) || (d.size() == 17 && with_x)) {
                    std::vector<int> id_lay(lay.begin(), lay.end());
                    if (with_x) ++id_lay.back();
                    std::string id(d);
                    if (with_x) id.push_back('X');
                    if ((id_lay.size() == 1 || LayoutIs(id_lay, {6, 8, 4})) && id[0] != '0' &&
                        ResidentIdChecksumValid(id) &&
                        ValidDate(Num(id.substr(6, 4)), Num(id.substr(10, 2)), Num(id.substr(12, 2)))) {
                        value["masked"] = Mask(id, 0, 4);
                        value["birth_date"] = id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2);
                        matched = Emit(claims, out, "id_number", start, end, std::move(value));
                        continue;
                    }
                }
                if (with_x) continue;  // nothing else ends in X
                // Mobile with a country code: 86 13812345678, +86 138 1234 5678, +8613812345678.
                if (d.size() == 13 && d.substr(0, 2) == "86" && IsMobile(d.substr(2)) &&
                    (LayoutIs(lay, {13}) || (lay[0] == 2 && PhoneLayout(lay.subspan(1))))) {
                    const std::size_t phone_start = plus_before && g == 0 ? start - 1 : start;
                    value["e164"] = "+" + std::string(d);
                    value["masked"] = Mask(d.substr(2), 3, 4);
                    matched = Emit(claims, out, "phone", phone_start, end, std::move(value));
                    continue;
                }
                // Payment card.
                if (d.size() >= 13 && d.size() <= 19 && d[0] != '0' &&
                    (InFours(lay) || LayoutIs(lay, {4, 6, 5}) || LayoutIs(lay, {4, 6, 4})) && LuhnValid(d)) {
                    value["masked"] = Mask(d, 0, 4);
                    value["last4"] = std::string(d.substr(d.size() - 4));
                    value["length"] = d.size();
                    matched = Emit(claims, out, "card_number", start, end, std::move(value));
                    continue;
                }
                // Account number, by the configured patterns.
                if (InFours(lay)) {
                    for (const AccountPattern& p : accounts) {
                        if (!p.Matches(d)) continue;
                        value["masked"] = Mask(d, 0, 4);
                        value["last4"] = std::string(d.substr(d.size() >= 4 ? d.size() - 4 : 0));
                        value["length"] = d.size();
                        matched = Emit(claims, out, "account_number", start, end, std::move(value));
                        break;
                    }
                    if (matched) continue;
                }
                // Mobile without a country code.
                if (IsMobile(d) && PhoneLayout(lay)) {
                    value["e164"] = "+86" + std::string(d);
                    value["masked"] = Mask(d, 3, 4);
                    matched = Emit(claims, out, "phone", start, end, std::move(value));
                }
            }
            g = matched ? next_g : g + 1;
        }
    }
}

}  // namespace detail
}  // namespace kefu::nlu
