#pragma once
// Per-client token buckets: `rate` requests per second sustained, `burst` at once. Sharded by key so
// that I/O threads rarely contend. Thread-safe.

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace kefu::net {

class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;

    // rate <= 0 disables limiting.
    RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

    // Takes one token for key. Returns true if allowed; otherwise sets *retry_after_s (whole seconds, ≥1).
    bool Allow(const std::string& key, int* retry_after_s, Clock::time_point now = Clock::now());

  private:
    struct Bucket {
        double tokens;
        Clock::time_point last;
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<std::string, Bucket> buckets;  // guarded by mu
    };

    double rate_;
    double burst_;
    std::array<Shard, 16> shards_;
};

}  // namespace kefu::net
