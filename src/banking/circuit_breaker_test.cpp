#include "banking/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace kefu::banking {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreaker::State;

// A clock the test moves by hand.
struct FakeClock {
    std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
    CircuitBreaker::Clock Fn() {
        return [this] { return now; };
    }
};

TEST(CircuitBreaker, StaysClosedBelowTheThreshold) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 3, .cooldown = 1000ms}, clock.Fn());
    EXPECT_EQ(breaker.StateName(), "closed");
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(breaker.Allow());
        breaker.RecordFailure();
    }
    EXPECT_EQ(breaker.state(), State::kClosed);
    EXPECT_TRUE(breaker.Allow());
}

TEST(CircuitBreaker, ASuccessResetsTheConsecutiveFailures) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 3, .cooldown = 1000ms}, clock.Fn());
    breaker.RecordFailure();
    breaker.RecordFailure();
    breaker.RecordSuccess();
    breaker.RecordFailure();
    breaker.RecordFailure();
    EXPECT_EQ(breaker.state(), State::kClosed);
    breaker.RecordFailure();
    EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST(CircuitBreaker, OpensAfterThresholdAndRefusesUntilCooldown) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 2, .cooldown = 1000ms}, clock.Fn());
    breaker.RecordFailure();
    breaker.RecordFailure();
    EXPECT_EQ(breaker.StateName(), "open");
    EXPECT_FALSE(breaker.Allow());
    clock.now += 999ms;
    EXPECT_FALSE(breaker.Allow());
    EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST(CircuitBreaker, HalfOpenLetsOneProbeThroughAndClosesOnSuccess) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 1, .cooldown = 1000ms}, clock.Fn());
    breaker.RecordFailure();
    clock.now += 1000ms;
    EXPECT_TRUE(breaker.Allow());  // the probe
    EXPECT_EQ(breaker.StateName(), "half_open");
    EXPECT_FALSE(breaker.Allow());  // everyone else waits for it
    breaker.RecordSuccess();
    EXPECT_EQ(breaker.state(), State::kClosed);
    EXPECT_TRUE(breaker.Allow());
    EXPECT_TRUE(breaker.Allow());
}

TEST(CircuitBreaker, AFailedProbeOpensAgainForAFullCooldown) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 1, .cooldown = 1000ms}, clock.Fn());
    breaker.RecordFailure();
    clock.now += 1500ms;
    ASSERT_TRUE(breaker.Allow());
    breaker.RecordFailure();
    EXPECT_EQ(breaker.state(), State::kOpen);
    clock.now += 999ms;
    EXPECT_FALSE(breaker.Allow());
    clock.now += 1ms;
    EXPECT_TRUE(breaker.Allow());
    EXPECT_EQ(breaker.state(), State::kHalfOpen);
}

TEST(CircuitBreaker, AProbeThatNeverReportsIsReplacedAfterACooldown) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 1, .cooldown = 1000ms}, clock.Fn());
    breaker.RecordFailure();
    clock.now += 1000ms;
    ASSERT_TRUE(breaker.Allow());  // this probe's caller never reports
    clock.now += 500ms;
    EXPECT_FALSE(breaker.Allow());
    clock.now += 500ms;
    EXPECT_TRUE(breaker.Allow());
}

TEST(CircuitBreaker, LateOutcomesWhileOpenChangeNothing) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 1, .cooldown = 1000ms}, clock.Fn());
    breaker.RecordFailure();
    breaker.RecordSuccess();  // a call allowed before the circuit opened
    EXPECT_EQ(breaker.state(), State::kOpen);
    clock.now += 600ms;
    breaker.RecordFailure();  // must not restart the cooldown
    clock.now += 400ms;
    EXPECT_TRUE(breaker.Allow());
}

TEST(CircuitBreaker, ConcurrentCallersGetExactlyOneProbe) {
    FakeClock clock;
    CircuitBreaker breaker({.failure_threshold = 1, .cooldown = 1000ms}, clock.Fn());
    breaker.RecordFailure();
    clock.now += 1000ms;  // written before the threads start, read-only afterwards
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                if (breaker.Allow()) allowed.fetch_add(1);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(allowed.load(), 1);
    EXPECT_EQ(breaker.state(), State::kHalfOpen);
}

TEST(CircuitBreaker, ThresholdBelowOneIsTreatedAsOne) {
    CircuitBreaker breaker({.failure_threshold = 0, .cooldown = 1000ms});
    EXPECT_TRUE(breaker.Allow());
    breaker.RecordFailure();
    EXPECT_EQ(breaker.state(), State::kOpen);
    EXPECT_FALSE(breaker.Allow());  // the real clock: the cooldown has not passed
}

}  // namespace
}  // namespace kefu::banking
