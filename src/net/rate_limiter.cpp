#include "net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace kefu::net {

bool RateLimiter::Allow(const std::string& key, int* retry_after_s, Clock::time_point now) {
    if (rate_ <= 0) return true;
    Shard& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
    std::lock_guard lock(shard.mu);
    if (shard.buckets.size() > 100000) {
        // Forget clients whose buckets have refilled: they are indistinguishable from new ones.
        std::erase_if(shard.buckets, [&](const auto& kv) {
            return std::chrono::duration<double>(now - kv.second.last).count() * rate_ >= burst_;
        });
    }
    auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!inserted) {
        double elapsed = std::chrono::duration<double>(now - b.last).count();
        b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
        b.last = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return true;
    }
    if (retry_after_s) *retry_after_s = std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
    return false;
}

}  // namespace kefu::net
