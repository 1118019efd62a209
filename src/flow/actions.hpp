#pragma once
// The actions flows call: each maps to core-banking operations and returns an outcome (done, already,
// not_allowed, not_found, empty; or timeout, unavailable, error when the core failed) and the variables its
// replies may use (flow_def.hpp, ActionVariables; docs/flows.md lists their fields).

#include <boost/json/object.hpp>
#include <string>

#include "flow/turn.hpp"

namespace kefu::flow {

struct ActionResult {
    std::string outcome;
    boost::json::object vars;
};

// `args`: parameter -> slot value (or a literal string), from the step's `args`.
ActionResult RunAction(const std::string& action, const boost::json::object& args, Turn& turn);

// The outcome name for a failed core call.
std::string FailureOutcome(const Error& e);

}  // namespace kefu::flow
