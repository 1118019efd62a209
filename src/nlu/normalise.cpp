#include "nlu/normalise.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <exception>
#include <opencc/Exception.hpp>
#include <opencc/SimpleConverter.hpp>

#include "core/utf8.hpp"

namespace kefu::nlu {

namespace {

// One normalised code point and the original code points [begin, end) it came from.
struct Piece {
    char32_t cp;
    std::size_t begin;
    std::size_t end;
};

// Code points from here up are run through OpenCC; below it nothing is Chinese.
constexpr char32_t kFirstCjkRadical = 0x2E80;

// The Chinese clause comma. NFKC would make it ',', which reads as a thousands separator in "卡号4111…，2026年";
// it stays '，' unless it sits between full-width digits ("１，０００").
constexpr char32_t kFullWidthComma = 0xFF0C;

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool IsSpace(char32_t c) {
    if (c == ' ') return true;
    if (c < 0x80) return c >= 0x09 && c <= 0x0D;
    return u_isUWhiteSpace(static_cast<UChar32>(c)) != 0;
}

char32_t UnifyPunctuation(char32_t c) {
    if (c < 0x2010) return c;
    switch (c) {
        case 0x2018:
        case 0x2019:
        case 0x201A:
        case 0x201B:
        case 0x2032:  // ‘ ’ ‚ ‛ ′
            return '\'';
        case 0x201C:
        case 0x201D:
        case 0x201E:
        case 0x201F:
        case 0x2033:  // “ ” „ ‟ ″
        case 0x300C:
        case 0x300D:
        case 0x300E:
        case 0x300F:  // 「 」 『 』
        case 0x301D:
        case 0x301E:  // 〝 〞
            return '"';
        case 0x2010:
        case 0x2011:
        case 0x2012:
        case 0x2013:
        case 0x2014:
        case 0x2015:  // the dash family
        case 0x2212:
        case 0xFE58:
        case 0xFE63:  // minus signs
            return '-';
        case 0x301C:  // 〜 wave dash
            return '~';
        case 0x3010:
        case 0x3014:
        case 0x3016:
        case 0x3018:
        case 0x301A:  // 【 〔 〖 〘 〚
            return '[';
        case 0x3011:
        case 0x3015:
        case 0x3017:
        case 0x3019:
        case 0x301B:  // 】 〕 〗 〙 〛
            return ']';
        default:
            return c;
    }
}

bool CollapsesWhenRepeated(char32_t c) {
    return c == '!' || c == '?' || c == '~' || c == ',' || c == kFullWidthComma || c == 0x3002 /* 。 */ ||
           c == 0x3001 /* 、 */;
}

bool IsFullWidthDigit(char32_t c) { return c >= 0xFF10 && c <= 0xFF19; }

// Builds the normalised pieces: whitespace collapsed, repeated marks collapsed, punctuation unified.
class PieceWriter {
  public:
    explicit PieceWriter(std::vector<Piece>& out) : out_(out) {}

    void Emit(char32_t cp, std::size_t begin, std::size_t end) {
        cp = UnifyPunctuation(cp);
        if (IsSpace(cp) || IsControl(cp)) {
            if (!space_pending_) {
                space_pending_ = true;
                space_begin_ = begin;
                space_end_ = end;
            }
            return;
        }
        if (space_pending_) {
            space_pending_ = false;
            if (!out_.empty()) out_.push_back(Piece{' ', space_begin_, space_end_});
        }
        if (CollapsesWhenRepeated(cp) && !out_.empty() && out_.back().cp == cp) {
            out_.back().end = end;
            return;
        }
        out_.push_back(Piece{cp, begin, end});
    }

  private:
    std::vector<Piece>& out_;
    bool space_pending_ = false;
    std::size_t space_begin_ = 0;
    std::size_t space_end_ = 0;
};

}  // namespace

void AppendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::u32string DecodeUtf8(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        unsigned char c = *p;
        char32_t cp = 0;
        int extra = 0;
        if (c < 0x80) {
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            extra = 1;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            extra = 2;
        } else {
            cp = c & 0x07;
            extra = 3;
        }
        ++p;
        for (int i = 0; i < extra && p < end; ++i, ++p) cp = (cp << 6) | (*p & 0x3F);
        out.push_back(cp);
    }
    return out;
}

std::string EncodeUtf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size() * 3);
    for (char32_t cp : text) AppendUtf8(out, cp);
    return out;
}

std::pair<std::size_t, std::size_t> NormalisedText::OriginalSpan(std::size_t start, std::size_t end) const {
    if (start >= end || end > to_original_end.size()) {
        std::size_t at = start < to_original.size() ? to_original[start] : original_length;
        return {at, at};
    }
    return {to_original[start], to_original_end[end - 1]};
}

std::string_view NormalisedText::OriginalSubstr(std::size_t original_start, std::size_t original_end) const {
    if (original_end > original_length || original_start > original_end) return {};
    std::size_t b = original_byte_offsets[original_start];
    std::size_t e = original_byte_offsets[original_end];
    return std::string_view(original).substr(b, e - b);
}

struct Normaliser::Impl {
    const icu::Normalizer2* nfkc_cf = nullptr;  // owned by ICU, immutable and thread-safe
    std::unique_ptr<opencc::SimpleConverter> t2s;

    // Appends the NFKC_Casefold form of original code points [begin, end) (one normalisation segment).
    void NormaliseSegment(const std::u32string& cps, std::size_t begin, std::size_t end, PieceWriter& w) const {
        icu::UnicodeString src;
        for (std::size_t k = begin; k < end; ++k) src.append(static_cast<UChar32>(cps[k]));
        UErrorCode status = U_ZERO_ERROR;
        icu::UnicodeString dst = nfkc_cf->normalize(src, status);
        if (U_FAILURE(status)) dst = src;
        for (int32_t k = 0; k < dst.length();) {
            UChar32 c = dst.char32At(k);
            k += U16_LENGTH(c);
            w.Emit(static_cast<char32_t>(c), begin, end);
        }
    }

    void ToSimplified(std::vector<Piece>& pieces) const {
        bool any_cjk = false;
        for (const Piece& p : pieces) any_cjk |= p.cp >= kFirstCjkRadical;
        if (!any_cjk) return;
        std::string utf8;
        utf8.reserve(pieces.size() * 3);
        for (const Piece& p : pieces) AppendUtf8(utf8, p.cp);
        std::u32string converted = DecodeUtf8(t2s->Convert(utf8.data(), utf8.size()));
        if (converted.size() == pieces.size()) {
            // t2s maps every phrase to one of the same length, so the conversion lines up code point for code
            // point with its input.
            for (std::size_t k = 0; k < pieces.size(); ++k) pieces[k].cp = converted[k];
            return;
        }
        // Defensive: a dictionary that changed a length. Convert character by character instead.
        for (Piece& p : pieces) {
            if (p.cp < kFirstCjkRadical) continue;
            std::string one;
            AppendUtf8(one, p.cp);
            std::u32string c = DecodeUtf8(t2s->Convert(one.data(), one.size()));
            if (c.size() == 1) p.cp = c[0];
        }
    }
};

Normaliser::Normaliser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Normaliser::~Normaliser() = default;

Result<std::unique_ptr<Normaliser>> Normaliser::Create(const std::string& opencc_config) {
    auto impl = std::make_unique<Impl>();
    UErrorCode status = U_ZERO_ERROR;
    impl->nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status) || impl->nfkc_cf == nullptr) {
        return Error::Make(ErrorCode::kInternal, "ICU NFKC_Casefold data is not available");
    }
    try {
        impl->t2s = std::make_unique<opencc::SimpleConverter>(opencc_config);
    } catch (const opencc::Exception& e) {
        return Error::Make(ErrorCode::kInternal, "cannot load OpenCC configuration " + opencc_config + ": " + e.what());
    } catch (const std::exception& e) {
        return Error::Make(ErrorCode::kInternal, "cannot load OpenCC configuration " + opencc_config + ": " + e.what());
    } catch (...) {
        return Error::Make(ErrorCode::kInternal, "cannot load OpenCC configuration " + opencc_config);
    }
    return std::unique_ptr<Normaliser>(new Normaliser(std::move(impl)));
}

Result<NormalisedText> Normaliser::Normalise(std::string_view original) const {
    if (original.size() > kMaxInputBytes) {
        return Error::Make(ErrorCode::kPayloadTooLarge, "text is longer than 1 MiB");
    }
    if (!IsValidUtf8(original)) return Error::Make(ErrorCode::kInvalidUtf8, "text is not valid UTF-8");

    NormalisedText out;
    out.original.assign(original);
    const std::u32string cps = DecodeUtf8(original);
    out.original_length = cps.size();
    out.original_byte_offsets.reserve(cps.size() + 1);
    for (std::size_t b = 0; b < original.size(); ++b) {
        if ((static_cast<unsigned char>(original[b]) & 0xC0) != 0x80) out.original_byte_offsets.push_back(b);
    }
    out.original_byte_offsets.push_back(original.size());

    std::vector<Piece> pieces;
    pieces.reserve(cps.size());
    PieceWriter writer(pieces);
    const icu::Normalizer2& nfkc_cf = *impl_->nfkc_cf;
    const std::size_t n = cps.size();
    std::size_t i = 0;
    while (i < n) {
        const char32_t c = cps[i];
        // A normalisation segment runs to the next code point that starts a fresh one (combining marks join
        // the character before them).
        std::size_t j = i + 1;
        while (j < n && cps[j] >= 0x80 && !nfkc_cf.hasBoundaryBefore(static_cast<UChar32>(cps[j]))) ++j;
        if (c == kFullWidthComma && !(i > 0 && IsFullWidthDigit(cps[i - 1]) && j < n && IsFullWidthDigit(cps[j]))) {
            writer.Emit(c, i, j);
        } else if (j == i + 1 && c < 0x80) {
            writer.Emit(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c, i, j);
        } else if (j == i + 1 && IsControl(c)) {
            writer.Emit(' ', i, j);
        } else if (j == i + 1 && nfkc_cf.isInert(static_cast<UChar32>(c))) {
            writer.Emit(c, i, j);
        } else {
            impl_->NormaliseSegment(cps, i, j, writer);
        }
        i = j;
    }
    impl_->ToSimplified(pieces);

    out.code_points.reserve(pieces.size());
    out.to_original.reserve(pieces.size() + 1);
    out.to_original_end.reserve(pieces.size());
    for (const Piece& p : pieces) {
        out.code_points.push_back(p.cp);
        out.to_original.push_back(p.begin);
        out.to_original_end.push_back(p.end);
    }
    out.to_original.push_back(out.original_length);
    out.text = EncodeUtf8(out.code_points);
    return out;
}

}  // namespace kefu::nlu
