#include "flow/flow_def.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "flow/state.hpp"
#include "flow/text.hpp"

namespace kefu::flow {
namespace {

// Built in two steps: GCC 12 reports a false -Warray-bounds for `std::string(MACRO) + "..."`.
std::string DemoFlows() {
    std::string s = KEFU_SOURCE_DIR;
    s += "/packs/demo/flows";
    return s;
}

namespace fs = std::filesystem;

class TempDir {
  public:
    TempDir() : path_(fs::temp_directory_path() / ("kefu-flow-test-" + std::to_string(::getpid()))) {
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string Write(const std::string& name, const std::string& text) const {
        std::ofstream(path_ / name) << text;
        return (path_ / name).string();
    }
    std::string path() const { return path_.string(); }

  private:
    fs::path path_;
};

std::string Messages() {
    std::string s = "version: 1\nmessages:\n";
    for (const auto& k : RequiredMessageKeys()) s += "  " + k + ": {zh: 中文, en: English}\n";
    return s;
}

TEST(Flows, DemoPackLoadsEveryFlow) {
    std::vector<std::string> problems;
    auto flows = LoadFlows(DemoFlows(), &problems);
    ASSERT_TRUE(flows) << flows.error().message;
    EXPECT_TRUE(problems.empty());
    for (const char* name : {"balance", "transactions", "spending", "card_lost", "card_freeze", "card_unfreeze",
                             "transfer_status", "credit_card_bill", "complaint", "branch_hours"}) {
        EXPECT_NE(flows.value()->Find(name), nullptr) << name;
    }
    EXPECT_EQ(flows.value()->ForIntent("card_stolen")->name, "card_lost");
    EXPECT_TRUE(flows.value()->Find("card_freeze")->requires_verification);
    EXPECT_FALSE(flows.value()->Find("branch_hours")->requires_verification);
    EXPECT_FALSE(flows.value()->merchants.at("taobao").empty());
    EXPECT_FALSE(flows.value()->recommendations.empty());
}

TEST(Flows, EveryProblemIsReportedWithFileAndLine) {
    TempDir dir;
    dir.Write("messages.yaml", Messages());
    std::string bad = dir.Write("bad.yaml", R"(version: 1
flow: broken
trigger: [freeze_card]
colour: blue
slots:
  card:
    type: credit_card
    prompt: {zh: 哪张卡？}
steps:
  - ask: account
  - action: launch_rocket
  - action: freeze_card
    args: {card: card, speed: card}
    on:
      done: {say: {zh: "好了{nothing}", en: "Done {nothing}"}, go: nowhere}
      exploded: {say: {zh: 炸了, en: Boom}}
)");
    std::vector<std::string> problems;
    auto flows = LoadFlows(dir.path(), &problems);
    ASSERT_FALSE(flows);
    EXPECT_EQ(flows.error().code, ErrorCode::kImportInvalid);
    auto has = [&](const std::string& text) {
        for (const auto& p : problems) {
            if (p.find(text) != std::string::npos) return true;
        }
        return false;
    };
    EXPECT_TRUE(has(bad + ":4: flow: unknown key 'colour'"));
    EXPECT_TRUE(has(bad + ":7: slot 'card': unknown type 'credit_card'"));
    EXPECT_TRUE(has(bad + ":8: slot 'card'.prompt needs non-empty zh and en"));
    EXPECT_TRUE(has("asks for undefined slot 'account'"));
    EXPECT_TRUE(has("unknown action 'launch_rocket'"));
    EXPECT_TRUE(has("action 'freeze_card' takes no 'speed'"));
    EXPECT_TRUE(has("'go: nowhere' names no step"));
    EXPECT_TRUE(has("'{nothing}' names no slot or action result"));
    EXPECT_TRUE(has(bad + ":16: step 3: unknown outcome 'exploded'"));
    EXPECT_GE(problems.size(), 9u);
}

TEST(Flows, MissingMessagesAndDuplicateTriggersAreProblems) {
    TempDir dir;
    dir.Write("messages.yaml", "version: 1\nmessages:\n  cancelled: {zh: 好的, en: OK}\n");
    dir.Write("a.yaml", "version: 1\nflow: a\ntrigger: [greet]\nsteps:\n  - say: {zh: 甲, en: A}\n");
    dir.Write("b.yaml", "version: 1\nflow: b\ntrigger: [greet]\nsteps:\n  - say: {zh: 乙, en: B}\n");
    std::vector<std::string> problems;
    ASSERT_FALSE(LoadFlows(dir.path(), &problems));
    auto joined = [&] {
        std::string s;
        for (const auto& p : problems) s += p + "\n";
        return s;
    }();
    EXPECT_NE(joined.find("missing message 'verify_start'"), std::string::npos) << joined;
    EXPECT_NE(joined.find("intent 'greet' already starts flow 'a'"), std::string::npos) << joined;
}

TEST(FlowText, RendersSlotsFieldsAndLanguages) {
    boost::json::object vars{
        {"card", boost::json::object{{"last4", "1282"},
                                     {"label", boost::json::object{{"zh", "尾号1282的借记卡"},
                                                                   {"en", "debit card ending 1282"}}}}},
        {"count", 3}};
    EXPECT_EQ(Render("冻结{card}？共{count}笔", vars, "zh"), "冻结尾号1282的借记卡？共3笔");
    EXPECT_EQ(Render("Freeze your {card} ({card.last4})?", vars, "en"), "Freeze your debit card ending 1282 (1282)?");
    EXPECT_EQ(Render("{{literal} {missing}", vars, "en"), "{literal} ");
    EXPECT_EQ(TemplateNames("{card.last4} and {count}"), (std::vector<std::string>{"card", "count"}));
}

TEST(FlowState, RoundTripsThroughJson) {
    DialogueState s;
    s.flow = ActiveFlow{};
    s.flow->name = "card_freeze";
    s.flow->step = 2;
    s.flow->awaiting = "confirm";
    s.flow->slots["card"] = boost::json::object{{"id", "k100101"}};
    s.flow->attempts["card"] = 1;
    s.verify.customer = "c1001";
    s.verify.until = 123456789;
    s.verify.failures = 2;
    s.last_flow = "balance";
    s.opt_out = true;
    s.sentiment = {-0.5, 0.25};
    DialogueState r = DialogueState::FromJson(s.ToJson());
    ASSERT_TRUE(r.flow);
    EXPECT_EQ(r.flow->name, "card_freeze");
    EXPECT_EQ(r.flow->step, 2);
    EXPECT_EQ(r.flow->awaiting, "confirm");
    EXPECT_EQ(r.flow->slots.at("card").at("id").as_string(), "k100101");
    EXPECT_EQ(r.flow->attempts.at("card"), 1);
    EXPECT_EQ(r.verify.customer, "c1001");
    EXPECT_EQ(r.verify.until, 123456789);
    EXPECT_EQ(r.verify.failures, 2);
    EXPECT_EQ(r.last_flow, "balance");
    EXPECT_TRUE(r.opt_out);
    EXPECT_EQ(r.sentiment, (std::vector<double>{-0.5, 0.25}));
    // Anything unreadable is a fresh conversation, never a crash.
    EXPECT_FALSE(DialogueState::FromJson("not json").flow);
    EXPECT_FALSE(DialogueState::FromJson("[1,2]").flow);
    EXPECT_FALSE(DialogueState::FromJson(R"({"flow": 7, "verify": "x"})").flow);
}

}  // namespace
}  // namespace kefu::flow
