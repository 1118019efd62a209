// kefu: the server and its tools. Subcommands: serve, chat, config check, version, nlu, kb, staff, admin, stories,
// flows, bank.

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/admin_command.hpp"
#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/dialogue_setup.hpp"
#include "app/kb_command.hpp"
#include "app/nlu_command.hpp"
#include "app/stories.hpp"

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

    // kefu kb ... (docs/kb.md)
    auto* kbc = app.add_subcommand("kb", "Knowledge base: import, export, query and unanswered questions.");
    kbc->require_subcommand(1);
    ConfigFlags kb_import_flags;
    ConfigFlags kb_export_flags;
    ConfigFlags kb_query_flags;
    ConfigFlags kb_gaps_flags;
    kefu::app::KbImportArgs kb_import_args;
    auto* kb_import = kbc->add_subcommand(
        "import",
        "Validate a CSV, JSON or YAML file and import it; any bad row (reported with its line) changes nothing.");
    kb_import->add_option("file", kb_import_args.file, "The file to import")->required()->check(CLI::ExistingFile);
    kb_import->add_option("--format", kb_import_args.format, "csv | json | yaml (default: from the extension)")
        ->check(CLI::IsMember({"csv", "json", "yaml"}));
    kb_import->add_flag("--publish", kb_import_args.publish, "Publish the imported entries at once");
    kb_import->add_flag("--dry-run", kb_import_args.dry_run, "Validate and count, change nothing");
    kb_import_flags.AddTo(kb_import);
    std::string kb_format;
    std::string kb_status = "published";
    std::string kb_out;
    auto* kb_export = kbc->add_subcommand("export", "Write the knowledge base as CSV, JSON or YAML.");
    kb_export->add_option("--format", kb_format, "csv | json | yaml")
        ->required()
        ->check(CLI::IsMember({"csv", "json", "yaml"}));
    kb_export->add_option("--status", kb_status, "published | draft | in_review | archived | all")
        ->capture_default_str()
        ->check(CLI::IsMember({"published", "draft", "in_review", "archived", "all"}));
    kb_export->add_option("--out", kb_out, "Output file (default: standard output)");
    kb_export_flags.AddTo(kb_export);
    int kb_top = 3;
    std::string kb_lang = "zh";
    auto* kb_query = kbc->add_subcommand(
        "query", "Read one question per line from stdin; write one JSON object per line (decision, id, answer, top).");
    kb_query->add_option("--top", kb_top, "Candidates to list")->capture_default_str()->check(CLI::Range(1, 20));
    kb_query->add_option("--lang", kb_lang, "zh | en")->capture_default_str()->check(CLI::IsMember({"zh", "en"}));
    kb_query_flags.AddTo(kb_query);
    int kb_days = 30;
    int kb_limit = 20;
    bool kb_json = false;
    auto* kb_gaps = kbc->add_subcommand("gaps", "Unanswered questions, grouped into clusters of similar ones.");
    kb_gaps->add_option("--days", kb_days, "How far back")->capture_default_str()->check(CLI::Range(1, 90));
    kb_gaps->add_option("--limit", kb_limit, "Clusters to show")->capture_default_str()->check(CLI::Range(1, 100));
    kb_gaps->add_flag("--json", kb_json, "Print one JSON object");
    kb_gaps_flags.AddTo(kb_gaps);

    // kefu staff add NAME --role ROLE
    auto* staff = app.add_subcommand("staff", "Staff members and their API tokens.");
    staff->require_subcommand(1);
    ConfigFlags staff_flags;
    std::string staff_name;
    std::string staff_role;
    auto* staff_add = staff->add_subcommand("add", "Create a staff member; prints their token once.");
    staff_add->add_option("name", staff_name, "Unique name")->required();
    staff_add->add_option("--role", staff_role, "agent | supervisor | kb_editor | analyst | admin")
        ->required()
        ->check(CLI::IsMember({"agent", "supervisor", "kb_editor", "analyst", "admin"}));
    staff_flags.AddTo(staff_add);

    // kefu admin create-user NAME --role ROLE [--password-file F] ...
    auto* admin = app.add_subcommand("admin", "Administration: staff accounts that sign in with a password.");
    admin->require_subcommand(1);
    ConfigFlags admin_flags;
    kefu::app::CreateUserOptions user;
    std::string user_skills = "general";
    std::string user_languages = "zh,en";
    auto* create_user = admin->add_subcommand(
        "create-user", "Create a staff member who signs in at /desk/ with a password (asked twice, or from a file).");
    create_user->add_option("name", user.name, "Unique sign-in name (A-Z a-z 0-9 . _ -)")->required();
    create_user->add_option("--role", user.role, "agent | supervisor | kb_editor | analyst | admin")
        ->required()
        ->check(CLI::IsMember({"agent", "supervisor", "kb_editor", "analyst", "admin"}));
    create_user->add_option("--password-file", user.password_file, "Read the password from the first line of this file")
        ->check(CLI::ExistingFile);
    create_user->add_option("--display-name", user.display_name, "The name customers see (default: the sign-in name)");
    create_user->add_option("--skills", user_skills, "Queues the agent serves, comma-separated (default: general)");
    create_user->add_option("--languages", user_languages, "zh, en or zh,en (default: zh,en)");
    create_user->add_option("--max-chats", user.max_chats, "Chats at once (default: 3)")->check(CLI::Range(1, 20));
    admin_flags.AddTo(create_user);

    // kefu stories [FILES...] / kefu flows check
    ConfigFlags stories_flags;
    kefu::app::StoryOptions story_options;
    auto* stories =
        app.add_subcommand("stories", "Run conversation stories against the pack and a fresh sandbox bank.");
    stories->add_option("files", story_options.files, "Story files (default: <pack>/stories/*.yaml)")
        ->check(CLI::ExistingFile);
    stories->add_option("--filter", story_options.filter, "Only stories whose name contains this");
    stories->add_flag("-v,--verbose", story_options.verbose, "Print every transcript");
    stories_flags.AddTo(stories);
    auto* flows = app.add_subcommand("flows", "Business flows of the pack.");
    flows->require_subcommand(1);
    ConfigFlags flows_flags;
    auto* flows_check = flows->add_subcommand("check", "Load <pack>/flows and report every problem with file:line.");
    flows_flags.AddTo(flows_check);

    auto* bank = app.add_subcommand("bank", "The sandbox core bank of the pack.");
    bank->require_subcommand(1);
    ConfigFlags bank_flags;
    std::string bank_as_of;
    auto* bank_reset =
        bank->add_subcommand("reset", "Reload the sandbox bank from <pack>/bank/sandbox.yaml; changes are lost.");
    bank_reset->add_option("--as-of", bank_as_of, "The sandbox's today, YYYY-MM-DD (default: today)");
    bank_flags.AddTo(bank_reset);

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

    auto with_config = [](const ConfigFlags& flags, CLI::App* cmd, auto run) -> int {
        auto cfg = Load(flags, cmd);
        if (!cfg) return 2;
        kefu::app::ConfigureLogging(*cfg);
        return run(*cfg);
    };
    if (kb_import->parsed()) {
        return with_config(kb_import_flags, kb_import,
                           [&](const Config& c) { return kefu::app::KbImport(c, kb_import_args); });
    }
    if (kb_export->parsed()) {
        return with_config(kb_export_flags, kb_export,
                           [&](const Config& c) { return kefu::app::KbExport(c, kb_format, kb_status, kb_out); });
    }
    if (kb_query->parsed()) {
        return with_config(kb_query_flags, kb_query, [&](const Config& c) {
            return kefu::app::KbQuery(c, kb_top, kb_lang, std::cin, std::cout);
        });
    }
    if (kb_gaps->parsed()) {
        return with_config(kb_gaps_flags, kb_gaps,
                           [&](const Config& c) { return kefu::app::KbGaps(c, kb_days, kb_limit, kb_json); });
    }
    if (staff_add->parsed()) {
        return with_config(staff_flags, staff_add,
                           [&](const Config& c) { return kefu::app::StaffAdd(c, staff_name, staff_role); });
    }
    if (create_user->parsed()) {
        auto split = [](const std::string& list) {
            std::vector<std::string> out;
            std::string item;
            for (char c : list + ",") {
                if (c == ',') {
                    if (!item.empty()) out.push_back(item);
                    item.clear();
                } else if (c != ' ') {
                    item += c;
                }
            }
            return out;
        };
        user.skills = split(user_skills);
        user.languages = split(user_languages);
        return with_config(admin_flags, create_user, [&](const Config& c) { return kefu::app::CreateUser(c, user); });
    }
    if (stories->parsed()) {
        return with_config(stories_flags, stories,
                           [&](const Config& c) { return kefu::app::StoriesCommand(c, story_options); });
    }
    if (bank_reset->parsed()) {
        return with_config(bank_flags, bank_reset,
                           [&](const Config& c) { return kefu::app::BankReset(c, bank_as_of); });
    }
    if (flows_check->parsed()) {
        return with_config(flows_flags, flows_check, [&](const Config& c) { return kefu::app::FlowsCheck(c); });
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
