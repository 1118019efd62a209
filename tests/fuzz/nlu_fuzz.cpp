// libFuzzer target over normalise → entities → predict: any byte string must give a result or an error,
// never a crash, a sanitizer report, or a span outside the input. CI runs it for 60 s (scripts/test).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nlu/entities.hpp"
#include "nlu/intent_model.hpp"
#include "nlu/normalise.hpp"

namespace {

struct Engine {
    std::unique_ptr<kefu::nlu::Normaliser> normaliser;
    std::unique_ptr<kefu::nlu::IntentModel> model;
    kefu::nlu::EntityExtractor extractor;

    Engine() {
        normaliser = std::move(kefu::nlu::Normaliser::Create().value());
        auto examples = kefu::nlu::LoadExamples(KEFU_SOURCE_DIR "/packs/demo/nlu/intents.yaml");
        if (!examples) std::abort();
        kefu::nlu::TrainOptions o;
        o.holdout_fraction = 0;
        model = std::move(kefu::nlu::IntentModel::Train(examples.value(), *normaliser, o).value());
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Engine engine;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto norm = engine.normaliser->Normalise(text);
    if (!norm) return 0;
    auto prediction = engine.model->Predict(*norm);
    if (prediction.confidence < 0 || prediction.confidence > 1.000001) std::abort();
    auto entities = engine.extractor.Extract(*norm, {"2026-11-23T10:00:00+08:00"});
    if (entities) {
        for (const auto& e : entities.value()) {
            if (e.start > e.end || e.end > norm->original_length) std::abort();
        }
    }
    return 0;
}
