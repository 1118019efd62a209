#include "app/kb_command.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/staff.hpp"
#include "app/bot_loader.hpp"
#include "app/kb_setup.hpp"
#include "app/progress.hpp"
#include "core/clock.hpp"
#include "kb/gaps.hpp"
#include "kb/import.hpp"
#include "kb/index.hpp"
#include "nlu/normalise.hpp"

namespace kefu::app {

namespace json = boost::json;
using storage::sqlite::Connection;

namespace {

std::shared_ptr<const nlu::Normaliser> MakeNormaliser() {
    auto n = nlu::Normaliser::Create();
    if (!n) {
        std::cerr << "kefu: " << n.error().message << "\n";
        return nullptr;
    }
    return std::move(n.value());
}

}  // namespace

int KbImport(const Config& config, const KbImportArgs& args) {
    auto format = args.format.empty() ? kb::FormatFromPath(args.file) : kb::ParseFormat(args.format);
    if (!format) {
        std::cerr << "kefu: cannot tell the format of " << args.file << "; use --format csv|json|yaml\n";
        return 2;
    }
    std::ifstream in(args.file, std::ios::binary);
    if (!in) {
        std::cerr << "kefu: cannot read " << args.file << "\n";
        return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = kb::ParseImport(ss.str(), *format);
    if (!parsed.problems.empty()) {
        for (const auto& p : parsed.problems) std::cerr << args.file << ":" << p.line << ": " << p.message << "\n";
        std::cerr << "kefu: " << parsed.problems.size() << " problem(s); nothing was imported\n";
        return 1;
    }
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    auto counts = db->WriteAndWait<kb::ImportCounts>([&](Connection& c) {
        return kb::ImportEntries(c, parsed.items, args.publish, "cli", NowMillis(), args.dry_run);
    });
    db->Close();
    if (!counts) {
        std::cerr << "kefu: import failed, nothing was imported: " << counts.error().message << "\n";
        return 1;
    }
    std::cout << (args.dry_run ? "dry run (nothing changed): " : "imported: ") << counts->created << " created, "
              << counts->updated << " updated, " << counts->unchanged << " unchanged, " << counts->published
              << " published\n";
    return 0;
}

int KbExport(const Config& config, const std::string& format_name, const std::string& status,
             const std::string& out_file) {
    auto format = kb::ParseFormat(format_name);
    if (!format) {
        std::cerr << "kefu: --format must be csv, json or yaml\n";
        return 2;
    }
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    auto entries = db->ReadAndWait<std::vector<kb::Entry>>([&](Connection& c) { return kb::LoadForExport(c, status); });
    db->Close();
    if (!entries) {
        std::cerr << "kefu: " << entries.error().message << "\n";
        return 1;
    }
    std::string text = kb::Export(*entries, *format);
    if (out_file.empty() || out_file == "-") {
        std::cout << text;
    } else {
        std::ofstream out(out_file, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            std::cerr << "kefu: cannot write " << out_file << "\n";
            return 1;
        }
        std::cerr << "exported " << entries->size() << " entries to " << out_file << "\n";
    }
    return 0;
}

int KbQuery(const Config& config, int top, const std::string& language, std::istream& in, std::ostream& out) {
    auto normaliser = MakeNormaliser();
    if (!normaliser) return 1;
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    if (auto seeded = SeedKnowledgeFromPack(*db, config); !seeded) {
        std::cerr << "kefu: " << seeded.error().message << "\n";
        return 1;
    }
    auto live = db->ReadAndWait<std::vector<kb::PublishedEntry>>([](Connection& c) { return kb::LoadPublished(c); });
    db->Close();
    if (!live) {
        std::cerr << "kefu: " << live.error().message << "\n";
        return 1;
    }
    auto bot = LoadBot(config, normaliser);  // for the intent model the re-ranker uses
    if (!bot) {
        std::cerr << "kefu: cannot load the bot pack: " << bot.error().message << "\n";
        return 1;
    }
    auto service_options = KbServiceOptions(config);
    kb::IndexOptions o;
    o.dir = service_options.index_dir;
    o.answer_threshold = service_options.answer_threshold;
    o.clarify_threshold = service_options.clarify_threshold;
    Progress progress;
    o.progress = [&progress](double f) { progress("indexing", f); };
    auto index = kb::KbIndex::Build(std::move(*live), o, normaliser, bot->model);
    if (!index) {
        std::cerr << "kefu: " << index.error().message << "\n";
        return 1;
    }
    kb::SearchOptions so;
    so.language = language;
    so.top = top;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out << json::serialize(kb::SearchResultToJson((*index)->Search(line, so))) << "\n";
    }
    return 0;
}

int KbGaps(const Config& config, int days, int limit, bool as_json) {
    auto normaliser = MakeNormaliser();
    if (!normaliser) return 1;
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    std::int64_t since = NowMillis() - static_cast<std::int64_t>(days) * 86'400'000;
    auto gaps = db->ReadAndWait<std::vector<kb::Gap>>([since](Connection& c) { return kb::GapsSince(c, since, 5000); });
    db->Close();
    if (!gaps) {
        std::cerr << "kefu: " << gaps.error().message << "\n";
        return 1;
    }
    auto clusters = kb::ClusterGaps(*gaps, *normaliser, static_cast<std::size_t>(limit));
    if (as_json) {
        json::array a;
        for (const auto& c : clusters) a.push_back(kb::GapClusterToJson(c));
        std::cout << json::serialize(
                         json::object{{"clusters", std::move(a)}, {"total", static_cast<std::int64_t>(gaps->size())}})
                  << "\n";
        return 0;
    }
    std::cout << gaps->size() << " unanswered turns in the last " << days << " days, " << clusters.size()
              << " clusters\n";
    for (const auto& c : clusters) {
        std::cout << fmt::format("{:5}  {}", c.count, c.example);
        std::cout << "  [" << (c.languages.empty() ? "" : c.languages.front()) << (c.languages.size() > 1 ? "+" : "")
                  << ", last " << FormatIsoMillis(c.last_seen) << "]\n";
        for (std::size_t i = 1; i < c.examples.size() && i < 3; ++i) std::cout << "       " << c.examples[i] << "\n";
    }
    return 0;
}

int StaffAdd(const Config& config, const std::string& name, const std::string& role) {
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    auto token = db->WriteAndWait<std::string>([&](Connection& c) { return api::AddStaff(c, name, role); });
    db->Close();
    if (!token) {
        std::cerr << "kefu: " << token.error().message << "\n";
        return token.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
    }
    std::cerr << "staff member '" << name << "' (" << role << ") created; the token is shown once:\n";
    std::cout << *token << "\n";
    return 0;
}

}  // namespace kefu::app
