#pragma once
// Declarative business flows: the model of packs/<pack>/flows/*.yaml and its loader. The format is
// documented in docs/flows.md; a short example:
//
//   version: 1
//   flow: card_freeze
//   trigger: [freeze_card]
//   requires_verification: true
//   slots:
//     card: {type: card, filter: {status: [active]}, prompt: {zh: …, en: …}, reprompt: {zh: …, en: …}}
//   steps:
//     - ask: card
//     - confirm: {zh: "确认冻结{card}吗？", en: "Shall I freeze your {card}?"}
//     - action: freeze_card
//       args: {card: card}
//       on:
//         done: {say: {zh: 已冻结。, en: Done.}}
//         already: {say: {…}, end: true}
//
// The loader reports every problem at once as "file:line: message" (unknown keys, slot types, actions,
// outcomes, undefined slots or step ids, prompts missing a language, templates naming nothing).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "flow/text.hpp"

namespace kefu::flow {

struct Choice {
    std::string id;
    Text label;
    std::vector<std::string> keywords;  // normalised lower-case, either language
};

struct SlotDef {
    std::string name;
    // card | account | period | merchant | transfer_ref | yes_no | text | choice
    std::string type;
    Text prompt;
    Text reprompt;  // after an answer that did not fill the slot; defaults to the prompt
    int max_attempts = 3;
    bool optional = false;                   // filled only from what the customer says; never asked
    std::vector<std::string> status_filter;  // card/account: statuses that qualify (empty = any)
    std::string kind_filter;                 // card: debit | credit; account: savings | ...
    std::string default_value;               // period: last_30_days | this_month | last_month | last_6_months
    std::vector<Choice> choices;             // choice
    Text none;  // card/account: said when the customer has none that qualify (default: message no_candidates)
    int line = 0;
};

// What follows a step or an action outcome.
struct Outcome {
    Text say;
    std::string each;  // a list in the variables; `say`'s {list} is its elements rendered by `item`
    Text item;
    std::string go;  // a step id to continue at
    bool end = false;
    bool escalate = false;  // hand the customer to a person (the human desk)
    bool present = false;
};

struct StepDef {
    std::string id;
    std::string kind;  // ask | confirm | action | say | end
    std::string when;  // "slot", "!slot" or "name == value"; empty = always
    std::string slot;  // ask
    std::string action;
    std::map<std::string, std::string> args;  // action parameter -> slot name or literal ("=lost")
    Outcome body;                             // say / confirm text (body.say) and their list
    std::map<std::string, Outcome> on;        // action outcome -> what follows ("error" catches failures)
    Outcome on_deny;                          // confirm: the customer said no
    int line = 0;
};

struct FlowDef {
    std::string name;
    std::string file;
    std::vector<std::string> trigger;  // intents that start it
    bool requires_verification = false;
    bool recommend = false;                   // a product suggestion may follow when it ends
    bool suppresses_recommendations = false;  // once started, no suggestions in this conversation (complaints)
    std::map<std::string, SlotDef> slots;
    std::vector<StepDef> steps;
    int StepIndex(std::string_view id) const;
};

// Replies the dialogue manager itself needs (verification, cancel, errors, reminders), per language.
struct Messages {
    std::map<std::string, Text> text;
    const Text& Get(const std::string& key) const;
};

struct RecommendationRule {
    std::string id;
    std::string min_idle_balance;       // CNY, e.g. "100000.00"; "" = no condition
    int min_foreign_transactions = 0;   // per month over the last three months; 0 = no condition
    std::vector<std::string> products;  // product ids, best first; the first suitable one is offered
    Text say;                           // {product} is the product's name, {reason} the rule's reason
    int line = 0;
};

struct FlowSet {
    std::vector<FlowDef> flows;
    Messages messages;
    std::map<std::string, std::vector<std::string>> merchants;   // merchant id -> names (first zh, then en)
    std::map<std::string, std::vector<std::string>> categories;  // category -> words (first zh, then en)
    // The same names in ASCII lower case, made once at load for matching against normalised text.
    std::map<std::string, std::vector<std::string>> merchant_keys;
    std::map<std::string, std::vector<std::string>> category_keys;
    std::vector<RecommendationRule> recommendations;

    const FlowDef* Find(std::string_view name) const;
    const FlowDef* ForIntent(std::string_view intent) const;
};

// The message keys the dialogue manager uses; a pack must define each in both languages.
const std::vector<std::string>& RequiredMessageKeys();

// The action names flows may call and the parameters each takes.
const std::map<std::string, std::vector<std::string>>& KnownActions();

// The variables an action's result sets, usable in templates after it ran (docs/flows.md lists their fields).
const std::vector<std::string>& ActionVariables(const std::string& action);

// Loads every *.yaml in `dir`. kImportInvalid with all problems in `problems` (and the first in the message).
Result<std::shared_ptr<const FlowSet>> LoadFlows(const std::string& dir, std::vector<std::string>* problems = nullptr);

}  // namespace kefu::flow
