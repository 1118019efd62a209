#include "dialogue/rule_bot.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <map>

#include "core/clock.hpp"
#include "nlu/entities.hpp"
#include "nlu/intent_model.hpp"
#include "nlu/language.hpp"
#include "nlu/normalise.hpp"
#include "nlu/sentiment.hpp"

namespace kefu::dialogue {

namespace {

struct Localised {
    std::map<std::string, std::string> by_lang;  // zh, en
    const std::string& Get(std::string_view lang) const {
        auto it = by_lang.find(std::string(lang));
        return it != by_lang.end() ? it->second : by_lang.begin()->second;
    }
};

struct LocalisedReplies {
    std::map<std::string, std::vector<QuickReply>> by_lang;
};

struct Rule {
    std::string intent;
    std::map<std::string, std::vector<std::string>> keywords;  // lang -> normalised keywords
    Localised reply;
    LocalisedReplies quick_replies;
};

struct RuleSet {
    Localised welcome;
    LocalisedReplies welcome_quick;
    Localised fallback;
    LocalisedReplies fallback_quick;
    Localised clarify;  // the "did you mean" prompt above the knowledge base's top questions
    // Intents whose rule reply wins over a knowledge-base answer when the intent is confident: small talk
    // and dialogue acts ("thanks" must not be answered with an FAQ).
    std::vector<std::string> rule_first_intents;
    double rule_first_confidence = 0.5;
    std::vector<Rule> rules;
};

// Decodes one UTF-8 code point at s[i]; advances i. Returns U+FFFD on malformed input.
char32_t NextCodePoint(std::string_view s, std::size_t& i) {
    auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || i + static_cast<std::size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) {
        ++i;
        return 0xFFFD;
    }
    char32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= n; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    i += static_cast<std::size_t>(n) + 1;
    return cp;
}

bool IsHan(char32_t cp) { return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF); }

class KeywordUnderstander final : public Understander {
  public:
    explicit KeywordUnderstander(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}

    Understanding Understand(const NormalisedText& text, std::string_view /*reference_time*/) const override {
        Understanding u;
        u.language = text.language;
        std::size_t best = 0;
        for (const Rule& rule : rules_->rules) {
            std::size_t score = 0;
            for (const auto& [lang, words] : rule.keywords) {
                for (const std::string& w : words) {
                    if (Contains(text.text, w, lang == "en")) score += w.size();
                }
            }
            if (score > best) {
                best = score;
                u.intent = rule.intent;
            }
        }
        // A crude confidence: how much of the message the matched keywords cover.
        u.confidence = text.text.empty()
                           ? 0.0
                           : std::min(1.0, 0.4 + static_cast<double>(best) / static_cast<double>(text.text.size()));
        if (u.intent.empty()) u.confidence = 0;
        return u;
    }

  private:
    // Whole-word match for English keywords, substring match for Chinese ones.
    static bool Contains(const std::string& hay, const std::string& needle, bool whole_word) {
        std::size_t pos = 0;
        while ((pos = hay.find(needle, pos)) != std::string::npos) {
            if (!whole_word) return true;
            bool left = pos == 0 || !std::isalnum(static_cast<unsigned char>(hay[pos - 1]));
            std::size_t end = pos + needle.size();
            bool right = end >= hay.size() || !std::isalnum(static_cast<unsigned char>(hay[end]));
            if (left && right) return true;
            ++pos;
        }
        return false;
    }

    std::shared_ptr<const RuleSet> rules_;
};

// Order (docs/kb.md): a confident small-talk or dialogue-act intent gets its rule reply; else a confident
// knowledge-base answer; else a confident intent's rule reply; else "did you mean" from the knowledge base;
// else a less confident intent's rule reply; else the fallback. Clarify and fallback turns are marked unanswered for
// gap mining.
class RulePolicy final : public Policy {
  public:
    RulePolicy(std::shared_ptr<const RuleSet> rules, std::shared_ptr<const Knowledge> knowledge)
        : rules_(std::move(rules)), knowledge_(std::move(knowledge)) {}

    Decision Decide(const TurnInput& input, const Understanding& u) const override {
        Decision d;
        d.intent = u.intent;
        // Answer in the language the customer wrote in; mixed text keeps the conversation's language.
        d.reply_language = u.language == "zh" || u.language == "en" ? u.language : std::string(input.language);
        bool has_reply = std::any_of(rules_->rules.begin(), rules_->rules.end(),
                                     [&](const Rule& r) { return r.intent == u.intent; });
        bool rule_first = has_reply && u.confidence >= rules_->rule_first_confidence &&
                          std::find(rules_->rule_first_intents.begin(), rules_->rule_first_intents.end(), u.intent) !=
                              rules_->rule_first_intents.end();
        if (rule_first) {
            d.action = "reply";
            return d;
        }
        if (knowledge_) d.knowledge = knowledge_->Lookup(input.text, d.reply_language, input.channel, &u);
        if (d.knowledge.decision == "answer") {
            d.action = "kb_answer";
        } else if (has_reply && (u.confidence >= rules_->rule_first_confidence || d.knowledge.decision != "clarify")) {
            d.action = "reply";
        } else if (d.knowledge.decision == "clarify") {
            d.action = "kb_clarify";
            d.unanswered = true;
        } else {
            d.action = "fallback";
            d.unanswered = true;
        }
        return d;
    }

  private:
    std::shared_ptr<const RuleSet> rules_;
    std::shared_ptr<const Knowledge> knowledge_;
};

// Adapts the NLU normaliser (NFKC, case folding, Traditional → Simplified, offset map) to the pipeline.
class NluNormaliser final : public Normaliser {
  public:
    explicit NluNormaliser(std::shared_ptr<const nlu::Normaliser> n) : n_(std::move(n)) {}

    NormalisedText Normalise(std::string_view text) const override {
        auto r = n_->Normalise(text);
        if (!r) return BasicNormaliser().Normalise(text);  // only for input the server already refuses
        NormalisedText out;
        out.text = r->text;
        out.language = nlu::DetectLanguage(r->code_points);
        out.nlu = std::make_shared<const nlu::NormalisedText>(std::move(r.value()));
        return out;
    }

  private:
    std::shared_ptr<const nlu::Normaliser> n_;
};

// Intents from the trained model and entities from the extractors; keywords when no model is loaded.
class ModelUnderstander final : public Understander {
  public:
    ModelUnderstander(std::shared_ptr<const nlu::IntentModel> model,
                      std::shared_ptr<const nlu::SentimentAnalyzer> sentiment, std::shared_ptr<const RuleSet> rules)
        : model_(std::move(model)), sentiment_(std::move(sentiment)), keywords_(std::move(rules)) {}

    Understanding Understand(const NormalisedText& text, std::string_view reference_time) const override {
        if (!text.nlu) return keywords_.Understand(text, reference_time);
        Understanding u;
        u.language = text.language;
        auto p = model_->Predict(*text.nlu, 3);
        u.intent = p.intent;
        u.confidence = p.confidence;
        for (const auto& t : p.top) u.top.emplace_back(t.intent, t.confidence);
        auto entities =
            extractor_.Extract(*text.nlu, {reference_time.empty() ? LocalIsoNow() : std::string(reference_time)});
        if (entities) {
            boost::json::array a;
            for (const auto& e : entities.value()) a.push_back(nlu::ToJson(e));
            u.entities = std::move(a);
            u.raw_entities = std::move(entities.value());
        }
        if (sentiment_) {
            nlu::Sentiment st = sentiment_->Analyze(*text.nlu);
            u.sentiment = st.label;
            u.sentiment_score = st.score;
            u.anger = st.anger;
            u.urgency = st.urgency;
        }
        return u;
    }

  private:
    std::shared_ptr<const nlu::IntentModel> model_;
    std::shared_ptr<const nlu::SentimentAnalyzer> sentiment_;
    KeywordUnderstander keywords_;
    nlu::EntityExtractor extractor_;
};

class TemplateResponder final : public Responder {
  public:
    explicit TemplateResponder(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}

    std::vector<BotMessage> Respond(const Decision& d) const override {
        if (d.action == "kb_answer") return {BotMessage{d.knowledge.answer, {}}};
        if (d.action == "kb_clarify") {
            BotMessage m{rules_->clarify.Get(d.reply_language), {}};
            for (const auto& [id, question] : d.knowledge.top)
                m.quick_replies.push_back(QuickReply{question, question});
            return {std::move(m)};
        }
        if (d.action == "reply") {
            for (const Rule& r : rules_->rules) {
                if (r.intent == d.intent) return {Message(r.reply, r.quick_replies, d.reply_language)};
            }
        }
        return {Message(rules_->fallback, rules_->fallback_quick, d.reply_language)};
    }

    BotMessage Welcome(std::string_view language) const override {
        return Message(rules_->welcome, rules_->welcome_quick, language);
    }

  private:
    static BotMessage Message(const Localised& text, const LocalisedReplies& quick, std::string_view lang) {
        BotMessage m{text.Get(lang), {}};
        if (auto it = quick.by_lang.find(std::string(lang)); it != quick.by_lang.end()) m.quick_replies = it->second;
        return m;
    }

    std::shared_ptr<const RuleSet> rules_;
};

[[noreturn]] void Fail(const std::string& file, const YAML::Node& node, const std::string& what) {
    throw std::runtime_error(fmt::format("{}:{}: {}", file, node.Mark().line + 1, what));
}

Localised ReadLocalised(const std::string& file, const YAML::Node& node, const std::string& what) {
    if (!node || !node.IsMap()) Fail(file, node, what + " must be a map of language to text (zh, en)");
    Localised l;
    for (const auto& kv : node) {
        auto lang = kv.first.as<std::string>();
        if (lang != "zh" && lang != "en") Fail(file, kv.first, what + ": unknown language '" + lang + "'");
        l.by_lang[lang] = kv.second.as<std::string>();
    }
    if (l.by_lang.size() != 2) Fail(file, node, what + " needs both zh and en");
    return l;
}

LocalisedReplies ReadQuick(const std::string& file, const YAML::Node& node) {
    LocalisedReplies q;
    if (!node) return q;
    if (!node.IsMap()) Fail(file, node, "quick_replies must be a map of language to a list");
    for (const auto& kv : node) {
        auto lang = kv.first.as<std::string>();
        if (!kv.second.IsSequence()) Fail(file, kv.second, "quick_replies." + lang + " must be a list");
        for (const auto& item : kv.second) q.by_lang[lang].push_back({item.as<std::string>(), item.as<std::string>()});
    }
    return q;
}

}  // namespace

NormalisedText BasicNormaliser::Normalise(std::string_view text) const {
    NormalisedText out;
    out.text.reserve(text.size());
    std::size_t han = 0;
    std::size_t latin = 0;
    bool pending_space = false;
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = NextCodePoint(text, i);
        if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII
        if (cp == 0x3000) cp = ' ';                      // ideographic space
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
            pending_space = !out.text.empty();
            continue;
        }
        if (pending_space) {
            out.text.push_back(' ');
            pending_space = false;
        }
        if (cp >= 'A' && cp <= 'Z') cp += 32;
        if (cp >= 'a' && cp <= 'z') ++latin;
        if (IsHan(cp)) ++han;
        nlu::AppendUtf8(out.text, cp);
    }
    // A stray Latin word in Chinese ("ATM机在哪") stays Chinese; real English inside Chinese is mixed.
    if (han == 0 && latin == 0) {
        out.language = "";
    } else if (han == 0) {
        out.language = "en";
    } else {
        out.language = latin < 4 ? "zh" : "mixed";
    }
    return out;
}

Result<PipelineStages> BuildRuleStages(const std::string& pack_dir, const NluComponents& nlu,
                                       std::shared_ptr<const Knowledge> knowledge) {
    const auto& normaliser = nlu.normaliser;
    const auto& model = nlu.model;
    const std::string file = (std::filesystem::path(pack_dir) / "bot" / "rules.yaml").string();
    if (!std::filesystem::exists(file)) return Error{ErrorCode::kNotFound, file + ": not found"};
    // One normaliser serves the rules' keywords and then the pipeline, so both match the same form.
    std::shared_ptr<Normaliser> normalise;
    if (normaliser) {
        normalise = std::make_unique<NluNormaliser>(normaliser);
    } else {
        normalise = std::make_unique<BasicNormaliser>();
    }
    auto rules = std::make_shared<RuleSet>();
    try {
        YAML::Node root = YAML::LoadFile(file);
        if (!root["version"] || root["version"].as<int>() != 1) Fail(file, root, "expected 'version: 1'");
        rules->welcome = ReadLocalised(file, root["welcome"], "welcome");
        rules->welcome_quick = ReadQuick(file, root["welcome_quick_replies"]);
        rules->fallback = ReadLocalised(file, root["fallback"], "fallback");
        rules->fallback_quick = ReadQuick(file, root["fallback_quick_replies"]);
        if (root["clarify"]) {
            rules->clarify = ReadLocalised(file, root["clarify"], "clarify");
        } else {
            rules->clarify.by_lang = {{"zh", "您是想问下面哪个问题？"}, {"en", "Did you mean one of these?"}};
        }
        if (const auto& rf = root["rule_first_intents"]) {
            if (!rf.IsSequence()) Fail(file, rf, "'rule_first_intents' must be a list of intents");
            for (const auto& i : rf) rules->rule_first_intents.push_back(i.as<std::string>());
        }
        if (!root["rules"] || !root["rules"].IsSequence()) Fail(file, root, "'rules' must be a list");
        for (const auto& n : root["rules"]) {
            Rule r;
            if (!n["intent"]) Fail(file, n, "a rule needs an 'intent'");
            r.intent = n["intent"].as<std::string>();
            if (!n["keywords"] || !n["keywords"].IsMap()) Fail(file, n, "rule '" + r.intent + "' needs 'keywords'");
            for (const auto& kv : n["keywords"]) {
                for (const auto& w : kv.second)
                    r.keywords[kv.first.as<std::string>()].push_back(normalise->Normalise(w.as<std::string>()).text);
            }
            r.reply = ReadLocalised(file, n["reply"], "rule '" + r.intent + "' reply");
            r.quick_replies = ReadQuick(file, n["quick_replies"]);
            rules->rules.push_back(std::move(r));
        }
    } catch (const YAML::Exception& e) {
        return Error{ErrorCode::kInvalidArgument, fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg)};
    } catch (const std::exception& e) {
        return Error{ErrorCode::kInvalidArgument, e.what()};
    }
    PipelineStages stages;
    if (model) {
        stages.understander = std::make_shared<ModelUnderstander>(model, nlu.sentiment, rules);
    } else {
        stages.understander = std::make_shared<KeywordUnderstander>(rules);
    }
    stages.normaliser = std::move(normalise);
    stages.policy = std::make_shared<RulePolicy>(rules, std::move(knowledge));
    stages.responder = std::make_shared<TemplateResponder>(rules);
    return stages;
}

Result<std::unique_ptr<Pipeline>> BuildRulePipeline(const std::string& pack_dir, const NluComponents& nlu,
                                                    std::shared_ptr<const Knowledge> knowledge) {
    auto stages = BuildRuleStages(pack_dir, nlu, std::move(knowledge));
    if (!stages) return stages.error();
    return std::make_unique<Pipeline>(stages->normaliser, stages->understander, stages->policy, stages->responder);
}

}  // namespace kefu::dialogue
