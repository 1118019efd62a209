#include "kb/import.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "core/utf8.hpp"
#include "nlu/training_data.hpp"

namespace kefu::kb {

namespace json = boost::json;

namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> SplitBar(std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find('|', start);
        if (end == std::string_view::npos) end = s.size();
        std::string part(s.substr(start, end - start));
        auto b = part.find_first_not_of(" \t");
        auto e = part.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
        start = end + 1;
    }
    return out;
}

std::string JoinBar(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out.push_back('|');
        out += s;
    }
    return out;
}

// The optional columns beyond the documented seven, so that an export keeps everything an entry holds.
constexpr const char* kColumns[] = {"id",   "language", "question", "answer",         "paraphrases",    "category",
                                    "tags", "sms",      "voice",    "effective_from", "effective_until"};

void ParseCsvImport(std::string_view data, ParsedImport& out) {
    auto rows = nlu::ParseCsv(std::string(data), "");
    if (!rows) {
        // "<name>:<line>: reason" with an empty name
        const auto& m = rows.error().message;
        int line = std::atoi(m.c_str() + 1);
        auto colon = m.find(": ");
        out.problems.push_back({line, colon == std::string::npos ? m : m.substr(colon + 2)});
        return;
    }
    if (rows->empty()) {
        out.problems.push_back({1, "the file is empty; the header id,language,question,answer is required"});
        return;
    }
    std::map<std::string, std::size_t> col;
    const auto& header = rows->front();
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        std::string name = Lower(header.fields[i]);
        bool known = false;
        for (const char* k : kColumns) known = known || name == k;
        if (!known) {
            out.problems.push_back({header.line, "unknown column '" + header.fields[i] + "'"});
            continue;
        }
        if (col.count(name)) out.problems.push_back({header.line, "column '" + name + "' appears twice"});
        col[name] = i;
    }
    for (const char* required : {"id", "language", "question", "answer"}) {
        if (!col.count(required))
            out.problems.push_back({header.line, std::string("missing column '") + required + "'"});
    }
    if (!out.problems.empty()) return;
    std::map<std::string, std::size_t> by_id;  // id -> index in out.items
    for (std::size_t r = 1; r < rows->size(); ++r) {
        const auto& row = (*rows)[r];
        if (row.fields.size() == 1 && row.fields[0].empty()) continue;  // blank line
        auto get = [&](const char* name) -> std::string {
            auto it = col.find(name);
            if (it == col.end() || it->second >= row.fields.size()) return {};
            return row.fields[it->second];
        };
        if (row.fields.size() > header.fields.size()) {
            out.problems.push_back({row.line, "the row has " + std::to_string(row.fields.size()) +
                                                  " fields; the header has " + std::to_string(header.fields.size())});
            continue;
        }
        std::string id = get("id");
        std::string lang = Lower(get("language"));
        if (!ValidEntryId(id)) {
            out.problems.push_back({row.line, "id '" + id + "' must be 1-64 characters of a-z 0-9 - _ ."});
            continue;
        }
        if (lang != "zh" && lang != "en") {
            out.problems.push_back({row.line, "language '" + lang + "' must be zh or en"});
            continue;
        }
        auto [it, fresh] = by_id.emplace(id, out.items.size());
        if (fresh) out.items.push_back(ImportItem{id, {}, row.line});
        ImportItem& item = out.items[it->second];
        if (item.body.content.count(lang)) {
            out.problems.push_back({row.line, "entry '" + id + "' has a second '" + lang + "' row"});
            continue;
        }
        LanguageContent c;
        c.question = get("question");
        c.answer = get("answer");
        c.paraphrases = SplitBar(get("paraphrases"));
        if (auto s = get("sms"); !s.empty()) c.variants["sms"] = s;
        if (auto v = get("voice"); !v.empty()) c.variants["voice"] = v;
        item.body.content[lang] = std::move(c);
        if (auto cat = get("category"); !cat.empty()) item.body.category = cat;
        if (auto tags = SplitBar(get("tags")); !tags.empty()) item.body.tags = tags;
        if (auto f = get("effective_from"); !f.empty()) item.body.effective_from = f;
        if (auto u = get("effective_until"); !u.empty()) item.body.effective_until = u;
        EntryBody one;
        one.content[lang] = item.body.content[lang];
        one.category = item.body.category;
        one.tags = item.body.tags;
        one.effective_from = item.body.effective_from;
        one.effective_until = item.body.effective_until;
        if (auto v = Validate(one); !v) out.problems.push_back({row.line, v.error().message});
    }
}

json::value ToJson(const YAML::Node& n) {
    if (n.IsMap()) {
        json::object o;
        for (const auto& kv : n) o[kv.first.as<std::string>()] = ToJson(kv.second);
        return o;
    }
    if (n.IsSequence()) {
        json::array a;
        for (const auto& v : n) a.push_back(ToJson(v));
        return a;
    }
    if (n.IsNull()) return nullptr;
    if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return json::string(n.Scalar());
    return json::string(n.Scalar());  // every scalar the importer reads is a string
}

// JSON is read with the YAML parser too (JSON is YAML): it knows the line of every node.
void ParseTreeImport(std::string_view data, ParsedImport& out) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(data));
    } catch (const YAML::Exception& e) {
        out.problems.push_back({e.mark.line + 1, e.msg});
        return;
    }
    YAML::Node list = root;
    if (root.IsMap()) list = root["entries"];
    if (!list || !list.IsSequence()) {
        out.problems.push_back({1, "expected a list of entries, or an object with 'entries'"});
        return;
    }
    std::map<std::string, int> seen;
    for (const auto& node : list) {
        int line = node.Mark().line + 1;
        if (!node.IsMap()) {
            out.problems.push_back({line, "an entry must be an object"});
            continue;
        }
        std::string id = node["id"] && node["id"].IsScalar() ? node["id"].Scalar() : "";
        if (!ValidEntryId(id)) {
            out.problems.push_back({line, "id '" + id + "' must be 1-64 characters of a-z 0-9 - _ ."});
            continue;
        }
        if (auto [it, fresh] = seen.emplace(id, line); !fresh) {
            out.problems.push_back(
                {line, "entry '" + id + "' appears twice (first on line " + std::to_string(it->second) + ")"});
            continue;
        }
        auto body = BodyFromJson(ToJson(node).as_object());
        if (!body) {
            out.problems.push_back({line, body.error().message});
            continue;
        }
        if (auto v = Validate(*body); !v) {
            out.problems.push_back({line, v.error().message});
            continue;
        }
        out.items.push_back(ImportItem{id, std::move(*body), line});
    }
}

std::string CsvField(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

void EmitYaml(YAML::Emitter& y, const json::value& v) {
    switch (v.kind()) {
        case json::kind::object:
            y << YAML::BeginMap;
            for (const auto& [k, val] : v.as_object()) {
                y << YAML::Key << std::string(k) << YAML::Value;
                EmitYaml(y, val);
            }
            y << YAML::EndMap;
            break;
        case json::kind::array:
            y << YAML::BeginSeq;
            for (const auto& val : v.as_array()) EmitYaml(y, val);
            y << YAML::EndSeq;
            break;
        case json::kind::string: {
            std::string s(v.as_string());
            if (s.find('\n') != std::string::npos) {
                y << YAML::Literal << s;
            } else {
                y << YAML::DoubleQuoted << s;
            }
            break;
        }
        case json::kind::null:
            y << YAML::Null;
            break;
        default:
            y << json::serialize(v);
    }
}

json::object ExportObject(const Entry& e) {
    json::object o{{"id", e.id}};
    for (auto& [k, v] : BodyToJson(e.body)) o[k] = v;
    return o;
}

}  // namespace

std::optional<FileFormat> ParseFormat(std::string_view name) {
    std::string n = Lower(name);
    if (n == "csv") return FileFormat::kCsv;
    if (n == "json") return FileFormat::kJson;
    if (n == "yaml" || n == "yml") return FileFormat::kYaml;
    return std::nullopt;
}

std::optional<FileFormat> FormatFromPath(std::string_view path) {
    auto dot = path.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    return ParseFormat(path.substr(dot + 1));
}

ParsedImport ParseImport(std::string_view data, FileFormat format) {
    ParsedImport out;
    if (!IsValidUtf8(data)) {
        out.problems.push_back({0, "the file is not valid UTF-8"});
        return out;
    }
    if (format == FileFormat::kCsv) {
        ParseCsvImport(data, out);
    } else {
        ParseTreeImport(data, out);
    }
    for (auto& item : out.items) Tidy(item.body);
    if (out.problems.empty() && out.items.empty()) out.problems.push_back({0, "the file has no entries"});
    std::stable_sort(out.problems.begin(), out.problems.end(),
                     [](const ImportProblem& a, const ImportProblem& b) { return a.line < b.line; });
    return out;
}

std::string Export(const std::vector<Entry>& entries, FileFormat format) {
    if (format == FileFormat::kCsv) {
        std::string out;
        for (const char* c : kColumns) {
            if (!out.empty()) out.push_back(',');
            out += c;
        }
        out.push_back('\n');
        for (const auto& e : entries) {
            for (const auto& [lang, c] : e.body.content) {
                auto variant = [&](const char* k) {
                    auto it = c.variants.find(k);
                    return it == c.variants.end() ? std::string() : it->second;
                };
                std::vector<std::string> f{e.id,
                                           lang,
                                           c.question,
                                           c.answer,
                                           JoinBar(c.paraphrases),
                                           e.body.category,
                                           JoinBar(e.body.tags),
                                           variant("sms"),
                                           variant("voice"),
                                           e.body.effective_from.value_or(""),
                                           e.body.effective_until.value_or("")};
                for (std::size_t i = 0; i < f.size(); ++i) {
                    if (i) out.push_back(',');
                    out += CsvField(f[i]);
                }
                out.push_back('\n');
            }
        }
        return out;
    }
    json::array list;
    for (const auto& e : entries) list.push_back(ExportObject(e));
    if (format == FileFormat::kJson) return json::serialize(json::object{{"entries", std::move(list)}}) + "\n";
    YAML::Emitter y;
    y << YAML::BeginMap << YAML::Key << "entries" << YAML::Value;
    EmitYaml(y, list);
    y << YAML::EndMap;
    return std::string(y.c_str()) + "\n";
}

Result<bool> MergeById(std::vector<ImportItem>& items, ImportItem item) {
    auto it = std::find_if(items.begin(), items.end(), [&](const ImportItem& x) { return x.id == item.id; });
    if (it == items.end()) {
        items.push_back(std::move(item));
        return true;
    }
    for (auto& [lang, content] : item.body.content) {
        if (!it->body.content.emplace(lang, std::move(content)).second) {
            return Error{ErrorCode::kInvalidArgument, "entry '" + item.id + "' has " + lang + " content twice"};
        }
    }
    if (it->body.category.empty()) it->body.category = item.body.category;
    for (auto& t : item.body.tags) {
        if (std::find(it->body.tags.begin(), it->body.tags.end(), t) == it->body.tags.end()) it->body.tags.push_back(t);
    }
    return true;
}

namespace {

Result<std::vector<ImportItem>> ReadItems(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::kNotFound, path + ": cannot open"};
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = ParseImport(ss.str(), FormatFromPath(path).value_or(FileFormat::kCsv));
    if (!parsed.problems.empty()) {
        const auto& p = parsed.problems.front();
        return Error{ErrorCode::kInvalidArgument, path + ":" + std::to_string(p.line) + ": " + p.message};
    }
    return std::move(parsed.items);
}

}  // namespace

Result<std::vector<PublishedEntry>> LoadPublishedFromFile(const std::string& path) {
    return LoadPublishedFromFiles({path});
}

Result<std::vector<PublishedEntry>> LoadPublishedFromFiles(const std::vector<std::string>& paths) {
    std::vector<ImportItem> items;
    for (const auto& path : paths) {
        auto read = ReadItems(path);
        if (!read) return read.error();
        for (auto& item : *read) {
            if (auto merged = MergeById(items, std::move(item)); !merged) {
                return Error{ErrorCode::kInvalidArgument, path + ": " + merged.error().message};
            }
        }
    }
    std::vector<PublishedEntry> out;
    for (auto& item : items) out.push_back(PublishedEntry{item.id, 1, std::move(item.body)});
    return out;
}

}  // namespace kefu::kb
