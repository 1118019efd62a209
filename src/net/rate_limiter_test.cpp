#include "net/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace kefu::net {
namespace {

TEST(RateLimiter, AllowsBurstThenRefusesWithRetryAfter) {
    RateLimiter rl(2, 3);
    auto t = RateLimiter::Clock::now();
    int retry = 0;
    EXPECT_TRUE(rl.Allow("1.2.3.4", &retry, t));
    EXPECT_TRUE(rl.Allow("1.2.3.4", &retry, t));
    EXPECT_TRUE(rl.Allow("1.2.3.4", &retry, t));
    EXPECT_FALSE(rl.Allow("1.2.3.4", &retry, t));
    EXPECT_GE(retry, 1);
}

TEST(RateLimiter, RefillsOverTime) {
    RateLimiter rl(2, 1);
    auto t = RateLimiter::Clock::now();
    EXPECT_TRUE(rl.Allow("a", nullptr, t));
    EXPECT_FALSE(rl.Allow("a", nullptr, t));
    EXPECT_TRUE(rl.Allow("a", nullptr, t + std::chrono::milliseconds(600)));
}

TEST(RateLimiter, KeysAreIndependent) {
    RateLimiter rl(1, 1);
    auto t = RateLimiter::Clock::now();
    EXPECT_TRUE(rl.Allow("a", nullptr, t));
    EXPECT_TRUE(rl.Allow("b", nullptr, t));
    EXPECT_FALSE(rl.Allow("a", nullptr, t));
}

TEST(RateLimiter, ZeroRateDisables) {
    RateLimiter rl(0, 1);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(rl.Allow("a", nullptr));
}

}  // namespace
}  // namespace kefu::net
