#pragma once
// Helpers shared by the NLU unit tests (only the *_test.cpp files include this).

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "nlu/entities.hpp"
#include "nlu/normalise.hpp"

namespace kefu::nlu::testing {

// Monday 23 November 2026, 10:00 in Beijing: every relative date in the tests resolves against it.
inline constexpr char kReference[] = "2026-11-23T10:00:00+08:00";

inline const Normaliser& SharedNormaliser() {
    static const std::unique_ptr<Normaliser> normaliser = [] {
        auto n = Normaliser::Create();
        if (!n.ok()) throw std::runtime_error("cannot create the normaliser: " + n.error().message);
        return std::move(n).value();
    }();
    return *normaliser;
}

inline NormalisedText Normalised(std::string_view text) {
    auto n = SharedNormaliser().Normalise(text);
    if (!n.ok()) throw std::runtime_error("normalise failed: " + n.error().message);
    return std::move(n).value();
}

inline std::vector<Entity> ExtractWith(const EntityExtractor& extractor, std::string_view text,
                                       std::string reference = kReference) {
    auto entities = extractor.Extract(Normalised(text), ExtractOptions{std::move(reference)});
    if (!entities.ok()) throw std::runtime_error("extract failed: " + entities.error().message);
    return std::move(entities).value();
}

inline std::vector<Entity> Extract(std::string_view text) {
    static const EntityExtractor extractor;
    return ExtractWith(extractor, text);
}

inline std::vector<Entity> OfType(const std::vector<Entity>& all, std::string_view type) {
    std::vector<Entity> out;
    for (const Entity& e : all) {
        if (e.type == type) out.push_back(e);
    }
    return out;
}

// "key=value,key=value" in the value's own order, for compact expectations.
inline std::string Flat(const boost::json::object& value) {
    std::string out;
    for (const auto& [k, v] : value) {
        if (!out.empty()) out += ",";
        out += std::string(k) + "=";
        out += v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
    }
    return out;
}

// All entities as "type:text" for failure messages.
inline std::string Describe(const std::vector<Entity>& all) {
    std::string out;
    for (const Entity& e : all) out += "[" + e.type + ":" + e.text + " " + Flat(e.value) + "] ";
    return out;
}

}  // namespace kefu::nlu::testing
