#include "app/admin_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "api/staff.hpp"
#include "app/kb_setup.hpp"

namespace kefu::app {

namespace {

// Reads a line from the terminal without echoing it.
std::optional<std::string> AskHidden(const char* prompt) {
    if (!isatty(STDIN_FILENO)) return std::nullopt;
    std::cerr << prompt << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return line;
}

}  // namespace

int CreateUser(const Config& config, const CreateUserOptions& o) {
    api::NewStaff s;
    s.name = o.name;
    s.role = o.role;
    s.display_name = o.display_name;
    if (!o.skills.empty()) s.skills = o.skills;
    if (!o.languages.empty()) s.languages = o.languages;
    s.max_chats = o.max_chats;
    if (auto ok = api::ValidateNewStaff(s); !ok) {
        std::cerr << "kefu: " << ok.error().message << "\n";
        return 2;
    }
    std::string password;
    if (!o.password_file.empty()) {
        std::ifstream in(o.password_file);
        if (!in || !std::getline(in, password)) {
            std::cerr << "kefu: cannot read a password from " << o.password_file << "\n";
            return 2;
        }
        if (!password.empty() && password.back() == '\r') password.pop_back();
    } else {
        auto first = AskHidden("Password: ");
        if (!first) {
            std::cerr << "kefu: no terminal to ask for the password; use --password-file\n";
            return 2;
        }
        auto again = AskHidden("Password again: ");
        if (!again || *again != *first) {
            std::cerr << "kefu: the passwords differ\n";
            return 2;
        }
        password = *first;
    }
    if (auto ok = api::CheckPasswordRules(password); !ok) {
        std::cerr << "kefu: " << ok.error().message << "\n";
        return 2;
    }
    s.password_hash = api::HashPassword(password);
    auto db = OpenCommandDatabase(config);
    if (!db) return 1;
    auto token = db->WriteAndWait<std::string>([&](storage::sqlite::Connection& c) { return api::CreateStaff(c, s); });
    db->Close();
    if (!token) {
        std::cerr << "kefu: " << token.error().message << "\n";
        return token.error().code == ErrorCode::kConflict ? 1 : 2;
    }
    std::cerr << "staff member '" << s.name << "' (" << s.role << ") created; they can sign in at /desk/\n";
    return 0;
}

}  // namespace kefu::app
