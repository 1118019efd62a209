#include "nlu/scan.hpp"

namespace kefu::nlu::detail {

std::size_t MatchToken(Text t, std::size_t pos, std::u32string_view lit) {
    if (lit.empty() || !LiteralAt(t, pos, lit)) return std::u32string_view::npos;
    if (IsAsciiAlnum(lit.front()) && IsWordChar(Before(t, pos))) return std::u32string_view::npos;
    const std::size_t end = pos + lit.size();
    if (IsAsciiAlnum(lit.back()) && IsWordChar(At(t, end))) return std::u32string_view::npos;
    return end;
}

std::size_t MatchAnyToken(Text t, std::size_t pos, std::initializer_list<std::u32string_view> lits,
                          std::size_t* which) {
    std::size_t k = 0;
    for (std::u32string_view lit : lits) {
        std::size_t end = MatchToken(t, pos, lit);
        if (end != std::u32string_view::npos) {
            if (which != nullptr) *which = k;
            return end;
        }
        ++k;
    }
    return std::u32string_view::npos;
}

std::size_t MatchTokenEnd(Text t, std::size_t pos, std::u32string_view lit) {
    if (lit.empty() || !LiteralAt(t, pos, lit)) return std::u32string_view::npos;
    const std::size_t end = pos + lit.size();
    if (IsAsciiAlnum(lit.back()) && IsWordChar(At(t, end))) return std::u32string_view::npos;
    return end;
}

std::size_t MatchAnyTokenEnd(Text t, std::size_t pos, std::initializer_list<std::u32string_view> lits,
                             std::size_t* which) {
    std::size_t k = 0;
    for (std::u32string_view lit : lits) {
        std::size_t end = MatchTokenEnd(t, pos, lit);
        if (end != std::u32string_view::npos) {
            if (which != nullptr) *which = k;
            return end;
        }
        ++k;
    }
    return std::u32string_view::npos;
}

bool Claims::IsFree(std::size_t start, std::size_t end) const {
    if (end > claimed_.size()) return false;
    for (std::size_t i = start; i < end; ++i) {
        if (claimed_[i]) return false;
    }
    return true;
}

void Claims::Claim(std::size_t start, std::size_t end) {
    for (std::size_t i = start; i < end && i < claimed_.size(); ++i) claimed_[i] = true;
}

bool Emit(Claims& claims, std::vector<Candidate>& out, std::string type, std::size_t start, std::size_t end,
          boost::json::object value) {
    if (start >= end || !claims.IsFree(start, end)) return false;
    claims.Claim(start, end);
    out.push_back(Candidate{std::move(type), start, end, std::move(value)});
    return true;
}

std::string Mask(std::string_view s, std::size_t keep_head, std::size_t keep_tail) {
    std::string out(s);
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i >= keep_head && i + keep_tail < out.size()) out[i] = '*';
    }
    return out;
}

}  // namespace kefu::nlu::detail
