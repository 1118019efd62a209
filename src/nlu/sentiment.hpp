#pragma once
// Sentiment of one customer message, for the dialogue to escalate on: a label (negative, neutral, positive)
// with a score in [-1, 1], and two flags, anger and urgency. Chinese (Simplified and, through the
// normaliser, Traditional) and English, mixed freely.
//
// Two parts, blended:
// 1. A lexicon (packs/<pack>/nlu/sentiment_lexicon.yaml): words and phrases with polarity weights,
//    intensifiers and down-toners ("非常", "very", "有点", "a bit") that scale the next polar word, negators
//    ("不", "没", "not", "never") that flip or soften polar words within a few tokens, contrast words ("但是",
//    "but") that discount what came before, and anger and urgency markers. Chinese entries are matched
//    character by character, English word by word, longest match first, so "不错" (good) is one entry and not
//    "不" + "错". Entries with weight 0 only block shorter matches ("你好" keeps "好" from counting). The
//    lexicon score is tanh(sum of weights / 2).
// 2. A learned part: one-vs-rest logistic regression (liblinear) over the intent model's hashed word and
//    character n-gram features (features.hpp) plus features derived from the lexicon (positive and negative
//    sums, negated polar words, anger and urgency hits, '!!!' and '???' runs, ALL CAPS words).
// The learned probabilities and a distribution derived from the lexicon score are mixed, the learned one
// weighted by how sure it is and the lexicon one by how many polar words it found, so the lexicon decides when
// the model cannot and stays out of the way when it has nothing to say. The label is the most probable class
// of the mix; the score is P(positive) - P(negative).
//
// Anger needs both evidence (an anger marker, a run of '!' or '?', or shouted ALL CAPS words in the
// original text) and a negative label with a score at or below SentimentOptions::anger_score. Urgency needs
// an urgency marker ("被盗", "马上", "stolen", "right now") that no negator covers ("不急", "not urgent" do
// not count), in a message that is not positive ("thanks for blocking the stolen card" is settled).
//
// Labels follow one guide, in the training data too: negative is dissatisfaction, complaint, distress,
// or reporting harm (fraud, theft, money lost); neutral is questions, requests and routine reports with no
// feeling stated; positive is thanks, praise, satisfaction or relief.

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "nlu/features.hpp"
#include "nlu/normalise.hpp"

namespace kefu::nlu {

inline constexpr char kSentimentNegative[] = "negative";
inline constexpr char kSentimentNeutral[] = "neutral";
inline constexpr char kSentimentPositive[] = "positive";

struct Sentiment {
    std::string label = kSentimentNeutral;  // "negative", "neutral" or "positive"
    double score = 0;                       // -1 (most negative) .. 1 (most positive)
    bool anger = false;
    bool urgency = false;
};

// {"label", "score" (three decimals), "anger", "urgency"}.
boost::json::object ToJson(const Sentiment& sentiment);

struct SentimentOptions {
    FeatureOptions features;
    double c = 8.0;                       // logistic-regression regularisation (larger fits the data more closely)
    double lexicon_feature_weight = 1.0;  // scale of the lexicon-derived features against the n-gram features
    // Weight of the learned distribution in the mix when the model is sure of itself and the lexicon found
    // plenty; the learned weight falls as its top probability falls towards 1/3, the lexicon's as it finds less.
    double learned_weight = 0.7;
    double anger_score = -0.4;  // anger needs a score at or below this
};

// Immutable once created: Analyze is safe to call from many threads at once.
class SentimentAnalyzer {
  public:
    // Longer messages are judged on their first this many code points, which keeps the cost bounded (a
    // chat message is far shorter; a pasted document says what it is about at the start).
    static constexpr std::size_t kMaxCodePoints = 4096;

    // Loads the lexicon and trains the learned part on `train_csv` (`text,label` with labels negative, neutral
    // and positive; see LoadExamples). An empty `train_csv` gives a lexicon-only analyser. Errors name the
    // file and line: kNotFound for a missing file, kInvalidArgument for bad content.
    static Result<std::unique_ptr<SentimentAnalyzer>> Create(const std::string& lexicon_yaml,
                                                             const std::string& train_csv, const Normaliser& normaliser,
                                                             const SentimentOptions& options = {});

    ~SentimentAnalyzer();
    SentimentAnalyzer(const SentimentAnalyzer&) = delete;
    SentimentAnalyzer& operator=(const SentimentAnalyzer&) = delete;

    // `text` comes from Normalise(); the original text inside it is read for '!!!' runs and ALL CAPS.
    Sentiment Analyze(const NormalisedText& text) const;

    // The lexicon part alone, in [-1, 1] (for tests and debugging).
    double LexiconScore(const NormalisedText& text) const;

    bool has_learned_part() const { return !weights_.empty(); }
    std::size_t lexicon_entries() const;

  private:
    struct Lexicon;
    struct Cues;
    struct Trainer;
    struct LexiconLoader;

    SentimentAnalyzer(std::unique_ptr<Lexicon> lexicon, const SentimentOptions& options);
    Cues Read(const NormalisedText& text) const;
    // Class probabilities (negative, neutral, positive) of the learned part.
    void LearnedProbabilities(const NormalisedText& text, const Cues& cues, double p[3]) const;

    std::unique_ptr<Lexicon> lexicon_;
    SentimentOptions options_;
    std::unordered_map<std::uint64_t, std::uint32_t> index_;  // feature hash → column
    std::vector<float> idf_;                                  // per n-gram column
    // (n-gram columns + lexicon features + 1 bias) × 3 classes, row-major; empty for lexicon only.
    std::vector<float> weights_;
};

}  // namespace kefu::nlu
