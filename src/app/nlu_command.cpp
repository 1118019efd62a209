// `kefu nlu train | eval | predict`: the command-line contract is documented in docs/nlu.md.

#include "app/nlu_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "app/progress.hpp"
#include "core/clock.hpp"
#include "nlu/entities.hpp"
#include "nlu/intent_model.hpp"
#include "nlu/language.hpp"
#include "nlu/normalise.hpp"
#include "nlu/sentiment.hpp"

namespace kefu::app {

namespace {

namespace json = boost::json;

std::unique_ptr<nlu::Normaliser> MakeNormaliser() {
    auto n = nlu::Normaliser::Create();
    if (!n) {
        std::cerr << "kefu: " << n.error().message << "\n";
        return nullptr;
    }
    return std::move(n.value());
}

// Loads and concatenates labelled files; prints the error and returns nullopt on the first bad file.
std::optional<std::vector<nlu::Example>> LoadAll(const std::vector<std::string>& files) {
    std::vector<nlu::Example> examples;
    for (const auto& path : files) {
        auto loaded = nlu::LoadExamples(path);
        if (!loaded) {
            std::cerr << "kefu: " << loaded.error().message << "\n";
            return std::nullopt;
        }
        examples.insert(examples.end(), loaded->begin(), loaded->end());
    }
    return examples;
}

double Percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int NluTrain(const std::vector<std::string>& data, const std::string& model_path, double c) {
    auto loaded = LoadAll(data);
    if (!loaded) return 2;
    const std::vector<nlu::Example>& examples = *loaded;
    auto normaliser = MakeNormaliser();
    if (!normaliser) return 1;
    Progress progress;
    nlu::TrainOptions options;
    options.c = c;
    options.progress = std::ref(progress);
    auto t0 = std::chrono::steady_clock::now();
    auto model = nlu::IntentModel::Train(examples, *normaliser, options);
    if (!model) {
        std::cerr << "kefu: " << model.error().message << "\n";
        return 2;
    }
    auto saved = model.value()->Save(model_path);
    if (!saved) {
        std::cerr << "kefu: " << saved.error().message << "\n";
        return 1;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& info = model.value()->info();
    std::cout << fmt::format(
        "trained {} intents on {} examples in {:.1f} s: {} features, temperature {:.2f}, out-of-scope threshold "
        "{:.3f}, "
        "held-out accuracy {:.2f}%\nmodel: {}\n",
        model.value()->labels().size(), examples.size(), secs, info.features, info.temperature, info.threshold,
        info.holdout_accuracy * 100, model_path);
    return 0;
}

int NluEval(const std::string& model_path, const std::vector<std::string>& data, bool as_json, double threshold) {
    auto model = nlu::IntentModel::Load(model_path, threshold);
    if (!model) {
        std::cerr << "kefu: " << model.error().message << "\n";
        return 2;
    }
    auto loaded = LoadAll(data);
    if (!loaded) return 2;
    const std::vector<nlu::Example>& examples = *loaded;
    auto normaliser = MakeNormaliser();
    if (!normaliser) return 1;
    const auto& m = *model.value();
    std::set<std::string> known(m.labels().begin(), m.labels().end());
    std::map<std::string, int> tp, fp, fn;
    std::map<std::pair<std::string, std::string>, int> confusion;
    std::vector<double> latency_us;
    std::size_t correct = 0;
    std::size_t oos_true = 0, oos_pred = 0, oos_hit = 0;
    for (const auto& e : examples) {
        // Intents the model never saw count as out-of-scope queries.
        std::string truth = known.count(e.label) ? e.label : std::string(nlu::kOutOfScope);
        auto t0 = std::chrono::steady_clock::now();
        auto norm = normaliser->Normalise(e.text);
        nlu::IntentPrediction p = norm ? m.Predict(*norm) : nlu::IntentPrediction{std::string(nlu::kOutOfScope), 0, {}};
        latency_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        if (p.intent == truth) {
            ++correct;
            ++tp[truth];
        } else {
            ++fp[p.intent];
            ++fn[truth];
            ++confusion[{truth, p.intent}];
        }
        oos_true += truth == nlu::kOutOfScope;
        oos_pred += p.intent == nlu::kOutOfScope;
        oos_hit += truth == nlu::kOutOfScope && p.intent == nlu::kOutOfScope;
    }
    std::set<std::string> labels;
    for (const auto& e : examples) labels.insert(known.count(e.label) ? e.label : std::string(nlu::kOutOfScope));
    json::object per_intent;
    double f1_sum = 0;
    for (const auto& l : labels) {
        double prec = tp[l] + fp[l] ? static_cast<double>(tp[l]) / (tp[l] + fp[l]) : 0;
        double rec = tp[l] + fn[l] ? static_cast<double>(tp[l]) / (tp[l] + fn[l]) : 0;
        double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
        f1_sum += f1;
        per_intent[l] = json::object{{"precision", prec}, {"recall", rec}, {"f1", f1}, {"support", tp[l] + fn[l]}};
    }
    std::vector<std::pair<int, std::pair<std::string, std::string>>> pairs;
    for (const auto& [k, v] : confusion) pairs.emplace_back(v, k);
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    json::array top_confusions;
    for (std::size_t i = 0; i < std::min<std::size_t>(10, pairs.size()); ++i) {
        top_confusions.push_back(json::object{
            {"expected", pairs[i].second.first}, {"predicted", pairs[i].second.second}, {"count", pairs[i].first}});
    }
    const double n = static_cast<double>(examples.size());
    json::object out{
        {"n", examples.size()},
        {"accuracy", static_cast<double>(correct) / n},
        {"macro_f1", labels.empty() ? 0.0 : f1_sum / static_cast<double>(labels.size())},
        {"out_of_scope",
         json::object{{"support", oos_true},
                      {"precision", oos_pred ? static_cast<double>(oos_hit) / static_cast<double>(oos_pred) : 0.0},
                      {"recall", oos_true ? static_cast<double>(oos_hit) / static_cast<double>(oos_true) : 0.0}}},
        {"latency_us", json::object{{"p50", Percentile(latency_us, 0.5)},
                                    {"p99", Percentile(latency_us, 0.99)},
                                    {"max", Percentile(latency_us, 1.0)}}},
        {"threshold", m.info().threshold},
        {"top_confusions", top_confusions},
        {"per_intent", per_intent}};
    if (as_json) {
        std::cout << json::serialize(out) << "\n";
        return 0;
    }
    std::cout << fmt::format("examples {}   accuracy {:.2f}%   macro-F1 {:.2f}%\n", examples.size(),
                             out["accuracy"].as_double() * 100, out["macro_f1"].as_double() * 100);
    std::cout << fmt::format("out-of-scope: {} queries, precision {:.2f}%, recall {:.2f}% (threshold {:.3f})\n",
                             oos_true, out["out_of_scope"].as_object()["precision"].as_double() * 100,
                             out["out_of_scope"].as_object()["recall"].as_double() * 100, m.info().threshold);
    std::cout << fmt::format(
        "latency per query: p50 {:.0f} us, p99 {:.0f} us, max {:.0f} us (normalise + predict, one thread)\n\n",
        Percentile(latency_us, 0.5), Percentile(latency_us, 0.99), Percentile(latency_us, 1.0));
    std::cout << fmt::format("{:<32} {:>9} {:>9} {:>9}\n", "intent", "precision", "recall", "support");
    for (const auto& l : labels) {
        const auto& o = per_intent[l].as_object();
        std::cout << fmt::format("{:<32} {:>8.1f}% {:>8.1f}% {:>9}\n", l, o.at("precision").as_double() * 100,
                                 o.at("recall").as_double() * 100, o.at("support").as_int64());
    }
    std::cout << "\ntop confusions (expected → predicted):\n";
    for (const auto& c : top_confusions) {
        const auto& o = c.as_object();
        std::cout << fmt::format("  {:>4}  {} → {}\n", o.at("count").as_int64(), o.at("expected").as_string().c_str(),
                                 o.at("predicted").as_string().c_str());
    }
    return 0;
}

int NluPredict(const std::string& model_path, const std::string& now, const std::string& pack, std::istream& in,
               std::ostream& out) {
    auto model = nlu::IntentModel::Load(model_path);
    if (!model) {
        std::cerr << "kefu: " << model.error().message << "\n";
        return 2;
    }
    auto normaliser = MakeNormaliser();
    if (!normaliser) return 1;
    nlu::EntityExtractor extractor;
    auto sentiment = nlu::SentimentAnalyzer::Create(pack + "/nlu/sentiment_lexicon.yaml",
                                                    pack + "/nlu/sentiment_train.csv", *normaliser);
    if (!sentiment) {
        std::cerr << "kefu: " << sentiment.error().message << "\n";
        return 2;
    }
    nlu::ExtractOptions options{now.empty() ? LocalIsoNow() : now};
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        json::object o;
        auto norm = normaliser->Normalise(line);
        if (!norm) {
            o["error"] = json::object{{"code", ErrorCodeName(norm.error().code)}, {"message", norm.error().message}};
            out << json::serialize(o) << "\n";
            continue;
        }
        auto p = model.value()->Predict(*norm);
        json::array top;
        for (const auto& t : p.top) top.push_back(json::object{{"intent", t.intent}, {"confidence", t.confidence}});
        json::array entities;
        auto found = extractor.Extract(*norm, options);
        if (found) {
            for (const auto& e : found.value()) entities.push_back(nlu::ToJson(e));
        }
        o["intent"] = p.intent;
        o["confidence"] = p.confidence;
        o["top"] = std::move(top);
        o["language"] = nlu::DetectLanguage(norm->code_points);
        o["entities"] = std::move(entities);
        o["sentiment"] = nlu::ToJson(sentiment.value()->Analyze(*norm));
        out << json::serialize(o) << "\n";
    }
    return 0;
}

}  // namespace kefu::app
