#include "app/kb_setup.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "kb/import.hpp"

namespace kefu::app {

namespace fs = std::filesystem;

kb::ServiceOptions KbServiceOptions(const Config& config) {
    kb::ServiceOptions o;
    o.answer_threshold = config.kb.answer_threshold;
    o.clarify_threshold = config.kb.clarify_threshold;
    o.poll_ms = static_cast<int>(config.kb.poll_ms);
    o.four_eyes = config.kb.four_eyes;
    // Index builds go under kb-index/<pid>: the server and `kefu kb query` may share the data directory.
    // Directories of processes that are gone (a crash, kill -9) are removed here.
    fs::path parent = fs::path(config.storage.path).parent_path() / "kb-index";
    std::error_code ec;
    for (const auto& d : fs::directory_iterator(parent, ec)) {
        const std::string name = d.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid != getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(d.path(), ec);
    }
    o.index_dir = (parent / std::to_string(getpid())).string();
    o.cache_dir = config.bot.model_dir;
    return o;
}

Result<int> SeedKnowledgeFromPack(storage::sqlite::Database& db, const Config& config) {
    if (!config.kb.seed_from_pack) return 0;
    auto count = ReadAndWait<std::int64_t>(db, [](storage::sqlite::Connection& c) -> Result<std::int64_t> {
        auto& s = c.Prepare("SELECT COUNT(*) FROM kb_entries");
        s.Step();
        auto n = s.Int(0);
        s.Reset();
        return n;
    });
    if (!count) return count.error();
    if (*count > 0) return 0;
    fs::path dir = fs::path(config.bot.pack) / "kb";
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(dir, ec)) {
        auto name = f.path().filename().string();
        if (name.starts_with("faq") && kb::FormatFromPath(name)) files.push_back(f.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<kb::ImportItem> items;
    for (const auto& path : files) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        auto parsed = kb::ParseImport(ss.str(), *kb::FormatFromPath(path.string()));
        if (!parsed.problems.empty()) {
            const auto& p = parsed.problems.front();
            return Error{ErrorCode::kInvalidArgument, path.string() + ":" + std::to_string(p.line) + ": " + p.message};
        }
        // Files split by language share ids: merge the languages of one id into one entry.
        for (auto& item : parsed.items) {
            auto it =
                std::find_if(items.begin(), items.end(), [&](const kb::ImportItem& x) { return x.id == item.id; });
            if (it == items.end()) {
                items.push_back(std::move(item));
                continue;
            }
            for (auto& [lang, content] : item.body.content) it->body.content[lang] = std::move(content);
            if (it->body.category.empty()) it->body.category = item.body.category;
            for (auto& t : item.body.tags) {
                if (std::find(it->body.tags.begin(), it->body.tags.end(), t) == it->body.tags.end())
                    it->body.tags.push_back(t);
            }
        }
    }
    if (items.empty()) return 0;
    auto counts = WriteAndWait<kb::ImportCounts>(db, [&items](storage::sqlite::Connection& c) {
        return kb::ImportEntries(c, items, true, "system", NowMillis());
    });
    if (!counts) return counts.error();
    log::Info("knowledge base seeded from the pack", {{"pack", config.bot.pack}, {"entries", counts->created}});
    return counts->created;
}

}  // namespace kefu::app
