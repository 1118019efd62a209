#pragma once
// The SQLite database: one writer thread with batched group commit, and a pool of reader threads.
//
// Write(fn, done): fn runs on the writer thread inside the current batch's transaction, under its own
// savepoint, so a failing operation rolls back alone. `done` is called only after the whole batch has
// COMMITted (synchronous=FULL, WAL), so a caller that acknowledges in `done` acknowledges only what is
// durable. Many writers' operations share one fsync: durability does not cost throughput.
// Read(fn, done): fn runs on a reader thread with a read-only connection (WAL: readers never block
// the writer).
// `done` runs on the storage thread; callers hop back to their executor (see storage/async.hpp).
// Thread-safe. Close() drains every queued operation, then stops the threads.

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"
#include "storage/sqlite/sqlite.hpp"

namespace kefu::storage::sqlite {

struct DatabaseOptions {
    std::string path = "var/kefu.db";  // parent directories are created
    int readers = 2;                   // reader threads
    int batch_max = 512;               // most operations in one transaction
    // Writes waiting beyond this are refused at once with kOverloaded: under overload, accepted messages
    // keep a bounded latency instead of every message waiting longer and longer.
    int max_pending_writes = 20000;
};

template <typename T>
using Callback = std::function<void(Result<T>)>;

class Database {
  public:
    // Opens the file, sets WAL and synchronous=FULL, and applies pending migrations. Throws on failure.
    static std::unique_ptr<Database> Open(const DatabaseOptions& options);
    ~Database();

    template <typename T>
    void Write(std::function<Result<T>(Connection&)> fn, Callback<T> done) {
        auto result = std::make_shared<std::optional<Result<T>>>();
        EnqueueWrite(WriteOp{[fn = std::move(fn), result](Connection& c) {
                                 *result = RunGuarded(fn, c);
                                 return result->has_value() && result->value().ok();
                             },
                             [done = std::move(done), result](const Error* failure) {
                                 if (failure) return done(*failure);
                                 done(std::move(**result));
                             }});
    }

    template <typename T>
    void Read(std::function<Result<T>(Connection&)> fn, Callback<T> done) {
        EnqueueRead([fn = std::move(fn), done = std::move(done)](Connection& c) { done(RunGuarded(fn, c)); });
    }

    // Write and Read that wait for the result, for commands and background threads (never an I/O thread,
    // and never the storage threads themselves).
    template <typename T>
    Result<T> WriteAndWait(std::function<Result<T>(Connection&)> fn) {
        std::promise<Result<T>> p;
        auto f = p.get_future();
        Write<T>(std::move(fn), [&p](Result<T> r) { p.set_value(std::move(r)); });
        return f.get();
    }
    template <typename T>
    Result<T> ReadAndWait(std::function<Result<T>(Connection&)> fn) {
        std::promise<Result<T>> p;
        auto f = p.get_future();
        Read<T>(std::move(fn), [&p](Result<T> r) { p.set_value(std::move(r)); });
        return f.get();
    }

    // Stops accepting work, finishes everything queued, checkpoints the WAL and closes. Idempotent.
    void Close();
    int schema_version() const { return schema_version_; }

  private:
    struct WriteOp {
        std::function<bool(Connection&)> run;              // returns false if the op failed (roll back its savepoint)
        std::function<void(const Error* failure)> finish;  // null when the batch committed
    };
    using ReadOp = std::function<void(Connection&)>;

    explicit Database(DatabaseOptions options);
    void EnqueueWrite(WriteOp op);
    void EnqueueRead(ReadOp op);
    void WriterLoop();
    void ReaderLoop(int index);
    void Migrate(Connection& c);

    template <typename T>
    static Result<T> RunGuarded(const std::function<Result<T>(Connection&)>& fn, Connection& c) {
        try {
            return fn(c);
        } catch (const std::exception& e) {
            log::Error("storage operation failed", {{"error", e.what()}});
            return Error{ErrorCode::kInternal, "storage error"};
        }
    }

    DatabaseOptions options_;
    int schema_version_ = 0;
    std::unique_ptr<Connection> writer_conn_;

    std::mutex write_mu_;
    std::condition_variable write_cv_;
    std::deque<WriteOp> write_queue_;  // guarded by write_mu_
    bool stopping_ = false;            // guarded by write_mu_ and read_mu_ (set under both)

    std::mutex read_mu_;
    std::condition_variable read_cv_;
    std::deque<ReadOp> read_queue_;  // guarded by read_mu_

    std::thread writer_;
    std::vector<std::thread> readers_;
    bool closed_ = false;
};

}  // namespace kefu::storage::sqlite
