#pragma once
// UTF-8 validation and code-point helpers.

#include <cstddef>
#include <string_view>

namespace kefu {

// Returns true iff s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);
// Number of code points in a valid UTF-8 string.
std::size_t Utf8Length(std::string_view s);
// Returns true iff s holds a C0 control character other than tab, newline and carriage return, or DEL.
bool HasControlChars(std::string_view s);

}  // namespace kefu
