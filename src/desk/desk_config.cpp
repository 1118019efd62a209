#include "desk/desk_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace kefu::desk {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Howard Hinnant's civil_from_days.
std::string DateOf(std::int64_t days) {
    days += 719468;
    std::int64_t era = FloorDiv(days, 146097);
    auto doe = static_cast<unsigned>(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return fmt::format("{:04d}-{:02d}-{:02d}", y + (m <= 2), m, d);
}

std::optional<int> ParseClock(std::string_view s) {  // "09:30" → 570; "24:00" → 1440
    if (s.size() != 5 || s[2] != ':') return std::nullopt;
    int h = 0;
    int m = 0;
    if (std::from_chars(s.data(), s.data() + 2, h).ec != std::errc{} ||
        std::from_chars(s.data() + 3, s.data() + 5, m).ec != std::errc{}) {
        return std::nullopt;
    }
    if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
    return h * 60 + m;
}

std::optional<int> DayIndex(std::string_view s) {
    for (std::size_t i = 0; i < kDays.size(); ++i) {
        if (kDays[i] == s) return static_cast<int>(i);
    }
    return std::nullopt;
}

class Loader {
  public:
    Loader(std::string file, std::vector<std::string>& problems) : file_(std::move(file)), problems_(problems) {}

    void Problem(const YAML::Node& at, const std::string& what) {
        problems_.push_back(fmt::format("{}:{}: {}", file_, at.Mark().line + 1, what));
    }

    std::optional<int> Offset(const YAML::Node& n) {  // "+08:00"
        auto s = n.as<std::string>("");
        if (s.size() == 6 && (s[0] == '+' || s[0] == '-')) {
            if (auto c = ParseClock(s.substr(1)); c && *c < 1440) return s[0] == '-' ? -*c : *c;
        }
        Problem(n, "timezone must be a UTC offset such as \"+08:00\"");
        return std::nullopt;
    }

    void Week(const YAML::Node& n, Calendar& cal) {
        if (!n.IsMap()) {
            Problem(n, "expected day ranges, e.g. mon-fri: 09:00-18:00");
            return;
        }
        for (auto& d : cal.week) d.clear();
        for (const auto& kv : n) {
            auto key = kv.first.as<std::string>("");
            auto dash = key.find('-');
            auto from = DayIndex(key.substr(0, dash));
            auto to = dash == std::string::npos ? from : DayIndex(key.substr(dash + 1));
            if (!from || !to || *to < *from) {
                Problem(kv.first, "'" + key + "' is not a day or a range of days (mon, tue, … sun; e.g. mon-fri)");
                continue;
            }
            std::vector<YAML::Node> spans;
            if (kv.second.IsSequence()) {
                for (const auto& s : kv.second) spans.push_back(s);
            } else {
                spans.push_back(kv.second);
            }
            for (const auto& span : spans) {
                auto text = span.as<std::string>("");
                auto sep = text.find('-');
                auto a = sep == std::string::npos ? std::nullopt : ParseClock(text.substr(0, sep));
                auto b = sep == std::string::npos ? std::nullopt : ParseClock(text.substr(sep + 1));
                if (!a || !b || *b <= *a) {
                    Problem(span, "'" + text + "' is not a time span such as 09:00-18:00");
                    continue;
                }
                for (int day = *from; day <= *to; ++day) cal.week[static_cast<std::size_t>(day)].push_back({*a, *b});
            }
        }
        for (auto& d : cal.week) std::sort(d.begin(), d.end());
    }

    std::string file_;
    std::vector<std::string>& problems_;
};

void DefaultSla(DeskConfig& c) {
    c.sla["default"] = {{"urgent", 2 * 3'600'000LL},
                        {"high", 8 * 3'600'000LL},
                        {"normal", 24 * 3'600'000LL},
                        {"low", 72 * 3'600'000LL}};
}

}  // namespace

Calendar Calendar::Always() {
    Calendar c;
    for (auto& d : c.week) d = {{0, 1440}};
    return c;
}

bool Calendar::OpenDay(std::int64_t local_day) const {
    if (!holidays.empty() && holidays.contains(DateOf(local_day))) return false;
    return !week[static_cast<std::size_t>(((local_day + 3) % 7 + 7) % 7)].empty();
}

bool Calendar::IsOpen(UnixMillis t) const {
    std::int64_t local = t + std::int64_t{utc_offset_min} * kMinuteMs;
    std::int64_t day = FloorDiv(local, kDayMs);
    if (!OpenDay(day)) return false;
    std::int64_t minute = (local - day * kDayMs) / kMinuteMs;
    const auto& spans = week[static_cast<std::size_t>(((day + 3) % 7 + 7) % 7)];
    return std::any_of(spans.begin(), spans.end(),
                       [&](const auto& s) { return minute >= s.first && minute < s.second; });
}

UnixMillis Calendar::Add(UnixMillis start, std::int64_t ms) const {
    const std::int64_t offset = std::int64_t{utc_offset_min} * kMinuteMs;
    std::int64_t t = start + offset;  // local time from here on
    std::int64_t remaining = std::max<std::int64_t>(0, ms);
    for (int guard = 0; guard < 3 * 366; ++guard) {
        std::int64_t day = FloorDiv(t, kDayMs);
        if (OpenDay(day)) {
            for (const auto& [from, to] : week[static_cast<std::size_t>(((day + 3) % 7 + 7) % 7)]) {
                std::int64_t a = day * kDayMs + from * kMinuteMs;
                std::int64_t b = day * kDayMs + to * kMinuteMs;
                if (t >= b) continue;
                std::int64_t s = std::max(t, a);
                if (remaining <= b - s) return s + remaining - offset;
                remaining -= b - s;
                t = b;
            }
        }
        t = (day + 1) * kDayMs;
    }
    return start + ms;  // never open in three years: count plain time
}

UnixMillis Calendar::NextOpen(UnixMillis t) const { return Add(t, 0); }

namespace {

// The built-in texts: a desk file without `messages` (or without some of them) still says something sensible.
const std::map<std::string, LocalText, std::less<>>& DefaultMessages() {
    static const std::map<std::string, LocalText, std::less<>> m = {
        {"joined", {"客服{name}已接入，正在为您服务。", "{name} from customer service has joined the chat."}},
        {"transferred", {"已为您转接客服{name}。", "You have been transferred to {name}."}},
        {"requeued", {"正在为您转接其他客服，请稍候。", "We are transferring you to another agent, please hold on."}},
        {"returned",
         {"人工服务已结束，智能客服继续为您服务，有问题可以直接问我。",
          "You are back with the virtual assistant; ask me anything."}},
        {"ended",
         {"本次人工服务已结束，感谢您的耐心。请为本次服务打分（1–5分）。",
          "This chat with our agent has ended. Thank you! Please rate it from 1 to 5."}},
        {"ticket_closed",
         {"现在不是人工客服的服务时间。我们已为您创建工单 {ticket}，客服会在 {due} 前联系您。",
          "Our agents are not available at this hour. We have opened ticket {ticket} for you and will contact "
          "you by {due}."}},
        {"ticket_nobody",
         {"目前没有客服在线。我们已为您创建工单 {ticket}，客服会在 {due} 前联系您。",
          "No agent is available right now. We have opened ticket {ticket} for you and will contact you by "
          "{due}."}},
        {"vip_handoff",
         {"尊敬的贵宾客户，正在为您转接专属客服，请稍候。",
          "As one of our private banking clients, you are being connected to a personal agent. One moment, please."}},
    };
    return m;
}

}  // namespace

const std::string& DeskConfig::Message(std::string_view key, std::string_view language) const {
    auto it = messages.find(key);
    if (it == messages.end()) it = DefaultMessages().find(key);
    if (it == DefaultMessages().end()) {
        static const std::string kEmpty;
        return kEmpty;
    }
    return it->second.In(language);
}

std::string DeskConfig::SkillFor(const std::string& flow, const std::string& intent) const {
    if (auto it = skills.find(flow); !flow.empty() && it != skills.end()) return it->second;
    if (auto it = skills.find(intent); !intent.empty() && it != skills.end()) return it->second;
    if (auto it = skills.find("default"); it != skills.end()) return it->second;
    return "general";
}

std::int64_t DeskConfig::SlaMs(const std::string& type, const std::string& priority) const {
    for (const auto* key : {&type, static_cast<const std::string*>(nullptr)}) {
        auto it = sla.find(key ? *key : std::string("default"));
        if (it == sla.end()) continue;
        if (auto p = it->second.find(priority); p != it->second.end()) return p->second;
    }
    return 24 * 3'600'000LL;
}

std::vector<std::string> DeskConfig::AllSkills() const {
    std::set<std::string> out{"general"};
    for (const auto& [k, v] : skills) out.insert(v);
    return {out.begin(), out.end()};
}

std::optional<std::int64_t> ParseDuration(std::string_view s) {
    if (s.size() < 2) return std::nullopt;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, n);
    if (ec != std::errc{} || end != s.data() + s.size() - 1 || n <= 0) return std::nullopt;
    switch (s.back()) {
        case 's':
            return n * 1000;
        case 'm':
            return n * kMinuteMs;
        case 'h':
            return n * 60 * kMinuteMs;
        case 'd':
            return n * kDayMs;
        default:
            return std::nullopt;
    }
}

Result<DeskConfig> LoadDeskConfig(const std::string& path, std::vector<std::string>* problems_out) {
    DeskConfig c;
    c.skills["default"] = "general";
    DefaultSla(c);
    std::vector<std::string> problems;
    if (!std::filesystem::exists(path)) return c;
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        std::string what = fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg);
        if (problems_out) problems_out->push_back(what);
        return Error{ErrorCode::kInvalidArgument, what};
    }
    Loader l(path, problems);
    if (!root.IsMap()) l.Problem(root, "expected a mapping with timezone, chat_hours, business_hours, …");
    const std::set<std::string> known = {"version", "timezone", "chat_hours", "business_hours", "holidays", "skills",
                                         "sla",     "vip",      "messages",   "wrap_up_codes",  "canned"};
    if (root.IsMap()) {
        for (const auto& kv : root) {
            if (!known.contains(kv.first.as<std::string>(""))) {
                l.Problem(kv.first, "unknown key '" + kv.first.as<std::string>("") + "'");
            }
        }
    }
    int offset = 480;
    if (root["timezone"]) offset = l.Offset(root["timezone"]).value_or(480);
    c.chat_hours.utc_offset_min = c.business_hours.utc_offset_min = offset;
    if (root["chat_hours"]) l.Week(root["chat_hours"], c.chat_hours);
    if (root["business_hours"]) l.Week(root["business_hours"], c.business_hours);
    if (const auto& h = root["holidays"]) {
        if (!h.IsSequence()) l.Problem(h, "holidays must be a list of dates (YYYY-MM-DD)");
        for (const auto& d : h) {
            auto s = d.as<std::string>("");
            if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
                l.Problem(d, "'" + s + "' is not a date (YYYY-MM-DD)");
                continue;
            }
            c.chat_hours.holidays.insert(s);
            c.business_hours.holidays.insert(s);
        }
    }
    if (const auto& s = root["skills"]) {
        if (!s.IsMap()) l.Problem(s, "skills maps a flow or intent to a skill, e.g. card_lost: cards");
        for (const auto& kv : s) c.skills[kv.first.as<std::string>("")] = kv.second.as<std::string>("");
    }
    if (const auto& s = root["sla"]) {
        if (!s.IsMap()) l.Problem(s, "sla maps a ticket type to due times per priority");
        for (const auto& kv : s) {
            auto type = kv.first.as<std::string>("");
            if (type != "default" && std::find(kTicketTypes.begin(), kTicketTypes.end(), type) == kTicketTypes.end()) {
                l.Problem(kv.first, "unknown ticket type '" + type +
                                        "' (complaint, callback, card, transfer, account, "
                                        "other or default)");
                continue;
            }
            for (const auto& p : kv.second) {
                auto prio = p.first.as<std::string>("");
                if (std::find(kTicketPriorities.begin(), kTicketPriorities.end(), prio) == kTicketPriorities.end()) {
                    l.Problem(p.first, "unknown priority '" + prio + "' (low, normal, high, urgent)");
                    continue;
                }
                auto d = ParseDuration(p.second.as<std::string>(""));
                if (!d) {
                    l.Problem(p.second, "'" + p.second.as<std::string>("") + "' is not a duration such as 30m, 4h, 2d");
                    continue;
                }
                c.sla[type][prio] = *d;
            }
        }
    }
    auto local = [&](const YAML::Node& n, const char* what) {
        LocalText t{n["zh"].as<std::string>(""), n["en"].as<std::string>("")};
        if (t.zh.empty() || t.en.empty()) l.Problem(n, std::string(what) + " needs both zh and en");
        return t;
    };
    if (const auto& v = root["vip"]) {
        if (!v.IsMap()) l.Problem(v, "vip needs segments, handoff_on_fallback and handoff_on_negative");
        for (const auto& kv : v) {
            auto key = kv.first.as<std::string>("");
            if (key == "segments") {
                c.vip.segments.clear();
                if (!kv.second.IsSequence()) l.Problem(kv.second, "segments is a list, e.g. [private]");
                for (const auto& seg : kv.second) c.vip.segments.insert(seg.as<std::string>(""));
            } else if (key == "handoff_on_fallback" || key == "handoff_on_negative") {
                bool b = false;
                if (!YAML::convert<bool>::decode(kv.second, b)) {
                    l.Problem(kv.second, key + " is true or false");
                }
                (key == "handoff_on_fallback" ? c.vip.handoff_on_fallback : c.vip.handoff_on_negative) = b;
            } else {
                l.Problem(kv.first, "unknown key '" + key +
                                        "' in vip (segments, handoff_on_fallback, "
                                        "handoff_on_negative)");
            }
        }
    }
    if (const auto& m = root["messages"]) {
        if (!m.IsMap()) l.Problem(m, "messages maps a message key to its zh and en texts");
        for (const auto& kv : m) {
            auto key = kv.first.as<std::string>("");
            if (std::find(kDeskMessageKeys.begin(), kDeskMessageKeys.end(), key) == kDeskMessageKeys.end()) {
                l.Problem(kv.first, "unknown message '" + key +
                                        "' (joined, transferred, requeued, returned, ended, ticket_closed, "
                                        "ticket_nobody, vip_handoff)");
                continue;
            }
            LocalText text = local(kv.second, ("the message " + key).c_str());
            if (key.starts_with("ticket_") &&
                (text.zh.find("{ticket}") == std::string::npos || text.en.find("{ticket}") == std::string::npos)) {
                l.Problem(kv.second, "the message " + key + " must give the customer the {ticket} reference");
            }
            c.messages[key] = std::move(text);
        }
    }
    if (const auto& w = root["wrap_up_codes"]) {
        for (const auto& n : w) {
            WrapUpCode code{n["code"].as<std::string>(""), local(n, "a wrap-up code")};
            if (code.code.empty()) l.Problem(n, "a wrap-up code needs a code");
            c.wrap_up_codes.push_back(std::move(code));
        }
    }
    if (c.wrap_up_codes.empty()) c.wrap_up_codes.push_back({"resolved", {"已解决", "Resolved"}});
    if (const auto& cs = root["canned"]) {
        std::set<std::string> ids;
        for (const auto& n : cs) {
            CannedResponse r{n["id"].as<std::string>(""), local(n["title"], "a canned title"),
                             local(n["text"], "a canned text")};
            if (r.id.empty() || !ids.insert(r.id).second) l.Problem(n, "each canned response needs a unique id");
            c.canned.push_back(std::move(r));
        }
    }
    if (problems_out) problems_out->insert(problems_out->end(), problems.begin(), problems.end());
    if (!problems.empty()) return Error{ErrorCode::kInvalidArgument, problems.front()};
    return c;
}

namespace {

LocalText ReadLocal(const YAML::Node& n) {
    LocalText t;
    if (n && n.IsMap()) {
        t.zh = n["zh"].as<std::string>("");
        t.en = n["en"].as<std::string>("");
    }
    return t;
}

}  // namespace

PackLabels LoadPackLabels(const std::string& pack_dir) {
    namespace fs = std::filesystem;
    PackLabels out;
    std::error_code ec;
    try {
        const fs::path intents = fs::path(pack_dir) / "nlu" / "intents.yaml";
        if (fs::exists(intents, ec)) {
            YAML::Node root = YAML::LoadFile(intents.string());
            for (const auto& i : root["intents"]) {
                std::string name = i["name"].as<std::string>("");
                LocalText d = ReadLocal(i["description"]);
                if (!name.empty() && (!d.zh.empty() || !d.en.empty())) out.intents.emplace(name, std::move(d));
            }
        }
    } catch (const YAML::Exception&) {
        // The NLU loader reports this file's problems.
    }
    const fs::path flows = fs::path(pack_dir) / "flows";
    if (!fs::is_directory(flows, ec)) return out;
    for (const auto& entry : fs::directory_iterator(flows, ec)) {
        if (entry.path().extension() != ".yaml") continue;
        try {
            YAML::Node root = YAML::LoadFile(entry.path().string());
            std::string flow = root["flow"].as<std::string>("");
            if (flow.empty()) continue;
            if (const auto& trigger = root["trigger"]; trigger && trigger.IsSequence() && trigger.size() > 0) {
                if (auto it = out.intents.find(trigger[0].as<std::string>("")); it != out.intents.end()) {
                    out.flows.emplace(flow, it->second);
                }
            }
            for (const auto& slot : root["slots"]) {
                LocalText prompt = ReadLocal(slot.second["prompt"]);
                if (!prompt.zh.empty() || !prompt.en.empty()) {
                    out.slot_prompts.emplace(flow + "." + slot.first.as<std::string>(""), std::move(prompt));
                }
            }
        } catch (const YAML::Exception&) {
            // The flow loader reports this file's problems.
        }
    }
    return out;
}

}  // namespace kefu::desk
