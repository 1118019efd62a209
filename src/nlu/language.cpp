#include "nlu/language.hpp"

namespace kefu::nlu {

std::string DetectLanguage(const std::u32string& text) {
    std::size_t han = 0;
    std::size_t latin_letters = 0;
    std::size_t latin_words = 0;
    bool in_word = false;
    for (char32_t c : text) {
        bool latin = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) ++han;
        if (latin) {
            ++latin_letters;
            if (!in_word) ++latin_words;
        }
        in_word = latin;
    }
    if (han == 0 && latin_letters == 0) return "";
    if (han == 0) return "en";
    if (latin_letters == 0) return "zh";
    // Mixed when the Latin part is more than an abbreviation: two words, or one word of 4+ letters.
    bool substantial = latin_words >= 2 || latin_letters >= 4;
    if (!substantial) return "zh";
    return latin_letters > 3 * han && latin_words >= 3 ? "en" : "mixed";
}

}  // namespace kefu::nlu
