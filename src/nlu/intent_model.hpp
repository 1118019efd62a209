#pragma once
// The intent classifier: TF-IDF weighted sparse features (features.hpp) and one linear L2-loss SVM per
// intent (one-vs-rest, trained with liblinear), with confidences calibrated by temperature scaling of the
// SVM margins, and an out-of-scope threshold on the calibrated confidence.
//
// Training holds out a stratified tenth of the examples, trains on the rest, and on the held-out part
// (1) fits the softmax temperature that minimises negative log-likelihood, so a confidence of 0.8 is right
// about 80% of the time, and (2) chooses the out-of-scope threshold (docs/nlu.md describes the procedure).
// It then trains the final model on all examples.
//
// A model is immutable once built or loaded: Predict is safe to call from many threads at once.
// One file holds everything (format "KEFUINT1", versioned); Load reads it in one pass.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "nlu/features.hpp"
#include "nlu/normalise.hpp"
#include "nlu/training_data.hpp"

namespace kefu::nlu {

inline constexpr std::string_view kOutOfScope = "out_of_scope";
// Changes whenever the trainer would build a different model from the same data and options (features,
// calibration, threshold rule), so that caches keyed on the data know to retrain.
inline constexpr std::string_view kTrainerRevision = "2-pinyin-threshold98";

struct TrainOptions {
    FeatureOptions features;
    double c = 2.0;                 // SVM regularisation (larger fits the training data more closely)
    int min_df = 1;                 // drop features seen in fewer training examples
    double holdout_fraction = 0.1;  // for calibration and the threshold; 0 skips both
    double threshold = -1;          // out-of-scope threshold; < 0 chooses it on the held-out part
    std::uint64_t seed = 7;
    // Called with a stage name and the fraction done (0..1) of that stage.
    std::function<void(std::string_view stage, double fraction)> progress;
};

struct IntentScore {
    std::string intent;
    double confidence = 0;
};

struct IntentPrediction {
    std::string intent;  // kOutOfScope when below the threshold or predicted as such
    double confidence = 0;
    std::vector<IntentScore> top;  // the best k intents by confidence (never kOutOfScope-by-threshold)
};

struct ModelInfo {
    int format_version = 1;
    std::size_t features = 0;
    std::size_t examples = 0;
    double temperature = 1;
    double threshold = 0;
    double holdout_accuracy = -1;
    std::string trained_at;
};

class IntentModel {
  public:
    static Result<std::unique_ptr<IntentModel>> Train(const std::vector<Example>& examples,
                                                      const Normaliser& normaliser, const TrainOptions& options);
    // threshold_override >= 0 replaces the stored out-of-scope threshold (0 disables it).
    static Result<std::unique_ptr<IntentModel>> Load(const std::string& path, double threshold_override = -1);
    Result<void> Save(const std::string& path) const;

    IntentPrediction Predict(const NormalisedText& text, int top_k = 3) const;
    IntentPrediction Predict(const std::u32string& normalised_code_points, int top_k = 3) const;

    const std::vector<std::string>& labels() const { return labels_; }
    const ModelInfo& info() const { return info_; }

  private:
    IntentModel() = default;
    // Raw margins, one per label.
    void Scores(const std::u32string& text, std::vector<float>& scores) const;
    IntentPrediction FromScores(const std::vector<float>& scores, int top_k) const;

    FeatureOptions features_;
    std::vector<std::string> labels_;
    std::unordered_map<std::uint64_t, std::uint32_t> index_;  // feature hash → column
    std::vector<float> idf_;                                  // per column
    std::uint32_t first_char_column_ = 0;  // columns below are word features, from here character n-grams
    std::vector<float> weights_;           // (columns + 1 bias row) × labels, row-major
    int out_of_scope_label_ = -1;
    ModelInfo info_;

    friend struct ModelTrainer;
};

}  // namespace kefu::nlu
