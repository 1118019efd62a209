#pragma once
// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format. Metric objects live as long as the registry and never move, so callers may keep
// references to them; updating a metric is lock-free. Creating one takes a mutex.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::metrics {

class Counter {
  public:
    void Inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t Value() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> v_{0};
};

class Gauge {
  public:
    void Add(std::int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
    void Set(std::int64_t n) { v_.store(n, std::memory_order_relaxed); }
    std::int64_t Value() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> v_{0};
};

class Histogram {
  public:
    explicit Histogram(std::vector<double> upper_bounds);
    void Observe(double v);
    // Appends the _bucket, _sum and _count lines for this series.
    void Render(std::string& out, std::string_view name, std::string_view labels) const;

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::int64_t> sum_micros_{0};
};

// Default latency buckets in seconds, 100 µs to 10 s.
const std::vector<double>& LatencyBuckets();

class Registry {
  public:
    // `labels` is the label set in exposition syntax without braces: route="/x",status="200".
    // Use Label() to build values safely.
    Counter& GetCounter(std::string_view name, std::string_view help, std::string_view labels = {});
    Gauge& GetGauge(std::string_view name, std::string_view help, std::string_view labels = {});
    Histogram& GetHistogram(std::string_view name, std::string_view help, std::string_view labels = {},
                            const std::vector<double>& buckets = LatencyBuckets());
    std::string Render() const;

  private:
    enum class Type { kCounter, kGauge, kHistogram };
    struct Family {
        std::string help;
        Type type;
        std::map<std::string, std::unique_ptr<Counter>> counters;
        std::map<std::string, std::unique_ptr<Gauge>> gauges;
        std::map<std::string, std::unique_ptr<Histogram>> histograms;
    };
    Family& FamilyFor(std::string_view name, std::string_view help, Type type);  // requires mu_

    mutable std::mutex mu_;
    std::map<std::string, Family, std::less<>> families_;  // guarded by mu_
};

// The process-wide registry.
Registry& Default();

// name="escaped value"
std::string Label(std::string_view name, std::string_view value);

}  // namespace kefu::metrics
