#pragma once
// Parsing and validating JSON request bodies. Errors name the field and never echo its value.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "net/http.hpp"

namespace kefu::api {

// The integer query parameter `name` within [lo, hi], or `def` when absent; kInvalidArgument otherwise.
Result<std::int64_t> IntQuery(const net::RequestContext& ctx, std::string_view name, std::int64_t def, std::int64_t lo,
                              std::int64_t hi);

// Parses a JSON object. An empty body is an empty object. Not an object: kInvalidArgument.
Result<boost::json::object> ParseObject(std::string_view body);

struct StringRule {
    std::size_t min_chars = 0;  // code points, after trimming when trim is set
    std::size_t max_chars = 4000;
    bool trim = false;
    bool allow_newlines = true;
};

// The string field `key`, if present (null counts as absent). Wrong type, length or control characters:
// kInvalidArgument naming the field.
Result<std::optional<std::string>> OptionalString(const boost::json::object& obj, std::string_view key,
                                                  const StringRule& rule = {});
Result<std::string> RequiredString(const boost::json::object& obj, std::string_view key, const StringRule& rule = {});

// The required client_message_id: 1–64 characters of [A-Za-z0-9._:-].
Result<std::string> RequiredClientMessageId(const boost::json::object& obj);

// One of the allowed values, or the default when absent.
Result<std::string> OptionalEnum(const boost::json::object& obj, std::string_view key,
                                 std::initializer_list<std::string_view> allowed, std::string_view fallback);

}  // namespace kefu::api
