#pragma once
// Sparse features for the intent model, from normalised text (see normalise.hpp):
// - word unigrams and bigrams over one token sequence: English words lower-cased, contractions expanded,
//   digits mapped to 0 and Porter2-stemmed (Xapian's Snowball stemmer); Chinese runs segmented into words
//   with ICU's dictionary word breaker;
// - character n-grams inside word boundaries for Latin words (" card " → " c", "ca", ..., "rd "), and
//   character n-grams over each run of CJK characters, so unseen words, typos and unsegmented Chinese
//   still share features.
// Each feature is a 64-bit hash of its kind and text; the model keeps the hashes it saw in training.
// The top bit marks character n-grams (IsCharFeature), so the model can weigh words and characters apart.
// Thread-safe: per-thread ICU and stemmer state is created on first use.

#include <cstdint>
#include <string>
#include <vector>

namespace kefu::nlu {

struct FeatureOptions {
    int latin_char_min = 1;  // character n-gram sizes inside Latin words (with the padding spaces)
    int latin_char_max = 5;
    int cjk_char_min = 1;  // character n-gram sizes over CJK runs
    int cjk_char_max = 2;
    bool word_bigrams = true;
    bool stem = true;
    // Adds the toneless pinyin syllables (and syllable bigrams) of Chinese words as word features.
    bool pinyin = true;
    // Word features and character n-grams are L2-normalised separately, then words are scaled by this
    // weight relative to characters before the whole vector is normalised.
    double word_weight = 1.0;
};

inline bool IsCharFeature(std::uint64_t hash) { return (hash >> 63) != 0; }

// Appends the feature hashes of `text` (normalised, lower-case) to `out`. Duplicates are kept: counts
// matter for term frequency.
void ExtractFeatures(const std::u32string& text, const FeatureOptions& options, std::vector<std::uint64_t>& out);

// The token sequence the word features are built from (for tests and debugging).
std::vector<std::string> Tokens(const std::u32string& text, const FeatureOptions& options);

}  // namespace kefu::nlu
