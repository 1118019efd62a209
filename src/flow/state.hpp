#pragma once
// The dialogue manager's per-conversation state. It is stored as JSON in conversations.state, in the same
// transaction as the turn that changed it, so a restart resumes at the same step (docs/flows.md).
// Sensitive: it may name the verified customer; it never holds card numbers, only card ids and last fours,
// and OTPs only as salted hashes.

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace kefu::flow {

struct ActiveFlow {
    std::string name;
    int step = 0;               // index into FlowDef::steps
    std::string awaiting;       // "" (running) | slot | confirm | verify
    std::string slot;           // the awaited slot
    boost::json::object slots;  // filled slots: name -> value ({id, label, ...} or a string)
    boost::json::object vars;   // action results
    std::map<std::string, int> attempts;
};

struct Verification {
    std::string customer;  // verified customer reference, "" when not verified
    UnixMillis until = 0;  // verified until
    std::string method;    // channel | card_birth_date | otp
    int failures = 0;      // failed attempts in this conversation
    UnixMillis locked_until = 0;
    std::string stage;  // "" | identify (waiting for last four + birth date or a phone) | otp
    std::string last4;  // a half-given answer kept until the other half arrives
    std::string birth_date;
    std::string otp_customer;  // who the OTP was sent to ("" if the phone is unknown: every code fails)
    std::string otp_hash;      // SHA-256 of salt + code
    std::string otp_salt;
    UnixMillis otp_expires = 0;
};

struct DialogueState {
    std::optional<ActiveFlow> flow;
    std::vector<ActiveFlow> suspended;  // flows interrupted by another flow, most recent last
    Verification verify;
    std::string last_flow;           // the last finished flow, for carry-over ("and my savings account?")
    boost::json::object last_slots;  // its slots
    std::string language;            // the language of the last reply (zh | en)
    bool recommended = false;        // a product was suggested in this conversation
    bool opt_out = false;            // the customer asked for no suggestions
    int fallbacks = 0;               // in a row
    std::vector<double> sentiment;   // the last scores, oldest first (at most 10)

    static DialogueState FromJson(std::string_view json);  // "" or malformed → a fresh state
    std::string ToJson() const;
};

}  // namespace kefu::flow
