#pragma once
// The summary an agent reads first when a chat reaches them (docs/desk.md, "context"): what the bot learned
// and did before the hand-off, in a few lines in the chat's language. Built from the customer messages'
// stored understanding (intent, action, flow, core-bank calls, entities, sentiment) and the dialogue state,
// so it needs no model and costs nothing at hand-off time. Customer text in it is PII-masked.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "desk/desk_config.hpp"

namespace kefu::api {

struct SummaryTurn {
    std::string text;          // the customer's message (masked here)
    boost::json::object meta;  // its stored understanding; empty when the bot did not run (a person had the chat)
};

struct SummaryInput {
    std::string language;  // zh | en: the chat's
    std::string reason;    // the hand-off's: request | fallback | flow | anger | vip | transfer
    std::vector<SummaryTurn> turns;
    boost::json::object state;  // the conversation's dialogue state (verify, flow, sentiment)
    // Readable names from the bot pack; an intent or flow without one is shown by its name.
    const desk::PackLabels* labels = nullptr;
};

// At most eight lines, each "label: facts", in the chat's language.
std::vector<std::string> SummariseBotPart(const SummaryInput& in);

}  // namespace kefu::api
