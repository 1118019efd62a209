#pragma once
// The knowledge base's start-up: service options from the configuration, and the first-start seeding
// from the pack, shared by `kefu serve`, `kefu chat` and `kefu kb`.

#include "app/config.hpp"
#include "core/error.hpp"
#include "kb/service.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::app {

kb::ServiceOptions KbServiceOptions(const Config& config);

// The database for a command (one reader thread), or null after printing why it cannot be opened.
std::unique_ptr<storage::sqlite::Database> OpenCommandDatabase(const Config& config);

// When kb.seed_from_pack is on and the knowledge base has no entries at all, imports the pack's
// kb/faq*.csv|json|yaml files, published, as "system". Returns the number of entries created. A bad file
// fails with "file:line: reason".
Result<int> SeedKnowledgeFromPack(storage::sqlite::Database& db, const Config& config);

}  // namespace kefu::app
