#include "kb/entry.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/utf8.hpp"

namespace kefu::kb {

namespace json = boost::json;

namespace {

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

bool ValidDate(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (d[i] < '0' || d[i] > '9') return false;
    }
    int month = (d[5] - '0') * 10 + (d[6] - '0');
    int day = (d[8] - '0') * 10 + (d[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// Checks a text field: valid UTF-8, no control characters other than newline and tab, length in range.
Result<bool> CheckText(std::string_view field, std::string_view v, std::size_t lo, std::size_t hi, bool multiline) {
    if (!IsValidUtf8(v)) return Invalid(std::string(field) + " is not valid UTF-8");
    for (unsigned char c : v) {
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f) {
            return Invalid(std::string(field) + " contains a control character");
        }
    }
    auto n = Utf8Length(v);
    if (n < lo || n > hi) {
        return Invalid(std::string(field) + (lo > 0 && n < lo ? " is required" : " is too long") + " (" +
                       std::to_string(lo) + "-" + std::to_string(hi) + " characters)");
    }
    return true;
}

Result<std::string> StringField(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::string();
    if (!it->value().is_string()) return Invalid(std::string(key) + " must be a string");
    return std::string(it->value().as_string());
}

Result<std::optional<std::string>> OptionalStringField(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::optional<std::string>();
    if (!it->value().is_string()) return Invalid(std::string(key) + " must be a string or null");
    std::string v(it->value().as_string());
    if (v.empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(v));
}

Result<std::vector<std::string>> StringListField(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return out;
    if (!it->value().is_array()) return Invalid(std::string(key) + " must be a list of strings");
    for (const auto& v : it->value().as_array()) {
        if (!v.is_string()) return Invalid(std::string(key) + " must be a list of strings");
        out.emplace_back(v.as_string());
    }
    return out;
}

json::array ToArray(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

}  // namespace

bool EntryBody::EffectiveOn(std::string_view today) const {
    if (effective_from && today < *effective_from) return false;
    if (effective_until && today > *effective_until) return false;
    return true;
}

namespace {

void Trim(std::string& s, bool leading) {
    constexpr const char* kSpace = " \t\r\n";
    s.erase(std::min(s.size(), s.find_last_not_of(kSpace) + 1));  // npos + 1 == 0: all space
    if (leading) s.erase(0, std::min(s.size(), s.find_first_not_of(kSpace)));
}

}  // namespace

void Tidy(EntryBody& b) {
    Trim(b.category, true);
    for (auto& t : b.tags) Trim(t, true);
    std::erase_if(b.tags, [](const std::string& t) { return t.empty(); });
    for (auto& [lang, c] : b.content) {
        Trim(c.question, true);
        Trim(c.answer, false);
        for (auto& p : c.paraphrases) Trim(p, true);
        std::erase_if(c.paraphrases, [](const std::string& p) { return p.empty(); });
        for (auto& [k, v] : c.variants) Trim(v, false);
    }
}

bool ValidEntryId(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
    }
    return true;
}

Result<bool> Validate(const EntryBody& b) {
    if (b.content.empty()) return Invalid("content needs at least one language (zh or en)");
    for (const auto& [lang, c] : b.content) {
        if (lang != "zh" && lang != "en") return Invalid("content." + lang + ": language must be zh or en");
        std::string at = "content." + lang + ".";
        if (auto r = CheckText(at + "question", c.question, 1, 500, false); !r) return r.error();
        if (auto r = CheckText(at + "answer", c.answer, 1, 5000, true); !r) return r.error();
        if (c.paraphrases.size() > 100) return Invalid(at + "paraphrases: at most 100");
        for (std::size_t i = 0; i < c.paraphrases.size(); ++i) {
            auto r = CheckText(at + "paraphrases[" + std::to_string(i) + "]", c.paraphrases[i], 1, 500, false);
            if (!r) return r.error();
        }
        for (const auto& [channel, text] : c.variants) {
            if (channel != "sms" && channel != "voice") {
                return Invalid(at + "variants." + channel + ": channel must be sms or voice");
            }
            if (auto r = CheckText(at + "variants." + channel, text, 1, 1000, true); !r) return r.error();
        }
    }
    if (auto r = CheckText("category", b.category, 0, 64, false); !r) return r.error();
    if (b.tags.size() > 20) return Invalid("tags: at most 20");
    for (const auto& t : b.tags) {
        if (auto r = CheckText("tags", t, 1, 32, false); !r) return r.error();
        if (t.find('|') != std::string::npos) return Invalid("tags must not contain '|'");
    }
    if (b.effective_from && !ValidDate(*b.effective_from)) return Invalid("effective_from must be YYYY-MM-DD");
    if (b.effective_until && !ValidDate(*b.effective_until)) return Invalid("effective_until must be YYYY-MM-DD");
    if (b.effective_from && b.effective_until && *b.effective_from > *b.effective_until) {
        return Invalid("effective_from is after effective_until");
    }
    return true;
}

json::object BodyToJson(const EntryBody& b) {
    json::object content;
    for (const auto& [lang, c] : b.content) {
        json::object l{{"question", c.question}, {"paraphrases", ToArray(c.paraphrases)}, {"answer", c.answer}};
        if (!c.variants.empty()) {
            json::object v;
            for (const auto& [k, t] : c.variants) v[k] = t;
            l["variants"] = std::move(v);
        }
        content[lang] = std::move(l);
    }
    auto opt = [](const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); };
    return json::object{{"category", b.category},
                        {"tags", ToArray(b.tags)},
                        {"effective_from", opt(b.effective_from)},
                        {"effective_until", opt(b.effective_until)},
                        {"content", std::move(content)}};
}

Result<EntryBody> BodyFromJson(const json::object& o) {
    EntryBody b;
    auto category = StringField(o, "category");
    if (!category) return category.error();
    b.category = std::move(*category);
    auto tags = StringListField(o, "tags");
    if (!tags) return tags.error();
    b.tags = std::move(*tags);
    auto from = OptionalStringField(o, "effective_from");
    if (!from) return from.error();
    b.effective_from = std::move(*from);
    auto until = OptionalStringField(o, "effective_until");
    if (!until) return until.error();
    b.effective_until = std::move(*until);
    auto it = o.find("content");
    if (it == o.end() || !it->value().is_object()) return Invalid("content must be an object keyed by language");
    for (const auto& [lang, v] : it->value().as_object()) {
        std::string at = "content." + std::string(lang);
        if (!v.is_object()) return Invalid(at + " must be an object");
        const auto& lo = v.as_object();
        LanguageContent c;
        auto q = StringField(lo, "question");
        if (!q) return Invalid(at + "." + q.error().message);
        c.question = std::move(*q);
        auto a = StringField(lo, "answer");
        if (!a) return Invalid(at + "." + a.error().message);
        c.answer = std::move(*a);
        auto p = StringListField(lo, "paraphrases");
        if (!p) return Invalid(at + "." + p.error().message);
        c.paraphrases = std::move(*p);
        if (auto vit = lo.find("variants"); vit != lo.end() && !vit->value().is_null()) {
            if (!vit->value().is_object()) return Invalid(at + ".variants must be an object");
            for (const auto& [k, t] : vit->value().as_object()) {
                if (!t.is_string()) return Invalid(at + ".variants." + std::string(k) + " must be a string");
                if (!t.as_string().empty()) c.variants[std::string(k)] = std::string(t.as_string());
            }
        }
        b.content[std::string(lang)] = std::move(c);
    }
    Tidy(b);
    return b;
}

json::object EntryToJson(const Entry& e) {
    json::object o = BodyToJson(e.body);
    o["id"] = e.id;
    o["version"] = e.version;
    o["status"] = e.status;
    o["published_version"] = e.published_version ? json::value(*e.published_version) : json::value(nullptr);
    o["created_at"] = FormatIsoMillis(e.created_at);
    o["created_by"] = e.created_by;
    o["updated_at"] = FormatIsoMillis(e.updated_at);
    o["updated_by"] = e.updated_by;
    return o;
}

json::object VersionToJson(const VersionRecord& v) {
    json::object o = BodyToJson(v.body);
    o["version"] = v.version;
    o["status"] = v.status;
    o["action"] = v.action;
    o["author"] = v.author;
    o["reviewer"] = v.reviewer ? json::value(*v.reviewer) : json::value(nullptr);
    o["at"] = FormatIsoMillis(v.created_at);
    o["reviewed_at"] = v.reviewed_at ? json::value(FormatIsoMillis(*v.reviewed_at)) : json::value(nullptr);
    return o;
}

}  // namespace kefu::kb
