#pragma once
// Loading labelled utterances for training and evaluation, from three formats chosen by content:
// - CSV with a header row: a `text` column and a label column named `label`, `category` or `intent`
//   (BANKING77's `text,category` loads as it is). RFC 4180 quoting.
// - Kefu's YAML/JSON: `version: 1` and `intents: [{name, examples: {zh: [...], en: [...]}}]`.
// - Rasa NLU YAML: `nlu:` with `- intent: NAME` and `examples: |` blocks of `- text` lines; entity
//   annotations `[text](entity)` and `[text]{"entity": ...}` keep their text.
// Errors name the file and line ("data.csv:17: empty text").

#include <string>
#include <vector>

#include "core/error.hpp"

namespace kefu::nlu {

struct Example {
    std::string text;
    std::string label;
    std::string language;  // "zh", "en" or "" when the format does not say
    int line = 0;          // where it came from, for error reports
};

// Loads a file in any of the formats above (YAML/JSON by extension .yaml/.yml/.json, CSV otherwise).
Result<std::vector<Example>> LoadExamples(const std::string& path);

// Parses CSV text into rows of fields (RFC 4180: quotes, doubled quotes, newlines inside quotes).
// Each row records the line it started on. Errors: an unterminated quote.
struct CsvRow {
    std::vector<std::string> fields;
    int line = 0;
};
Result<std::vector<CsvRow>> ParseCsv(const std::string& text, const std::string& name_for_errors);

}  // namespace kefu::nlu
