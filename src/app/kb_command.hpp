#pragma once
// `kefu kb ...` and `kefu staff add` (docs/kb.md, "Command line"). They open the configured database
// directly; a running server on the same database notices the changes within kb.poll_ms.

#include <iosfwd>
#include <string>

#include "app/config.hpp"

namespace kefu::app {

struct KbImportArgs {
    std::string file;
    std::string format;  // "" = from the extension
    bool publish = false;
    bool dry_run = false;
};
int KbImport(const Config& config, const KbImportArgs& args);
int KbExport(const Config& config, const std::string& format, const std::string& status, const std::string& out_file);
int KbQuery(const Config& config, int top, const std::string& language, std::istream& in, std::ostream& out);
int KbGaps(const Config& config, int days, int limit, bool json);
int StaffAdd(const Config& config, const std::string& name, const std::string& role);

}  // namespace kefu::app
