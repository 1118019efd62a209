#pragma once
// The dialogue manager: a Policy that runs the pack's business flows around the rules-and-knowledge policy.
// Order each turn (docs/flows.md): cancel / opt-out → verification in progress → the active flow (fill
// the awaited slot, confirm, correct) → a digression (an FAQ or small talk, then back to the flow) or a
// switch to another flow → a new flow from the intent → carry-over to the last flow ("and my savings
// account?") → the inner policy (rules, FAQ, "did you mean", fallback).
// The state travels in TurnInput::state and Decision::state. Thread-safe: Decide keeps no state of its own.

#include <chrono>
#include <functional>
#include <memory>

#include "banking/core_bank.hpp"
#include "dialogue/pipeline.hpp"
#include "flow/flow_def.hpp"
#include "flow/verification.hpp"

namespace kefu::flow {

struct ManagerOptions {
    UnixMillis verified_ttl_ms = 15 * 60 * 1000;  // a verification holds this long
    int lock_after = 5;                           // failed verifications before a lockout
    UnixMillis lock_ms = 15 * 60 * 1000;
    UnixMillis otp_ttl_ms = 5 * 60 * 1000;
    double start_confidence = 0.45;   // an intent this confident starts its flow
    double switch_confidence = 0.6;   // ... or interrupts another flow
    std::function<UnixMillis()> now;  // the clock; NowMillis when empty
};

struct ManagerParts {
    std::shared_ptr<const FlowSet> flows;
    std::shared_ptr<banking::CoreBank> bank;               // null: flows that need it apologise
    std::shared_ptr<SmsSender> sms;                        // null: OTP verification is not offered
    std::shared_ptr<CustomerGuard> guard;                  // null: lockouts are per conversation only
    std::shared_ptr<const dialogue::Policy> inner;         // rules and knowledge base
    std::shared_ptr<const dialogue::Responder> responder;  // renders the inner policy's decisions
    ManagerOptions options;
};

class FlowPolicy final : public dialogue::Policy {
  public:
    explicit FlowPolicy(ManagerParts parts) : parts_(std::move(parts)) {}
    dialogue::Decision Decide(const dialogue::TurnInput& input, const dialogue::Understanding& u) const override;

  private:
    ManagerParts parts_;
};

}  // namespace kefu::flow
