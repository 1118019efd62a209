#pragma once
// The subcommands of the kefu binary. Each returns the process exit code.

#include <iosfwd>
#include <string>

#include "app/config.hpp"

namespace kefu::app {

// Runs the server until SIGTERM or SIGINT, then shuts down gracefully and returns 0.
int RunServe(const Config& config);

// A terminal conversation with the bot engine, no server: one customer line in, the replies out.
// Typing the number of a quick reply sends it.
int RunChat(const Config& config, const std::string& language, std::istream& in, std::ostream& out);

// Applies log.level and log.format.
void ConfigureLogging(const Config& config);

}  // namespace kefu::app
