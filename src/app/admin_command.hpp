#pragma once
// `kefu admin create-user`: the first-run way to make staff accounts that sign in with a password
// (docs/desk.md). The password comes from a file (first line) or is typed twice on a terminal.

#include <string>
#include <vector>

#include "app/config.hpp"

namespace kefu::app {

struct CreateUserOptions {
    std::string name;
    std::string role;
    std::string display_name;
    std::string password_file;  // "" = ask on the terminal
    std::vector<std::string> skills;
    std::vector<std::string> languages;
    int max_chats = 3;
};

int CreateUser(const Config& config, const CreateUserOptions& options);

}  // namespace kefu::app
