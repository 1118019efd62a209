#pragma once
// Per-message language: "zh", "en" or "mixed", from the script of the letters in normalised text.
// A stray Latin word inside Chinese ("ATM机在哪") stays "zh"; a real English phrase inside Chinese
// ("我的credit card丢了") is "mixed". Text with no letters at all is "" (unknown).

#include <string>

namespace kefu::nlu {

std::string DetectLanguage(const std::u32string& text);

}  // namespace kefu::nlu
