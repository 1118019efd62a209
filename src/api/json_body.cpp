#include "api/json_body.hpp"

#include <boost/json/parse.hpp>
#include <charconv>

#include "core/utf8.hpp"

namespace kefu::api {

namespace json = boost::json;

Result<json::object> ParseObject(std::string_view body) {
    if (body.empty()) return json::object{};
    boost::system::error_code ec;
    json::parse_options opt;
    opt.max_depth = 32;
    json::value v = json::parse(body, ec, {}, opt);
    if (ec) return Error{ErrorCode::kMalformedJson, "request body is not valid JSON"};
    if (!v.is_object()) return Error{ErrorCode::kInvalidArgument, "request body must be a JSON object"};
    return std::move(v.as_object());
}

Result<std::optional<std::string>> OptionalString(const json::object& obj, std::string_view key,
                                                  const StringRule& rule) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null()) return std::optional<std::string>{};
    if (!it->value().is_string()) return Error{ErrorCode::kInvalidArgument, std::string(key) + " must be a string"};
    std::string s(it->value().as_string());
    if (!IsValidUtf8(s)) return Error{ErrorCode::kInvalidUtf8, std::string(key) + " is not valid UTF-8"};
    if (rule.trim) {
        auto b = s.find_first_not_of(" \t\r\n");
        auto e = s.find_last_not_of(" \t\r\n");
        s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    }
    std::size_t n = Utf8Length(s);
    if (n < rule.min_chars) {
        return Error{ErrorCode::kInvalidArgument,
                     std::string(key) + (rule.min_chars == 1 ? " must not be empty"
                                                             : " must have at least " + std::to_string(rule.min_chars) +
                                                                   " characters")};
    }
    if (n > rule.max_chars) {
        return Error{ErrorCode::kInvalidArgument,
                     std::string(key) + " must have at most " + std::to_string(rule.max_chars) + " characters"};
    }
    bool bad_ctrl = HasControlChars(s) || (!rule.allow_newlines && s.find_first_of("\r\n\t") != std::string::npos);
    if (bad_ctrl) return Error{ErrorCode::kInvalidArgument, std::string(key) + " must not contain control characters"};
    return std::optional<std::string>(std::move(s));
}

Result<std::string> RequiredString(const json::object& obj, std::string_view key, const StringRule& rule) {
    auto r = OptionalString(obj, key, rule);
    if (!r) return r.error();
    if (!r.value()) return Error{ErrorCode::kInvalidArgument, std::string(key) + " is required"};
    return std::move(*r.value());
}

Result<std::string> RequiredClientMessageId(const json::object& obj) {
    auto id = RequiredString(obj, "client_message_id", {1, 64, false, false});
    if (!id) return id;
    for (char c : id.value()) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-')) {
            return Error{ErrorCode::kInvalidArgument, "client_message_id may only contain A-Z a-z 0-9 . _ : -"};
        }
    }
    return id;
}

Result<std::string> OptionalEnum(const json::object& obj, std::string_view key,
                                 std::initializer_list<std::string_view> allowed, std::string_view fallback) {
    auto r = OptionalString(obj, key, {0, 32, false, false});
    if (!r) return r.error();
    if (!r.value()) return std::string(fallback);
    for (auto a : allowed) {
        if (*r.value() == a) return std::move(*r.value());
    }
    std::string list;
    for (auto a : allowed) {
        if (!list.empty()) list += ", ";
        list += a;
    }
    return Error{ErrorCode::kInvalidArgument, std::string(key) + " must be one of: " + list};
}

Result<std::int64_t> IntQuery(const net::RequestContext& ctx, std::string_view name, std::int64_t def, std::int64_t lo,
                              std::int64_t hi) {
    auto v = ctx.Query(name);
    if (!v) return def;
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size() || out < lo || out > hi) {
        return Error{ErrorCode::kInvalidArgument, std::string(name) + " must be an integer from " + std::to_string(lo) +
                                                      " to " + std::to_string(hi)};
    }
    return out;
}

}  // namespace kefu::api
