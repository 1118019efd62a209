#pragma once
// A progress bar for long command-line work: a bar on a terminal, one line per stage otherwise (CI logs).
// Writes to stderr, so stdout stays machine-readable.

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <string_view>

namespace kefu::app {

class Progress {
  public:
    void operator()(std::string_view stage, double fraction) {
        int pct = static_cast<int>(fraction * 100);
        if (isatty(STDERR_FILENO)) {
            int filled = pct * 30 / 100;
            std::cerr << fmt::format("\r{:<12} [{}{}] {:3}%", stage, std::string(static_cast<size_t>(filled), '#'),
                                     std::string(static_cast<size_t>(30 - filled), '.'), pct);
            if (pct >= 100) std::cerr << "\n";
        } else if (stage != last_stage_ || (pct >= 100 && last_pct_ < 100)) {
            if (stage != last_stage_ || pct >= 100) std::cerr << fmt::format("{}: {}%\n", stage, pct);
        }
        last_stage_ = std::string(stage);
        last_pct_ = pct;
    }

  private:
    std::string last_stage_;
    int last_pct_ = -1;
};

}  // namespace kefu::app
