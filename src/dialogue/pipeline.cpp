#include "dialogue/pipeline.hpp"

namespace kefu::dialogue {

Pipeline::Pipeline(std::shared_ptr<const Normaliser> normaliser, std::shared_ptr<const Understander> understander,
                   std::shared_ptr<const Policy> policy, std::shared_ptr<const Responder> responder)
    : normaliser_(std::move(normaliser)),
      understander_(std::move(understander)),
      policy_(std::move(policy)),
      responder_(std::move(responder)) {}

TurnResult Pipeline::Run(const TurnInput& input) const {
    TurnResult r;
    NormalisedText norm = normaliser_->Normalise(input.text);
    r.understanding = understander_->Understand(norm, input.reference_time);
    r.understanding.text = std::move(norm.text);
    r.decision = policy_->Decide(input, r.understanding);
    r.replies = r.decision.messages.empty() ? responder_->Respond(r.decision) : r.decision.messages;
    return r;
}

}  // namespace kefu::dialogue
