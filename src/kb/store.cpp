#include "kb/store.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace kefu::kb {

namespace json = boost::json;

namespace {

Error Conflict(std::string m) { return Error{ErrorCode::kConflict, std::move(m)}; }
Error NotFound() { return Error{ErrorCode::kNotFound, "no such knowledge-base entry"}; }

std::string BodyText(const EntryBody& b) { return json::serialize(BodyToJson(b)); }

EntryBody ParseBody(const std::string& text) {
    auto v = json::parse(text);
    auto b = BodyFromJson(v.as_object());
    if (!b) throw std::runtime_error("stored knowledge-base body does not parse: " + b.error().message);
    return std::move(b.value());
}

constexpr std::string_view kEntryColumns =
    "e.id, e.version, e.status, e.published_version, e.created_at, e.created_by, e.updated_at, e.updated_by, "
    "v.body";

Entry ReadEntry(storage::sqlite::Statement& s) {
    Entry e;
    e.id = s.Text(0);
    e.version = s.Int(1);
    e.status = s.Text(2);
    e.published_version = s.OptInt(3);
    e.created_at = s.Int(4);
    e.created_by = s.Text(5);
    e.updated_at = s.Int(6);
    e.updated_by = s.Text(7);
    e.body = ParseBody(s.Text(8));
    return e;
}

// The fields that differ between two bodies, for the audit trail ("content.en.answer", "tags").
json::array ChangedFields(const EntryBody& a, const EntryBody& b) {
    json::array out;
    if (a.category != b.category) out.emplace_back("category");
    if (a.tags != b.tags) out.emplace_back("tags");
    if (a.effective_from != b.effective_from) out.emplace_back("effective_from");
    if (a.effective_until != b.effective_until) out.emplace_back("effective_until");
    for (const char* lang : {"zh", "en"}) {
        auto ia = a.content.find(lang);
        auto ib = b.content.find(lang);
        bool ha = ia != a.content.end();
        bool hb = ib != b.content.end();
        std::string at = std::string("content.") + lang;
        if (ha != hb) {
            out.emplace_back(at);
            continue;
        }
        if (!ha) continue;
        if (ia->second.question != ib->second.question) out.emplace_back(at + ".question");
        if (ia->second.paraphrases != ib->second.paraphrases) out.emplace_back(at + ".paraphrases");
        if (ia->second.answer != ib->second.answer) out.emplace_back(at + ".answer");
        if (ia->second.variants != ib->second.variants) out.emplace_back(at + ".variants");
    }
    return out;
}

void Audit(Connection& c, std::int64_t now, const std::string& actor, std::string_view action, const std::string& id,
           std::int64_t version, const json::object& detail) {
    c.Prepare("INSERT INTO kb_audit(at, actor, action, entry_id, version, detail) VALUES (?, ?, ?, ?, ?, ?)")
        .Bind(1, now)
        .Bind(2, actor)
        .Bind(3, action)
        .Bind(4, id)
        .Bind(5, version)
        .Bind(6, json::serialize(detail))
        .Run();
}

void InsertVersion(Connection& c, const std::string& id, std::int64_t version, std::string_view status,
                   std::string_view action, const EntryBody& body, const std::string& author, std::int64_t now,
                   bool reviewed) {
    auto& s = c.Prepare(
        "INSERT INTO kb_versions(entry_id, version, status, action, body, author, reviewer, created_at, reviewed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, id).Bind(2, version).Bind(3, status).Bind(4, action).Bind(5, BodyText(body)).Bind(6, author);
    if (reviewed) {
        s.Bind(7, author).Bind(9, now);
    } else {
        s.BindNull(7).BindNull(9);
    }
    s.Bind(8, now).Run();
}

Result<Entry> CheckVersion(Connection& c, const std::string& id, std::int64_t expected) {
    auto e = GetEntry(c, id);
    if (!e) return e.error();
    if (e->version != expected) {
        return Conflict("the entry has changed since version " + std::to_string(expected) + "; it is now version " +
                        std::to_string(e->version));
    }
    return e;
}

// Writes a new working version of an existing entry.
Result<Entry> SaveNewVersion(Connection& c, const Entry& current, const EntryBody& body, const std::string& actor,
                             std::int64_t now, std::string_view action, bool publish,
                             std::optional<std::int64_t> from_version = std::nullopt) {
    std::int64_t v = current.version + 1;
    std::string status(publish ? kPublished : kDraft);
    InsertVersion(c, current.id, v, status, action, body, actor, now, publish);
    c.Prepare(
         "UPDATE kb_entries SET version = ?, status = ?, published_version = CASE WHEN ? THEN ? ELSE "
         "published_version END, category = ?, updated_at = ?, updated_by = ? WHERE id = ?")
        .Bind(1, v)
        .Bind(2, status)
        .Bind(3, static_cast<std::int64_t>(publish))
        .Bind(4, v)
        .Bind(5, body.category)
        .Bind(6, now)
        .Bind(7, actor)
        .Bind(8, current.id)
        .Run();
    json::object detail{{"changed", ChangedFields(current.body, body)}};
    if (from_version) detail["from_version"] = *from_version;
    if (publish) detail["published"] = true;
    Audit(c, now, actor, action, current.id, v, detail);
    return GetEntry(c, current.id);
}

}  // namespace

Result<Entry> GetEntry(Connection& c, const std::string& id) {
    auto& s = c.Prepare(std::string("SELECT ") + std::string(kEntryColumns) +
                        " FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version "
                        "WHERE e.id = ?");
    s.Bind(1, id);
    if (!s.Step()) return NotFound();
    Entry e = ReadEntry(s);
    s.Reset();
    return e;
}

Result<EntryPage> ListEntries(Connection& c, const ListFilter& f) {
    std::string where = " WHERE 1=1";
    std::vector<std::string> args;
    if (f.status.empty()) {
        where += " AND e.status <> 'archived'";
    } else if (f.status != "all") {
        where += " AND e.status = ?";
        args.push_back(f.status);
    }
    if (!f.category.empty()) {
        where += " AND e.category = ?";
        args.push_back(f.category);
    }
    if (!f.language.empty()) {
        // The body is JSON written by BodyToJson: "content":{"en":{...}}; json_extract keeps this exact.
        where += " AND json_extract(v.body, '$.content.' || ?) IS NOT NULL";
        args.push_back(f.language);
    }
    if (!f.q.empty()) {
        where += " AND (instr(lower(e.id), lower(?)) > 0 OR instr(lower(v.body), lower(?)) > 0)";
        args.push_back(f.q);
        args.push_back(f.q);
    }
    const std::string from =
        " FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version" + where;
    EntryPage page;
    {
        auto& s = c.Prepare("SELECT COUNT(*)" + from);
        for (std::size_t i = 0; i < args.size(); ++i) s.Bind(static_cast<int>(i + 1), args[i]);
        s.Step();
        page.total = s.Int(0);
        s.Reset();
    }
    auto& s = c.Prepare(std::string("SELECT ") + std::string(kEntryColumns) + from +
                        " ORDER BY e.updated_at DESC, e.id LIMIT ? OFFSET ?");
    int n = 1;
    for (const auto& a : args) s.Bind(n++, a);
    s.Bind(n++, static_cast<std::int64_t>(f.limit));
    s.Bind(n, static_cast<std::int64_t>(f.offset));
    while (s.Step()) page.entries.push_back(ReadEntry(s));
    return page;
}

Result<Entry> CreateEntry(Connection& c, const std::string& id, const EntryBody& body, const std::string& actor,
                          std::int64_t now, bool publish, std::string_view action) {
    if (!ValidEntryId(id)) return Error{ErrorCode::kInvalidArgument, "id must be 1-64 characters of a-z 0-9 - _ ."};
    if (auto v = Validate(body); !v) return v.error();
    {
        auto& s = c.Prepare("SELECT 1 FROM kb_entries WHERE id = ?");
        s.Bind(1, id);
        bool exists = s.Step();
        s.Reset();
        if (exists) return Conflict("an entry with id '" + id + "' already exists");
    }
    std::string status(publish ? kPublished : kDraft);
    auto& s = c.Prepare(
        "INSERT INTO kb_entries(id, version, status, published_version, category, created_at, created_by, "
        "updated_at, updated_by) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, id).Bind(2, status);
    if (publish) {
        s.Bind(3, std::int64_t{1});
    } else {
        s.BindNull(3);
    }
    s.Bind(4, body.category).Bind(5, now).Bind(6, actor).Bind(7, now).Bind(8, actor).Run();
    InsertVersion(c, id, 1, status, action, body, actor, now, publish);
    json::object detail;
    if (publish) detail["published"] = true;
    Audit(c, now, actor, action, id, 1, detail);
    return GetEntry(c, id);
}

Result<Entry> UpdateEntry(Connection& c, const std::string& id, std::int64_t expected_version, const EntryBody& body,
                          const std::string& actor, std::int64_t now) {
    if (auto v = Validate(body); !v) return v.error();
    auto current = CheckVersion(c, id, expected_version);
    if (!current) return current.error();
    return SaveNewVersion(c, *current, body, actor, now, "update", false);
}

Result<Entry> TransitionEntry(Connection& c, const std::string& id, std::int64_t expected_version, Transition t,
                              const std::string& actor, std::int64_t now, const TransitionOptions& options) {
    auto current = CheckVersion(c, id, expected_version);
    if (!current) return current.error();
    std::string_view from = current->status;
    std::string_view to;
    std::string_view action;
    switch (t) {
        case Transition::kSubmit:
            if (from != kDraft)
                return Conflict("only a draft can be submitted for review; the entry is " + current->status);
            to = kInReview;
            action = "submit";
            break;
        case Transition::kApprove:
            if (from != kInReview)
                return Conflict("only an entry in review can be approved; the entry is " + current->status);
            to = kPublished;
            action = "approve";
            break;
        case Transition::kReject:
            if (from != kInReview)
                return Conflict("only an entry in review can be rejected; the entry is " + current->status);
            to = kDraft;
            action = "reject";
            break;
        case Transition::kArchive:
            if (from == kArchived) return Conflict("the entry is already archived");
            to = kArchived;
            action = "archive";
            break;
    }
    auto& author_q = c.Prepare("SELECT author FROM kb_versions WHERE entry_id = ? AND version = ?");
    author_q.Bind(1, id).Bind(2, current->version);
    std::string author = author_q.Step() ? author_q.Text(0) : std::string();
    author_q.Reset();
    if (t == Transition::kApprove && options.four_eyes && author == actor) {
        return Error{ErrorCode::kForbidden, "four-eyes review: the author of a version cannot approve it"};
    }
    // A transition does not create a version: it moves the working version along.
    c.Prepare("UPDATE kb_versions SET status = ? WHERE entry_id = ? AND version = ?")
        .Bind(1, to)
        .Bind(2, id)
        .Bind(3, current->version)
        .Run();
    if (t == Transition::kApprove || t == Transition::kReject) {
        c.Prepare("UPDATE kb_versions SET reviewer = ?, reviewed_at = ? WHERE entry_id = ? AND version = ?")
            .Bind(1, actor)
            .Bind(2, now)
            .Bind(3, id)
            .Bind(4, current->version)
            .Run();
    }
    auto& s = c.Prepare(
        "UPDATE kb_entries SET status = ?, published_version = CASE ? WHEN 1 THEN version WHEN 2 THEN NULL ELSE "
        "published_version END, updated_at = ?, updated_by = ? WHERE id = ?");
    s.Bind(1, to)
        .Bind(2, std::int64_t{t == Transition::kApprove   ? 1
                              : t == Transition::kArchive ? 2
                                                          : 0})
        .Bind(3, now)
        .Bind(4, actor)
        .Bind(5, id)
        .Run();
    json::object detail{{"from", from}, {"to", to}};
    if (!options.comment.empty()) detail["comment"] = options.comment;
    Audit(c, now, actor, action, id, current->version, detail);
    return GetEntry(c, id);
}

Result<Entry> RollbackEntry(Connection& c, const std::string& id, std::int64_t expected_version,
                            std::int64_t to_version, const std::string& actor, std::int64_t now) {
    auto current = CheckVersion(c, id, expected_version);
    if (!current) return current.error();
    auto& s = c.Prepare("SELECT body FROM kb_versions WHERE entry_id = ? AND version = ?");
    s.Bind(1, id).Bind(2, to_version);
    if (!s.Step()) {
        return Error{ErrorCode::kInvalidArgument, "the entry has no version " + std::to_string(to_version)};
    }
    EntryBody body = ParseBody(s.Text(0));
    s.Reset();
    return SaveNewVersion(c, *current, body, actor, now, "rollback", true, to_version);
}

Result<std::vector<VersionRecord>> History(Connection& c, const std::string& id) {
    if (auto e = GetEntry(c, id); !e) return e.error();
    auto& s = c.Prepare(
        "SELECT version, status, action, body, author, reviewer, created_at, reviewed_at FROM kb_versions "
        "WHERE entry_id = ? ORDER BY version DESC");
    s.Bind(1, id);
    std::vector<VersionRecord> out;
    while (s.Step()) {
        VersionRecord v;
        v.version = s.Int(0);
        v.status = s.Text(1);
        v.action = s.Text(2);
        v.body = ParseBody(s.Text(3));
        v.author = s.Text(4);
        v.reviewer = s.OptText(5);
        v.created_at = s.Int(6);
        v.reviewed_at = s.OptInt(7);
        out.push_back(std::move(v));
    }
    return out;
}

Result<std::vector<AuditEvent>> ListAudit(Connection& c, const std::string& entry_id, int limit) {
    auto& s = c.Prepare(
        "SELECT seq, at, actor, action, entry_id, version, detail FROM kb_audit WHERE (? = '' OR entry_id = ?) "
        "ORDER BY seq DESC LIMIT ?");
    s.Bind(1, entry_id).Bind(2, entry_id).Bind(3, static_cast<std::int64_t>(limit));
    std::vector<AuditEvent> out;
    while (s.Step()) {
        out.push_back(AuditEvent{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5), s.Text(6)});
    }
    return out;
}

Result<ImportCounts> ImportEntries(Connection& c, const std::vector<ImportItem>& items, bool publish,
                                   const std::string& actor, std::int64_t now, bool dry_run) {
    if (dry_run) {
        c.Exec("SAVEPOINT kb_import_dry_run");
        auto r = ImportEntries(c, items, publish, actor, now, false);
        c.Exec("ROLLBACK TO kb_import_dry_run");
        c.Exec("RELEASE kb_import_dry_run");
        return r;
    }
    ImportCounts counts;
    for (const auto& item : items) {
        auto current = GetEntry(c, item.id);
        if (!current) {
            if (current.error().code != ErrorCode::kNotFound) return current.error();
            auto created = CreateEntry(c, item.id, item.body, actor, now, publish, "import");
            if (!created) return created.error();
            ++counts.created;
            counts.published += publish;
            continue;
        }
        bool same = current->body == item.body;
        bool live = current->published_version == current->version;
        if (same && (!publish || live)) {
            ++counts.unchanged;
            continue;
        }
        if (same) {
            // Unchanged content that is not live yet: publish the working version as it is (no new version).
            c.Prepare(
                 "UPDATE kb_versions SET status = ?, reviewer = ?, reviewed_at = ? WHERE entry_id = ? AND version = ?")
                .Bind(1, kPublished)
                .Bind(2, actor)
                .Bind(3, now)
                .Bind(4, current->id)
                .Bind(5, current->version)
                .Run();
            c.Prepare(
                 "UPDATE kb_entries SET status = ?, published_version = version, updated_at = ?, updated_by = ? "
                 "WHERE id = ?")
                .Bind(1, kPublished)
                .Bind(2, now)
                .Bind(3, actor)
                .Bind(4, current->id)
                .Run();
            Audit(c, now, actor, "import", current->id, current->version,
                  json::object{{"from", current->status}, {"to", kPublished}, {"published", true}});
            ++counts.unchanged;
            ++counts.published;
            continue;
        }
        auto saved = SaveNewVersion(c, *current, item.body, actor, now, "import", publish);
        if (!saved) return saved.error();
        ++counts.updated;
        counts.published += publish;
    }
    return counts;
}

Result<std::vector<PublishedEntry>> LoadPublished(Connection& c) {
    auto& s = c.Prepare(
        "SELECT e.id, v.version, v.body FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = "
        "e.published_version WHERE e.published_version IS NOT NULL AND e.status <> 'archived' ORDER BY e.id");
    std::vector<PublishedEntry> out;
    while (s.Step()) out.push_back(PublishedEntry{s.Text(0), s.Int(1), ParseBody(s.Text(2))});
    return out;
}

Result<std::vector<Entry>> LoadForExport(Connection& c, const std::string& status) {
    if (status == kPublished) {
        // What customers are answered from: the live version, also of entries with an edit in progress.
        auto live = LoadPublished(c);
        if (!live) return live.error();
        std::vector<Entry> out;
        for (auto& p : *live) {
            Entry e;
            e.id = std::move(p.id);
            e.version = p.version;
            e.status = std::string(kPublished);
            e.published_version = p.version;
            e.body = std::move(p.body);
            out.push_back(std::move(e));
        }
        return out;
    }
    ListFilter f;
    f.status = status;
    f.limit = 1 << 30;
    auto page = ListEntries(c, f);
    if (!page) return page.error();
    std::sort(page->entries.begin(), page->entries.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
    return std::move(page->entries);
}

std::int64_t ChangeCounter(Connection& c) {
    auto& s = c.Prepare("SELECT COALESCE(MAX(seq), 0) FROM kb_audit");
    s.Step();
    auto v = s.Int(0);
    s.Reset();
    return v;
}

void RecordGap(Connection& c, const Gap& g) {
    c.Prepare(
         "INSERT INTO kb_gaps(at, conversation_id, language, text, decision, best_id, confidence) "
         "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .Bind(1, g.at)
        .Bind(2, g.conversation_id)
        .Bind(3, g.language)
        .Bind(4, g.text)
        .Bind(5, g.decision)
        .Bind(6, g.best_id)
        .BindDouble(7, g.confidence)
        .Run();
}

Result<std::vector<Gap>> GapsSince(Connection& c, std::int64_t since_ms, int max_rows) {
    auto& s = c.Prepare(
        "SELECT at, conversation_id, language, text, decision, best_id, confidence FROM kb_gaps WHERE at >= ? "
        "ORDER BY seq DESC LIMIT ?");
    s.Bind(1, since_ms).Bind(2, static_cast<std::int64_t>(max_rows));
    std::vector<Gap> out;
    while (s.Step()) {
        out.push_back(Gap{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Double(6)});
    }
    return out;
}

}  // namespace kefu::kb
