#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "api/conversation_service.hpp"
#include "api/customer_token.hpp"
#include "api/desk_routes.hpp"
#include "api/desk_service.hpp"
#include "api/hub.hpp"
#include "api/routes.hpp"
#include "app/bot_loader.hpp"
#include "app/commands.hpp"
#include "app/dialogue_setup.hpp"
#include "app/kb_setup.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "desk/desk_config.hpp"
#include "net/server.hpp"
#include "nlu/normalise.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/sqlite/sqlite_conversation_store.hpp"

namespace kefu::app {

void ConfigureLogging(const Config& config) {
    log::Level level = log::Level::kInfo;
    log::ParseLevel(config.log.level, &level);
    log::Init(level, config.log.format == "text" ? log::Format::kText : log::Format::kJson);
}

namespace {

// Loads the pack and the model into `pipelines`; gives the knowledge base the new model. On failure the
// running bot stays as it was.
bool ReloadBot(const Config& config, const std::shared_ptr<const nlu::Normaliser>& normaliser,
               dialogue::PipelineHolder& pipelines, kb::KbService& knowledge, const DialogueRuntime& runtime,
               bool first) {
    auto t0 = std::chrono::steady_clock::now();
    auto bot = LoadBot(config, normaliser, knowledge.knowledge(), &runtime);
    auto& reloads = metrics::Default();
    if (!bot) {
        reloads
            .GetCounter("kefu_bot_loads_total", "Bot pack and model loads, by result.",
                        metrics::Label("result", "error"))
            .Inc();
        log::Error("bot load failed", {{"pack", config.bot.pack}, {"error", bot.error().message}});
        return false;
    }
    if (first) {
        auto started = knowledge.Start(bot->model);
        if (!started) {
            log::Error("knowledge base failed to load", {{"error", started.error().message}});
            return false;
        }
    } else {
        knowledge.SetModel(bot->model);
    }
    pipelines.Set(bot->pipeline);
    reloads.GetCounter("kefu_bot_loads_total", "Bot pack and model loads, by result.", metrics::Label("result", "ok"))
        .Inc();
    log::Info("bot loaded",
              {{"pack", config.bot.pack},
               {"intents", bot->intents},
               {"flows", bot->flows},
               {"model", bot->model_path},
               {"trained", bot->trained},
               {"ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()}});
    return true;
}

}  // namespace

int RunServe(const Config& config) {
    ConfigureLogging(config);
    // Block the stop signals in every thread; this thread waits for them with sigwait below.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::atomic<bool> ready{false};
    std::unique_ptr<storage::sqlite::Database> db;
    try {
        db = storage::sqlite::Database::Open({config.storage.path, 2, static_cast<int>(config.storage.batch_max)});
    } catch (const std::exception& e) {
        log::Error("storage failed to open", {{"path", config.storage.path}, {"error", e.what()}});
        std::cerr << "kefu: cannot open storage: " << e.what() << "\n";
        return 1;
    }
    auto normaliser_or = nlu::Normaliser::Create();
    if (!normaliser_or) {
        std::cerr << "kefu: " << normaliser_or.error().message << "\n";
        return 1;
    }
    std::shared_ptr<const nlu::Normaliser> normaliser = std::move(normaliser_or.value());
    std::string token_secret;
    try {
        token_secret = LoadCustomerTokenSecret(config);
    } catch (const std::exception& e) {
        std::cerr << "kefu: " << e.what() << "\n";
        return 2;
    }

    // Staff: on first start, an admin whose token is written beside the database (docs/kb.md).
    const std::string admin_token_file =
        (std::filesystem::path(config.storage.path).parent_path() / "admin-token").string();
    // With the demo bank the first start also prints a one-time password for the console, once.
    const bool demo = config.bank.adapter == "sandbox";
    std::string admin_password;
    auto admin = api::BootstrapAdmin(*db, admin_token_file, demo ? &admin_password : nullptr);
    if (!admin) {
        std::cerr << "kefu: cannot create the first staff member: " << admin.error().message << "\n";
        return 1;
    }
    if (*admin) {
        log::Info("first start: staff member 'admin' created", {{"token_file", admin_token_file}});
        if (!admin_password.empty()) {
            // On a terminal it is shown once; otherwise (a service, a container) it goes to a file only its owner
            // can read, never to the log.
            if (isatty(STDOUT_FILENO)) {
                std::cout << "first start: sign in at /desk/ as 'admin' with the one-time password " << admin_password
                          << " (shown only now; change it, and create agents with `kefu admin create-user`)"
                          << std::endl;
            } else {
                const std::string file =
                    (std::filesystem::path(config.storage.path).parent_path() / "admin-password").string();
                int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                std::string line = admin_password + "\n";
                bool ok = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
                if (fd >= 0) ::close(fd);
                if (ok) log::Info("first start: the console's one-time admin password is in a file", {{"file", file}});
            }
        }
    }
    std::vector<std::string> desk_problems;
    const std::string desk_file = config.desk.file.empty()
                                      ? (std::filesystem::path(config.bot.pack) / "desk" / "desk.yaml").string()
                                      : config.desk.file;
    auto desk_config = desk::LoadDeskConfig(desk_file, &desk_problems);
    if (desk_config)
        desk_config->labels = std::make_shared<const desk::PackLabels>(desk::LoadPackLabels(config.bot.pack));
    if (!desk_config) {
        for (const auto& p : desk_problems) std::cerr << p << "\n";
        std::cerr << "kefu: the desk file has problems: " << desk_file << "\n";
        return 2;
    }
    auto seeded = SeedKnowledgeFromPack(*db, config);
    if (!seeded) {
        std::cerr << "kefu: cannot seed the knowledge base: " << seeded.error().message << "\n";
        db->Close();
        return 2;
    }
    auto runtime = SetUpDialogue(config, *db);
    if (!runtime) {
        std::cerr << "kefu: " << runtime.error().message << "\n";
        db->Close();
        return 2;
    }
    kb::KbService knowledge(*db, normaliser, KbServiceOptions(config));
    api::AuthOptions auth_options;
    auth_options.session_ttl_ms = config.auth.session_ttl_s * 1000;
    auth_options.lock_after = static_cast<int>(config.auth.lock_after);
    auth_options.lock_ms = config.auth.lock_s * 1000;
    auth_options.cookie_secure = config.auth.cookie_secure;
    api::StaffAuth staff(*db, auth_options);

    auto store = storage::sqlite::MakeConversationStore(*db);
    api::Hub hub;
    api::CustomerTokenVerifier tokens(token_secret);
    dialogue::PipelineHolder pipelines;
    api::ConversationService conversations(*store, pipelines, hub, tokens, static_cast<int>(config.dialogue.workers));
    conversations.SetUnansweredSink(
        [&knowledge](const api::ConversationRef& conv, const std::string& text, const dialogue::Decision& d) {
            kb::Gap gap;
            gap.conversation_id = conv.id;
            gap.language = d.reply_language;
            gap.text = text;
            gap.decision = d.action == "kb_clarify" ? "clarify" : "fallback";
            gap.best_id = d.knowledge.id;
            gap.confidence = d.knowledge.confidence;
            knowledge.RecordGap(std::move(gap));
        });

    api::DeskService desk(*db, hub, runtime->bank, std::move(desk_config.value()), config.desk.sla_check_interval_ms);
    conversations.SetDesk(&desk);

    net::Router router;
    api::RoleTable roles;
    api::AddConversationRoutes(router, conversations);
    api::AddKbRoutes(router, knowledge, staff, roles);
    api::AddDeskRoutes(router, roles, desk, staff, *db, conversations);
    // The role table itself, for administrators and the role-matrix test.
    api::AddStaffRoute(
        router, roles, staff, net::http::verb::get, "/api/v1/auth/routes", {"admin"},
        [&roles](net::RequestContext& ctx, const api::StaffMember&) -> boost::asio::awaitable<net::Response> {
            boost::system::error_code ec;
            co_return net::JsonResponse(ctx, net::http::status::ok,
                                        boost::json::object{{"routes", boost::json::parse(roles.ToJson(), ec)}});
        });
    api::AddOpsRoutes(router, {[&ready] { return ready.load(); }, config.web.root});

    net::ServerOptions opt;
    opt.host = config.server.host;
    opt.port = static_cast<int>(config.server.port);
    opt.io_threads = static_cast<int>(config.server.io_threads);
    opt.max_connections = static_cast<int>(config.server.max_connections);
    opt.max_header_bytes = static_cast<std::size_t>(config.server.max_header_bytes);
    opt.max_body_bytes = static_cast<std::size_t>(config.server.max_body_bytes);
    opt.read_timeout = std::chrono::milliseconds(config.server.read_timeout_ms);
    opt.idle_timeout = std::chrono::milliseconds(config.server.idle_timeout_ms);
    opt.rate_limit_rps = config.server.rate_limit_rps;
    opt.rate_limit_burst = config.server.rate_limit_burst;
    opt.shutdown_timeout = std::chrono::milliseconds(config.server.shutdown_timeout_ms);
    opt.websocket.max_message_bytes = static_cast<std::size_t>(config.server.ws_max_message_bytes);
    opt.cors.origins = net::ParseOrigins(config.server.cors_origins).value();  // checked when the config loaded
    // Knowledge-base files are uploaded as they are (CSV, JSON, YAML), up to 16 MB.
    opt.file_uploads.push_back({"/api/v1/kb/import", 16u << 20});

    net::Server server(opt, router, api::MakeConversationWebSocket(conversations));
    server.AddWebSocket(std::string(api::kDeskWebSocketPath), api::MakeDeskWebSocket(desk, staff));
    if (auto started = desk.Start(server.io_context().get_executor()); !started) {
        std::cerr << "kefu: the desk cannot start: " << started.error().message << "\n";
        return 1;
    }
    try {
        server.Listen();
    } catch (const std::exception& e) {
        log::Error("cannot listen", {{"host", opt.host}, {"port", opt.port}, {"error", e.what()}});
        std::cerr << "kefu: cannot listen on " << opt.host << ":" << opt.port << ": " << e.what() << "\n";
        return 1;
    }
    server.Start();
    // /healthz answers from here on; /readyz once the bot (rules and intent model) is loaded.
    if (!ReloadBot(config, normaliser, pipelines, knowledge, runtime.value(), true)) {
        desk.Stop();
        server.Shutdown();
        knowledge.Stop();
        db->Close();
        std::cerr << "kefu: cannot load the bot pack (see the log)\n";
        return 1;
    }
    ready.store(true);
    log::Info("ready", {{"port", server.port()},
                        {"storage", config.storage.path},
                        {"pack", config.bot.pack},
                        {"schema_version", db->schema_version()}});

    int sig = 0;
    for (;;) {
        sigwait(&stop_signals, &sig);
        if (sig != SIGHUP) break;
        // Reload the pack and the model; on failure the running bot stays as it was.
        log::Info("signal received", {{"signal", "SIGHUP"}});
        ReloadBot(config, normaliser, pipelines, knowledge, runtime.value(), false);
        desk_problems.clear();
        if (auto reloaded = desk::LoadDeskConfig(desk_file, &desk_problems)) {
            reloaded->labels = std::make_shared<const desk::PackLabels>(desk::LoadPackLabels(config.bot.pack));
            desk.SetConfig(std::move(reloaded.value()));
            log::Info("desk file reloaded", {{"file", desk_file}});
        } else {
            log::Error("desk file refused; the running one stays",
                       {{"file", desk_file}, {"problem", desk_problems.empty() ? "" : desk_problems.front()}});
        }
    }
    log::Info("signal received", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    ready.store(false);
    desk.Stop();
    server.Shutdown();
    knowledge.Stop();
    db->Close();
    log::Info("stopped");
    log::Flush();
    return 0;
}

}  // namespace kefu::app
