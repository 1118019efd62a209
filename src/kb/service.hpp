#pragma once
// The knowledge base in the running server: runs store operations on the database (writes are durable
// group commits), keeps the retrieval index current, answers the dialogue's lookups and records gaps.
//
// The indexer thread rebuilds the index when asked (after a change through this service) and when the
// database's KB change counter moves (a change by another process, such as `kefu kb import`), checking
// every `poll_ms`. A rebuild happens only when the set of live (id, version) pairs or the model changed,
// and it is a quick one (Xapian and features, no learning), so a publish is live well within a second.
// Learning (the entry classifier and the re-ranker's weights, seconds of work) happens on a second
// thread, the improver, whenever the published questions differ from those last learned from; meanwhile
// the quick builds rank without a classifier, with the weights learned for that case. What was learned is cached on
// disk under `cache_dir`, keyed by the questions' fingerprint, so a restart does not learn again. Slow work never runs
// on the I/O threads. Thread-safe.

#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dialogue/pipeline.hpp"
#include "kb/index.hpp"
#include "kb/store.hpp"
#include "storage/async.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::nlu {
class Normaliser;
class IntentModel;
}  // namespace kefu::nlu

namespace kefu::kb {

struct ServiceOptions {
    double answer_threshold = 0.55;
    double clarify_threshold = 0.25;
    int poll_ms = 500;
    bool four_eyes = false;
    std::string index_dir;  // parent directory of index builds; empty = the system temp directory
    std::string cache_dir;  // where learned classifiers and weights are cached; empty = no cache
};

class KbService {
  public:
    KbService(storage::sqlite::Database& db, std::shared_ptr<const nlu::Normaliser> normaliser, ServiceOptions options);
    ~KbService();
    KbService(const KbService&) = delete;
    KbService& operator=(const KbService&) = delete;

    // Builds the first index (synchronously) and starts the indexer thread. `model` may be null.
    Result<bool> Start(std::shared_ptr<const nlu::IntentModel> model);
    // A new intent model (bot reload): the index is rebuilt with it.
    void SetModel(std::shared_ptr<const nlu::IntentModel> model);
    // Asks the indexer to look for changes now.
    void Refresh();
    void Stop();

    // The knowledge base as the dialogue policy sees it (reads the current index on every lookup).
    std::shared_ptr<const dialogue::Knowledge> knowledge() const { return knowledge_; }
    std::shared_ptr<const KbIndex> index() const { return holder_->Get(); }
    const ServiceOptions& options() const { return options_; }
    const nlu::Normaliser& normaliser() const { return *normaliser_; }

    template <typename T>
    using Op = std::function<Result<T>(Connection&)>;
    // Runs a store operation in a write transaction (one savepoint: all or nothing), then refreshes.
    // Operations are passed as named variables, never as temporaries: GCC 12 destroys a capturing lambda
    // temporary in a co_await expression twice (PR c++/99576).
    template <typename T>
    boost::asio::awaitable<Result<T>> Write(Op<T>& fn) {
        auto r = co_await storage::Await<T>([&](auto done) { db_.Write<T>(fn, std::move(done)); });
        if (r.ok()) Refresh();
        co_return r;
    }
    template <typename T>
    boost::asio::awaitable<Result<T>> Read(Op<T>& fn) {
        co_return co_await storage::Await<T>([&](auto done) { db_.Read<T>(fn, std::move(done)); });
    }

    // Stores an unanswered turn, PII masked; fire-and-forget (a lost gap costs an example, not a message).
    void RecordGap(Gap gap);

  private:
    struct Learned {
        std::string questions;  // fingerprint of the questions it was learned from
        std::shared_ptr<const nlu::IntentModel> classifier;
        std::vector<double> weights;
        std::vector<double> lexical_weights;  // for builds without a classifier that covers the questions
    };
    void IndexerLoop();
    void ImproverLoop();
    Result<bool> RebuildIfChanged(bool force);
    std::optional<Learned> LoadLearned(const std::string& questions) const;
    void SaveLearned(const Learned& learned) const;

    storage::sqlite::Database& db_;
    std::shared_ptr<const nlu::Normaliser> normaliser_;
    ServiceOptions options_;
    std::shared_ptr<KbIndexHolder> holder_;
    std::shared_ptr<const dialogue::Knowledge> knowledge_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;                              // guarded by mu_
    bool refresh_ = false;                           // guarded by mu_
    std::shared_ptr<const nlu::IntentModel> model_;  // guarded by mu_
    bool model_changed_ = false;                     // guarded by mu_
    std::thread indexer_;
    std::thread improver_;
    Learned learned_;                                 // guarded by mu_: the latest learning
    bool learned_fresh_ = false;                      // guarded by mu_: the indexer has not used it yet
    std::optional<std::vector<PublishedEntry>> job_;  // guarded by mu_: the improver's next job
    std::string learning_;                            // guarded by mu_: questions of the queued or running job

    // Owned by the indexer thread (and Start, before the thread exists).
    std::int64_t last_counter_ = -1;
    std::string live_fingerprint_;
};

}  // namespace kefu::kb
