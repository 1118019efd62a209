#include "banking/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace kefu::banking {

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, Clock clock)
    : options_{std::max(options.failure_threshold, 1), options.cooldown},
      clock_(clock ? std::move(clock) : Clock{[] { return std::chrono::steady_clock::now(); }}) {}

bool CircuitBreaker::Allow() {
    std::lock_guard lock(mu_);
    switch (state_) {
        case State::kClosed:
            return true;
        case State::kOpen:
            if (clock_() - opened_at_ < options_.cooldown) return false;
            state_ = State::kHalfOpen;
            probe_in_flight_ = true;
            probe_started_ = clock_();
            return true;
        case State::kHalfOpen:
            // A probe whose caller never reported must not wedge the breaker half-open for ever.
            if (probe_in_flight_ && clock_() - probe_started_ < options_.cooldown) return false;
            probe_in_flight_ = true;
            probe_started_ = clock_();
            return true;
    }
    return false;
}

void CircuitBreaker::RecordSuccess() {
    std::lock_guard lock(mu_);
    // Once open, only the probe decides; a call allowed before the circuit opened may finish late.
    if (state_ == State::kOpen) return;
    state_ = State::kClosed;
    consecutive_failures_ = 0;
    probe_in_flight_ = false;
}

void CircuitBreaker::RecordFailure() {
    std::lock_guard lock(mu_);
    switch (state_) {
        case State::kClosed:
            if (++consecutive_failures_ < options_.failure_threshold) return;
            break;
        case State::kHalfOpen:
            break;
        case State::kOpen:
            return;  // a late outcome of a call allowed before the circuit opened
    }
    state_ = State::kOpen;
    opened_at_ = clock_();
    consecutive_failures_ = 0;
    probe_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state() const {
    std::lock_guard lock(mu_);
    return state_;
}

std::string_view CircuitBreaker::StateName() const { return Name(state()); }

std::string_view CircuitBreaker::Name(State state) {
    switch (state) {
        case State::kClosed:
            return "closed";
        case State::kOpen:
            return "open";
        case State::kHalfOpen:
            return "half_open";
    }
    return "closed";
}

}  // namespace kefu::banking
