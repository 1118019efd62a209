#pragma once
// The small rule-based bot that answers until the NLU, knowledge base and flows land: keyword rules and
// reply templates per language, read from <pack>/bot/rules.yaml. Its stages are ordinary pipeline
// stages, so the real NLU replaces KeywordUnderstander without touching the rest.

#include <memory>
#include <string>

#include "core/error.hpp"
#include "dialogue/pipeline.hpp"

namespace kefu::dialogue {

// Full-width ASCII to half-width, ASCII lower-case, whitespace collapsed; language by script counts.
class BasicNormaliser final : public Normaliser {
  public:
    NormalisedText Normalise(std::string_view text) const override;
};

// Loads <pack_dir>/bot/rules.yaml and builds the pipeline. Errors name the file and line.
Result<std::unique_ptr<Pipeline>> BuildRulePipeline(const std::string& pack_dir);

}  // namespace kefu::dialogue
