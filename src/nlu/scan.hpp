#pragma once
// Internal to the entity extractors: character classes, literal matching over normalised code points, and
// the bookkeeping of which parts of the text an earlier (more specific) extractor has already claimed.
// Everything here works on the normalised text (lower-case, half-width, Simplified, single spaces).

#include <boost/json/object.hpp>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::nlu::detail {

using Text = std::u32string_view;

inline bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiLetter(char32_t c) { return c >= 'a' && c <= 'z'; }  // normalised text is lower-case
inline bool IsAsciiAlnum(char32_t c) { return IsDigit(c) || IsAsciiLetter(c); }
// Letters, digits and '_': what glues characters into one token.
inline bool IsWordChar(char32_t c) { return IsAsciiAlnum(c) || c == '_'; }
inline bool IsCjk(char32_t c) {
    return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}
inline char32_t At(Text t, std::size_t i) { return i < t.size() ? t[i] : U'\0'; }
inline char32_t Before(Text t, std::size_t i) { return i > 0 && i <= t.size() ? t[i - 1] : U'\0'; }

// Returns true iff `lit` occurs in `t` at `pos`.
inline bool LiteralAt(Text t, std::size_t pos, std::u32string_view lit) {
    return pos <= t.size() && t.size() - pos >= lit.size() && t.compare(pos, lit.size(), lit) == 0;
}

// Matches `lit` at `pos` as a whole token: when the literal starts (ends) with an ASCII letter or digit, the
// character before (after) it must not be one. Returns the end, or npos.
std::size_t MatchToken(Text t, std::size_t pos, std::u32string_view lit);
// Like MatchToken() but without the check before: for suffixes glued to a number ("3pm", "1st").
std::size_t MatchTokenEnd(Text t, std::size_t pos, std::u32string_view lit);
// The first of `lits` that MatchToken() accepts at `pos` (list longer literals first). Returns its end or
// npos; `which` receives its index.
std::size_t MatchAnyToken(Text t, std::size_t pos, std::initializer_list<std::u32string_view> lits,
                          std::size_t* which = nullptr);
// The first of `lits` that MatchTokenEnd() accepts.
std::size_t MatchAnyTokenEnd(Text t, std::size_t pos, std::initializer_list<std::u32string_view> lits,
                             std::size_t* which = nullptr);
// Skips one optional space.
inline std::size_t SkipSpace(Text t, std::size_t pos) { return At(t, pos) == ' ' ? pos + 1 : pos; }

// A found entity, in normalised code-point offsets.
struct Candidate {
    std::string type;
    std::size_t start = 0;
    std::size_t end = 0;
    boost::json::object value;
};

// Which normalised code points an entity already covers. Extractors run from the most specific
// (e-mail, identifiers) to the least (money, dates) and skip anything claimed.
class Claims {
  public:
    explicit Claims(std::size_t n) : claimed_(n, false) {}
    bool IsClaimed(std::size_t i) const { return i < claimed_.size() && claimed_[i]; }
    // Returns true iff no code point in [start, end) is claimed.
    bool IsFree(std::size_t start, std::size_t end) const;
    void Claim(std::size_t start, std::size_t end);

  private:
    std::vector<bool> claimed_;
};

// Records a candidate and claims its span if it is free; returns false (and records nothing) otherwise.
bool Emit(Claims& claims, std::vector<Candidate>& out, std::string type, std::size_t start, std::size_t end,
          boost::json::object value);

// "****1111": masks all but the last `keep_tail` characters (and the first `keep_head`).
std::string Mask(std::string_view s, std::size_t keep_head, std::size_t keep_tail);

}  // namespace kefu::nlu::detail
