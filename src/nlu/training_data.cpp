#include "nlu/training_data.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/utf8.hpp"

namespace kefu::nlu {

namespace {

Error FileError(const std::string& path, int line, const std::string& what) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", path, line, what)};
}

std::string Trim(std::string s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// "[Taobao](merchant) spending" → "Taobao spending"; also [x]{"entity": ...}.
std::string StripRasaAnnotations(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '[') {
            auto close = s.find(']', i);
            if (close != std::string::npos && close + 1 < s.size() && (s[close + 1] == '(' || s[close + 1] == '{')) {
                char open = s[close + 1];
                char end_ch = open == '(' ? ')' : '}';
                auto end = s.find(end_ch, close + 1);
                if (end != std::string::npos) {
                    out += s.substr(i + 1, close - i - 1);
                    i = end;
                    continue;
                }
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

Result<std::vector<Example>> LoadCsv(const std::string& path, const std::string& content) {
    auto rows = ParseCsv(content, path);
    if (!rows) return rows.error();
    if (rows->empty()) return FileError(path, 1, "empty file: expected a header row");
    const auto& header = rows->front().fields;
    int text_col = -1;
    int label_col = -1;
    int lang_col = -1;
    for (std::size_t i = 0; i < header.size(); ++i) {
        std::string h = Trim(header[i]);
        if (h == "text") text_col = static_cast<int>(i);
        if (h == "label" || h == "category" || h == "intent") label_col = static_cast<int>(i);
        if (h == "language" || h == "lang") lang_col = static_cast<int>(i);
    }
    if (text_col < 0 || label_col < 0) {
        return FileError(path, 1, "the header needs a 'text' column and a 'label', 'category' or 'intent' column");
    }
    std::vector<Example> out;
    for (std::size_t r = 1; r < rows->size(); ++r) {
        const CsvRow& row = (*rows)[r];
        if (row.fields.size() == 1 && Trim(row.fields[0]).empty()) continue;  // blank line
        if (row.fields.size() != header.size()) {
            return FileError(path, row.line,
                             fmt::format("expected {} fields, found {}", header.size(), row.fields.size()));
        }
        Example e{Trim(row.fields[static_cast<std::size_t>(text_col)]),
                  Trim(row.fields[static_cast<std::size_t>(label_col)]),
                  lang_col >= 0 ? Trim(row.fields[static_cast<std::size_t>(lang_col)]) : "", row.line};
        if (e.text.empty()) return FileError(path, row.line, "empty text");
        if (e.label.empty()) return FileError(path, row.line, "empty label");
        out.push_back(std::move(e));
    }
    return out;
}

Result<std::vector<Example>> LoadYaml(const std::string& path, const std::string& content) {
    YAML::Node root;
    try {
        root = YAML::Load(content);
    } catch (const YAML::Exception& e) {
        return FileError(path, e.mark.line + 1, e.msg);
    }
    std::vector<Example> out;
    auto line_of = [](const YAML::Node& n) { return n.Mark().line + 1; };
    try {
        if (root["nlu"]) {  // Rasa NLU YAML
            for (const auto& block : root["nlu"]) {
                if (!block["intent"]) continue;  // synonyms, regexes, lookups: not examples
                std::string intent = block["intent"].as<std::string>();
                if (!block["examples"])
                    return FileError(path, line_of(block), "intent '" + intent + "' has no examples");
                std::istringstream lines(block["examples"].as<std::string>());
                std::string l;
                int k = 0;
                int base = line_of(block["examples"]);
                while (std::getline(lines, l)) {
                    ++k;
                    l = Trim(l);
                    if (l.empty()) continue;
                    if (l.rfind("- ", 0) != 0) return FileError(path, base + k, "expected '- example' lines");
                    out.push_back({Trim(StripRasaAnnotations(l.substr(2))), intent, "", base + k});
                }
            }
            return out;
        }
        if (!root["intents"] || !root["intents"].IsSequence()) {
            return FileError(path, line_of(root), "expected 'intents:' (Kefu format) or 'nlu:' (Rasa format)");
        }
        if (root["version"] && root["version"].as<int>() != 1)
            return FileError(path, line_of(root["version"]), "unsupported version");
        for (const auto& intent : root["intents"]) {
            if (!intent["name"]) return FileError(path, line_of(intent), "an intent needs a 'name'");
            std::string name = intent["name"].as<std::string>();
            const auto& ex = intent["examples"];
            if (!ex || !ex.IsMap())
                return FileError(path, line_of(intent), "intent '" + name + "' needs 'examples' per language");
            for (const auto& lang : ex) {
                std::string language = lang.first.as<std::string>();
                if (!lang.second.IsSequence())
                    return FileError(path, line_of(lang.second), "examples." + language + " must be a list");
                for (const auto& item : lang.second) {
                    std::string text = Trim(item.as<std::string>());
                    if (text.empty()) return FileError(path, line_of(item), "empty example");
                    out.push_back({text, name, language, line_of(item)});
                }
            }
        }
    } catch (const YAML::Exception& e) {
        return FileError(path, e.mark.line + 1, e.msg);
    }
    return out;
}

}  // namespace

Result<std::vector<CsvRow>> ParseCsv(const std::string& text, const std::string& name) {
    std::vector<CsvRow> rows;
    CsvRow row;
    std::string field;
    bool in_quotes = false;
    bool field_started = false;
    int line = 1;
    row.line = 1;
    std::size_t i = 0;
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) i = 3;  // BOM
    int quote_line = 0;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (in_quotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    in_quotes = false;
                }
            } else {
                if (c == '\n') ++line;
                field.push_back(c);
            }
            continue;
        }
        if (c == '"' && !field_started) {
            in_quotes = true;
            field_started = true;
            quote_line = line;
        } else if (c == ',') {
            row.fields.push_back(std::move(field));
            field.clear();
            field_started = false;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            row.fields.push_back(std::move(field));
            field.clear();
            field_started = false;
            rows.push_back(std::move(row));
            row = CsvRow{};
            ++line;
            row.line = line;
        } else {
            field.push_back(c);
            field_started = true;
        }
    }
    if (in_quotes)
        return Error{ErrorCode::kInvalidArgument, fmt::format("{}:{}: unterminated quoted field", name, quote_line)};
    if (field_started || !row.fields.empty()) {
        row.fields.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

Result<std::vector<Example>> LoadExamples(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::kNotFound, fmt::format("{}: cannot read the file", path)};
    std::stringstream ss;
    ss << in.rdbuf();
    std::string content = ss.str();
    if (!IsValidUtf8(content)) return Error{ErrorCode::kInvalidUtf8, fmt::format("{}: not valid UTF-8", path)};
    std::string lower = path;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    bool yaml = lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json");
    auto r = yaml ? LoadYaml(path, content) : LoadCsv(path, content);
    if (r && r->empty()) return Error{ErrorCode::kInvalidArgument, fmt::format("{}: no examples found", path)};
    return r;
}

}  // namespace kefu::nlu
