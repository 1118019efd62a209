#pragma once

#include <memory>

#include "storage/conversation_store.hpp"
#include "storage/sqlite/database.hpp"

namespace kefu::storage::sqlite {

// Building blocks for other SQLite-backed services (the desk) that write messages in their own transactions.
Result<ConversationRecord> LoadConversation(Connection& c, const std::string& id);
// The stored customer message with this client id and the replies to it, if any.
std::optional<AppendOutcome> LoadTurn(Connection& c, const std::string& conversation_id,
                                      const std::string& client_message_id);
// Inserts one message with the next seq. Requires a write transaction.
MessageRecord InsertMessage(Connection& c, const std::string& conversation_id, const NewMessage& m);

// ConversationStore on the SQLite Database (group-committed writes, pooled reads).
std::unique_ptr<ConversationStore> MakeConversationStore(Database& db);

}  // namespace kefu::storage::sqlite
