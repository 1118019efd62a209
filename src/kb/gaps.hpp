#pragma once
// Unanswered-question mining (docs/kb.md): groups the recorded fallback and clarify turns into clusters of
// similar questions, most frequent first, so that an editor knows what to write next.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "kb/store.hpp"

namespace kefu::nlu {
class Normaliser;
}

namespace kefu::kb {

struct GapCluster {
    int count = 0;
    std::string example;                // the most frequent text of the cluster (the first seen on ties)
    std::vector<std::string> examples;  // up to five distinct texts, most recent first
    std::vector<std::string> languages;
    std::int64_t last_seen = 0;
};

// Greedy single pass, newest first: a gap joins the first cluster whose seed is at least `similarity`
// (character n-gram cosine) like it, else it seeds a new cluster. Returns at most `limit` clusters.
std::vector<GapCluster> ClusterGaps(const std::vector<Gap>& gaps, const nlu::Normaliser& normaliser, std::size_t limit,
                                    double similarity = 0.5);

boost::json::object GapClusterToJson(const GapCluster& c);

}  // namespace kefu::kb
