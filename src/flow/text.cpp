#include "flow/text.hpp"

#include <boost/json.hpp>

namespace kefu::flow {

namespace json = boost::json;

const json::value* Lookup(const json::object& vars, std::string_view path) {
    const json::object* obj = &vars;
    const json::value* v = nullptr;
    while (true) {
        auto dot = path.find('.');
        std::string_view key = path.substr(0, dot);
        v = obj->if_contains(key);
        if (v == nullptr || dot == std::string_view::npos) return v;
        obj = v->if_object();
        if (obj == nullptr) return nullptr;
        path.remove_prefix(dot + 1);
    }
}

std::string Display(const json::value& v, std::string_view language) {
    switch (v.kind()) {
        case json::kind::string:
            return std::string(v.get_string());
        case json::kind::int64:
            return std::to_string(v.get_int64());
        case json::kind::uint64:
            return std::to_string(v.get_uint64());
        case json::kind::bool_:
            return v.get_bool() ? "true" : "false";
        case json::kind::object: {
            const auto& o = v.get_object();
            if (const auto* t = o.if_contains(language == "en" ? "en" : "zh"); t && t->is_string()) {
                return std::string(t->get_string());
            }
            if (const auto* label = o.if_contains("label")) return Display(*label, language);
            return {};
        }
        default:
            return {};
    }
}

std::string Render(std::string_view tmpl, const json::object& vars, std::string_view language) {
    std::string out;
    out.reserve(tmpl.size() + 32);
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        char c = tmpl[i];
        if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
            out.push_back('{');
            ++i;
            continue;
        }
        auto close = c == '{' ? tmpl.find('}', i) : std::string_view::npos;
        if (close == std::string_view::npos) {
            out.push_back(c);
            continue;
        }
        if (const auto* v = Lookup(vars, tmpl.substr(i + 1, close - i - 1))) out += Display(*v, language);
        i = close;
    }
    return out;
}

std::vector<std::string> TemplateNames(std::string_view tmpl) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '{') continue;
        if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
            ++i;
            continue;
        }
        auto close = tmpl.find('}', i);
        if (close == std::string_view::npos) break;
        std::string_view path = tmpl.substr(i + 1, close - i - 1);
        names.emplace_back(path.substr(0, path.find('.')));
        i = close;
    }
    return names;
}

}  // namespace kefu::flow
