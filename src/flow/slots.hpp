#pragma once
// Filling slots from what the customer said: cards and accounts against the customer's own (last four
// digits, kind, currency, "the other one", "the second one"), periods from date entities and words,
// merchants and categories from the pack's lexicon, transfer references, yes/no, choices and free text.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dialogue/pipeline.hpp"
#include "flow/flow_def.hpp"
#include "flow/turn.hpp"

namespace kefu::flow {

struct SlotAnswer {
    std::optional<boost::json::value> value;  // the filled value, if the text settles the slot
    bool mentioned = false;  // the text said something about the slot that did not resolve (a wrong last four)
};

// `current`: the slot's value before this turn (for "the other card"); `prompted`: the customer is answering
// this slot's prompt, so ordinals and bare answers count.
SlotAnswer ResolveSlot(const SlotDef& slot, Turn& turn, const boost::json::value* current, bool prompted);

// The candidates to offer as quick replies when asking for the slot (cards, accounts, choices, yes/no).
std::vector<dialogue::QuickReply> SlotOptions(const SlotDef& slot, Turn& turn);

// Dialogue acts, from the intent when confident and from phrase lists otherwise.
bool IsAffirm(const Turn& turn);
bool IsDeny(const Turn& turn);
bool IsCancel(const Turn& turn);
bool IsOptOut(const Turn& turn);   // "stop recommending products"
bool SaysOther(const Turn& turn);  // "the other one", "另一张"

// A short answer rather than a question or request of its own (at most 12 characters, or 6 words).
bool IsShort(const Turn& turn);

// Helpers shared with verification: a standalone 4-digit group, and a 6-digit code.
std::optional<std::string> FindLast4(const Turn& turn);
std::optional<std::string> FindDigits(std::string_view text, std::size_t length);

}  // namespace kefu::flow
