#include "app/bot_loader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/dialogue_setup.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "dialogue/rule_bot.hpp"
#include "flow/flow_def.hpp"
#include "flow/manager.hpp"
#include "nlu/intent_model.hpp"
#include "nlu/normalise.hpp"
#include "nlu/sentiment.hpp"

namespace kefu::app {

namespace fs = std::filesystem;

Result<LoadedBot> LoadBot(const Config& config, std::shared_ptr<const nlu::Normaliser> normaliser,
                          std::shared_ptr<const dialogue::Knowledge> knowledge, const DialogueRuntime* runtime) {
    LoadedBot bot;
    std::shared_ptr<const nlu::IntentModel> model;
    const fs::path data = fs::path(config.bot.pack) / "nlu" / "intents.yaml";
    if (fs::exists(data)) {
        std::ifstream in(data, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        nlu::TrainOptions options;
        // The cache key covers the data and the settings that shape the model.
        std::string key =
            Sha256Hex(ss.str() + "|" + std::to_string(options.c) + "|" + std::to_string(options.features.word_weight) +
                      "|" + std::string(nlu::kTrainerRevision))
                .substr(0, 20);
        fs::path cached = fs::path(config.bot.model_dir) / ("intents-" + key + ".kefuint");
        if (fs::exists(cached)) {
            auto loaded = nlu::IntentModel::Load(cached.string());
            if (loaded) {
                model = std::move(loaded.value());
            } else {
                log::Warn("cached intent model unreadable; retraining", {{"path", cached.string()}});
            }
        }
        if (!model) {
            auto examples = nlu::LoadExamples(data.string());
            if (!examples) return examples.error();
            auto trained = nlu::IntentModel::Train(examples.value(), *normaliser, options);
            if (!trained) return trained.error();
            std::error_code ec;
            fs::create_directories(config.bot.model_dir, ec);
            auto saved = trained.value()->Save(cached.string());
            if (!saved) log::Warn("could not cache the intent model", {{"error", saved.error().message}});
            model = std::move(trained.value());
            bot.trained = true;
        }
        bot.intents = model->labels().size();
        bot.model_path = cached.string();
    }
    std::shared_ptr<const nlu::SentimentAnalyzer> sentiment;
    const fs::path lexicon = fs::path(config.bot.pack) / "nlu" / "sentiment_lexicon.yaml";
    if (fs::exists(lexicon)) {
        const fs::path train = fs::path(config.bot.pack) / "nlu" / "sentiment_train.csv";
        auto analyzer =
            nlu::SentimentAnalyzer::Create(lexicon.string(), fs::exists(train) ? train.string() : "", *normaliser);
        if (!analyzer) return analyzer.error();
        sentiment = std::move(analyzer.value());
    }
    bot.model = model;
    auto stages = dialogue::BuildRuleStages(config.bot.pack, {normaliser, model, sentiment}, std::move(knowledge));
    if (!stages) return stages.error();
    std::shared_ptr<const dialogue::Policy> policy = stages->policy;
    const fs::path flows_dir = fs::path(config.bot.pack) / "flows";
    if (runtime != nullptr && fs::is_directory(flows_dir)) {
        auto flows = flow::LoadFlows(flows_dir.string());
        if (!flows) return flows.error();
        bot.flows = flows.value()->flows.size();
        flow::ManagerParts parts{flows.value(),  runtime->bank,     runtime->sandbox_sms, runtime->guard,
                                 stages->policy, stages->responder, runtime->options};
        policy = std::make_shared<flow::FlowPolicy>(std::move(parts));
    }
    bot.pipeline =
        std::make_shared<dialogue::Pipeline>(stages->normaliser, stages->understander, policy, stages->responder);
    return bot;
}

}  // namespace kefu::app
