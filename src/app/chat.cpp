#include <algorithm>
#include <iostream>
#include <string>

#include "app/bot_loader.hpp"
#include "app/commands.hpp"
#include "app/dialogue_setup.hpp"
#include "app/kb_setup.hpp"
#include "nlu/normalise.hpp"

namespace kefu::app {

namespace {
void Print(std::ostream& out, const dialogue::BotMessage& m) {
    out << "bot> " << m.text << "\n";
    for (std::size_t i = 0; i < m.quick_replies.size(); ++i) {
        out << "     [" << (i + 1) << "] " << m.quick_replies[i].label << "\n";
    }
}
}  // namespace

int RunChat(const Config& config, const std::string& language, std::istream& in, std::ostream& out) {
    auto normaliser = nlu::Normaliser::Create();
    if (!normaliser) {
        std::cerr << "kefu: " << normaliser.error().message << "\n";
        return 1;
    }
    std::shared_ptr<const nlu::Normaliser> norm = std::move(normaliser.value());
    // The knowledge base lives in the database (seeded from the pack on first use), as in the server.
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    if (auto seeded = SeedKnowledgeFromPack(*db, config); !seeded) {
        std::cerr << "kefu: cannot seed the knowledge base: " << seeded.error().message << "\n";
        return 2;
    }
    auto runtime = SetUpDialogue(config, *db);
    if (!runtime) {
        std::cerr << "kefu: " << runtime.error().message << "\n";
        return 2;
    }
    kb::KbService knowledge(*db, norm, KbServiceOptions(config));
    auto bot = LoadBot(config, norm, knowledge.knowledge(), &runtime.value());
    if (!bot) {
        std::cerr << "kefu: cannot load the bot pack: " << bot.error().message << "\n";
        return 1;
    }
    if (auto started = knowledge.Start(bot->model); !started) {
        std::cerr << "kefu: cannot load the knowledge base: " << started.error().message << "\n";
        return 1;
    }
    const dialogue::Pipeline& pipeline = *bot->pipeline;
    dialogue::BotMessage last = pipeline.Welcome(language);
    Print(out, last);
    std::string line;
    std::string state;  // the dialogue state between turns, as the server keeps it in the database
    int turns = 0;
    while (out << "you> " << std::flush, std::getline(in, line)) {
        if (line.empty()) continue;
        // A number picks one of the last message's quick replies.
        if (line.size() <= 2 && std::all_of(line.begin(), line.end(), ::isdigit)) {
            auto idx = static_cast<std::size_t>(std::stoi(line));
            if (idx >= 1 && idx <= last.quick_replies.size()) line = last.quick_replies[idx - 1].payload;
        }
        const std::string message_id = std::to_string(++turns);
        dialogue::TurnInput input{"terminal", "cli", language, line, state, {}, message_id, {}};
        auto turn = pipeline.Run(input);
        if (turn.decision.state) state = *turn.decision.state;
        for (const auto& m : turn.replies) {
            Print(out, m);
            last = m;
        }
        // The sandbox has no real SMS gateway: show the code it "sent", as a phone would.
        if (runtime->sandbox_sms && runtime->bank) {
            for (const auto& e : turn.understanding.raw_entities) {
                if (e.type != "phone" || !e.value.contains("e164")) continue;
                std::string sms = runtime->sandbox_sms->Last(std::string(e.value.at("e164").as_string()));
                if (!sms.empty()) out << "sms> " << sms << "\n";
            }
        }
    }
    out << "\n";
    return 0;
}

}  // namespace kefu::app
