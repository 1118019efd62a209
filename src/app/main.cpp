// kefu: the server and its tools. Subcommands: serve, chat, config check, version.

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/nlu_command.hpp"

#ifndef KEFU_VERSION
#define KEFU_VERSION "0.0.0"
#endif
#ifndef KEFU_GIT_SHA
#define KEFU_GIT_SHA "unknown"
#endif

namespace {

using kefu::app::Config;
using kefu::app::ConfigSources;

// Adds --config and one --<section>.<key> option per configuration key to a subcommand.
struct ConfigFlags {
    std::string file;
    std::vector<std::pair<std::string, std::string>> values;
    std::vector<std::pair<std::string, std::string>> raw;  // storage the options write into

    void AddTo(CLI::App* cmd) {
        cmd->add_option("--config", file, "TOML configuration file (default: ./kefu.toml if present)");
        raw.reserve(kefu::app::Schema().size());
        for (const auto& k : kefu::app::Schema()) {
            raw.emplace_back(k.Name(), std::string());
            auto* opt = cmd->add_option("--" + k.Name(), raw.back().second, k.help + " [env " + k.EnvName() + "]");
            opt->group("Configuration overrides");
        }
    }

    ConfigSources Sources(CLI::App* cmd) const {
        ConfigSources s;
        if (!file.empty()) s.file = file;
        for (const auto& [name, value] : raw) {
            if (cmd->count("--" + name) > 0) s.flags.emplace_back(name, value);
        }
        return s;
    }
};

std::optional<Config> Load(const ConfigFlags& flags, CLI::App* cmd) {
    auto loaded = kefu::app::LoadConfig(flags.Sources(cmd));
    if (auto* err = std::get_if<kefu::app::ConfigError>(&loaded)) {
        std::cerr << err->message << "\n";
        return std::nullopt;
    }
    return std::get<Config>(std::move(loaded));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Kefu (客服): self-hosted intelligent customer service for banks.", "kefu"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Show help for every subcommand");

    ConfigFlags serve_flags;
    auto* serve = app.add_subcommand("serve", "Run the HTTP/WebSocket server until SIGTERM or SIGINT.");
    serve_flags.AddTo(serve);

    ConfigFlags chat_flags;
    std::string chat_language;
    auto* chat = app.add_subcommand("chat", "Talk to the bot in the terminal (same engine, no server).");
    chat->add_option("--language", chat_language, "Conversation language")->check(CLI::IsMember({"zh", "en"}));
    chat_flags.AddTo(chat);

    auto* config = app.add_subcommand("config", "Configuration tools.");
    config->require_subcommand(1);
    ConfigFlags check_flags;
    auto* check = config->add_subcommand("check", "Validate the configuration and print the effective values.");
    check_flags.AddTo(check);

    auto* version = app.add_subcommand("version", "Print the version.");

    auto* nlu = app.add_subcommand("nlu", "Train, evaluate and try intent models.");
    nlu->require_subcommand(1);
    std::vector<std::string> nlu_data;
    std::string nlu_model;
    double nlu_c = 2.0;
    bool nlu_json = false;
    std::string nlu_now;
    auto* nlu_train = nlu->add_subcommand("train", "Train a model from CSV, Kefu YAML/JSON or Rasa NLU YAML files.");
    nlu_train->add_option("--data", nlu_data, "Training file (repeatable)")->required()->check(CLI::ExistingFile);
    nlu_train->add_option("--model", nlu_model, "Where to write the model file")->required();
    nlu_train->add_option("--c", nlu_c, "SVM regularisation C")->capture_default_str()->check(CLI::PositiveNumber);
    auto* nlu_eval = nlu->add_subcommand("eval", "Evaluate a model on labelled files.");
    nlu_eval->add_option("--model", nlu_model, "Model file")->required()->check(CLI::ExistingFile);
    nlu_eval->add_option("--data", nlu_data, "Test file (repeatable)")->required()->check(CLI::ExistingFile);
    nlu_eval->add_flag("--json", nlu_json, "Print one JSON object");
    double nlu_threshold = -1;
    nlu_eval
        ->add_option("--threshold", nlu_threshold, "Out-of-scope threshold to use instead of the model's (0 disables)")
        ->check(CLI::Range(0.0, 1.0));
    auto* nlu_predict =
        nlu->add_subcommand("predict", "Read one text per line from stdin; write one JSON object per line.");
    nlu_predict->add_option("--model", nlu_model, "Model file")->required()->check(CLI::ExistingFile);
    std::string nlu_pack = "packs/demo";
    nlu_predict->add_option("--pack", nlu_pack, "Bot pack with the sentiment lexicon and data")
        ->capture_default_str()
        ->check(CLI::ExistingDirectory);
    nlu_predict->add_option("--now", nlu_now, "Reference time for relative dates (ISO-8601 with offset; default: now)");

    if (argc >= 2 && argv[1][0] != '-') {
        std::string first = argv[1];
        bool known = false;
        for (const auto* sub : app.get_subcommands({})) known = known || sub->get_name() == first;
        if (!known) {
            std::cerr << "kefu: unknown command '" << first << "' (see 'kefu --help')\n";
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "kefu: " << e.what() << " (see 'kefu --help')\n";
        return 2;
    }

    if (nlu_train->parsed()) return kefu::app::NluTrain(nlu_data, nlu_model, nlu_c);
    if (nlu_eval->parsed()) return kefu::app::NluEval(nlu_model, nlu_data, nlu_json, nlu_threshold);
    if (nlu_predict->parsed()) return kefu::app::NluPredict(nlu_model, nlu_now, nlu_pack, std::cin, std::cout);
    if (version->parsed()) {
        std::cout << "kefu " << KEFU_VERSION << " (" << KEFU_GIT_SHA << ")\n";
        return 0;
    }
    if (check->parsed()) {
        auto cfg = Load(check_flags, check);
        if (!cfg) return 2;
        std::cout << "config: ok\n\n" << kefu::app::RenderConfig(*cfg);
        return 0;
    }
    if (chat->parsed()) {
        auto cfg = Load(chat_flags, chat);
        if (!cfg) return 2;
        kefu::app::ConfigureLogging(*cfg);
        return kefu::app::RunChat(*cfg, chat_language.empty() ? cfg->bot.default_language : chat_language, std::cin,
                                  std::cout);
    }
    if (serve->parsed()) {
        auto cfg = Load(serve_flags, serve);
        if (!cfg) return 2;
        return kefu::app::RunServe(*cfg);
    }
    return 2;
}
