#pragma once
// PII masking for anything that leaves the process as text for operators: log lines, and later
// transcripts shown in exports. It finds, without regular expressions and in one pass:
// - payment card numbers: 13–19 digits (single spaces or dashes allowed between digits) that pass Luhn,
//   and any 16–19 digit run whatever its check digit;
// - Chinese resident ID numbers: 18 characters (17 digits and a digit or X) or 15 digits;
// - Chinese mobile phones: 11 digits starting 1[3-9], optionally after +86 / 86;
// - e-mail addresses.
// Cards and IDs keep their last four digits, phones their first three and last four, e-mail the first
// character of the local part and the domain.

#include <string>
#include <string_view>

namespace kefu {

std::string MaskPii(std::string_view text);

// Luhn checksum over a string of ASCII digits.
bool LuhnValid(std::string_view digits);
// GB 11643 checksum of an 18-character resident ID (17 digits + check character 0-9 or X/x).
bool ResidentIdChecksumValid(std::string_view id18);

}  // namespace kefu
