#include "api/desk_summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "core/utf8.hpp"

namespace kefu::api {
namespace {

namespace json = boost::json;

SummaryTurn Turn(std::string text, std::string_view meta) { return {std::move(text), json::parse(meta).as_object()}; }

bool HasLine(const std::vector<std::string>& lines, std::string_view want) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l == want; });
}

std::string Dump(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

TEST(DeskSummary, TellsTheAgentWhatTheBotLearnedAndDidInChinese) {
    desk::PackLabels labels = desk::LoadPackLabels(KEFU_SOURCE_DIR "/packs/demo");
    SummaryInput in;
    in.language = "zh";
    in.reason = "flow";
    in.labels = &labels;
    in.turns = {
        Turn("你好", R"({"intent":"greet","action":"rules"})"),
        Turn("我的卡丢了", R"({"intent":"card_lost","action":"flow","flow":{"name":"card_lost","step":"verify"},
              "entities":[],"sentiment":{"label":"negative","score":-0.5,"anger":false}})"),
        // The answer to the verification question: its birth date is not repeated to the agent.
        Turn("1282，1988年4月12日",
             R"({"intent":"out_of_scope","action":"flow","flow":{"name":"card_lost","step":"card"},
              "entities":[{"type":"date","text":"1988年4月12日"}]})"),
        Turn("尾号1282那张", R"({"intent":"card_lost","action":"flow","bank_calls":["report_lost:timeout"],
              "flow":{"name":"card_lost","step":"card"}})"),
        Turn("11月19号携程扣了我两次1286元", R"({"intent":"refund_dispute","action":"fallback",
              "entities":[{"type":"date","text":"11月19号"},{"type":"money","text":"1286元"}],
              "sentiment":{"label":"negative","score":-0.7,"anger":true}})"),
        Turn("我的卡号是6222021234567894", R"({"intent":"card_lost","action":"flow",
              "entities":[{"type":"card_number","text":"************7894"}]})"),
    };
    in.state = json::parse(R"({"verify":{"customer":"c1001","method":"card_birth_date"},
                               "flow":{"name":"card_lost","step":0,"awaiting":"slot","slot":"card"}})")
                   .as_object();
    auto lines = SummariseBotPart(in);
    EXPECT_TRUE(HasLine(lines, "转人工原因：业务办理未能完成")) << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "身份：已核验（卡号后四位 + 出生日期）")) << Dump(lines);
    // Intents by the pack's own descriptions, small talk left out, each once, in order.
    const std::string& lost = labels.intents.at("card_lost").zh;
    const std::string& dispute = labels.intents.at("refund_dispute").zh;
    EXPECT_TRUE(HasLine(lines, "客户诉求：" + lost + " → " + dispute)) << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "机器人已办理：挂失银行卡（核心系统超时）")) << Dump(lines);
    // The unfinished flow with the question the customer has not answered yet, from the flow file.
    const std::string& asked = labels.slot_prompts.at("card_lost.card").zh;
    EXPECT_TRUE(
        HasLine(lines, "未完成的业务：" + labels.flows.at("card_lost").zh + "（等待客户回答「" + asked + "」）"))
        << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "客户提到：日期 11月19号；金额 1286元；卡号 ************7894")) << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "情绪：愤怒")) << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "未能回答：「11月19号携程扣了我两次1286元」")) << Dump(lines);
    EXPECT_EQ(Dump(lines).find("1988"), std::string::npos) << "the verification answer is left out";
    // No raw card number anywhere, even where the customer typed one.
    EXPECT_EQ(Dump(lines).find("6222021234567894"), std::string::npos);
}

TEST(DeskSummary, ATaskLeftForAPersonIsNamedWithTheQuestionItWasWaitingOn) {
    desk::PackLabels labels = desk::LoadPackLabels(KEFU_SOURCE_DIR "/packs/demo");
    SummaryInput in;
    in.language = "en";
    in.reason = "request";
    in.labels = &labels;
    // The hand-off turn ended the flow, so the state has none: the turn before tells where the customer was.
    in.turns = {
        Turn("I lost my card", R"({"intent":"card_lost","action":"flow","flow":{"name":"card_lost","step":"verify"}})"),
        Turn("just get me a person", R"({"intent":"human_agent","action":"reply"})")};
    auto lines = SummariseBotPart(in);
    EXPECT_TRUE(
        HasLine(lines, "Unfinished task: " + labels.flows.at("card_lost").en + " (waiting for identity verification)"))
        << Dump(lines);
    // A task that finished (its last turn ran the core action) is not unfinished.
    in.turns = {Turn("freeze my card",
                     R"({"intent":"freeze_card","action":"flow","flow":{"name":"card_freeze","step":"confirm"}})"),
                Turn("yes", R"({"intent":"affirm","action":"flow","bank_calls":["freeze_card:done"]})"),
                Turn("a person please", R"({"intent":"human_agent","action":"reply"})")};
    lines = SummariseBotPart(in);
    for (const auto& l : lines) EXPECT_EQ(l.rfind("Unfinished", 0), std::string::npos) << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "Done by the bot: froze a card (done)")) << Dump(lines);
}

TEST(DeskSummary, EnglishWithoutLabelsFallsBackToNames) {
    SummaryInput in;
    in.language = "en";
    in.reason = "request";
    in.turns = {Turn("what is my balance", R"({"intent":"check_balance","action":"flow",
                      "bank_calls":["accounts:done","recommend:deposit_3m"]})"),
                Turn("talk to a person", R"({"intent":"human_agent","action":"handoff"})"),
                Turn("(while queued, no understanding)", "{}")};
    auto lines = SummariseBotPart(in);
    EXPECT_EQ(lines.front(), "Hand-off: the customer asked for a person") << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "Identity: not verified")) << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "Asked about: check_balance")) << Dump(lines);
    EXPECT_TRUE(HasLine(lines, "Done by the bot: looked up balances (done); suggested a product")) << Dump(lines);
    for (const auto& l : lines) {
        EXPECT_EQ(l.find("Mood"), std::string::npos) << "no mood line for a calm customer";
        EXPECT_EQ(l.find("Not answered"), std::string::npos);
    }
}

TEST(DeskSummary, LongMessagesAreCutOnACharacterBoundaryAndOnlyTheLastThreeUnansweredKept) {
    SummaryInput in;
    in.language = "zh";
    in.reason = "fallback";
    for (int i = 0; i < 5; ++i) {
        in.turns.push_back(Turn(std::to_string(i) + std::string(40, 'x') + "长长长长长长长长长长长长长长长长",
                                R"({"intent":"out_of_scope","action":"fallback"})"));
    }
    auto lines = SummariseBotPart(in);
    const std::string last = lines.back();
    EXPECT_EQ(last.rfind("未能回答：「2", 0), 0u) << last;
    EXPECT_NE(last.find("「4"), std::string::npos) << last;
    EXPECT_NE(last.find("…」"), std::string::npos) << last;
    EXPECT_TRUE(IsValidUtf8(last)) << "every cut lands before a lead byte";
}

}  // namespace
}  // namespace kefu::api
