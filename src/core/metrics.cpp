#include "core/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace kefu::metrics {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double v) {
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<std::int64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
    std::uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        cumulative += counts_[i].load(std::memory_order_relaxed);
        std::string le = i < bounds_.size() ? fmt::format("{}", bounds_[i]) : "+Inf";
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
    }
    std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
    out += fmt::format("{}_sum{} {}\n", name, braces, static_cast<double>(sum_micros_.load()) / 1e6);
    out += fmt::format("{}_count{} {}\n", name, braces, count_.load());
}

const std::vector<double>& LatencyBuckets() {
    static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
    return kBuckets;
}

Registry::Family& Registry::FamilyFor(std::string_view name, std::string_view help, Type type) {
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string(name), Family{std::string(help), type, {}, {}, {}}).first;
    } else if (it->second.type != type) {
        throw std::logic_error(fmt::format("metric {} registered with two types", name));
    }
    return it->second;
}

Counter& Registry::GetCounter(std::string_view name, std::string_view help, std::string_view labels) {
    std::lock_guard lock(mu_);
    auto& slot = FamilyFor(name, help, Type::kCounter).counters[std::string(labels)];
    if (!slot) slot = std::make_unique<Counter>();
    return *slot;
}

Gauge& Registry::GetGauge(std::string_view name, std::string_view help, std::string_view labels) {
    std::lock_guard lock(mu_);
    auto& slot = FamilyFor(name, help, Type::kGauge).gauges[std::string(labels)];
    if (!slot) slot = std::make_unique<Gauge>();
    return *slot;
}

Histogram& Registry::GetHistogram(std::string_view name, std::string_view help, std::string_view labels,
                                  const std::vector<double>& buckets) {
    std::lock_guard lock(mu_);
    auto& slot = FamilyFor(name, help, Type::kHistogram).histograms[std::string(labels)];
    if (!slot) slot = std::make_unique<Histogram>(buckets);
    return *slot;
}

std::string Registry::Render() const {
    std::lock_guard lock(mu_);
    std::string out;
    out.reserve(4096);
    for (const auto& [name, fam] : families_) {
        const char* type = fam.type == Type::kCounter ? "counter" : fam.type == Type::kGauge ? "gauge" : "histogram";
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, fam.help, name, type);
        for (const auto& [labels, c] : fam.counters) {
            out += labels.empty() ? fmt::format("{} {}\n", name, c->Value())
                                  : fmt::format("{}{{{}}} {}\n", name, labels, c->Value());
        }
        for (const auto& [labels, g] : fam.gauges) {
            out += labels.empty() ? fmt::format("{} {}\n", name, g->Value())
                                  : fmt::format("{}{{{}}} {}\n", name, labels, g->Value());
        }
        for (const auto& [labels, h] : fam.histograms) h->Render(out, name, labels);
    }
    return out;
}

Registry& Default() {
    static Registry kRegistry;
    return kRegistry;
}

std::string Label(std::string_view name, std::string_view value) {
    std::string out(name);
    out += "=\"";
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

}  // namespace kefu::metrics
