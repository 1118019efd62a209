// The dialogue manager on states it did not write itself: a pack reloaded under a waiting conversation, or
// state that is not valid at all, must never crash or act; the turn goes to the rules instead.
#include "flow/manager.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace kefu::flow {
namespace {

class FixedPolicy final : public dialogue::Policy {
  public:
    dialogue::Decision Decide(const dialogue::TurnInput&, const dialogue::Understanding& u) const override {
        dialogue::Decision d;
        d.action = "fallback";
        d.intent = u.intent;
        d.reply_language = "en";
        return d;
    }
};

class FixedResponder final : public dialogue::Responder {
  public:
    std::vector<dialogue::BotMessage> Respond(const dialogue::Decision&) const override {
        return {dialogue::BotMessage{"rules reply", {}}};
    }
    dialogue::BotMessage Welcome(std::string_view) const override { return {"hi", {}}; }
};

std::shared_ptr<const FlowSet> OneFlow() {
    auto set = std::make_shared<FlowSet>();
    FlowDef f;
    f.name = "card_freeze";
    f.trigger = {"freeze_card"};
    StepDef confirm;
    confirm.kind = "confirm";
    confirm.body.say = Text{"确认？", "Confirm?"};
    f.steps.push_back(confirm);
    set->flows.push_back(f);
    for (const auto& k : RequiredMessageKeys()) set->messages.text[k] = Text{"中文", "English"};
    return set;
}

dialogue::Decision Turn(const FlowPolicy& policy, const std::string& state, const std::string& text,
                        const std::string& intent = "affirm") {
    dialogue::TurnInput in{"cv", "web", "en", text, state, {}, "m1", "2026-11-23T10:00:00+08:00"};
    dialogue::Understanding u;
    u.text = text;
    u.intent = intent;
    u.confidence = 0.99;
    u.language = "en";
    return policy.Decide(in, u);
}

TEST(FlowPolicy, AStepThatNoLongerExistsAfterAReloadStartsAfresh) {
    FlowPolicy policy(ManagerParts{
        OneFlow(), nullptr, nullptr, nullptr, std::make_shared<FixedPolicy>(), std::make_shared<FixedResponder>(), {}});
    // Waiting at step 7 of a flow that now has one step: the "yes" must not run anything.
    std::string state = R"({"flow":{"name":"card_freeze","step":7,"awaiting":"confirm","slots":{},"vars":{}}})";
    auto d = Turn(policy, state, "yes");
    EXPECT_EQ(d.flow, "");
    EXPECT_TRUE(d.bank_calls.empty());
    ASSERT_TRUE(d.state);
    EXPECT_EQ(boost::json::parse(*d.state).as_object().count("flow"), 0u);
    // A flow that was removed from the pack, and state that is not JSON at all.
    EXPECT_EQ(Turn(policy, R"({"flow":{"name":"gone","step":0,"awaiting":"confirm"}})", "yes").flow, "");
    EXPECT_EQ(Turn(policy, "{{{", "yes").flow, "");
    EXPECT_EQ(Turn(policy, R"({"flow":{"name":"card_freeze","step":-3,"awaiting":"slot","slot":"nope"}})", "yes").flow,
              "");
}

TEST(FlowPolicy, AFlowWithoutVerificationAsksToConfirmAtOnce) {
    FlowPolicy policy(ManagerParts{
        OneFlow(), nullptr, nullptr, nullptr, std::make_shared<FixedPolicy>(), std::make_shared<FixedResponder>(), {}});
    // The confirm-only flow needs no verification: it asks to confirm.
    auto d = Turn(policy, "", "freeze my card", "freeze_card");
    EXPECT_EQ(d.flow, "card_freeze");
    EXPECT_EQ(d.step, "confirm");
    ASSERT_FALSE(d.messages.empty());
    EXPECT_EQ(d.messages.back().text, "Confirm?");
}

}  // namespace
}  // namespace kefu::flow
