#pragma once
// The knowledge base's start-up: service options from the configuration, and the first-start seeding
// from the pack, shared by `kefu serve`, `kefu chat` and `kefu kb`.

#include "app/config.hpp"
#include "core/error.hpp"
#include "kb/service.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::app {

kb::ServiceOptions KbServiceOptions(const Config& config);

// When kb.seed_from_pack is on and the knowledge base has no entries at all, imports the pack's
// kb/faq*.csv|json|yaml files, published, as "system". Returns the number of entries created. A bad file
// fails with "file:line: reason".
Result<int> SeedKnowledgeFromPack(storage::sqlite::Database& db, const Config& config);

// Runs a store operation on the database and waits for it (for commands, not for I/O threads).
template <typename T>
Result<T> WriteAndWait(storage::sqlite::Database& db, std::function<Result<T>(storage::sqlite::Connection&)> fn);
template <typename T>
Result<T> ReadAndWait(storage::sqlite::Database& db, std::function<Result<T>(storage::sqlite::Connection&)> fn);

}  // namespace kefu::app

#include <future>

namespace kefu::app {

template <typename T>
Result<T> WriteAndWait(storage::sqlite::Database& db, std::function<Result<T>(storage::sqlite::Connection&)> fn) {
    std::promise<Result<T>> p;
    auto f = p.get_future();
    db.Write<T>(std::move(fn), [&p](Result<T> r) { p.set_value(std::move(r)); });
    return f.get();
}

template <typename T>
Result<T> ReadAndWait(storage::sqlite::Database& db, std::function<Result<T>(storage::sqlite::Connection&)> fn) {
    std::promise<Result<T>> p;
    auto f = p.get_future();
    db.Read<T>(std::move(fn), [&p](Result<T> r) { p.set_value(std::move(r)); });
    return f.get();
}

}  // namespace kefu::app
