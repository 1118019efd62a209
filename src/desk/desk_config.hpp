#pragma once
// The desk's pack file, <pack>/desk/desk.yaml (docs/desk.md): the time zone, when agents take chats, the
// business hours the SLA clock runs in, holidays, which queue (skill) a hand-off goes to, ticket SLAs,
// wrap-up codes and canned responses. Loaded at start and on SIGHUP; every problem is reported as
// file:line.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace kefu::desk {

// Weekly opening hours in a fixed UTC offset, with holidays (closed all day).
class Calendar {
  public:
    int utc_offset_min = 480;
    std::array<std::vector<std::pair<int, int>>, 7> week;  // Monday = 0; [from, to) minutes of the day
    std::set<std::string> holidays;                        // YYYY-MM-DD, local

    static Calendar Always();
    bool IsOpen(UnixMillis t) const;
    // The first open moment at or after t (t itself when open); t when the calendar is never open.
    UnixMillis NextOpen(UnixMillis t) const;
    // start + `ms` of open time: the clock stops while closed.
    UnixMillis Add(UnixMillis start, std::int64_t ms) const;

  private:
    bool OpenDay(std::int64_t local_day) const;  // days since 1970-01-01, local
};

struct LocalText {
    std::string zh;
    std::string en;
    const std::string& In(std::string_view language) const { return language == "en" ? en : zh; }
};

struct WrapUpCode {
    std::string code;
    LocalText label;
};

struct CannedResponse {
    std::string id;
    LocalText title;
    LocalText text;  // variables: {customer.name} {agent.name}
};

// Customers in these segments of the core bank's profile are VIPs: they go first in the queue, and the rule can
// hand them to a person sooner than anyone else (docs/desk.md, "Hand-off").
struct VipRule {
    std::set<std::string> segments{"private"};
    bool handoff_on_fallback = false;  // at the first question the bot cannot answer (others: the second)
    bool handoff_on_negative = false;  // when their sentiment turns clearly negative outside a task
};

// What the desk says to the customer. Keys: joined, transferred ({name}: the agent's display name), requeued,
// returned, ended, ticket_closed, ticket_nobody ({ticket}, {due}), vip_handoff.
inline constexpr std::array<std::string_view, 8> kDeskMessageKeys = {
    "joined", "transferred", "requeued", "returned", "ended", "ticket_closed", "ticket_nobody", "vip_handoff"};

// Names the agent's summary uses, from the bot pack (docs/desk.md, "context"): each intent's description
// (<pack>/nlu/intents.yaml) and, for each flow (<pack>/flows/*.yaml), its first trigger's description and its
// slots' prompts. Read leniently: the NLU and flow loaders report problems in these files.
struct PackLabels {
    std::map<std::string, LocalText, std::less<>> intents;
    std::map<std::string, LocalText, std::less<>> flows;
    std::map<std::string, LocalText, std::less<>> slot_prompts;  // "flow.slot"
};
PackLabels LoadPackLabels(const std::string& pack_dir);

struct DeskConfig {
    Calendar chat_hours = Calendar::Always();
    Calendar business_hours = Calendar::Always();
    std::map<std::string, std::string> skills;  // flow or intent → skill; "default" → the fallback
    // ticket type → priority → due time in business milliseconds; type "default" for the rest.
    std::map<std::string, std::map<std::string, std::int64_t>> sla;
    std::vector<WrapUpCode> wrap_up_codes;
    std::vector<CannedResponse> canned;
    VipRule vip;
    std::map<std::string, LocalText, std::less<>> messages;  // every key of kDeskMessageKeys
    std::shared_ptr<const PackLabels> labels;                // not from desk.yaml: LoadPackLabels; may be null

    // The message `key` in `language` (zh | en).
    const std::string& Message(std::string_view key, std::string_view language) const;
    std::string SkillFor(const std::string& flow, const std::string& intent) const;
    std::int64_t SlaMs(const std::string& type, const std::string& priority) const;
    std::vector<std::string> AllSkills() const;
};

inline constexpr std::array<std::string_view, 6> kTicketTypes = {"complaint", "callback", "card",
                                                                 "transfer",  "account",  "other"};
inline constexpr std::array<std::string_view, 4> kTicketPriorities = {"low", "normal", "high", "urgent"};

// "90s", "30m", "4h", "2d" (days of 24 business hours) → milliseconds.
std::optional<std::int64_t> ParseDuration(std::string_view s);

// Loads <path>; a missing file gives the built-in defaults (open always, one "general" skill, a default
// SLA table). Problems are "file:line: what"; any problem fails the load.
Result<DeskConfig> LoadDeskConfig(const std::string& path, std::vector<std::string>* problems = nullptr);

}  // namespace kefu::desk
