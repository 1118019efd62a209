#include "storage/sqlite/database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "core/clock.hpp"
#include "core/embedded.hpp"
#include "core/metrics.hpp"
#include "core/thread_name.hpp"

namespace kefu::storage::sqlite {

namespace {

metrics::Histogram& CommitLatency() {
    static auto& h = metrics::Default().GetHistogram("kefu_storage_commit_seconds",
                                                     "Time to COMMIT one group-commit batch (includes fsync).");
    return h;
}
metrics::Histogram& BatchSize() {
    static auto& h = metrics::Default().GetHistogram("kefu_storage_batch_operations",
                                                     "Write operations committed together in one batch.", {},
                                                     {1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
    return h;
}

metrics::Counter& RefusedWrites() {
    static auto& c = metrics::Default().GetCounter("kefu_storage_writes_refused_total",
                                                   "Writes refused because the write queue was full or closed.");
    return c;
}

}  // namespace

std::unique_ptr<Database> Database::Open(const DatabaseOptions& options) {
    std::filesystem::path p(options.path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
    std::unique_ptr<Database> db(new Database(options));
    db->writer_conn_ = std::make_unique<Connection>(options.path, false);
    Connection& w = *db->writer_conn_;
    w.Exec("PRAGMA journal_mode=WAL");
    w.Exec("PRAGMA synchronous=FULL");
    w.Exec("PRAGMA foreign_keys=ON");
    // Savepoint sub-journals and temporary b-trees stay in memory; a 64 MiB page cache keeps the hot
    // conversations' pages from being re-read from the WAL on every write.
    w.Exec("PRAGMA temp_store=MEMORY");
    w.Exec("PRAGMA cache_size=-65536");
    db->Migrate(w);
    db->writer_ = std::thread([raw = db.get()] {
        SetThreadName("kefu-db-writer");
        raw->WriterLoop();
    });
    for (int i = 0; i < std::max(1, options.readers); ++i) {
        db->readers_.emplace_back([raw = db.get(), i] {
            SetThreadName("kefu-db-reader");
            raw->ReaderLoop(i);
        });
    }
    return db;
}

Database::Database(DatabaseOptions options) : options_(std::move(options)) {}

Database::~Database() { Close(); }

void Database::Migrate(Connection& c) {
    c.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at INTEGER NOT NULL)");
    auto& cur = c.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    cur.Step();
    int current = static_cast<int>(cur.Int(0));
    cur.Reset();

    std::vector<embedded::File> files;
    for (const auto& f : embedded::MigrationFiles()) {
        if (f.path.starts_with("sqlite/")) files.push_back(f);
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    for (const auto& f : files) {
        std::string name(f.path.substr(7));  // "0001_conversations.sql"
        int version = std::stoi(name.substr(0, 4));
        if (version <= current) continue;
        c.Exec("BEGIN IMMEDIATE");
        try {
            c.Exec(f.data);
            c.Prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)")
                .Bind(1, static_cast<std::int64_t>(version))
                .Bind(2, name)
                .Bind(3, NowMillis())
                .Run();
            c.Exec("COMMIT");
        } catch (...) {
            c.Exec("ROLLBACK");
            throw;
        }
        log::Info("storage migration applied", {{"version", version}, {"name", name}});
        current = version;
    }
    schema_version_ = current;
}

void Database::EnqueueWrite(WriteOp op) {
    bool closed = false;
    {
        std::lock_guard lock(write_mu_);
        closed = stopping_;
        if (!stopping_ && write_queue_.size() < static_cast<std::size_t>(options_.max_pending_writes)) {
            write_queue_.push_back(std::move(op));
            write_cv_.notify_one();
            return;
        }
    }
    static const Error kBusy{ErrorCode::kOverloaded, "storage is overloaded; try again shortly"};
    static const Error kClosed{ErrorCode::kUnavailable, "storage is closed"};
    RefusedWrites().Inc();
    op.finish(closed ? &kClosed : &kBusy);
}

void Database::EnqueueRead(ReadOp op) {
    {
        std::lock_guard lock(read_mu_);
        if (!stopping_) {
            read_queue_.push_back(std::move(op));
            read_cv_.notify_one();
            return;
        }
    }
    // Closing: serve the read on the caller's thread rather than drop its callback.
    Connection tmp(options_.path, true);
    op(tmp);
}

void Database::WriterLoop() {
    Connection& c = *writer_conn_;
    std::vector<WriteOp> batch;
    for (;;) {
        {
            std::unique_lock lock(write_mu_);
            write_cv_.wait(lock, [&] { return stopping_ || !write_queue_.empty(); });
            if (write_queue_.empty()) return;  // stopping and drained
            std::size_t n = std::min<std::size_t>(write_queue_.size(), static_cast<std::size_t>(options_.batch_max));
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(write_queue_.front()));
                write_queue_.pop_front();
            }
        }
        bool committed = false;
        try {
            c.Exec("BEGIN IMMEDIATE");
            for (auto& op : batch) {
                c.Exec("SAVEPOINT op");
                bool ok = false;
                try {
                    ok = op.run(c);
                } catch (const std::exception& e) {
                    log::Error("storage write failed", {{"error", e.what()}});
                }
                if (!ok) c.Exec("ROLLBACK TO op");
                c.Exec("RELEASE op");
            }
            auto t0 = std::chrono::steady_clock::now();
            c.Exec("COMMIT");
            CommitLatency().Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            BatchSize().Observe(static_cast<double>(batch.size()));
            committed = true;
        } catch (const std::exception& e) {
            log::Error("storage commit failed", {{"error", e.what()}, {"operations", batch.size()}});
            try {
                c.Exec("ROLLBACK");
            } catch (...) {
            }
        }
        static const Error kCommitFailed{ErrorCode::kInternal, "storage commit failed"};
        for (auto& op : batch) op.finish(committed ? nullptr : &kCommitFailed);
        batch.clear();
    }
}

void Database::ReaderLoop(int index) {
    std::unique_ptr<Connection> conn;
    try {
        conn = std::make_unique<Connection>(options_.path, true);
        conn->Exec("PRAGMA cache_size=-32768");
        conn->Exec("PRAGMA mmap_size=268435456");
    } catch (const std::exception& e) {
        log::Error("storage reader failed to open", {{"reader", index}, {"error", e.what()}});
    }
    for (;;) {
        ReadOp op;
        {
            std::unique_lock lock(read_mu_);
            read_cv_.wait(lock, [&] { return stopping_ || !read_queue_.empty(); });
            if (read_queue_.empty()) return;
            op = std::move(read_queue_.front());
            read_queue_.pop_front();
        }
        if (conn) {
            op(*conn);
        } else {
            // Fall back to a fresh connection per op rather than losing the callback.
            Connection tmp(options_.path, true);
            op(tmp);
        }
    }
}

void Database::Close() {
    if (closed_) return;
    closed_ = true;
    {
        std::scoped_lock lock(write_mu_, read_mu_);
        stopping_ = true;
    }
    write_cv_.notify_all();
    read_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    for (auto& r : readers_) {
        if (r.joinable()) r.join();
    }
    if (writer_conn_) {
        try {
            writer_conn_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (const std::exception& e) {
            log::Warn("storage checkpoint failed", {{"error", e.what()}});
        }
        writer_conn_.reset();
    }
    log::Info("storage closed");
}

}  // namespace kefu::storage::sqlite
