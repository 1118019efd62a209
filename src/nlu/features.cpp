#include "nlu/features.hpp"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <xapian.h>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>

#include "nlu/normalise.hpp"
#include "nlu/script.hpp"

namespace kefu::nlu {

namespace {

enum class Kind : std::uint64_t { kWord = 1, kBigram = 2, kLatinChars = 3, kCjkChars = 4 };

// FNV-1a over the kind and the code points: fast, stable across runs and platforms (the model stores it).
struct Hasher {
    std::uint64_t h = 1469598103934665603ull;
    explicit Hasher(Kind k) { Add(static_cast<char32_t>(k)); }
    void Add(char32_t c) {
        for (int i = 0; i < 4; ++i) {
            h ^= (c >> (8 * i)) & 0xFF;
            h *= 1099511628211ull;
        }
    }
};

// The top bit of a feature hash says whether it is a word feature (0) or a character n-gram (1).
std::uint64_t Tag(Kind k, std::uint64_t h) {
    h &= ~(1ull << 63);
    return (k == Kind::kLatinChars || k == Kind::kCjkChars) ? h | (1ull << 63) : h;
}

std::uint64_t HashString(Kind k, std::u32string_view s) {
    Hasher h(k);
    for (char32_t c : s) h.Add(c);
    return Tag(k, h.h);
}

std::string ToUtf8(std::u32string_view s) {
    std::string out;
    for (char32_t c : s) AppendUtf8(out, c);
    return out;
}

std::u32string FromUtf8(std::string_view s) { return DecodeUtf8(s); }

Xapian::Stem& Stemmer() {
    thread_local Xapian::Stem stem("english");
    return stem;
}

icu::BreakIterator* WordBreaker() {
    thread_local std::unique_ptr<icu::BreakIterator> it = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::BreakIterator> b(
            icu::BreakIterator::createWordInstance(icu::Locale::getChinese(), status));
        if (U_FAILURE(status)) b.reset();
        return b;
    }();
    return it.get();
}

// Toneless pinyin of one Han character ("贷" → "dai"), from ICU's Han-Latin transliterator. Transliterating
// costs tens of microseconds, so each character is done once per process and cached.
std::u32string PinyinOf(char32_t c) {
    static std::shared_mutex mu;
    static std::unordered_map<char32_t, std::u32string> cache;  // guarded by mu
    {
        std::shared_lock lock(mu);
        if (auto it = cache.find(c); it != cache.end()) return it->second;
    }
    thread_local std::unique_ptr<icu::Transliterator> translit = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::Transliterator> t(
            icu::Transliterator::createInstance("Han-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status));
        if (U_FAILURE(status)) t.reset();
        return t;
    }();
    std::u32string out;
    if (translit) {
        icu::UnicodeString u(static_cast<UChar32>(c));
        translit->transliterate(u);
        std::string utf8;
        u.toUTF8String(utf8);
        for (char ch : utf8) {
            if (ch >= 'a' && ch <= 'z') out.push_back(static_cast<char32_t>(ch));
        }
    }
    std::unique_lock lock(mu);
    cache.emplace(c, out);
    return out;
}

// Splits a Latin token on apostrophes, expanding the common English contractions.
void AddLatinWord(std::u32string word, std::vector<std::u32string>& out) {
    auto apos = word.find(U'\'');
    if (apos == std::u32string::npos) {
        out.push_back(std::move(word));
        return;
    }
    std::u32string head = word.substr(0, apos);
    std::u32string tail = word.substr(apos + 1);
    if (tail == U"t" && head.size() > 1 && head.back() == U'n') {
        head.pop_back();  // "don't" → "do not", "can't" → "ca" + "not" fixed below
        if (head == U"ca") head = U"can";
        if (head == U"wo") head = U"will";
        if (!head.empty()) out.push_back(head);
        out.push_back(U"not");
        return;
    }
    if (!head.empty()) out.push_back(head);
    if (tail == U"m")
        out.push_back(U"am");
    else if (tail == U"re")
        out.push_back(U"are");
    else if (tail == U"ve")
        out.push_back(U"have");
    else if (tail == U"ll")
        out.push_back(U"will");
    else if (tail == U"d")
        out.push_back(U"would");
    else if (!tail.empty() && tail != U"s")
        AddLatinWord(tail, out);
}

struct Segment {
    bool cjk;
    std::u32string text;
};

std::vector<Segment> Segments(const std::u32string& text) {
    std::vector<Segment> segs;
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t c = text[i];
        if (IsCjk(c)) {
            std::size_t j = i;
            while (j < text.size() && IsCjk(text[j])) ++j;
            segs.push_back({true, text.substr(i, j - i)});
            i = j;
        } else if (IsLatinWordChar(c) && c != '\'') {
            std::size_t j = i;
            while (j < text.size() && IsLatinWordChar(text[j])) ++j;
            std::u32string w = text.substr(i, j - i);
            while (!w.empty() && w.back() == '\'') w.pop_back();
            segs.push_back({false, std::move(w)});
            i = j;
        } else {
            ++i;  // punctuation, spaces, symbols, emoji: boundaries only
        }
    }
    return segs;
}

// Word tokens for one CJK run, by ICU's dictionary-based word breaker.
void SegmentCjk(const std::u32string& run, std::vector<std::u32string>& out) {
    icu::BreakIterator* bi = WordBreaker();
    if (!bi || run.size() == 1) {
        out.push_back(run);
        return;
    }
    icu::UnicodeString us =
        icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(run.data()), static_cast<int32_t>(run.size()));
    bi->setText(us);
    int32_t start = bi->first();
    for (int32_t end = bi->next(); end != icu::BreakIterator::DONE; start = end, end = bi->next()) {
        icu::UnicodeString piece = us.tempSubStringBetween(start, end);
        std::string utf8;
        piece.toUTF8String(utf8);
        out.push_back(FromUtf8(utf8));
    }
}

std::u32string Normalise(std::u32string w, bool stem) {
    for (char32_t& c : w) {
        if (c >= '1' && c <= '9') c = '0';
    }
    if (!stem) return w;
    return FromUtf8(Stemmer()(ToUtf8(w)));
}

void CharGrams(Kind kind, const std::u32string& s, int lo, int hi, std::vector<std::uint64_t>& out) {
    const int n = static_cast<int>(s.size());
    for (int len = lo; len <= hi; ++len) {
        for (int i = 0; i + len <= n; ++i)
            out.push_back(HashString(
                kind, std::u32string_view(s).substr(static_cast<std::size_t>(i), static_cast<std::size_t>(len))));
    }
}

std::vector<std::u32string> TokenSequence(const std::vector<Segment>& segs, const FeatureOptions& o) {
    std::vector<std::u32string> tokens;
    for (const Segment& s : segs) {
        if (s.cjk) {
            SegmentCjk(s.text, tokens);
        } else {
            std::vector<std::u32string> words;
            AddLatinWord(s.text, words);
            for (auto& w : words) tokens.push_back(Normalise(std::move(w), o.stem));
        }
    }
    return tokens;
}

}  // namespace

void ExtractFeatures(const std::u32string& text, const FeatureOptions& o, std::vector<std::uint64_t>& out) {
    std::vector<Segment> segs = Segments(text);
    std::vector<std::u32string> tokens = TokenSequence(segs, o);
    for (const auto& t : tokens) {
        out.push_back(HashString(Kind::kWord, t));
        // Pinyin of Chinese words, as the word features a romanised query would have ("dai kuan" ↔ 贷款),
        // so customers who type pinyin in English text still match the Chinese examples.
        if (o.pinyin && !t.empty() && IsCjk(t[0])) {
            std::u32string prev;
            for (char32_t c : t) {
                std::u32string syllable = PinyinOf(c);
                if (syllable.empty()) continue;
                out.push_back(HashString(Kind::kWord, syllable));
                if (!prev.empty()) {
                    Hasher h(Kind::kBigram);
                    for (char32_t x : prev) h.Add(x);
                    h.Add(U' ');
                    for (char32_t x : syllable) h.Add(x);
                    out.push_back(Tag(Kind::kBigram, h.h));
                }
                prev = std::move(syllable);
            }
        }
    }
    if (o.word_bigrams && !tokens.empty()) {
        static const std::u32string kStart = U"<s>";
        static const std::u32string kEnd = U"</s>";
        for (std::size_t i = 0; i <= tokens.size(); ++i) {
            const std::u32string& a = i == 0 ? kStart : tokens[i - 1];
            const std::u32string& b = i == tokens.size() ? kEnd : tokens[i];
            Hasher h(Kind::kBigram);
            for (char32_t c : a) h.Add(c);
            h.Add(U' ');
            for (char32_t c : b) h.Add(c);
            out.push_back(Tag(Kind::kBigram, h.h));
        }
    }
    for (const Segment& s : segs) {
        std::u32string padded;
        padded.reserve(s.text.size() + 2);
        padded.push_back(U' ');
        for (char32_t c : s.text) padded.push_back(c >= '1' && c <= '9' ? U'0' : c);
        padded.push_back(U' ');
        if (s.cjk) {
            CharGrams(Kind::kCjkChars, padded, o.cjk_char_min, o.cjk_char_max, out);
        } else {
            CharGrams(Kind::kLatinChars, padded, o.latin_char_min, o.latin_char_max, out);
        }
    }
}

std::vector<std::string> Tokens(const std::u32string& text, const FeatureOptions& options) {
    std::vector<std::string> out;
    for (const auto& t : TokenSequence(Segments(text), options)) out.push_back(ToUtf8(t));
    return out;
}

}  // namespace kefu::nlu
