#pragma once
// Character n-gram vectors and their cosine: the similarity the re-ranker and gap clustering share.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kefu::kb {

// Hashed n-grams with unit norm, sorted by hash.
using SparseVector = std::vector<std::pair<std::uint32_t, float>>;

// Character 2- and 3-grams of normalised text (spaces mark word boundaries), plus Han unigrams.
SparseVector CharNgrams(const std::u32string& normalised);

// Cosine of two unit vectors (0..1).
double Cosine(const SparseVector& a, const SparseVector& b);

}  // namespace kefu::kb
