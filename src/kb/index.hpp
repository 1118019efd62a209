#pragma once
// Retrieval over the published knowledge base (docs/kb.md, "Answering"): Xapian BM25 over every standard
// question and paraphrase, then a re-ranker (character n-gram cosine, word overlap, NLU intent agreement,
// relative BM25, and an entry classifier for knowledge bases of up to a few thousand entries) whose logistic weights
// are learned from the KB itself when the index is built, so that its output is a calibrated probability that the best
// entry is the right one.
//
// A KbIndex is immutable once built and safe to search from many threads at once. Publishing builds a new
// index and swaps it in (KbIndexHolder): a search uses one index from start to end.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "kb/entry.hpp"

namespace kefu::nlu {
class Normaliser;
class IntentModel;
}  // namespace kefu::nlu

namespace kefu::kb {

struct IndexOptions {
    // Parent directory of the index's Xapian database (a fresh subdirectory per build, removed with the
    // index). Empty: the system's temporary directory.
    std::string dir;
    int candidates = 30;          // questions fetched from Xapian before re-ranking
    int training_queries = 1500;  // most paraphrases used to learn the re-ranker's weights
    // Up to this many entries, a linear classifier over the entries' questions is trained as one more
    // re-ranking feature (and candidate source); beyond it, one model per entry costs too much memory.
    int classifier_max_entries = 3000;
    double answer_threshold = 0.55;
    double clarify_threshold = 0.25;
    // false: no re-ranker; entries in BM25 order, confidence = the best BM25 score over the sum of the
    // candidates' (the baseline the benchmark compares against).
    bool rerank = true;
    // Re-ranker weights to use as they are (one per feature, then the bias: RerankerInfo::weights of an
    // earlier build). Empty: learn them from this knowledge base when `learn`, else the defaults.
    std::vector<double> weights;
    // An entry classifier to use as it is (KbIndex::classifier() of an earlier build; its labels are entry
    // ids, so entries added since are simply not predicted). Null: train one when `learn`.
    std::shared_ptr<const nlu::IntentModel> classifier;
    // false: a quick build (Xapian and features only, a few hundred milliseconds for the demo pack) that
    // learns nothing; what it lacks comes from `weights` and `classifier`.
    bool learn = true;
    // Called with the fraction done (0..1) while building.
    std::function<void(double)> progress;
};

struct SearchOptions {
    std::string language = "zh";  // only entries with content in this language are answered
    std::string channel = "web";  // sms and voice get their variant, or the answer without Markdown
    std::string today;            // YYYY-MM-DD for effective dates; empty: today in local time
    int top = 3;
    // The query's intent and confidence when the caller already has them from the same intent model
    // ("" intent: out of scope); unset: the index asks its model.
    std::optional<std::pair<std::string, double>> intent;
};

struct Candidate {
    std::string id;
    std::string question;  // the entry's standard question in the search language
    double score = 0;      // the re-ranker's probability
};

struct SearchResult {
    std::string decision = "fallback";  // answer | clarify | fallback
    std::string id;                     // the best entry ("" on fallback)
    std::string answer;                 // its answer for the channel ("" on fallback)
    double confidence = 0;
    std::vector<Candidate> top;
};

// The re-ranker's learned weights (for reports and tests).
struct RerankerInfo {
    std::vector<double> weights;  // per feature, then the bias
    int training_queries = 0;
    double training_top1 = 0;  // top-1 accuracy on those held-out queries
    // Weights learned without the entry classifier (its feature is 0), for builds without one.
    std::vector<double> lexical_weights;
    double lexical_top1 = 0;
};

class KbIndex {
  public:
    // Builds the index over `entries` (their published versions). `model` may be null (no intent feature).
    static Result<std::shared_ptr<const KbIndex>> Build(std::vector<PublishedEntry> entries,
                                                        const IndexOptions& options,
                                                        std::shared_ptr<const nlu::Normaliser> normaliser,
                                                        std::shared_ptr<const nlu::IntentModel> model);
    ~KbIndex();
    KbIndex(const KbIndex&) = delete;
    KbIndex& operator=(const KbIndex&) = delete;

    SearchResult Search(std::string_view text, const SearchOptions& options) const;

    std::size_t entries() const;
    std::size_t questions() const;
    const RerankerInfo& reranker() const;
    // The entry classifier this index uses (null when none), for reuse by later builds.
    std::shared_ptr<const nlu::IntentModel> classifier() const;

    struct Impl;

  private:
    explicit KbIndex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The current index, swapped atomically on publish. Thread-safe.
class KbIndexHolder {
  public:
    std::shared_ptr<const KbIndex> Get() const {
        std::lock_guard lock(mu_);
        return current_;
    }
    void Set(std::shared_ptr<const KbIndex> index) {
        std::lock_guard lock(mu_);
        current_ = std::move(index);
    }

  private:
    mutable std::mutex mu_;
    std::shared_ptr<const KbIndex> current_;  // guarded by mu_
};

// {decision, id, answer, confidence, top: [{id, question, score}]}; id and answer are null on fallback.
boost::json::object SearchResultToJson(const SearchResult& r);

// The answer text without Markdown markup (for SMS and voice when an entry has no variant).
std::string StripMarkdown(std::string_view markdown);

}  // namespace kefu::kb
