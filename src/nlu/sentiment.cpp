#include "nlu/sentiment.hpp"

#include <fmt/format.h>
#include <linear.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "nlu/script.hpp"
#include "nlu/training_data.hpp"

namespace kefu::nlu {

namespace {

// A lexical unit: one CJK character, one English word, one emoji, or a clause boundary. Lexicon entries are
// sequences of units, so Chinese phrases match character by character and English phrases word by word.
enum class UnitKind : std::uint8_t { kCjk, kLatin, kSymbol, kBoundary };

struct Unit {
    std::uint64_t hash;
    UnitKind kind;
};

constexpr std::uint64_t kBoundaryHash = 0x6b43a9b5e0c1f2d7ull;
constexpr std::uint64_t kSequenceSeed = 0x51ed270b27a4c3e5ull;
constexpr std::size_t kDense = 11;  // lexicon-derived features of the learned part
constexpr int kClasses = 3;         // negative, neutral, positive
constexpr int kIntensifierReach = 2;

std::uint64_t HashUnit(std::u32string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (char32_t c : s) {
        for (int i = 0; i < 4; ++i) {
            h ^= (c >> (8 * i)) & 0xFF;
            h *= 1099511628211ull;
        }
    }
    return h;
}

std::uint64_t ExtendSequence(std::uint64_t seq, std::uint64_t unit) {
    return seq ^ (unit + 0x9e3779b97f4a7c15ull + (seq << 12) + (seq >> 4));
}

// Pictographs and dingbats: each one is a unit, so the lexicon can weigh "😡" or "👍".
bool IsSymbol(char32_t c) { return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF); }

// Clause boundaries end the reach of negators and intensifiers. The normaliser has already turned full-width
// '！', '？', '；', '：' into ASCII; '，', '。' and '、' stay.
bool IsBoundary(char32_t c) {
    return c == ',' || c == '.' || c == '!' || c == '?' || c == ';' || c == ':' || c == '~' || c == U'，' ||
           c == U'。' || c == U'、' || c == U'…' || c == '\n';
}

void AddWord(std::u32string_view word, std::vector<Unit>& out) {
    auto push = [&](std::u32string_view w) {
        if (!w.empty()) out.push_back({HashUnit(w), UnitKind::kLatin});
    };
    auto apos = word.find(U'\'');
    if (apos == std::u32string_view::npos) {
        push(word);
        return;
    }
    std::u32string head(word.substr(0, apos));
    std::u32string_view tail = word.substr(apos + 1);
    if (tail == U"t" && head.size() > 1 && head.back() == U'n') {  // "don't" → "do not"
        head.pop_back();
        if (head == U"ca") head = U"can";
        if (head == U"wo") head = U"will";
        if (head == U"sha") head = U"shall";
        push(head);
        push(U"not");
        return;
    }
    push(head);
    if (tail == U"m") {
        push(U"am");
    } else if (tail == U"re") {
        push(U"are");
    } else if (tail == U"ve") {
        push(U"have");
    } else if (tail == U"ll") {
        push(U"will");
    } else if (tail == U"d") {
        push(U"would");
    } else if (!tail.empty() && tail != U"s") {
        AddWord(tail, out);
    }
}

void Units(std::u32string_view text, std::vector<Unit>& out) {
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t c = text[i];
        if (IsCjk(c) || IsSymbol(c)) {
            out.push_back({HashUnit(text.substr(i, 1)), IsCjk(c) ? UnitKind::kCjk : UnitKind::kSymbol});
            ++i;
        } else if (IsLatinWordChar(c) && c != '\'') {
            std::size_t j = i;
            while (j < text.size() && IsLatinWordChar(text[j])) ++j;
            std::u32string_view w = text.substr(i, j - i);
            while (!w.empty() && w.back() == '\'') w.remove_suffix(1);
            AddWord(w, out);
            i = j;
        } else {
            if (IsBoundary(c) && !out.empty() && out.back().kind != UnitKind::kBoundary) {
                out.push_back({kBoundaryHash, UnitKind::kBoundary});
            }
            ++i;
        }
    }
}

Error FileError(const std::string& path, int line, const std::string& what) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", path, line, what)};
}

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

void SilentPrint(const char*) {}

int LabelIndex(const std::string& label) {
    if (label == kSentimentNegative) return 0;
    if (label == kSentimentNeutral) return 1;
    if (label == kSentimentPositive) return 2;
    return -1;
}

const char* LabelName(int index) {
    static constexpr const char* kNames[kClasses] = {kSentimentNegative, kSentimentNeutral, kSentimentPositive};
    return kNames[index];
}

// A sparse row: (column, value) sorted by column.
using SparseRow = std::vector<std::pair<std::uint32_t, float>>;

}  // namespace

struct SentimentAnalyzer::Lexicon {
    struct Entry {
        double polarity = 0;   // 0 for none, or an entry that only blocks shorter matches
        double intensity = 1;  // > 1 intensifier, < 1 down-toner
        bool negator = false;
        bool contrast = false;
        bool anger = false;
        bool urgency = false;
        bool latin = false;  // an English entry (for the negation scope)
        int line = 0;
        std::string text;
    };

    std::unordered_map<std::uint64_t, std::uint32_t> by_sequence;  // hash of the unit sequence → entry
    std::vector<Entry> entries;
    std::size_t max_units = 1;
    int scope_zh = 4;  // negation reach in tokens (a matched entry or one unmatched unit is one token)
    int scope_en = 3;
    int punctuation_run = 3;                      // '!!!', '???'; mixed runs ('?!') count from 2
    std::unordered_set<std::string> ignore_caps;  // upper-case acronyms that are not shouting (ATM, PIN)

    std::pair<const Entry*, std::size_t> Match(const std::vector<Unit>& units, std::size_t i) const;
};

// What one message says to the lexicon and on its surface.
struct SentimentAnalyzer::Cues {
    double positive = 0;  // summed magnitudes after intensifiers, negation and contrast
    double negative = 0;
    int negated_positive = 0;
    int negated_negative = 0;
    int anger_markers = 0;
    int urgency_markers = 0;
    bool punctuation_run = false;
    bool shouting = false;  // ALL CAPS words
    bool question = false;
    bool exclamation = false;
    bool empty = true;  // no words, characters or symbols at all
    double lexicon_score = 0;
};

// Reads the lexicon from YAML.
struct SentimentAnalyzer::LexiconLoader {
    using Entry = Lexicon::Entry;

    static Result<std::unique_ptr<Lexicon>> Load(const std::string& path, const Normaliser& normaliser) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return Error{ErrorCode::kNotFound, path + ": cannot read the sentiment lexicon"};
        std::stringstream buffer;
        buffer << in.rdbuf();
        YAML::Node root;
        try {
            root = YAML::Load(buffer.str());
        } catch (const YAML::Exception& e) {
            return FileError(path, e.mark.line + 1, e.msg);
        }
        auto lexicon = std::make_unique<Lexicon>();
        try {
            if (!root.IsMap()) return FileError(path, 1, "expected a map with polarity, negators, ... sections");
            std::set<std::pair<std::string, std::uint64_t>> seen;  // (section, sequence) for duplicates
            // Finds or creates the entry for a phrase; errors name the line.
            auto entry_for = [&](const YAML::Node& key, const std::string& section) -> Result<std::uint32_t> {
                auto text = key.as<std::string>();
                auto norm = normaliser.Normalise(text);
                if (!norm) return FileError(path, LineOf(key), norm.error().message);
                std::vector<Unit> units;
                Units(norm->code_points, units);
                if (units.empty()) return FileError(path, LineOf(key), "'" + text + "' has no words to match");
                std::uint64_t h = kSequenceSeed;
                for (const Unit& u : units) {
                    if (u.kind == UnitKind::kBoundary) {
                        return FileError(path, LineOf(key), "'" + text + "' must not contain punctuation");
                    }
                    h = ExtendSequence(h, u.hash);
                }
                if (!seen.emplace(section, h).second) {
                    return FileError(path, LineOf(key), "'" + text + "' is listed twice in " + section);
                }
                lexicon->max_units = std::max(lexicon->max_units, units.size());
                auto [it, added] = lexicon->by_sequence.emplace(h, static_cast<std::uint32_t>(lexicon->entries.size()));
                if (added) {
                    Entry e;
                    e.latin = units.front().kind == UnitKind::kLatin;
                    e.line = LineOf(key);
                    e.text = text;
                    lexicon->entries.push_back(std::move(e));
                }
                return it->second;
            };
            // Iterates `section: {zh: ..., en: ..., emoji: ...}`.
            auto languages = [&](const YAML::Node& node, const std::string& section, bool want_map,
                                 const auto& each) -> Result<void> {
                if (!node.IsMap()) return FileError(path, LineOf(node), section + " must be a map of language");
                for (const auto& lang : node) {
                    auto name = lang.first.as<std::string>();
                    if (name != "zh" && name != "en" && name != "emoji") {
                        return FileError(path, LineOf(lang.first), "unknown language '" + name + "' (zh, en or emoji)");
                    }
                    const std::string where = fmt::format("{}.{}", section, name);
                    if (lang.second.IsNull()) continue;
                    if (want_map ? !lang.second.IsMap() : !lang.second.IsSequence()) {
                        return FileError(path, LineOf(lang.second),
                                         where + (want_map ? " must be a map of phrase to number" : " must be a list"));
                    }
                    for (const auto& item : lang.second) {
                        if (want_map) {
                            auto r = each(item.first, item.second, where);
                            if (!r) return r;
                        } else {
                            auto r = each(item, YAML::Node(), where);
                            if (!r) return r;
                        }
                    }
                }
                return Ok();
            };
            auto number = [&](const YAML::Node& value, const std::string& where, double lo,
                              double hi) -> Result<double> {
                double v = 0;
                if (!value.IsScalar() || !YAML::convert<double>::decode(value, v) || !std::isfinite(v)) {
                    return FileError(path, LineOf(value), where + ": expected a number");
                }
                if (v < lo || v > hi)
                    return FileError(path, LineOf(value), fmt::format("{}: {} is outside [{}, {}]", where, v, lo, hi));
                return v;
            };

            for (const auto& section : root) {
                const auto key = section.first.as<std::string>();
                const YAML::Node& value = section.second;
                Result<void> r = Ok();
                if (key == "version") {
                    if (value.as<int>() != 1) return FileError(path, LineOf(value), "unsupported version");
                } else if (key == "polarity") {
                    r = languages(
                        value, key, true,
                        [&](const YAML::Node& k, const YAML::Node& v, const std::string& where) -> Result<void> {
                            auto w = number(v, where + "." + k.as<std::string>(), -5, 5);
                            if (!w) return w.error();
                            auto e = entry_for(k, "polarity");
                            if (!e) return e.error();
                            lexicon->entries[*e].polarity = *w;
                            return Ok();
                        });
                } else if (key == "intensifiers") {
                    r = languages(
                        value, key, true,
                        [&](const YAML::Node& k, const YAML::Node& v, const std::string& where) -> Result<void> {
                            auto w = number(v, where + "." + k.as<std::string>(), 0.1, 3);
                            if (!w) return w.error();
                            auto e = entry_for(k, "intensifiers");
                            if (!e) return e.error();
                            lexicon->entries[*e].intensity = *w;
                            return Ok();
                        });
                } else if (key == "negators" || key == "contrast" || key == "anger" || key == "urgency") {
                    r = languages(value, key, false,
                                  [&](const YAML::Node& k, const YAML::Node&, const std::string&) -> Result<void> {
                                      auto e = entry_for(k, key);
                                      if (!e) return e.error();
                                      Entry& entry = lexicon->entries[*e];
                                      (key == "negators"   ? entry.negator
                                       : key == "contrast" ? entry.contrast
                                       : key == "anger"    ? entry.anger
                                                           : entry.urgency) = true;
                                      return Ok();
                                  });
                } else if (key == "negation_scope") {
                    if (!value.IsMap()) return FileError(path, LineOf(value), "negation_scope must be {zh: N, en: N}");
                    for (const auto& lang : value) {
                        auto name = lang.first.as<std::string>();
                        auto n = number(lang.second, "negation_scope." + name, 1, 10);
                        if (!n) return n.error();
                        if (name == "zh") {
                            lexicon->scope_zh = static_cast<int>(*n);
                        } else if (name == "en") {
                            lexicon->scope_en = static_cast<int>(*n);
                        } else {
                            return FileError(path, LineOf(lang.first), "unknown language '" + name + "' (zh or en)");
                        }
                    }
                } else if (key == "punctuation_run") {
                    auto n = number(value, key, 2, 20);
                    if (!n) return n.error();
                    lexicon->punctuation_run = static_cast<int>(*n);
                } else if (key == "ignore_caps") {
                    if (!value.IsSequence()) return FileError(path, LineOf(value), "ignore_caps must be a list");
                    for (const auto& item : value) {
                        auto word = item.as<std::string>();
                        std::transform(word.begin(), word.end(), word.begin(),
                                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
                        lexicon->ignore_caps.insert(std::move(word));
                    }
                } else {
                    return FileError(path, LineOf(section.first), "unknown section '" + key + "'");
                }
                if (!r) return r.error();
            }
            for (const Entry& e : lexicon->entries) {
                if (e.negator && (e.polarity != 0 || e.intensity != 1)) {
                    return FileError(path, e.line, "'" + e.text + "' cannot be both a negator and a polar word");
                }
            }
        } catch (const YAML::Exception& e) {
            return FileError(path, e.mark.line + 1, e.msg);
        }
        if (lexicon->entries.empty()) return FileError(path, 1, "the lexicon has no entries");
        return lexicon;
    }
};

SentimentAnalyzer::SentimentAnalyzer(std::unique_ptr<Lexicon> lexicon, const SentimentOptions& options)
    : lexicon_(std::move(lexicon)), options_(options) {}

SentimentAnalyzer::~SentimentAnalyzer() = default;

std::size_t SentimentAnalyzer::lexicon_entries() const { return lexicon_->entries.size(); }

// The longest entry starting at unit `i`, and its length in units (1 when nothing matches).
std::pair<const SentimentAnalyzer::Lexicon::Entry*, std::size_t> SentimentAnalyzer::Lexicon::Match(
    const std::vector<Unit>& units, std::size_t i) const {
    const Entry* entry = nullptr;
    std::size_t length = 1;
    std::uint64_t h = kSequenceSeed;
    for (std::size_t n = 1; n <= max_units && i + n <= units.size(); ++n) {
        const Unit& u = units[i + n - 1];
        if (u.kind == UnitKind::kBoundary) break;
        h = ExtendSequence(h, u.hash);
        if (auto it = by_sequence.find(h); it != by_sequence.end()) {
            entry = &entries[it->second];
            length = n;
        }
    }
    return {entry, length};
}

SentimentAnalyzer::Cues SentimentAnalyzer::Read(const NormalisedText& text) const {
    Cues cues;
    const Lexicon& lex = *lexicon_;
    std::vector<Unit> units;
    units.reserve(text.code_points.size());
    Units(text.code_points, units);

    int negate_left = 0;  // tokens still under a negator
    double pending = 1;   // intensity waiting for the next polar word
    int pending_left = 0;
    auto tick = [&] {
        if (negate_left > 0) --negate_left;
        if (pending_left > 0 && --pending_left == 0) pending = 1;
    };
    for (std::size_t i = 0; i < units.size();) {
        if (units[i].kind == UnitKind::kBoundary) {
            negate_left = 0;
            pending = 1;
            pending_left = 0;
            ++i;
            continue;
        }
        cues.empty = false;
        const auto [entry, length] = lex.Match(units, i);
        i += length;
        if (entry == nullptr) {
            tick();
            continue;
        }
        const Lexicon::Entry& e = *entry;
        if (e.contrast) {  // "服务不错，但是太慢了": what follows the contrast counts more
            cues.positive *= 0.5;
            cues.negative *= 0.5;
            negate_left = 0;
            pending = 1;
            pending_left = 0;
            continue;
        }
        if (e.negator) {
            negate_left = e.latin ? lex.scope_en : lex.scope_zh;
            continue;
        }
        const bool negated = negate_left > 0;
        // "好" is polar on its own ("服务好") and an intensifier before a polar word ("好慢", "好开心").
        bool intensifies = e.intensity != 1;
        if (intensifies && e.polarity != 0) {
            const Lexicon::Entry* next = lex.Match(units, i).first;
            intensifies = next != nullptr && next->polarity != 0;
        }
        if (intensifies) {
            // Under a negator an intensifier softens instead: "不太满意", "not very good".
            pending *= negated && e.intensity > 1 ? 0.7 : e.intensity;
            pending_left = kIntensifierReach;
            if (negate_left > 0) --negate_left;
            continue;
        }
        if (e.polarity != 0) {
            double w = e.polarity * pending;
            if (negated) {
                if (w > 0) {
                    w *= -0.8;  // "不满意", "not happy": negative
                    ++cues.negated_positive;
                } else {
                    w *= -0.3;  // "not bad", "别担心": mildly positive
                    ++cues.negated_negative;
                }
                negate_left = 0;
            }
            (w > 0 ? cues.positive : cues.negative) += std::abs(w);
            pending = 1;
            pending_left = 0;
        }
        if (e.anger && !negated) ++cues.anger_markers;
        if (e.urgency && !negated) ++cues.urgency_markers;
        tick();
    }
    cues.lexicon_score = std::tanh((cues.positive - cues.negative) / 2);

    // The surface of the original: the normaliser folds case and collapses "!!!" to "!".
    const std::u32string original = DecodeUtf8(text.original);
    int run = 0;
    bool run_has_exclamation = false;
    bool run_has_question = false;
    std::size_t caps = 0;
    std::size_t longest_caps = 0;
    std::string word;
    bool word_all_upper = true;
    auto end_run = [&] {
        if (run >= lex.punctuation_run || (run >= 2 && run_has_exclamation && run_has_question)) {
            cues.punctuation_run = true;
        }
        run = 0;
        run_has_exclamation = run_has_question = false;
    };
    auto end_word = [&] {
        if (word.size() >= 2 && word_all_upper && !lex.ignore_caps.contains(word)) {
            ++caps;
            longest_caps = std::max(longest_caps, word.size());
        }
        word.clear();
        word_all_upper = true;
    };
    for (char32_t c : original) {
        const bool exclamation = c == '!' || c == U'！';
        const bool question = c == '?' || c == U'？';
        if (exclamation || question) {
            ++run;
            run_has_exclamation |= exclamation;
            run_has_question |= question;
            cues.exclamation |= exclamation;
            cues.question |= question;
        } else if (c != ' ') {
            end_run();
        }
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
            word.push_back(static_cast<char>(c));
            word_all_upper &= c <= 'Z';
        } else {
            end_word();
        }
    }
    end_run();
    end_word();
    cues.shouting = caps >= 2 || longest_caps >= 4;
    return cues;
}

namespace {

// The first `limit` code points of a long message, with the matching prefix of the original; `text` itself
// when it is short enough.
const NormalisedText& Head(const NormalisedText& text, std::size_t limit, NormalisedText& storage) {
    if (text.code_points.size() <= limit) return text;
    storage.code_points = text.code_points.substr(0, limit);
    storage.text = EncodeUtf8(storage.code_points);
    storage.original = text.original;
    if (text.to_original.size() > limit && text.to_original[limit] < text.original_byte_offsets.size()) {
        storage.original.resize(text.original_byte_offsets[text.to_original[limit]]);
    }
    return storage;
}

}  // namespace

double SentimentAnalyzer::LexiconScore(const NormalisedText& text) const {
    NormalisedText storage;
    return Read(Head(text, kMaxCodePoints, storage)).lexicon_score;
}

// Builds the learned part; a member type, so it may set the analyser's private fields.
struct SentimentAnalyzer::Trainer {
    static void Dense(const Cues& c, double scale, float out[kDense]) {
        const double d[kDense] = {std::tanh(c.positive / 2),
                                  std::tanh(c.negative / 2),
                                  c.lexicon_score,
                                  c.negated_positive > 0 ? 1.0 : 0.0,
                                  c.negated_negative > 0 ? 1.0 : 0.0,
                                  c.anger_markers > 0 ? 1.0 : 0.0,
                                  c.urgency_markers > 0 ? 1.0 : 0.0,
                                  c.punctuation_run ? 1.0 : 0.0,
                                  c.shouting ? 1.0 : 0.0,
                                  c.question ? 1.0 : 0.0,
                                  c.exclamation ? 1.0 : 0.0};
        for (std::size_t k = 0; k < kDense; ++k) out[k] = static_cast<float>(d[k] * scale);
    }

    // TF-IDF n-grams, L2-normalised, then the lexicon features, then the bias (columns are 0-based here).
    static SparseRow Row(const SentimentAnalyzer& a, const std::vector<std::uint64_t>& hashes, const Cues& cues) {
        std::vector<std::uint32_t> cols;
        cols.reserve(hashes.size());
        for (auto h : hashes) {
            if (auto it = a.index_.find(h); it != a.index_.end()) cols.push_back(it->second);
        }
        std::sort(cols.begin(), cols.end());
        SparseRow row;
        double norm = 0;
        for (std::size_t i = 0; i < cols.size();) {
            std::size_t j = i;
            while (j < cols.size() && cols[j] == cols[i]) ++j;
            auto v = static_cast<float>((1.0 + std::log(static_cast<double>(j - i))) * a.idf_[cols[i]]);
            row.emplace_back(cols[i], v);
            norm += static_cast<double>(v) * v;
            i = j;
        }
        if (norm > 0) {
            const double scale = 1.0 / std::sqrt(norm);
            for (auto& [c, v] : row) v = static_cast<float>(v * scale);
        }
        const auto n_cols = static_cast<std::uint32_t>(a.idf_.size());
        float dense[kDense];
        Dense(cues, a.options_.lexicon_feature_weight, dense);
        for (std::size_t k = 0; k < kDense; ++k) {
            if (dense[k] != 0) row.emplace_back(n_cols + static_cast<std::uint32_t>(k), dense[k]);
        }
        row.emplace_back(n_cols + static_cast<std::uint32_t>(kDense), 1.0f);
        return row;
    }

    static Result<void> Fit(SentimentAnalyzer& a, const std::vector<Example>& examples, const std::string& path,
                            const Normaliser& normaliser) {
        std::vector<int> labels;
        std::vector<std::vector<std::uint64_t>> features;
        std::vector<Cues> cues;
        int per_label[kClasses] = {0, 0, 0};
        for (const Example& ex : examples) {
            int label = LabelIndex(ex.label);
            if (label < 0) {
                return FileError(path, ex.line,
                                 "unknown sentiment label '" + ex.label + "' (negative, neutral or positive)");
            }
            auto norm = normaliser.Normalise(ex.text);
            if (!norm) return FileError(path, ex.line, norm.error().message);
            NormalisedText storage;
            const NormalisedText& text = Head(*norm, kMaxCodePoints, storage);
            ++per_label[label];
            labels.push_back(label);
            cues.push_back(a.Read(text));
            features.emplace_back();
            ExtractFeatures(text.code_points, a.options_.features, features.back());
        }
        for (int k = 0; k < kClasses; ++k) {
            if (per_label[k] == 0) return FileError(path, 1, fmt::format("no '{}' examples", LabelName(k)));
        }
        // Vocabulary and document frequencies.
        std::unordered_map<std::uint64_t, std::uint32_t> df;
        for (const auto& f : features) {
            std::vector<std::uint64_t> unique = f;
            std::sort(unique.begin(), unique.end());
            unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
            for (auto h : unique) ++df[h];
        }
        std::vector<std::pair<std::uint64_t, std::uint32_t>> kept(df.begin(), df.end());
        std::sort(kept.begin(), kept.end());
        const double n_docs = static_cast<double>(features.size());
        a.index_.reserve(kept.size());
        a.idf_.reserve(kept.size());
        for (std::uint32_t i = 0; i < kept.size(); ++i) {
            a.index_.emplace(kept[i].first, i);
            a.idf_.push_back(static_cast<float>(std::log((1.0 + n_docs) / (1.0 + kept[i].second)) + 1.0));
        }
        const auto n_cols = static_cast<int>(kept.size() + kDense + 1);

        // liblinear wants 1-based columns and a -1 terminator per row.
        std::vector<feature_node> nodes;
        std::vector<std::size_t> starts;
        for (std::size_t i = 0; i < features.size(); ++i) {
            starts.push_back(nodes.size());
            for (const auto& [c, v] : Row(a, features[i], cues[i])) nodes.push_back({static_cast<int>(c) + 1, v});
            nodes.push_back({-1, 0});
        }
        std::vector<feature_node*> x;
        x.reserve(starts.size());
        for (std::size_t s : starts) x.push_back(&nodes[s]);
        std::vector<double> y(labels.size());
        problem prob{};
        prob.l = static_cast<int>(labels.size());
        prob.n = n_cols;
        prob.x = x.data();
        prob.y = y.data();
        prob.bias = -1;  // the bias column is in the rows already
        parameter param{};
        param.solver_type = L2R_LR;
        param.C = a.options_.c;
        param.eps = 0.01;
        set_print_string_function(&SilentPrint);
        if (const char* why = check_parameter(&prob, &param)) {
            return Error{ErrorCode::kInvalidArgument, std::string("sentiment training: ") + why};
        }
        a.weights_.assign(static_cast<std::size_t>(n_cols) * kClasses, 0.0f);
        for (int k = 0; k < kClasses; ++k) {
            for (std::size_t i = 0; i < labels.size(); ++i) y[i] = labels[i] == k ? 1.0 : -1.0;
            struct model* m = train(&prob, &param);
            const double sign = m->label[0] == 1 ? 1.0 : -1.0;
            for (int c = 0; c < n_cols; ++c) {
                a.weights_[static_cast<std::size_t>(c) * kClasses + static_cast<std::size_t>(k)] =
                    static_cast<float>(sign * m->w[c]);
            }
            free_and_destroy_model(&m);
        }
        return Ok();
    }
};

void SentimentAnalyzer::LearnedProbabilities(const NormalisedText& text, const Cues& cues, double p[3]) const {
    std::vector<std::uint64_t> hashes;
    hashes.reserve(256);
    ExtractFeatures(text.code_points, options_.features, hashes);
    const SparseRow row = Trainer::Row(*this, hashes, cues);
    double z[kClasses] = {0, 0, 0};
    for (const auto& [c, v] : row) {
        const float* w = &weights_[static_cast<std::size_t>(c) * kClasses];
        for (int k = 0; k < kClasses; ++k) z[k] += v * w[k];
    }
    double sum = 0;
    for (int k = 0; k < kClasses; ++k) sum += p[k] = Sigmoid(z[k]);
    for (int k = 0; k < kClasses; ++k) p[k] /= sum;
}

Sentiment SentimentAnalyzer::Analyze(const NormalisedText& whole) const {
    NormalisedText storage;
    const NormalisedText& text = Head(whole, kMaxCodePoints, storage);
    Sentiment out;
    const Cues cues = Read(text);
    if (cues.empty) return out;
    // The lexicon's distribution, trusted as far as it found polar words; the learned one, as far as it is sure.
    const double lex = cues.lexicon_score;
    double p[kClasses] = {std::max(0.0, -lex), 1 - std::abs(lex), std::max(0.0, lex)};
    if (has_learned_part()) {
        double q[kClasses];
        LearnedProbabilities(text, cues, q);
        const double top = *std::max_element(q, q + kClasses);
        const double learned_trust = std::max(0.05, (top - 1.0 / 3) / (2.0 / 3));
        const double evidence = std::tanh(cues.positive + cues.negative);
        const double lexicon_trust = (1 - options_.learned_weight) / std::max(0.05, options_.learned_weight) * evidence;
        for (int k = 0; k < kClasses; ++k) {
            p[k] = (learned_trust * q[k] + lexicon_trust * p[k]) / (learned_trust + lexicon_trust);
        }
    }
    int best = 1;  // ties go to neutral
    for (int k : {0, 2}) {
        if (p[k] > p[best]) best = k;
    }
    out.label = LabelName(best);
    out.score = std::clamp(p[2] - p[0], -1.0, 1.0);
    const bool anger_evidence = cues.anger_markers > 0 || cues.punctuation_run || cues.shouting;
    out.anger = anger_evidence && best == 0 && out.score <= options_.anger_score;
    out.urgency = cues.urgency_markers > 0 && best != 2;  // "thanks for blocking the stolen card" is settled
    return out;
}

Result<std::unique_ptr<SentimentAnalyzer>> SentimentAnalyzer::Create(const std::string& lexicon_yaml,
                                                                     const std::string& train_csv,
                                                                     const Normaliser& normaliser,
                                                                     const SentimentOptions& options) {
    auto lexicon = LexiconLoader::Load(lexicon_yaml, normaliser);
    if (!lexicon) return lexicon.error();
    std::unique_ptr<SentimentAnalyzer> analyzer(new SentimentAnalyzer(std::move(lexicon.value()), options));
    if (train_csv.empty()) return analyzer;
    auto examples = LoadExamples(train_csv);
    if (!examples) return examples.error();
    if (examples->empty()) return FileError(train_csv, 1, "no training examples");
    auto fitted = Trainer::Fit(*analyzer, *examples, train_csv, normaliser);
    if (!fitted) return fitted.error();
    return analyzer;
}

boost::json::object ToJson(const Sentiment& s) {
    return {
        {"label", s.label}, {"score", std::round(s.score * 1000) / 1000}, {"anger", s.anger}, {"urgency", s.urgency}};
}

}  // namespace kefu::nlu
