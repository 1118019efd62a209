#include "nlu/sentiment.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "nlu/test_support.hpp"
#include "nlu/training_data.hpp"

namespace kefu::nlu {
namespace {

using testing::Normalised;
using testing::SharedNormaliser;

const std::string kLexicon = KEFU_SOURCE_DIR "/packs/demo/nlu/sentiment_lexicon.yaml";
const std::string kTrain = KEFU_SOURCE_DIR "/packs/demo/nlu/sentiment_train.csv";
const std::string kHeldOut = KEFU_SOURCE_DIR "/packs/demo/nlu/sentiment_test.csv";

const SentimentAnalyzer& Analyzer() {
    static const std::unique_ptr<SentimentAnalyzer> analyzer = [] {
        auto a = SentimentAnalyzer::Create(kLexicon, kTrain, SharedNormaliser());
        if (!a.ok()) throw std::runtime_error("cannot create the sentiment analyser: " + a.error().message);
        return std::move(a).value();
    }();
    return *analyzer;
}

const SentimentAnalyzer& LexiconOnly() {
    static const std::unique_ptr<SentimentAnalyzer> analyzer = [] {
        auto a = SentimentAnalyzer::Create(kLexicon, "", SharedNormaliser());
        if (!a.ok()) throw std::runtime_error("cannot create the sentiment analyser: " + a.error().message);
        return std::move(a).value();
    }();
    return *analyzer;
}

Sentiment Analyze(const SentimentAnalyzer& a, std::string_view text) { return a.Analyze(Normalised(text)); }

std::string WriteTemp(const std::string& name, const std::string& body) {
    auto path = std::filesystem::temp_directory_path() / (std::to_string(getpid()) + "_sentiment_" + name);
    std::ofstream(path) << body;
    return path.string();
}

std::string Describe(const Sentiment& s) { return boost::json::serialize(ToJson(s)); }

// "!negative" accepts neutral or positive.
struct Case {
    const char* text;
    const char* label;
    bool anger;
    bool urgency;
};

const Case kCases[] = {
    // Clear positives.
    {"谢谢你们，服务太好了", "positive", false, false},
    {"thanks, that was really helpful", "positive", false, false},
    {"客服小姐姐超级耐心，五星好评", "positive", false, false},
    {"謝謝你們，問題都解決了", "positive", false, false},  // Traditional
    {"great job, my card works again", "positive", false, false},
    {"谢谢 so much，你们的app真好用", "positive", false, false},  // mixed
    {"thanks 你们的客服 very professional", "positive", false, false},
    {"钱已经退回来了，太感谢了!!!", "positive", false, false},  // '!!!' is not anger when happy
    // Negation.
    {"我对你们的处理结果不满意", "negative", false, false},
    {"不错，办得挺快的", "positive", false, false},
    {"the new app is not bad", "!negative", false, false},
    {"I'm not happy with the service", "negative", false, false},
    {"你们的服务一点都不专业", "negative", false, false},
    {"that was not helpful at all", "negative", false, false},
    {"没问题了，多谢你的耐心", "positive", false, false},
    {"no problem, thanks for checking", "positive", false, false},
    // Clear negatives.
    {"服务不好，等了好久", "negative", false, false},
    {"the app is slow and keeps crashing", "negative", false, false},
    {"钱被多扣了，怎么还没退回来", "negative", false, false},
    {"我非常失望", "negative", false, false},
    {"營業員態度很差", "negative", false, false},  // Traditional
    {"I'm really disappointed with how long this is taking", "negative", false, false},
    // Contrast: what follows "but" counts more.
    {"服务还不错，但是等的时间太长了，很失望", "negative", false, false},
    {"the queue was slow but the staff were wonderful", "positive", false, false},
    // Anger.
    {"你们这什么破银行！！！", "negative", true, false},
    {"this is absolutely ridiculous", "negative", true, false},
    {"I will sue you", "negative", true, false},
    {"气死我了，你们就是一群骗子", "negative", true, false},
    {"垃圾服务，我要投诉到银保监会", "negative", true, false},
    {"you people are a scam, unacceptable!!!", "negative", true, false},
    {"WHY IS MY CARD BLOCKED AGAIN, this is so frustrating", "negative", true, false},  // shouting
    {"你们的app is so bad，我要投诉", "negative", true, false},
    {"這什麼爛銀行？？？", "negative", true, false},  // Traditional, '？？？'
    // Urgency.
    {"我的卡被盗了，快帮我冻结！", "negative", false, true},
    {"someone stole my card, block it now", "negative", false, true},
    {"紧急，我的账户被盗刷了", "negative", false, true},
    {"please call me back asap, I got a fraud alert", "negative", false, true},
    {"I need to transfer money to my son immediately", "!negative", false, true},
    {"我不着急，下周再办也可以", "!negative", false, false},  // negated urgency
    {"it's not urgent, just a question about fees", "neutral", false, false},
    // Neutral factual questions: neutral and never angry.
    {"网点几点开门", "neutral", false, false},
    {"what's the exchange rate", "neutral", false, false},
    {"請問信用卡年費多少", "neutral", false, false},  // Traditional
    {"how do I change my PIN", "neutral", false, false},
    {"我想查一下上周的转账记录", "neutral", false, false},
    {"can I open a savings account from the app?", "neutral", false, false},
    {"帮我转人工客服", "neutral", false, false},
    {"美元汇率今天是多少", "neutral", false, false},
    {"do you have a branch in Shanghai", "neutral", false, false},
    {"我的银行卡快过期了，怎么换卡", "neutral", false, false},
    {"WHAT ARE YOUR OPENING HOURS?", "neutral", false, false},  // caps alone is not anger
    {"ATM的取款限额是多少？？", "neutral", false, false},
};

TEST(Sentiment, TableOfCases) {
    int failures = 0;
    for (const Case& c : kCases) {
        const Sentiment s = Analyze(Analyzer(), c.text);
        const std::string want = c.label;
        const bool label_ok = want == "!negative" ? s.label != kSentimentNegative : s.label == want;
        EXPECT_TRUE(label_ok) << c.text << " → " << Describe(s) << ", want " << want;
        EXPECT_EQ(s.anger, c.anger) << c.text << " → " << Describe(s);
        EXPECT_EQ(s.urgency, c.urgency) << c.text << " → " << Describe(s);
        EXPECT_GE(s.score, -1.0);
        EXPECT_LE(s.score, 1.0);
        failures += !label_ok || s.anger != c.anger || s.urgency != c.urgency;
    }
    std::printf("[ sentiment ] %zu table cases, %d failing\n", std::size(kCases), failures);
}

TEST(Sentiment, ScoreSignFollowsTheLabel) {
    for (const Case& c : kCases) {
        const Sentiment s = Analyze(Analyzer(), c.text);
        if (s.label == kSentimentPositive) {
            EXPECT_GT(s.score, 0) << c.text;
        }
        if (s.label == kSentimentNegative) {
            EXPECT_LT(s.score, 0) << c.text;
        }
    }
    // Stronger words give stronger scores.
    EXPECT_LT(Analyze(Analyzer(), "你们太垃圾了，骗子！").score, Analyze(Analyzer(), "有点慢").score);
    EXPECT_GT(Analyze(Analyzer(), "非常非常感谢，太棒了").score, Analyze(Analyzer(), "好的").score);
}

TEST(Sentiment, LexiconAloneHandlesClearCases) {
    const SentimentAnalyzer& lex = LexiconOnly();
    EXPECT_FALSE(lex.has_learned_part());
    EXPECT_GT(lex.lexicon_entries(), 500u);
    EXPECT_EQ(Analyze(lex, "谢谢你们，服务太好了").label, kSentimentPositive);
    EXPECT_EQ(Analyze(lex, "thanks, that was really helpful").label, kSentimentPositive);
    EXPECT_EQ(Analyze(lex, "不满意").label, kSentimentNegative);
    EXPECT_EQ(Analyze(lex, "不错").label, kSentimentPositive);
    EXPECT_NE(Analyze(lex, "not bad").label, kSentimentNegative);
    EXPECT_EQ(Analyze(lex, "not happy").label, kSentimentNegative);
    EXPECT_EQ(Analyze(lex, "网点几点开门").label, kSentimentNeutral);
    EXPECT_EQ(Analyze(lex, "what's the exchange rate").label, kSentimentNeutral);
    const Sentiment angry = Analyze(lex, "你们这什么破银行！！！");
    EXPECT_EQ(angry.label, kSentimentNegative);
    EXPECT_TRUE(angry.anger);
    EXPECT_TRUE(Analyze(lex, "someone stole my card, block it now").urgency);
}

TEST(Sentiment, LexiconMechanics) {
    const SentimentAnalyzer& lex = LexiconOnly();
    auto score = [&](std::string_view t) { return lex.LexiconScore(Normalised(t)); };
    EXPECT_GT(score("很满意"), score("满意"));                        // intensifier
    EXPECT_LT(score("有点慢"), 0);                                    // down-toner keeps the sign
    EXPECT_GT(score("有点慢"), score("慢"));                          // ... and softens
    EXPECT_LT(score("不满意"), 0);                                    // negated positive
    EXPECT_GT(score("不太满意"), score("不满意"));                    // "not very" is milder than "not"
    EXPECT_GT(score("not bad"), 0);                                   // phrase wins over negator
    EXPECT_GT(score("nothing wrong with it"), 0);                     // negated negative becomes mildly positive
    EXPECT_LT(score("it is not working"), 0);                         // "isn't working"
    EXPECT_LT(score("it isn't working"), 0);                          // contraction
    EXPECT_GT(score("not, happy"), 0);                                // a clause mark ends the negator's reach
    EXPECT_LT(score("好慢"), score("慢"));                            // "好" as an intensifier
    EXPECT_GT(score("服务好"), 0);                                    // ... and as a polar word
    EXPECT_EQ(score("你好"), 0);                                      // blocked by a zero-weight entry
    EXPECT_EQ(score("麻烦帮我查一下"), 0);                            // polite "麻烦", not "trouble"
    EXPECT_LT(score("不错，但是有点慢"), score("有点慢，但是不错"));  // the clause after "but" weighs more
    EXPECT_LT(score("还行，但是太慢了"), 0);                          // contrast discounts the first clause
    EXPECT_GT(score("👍"), 0);
    EXPECT_LT(score("😡"), 0);
}

TEST(Sentiment, AngerNeedsMarkersAndAStronglyNegativeScore) {
    // Markers without a negative score: no anger.
    EXPECT_FALSE(Analyze(Analyzer(), "太好了!!!").anger);
    EXPECT_FALSE(Analyze(Analyzer(), "THANK YOU SO MUCH").anger);
    EXPECT_FALSE(Analyze(Analyzer(), "上次投诉的问题已经解决了，谢谢").anger);
    // Negative without markers: no anger.
    EXPECT_FALSE(Analyze(Analyzer(), "有点失望").anger);
    // Both.
    EXPECT_TRUE(Analyze(Analyzer(), "THIS IS A SCAM").anger);
    EXPECT_TRUE(Analyze(Analyzer(), "受够了，滚！").anger);
}

TEST(Sentiment, NegatedUrgencyDoesNotCount) {
    EXPECT_TRUE(Analyze(Analyzer(), "请马上帮我处理").urgency);
    EXPECT_FALSE(Analyze(Analyzer(), "不急，慢慢来").urgency);
    EXPECT_TRUE(Analyze(Analyzer(), "this is urgent").urgency);
    EXPECT_FALSE(Analyze(Analyzer(), "this is not urgent").urgency);
    EXPECT_FALSE(Analyze(Analyzer(), "no rush at all").urgency);
}

TEST(Sentiment, HeldOutAccuracyIsAtLeastEightyPercent) {
    auto examples = LoadExamples(kHeldOut);
    ASSERT_TRUE(examples.ok()) << examples.error().message;
    ASSERT_GE(examples->size(), 180u);
    int correct = 0;
    int lexicon_correct = 0;
    int zh = 0;
    int zh_correct = 0;
    std::map<std::string, std::map<std::string, int>> confusion;
    std::map<std::string, int> angry;
    std::map<std::string, int> urgent;
    for (const Example& e : *examples) {
        const NormalisedText text = Normalised(e.text);
        const Sentiment s = Analyzer().Analyze(text);
        const bool is_zh = std::any_of(text.code_points.begin(), text.code_points.end(),
                                       [](char32_t c) { return c >= 0x4E00 && c <= 0x9FFF; });
        correct += s.label == e.label;
        lexicon_correct += LexiconOnly().Analyze(text).label == e.label;
        zh += is_zh;
        zh_correct += is_zh && s.label == e.label;
        ++confusion[e.label][s.label];
        angry[e.label] += s.anger;
        urgent[e.label] += s.urgency;
    }
    const auto n = static_cast<double>(examples->size());
    const double accuracy = correct / n;
    std::printf(
        "[ sentiment ] held-out accuracy %.1f%% (%d/%zu); zh %.1f%% (%d), en %.1f%% (%zu); lexicon alone %.1f%%\n",
        100 * accuracy, correct, examples->size(), 100.0 * zh_correct / zh, zh,
        100.0 * (correct - zh_correct) / (static_cast<double>(examples->size()) - zh),
        examples->size() - static_cast<std::size_t>(zh), 100 * lexicon_correct / n);
    for (const auto& [truth, row] : confusion) {
        std::printf("[ sentiment ]   %-8s →", truth.c_str());
        for (const auto& [predicted, count] : row) std::printf(" %s %d", predicted.c_str(), count);
        std::printf("; flagged anger %d, urgency %d\n", angry[truth], urgent[truth]);
    }
    EXPECT_GE(accuracy, 0.80);
    EXPECT_EQ(angry["neutral"] + angry["positive"], 0);
}

TEST(Sentiment, RobustToEmptyEmojiAndHugeInput) {
    const Sentiment empty = Analyze(Analyzer(), "");
    EXPECT_EQ(empty.label, kSentimentNeutral);
    EXPECT_EQ(empty.score, 0);
    EXPECT_FALSE(empty.anger);
    EXPECT_FALSE(empty.urgency);
    EXPECT_EQ(Analyze(Analyzer(), "   ，。!?").label, kSentimentNeutral);
    EXPECT_EQ(Analyze(Analyzer(), "🙂🙂").label, kSentimentNeutral);  // not in the lexicon
    EXPECT_EQ(Analyze(Analyzer(), "👍👍").label, kSentimentPositive);
    EXPECT_EQ(Analyze(Analyzer(), "😡😡😡").label, kSentimentNegative);

    std::string huge;
    while (huge.size() < 100 * 1024) huge += "我的卡被盗了，你们这什么破银行！！！ thanks for nothing, ";
    const NormalisedText huge_text = Normalised(huge);
    const Sentiment s = Analyzer().Analyze(huge_text);
    EXPECT_GE(s.score, -1.0);
    EXPECT_LE(s.score, 1.0);
    EXPECT_EQ(s.label, kSentimentNegative);
    EXPECT_TRUE(s.anger);
    EXPECT_TRUE(s.urgency);
}

// Speed is measured by benchmarks, not asserted here; this checks that threads agree.
TEST(Sentiment, IsThreadSafe) {
    auto examples = LoadExamples(kHeldOut);
    ASSERT_TRUE(examples.ok()) << examples.error().message;
    std::vector<NormalisedText> texts;
    for (const Example& e : *examples) texts.push_back(Normalised(e.text));
    std::vector<Sentiment> expected;
    for (const auto& t : texts) expected.push_back(Analyzer().Analyze(t));

    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int round = 0; round < 3; ++round) {
                for (std::size_t i = 0; i < texts.size(); ++i) {
                    const Sentiment s = Analyzer().Analyze(texts[i]);
                    if (s.label != expected[i].label || s.score != expected[i].score) ++mismatches;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0);
}

TEST(Sentiment, ToJsonHasLabelScoreAngerUrgency) {
    const boost::json::object json = ToJson(Sentiment{"negative", -0.87654, true, false});
    EXPECT_EQ(json.size(), 4u);
    EXPECT_EQ(json.at("label").as_string(), "negative");
    EXPECT_DOUBLE_EQ(json.at("score").as_double(), -0.877);  // three decimals
    EXPECT_TRUE(json.at("anger").as_bool());
    EXPECT_FALSE(json.at("urgency").as_bool());
}

TEST(Sentiment, ErrorsNameTheFileAndLine) {
    auto missing = SentimentAnalyzer::Create("/nonexistent/lexicon.yaml", "", SharedNormaliser());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_NE(missing.error().message.find("/nonexistent/lexicon.yaml"), std::string::npos);

    const std::string bad_weight =
        WriteTemp("bad_weight.yaml", "version: 1\npolarity:\n  en:\n    good: 1\n    bad: lots\n");
    auto r = SentimentAnalyzer::Create(bad_weight, "", SharedNormaliser());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(bad_weight + ":5:"), std::string::npos) << r.error().message;

    const std::string bad_yaml = WriteTemp("bad_yaml.yaml", "polarity:\n  en: {good: 1\n  zh: [\n");
    r = SentimentAnalyzer::Create(bad_yaml, "", SharedNormaliser());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(bad_yaml + ":"), std::string::npos) << r.error().message;

    const std::string unknown = WriteTemp("unknown.yaml", "version: 1\npolarity:\n  en: {good: 1}\nboosters: []\n");
    r = SentimentAnalyzer::Create(unknown, "", SharedNormaliser());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(unknown + ":4: unknown section 'boosters'"), std::string::npos)
        << r.error().message;

    const std::string twice = WriteTemp("twice.yaml", "polarity:\n  zh:\n    谢谢: 2\n    謝謝: 2\n");
    r = SentimentAnalyzer::Create(twice, "", SharedNormaliser());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(twice + ":4:"), std::string::npos) << r.error().message;

    const std::string bad_label =
        WriteTemp("bad_label.csv", "text,label\nthanks,positive\nwhere is the branch,neutral\nugh,angry\n");
    r = SentimentAnalyzer::Create(kLexicon, bad_label, SharedNormaliser());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(bad_label + ":4: unknown sentiment label 'angry'"), std::string::npos)
        << r.error().message;

    const std::string one_class = WriteTemp("one_class.csv", "text,label\nthanks,positive\ngreat,positive\n");
    r = SentimentAnalyzer::Create(kLexicon, one_class, SharedNormaliser());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("no 'negative' examples"), std::string::npos) << r.error().message;

    for (const auto& p : {bad_weight, bad_yaml, unknown, twice, bad_label, one_class}) std::filesystem::remove(p);
}

}  // namespace
}  // namespace kefu::nlu
