#include "dialogue/pipeline.hpp"

namespace kefu::dialogue {

Pipeline::Pipeline(std::unique_ptr<Normaliser> normaliser, std::unique_ptr<Understander> understander,
                   std::unique_ptr<Policy> policy, std::unique_ptr<Responder> responder)
    : normaliser_(std::move(normaliser)),
      understander_(std::move(understander)),
      policy_(std::move(policy)),
      responder_(std::move(responder)) {}

TurnResult Pipeline::Run(const TurnInput& input) const {
    TurnResult r;
    NormalisedText norm = normaliser_->Normalise(input.text);
    r.understanding = understander_->Understand(norm);
    r.decision = policy_->Decide(input, r.understanding);
    r.replies = responder_->Respond(r.decision);
    return r;
}

}  // namespace kefu::dialogue
