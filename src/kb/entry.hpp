#pragma once
// The knowledge-base entry (docs/kb.md): one question a customer may ask, answered per language, with
// its lifecycle status and version. Plain values; conversion to and from JSON, and validation.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace kefu::kb {

inline constexpr std::string_view kDraft = "draft";
inline constexpr std::string_view kInReview = "in_review";
inline constexpr std::string_view kPublished = "published";
inline constexpr std::string_view kArchived = "archived";

struct LanguageContent {
    std::string question;
    std::vector<std::string> paraphrases;
    std::string answer;                           // Markdown subset
    std::map<std::string, std::string> variants;  // channel ("sms" | "voice") -> answer for that channel

    bool operator==(const LanguageContent&) const = default;
};

// What an editor writes: everything that a version captures.
struct EntryBody {
    std::string category;
    std::vector<std::string> tags;
    std::optional<std::string> effective_from;       // YYYY-MM-DD, inclusive
    std::optional<std::string> effective_until;      // YYYY-MM-DD, inclusive
    std::map<std::string, LanguageContent> content;  // "zh" | "en" -> content

    bool operator==(const EntryBody&) const = default;
    // True iff the entry may be answered on `today` (YYYY-MM-DD).
    bool EffectiveOn(std::string_view today) const;
};

struct Entry {
    std::string id;
    std::int64_t version = 0;
    std::string status;
    std::optional<std::int64_t> published_version;
    EntryBody body;  // of the working version
    std::int64_t created_at = 0;
    std::string created_by;
    std::int64_t updated_at = 0;
    std::string updated_by;
};

// A published entry as the retriever sees it.
struct PublishedEntry {
    std::string id;
    std::int64_t version = 0;
    EntryBody body;
};

struct VersionRecord {
    std::int64_t version = 0;
    std::string status;
    std::string action;
    EntryBody body;
    std::string author;
    std::optional<std::string> reviewer;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> reviewed_at;
};

// Trims what editors never mean: spaces around questions, paraphrases, tags and the category, and
// trailing whitespace of answers (YAML block scalars add a final newline). Empty paraphrases are dropped.
void Tidy(EntryBody& body);

// Checks an id: 1-64 characters of a-z 0-9 - _ .
bool ValidEntryId(std::string_view id);

// Validates a body: at least one language of zh/en; question 1-500, answer 1-5000 characters;
// up to 100 paraphrases of 1-500; variants sms/voice only; dates YYYY-MM-DD and from <= until;
// category up to 64 and up to 20 tags of up to 32 characters. Errors name the field.
[[nodiscard]] Result<bool> Validate(const EntryBody& body);

boost::json::object BodyToJson(const EntryBody& body);
// Reads the editable fields of an entry from JSON (what POST/PUT and JSON/YAML imports carry). Unknown
// fields are ignored; wrong types are errors naming the field.
[[nodiscard]] Result<EntryBody> BodyFromJson(const boost::json::object& o);
boost::json::object EntryToJson(const Entry& e);
boost::json::object VersionToJson(const VersionRecord& v);

}  // namespace kefu::kb
