#pragma once
// A circuit breaker for calls to an upstream system (the core bank). It stops Kefu from piling requests
// onto a core that is down, and lets callers fail at once instead of waiting out a time-out each.
//
//   closed ──(failure_threshold consecutive failures)──▶ open
//   open ──(cooldown elapsed; the next Allow() is the probe)──▶ half_open
//   half_open ──(probe succeeds)──▶ closed,   half_open ──(probe fails)──▶ open (a new cooldown)
//
// While half-open only the probe is let through; everyone else is refused until it reports. A probe
// that never reports (its caller died) is given up after one more cooldown, and another is let through.
//
// A CircuitBreaker is safe for concurrent use from multiple threads without external synchronization.

#include <chrono>
#include <functional>
#include <mutex>
#include <string_view>

namespace kefu::banking {

struct CircuitBreakerOptions {
    // Consecutive failures that open the circuit. At least 1.
    int failure_threshold = 5;
    // How long the circuit stays open before a probe is let through.
    std::chrono::milliseconds cooldown{10000};
};

class CircuitBreaker {
  public:
    enum class State { kClosed, kOpen, kHalfOpen };
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    // `clock` defaults to std::chrono::steady_clock::now; tests inject a fake one.
    explicit CircuitBreaker(CircuitBreakerOptions options, Clock clock = {});

    // Returns true iff a call may go ahead now. Every call that was allowed must be followed by exactly
    // one RecordSuccess() or RecordFailure().
    bool Allow();
    // The upstream answered (any answer that shows it is healthy, including "not found").
    void RecordSuccess();
    // The upstream failed: no connection, a time-out, a server error.
    void RecordFailure();

    State state() const;
    // "closed" | "open" | "half_open", for metrics and the health endpoint.
    std::string_view StateName() const;

    static std::string_view Name(State state);

  private:
    using TimePoint = std::chrono::steady_clock::time_point;

    const CircuitBreakerOptions options_;
    const Clock clock_;

    mutable std::mutex mu_;
    State state_ = State::kClosed;  // guarded by mu_
    int consecutive_failures_ = 0;  // guarded by mu_; counts in the closed state only
    TimePoint opened_at_{};         // guarded by mu_; when the circuit last opened
    bool probe_in_flight_ = false;  // guarded by mu_; half-open only
    TimePoint probe_started_{};     // guarded by mu_
};

}  // namespace kefu::banking
