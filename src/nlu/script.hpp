#pragma once
// Which writing system a code point belongs to, as the NLU's tokenisers see it. Text is normalised first
// (lower-case, half-width), so Latin means lower-case ASCII letters and digits plus Latin-1/Extended-A/B.

namespace kefu::nlu {

// Han (CJK unified ideographs, extensions A and B, compatibility), kana and Hangul.
inline bool IsCjk(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0xAC00 && c <= 0xD7AF);
}

// A character of a Latin word: letters, digits, and the apostrophe of contractions.
inline bool IsLatinWordChar(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' ||
           (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}

}  // namespace kefu::nlu
