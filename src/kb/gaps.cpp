#include "kb/gaps.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "core/clock.hpp"
#include "kb/similarity.hpp"
#include "nlu/normalise.hpp"

namespace kefu::kb {

std::vector<GapCluster> ClusterGaps(const std::vector<Gap>& gaps, const nlu::Normaliser& normaliser, std::size_t limit,
                                    double similarity) {
    struct Working {
        SparseVector seed;
        GapCluster cluster;
        std::map<std::string, int> texts;
        std::vector<std::string> order;  // first appearance of each text
    };
    std::vector<Working> clusters;
    std::vector<std::size_t> order(gaps.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return gaps[a].at > gaps[b].at; });
    for (std::size_t i : order) {
        const Gap& g = gaps[i];
        auto norm = normaliser.Normalise(g.text);
        if (!norm || norm->code_points.empty()) continue;
        SparseVector v = CharNgrams(norm->code_points);
        Working* home = nullptr;
        for (auto& c : clusters) {
            if (Cosine(c.seed, v) >= similarity) {
                home = &c;
                break;
            }
        }
        if (!home) {
            clusters.push_back(Working{std::move(v), {}, {}, {}});
            home = &clusters.back();
        }
        auto& c = home->cluster;
        ++c.count;
        c.last_seen = std::max(c.last_seen, g.at);
        if (std::find(c.languages.begin(), c.languages.end(), g.language) == c.languages.end()) {
            c.languages.push_back(g.language);
        }
        if (home->texts[g.text]++ == 0) home->order.push_back(g.text);
    }
    std::vector<GapCluster> out;
    for (auto& w : clusters) {
        auto& c = w.cluster;
        int best = 0;
        for (const auto& t : w.order) {
            if (w.texts[t] > best) {
                best = w.texts[t];
                c.example = t;
            }
        }
        for (std::size_t k = 0; k < w.order.size() && k < 5; ++k) c.examples.push_back(w.order[k]);
        std::sort(c.languages.begin(), c.languages.end());
        out.push_back(std::move(c));
    }
    std::stable_sort(out.begin(), out.end(), [](const GapCluster& a, const GapCluster& b) {
        if (a.count != b.count) return a.count > b.count;
        return a.last_seen > b.last_seen;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
}

boost::json::object GapClusterToJson(const GapCluster& c) {
    boost::json::array examples;
    for (const auto& e : c.examples) examples.emplace_back(e);
    boost::json::array languages;
    for (const auto& l : c.languages) languages.emplace_back(l);
    return {{"count", c.count},
            {"example", c.example},
            {"examples", std::move(examples)},
            {"languages", std::move(languages)},
            {"last_seen", FormatIsoMillis(c.last_seen)}};
}

}  // namespace kefu::kb
