#include "app/kb_setup.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iostream>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "kb/import.hpp"

namespace kefu::app {

namespace fs = std::filesystem;

std::unique_ptr<storage::sqlite::Database> OpenCommandDatabase(const Config& config) {
    try {
        return storage::sqlite::Database::Open({config.storage.path, 1, static_cast<int>(config.storage.batch_max)});
    } catch (const std::exception& e) {
        std::cerr << "kefu: cannot open storage " << config.storage.path << ": " << e.what() << "\n";
        return nullptr;
    }
}

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
    auto count = db.ReadAndWait<std::int64_t>([](storage::sqlite::Connection& c) -> Result<std::int64_t> {
        auto& s = c.Prepare("SELECT COUNT(*) FROM kb_entries");
        s.Step();
        auto n = s.Int(0);
        s.Reset();
        return n;
    });
    if (!count) return count.error();
    if (*count > 0) return 0;
    fs::path dir = fs::path(config.bot.pack) / "kb";
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(dir, ec)) {
        auto name = f.path().filename().string();
        if (name.starts_with("faq") && kb::FormatFromPath(name)) files.push_back(f.path().string());
    }
    std::sort(files.begin(), files.end());
    // Files split by language share ids: one entry per id.
    auto loaded = kb::LoadPublishedFromFiles(files);
    if (!loaded) return loaded.error();
    std::vector<kb::ImportItem> items;
    for (auto& e : *loaded) items.push_back(kb::ImportItem{std::move(e.id), std::move(e.body), 0});
    if (items.empty()) return 0;
    auto counts = db.WriteAndWait<kb::ImportCounts>(
        [&items](storage::sqlite::Connection& c) { return kb::ImportEntries(c, items, true, "system", NowMillis()); });
    if (!counts) return counts.error();
    log::Info("knowledge base seeded from the pack", {{"pack", config.bot.pack}, {"entries", counts->created}});
    return counts->created;
}

}  // namespace kefu::app
