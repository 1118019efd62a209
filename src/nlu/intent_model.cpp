#include "nlu/intent_model.hpp"

#include <fmt/format.h>
#include <linear.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include "core/clock.hpp"

namespace kefu::nlu {

namespace {

constexpr char kMagic[8] = {'K', 'E', 'F', 'U', 'I', 'N', 'T', '1'};
constexpr std::uint32_t kFormatVersion = 1;

// A sparse TF-IDF row: (column, value) sorted by column, L2-normalised.
using SparseRow = std::vector<std::pair<std::uint32_t, float>>;

// Columns are numbered words first, then character n-grams: `first_char_column` is the boundary. Each
// group is L2-normalised, words are scaled by word_weight, and the whole row has unit length.
SparseRow Vectorise(const std::vector<std::uint64_t>& hashes,
                    const std::unordered_map<std::uint64_t, std::uint32_t>& index, const std::vector<float>& idf,
                    std::uint32_t first_char_column, double word_weight) {
    std::vector<std::uint32_t> cols;
    cols.reserve(hashes.size());
    for (auto h : hashes) {
        if (auto it = index.find(h); it != index.end()) cols.push_back(it->second);
    }
    std::sort(cols.begin(), cols.end());
    SparseRow row;
    double norm_words = 0;
    double norm_chars = 0;
    for (std::size_t i = 0; i < cols.size();) {
        std::size_t j = i;
        while (j < cols.size() && cols[j] == cols[i]) ++j;
        float v = static_cast<float>((1.0 + std::log(static_cast<double>(j - i))) * idf[cols[i]]);
        row.emplace_back(cols[i], v);
        (cols[i] < first_char_column ? norm_words : norm_chars) += static_cast<double>(v) * v;
        i = j;
    }
    double sw = norm_words > 0 ? word_weight / std::sqrt(norm_words) : 0;
    double sc = norm_chars > 0 ? 1.0 / std::sqrt(norm_chars) : 0;
    double total = std::sqrt((norm_words > 0 ? word_weight * word_weight : 0) + (norm_chars > 0 ? 1.0 : 0));
    if (total > 0) {
        sw /= total;
        sc /= total;
    }
    for (auto& [c, v] : row) v = static_cast<float>(v * (c < first_char_column ? sw : sc));
    return row;
}

void Softmax(const std::vector<float>& scores, double temperature, std::vector<double>& out) {
    out.resize(scores.size());
    double mx = *std::max_element(scores.begin(), scores.end()) * temperature;
    double sum = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        out[i] = std::exp(scores[i] * temperature - mx);
        sum += out[i];
    }
    for (auto& p : out) p /= sum;
}

void SilentPrint(const char*) {}

}  // namespace

// Builds models; a friend of IntentModel.
struct ModelTrainer {
    static std::unique_ptr<IntentModel> Fit(const std::vector<std::vector<std::uint64_t>>& features,
                                            const std::vector<int>& labels, const std::vector<std::string>& names,
                                            const TrainOptions& o, const std::string& stage) {
        auto model = std::unique_ptr<IntentModel>(new IntentModel());
        model->features_ = o.features;
        model->labels_ = names;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (names[i] == kOutOfScope) model->out_of_scope_label_ = static_cast<int>(i);
        }
        // Vocabulary and document frequencies.
        std::unordered_map<std::uint64_t, std::uint32_t> df;
        for (const auto& f : features) {
            std::vector<std::uint64_t> uniq = f;
            std::sort(uniq.begin(), uniq.end());
            uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
            for (auto h : uniq) ++df[h];
        }
        std::vector<std::pair<std::uint64_t, std::uint32_t>> kept;
        for (const auto& [h, n] : df) {
            if (static_cast<int>(n) >= o.min_df) kept.emplace_back(h, n);
        }
        // Word features first, then character n-grams (the top bit of the hash), each group by hash.
        std::sort(kept.begin(), kept.end());
        model->first_char_column_ = static_cast<std::uint32_t>(
            std::partition_point(kept.begin(), kept.end(), [](const auto& p) { return !IsCharFeature(p.first); }) -
            kept.begin());
        const double n_docs = static_cast<double>(features.size());
        model->idf_.reserve(kept.size());
        for (std::uint32_t i = 0; i < kept.size(); ++i) {
            model->index_.emplace(kept[i].first, i);
            model->idf_.push_back(static_cast<float>(std::log((1.0 + n_docs) / (1.0 + kept[i].second)) + 1.0));
        }
        const auto n_cols = static_cast<int>(kept.size());
        const auto n_labels = names.size();

        // liblinear problem: 1-based columns, bias as the last column.
        std::vector<SparseRow> rows;
        rows.reserve(features.size());
        std::size_t total = 0;
        for (const auto& f : features) {
            rows.push_back(Vectorise(f, model->index_, model->idf_, model->first_char_column_, o.features.word_weight));
            total += rows.back().size() + 2;
        }
        std::vector<feature_node> nodes;
        nodes.reserve(total);
        std::vector<feature_node*> x;
        for (const auto& r : rows) {
            std::size_t start = nodes.size();
            for (const auto& [c, v] : r) nodes.push_back({static_cast<int>(c) + 1, v});
            nodes.push_back({n_cols + 1, 1.0});  // bias
            nodes.push_back({-1, 0});
            x.push_back(nullptr);
            (void)start;
        }
        std::size_t pos = 0;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            x[i] = &nodes[pos];
            pos += rows[i].size() + 2;
        }
        std::vector<double> y(features.size());
        problem prob{};
        prob.l = static_cast<int>(features.size());
        prob.n = n_cols + 1;
        prob.x = x.data();
        prob.y = y.data();
        prob.bias = -1;  // we added the bias column ourselves
        parameter param{};
        param.solver_type = L2R_L2LOSS_SVC_DUAL;
        param.C = o.c;
        param.eps = 0.1;
        set_print_string_function(&SilentPrint);

        model->weights_.assign((static_cast<std::size_t>(n_cols) + 1) * n_labels, 0.0f);
        for (std::size_t k = 0; k < n_labels; ++k) {
            for (std::size_t i = 0; i < labels.size(); ++i) y[i] = labels[i] == static_cast<int>(k) ? 1.0 : -1.0;
            struct model* m = train(&prob, &param);
            double sign = m->label[0] == 1 ? 1.0 : -1.0;
            for (int c = 0; c <= n_cols; ++c) {
                model->weights_[static_cast<std::size_t>(c) * n_labels + k] = static_cast<float>(sign * m->w[c]);
            }
            free_and_destroy_model(&m);
            if (o.progress) o.progress(stage, static_cast<double>(k + 1) / static_cast<double>(n_labels));
        }
        model->info_.features = static_cast<std::size_t>(n_cols);
        model->info_.examples = features.size();
        return model;
    }
};

Result<std::unique_ptr<IntentModel>> IntentModel::Train(const std::vector<Example>& examples,
                                                        const Normaliser& normaliser, const TrainOptions& o) {
    if (examples.empty()) return Error{ErrorCode::kInvalidArgument, "no training examples"};
    std::map<std::string, int> label_ids;
    for (const auto& e : examples) label_ids.emplace(e.label, 0);
    if (label_ids.size() < 2) return Error{ErrorCode::kInvalidArgument, "training needs at least two intents"};
    std::vector<std::string> names;
    for (auto& [name, id] : label_ids) {
        id = static_cast<int>(names.size());
        names.push_back(name);
    }
    std::vector<std::vector<std::uint64_t>> feats(examples.size());
    std::vector<int> labels(examples.size());
    std::vector<std::u32string> texts(examples.size());
    for (std::size_t i = 0; i < examples.size(); ++i) {
        auto norm = normaliser.Normalise(examples[i].text);
        if (!norm)
            return Error{norm.error().code,
                         fmt::format("example at line {}: {}", examples[i].line, norm.error().message)};
        texts[i] = std::move(norm->code_points);
        ExtractFeatures(texts[i], o.features, feats[i]);
        labels[i] = label_ids[examples[i].label];
        if (o.progress && (i % 256 == 0 || i + 1 == examples.size())) {
            o.progress("features", static_cast<double>(i + 1) / static_cast<double>(examples.size()));
        }
    }

    double temperature = 1.0;
    double threshold = o.threshold >= 0 ? o.threshold : 0.0;
    double holdout_accuracy = -1;
    if (o.holdout_fraction > 0) {
        // Stratified split: a fraction of each intent with at least 5 examples.
        std::mt19937_64 rng(o.seed);
        std::vector<std::vector<std::size_t>> by_label(names.size());
        for (std::size_t i = 0; i < labels.size(); ++i) by_label[static_cast<std::size_t>(labels[i])].push_back(i);
        std::vector<bool> held(labels.size(), false);
        for (auto& idx : by_label) {
            if (idx.size() < 5) continue;
            std::shuffle(idx.begin(), idx.end(), rng);
            auto n = static_cast<std::size_t>(std::ceil(static_cast<double>(idx.size()) * o.holdout_fraction));
            for (std::size_t j = 0; j < n; ++j) held[idx[j]] = true;
        }
        std::vector<std::vector<std::uint64_t>> fit_f;
        std::vector<int> fit_l;
        std::vector<std::size_t> held_idx;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (held[i]) {
                held_idx.push_back(i);
            } else {
                fit_f.push_back(feats[i]);
                fit_l.push_back(labels[i]);
            }
        }
        if (!held_idx.empty()) {
            auto probe = ModelTrainer::Fit(fit_f, fit_l, names, o, "calibration");
            std::vector<std::vector<float>> scores(held_idx.size());
            for (std::size_t j = 0; j < held_idx.size(); ++j) probe->Scores(texts[held_idx[j]], scores[j]);
            // Temperature: minimise the negative log-likelihood over a log-spaced grid.
            double best_nll = 1e300;
            std::vector<double> p;
            for (double t = 0.5; t <= 200; t *= 1.1) {
                double nll = 0;
                for (std::size_t j = 0; j < held_idx.size(); ++j) {
                    Softmax(scores[j], t, p);
                    nll -= std::log(std::max(1e-12, p[static_cast<std::size_t>(labels[held_idx[j]])]));
                }
                if (nll < best_nll) {
                    best_nll = nll;
                    temperature = t;
                }
            }
            // Out-of-scope threshold (docs/nlu.md): keep 98% of the correct in-scope answers. Out-of-scope
            // examples, when the data has them, are caught by their own class, not by the threshold.
            std::vector<double> ok;  // confidences of correctly answered in-scope held-out examples
            int correct = 0;
            for (std::size_t j = 0; j < held_idx.size(); ++j) {
                Softmax(scores[j], temperature, p);
                auto top = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
                if (static_cast<int>(top) != labels[held_idx[j]]) continue;
                ++correct;
                if (names[top] != kOutOfScope) ok.push_back(p[top]);
            }
            holdout_accuracy = static_cast<double>(correct) / static_cast<double>(held_idx.size());
            if (o.threshold < 0 && !ok.empty()) {
                std::sort(ok.begin(), ok.end());
                threshold = ok[static_cast<std::size_t>(std::floor(0.02 * static_cast<double>(ok.size())))];
            }
        }
    }
    auto model = ModelTrainer::Fit(feats, labels, names, o, "training");
    model->info_.temperature = temperature;
    model->info_.threshold = threshold;
    model->info_.holdout_accuracy = holdout_accuracy;
    model->info_.trained_at = FormatIsoMillis(NowMillis());
    return model;
}

void IntentModel::Scores(const std::u32string& text, std::vector<float>& scores) const {
    std::vector<std::uint64_t> hashes;
    hashes.reserve(256);
    ExtractFeatures(text, features_, hashes);
    SparseRow row = Vectorise(hashes, index_, idf_, first_char_column_, features_.word_weight);
    const std::size_t n = labels_.size();
    const std::size_t bias_row = idf_.size();
    scores.assign(weights_.begin() + static_cast<std::ptrdiff_t>(bias_row * n),
                  weights_.begin() + static_cast<std::ptrdiff_t>((bias_row + 1) * n));
    for (const auto& [c, v] : row) {
        const float* w = &weights_[static_cast<std::size_t>(c) * n];
        for (std::size_t k = 0; k < n; ++k) scores[k] += v * w[k];
    }
}

IntentPrediction IntentModel::FromScores(const std::vector<float>& scores, int top_k) const {
    std::vector<double> p;
    Softmax(scores, info_.temperature, p);
    std::vector<std::size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    auto k = std::min<std::size_t>(order.size(), static_cast<std::size_t>(std::max(1, top_k)));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    IntentPrediction out;
    for (std::size_t i = 0; i < k; ++i) out.top.push_back({labels_[order[i]], p[order[i]]});
    out.intent = labels_[order[0]];
    out.confidence = p[order[0]];
    if (out.confidence < info_.threshold) out.intent = std::string(kOutOfScope);
    return out;
}

IntentPrediction IntentModel::Predict(const std::u32string& text, int top_k) const {
    std::vector<float> scores;
    Scores(text, scores);
    return FromScores(scores, top_k);
}

IntentPrediction IntentModel::Predict(const NormalisedText& text, int top_k) const {
    return Predict(text.code_points, top_k);
}

Result<void> IntentModel::Save(const std::string& path) const {
    boost::json::object header{{"format", "kefu-intent-model"},
                               {"format_version", kFormatVersion},
                               {"labels", boost::json::value_from(labels_)},
                               {"temperature", info_.temperature},
                               {"threshold", info_.threshold},
                               {"holdout_accuracy", info_.holdout_accuracy},
                               {"examples", info_.examples},
                               {"trained_at", info_.trained_at},
                               {"features",
                                {{"latin_char_min", features_.latin_char_min},
                                 {"latin_char_max", features_.latin_char_max},
                                 {"cjk_char_min", features_.cjk_char_min},
                                 {"cjk_char_max", features_.cjk_char_max},
                                 {"word_bigrams", features_.word_bigrams},
                                 {"stem", features_.stem},
                                 {"pinyin", features_.pinyin},
                                 {"word_weight", features_.word_weight},
                                 {"first_char_column", first_char_column_},
                                 {"columns", idf_.size()}}}};
    std::string json = boost::json::serialize(header);
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return Error{ErrorCode::kInvalidArgument, "cannot write " + tmp};
        auto put32 = [&](std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
        out.write(kMagic, 8);
        put32(kFormatVersion);
        put32(static_cast<std::uint32_t>(json.size()));
        out.write(json.data(), static_cast<std::streamsize>(json.size()));
        std::vector<std::uint64_t> hashes(idf_.size());
        for (const auto& [h, c] : index_) hashes[c] = h;
        out.write(reinterpret_cast<const char*>(hashes.data()), static_cast<std::streamsize>(hashes.size() * 8));
        out.write(reinterpret_cast<const char*>(idf_.data()), static_cast<std::streamsize>(idf_.size() * 4));
        out.write(reinterpret_cast<const char*>(weights_.data()), static_cast<std::streamsize>(weights_.size() * 4));
        if (!out.flush()) return Error{ErrorCode::kInternal, "failed writing " + tmp};
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        return Error{ErrorCode::kInternal, "cannot rename " + tmp + " to " + path};
    return Ok();
}

Result<std::unique_ptr<IntentModel>> IntentModel::Load(const std::string& path, double threshold_override) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::kNotFound, path + ": cannot read the model file"};
    auto bad = [&](const std::string& why) {
        return Error{ErrorCode::kInvalidArgument, path + ": not a Kefu intent model (" + why + ")"};
    };
    char magic[8];
    std::uint32_t version = 0;
    std::uint32_t json_len = 0;
    if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return bad("bad magic");
    in.read(reinterpret_cast<char*>(&version), 4);
    in.read(reinterpret_cast<char*>(&json_len), 4);
    if (!in || version != kFormatVersion) return bad("format version " + std::to_string(version));
    if (json_len > (1u << 24)) return bad("header too large");
    std::string json(json_len, '\0');
    if (!in.read(json.data(), json_len)) return bad("truncated header");
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) return bad("header is not JSON");
    auto model = std::unique_ptr<IntentModel>(new IntentModel());
    try {
        const auto& h = v.as_object();
        for (const auto& l : h.at("labels").as_array()) model->labels_.emplace_back(l.as_string());
        model->info_.temperature = h.at("temperature").to_number<double>();
        model->info_.threshold = h.at("threshold").to_number<double>();
        model->info_.holdout_accuracy = h.at("holdout_accuracy").to_number<double>();
        model->info_.examples = h.at("examples").to_number<std::size_t>();
        model->info_.trained_at = std::string(h.at("trained_at").as_string());
        const auto& f = h.at("features").as_object();
        model->features_.latin_char_min = f.at("latin_char_min").to_number<int>();
        model->features_.latin_char_max = f.at("latin_char_max").to_number<int>();
        model->features_.cjk_char_min = f.at("cjk_char_min").to_number<int>();
        model->features_.cjk_char_max = f.at("cjk_char_max").to_number<int>();
        model->features_.word_bigrams = f.at("word_bigrams").as_bool();
        model->features_.stem = f.at("stem").as_bool();
        const auto* pinyin = f.if_contains("pinyin");
        model->features_.pinyin = pinyin && pinyin->is_bool() && pinyin->as_bool();
        model->features_.word_weight = f.at("word_weight").to_number<double>();
        model->first_char_column_ = f.at("first_char_column").to_number<std::uint32_t>();
        auto columns = f.at("columns").to_number<std::size_t>();
        if (model->labels_.size() < 2 || columns > (1u << 26)) return bad("implausible sizes");
        std::vector<std::uint64_t> hashes(columns);
        model->idf_.resize(columns);
        model->weights_.resize((columns + 1) * model->labels_.size());
        in.read(reinterpret_cast<char*>(hashes.data()), static_cast<std::streamsize>(columns * 8));
        in.read(reinterpret_cast<char*>(model->idf_.data()), static_cast<std::streamsize>(columns * 4));
        in.read(reinterpret_cast<char*>(model->weights_.data()),
                static_cast<std::streamsize>(model->weights_.size() * 4));
        if (!in) return bad("truncated body");
        model->index_.reserve(columns);
        for (std::uint32_t c = 0; c < columns; ++c) model->index_.emplace(hashes[c], c);
        model->info_.features = columns;
    } catch (const std::exception& e) {
        return bad(e.what());
    }
    for (std::size_t i = 0; i < model->labels_.size(); ++i) {
        if (model->labels_[i] == kOutOfScope) model->out_of_scope_label_ = static_cast<int>(i);
    }
    if (threshold_override >= 0) model->info_.threshold = threshold_override;
    return model;
}

}  // namespace kefu::nlu
