#pragma once
// The knowledge base in SQL (docs/kb.md, migration 0002_kb.sql). Every function runs synchronously on the
// connection it is given, inside the caller's transaction: the server calls them from Database::Write /
// Read (so each change is one durable group-committed unit, all or nothing), the CLI the same way.
// Lifecycle rules live here so that the API, the CLI and the importer cannot disagree on them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "kb/entry.hpp"
#include "storage/sqlite/sqlite.hpp"

namespace kefu::kb {

using storage::sqlite::Connection;

struct ListFilter {
    std::string q;         // substring of id, question, paraphrase or answer (case-insensitive for ASCII)
    std::string status;    // "" = any except archived; or one status; "all" = any
    std::string category;  // "" = any
    std::string language;  // "" = any; else entries with content in that language
    int limit = 50;
    int offset = 0;
};

struct EntryPage {
    std::vector<Entry> entries;
    std::int64_t total = 0;
};

struct AuditEvent {
    std::int64_t seq = 0;
    std::int64_t at = 0;
    std::string actor;
    std::string action;
    std::string entry_id;
    std::int64_t version = 0;
    std::string detail;  // JSON
};

struct Gap {
    std::int64_t at = 0;
    std::string conversation_id;
    std::string language;
    std::string text;      // masked before it gets here
    std::string decision;  // clarify | fallback
    std::string best_id;
    double confidence = 0;
};

// Lifecycle actions that move the working version: submit, approve, reject, archive.
enum class Transition { kSubmit, kApprove, kReject, kArchive };

struct TransitionOptions {
    bool four_eyes = false;  // approve: the reviewer must differ from the version's author
    std::string comment;     // reject: why (recorded in the audit trail)
};

// An entry read from an import file, with the line it started on.
struct ImportItem {
    std::string id;
    EntryBody body;
    int line = 0;
};

struct ImportCounts {
    int created = 0;
    int updated = 0;
    int unchanged = 0;
    int published = 0;
};

[[nodiscard]] Result<Entry> GetEntry(Connection& c, const std::string& id);
[[nodiscard]] Result<EntryPage> ListEntries(Connection& c, const ListFilter& filter);
// Creates version 1 as a draft (or published when `publish`). kConflict if the id exists.
[[nodiscard]] Result<Entry> CreateEntry(Connection& c, const std::string& id, const EntryBody& body,
                                        const std::string& actor, std::int64_t now, bool publish = false,
                                        std::string_view action = "create");
// Saves a new version as a draft. kConflict when `expected_version` is not the current one.
[[nodiscard]] Result<Entry> UpdateEntry(Connection& c, const std::string& id, std::int64_t expected_version,
                                        const EntryBody& body, const std::string& actor, std::int64_t now);
[[nodiscard]] Result<Entry> TransitionEntry(Connection& c, const std::string& id, std::int64_t expected_version,
                                            Transition t, const std::string& actor, std::int64_t now,
                                            const TransitionOptions& options = {});
// Copies version `to_version` into a new version and publishes it.
[[nodiscard]] Result<Entry> RollbackEntry(Connection& c, const std::string& id, std::int64_t expected_version,
                                          std::int64_t to_version, const std::string& actor, std::int64_t now);
// Newest first.
[[nodiscard]] Result<std::vector<VersionRecord>> History(Connection& c, const std::string& id);
[[nodiscard]] Result<std::vector<AuditEvent>> ListAudit(Connection& c, const std::string& entry_id, int limit);
// Applies every item, or (on the first failure) returns the error for the caller to roll back. A dry run
// applies them inside its own savepoint and rolls that back: the counts are exactly what an import would do.
[[nodiscard]] Result<ImportCounts> ImportEntries(Connection& c, const std::vector<ImportItem>& items, bool publish,
                                                 const std::string& actor, std::int64_t now, bool dry_run = false);

// The live versions of every published entry: what customers are answered from.
[[nodiscard]] Result<std::vector<PublishedEntry>> LoadPublished(Connection& c);
// For export: "published" gives every live version (what customers get, even under a newer draft); any
// other status gives the working versions with that status, "all" every working version.
[[nodiscard]] Result<std::vector<Entry>> LoadForExport(Connection& c, const std::string& status);
// Grows with every change to the knowledge base; another process compares it to notice changes.
std::int64_t ChangeCounter(Connection& c);

void RecordGap(Connection& c, const Gap& gap);
[[nodiscard]] Result<std::vector<Gap>> GapsSince(Connection& c, std::int64_t since_ms, int max_rows);

}  // namespace kefu::kb
