#include "kb/service.hpp"

#include <chrono>
#include <future>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/pii.hpp"
#include "nlu/intent_model.hpp"
#include "nlu/normalise.hpp"

namespace kefu::kb {

namespace {

// The knowledge base as the dialogue sees it: every lookup reads the index current at that moment.
class IndexKnowledge final : public dialogue::Knowledge {
  public:
    explicit IndexKnowledge(std::shared_ptr<const KbIndexHolder> holder) : holder_(std::move(holder)) {}

    dialogue::KnowledgeResult Lookup(std::string_view text, std::string_view language,
                                     std::string_view channel) const override {
        dialogue::KnowledgeResult out;
        auto index = holder_->Get();
        if (!index) return out;
        SearchOptions o;
        o.language = std::string(language);
        o.channel = std::string(channel);
        auto r = index->Search(text, o);
        out.decision = r.decision;
        out.id = r.id;
        out.answer = std::move(r.answer);
        out.confidence = r.confidence;
        for (auto& c : r.top) out.top.emplace_back(std::move(c.id), std::move(c.question));
        return out;
    }

  private:
    std::shared_ptr<const KbIndexHolder> holder_;
};

template <typename T>
Result<T> ReadNow(storage::sqlite::Database& db, std::function<Result<T>(Connection&)> fn) {
    std::promise<Result<T>> p;
    auto f = p.get_future();
    db.Read<T>(std::move(fn), [&p](Result<T> r) { p.set_value(std::move(r)); });
    return f.get();
}

std::string Fingerprint(const std::vector<PublishedEntry>& live) {
    std::string s;
    for (const auto& e : live) s += e.id + "@" + std::to_string(e.version) + "\n";
    return Sha256Hex(s);
}

}  // namespace

KbService::KbService(storage::sqlite::Database& db, std::shared_ptr<const nlu::Normaliser> normaliser,
                     ServiceOptions options)
    : db_(db),
      normaliser_(std::move(normaliser)),
      options_(std::move(options)),
      holder_(std::make_shared<KbIndexHolder>()),
      knowledge_(std::make_shared<IndexKnowledge>(holder_)) {}

KbService::~KbService() { Stop(); }

Result<bool> KbService::Start(std::shared_ptr<const nlu::IntentModel> model) {
    {
        std::lock_guard lock(mu_);
        model_ = std::move(model);
    }
    auto built = RebuildIfChanged(true);
    if (!built) return built;
    indexer_ = std::thread([this] { IndexerLoop(); });
    return true;
}

void KbService::SetModel(std::shared_ptr<const nlu::IntentModel> model) {
    {
        std::lock_guard lock(mu_);
        model_ = std::move(model);
        model_changed_ = true;
    }
    cv_.notify_one();
}

void KbService::Refresh() {
    {
        std::lock_guard lock(mu_);
        refresh_ = true;
    }
    cv_.notify_one();
}

void KbService::Stop() {
    {
        std::lock_guard lock(mu_);
        if (stop_) return;
        stop_ = true;
    }
    cv_.notify_one();
    if (indexer_.joinable()) indexer_.join();
}

void KbService::RecordGap(Gap gap) {
    gap.text = MaskPii(gap.text);
    if (gap.at == 0) gap.at = NowMillis();
    db_.Write<bool>(
        [gap = std::move(gap)](Connection& c) -> Result<bool> {
            kb::RecordGap(c, gap);
            return true;
        },
        [](Result<bool> r) {
            if (!r) log::Warn("could not record an unanswered question", {{"error", r.error().message}});
        });
}

void KbService::IndexerLoop() {
    for (;;) {
        bool force = false;
        {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                         [this] { return stop_ || refresh_ || model_changed_; });
            if (stop_) return;
            force = model_changed_;
            refresh_ = false;
        }
        auto r = RebuildIfChanged(force);
        if (!r) log::Error("knowledge-base index rebuild failed", {{"error", r.error().message}});
    }
}

Result<bool> KbService::RebuildIfChanged(bool force) {
    auto counter = ReadNow<std::int64_t>(db_, [](Connection& c) -> Result<std::int64_t> { return ChangeCounter(c); });
    if (!counter) return counter.error();
    if (!force && *counter == last_counter_) return false;
    auto live = ReadNow<std::vector<PublishedEntry>>(db_, [](Connection& c) { return LoadPublished(c); });
    if (!live) return live.error();
    std::string fingerprint = Fingerprint(*live);
    std::shared_ptr<const nlu::IntentModel> model;
    {
        std::lock_guard lock(mu_);
        model = model_;
        if (model_changed_) force = true;
        model_changed_ = false;
    }
    last_counter_ = *counter;
    if (!force && fingerprint == live_fingerprint_) return false;

    auto started = std::chrono::steady_clock::now();
    IndexOptions o;
    o.dir = options_.index_dir;
    o.answer_threshold = options_.answer_threshold;
    o.clarify_threshold = options_.clarify_threshold;
    // Learning the re-ranker costs a search per sampled paraphrase; a publish reuses the weights unless the
    // knowledge base has grown or shrunk by a tenth since they were learned, or the model changed.
    std::size_t n = live->size();
    bool relearn = force || weights_.empty() || n * 10 > weights_entries_ * 11 || n * 11 < weights_entries_ * 10;
    if (!relearn) o.weights = weights_;
    auto index = KbIndex::Build(std::move(*live), o, normaliser_, model);
    if (!index) return index.error();
    if (relearn) {
        weights_ = (*index)->reranker().weights;
        weights_entries_ = n;
    }
    live_fingerprint_ = fingerprint;
    holder_->Set(*index);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    log::Info("knowledge-base index built", {{"entries", static_cast<std::int64_t>((*index)->entries())},
                                             {"questions", static_cast<std::int64_t>((*index)->questions())},
                                             {"learned_weights", relearn},
                                             {"loo_top1", (*index)->reranker().training_top1},
                                             {"ms", static_cast<std::int64_t>(ms.count())}});
    return true;
}

}  // namespace kefu::kb
