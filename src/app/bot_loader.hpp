#pragma once
// Builds the bot from a pack: the reply rules, and the intent model trained from <pack>/nlu/intents.yaml.
// Trained models are cached in bot.model_dir under a name derived from the training data's SHA-256, so a
// restart (or a second node) loads in milliseconds and retrains only when the data changed.

#include <memory>
#include <string>

#include "app/config.hpp"
#include "core/error.hpp"
#include "dialogue/pipeline.hpp"

namespace kefu::nlu {
class Normaliser;
class IntentModel;
}  // namespace kefu::nlu

namespace kefu::app {

struct DialogueRuntime;

struct LoadedBot {
    std::shared_ptr<const dialogue::Pipeline> pipeline;
    std::size_t intents = 0;  // 0 when the pack has no NLU data (keywords only)
    std::string model_path;   // the model file used, if any
    bool trained = false;     // true when the model was trained now rather than loaded from the cache
    std::shared_ptr<const nlu::IntentModel> model;  // null when the pack has no NLU data
    std::size_t flows = 0;                          // business flows loaded from <pack>/flows
};

// Thread-safe; slow (may train for a few seconds): call it off the I/O threads.
// `knowledge` (may be null) is the knowledge base the dialogue answers FAQs from. With `runtime` and a
// <pack>/flows directory, the dialogue manager runs the pack's flows (problems: "file:line: ...").
Result<LoadedBot> LoadBot(const Config& config, std::shared_ptr<const nlu::Normaliser> normaliser,
                          std::shared_ptr<const dialogue::Knowledge> knowledge = nullptr,
                          const DialogueRuntime* runtime = nullptr);

}  // namespace kefu::app
