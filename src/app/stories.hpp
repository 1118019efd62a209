#pragma once
// Conversation stories (docs/flows.md, "Stories"): scripted conversations with the whole bot — NLU,
// knowledge base, flows, verification — against a fresh sandbox bank at a fixed date, with the expected
// intent, replies, bank calls and dialogue state after each customer turn. `kefu stories` runs them for
// pack authors; the unit tests run every story of the demo pack.

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace kefu::app {

struct StoryOptions {
    std::vector<std::string> files;  // story files; empty = every <pack>/stories/*.yaml
    std::string filter;              // run only stories whose name contains this
    bool verbose = false;            // print every transcript, not only the failing ones
};

struct StoryReport {
    int passed = 0;
    int failed = 0;
    std::map<std::string, int> passed_by_language;  // zh, en
    std::vector<std::string> failures;              // "file:line: story 'name', turn 3: expected ..., got ..."
    std::vector<std::string> problems;              // story files that could not be read ("file:line: ...")
};

// Runs the stories; progress and transcripts go to `out`. Uses a temporary database per story.
StoryReport RunStories(const Config& config, const StoryOptions& options, std::ostream& out);

// `kefu stories`: exit 0 when every story passed.
int StoriesCommand(const Config& config, const StoryOptions& options);

// `kefu flows check`: loads <pack>/flows and prints every problem as file:line. Exit 0 when there are none.
int FlowsCheck(const Config& config);

}  // namespace kefu::app
