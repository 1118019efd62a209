#pragma once
// The rule-based bot that answers until the knowledge base and flows land: reply templates per intent and
// language, read from <pack>/bot/rules.yaml. Intents come from the trained NLU model when one is given, or
// from the rules' keywords otherwise. Its stages are ordinary pipeline stages.

#include <memory>
#include <string>

#include "core/error.hpp"
#include "dialogue/pipeline.hpp"

namespace kefu::nlu {
class Normaliser;
class IntentModel;
class SentimentAnalyzer;
}  // namespace kefu::nlu

namespace kefu::dialogue {

// Full-width ASCII to half-width, ASCII lower-case, whitespace collapsed; language by script counts.
class BasicNormaliser final : public Normaliser {
  public:
    NormalisedText Normalise(std::string_view text) const override;
};

// Loads <pack_dir>/bot/rules.yaml and builds the pipeline. Errors name the file and line.
// With a normaliser, text is normalised by the NLU (NFKC, Traditional → Simplified, offsets); with a model,
// intents come from it and entities from the extractors, and keywords serve only when there is no model.
// The NLU parts a pipeline may use; any may be null.
struct NluComponents {
    std::shared_ptr<const nlu::Normaliser> normaliser;
    std::shared_ptr<const nlu::IntentModel> model;
    std::shared_ptr<const nlu::SentimentAnalyzer> sentiment;
};

// The stages of a pipeline, for a dialogue manager that wraps the rules' policy and responder.
struct PipelineStages {
    std::shared_ptr<const Normaliser> normaliser;
    std::shared_ptr<const Understander> understander;
    std::shared_ptr<const Policy> policy;
    std::shared_ptr<const Responder> responder;
};
Result<PipelineStages> BuildRuleStages(const std::string& pack_dir, const NluComponents& nlu = {},
                                       std::shared_ptr<const Knowledge> knowledge = nullptr);

// `knowledge` (may be null) answers FAQs between the rules (see RulePolicy in rule_bot.cpp).
Result<std::unique_ptr<Pipeline>> BuildRulePipeline(const std::string& pack_dir, const NluComponents& nlu = {},
                                                    std::shared_ptr<const Knowledge> knowledge = nullptr);

}  // namespace kefu::dialogue
