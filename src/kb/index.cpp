#include "kb/index.hpp"

#include <xapian.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <unordered_map>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "kb/similarity.hpp"
#include "nlu/intent_model.hpp"
#include "nlu/normalise.hpp"
#include "nlu/script.hpp"

namespace kefu::kb {

namespace fs = std::filesystem;

namespace {

// Re-ranker features, in this order, then the bias.
// kClassifier: the probability an entry classifier (the NLU's linear model, trained with the entries'
// questions as examples) gives the entry; only for knowledge bases up to IndexOptions::classifier_max_entries.
enum Feature { kBm25, kCosine, kOverlap, kIntent, kBm25Top, kClassifier, kFeatureCount };
using Weights = std::array<double, kFeatureCount + 1>;
// Character n-gram cosine at which a question counts as typed exactly (normalisation aside).
constexpr double kExactCosine = 0.98;
constexpr Weights kDefaultWeights{1.0, 4.0, 3.0, 1.5, 0.5, 3.0, -6.0};

Xapian::Stem& Stemmer() {
    thread_local Xapian::Stem stem("english");
    return stem;
}

// Index terms of normalised text: "W" + stemmed Latin word, "C" + Han character, "B" + Han bigram.
// Sorted and unique: the set is used for word overlap, and Xapian gets each term once.
std::vector<std::string> Terms(const std::u32string& text, std::vector<std::string>* with_repeats = nullptr) {
    std::vector<std::string> terms;
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t c = text[i];
        if (nlu::IsCjk(c)) {
            std::size_t j = i;
            while (j < text.size() && nlu::IsCjk(text[j])) ++j;
            for (std::size_t k = i; k < j; ++k) {
                terms.push_back("C" + nlu::EncodeUtf8(text.substr(k, 1)));
                if (k + 1 < j) terms.push_back("B" + nlu::EncodeUtf8(text.substr(k, 2)));
            }
            i = j;
        } else if (nlu::IsLatinWordChar(c) && c != U'\'') {
            std::size_t j = i;
            while (j < text.size() && nlu::IsLatinWordChar(text[j])) ++j;
            std::string word = nlu::EncodeUtf8(text.substr(i, j - i));
            while (!word.empty() && word.back() == '\'') word.pop_back();
            if (word.size() <= 64) terms.push_back("W" + Stemmer()(word));
            i = j;
        } else {
            ++i;
        }
    }
    if (with_repeats) *with_repeats = terms;
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    return terms;
}

double Overlap(const std::vector<std::string>& q, const std::vector<std::string>& d) {
    if (q.empty() || d.empty()) return 0;
    std::size_t common = 0;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < q.size() && j < d.size()) {
        if (q[i] < d[j]) {
            ++i;
        } else if (d[j] < q[i]) {
            ++j;
        } else {
            ++common;
            ++i;
            ++j;
        }
    }
    return 2.0 * static_cast<double>(common) / static_cast<double>(q.size() + d.size());
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::string Today() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

struct Question {
    std::uint32_t entry = 0;
    std::string language;
    std::u32string text;  // normalised
    std::vector<std::string> terms;
    SparseVector grams;
};

struct Query {
    std::u32string text;
    std::vector<std::string> terms;
    SparseVector grams;
    std::string intent;
    double intent_confidence = 0;
};

struct Scored {
    std::uint32_t entry = 0;
    std::array<double, kFeatureCount> f{};
    double score = 0;
};

}  // namespace

struct KbIndex::Impl {
    std::vector<PublishedEntry> entries;
    // Per entry and language: the intent the NLU model gives its standard question ("" if none).
    std::vector<std::map<std::string, std::string>> entry_intent;
    std::vector<Question> questions;  // Xapian docid - 1
    std::vector<std::vector<std::uint32_t>> entry_questions;
    std::string db_path;
    IndexOptions options;
    std::shared_ptr<const nlu::Normaliser> normaliser;
    std::shared_ptr<const nlu::IntentModel> model;
    Weights weights = kDefaultWeights;
    RerankerInfo info;
    // Entry classifier over every question (labels are entry ids, so one trained for an earlier version of
    // the knowledge base still works); null for large knowledge bases.
    std::shared_ptr<const nlu::IntentModel> classifier;
    std::unordered_map<std::string, std::uint32_t> entry_by_id;

    // Xapian database handles are not thread-safe: each search borrows one.
    mutable std::mutex pool_mu;
    mutable std::vector<std::unique_ptr<Xapian::Database>> pool;  // guarded by pool_mu

    ~Impl() {
        pool.clear();
        std::error_code ec;
        if (!db_path.empty()) fs::remove_all(db_path, ec);
    }

    std::unique_ptr<Xapian::Database> Borrow() const {
        {
            std::lock_guard lock(pool_mu);
            if (!pool.empty()) {
                auto db = std::move(pool.back());
                pool.pop_back();
                return db;
            }
        }
        return std::make_unique<Xapian::Database>(db_path);
    }
    void Return(std::unique_ptr<Xapian::Database> db) const {
        std::lock_guard lock(pool_mu);
        pool.push_back(std::move(db));
    }

    std::optional<Query> Prepare(std::string_view text,
                                 const std::optional<std::pair<std::string, double>>& known_intent) const {
        auto norm = normaliser->Normalise(text);
        if (!norm) return std::nullopt;
        Query q;
        q.text = std::move(norm->code_points);
        q.terms = Terms(q.text);
        q.grams = CharNgrams(q.text);
        if (known_intent) {
            q.intent = known_intent->first;
            q.intent_confidence = known_intent->first.empty() ? 0.0 : known_intent->second;
        } else if (model) {
            auto p = model->Predict(q.text, 1);
            if (p.intent != nlu::kOutOfScope) {
                q.intent = p.intent;
                q.intent_confidence = p.confidence;
            }
        }
        return q;
    }

    // Candidate entries for a query in one language, with their features. `exclude` is a question index to
    // leave out (learning the weights leave-one-out); -1 for none.
    std::vector<Scored> Candidates(const Query& q, const std::string& language, std::string_view today, long exclude,
                                   const nlu::IntentModel* entry_classifier) const {
        std::vector<Scored> out;
        if (q.terms.empty()) return out;
        // Every Xapian object made from a borrowed handle (the Enquire, the MSet) shares its reference
        // counts, which are not atomic: all of them must be gone before the handle goes back to the pool
        // for another thread. So the hits are copied out inside this block.
        std::vector<std::pair<Xapian::docid, double>> hits;
        std::unique_ptr<Xapian::Database> db;
        try {
            db = Borrow();
            // In a large index, terms in more than 5 % of the questions ("my", "how", 的) make the engine walk
            // long posting lists: the candidates come from the rarer terms, unless the query has nothing
            // else; the re-ranker's similarity features still see every term. (Adding the common terms
            // back with AND_MAYBE lifted BANKING77-10k top-1 from 72 % to 83 % but p99 from 1.9 to 4.4 ms.)
            const Xapian::doccount common = std::max<Xapian::doccount>(1000, db->get_doccount() / 20);
            std::vector<Xapian::Query> parts;
            std::vector<Xapian::Query> common_parts;
            parts.reserve(q.terms.size());
            for (const auto& t : q.terms) {
                Xapian::doccount df = db->get_termfreq(t);
                if (df == 0) continue;
                // Han unigrams match too widely to weigh as much as words and bigrams.
                Xapian::Query term = t[0] == 'C' ? Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(t), 0.5)
                                                 : Xapian::Query(t);
                (df > common ? common_parts : parts).push_back(std::move(term));
            }
            if (parts.empty() && common_parts.empty()) {
                Return(std::move(db));
                return out;
            }
            Xapian::Query match;
            if (parts.empty()) {
                match = Xapian::Query(Xapian::Query::OP_OR, common_parts.begin(), common_parts.end());
            } else if (common_parts.empty()) {
                match = Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
            } else {
                match = Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
            }
            Xapian::Query query(Xapian::Query::OP_FILTER, match, Xapian::Query("L" + language));
            Xapian::Enquire enquire(*db);
            enquire.set_query(query);
            enquire.set_docid_order(Xapian::Enquire::DONT_CARE);
            Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(options.candidates + 1));
            for (auto it = mset.begin(); it != mset.end(); ++it) hits.emplace_back(*it, it.get_weight());
        } catch (const Xapian::Error& e) {
            log::Error("knowledge-base search failed", {{"error", e.get_msg()}});
            if (db) Return(std::move(db));
            return out;
        }
        Return(std::move(db));
        std::unordered_map<std::uint32_t, std::size_t> at;
        double best_bm25 = 0;
        for (const auto& [docid, w] : hits) {
            long qi = static_cast<long>(docid) - 1;
            if (qi == exclude || qi < 0 || static_cast<std::size_t>(qi) >= questions.size()) continue;
            const Question& question = questions[static_cast<std::size_t>(qi)];
            if (!today.empty() && !entries[question.entry].body.EffectiveOn(today)) continue;
            best_bm25 = std::max(best_bm25, w);
            auto [pos, fresh] = at.emplace(question.entry, out.size());
            if (fresh) {
                Scored s;
                s.entry = question.entry;
                out.push_back(s);
            }
            auto& f = out[pos->second].f;
            f[kBm25] = std::max(f[kBm25], w);
        }
        if (entry_classifier) {
            // The classifier's best entries join the candidates (a paraphrase may share no word with the
            // indexed questions), and every candidate gets the classifier's probability.
            auto p = entry_classifier->Predict(q.text, 10);
            for (const auto& c : p.top) {
                if (c.intent == nlu::kOutOfScope) continue;
                auto found = entry_by_id.find(c.intent);
                if (found == entry_by_id.end()) continue;  // an entry no longer published
                std::uint32_t e = found->second;
                if (!entries[e].body.content.count(language)) continue;
                if (!today.empty() && !entries[e].body.EffectiveOn(today)) continue;
                auto [pos, fresh] = at.emplace(e, out.size());
                if (fresh) {
                    Scored sc;
                    sc.entry = e;
                    out.push_back(sc);
                }
                out[pos->second].f[kClassifier] = c.confidence;
            }
        }
        for (auto& s : out) {
            s.f[kBm25] = best_bm25 > 0 ? s.f[kBm25] / best_bm25 : 0;
            s.f[kBm25Top] = s.f[kBm25] >= 1.0 ? 1.0 : 0.0;
            for (std::uint32_t qi : entry_questions[s.entry]) {
                if (static_cast<long>(qi) == exclude || questions[qi].language != language) continue;
                s.f[kCosine] = std::max(s.f[kCosine], Cosine(q.grams, questions[qi].grams));
                s.f[kOverlap] = std::max(s.f[kOverlap], Overlap(q.terms, questions[qi].terms));
            }
            if (!q.intent.empty()) {
                auto it = entry_intent[s.entry].find(language);
                if (it != entry_intent[s.entry].end() && it->second == q.intent) s.f[kIntent] = q.intent_confidence;
            }
        }
        return out;
    }

    void Score(std::vector<Scored>& candidates) const {
        if (options.rerank) {
            for (auto& s : candidates) {
                double z = weights[kFeatureCount];
                for (int k = 0; k < kFeatureCount; ++k)
                    z += weights[static_cast<std::size_t>(k)] * s.f[static_cast<std::size_t>(k)];
                s.score = Sigmoid(z);
            }
        } else {
            double total = 0;
            for (const auto& s : candidates) total += s.f[kBm25];
            for (auto& s : candidates) s.score = total > 0 ? s.f[kBm25] / total : 0;
        }
        std::sort(candidates.begin(), candidates.end(), [&](const Scored& a, const Scored& b) {
            if (a.score != b.score) return a.score > b.score;
            return entries[a.entry].id < entries[b.entry].id;
        });
    }

    // Trains the entry classifier on the questions of `use` (indexes into `questions`); null when there are
    // too many entries for one linear model per entry.
    std::shared_ptr<const nlu::IntentModel> TrainClassifier(const std::vector<bool>& use) const {
        if (entries.size() < 2 || entries.size() > static_cast<std::size_t>(options.classifier_max_entries))
            return nullptr;
        std::vector<nlu::Example> examples;
        for (std::uint32_t qi = 0; qi < questions.size(); ++qi) {
            if (!use[qi]) continue;
            examples.push_back(nlu::Example{nlu::EncodeUtf8(questions[qi].text), entries[questions[qi].entry].id,
                                            questions[qi].language, 0});
        }
        nlu::TrainOptions o;
        o.holdout_fraction = 0.1;  // for the temperature: its probabilities feed the re-ranker
        o.threshold = 0;
        auto m = nlu::IntentModel::Train(examples, *normaliser, o);
        if (!m) {
            log::Warn("knowledge-base entry classifier not trained", {{"error", m.error().message}});
            return nullptr;
        }
        return std::shared_ptr<const nlu::IntentModel>(std::move(m.value()));
    }

    Query QueryFor(std::uint32_t qi) const {
        Query q;
        q.text = questions[qi].text;
        q.terms = questions[qi].terms;
        q.grams = questions[qi].grams;
        if (model) {
            auto p = model->Predict(q.text, 1);
            if (p.intent != nlu::kOutOfScope) {
                q.intent = p.intent;
                q.intent_confidence = p.confidence;
            }
        }
        return q;
    }

    // Learns the re-ranker's weights by logistic regression. Queries are paraphrases held out of the
    // knowledge base: one per entry and language that has at least two questions, up to
    // options.training_queries. The entry classifier for this step is trained without them, and each is
    // searched with its own question left out; its entry is the positive candidate, the others negatives.
    // The learned weights (non-negative: more similar never ranks lower) are kept only if their top-1 on
    // these queries beats the defaults'.
    void LearnWeights() {
        std::mt19937_64 rng(11);
        std::vector<std::uint32_t> sample;
        for (std::uint32_t e = 0; e < entries.size(); ++e) {
            std::map<std::string, std::vector<std::uint32_t>> by_lang;
            for (std::uint32_t qi : entry_questions[e]) by_lang[questions[qi].language].push_back(qi);
            for (auto& [lang, qs] : by_lang) {
                if (qs.size() < 2) continue;
                // Any but the standard question (the first), which every entry keeps.
                sample.push_back(qs[1 + rng() % (qs.size() - 1)]);
            }
        }
        std::shuffle(sample.begin(), sample.end(), rng);
        if (sample.size() > static_cast<std::size_t>(options.training_queries)) {
            sample.resize(static_cast<std::size_t>(options.training_queries));
        }
        if (sample.size() < 20) return;  // too little to learn from: keep the default weights
        std::vector<bool> use(questions.size(), true);
        for (std::uint32_t qi : sample) use[qi] = false;
        auto probe_classifier = TrainClassifier(use);
        if (options.progress) options.progress(0.6);
        // Per query: its candidates' features and which one is right.
        Groups groups;
        for (std::size_t n = 0; n < sample.size(); ++n) {
            std::uint32_t qi = sample[n];
            auto candidates =
                Candidates(QueryFor(qi), questions[qi].language, "", static_cast<long>(qi), probe_classifier.get());
            auto& g = groups.emplace_back();
            for (const auto& c : candidates) g.emplace_back(c.f, c.entry == questions[qi].entry);
            if (options.progress && n % 64 == 0) {
                options.progress(0.6 + 0.3 * static_cast<double>(n + 1) / static_cast<double>(sample.size()));
            }
        }
        info.training_queries = static_cast<int>(sample.size());
        auto full = Fit(groups, weights);
        weights = full.first;
        info.training_top1 = full.second;
        // The same without the classifier: what quick builds use while no classifier covers the current
        // questions (a new entry would otherwise lack the feature that weighs most).
        for (auto& g : groups) {
            std::erase_if(g, [](const auto& row) { return row.first[kBm25] <= 0; });  // classifier-only candidates
            for (auto& row : g) row.first[kClassifier] = 0;
        }
        auto lexical = Fit(groups, kDefaultWeights);
        info.lexical_weights.assign(lexical.first.begin(), lexical.first.end());
        info.lexical_top1 = lexical.second;
    }

    using Groups = std::vector<std::vector<std::pair<std::array<double, kFeatureCount>, bool>>>;

    static double Top1(const Groups& groups, const Weights& w) {
        std::size_t right = 0;
        for (const auto& g : groups) {
            double best = -1e300;
            bool best_right = false;
            for (const auto& [f, ok] : g) {
                double z = w[kFeatureCount];
                for (std::size_t k = 0; k < kFeatureCount; ++k) z += w[k] * f[k];
                if (z > best) {
                    best = z;
                    best_right = ok;
                }
            }
            right += best_right;
        }
        return groups.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(groups.size());
    }

    // Logistic regression with non-negative feature weights, by projected batch gradient descent with a
    // little L2 (few features: a few hundred steps converge). Returns the learned weights if they rank the queries at
    // least as well as `fallback`, else `fallback`; and the top-1 of the weights returned.
    static std::pair<Weights, double> Fit(const Groups& groups, const Weights& fallback) {
        double base = Top1(groups, fallback);
        std::size_t positives = 0;
        std::size_t rows = 0;
        for (const auto& g : groups) {
            for (const auto& row : g) {
                positives += row.second;
                ++rows;
            }
        }
        if (positives < 5 || rows == positives) return {fallback, base};
        Weights w{};
        const double lr = 1.0;
        const double l2 = 1e-4;
        for (int iter = 0; iter < 1500; ++iter) {
            Weights grad{};
            for (const auto& g : groups) {
                for (const auto& [f, right] : g) {
                    double z = w[kFeatureCount];
                    for (std::size_t k = 0; k < kFeatureCount; ++k) z += w[k] * f[k];
                    double err = Sigmoid(z) - (right ? 1.0 : 0.0);
                    for (std::size_t k = 0; k < kFeatureCount; ++k) grad[k] += err * f[k];
                    grad[kFeatureCount] += err;
                }
            }
            for (std::size_t k = 0; k <= kFeatureCount; ++k) {
                w[k] -= lr * (grad[k] / static_cast<double>(rows) + (k < kFeatureCount ? l2 * w[k] : 0.0));
                // Monotone: more similarity never lowers a candidate's score (a knowledge base whose
                // entries repeat each other's questions would otherwise teach the opposite).
                if (k < kFeatureCount) w[k] = std::max(0.0, w[k]);
            }
        }
        double learned = Top1(groups, w);
        if (learned > base + 0.01) return {w, learned};  // a point better, not noise
        return {fallback, base};
    }
};

KbIndex::KbIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KbIndex::~KbIndex() = default;

Result<std::shared_ptr<const KbIndex>> KbIndex::Build(std::vector<PublishedEntry> entries, const IndexOptions& options,
                                                      std::shared_ptr<const nlu::Normaliser> normaliser,
                                                      std::shared_ptr<const nlu::IntentModel> model) {
    if (!normaliser) return Error{ErrorCode::kInternal, "the knowledge-base index needs a normaliser"};
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->normaliser = std::move(normaliser);
    impl->model = std::move(model);
    impl->entries = std::move(entries);
    fs::path parent = options.dir.empty() ? fs::temp_directory_path() : fs::path(options.dir);
    std::error_code ec;
    fs::create_directories(parent, ec);
    impl->db_path = (parent / ("kb-index-" + NewId("x").substr(1, 16))).string();
    impl->entry_questions.resize(impl->entries.size());
    impl->entry_intent.resize(impl->entries.size());
    try {
        Xapian::WritableDatabase db(impl->db_path, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
        db.begin_transaction(false);
        for (std::uint32_t e = 0; e < impl->entries.size(); ++e) {
            for (const auto& [lang, content] : impl->entries[e].body.content) {
                std::vector<const std::string*> texts{&content.question};
                for (const auto& p : content.paraphrases) texts.push_back(&p);
                for (std::size_t k = 0; k < texts.size(); ++k) {
                    auto norm = impl->normaliser->Normalise(*texts[k]);
                    if (!norm) continue;
                    Question q;
                    q.entry = e;
                    q.language = lang;
                    q.text = norm->code_points;
                    std::vector<std::string> repeated;
                    q.terms = Terms(norm->code_points, &repeated);
                    q.grams = CharNgrams(norm->code_points);
                    if (k == 0 && impl->model) {
                        auto p = impl->model->Predict(norm->code_points, 1);
                        if (p.intent != nlu::kOutOfScope) impl->entry_intent[e][lang] = p.intent;
                    }
                    Xapian::Document doc;
                    for (const auto& t : repeated) doc.add_term(t);
                    doc.add_boolean_term("L" + lang);
                    db.add_document(doc);
                    impl->entry_questions[e].push_back(static_cast<std::uint32_t>(impl->questions.size()));
                    impl->questions.push_back(std::move(q));
                }
            }
            if (options.progress && (e % 256 == 0 || e + 1 == impl->entries.size())) {
                options.progress(0.5 * static_cast<double>(e + 1) / static_cast<double>(impl->entries.size()));
            }
        }
        db.commit_transaction();
        db.close();
    } catch (const Xapian::Error& e) {
        fs::remove_all(impl->db_path, ec);
        return Error{ErrorCode::kInternal, "building the knowledge-base index failed: " + e.get_msg()};
    }
    for (std::uint32_t e = 0; e < impl->entries.size(); ++e) impl->entry_by_id.emplace(impl->entries[e].id, e);
    if (impl->options.rerank && options.weights.size() == impl->weights.size()) {
        std::copy(options.weights.begin(), options.weights.end(), impl->weights.begin());
    } else if (impl->options.rerank && options.learn) {
        impl->LearnWeights();
    }
    if (impl->options.rerank) {
        impl->classifier = options.classifier;
        if (!impl->classifier && options.learn) {
            impl->classifier = impl->TrainClassifier(std::vector<bool>(impl->questions.size(), true));
        }
    }
    std::copy(impl->weights.begin(), impl->weights.end(), std::back_inserter(impl->info.weights));
    if (options.progress) options.progress(1.0);
    return std::shared_ptr<const KbIndex>(new KbIndex(std::move(impl)));
}

SearchResult KbIndex::Search(std::string_view text, const SearchOptions& options) const {
    SearchResult r;
    auto q = impl_->Prepare(text, options.intent);
    if (!q) return r;
    std::string today = options.today.empty() ? Today() : options.today;
    auto candidates = impl_->Candidates(*q, options.language, today, -1, impl_->classifier.get());
    impl_->Score(candidates);
    // The customer typed one entry's question or paraphrase (after normalisation): that entry, with
    // certainty, whatever the learned weights (they are learned on paraphrases that never match exactly).
    if (impl_->options.rerank) {
        auto exact = [](const auto& c) { return c.f[kCosine] >= kExactCosine; };
        if (std::count_if(candidates.begin(), candidates.end(), exact) == 1) {
            auto it = std::find_if(candidates.begin(), candidates.end(), exact);
            it->score = std::max(it->score, 0.99);
            std::rotate(candidates.begin(), it, it + 1);
        }
    }
    for (std::size_t i = 0; i < candidates.size() && static_cast<int>(i) < options.top; ++i) {
        const auto& e = impl_->entries[candidates[i].entry];
        r.top.push_back(Candidate{e.id, e.body.content.at(options.language).question, candidates[i].score});
    }
    if (candidates.empty()) return r;
    r.confidence = candidates.front().score;
    if (r.confidence >= impl_->options.answer_threshold) {
        r.decision = "answer";
    } else if (r.confidence >= impl_->options.clarify_threshold) {
        r.decision = "clarify";
    } else {
        return r;
    }
    const auto& best = impl_->entries[candidates.front().entry];
    r.id = best.id;
    const auto& content = best.body.content.at(options.language);
    if (options.channel == "sms" || options.channel == "voice") {
        auto v = content.variants.find(options.channel);
        r.answer = v != content.variants.end() ? v->second : StripMarkdown(content.answer);
    } else {
        r.answer = content.answer;
    }
    return r;
}

std::size_t KbIndex::entries() const { return impl_->entries.size(); }
std::size_t KbIndex::questions() const { return impl_->questions.size(); }
const RerankerInfo& KbIndex::reranker() const { return impl_->info; }
std::shared_ptr<const nlu::IntentModel> KbIndex::classifier() const { return impl_->classifier; }

boost::json::object SearchResultToJson(const SearchResult& r) {
    boost::json::array top;
    for (const auto& c : r.top) {
        top.push_back(boost::json::object{{"id", c.id}, {"question", c.question}, {"score", c.score}});
    }
    bool none = r.id.empty();
    return boost::json::object{{"decision", r.decision},
                               {"id", none ? boost::json::value(nullptr) : boost::json::value(r.id)},
                               {"answer", none ? boost::json::value(nullptr) : boost::json::value(r.answer)},
                               {"confidence", r.confidence},
                               {"top", std::move(top)}};
}

std::string StripMarkdown(std::string_view md) {
    std::string out;
    out.reserve(md.size());
    std::size_t i = 0;
    bool line_start = true;
    while (i < md.size()) {
        char c = md[i];
        if (line_start) {
            // List markers: "- ", "* ", "1. "
            std::size_t j = i;
            while (j < md.size() && md[j] == ' ') ++j;
            if (j + 1 < md.size() && (md[j] == '-' || md[j] == '*') && md[j + 1] == ' ') {
                i = j + 2;
            } else {
                std::size_t k = j;
                while (k < md.size() && md[k] >= '0' && md[k] <= '9') ++k;
                if (k > j && k + 1 < md.size() && md[k] == '.' && md[k + 1] == ' ') {
                    out.append(md.substr(j, k - j + 1)).push_back(' ');
                    i = k + 2;
                }
            }
            line_start = false;
            continue;
        }
        if (c == '*') {
            ++i;
            continue;
        }
        if (c == '[') {
            auto close = md.find("](", i);
            auto end = close == std::string_view::npos ? close : md.find(')', close);
            auto nl = md.find('\n', i);
            if (close != std::string_view::npos && end != std::string_view::npos &&
                (nl == std::string_view::npos || end < nl)) {
                out.append(md.substr(i + 1, close - i - 1));
                out.append(" (").append(md.substr(close + 2, end - close - 2)).push_back(')');
                i = end + 1;
                continue;
            }
        }
        if (c == '\n') line_start = true;
        out.push_back(c);
        ++i;
    }
    return out;
}

}  // namespace kefu::kb
