#pragma once

#include <memory>

#include "storage/conversation_store.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::storage::sqlite {

// ConversationStore on the SQLite Database (group-committed writes, pooled reads).
std::unique_ptr<ConversationStore> MakeConversationStore(Database& db);

}  // namespace kefu::storage::sqlite
