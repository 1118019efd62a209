#include "kb/service.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/pii.hpp"
#include "core/thread_name.hpp"
#include "nlu/intent_model.hpp"
#include "nlu/normalise.hpp"

namespace kefu::kb {

namespace fs = std::filesystem;

namespace {

// The knowledge base as the dialogue sees it: every lookup reads the index current at that moment.
class IndexKnowledge final : public dialogue::Knowledge {
  public:
    explicit IndexKnowledge(std::shared_ptr<const KbIndexHolder> holder) : holder_(std::move(holder)) {}

    dialogue::KnowledgeResult Lookup(std::string_view text, std::string_view language, std::string_view channel,
                                     const dialogue::Understanding* understanding) const override {
        dialogue::KnowledgeResult out;
        auto index = holder_->Get();
        if (!index) return out;
        SearchOptions o;
        o.language = std::string(language);
        o.channel = std::string(channel);
        // The intent feature: the NLU has already classified this text with the same model.
        if (understanding && !understanding->intent.empty()) {
            o.intent = std::make_pair(understanding->intent == nlu::kOutOfScope ? std::string() : understanding->intent,
                                      understanding->confidence);
        }
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

std::string Fingerprint(const std::vector<PublishedEntry>& live) {
    std::string s;
    for (const auto& e : live) s += e.id + "@" + std::to_string(e.version) + "\n";
    return Sha256Hex(s);
}

// What learning depends on: every live entry's id and questions (not its answers), and the trainer.
std::string QuestionsFingerprint(const std::vector<PublishedEntry>& live) {
    std::string s(nlu::kTrainerRevision);
    for (const auto& e : live) {
        s += "\x1e" + e.id;
        for (const auto& [lang, c] : e.body.content) {
            s += "\x1f" + lang + "\x1f" + c.question;
            for (const auto& p : c.paraphrases) s += "\x1f" + p;
        }
    }
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
    indexer_ = std::thread([this] {
        SetThreadName("kefu-kb-index");
        IndexerLoop();
    });
    improver_ = std::thread([this] {
        SetThreadName("kefu-kb-improve");
        ImproverLoop();
    });
    return true;
}

void KbService::SetModel(std::shared_ptr<const nlu::IntentModel> model) {
    {
        std::lock_guard lock(mu_);
        model_ = std::move(model);
        model_changed_ = true;
    }
    cv_.notify_all();
}

void KbService::Refresh() {
    {
        std::lock_guard lock(mu_);
        refresh_ = true;
    }
    cv_.notify_all();
}

void KbService::Stop() {
    {
        std::lock_guard lock(mu_);
        if (stop_) return;
        stop_ = true;
    }
    cv_.notify_all();
    if (indexer_.joinable()) indexer_.join();
    if (improver_.joinable()) improver_.join();
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
                         [this] { return stop_ || refresh_ || model_changed_ || learned_fresh_; });
            if (stop_) return;
            force = model_changed_ || learned_fresh_;
            refresh_ = false;
        }
        auto r = RebuildIfChanged(force);
        if (!r) log::Error("knowledge-base index rebuild failed", {{"error", r.error().message}});
    }
}

void KbService::ImproverLoop() {
    for (;;) {
        std::vector<PublishedEntry> entries;
        std::shared_ptr<const nlu::IntentModel> model;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stop_ || job_.has_value(); });
            if (stop_) return;
            entries = std::move(*job_);
            job_.reset();
            model = model_;
        }
        std::string questions = QuestionsFingerprint(entries);
        auto started = std::chrono::steady_clock::now();
        IndexOptions o;
        o.dir = options_.index_dir;
        auto index = KbIndex::Build(std::move(entries), o, normaliser_, model);
        if (!index) {
            log::Error("knowledge-base learning failed", {{"error", index.error().message}});
            continue;
        }
        Learned learned{questions, (*index)->classifier(), (*index)->reranker().weights,
                        (*index)->reranker().lexical_weights};
        SaveLearned(learned);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        log::Info("knowledge-base re-ranker learned", {{"queries", (*index)->reranker().training_queries},
                                                       {"heldout_top1", (*index)->reranker().training_top1},
                                                       {"classifier", learned.classifier != nullptr},
                                                       {"ms", static_cast<std::int64_t>(ms.count())}});
        {
            std::lock_guard lock(mu_);
            learned_ = std::move(learned);
            learned_fresh_ = true;
            if (!job_) learning_.clear();
        }
        cv_.notify_all();
    }
}

std::optional<KbService::Learned> KbService::LoadLearned(const std::string& questions) const {
    if (options_.cache_dir.empty()) return std::nullopt;
    fs::path base = fs::path(options_.cache_dir) / ("kb2-" + questions.substr(0, 20));
    std::ifstream w(base.string() + ".weights");
    if (!w) return std::nullopt;
    Learned l;
    l.questions = questions;
    // Two lines: the weights with the classifier, then without it.
    std::string line;
    for (auto* target : {&l.weights, &l.lexical_weights}) {
        if (!std::getline(w, line)) return std::nullopt;
        std::istringstream in(line);
        double v = 0;
        while (in >> v) target->push_back(v);
    }
    if (fs::exists(base.string() + ".kefuint")) {
        auto m = nlu::IntentModel::Load(base.string() + ".kefuint");
        if (!m) return std::nullopt;
        l.classifier = std::move(m.value());
    }
    return l;
}

void KbService::SaveLearned(const Learned& l) const {
    if (options_.cache_dir.empty()) return;
    std::error_code ec;
    fs::create_directories(options_.cache_dir, ec);
    fs::path base = fs::path(options_.cache_dir) / ("kb2-" + l.questions.substr(0, 20));
    if (l.classifier) {
        auto saved = l.classifier->Save(base.string() + ".kefuint.tmp");
        if (!saved) return;
        fs::rename(base.string() + ".kefuint.tmp", base.string() + ".kefuint", ec);
    }
    {
        std::ofstream w(base.string() + ".weights.tmp", std::ios::trunc);
        w.precision(17);
        for (const auto* source : {&l.weights, &l.lexical_weights}) {
            for (double v : *source) w << v << " ";
            w << "\n";
        }
    }
    fs::rename(base.string() + ".weights.tmp", base.string() + ".weights", ec);
}

Result<bool> KbService::RebuildIfChanged(bool force) {
    auto counter =
        db_.ReadAndWait<std::int64_t>([](Connection& c) -> Result<std::int64_t> { return ChangeCounter(c); });
    if (!counter) return counter.error();
    if (!force && *counter == last_counter_) return false;
    auto live = db_.ReadAndWait<std::vector<PublishedEntry>>([](Connection& c) { return LoadPublished(c); });
    if (!live) return live.error();
    std::string fingerprint = Fingerprint(*live);
    std::string questions = QuestionsFingerprint(*live);
    std::shared_ptr<const nlu::IntentModel> model;
    Learned learned;
    bool model_changed = false;
    {
        std::lock_guard lock(mu_);
        model = model_;
        model_changed = model_changed_;
        model_changed_ = false;
        learned_fresh_ = false;
        learned = learned_;
    }
    last_counter_ = *counter;
    if (!force && fingerprint == live_fingerprint_) return false;
    if (learned.questions != questions) {
        if (auto cached = LoadLearned(questions)) {
            learned = std::move(*cached);
            std::lock_guard lock(mu_);
            learned_ = learned;
        }
    }
    // Learn again when the questions (or the model behind the intent feature) are not what the current
    // learning saw; meanwhile the last classifier and weights serve.
    if (learned.questions != questions || model_changed) {
        bool post = false;
        {
            std::lock_guard lock(mu_);
            if (learning_ != questions || model_changed) {
                job_ = *live;
                learning_ = questions;
                post = true;
            }
        }
        if (post) cv_.notify_all();
    }

    auto started = std::chrono::steady_clock::now();
    IndexOptions o;
    o.dir = options_.index_dir;
    o.answer_threshold = options_.answer_threshold;
    o.clarify_threshold = options_.clarify_threshold;
    o.learn = false;
    // The classifier only knows the questions it was trained on: with other questions live, rank without it.
    bool covered = learned.questions == questions;
    o.weights = covered ? learned.weights : learned.lexical_weights;
    if (covered) o.classifier = learned.classifier;
    std::size_t n = live->size();
    auto index = KbIndex::Build(std::move(*live), o, normaliser_, model);
    if (!index) return index.error();
    live_fingerprint_ = fingerprint;
    holder_->Set(*index);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    log::Info("knowledge-base index built", {{"entries", static_cast<std::int64_t>(n)},
                                             {"questions", static_cast<std::int64_t>((*index)->questions())},
                                             {"learned", learned.questions == questions},
                                             {"ms", static_cast<std::int64_t>(ms.count())}});
    return true;
}

}  // namespace kefu::kb
