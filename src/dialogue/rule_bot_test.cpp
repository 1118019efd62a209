#include "dialogue/rule_bot.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace kefu::dialogue {
namespace {

const Pipeline& DemoPipeline() {
    static auto p = [] {
        std::string pack = KEFU_SOURCE_DIR;
        pack += "/packs/demo";
        auto r = BuildRulePipeline(pack);
        if (!r.ok()) throw std::runtime_error(r.error().message);
        return std::move(r.value());
    }();
    return *p;
}

TurnResult Say(std::string_view text, std::string_view lang = "zh") {
    return DemoPipeline().Run(TurnInput{"cv_test", "web", lang, text, {}, {}, {}, {}});
}

TEST(BasicNormaliser, FoldsWidthCaseAndSpace) {
    BasicNormaliser n;
    auto r = n.Normalise("  ＡＴＭ　在哪里  Hello  ");
    EXPECT_EQ(r.text, "atm 在哪里 hello");
    EXPECT_EQ(r.language, "mixed");
    EXPECT_EQ(n.Normalise("where is the ATM").language, "en");
    EXPECT_EQ(n.Normalise("我的卡丢了").language, "zh");
}

TEST(RuleBot, AnswersKnownIntentsInBothLanguages) {
    EXPECT_EQ(Say("我的卡丢了").understanding.intent, "card_lost");
    EXPECT_EQ(Say("what are your branch hours", "en").understanding.intent, "branch_hours");
    auto en = Say("I lost my card", "zh");
    EXPECT_EQ(en.decision.reply_language, "en");  // answers in the language the customer wrote
    ASSERT_FALSE(en.replies.empty());
    EXPECT_NE(en.replies[0].text.find("card"), std::string::npos);
}

TEST(RuleBot, EnglishKeywordsMatchWholeWords) {
    EXPECT_NE(Say("this is unacceptable", "en").understanding.intent, "greet");
    EXPECT_EQ(Say("hi", "en").understanding.intent, "greet");
}

TEST(RuleBot, FallsBackWithQuickReplies) {
    auto r = Say("量子力学是什么");
    EXPECT_EQ(r.decision.action, "fallback");
    ASSERT_EQ(r.replies.size(), 1u);
    EXPECT_FALSE(r.replies[0].quick_replies.empty());
}

TEST(RuleBot, WelcomeInEachLanguage) {
    EXPECT_NE(DemoPipeline().Welcome("en").text.find("Hello"), std::string::npos);
    EXPECT_NE(DemoPipeline().Welcome("zh").text.find("您好"), std::string::npos);
}

TEST(RuleBot, MissingPackIsAClearError) {
    auto r = BuildRulePipeline("/nonexistent/pack");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("rules.yaml"), std::string::npos);
}

}  // namespace
}  // namespace kefu::dialogue

#include "nlu/intent_model.hpp"
#include "nlu/normalise.hpp"

namespace kefu::dialogue {
namespace {

TEST(RuleBot, WithTheModelUnderstandsTraditionalAndMixedText) {
    std::string pack = KEFU_SOURCE_DIR;
    pack += "/packs/demo";
    std::shared_ptr<const nlu::Normaliser> norm = std::move(nlu::Normaliser::Create().value());
    auto examples = nlu::LoadExamples(pack + "/nlu/intents.yaml");
    ASSERT_TRUE(examples.ok()) << examples.error().message;
    nlu::TrainOptions o;
    o.holdout_fraction = 0;
    std::shared_ptr<const nlu::IntentModel> model =
        std::move(nlu::IntentModel::Train(examples.value(), *norm, o).value());
    auto pipeline = BuildRulePipeline(pack, {norm, model, nullptr});
    ASSERT_TRUE(pipeline.ok()) << pipeline.error().message;
    auto lost = pipeline.value()->Run(TurnInput{"cv", "web", "zh", "我的銀行卡遺失了", {}, {}, {}, {}});
    EXPECT_EQ(lost.understanding.intent, "card_lost");
    EXPECT_EQ(lost.decision.action, "reply");
    auto mixed = pipeline.value()->Run(TurnInput{"cv", "web", "zh", "帮我查一下我的account balance", {}, {}, {}, {}});
    EXPECT_EQ(mixed.understanding.language, "mixed");
    EXPECT_EQ(mixed.understanding.intent, "check_balance");
    auto money = pipeline.value()->Run(TurnInput{"cv", "web", "zh", "转账5000元给我妈", {}, {}, {}, {}});
    const std::string entities = boost::json::serialize(money.understanding.entities);
    EXPECT_NE(entities.find("\"money\""), std::string::npos) << entities;
    EXPECT_FALSE(lost.understanding.top.empty());
}

}  // namespace
}  // namespace kefu::dialogue
