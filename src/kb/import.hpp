#pragma once
// Reading and writing knowledge-base files (docs/kb.md, "Import and export"): CSV with the header
// id,language,question,answer[,paraphrases,category,tags], JSON and YAML. Parsing validates every row and
// collects every problem with its line, so that an import is all or nothing and its report is complete.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "kb/entry.hpp"
#include "kb/store.hpp"

namespace kefu::kb {

enum class FileFormat { kCsv, kJson, kYaml };

// "csv" | "json" | "yaml" (case-insensitive); nullopt otherwise.
std::optional<FileFormat> ParseFormat(std::string_view name);
// From a file name's extension (.csv, .json, .yaml, .yml); nullopt otherwise.
std::optional<FileFormat> FormatFromPath(std::string_view path);

struct ImportProblem {
    int line = 0;  // 1-based line of the file (0 when the problem is the file as a whole)
    std::string message;
};

struct ParsedImport {
    std::vector<ImportItem> items;
    std::vector<ImportProblem> problems;  // empty iff every row is valid
};

// Parses and validates a whole file. Rows sharing an id in CSV form one entry (one row per language);
// a language given twice for one id, a bad id, a missing column and every entry-validation failure are
// problems with their line.
ParsedImport ParseImport(std::string_view data, FileFormat format);

// Writes entries (their working versions) in a format that ParseImport reads back to the same bodies.
std::string Export(const std::vector<Entry>& entries, FileFormat format);

// Adds `item` to `items`, or, when an item with its id is already there (files split by language share
// ids), gives that item the new languages, plus the category and the tags it lacks. kInvalidArgument
// when both have content in the same language.
[[nodiscard]] Result<bool> MergeById(std::vector<ImportItem>& items, ImportItem item);

// Convenience for tools and benchmarks: the entries of a file as published entries (version 1).
// Fails with the first problem ("FILE:LINE: reason").
Result<std::vector<PublishedEntry>> LoadPublishedFromFile(const std::string& path);
// The same for several files, entries sharing an id merged as MergeById does.
Result<std::vector<PublishedEntry>> LoadPublishedFromFiles(const std::vector<std::string>& paths);

}  // namespace kefu::kb
