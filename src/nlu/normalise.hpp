#pragma once
// Text normalisation for NLU: the customer's text is turned into one canonical form that the intent model
// and the entity extractors match against, with a map back to the original so that anything found in the
// normalised text can be reported as a span of what the customer actually typed.
//
// Normalise() applies, in order:
// 1. control characters (C0, C1, DEL) become spaces; default-ignorable characters (zero-width space and
//    joiner, BOM, soft hyphen, variation selectors) are dropped;
// 2. Unicode NFKC with case folding (ICU NFKC_Casefold): full-width ASCII becomes half-width ("１２３" ->
//    "123", "ＲＭＢ" -> "rmb"), the ideographic space becomes a space, compatibility forms are unfolded. The
//    one exception is the Chinese clause comma '，', which stays as it is unless it sits between full-width
//    digits ("１，０００"): as ',' it would glue "卡号4111…，2026年" into one number;
// 3. punctuation variants are unified: curly and corner quotes become '"' or '\'', the dash family and
//    the minus sign become '-', the wave dash becomes '~', lenticular brackets become '[' and ']'; runs of
//    the same sentence mark among ! ? ~ , 。 、 collapse to one;
// 4. whitespace runs collapse to one space, and leading and trailing whitespace is dropped;
// 5. Traditional Chinese becomes Simplified with OpenCC's t2s conversion ("下個月15號" -> "下个月15号").
// Every step maps a code point to one or more code points, never across words, so each normalised code
// point knows which original code points it came from.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace kefu::nlu {

struct NormalisedText {
    std::string text;                 // normalised UTF-8
    std::u32string code_points;       // the same text, one element per code point
    std::string original;             // the customer's text, as given
    std::size_t original_length = 0;  // in code points

    // For each code point k of `text`, the code-point offset in `original` where its source starts, plus
    // one end sentinel equal to original_length.
    std::vector<std::size_t> to_original;
    // For each code point k of `text`, the code-point offset in `original` just past its source.
    std::vector<std::size_t> to_original_end;
    // Byte offset in `original` of each original code point, plus one end sentinel (original.size()).
    std::vector<std::size_t> original_byte_offsets;

    // Maps a code-point span [start, end) of the normalised text to a code-point span of the original.
    // Requires start < end <= code_points.size(); an empty span maps to an empty span at its start.
    std::pair<std::size_t, std::size_t> OriginalSpan(std::size_t start, std::size_t end) const;
    // The original text of a code-point span of the original.
    std::string_view OriginalSubstr(std::size_t original_start, std::size_t original_end) const;
};

// A Normaliser is safe for concurrent use from multiple threads without external synchronisation; the
// OpenCC dictionaries and ICU data are loaded once, in Create().
class Normaliser {
  public:
    // Input above this size is refused with kPayloadTooLarge: a chat message is never this long, and the
    // offset tables cost about 40 bytes per code point.
    static constexpr std::size_t kMaxInputBytes = 1 << 20;

    // `opencc_config` is an OpenCC configuration name (looked up in OpenCC's data directory) or a path.
    // Returns kInternal when ICU's normalisation data or the OpenCC configuration cannot be loaded.
    static Result<std::unique_ptr<Normaliser>> Create(const std::string& opencc_config = "t2s.json");

    ~Normaliser();
    Normaliser(const Normaliser&) = delete;
    Normaliser& operator=(const Normaliser&) = delete;

    // Returns kInvalidUtf8 when `original` is not well-formed UTF-8 and kPayloadTooLarge above
    // kMaxInputBytes. Empty input gives empty text.
    Result<NormalisedText> Normalise(std::string_view original) const;

  private:
    struct Impl;
    explicit Normaliser(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Appends the UTF-8 encoding of one code point.
void AppendUtf8(std::string& out, char32_t cp);
// Decodes well-formed UTF-8 (checked with IsValidUtf8 first) into code points.
std::u32string DecodeUtf8(std::string_view valid_utf8);
// Encodes code points as UTF-8.
std::string EncodeUtf8(std::u32string_view text);

}  // namespace kefu::nlu
