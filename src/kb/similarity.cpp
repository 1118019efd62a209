#include "kb/similarity.hpp"

#include <algorithm>
#include <cmath>

#include "nlu/script.hpp"

namespace kefu::kb {

namespace {

std::uint32_t Fnv(const char32_t* p, std::size_t n) {
    std::uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<std::uint32_t>(p[i]);
        h *= 16777619u;
    }
    return h ^ static_cast<std::uint32_t>(n);
}

}  // namespace

SparseVector CharNgrams(const std::u32string& text) {
    std::u32string t;
    t.reserve(text.size() + 2);
    t.push_back(U' ');
    for (char32_t c : text) {
        if (c == U' ' && t.back() == U' ') continue;
        t.push_back(c);
    }
    if (t.back() != U' ') t.push_back(U' ');
    std::vector<std::uint32_t> grams;
    grams.reserve(t.size() * 3);
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (nlu::IsCjk(t[i])) grams.push_back(Fnv(&t[i], 1));
        if (i + 2 <= t.size()) grams.push_back(Fnv(&t[i], 2));
        if (i + 3 <= t.size()) grams.push_back(Fnv(&t[i], 3));
    }
    std::sort(grams.begin(), grams.end());
    SparseVector v;
    for (std::size_t i = 0; i < grams.size();) {
        std::size_t j = i;
        while (j < grams.size() && grams[j] == grams[i]) ++j;
        v.emplace_back(grams[i], static_cast<float>(j - i));
        i = j;
    }
    double norm = 0;
    for (const auto& [h, w] : v) norm += static_cast<double>(w) * w;
    norm = std::sqrt(norm);
    if (norm > 0) {
        for (auto& [h, w] : v) w = static_cast<float>(w / norm);
    }
    return v;
}

double Cosine(const SparseVector& a, const SparseVector& b) {
    double s = 0;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].first < b[j].first) {
            ++i;
        } else if (b[j].first < a[i].first) {
            ++j;
        } else {
            s += static_cast<double>(a[i++].second) * b[j++].second;
        }
    }
    return s;
}

}  // namespace kefu::kb
