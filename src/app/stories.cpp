#include "app/stories.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "app/bot_loader.hpp"
#include "app/dialogue_setup.hpp"
#include "app/kb_setup.hpp"
#include "banking/sandbox_bank.hpp"
#include "core/ids.hpp"
#include "flow/flow_def.hpp"
#include "kb/service.hpp"
#include "nlu/normalise.hpp"

namespace kefu::app {

namespace fs = std::filesystem;
namespace chr = std::chrono;

namespace {

// The stories' fixed "now": the sandbox's reference date, 10:00 in Beijing.
constexpr std::string_view kStoryDate = "2026-11-23";
constexpr std::string_view kStoryTime = "2026-11-23T10:00:00+08:00";
UnixMillis StoryEpoch() {
    return chr::duration_cast<chr::milliseconds>(
               (chr::sys_days{chr::year{2026} / 11 / 23} + chr::hours{2}).time_since_epoch())
        .count();
}

// ---- the story model ----------------------------------------------------------------------------------

struct Expect {
    std::optional<std::string> intent, flow, step;
    std::vector<std::string> says, not_says, calls, quick_replies;
    std::optional<bool> verified, handoff;
    bool check_calls = false;
};

struct StoryTurn {
    int line = 0;
    std::string user;
    bool otp = false;      // send the code the sandbox last texted
    bool restart = false;  // rebuild the bot from scratch; only the stored state and the database remain
    int advance_minutes = 0;
    std::optional<std::pair<std::set<std::string>, ErrorCode>> fail;  // from now on, these operations fail
    Expect expect;
};

struct Story {
    std::string file;
    int line = 0;
    std::string name;
    std::string language = "zh";
    std::string customer;  // a signed-in app customer, trusted
    std::vector<StoryTurn> turns;
};

std::vector<std::string> Strings(const YAML::Node& n) {
    std::vector<std::string> out;
    if (!n) return out;
    if (n.IsScalar()) return {n.as<std::string>()};
    for (const auto& i : n) out.push_back(i.as<std::string>());
    return out;
}

std::optional<std::pair<std::set<std::string>, ErrorCode>> ReadFail(const YAML::Node& n, const std::string& where,
                                                                    std::vector<std::string>& problems) {
    auto ops = Strings(n["operations"]);
    std::string error = n["error"] ? n["error"].as<std::string>() : "timeout";
    if (error != "timeout" && error != "unavailable" && error != "none") {
        problems.push_back(where + ": fail.error must be timeout, unavailable or none");
    }
    ErrorCode code = error == "unavailable" ? ErrorCode::kUnavailable : ErrorCode::kUpstreamTimeout;
    if (error == "none") ops.clear();
    return std::pair{std::set<std::string>(ops.begin(), ops.end()), code};
}

void CheckKeys(const YAML::Node& n, std::initializer_list<std::string_view> allowed, const std::string& where,
               std::vector<std::string>& problems) {
    if (!n.IsMap()) return;
    for (const auto& kv : n) {
        auto k = kv.first.as<std::string>();
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
            problems.push_back(fmt::format("{}:{}: unknown key '{}'", where, kv.first.Mark().line + 1, k));
        }
    }
}

std::vector<Story> ReadStories(const std::string& file, std::vector<std::string>& problems) {
    std::vector<Story> stories;
    try {
        YAML::Node root = YAML::LoadFile(file);
        if (!root["version"] || root["version"].as<int>(0) != 1 || !root["stories"].IsSequence()) {
            problems.push_back(file + ":1: expected 'version: 1' and a list 'stories'");
            return stories;
        }
        for (const auto& s : root["stories"]) {
            Story st;
            st.file = file;
            st.line = s.Mark().line + 1;
            CheckKeys(s, {"story", "language", "customer", "fail", "turns"}, file, problems);
            st.name = s["story"] ? s["story"].as<std::string>() : fmt::format("line {}", st.line);
            if (s["language"]) st.language = s["language"].as<std::string>();
            if (s["customer"]) st.customer = s["customer"].as<std::string>();
            std::optional<std::pair<std::set<std::string>, ErrorCode>> story_fail;
            if (s["fail"]) story_fail = ReadFail(s["fail"], fmt::format("{}:{}", file, st.line), problems);
            if (!s["turns"] || !s["turns"].IsSequence()) {
                problems.push_back(fmt::format("{}:{}: story '{}' needs turns", file, st.line, st.name));
                continue;
            }
            bool first = true;
            for (const auto& t : s["turns"]) {
                StoryTurn turn;
                turn.line = t.Mark().line + 1;
                std::string where = fmt::format("{}:{}", file, turn.line);
                CheckKeys(t, {"user", "otp", "restart", "advance_minutes", "fail", "expect"}, file, problems);
                if (t["user"]) turn.user = t["user"].as<std::string>();
                if (t["otp"]) turn.otp = t["otp"].as<bool>();
                if (t["restart"]) turn.restart = t["restart"].as<bool>();
                if (t["advance_minutes"]) turn.advance_minutes = t["advance_minutes"].as<int>();
                if (t["fail"]) turn.fail = ReadFail(t["fail"], where, problems);
                if (first && story_fail && !turn.fail) turn.fail = story_fail;
                first = false;
                if (const auto& e = t["expect"]) {
                    CheckKeys(
                        e,
                        {"intent", "flow", "step", "says", "not_says", "calls", "quick_replies", "verified", "handoff"},
                        file, problems);
                    if (e["intent"]) turn.expect.intent = e["intent"].as<std::string>();
                    if (e["flow"]) turn.expect.flow = e["flow"].IsNull() ? "" : e["flow"].as<std::string>();
                    if (e["step"]) turn.expect.step = e["step"].IsNull() ? "" : e["step"].as<std::string>();
                    turn.expect.says = Strings(e["says"]);
                    turn.expect.not_says = Strings(e["not_says"]);
                    turn.expect.check_calls = static_cast<bool>(e["calls"]);
                    turn.expect.calls = Strings(e["calls"]);
                    turn.expect.quick_replies = Strings(e["quick_replies"]);
                    if (e["verified"]) turn.expect.verified = e["verified"].as<bool>();
                    if (e["handoff"]) turn.expect.handoff = e["handoff"].as<bool>();
                }
                if (turn.user.empty() && !turn.otp && !turn.restart && turn.advance_minutes == 0 && !turn.fail) {
                    problems.push_back(where + ": a turn needs user, otp, restart, advance_minutes or fail");
                }
                st.turns.push_back(std::move(turn));
            }
            stories.push_back(std::move(st));
        }
    } catch (const YAML::Exception& e) {
        problems.push_back(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
    }
    return stories;
}

// ---- a core bank whose operations can be made to fail (adapter time-outs in stories) -------------------

class FaultyBank final : public banking::CoreBank {
  public:
    explicit FaultyBank(std::shared_ptr<banking::CoreBank> inner) : inner_(std::move(inner)) {}
    void Fail(std::set<std::string> ops, ErrorCode code) {
        failing_ = std::move(ops);
        code_ = code;
    }

    Result<banking::CustomerProfile> Profile(const banking::CallContext& c, const std::string& id) override {
        if (Failing("profile")) return Injected();
        return inner_->Profile(c, id);
    }
    Result<banking::CustomerProfile> FindByPhone(const banking::CallContext& c, const std::string& p) override {
        if (Failing("find_by_phone")) return Injected();
        return inner_->FindByPhone(c, p);
    }
    Result<banking::CustomerProfile> FindByCardAndBirthDate(const banking::CallContext& c, const std::string& l,
                                                            const std::string& b) override {
        if (Failing("find_by_card")) return Injected();
        return inner_->FindByCardAndBirthDate(c, l, b);
    }
    Result<std::vector<banking::Account>> Accounts(const banking::CallContext& c, const std::string& id) override {
        if (Failing("accounts")) return Injected();
        return inner_->Accounts(c, id);
    }
    Result<banking::TransactionPage> Transactions(const banking::CallContext& c, const std::string& id,
                                                  const banking::TransactionQuery& q) override {
        if (Failing("transactions")) return Injected();
        return inner_->Transactions(c, id, q);
    }
    Result<std::vector<banking::Card>> Cards(const banking::CallContext& c, const std::string& id) override {
        if (Failing("cards")) return Injected();
        return inner_->Cards(c, id);
    }
    Result<banking::CardActionResult> ReportLost(const banking::CallContext& c, const std::string& id,
                                                 const std::string& card, const std::string& reason,
                                                 bool replace) override {
        if (Failing("report_lost")) return Injected();
        return inner_->ReportLost(c, id, card, reason, replace);
    }
    Result<banking::CardActionResult> Freeze(const banking::CallContext& c, const std::string& id,
                                             const std::string& card) override {
        if (Failing("freeze")) return Injected();
        return inner_->Freeze(c, id, card);
    }
    Result<banking::CardActionResult> Unfreeze(const banking::CallContext& c, const std::string& id,
                                               const std::string& card) override {
        if (Failing("unfreeze")) return Injected();
        return inner_->Unfreeze(c, id, card);
    }
    Result<banking::Transfer> TransferStatus(const banking::CallContext& c, const std::string& id,
                                             const std::string& ref) override {
        if (Failing("transfer_status")) return Injected();
        return inner_->TransferStatus(c, id, ref);
    }
    Result<banking::Complaint> CreateComplaint(const banking::CallContext& c, const std::string& id,
                                               const banking::ComplaintRequest& r) override {
        if (Failing("create_complaint")) return Injected();
        return inner_->CreateComplaint(c, id, r);
    }
    Result<std::vector<banking::Product>> Products(const banking::CallContext& c) override {
        if (Failing("products")) return Injected();
        return inner_->Products(c);
    }

  private:
    bool Failing(const std::string& op) const { return failing_.contains(op) || failing_.contains("all"); }
    Error Injected() const {
        return Error{code_, code_ == ErrorCode::kUpstreamTimeout ? "core banking timed out (story)"
                                                                 : "core banking unavailable (story)"};
    }

    std::shared_ptr<banking::CoreBank> inner_;
    std::set<std::string> failing_;
    ErrorCode code_ = ErrorCode::kUpstreamTimeout;
};

// ---- running -----------------------------------------------------------------------------------------

struct Shared {
    std::shared_ptr<const nlu::Normaliser> normaliser;
    kb::KbService* knowledge = nullptr;
};

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
    return out;
}

class StoryRun {
  public:
    StoryRun(const Config& config, const Shared& shared, const Story& story, std::ostream& out)
        : config_(config), shared_(shared), story_(story), out_(out) {}

    // Returns the failures (empty = passed).
    std::vector<std::string> Run(bool verbose) {
        dir_ = fs::temp_directory_path() / ("kefu-story-" + NewId("").substr(0, 12));
        fs::create_directories(dir_);
        auto failures = Execute();
        db_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
        if (verbose || !failures.empty()) out_ << transcript_;
        return failures;
    }

  private:
    std::vector<std::string> Execute() {
        std::vector<std::string> failures;
        db_ = storage::sqlite::Database::Open({(dir_ / "kefu.db").string(), 1, 512});
        auto loaded = banking::LoadSandbox(*db_, SandboxFile(config_), std::string(kStoryDate));
        if (!loaded) return {Where(story_.line) + "cannot load the sandbox: " + loaded.error().message};
        banking::SandboxBankOptions bank_options;
        bank_options.now = [this] { return Local(); };
        faulty_ = std::make_shared<FaultyBank>(std::make_shared<banking::SandboxBank>(*db_, bank_options));
        if (auto err = Build(); !err.empty()) return {Where(story_.line) + err};
        for (std::size_t i = 0; i < story_.turns.size(); ++i) {
            const StoryTurn& t = story_.turns[i];
            if (t.fail) faulty_->Fail(t.fail->first, t.fail->second);
            now_ += static_cast<UnixMillis>(t.advance_minutes) * 60000;
            if (t.restart) {
                transcript_ += "  -- restart --\n";
                if (auto err = Build(); !err.empty()) return {Where(t.line) + err};
            }
            std::string text = t.user;
            if (t.otp) text = LastCode();
            if (text.empty()) continue;
            Check(t, i + 1, Turn(text, i + 1), failures);
        }
        return failures;
    }

    std::string Local() const {
        auto t = chr::sys_time<chr::milliseconds>(chr::milliseconds(now_)) + chr::hours(8);
        auto day = chr::floor<chr::days>(t);
        chr::hh_mm_ss hms(chr::floor<chr::seconds>(t - day));
        chr::year_month_day ymd(day);
        return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", static_cast<int>(ymd.year()),
                           static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                           hms.minutes().count(), hms.seconds().count());
    }

    // A new bot over the same database and bank: what a restarted server has.
    std::string Build() {
        runtime_ = DialogueRuntime{};
        runtime_.bank = faulty_;
        runtime_.sandbox_sms = std::make_shared<flow::SandboxSms>(false);
        runtime_.guard = flow::MakeSqliteCustomerGuard(*db_);
        runtime_.options.verified_ttl_ms = config_.dialogue.verified_ttl_s * 1000;
        runtime_.options.lock_after = static_cast<int>(config_.dialogue.lock_after);
        runtime_.options.lock_ms = config_.dialogue.lock_s * 1000;
        runtime_.options.now = [this] { return now_; };
        auto bot = LoadBot(config_, shared_.normaliser, shared_.knowledge->knowledge(), &runtime_);
        if (!bot) return "cannot load the bot: " + bot.error().message;
        pipeline_ = bot->pipeline;
        if (sms_) runtime_.sandbox_sms = sms_;  // keep the outbox across a restart
        sms_ = runtime_.sandbox_sms;
        return {};
    }

    std::string LastCode() const {
        // The sandbox keeps the last text per phone; the story's customer is whoever asked last.
        for (const auto& phone : phones_) {
            std::string sms = sms_->Last(phone);
            for (std::size_t i = 0; i + 6 <= sms.size(); ++i) {
                if (std::all_of(sms.begin() + static_cast<long>(i), sms.begin() + static_cast<long>(i) + 6,
                                ::isdigit) &&
                    (i + 6 == sms.size() || !std::isdigit(static_cast<unsigned char>(sms[i + 6])))) {
                    return sms.substr(i, 6);
                }
            }
        }
        return "000000";
    }

    dialogue::TurnResult Turn(const std::string& text, std::size_t index) {
        std::string id = std::to_string(index);
        dialogue::TurnInput in{"story", "web", story_.language, text, state_, story_.customer, id, kStoryTime};
        dialogue::TurnResult r = pipeline_->Run(in);
        if (r.decision.state) state_ = *r.decision.state;
        for (const auto& e : r.understanding.raw_entities) {
            if (e.type == "phone" && e.value.contains("e164")) {
                phones_.insert(phones_.begin(), std::string(e.value.at("e164").as_string()));
            }
        }
        transcript_ += fmt::format("  you> {}\n", text);
        for (const auto& m : r.replies) {
            transcript_ += fmt::format("  bot> {}\n", m.text);
            for (const auto& q : m.quick_replies) transcript_ += fmt::format("       [{}]\n", q.label);
        }
        transcript_ += fmt::format("       (intent {} {:.2f}; flow {}; step {}; calls [{}]{}{})\n",
                                   r.understanding.intent.empty() ? "-" : r.understanding.intent,
                                   r.understanding.confidence, r.decision.flow.empty() ? "-" : r.decision.flow,
                                   r.decision.step.empty() ? "-" : r.decision.step, Join(r.decision.bank_calls, ", "),
                                   r.decision.verified ? "; verified" : "", r.decision.handoff ? "; handoff" : "");
        return r;
    }

    std::string Where(int line) const { return fmt::format("{}:{}: story '{}': ", story_.file, line, story_.name); }

    void Check(const StoryTurn& t, std::size_t n, const dialogue::TurnResult& r, std::vector<std::string>& failures) {
        auto fail = [&](const std::string& what) {
            failures.push_back(fmt::format("{}turn {}: {}", Where(t.line), n, what));
        };
        const Expect& e = t.expect;
        std::string all;
        std::vector<std::string> quick;
        for (const auto& m : r.replies) {
            all += m.text + "\n";
            for (const auto& q : m.quick_replies) quick.push_back(q.label);
        }
        if (e.intent && r.understanding.intent != *e.intent) {
            fail(fmt::format("intent: expected {}, got {}", *e.intent, r.understanding.intent));
        }
        if (e.flow && r.decision.flow != *e.flow)
            fail(fmt::format("flow: expected '{}', got '{}'", *e.flow, r.decision.flow));
        if (e.step && r.decision.step != *e.step)
            fail(fmt::format("step: expected '{}', got '{}'", *e.step, r.decision.step));
        for (const auto& s : e.says) {
            if (all.find(s) == std::string::npos) fail(fmt::format("reply should contain '{}'", s));
        }
        for (const auto& s : e.not_says) {
            if (all.find(s) != std::string::npos) fail(fmt::format("reply must not contain '{}'", s));
        }
        if (e.check_calls && r.decision.bank_calls != e.calls) {
            fail(fmt::format("bank calls: expected [{}], got [{}]", Join(e.calls, ", "),
                             Join(r.decision.bank_calls, ", ")));
        }
        for (const auto& q : e.quick_replies) {
            if (std::find(quick.begin(), quick.end(), q) == quick.end())
                fail(fmt::format("quick reply '{}' missing", q));
        }
        if (e.verified && r.decision.verified != *e.verified) fail(fmt::format("verified: expected {}", *e.verified));
        if (e.handoff && r.decision.handoff != *e.handoff) fail(fmt::format("handoff: expected {}", *e.handoff));
    }

    const Config& config_;
    const Shared& shared_;
    const Story& story_;
    std::ostream& out_;
    fs::path dir_;
    std::unique_ptr<storage::sqlite::Database> db_;
    std::shared_ptr<FaultyBank> faulty_;
    DialogueRuntime runtime_;
    std::shared_ptr<flow::SandboxSms> sms_;
    std::shared_ptr<const dialogue::Pipeline> pipeline_;
    std::string state_;
    std::vector<std::string> phones_;
    UnixMillis now_ = StoryEpoch();
    std::string transcript_;
};

std::vector<std::string> StoryFiles(const Config& config, const StoryOptions& options) {
    if (!options.files.empty()) return options.files;
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(config.bot.pack) / "stories", ec)) {
        if (e.path().extension() == ".yaml") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

StoryReport RunStories(const Config& config, const StoryOptions& options, std::ostream& out) {
    StoryReport report;
    std::vector<Story> stories;
    for (const auto& f : StoryFiles(config, options)) {
        for (auto& s : ReadStories(f, report.problems)) {
            if (options.filter.empty() || s.name.find(options.filter) != std::string::npos)
                stories.push_back(std::move(s));
        }
    }
    if (!report.problems.empty()) return report;
    auto normaliser = nlu::Normaliser::Create();
    if (!normaliser) {
        report.problems.push_back(normaliser.error().message);
        return report;
    }
    Shared shared;
    shared.normaliser = std::move(normaliser.value());
    // One knowledge base for every story (they only read it), seeded from the pack as on a first start.
    fs::path kb_dir = fs::temp_directory_path() / ("kefu-stories-kb-" + NewId("").substr(0, 12));
    fs::create_directories(kb_dir);
    Config kb_config = config;
    kb_config.storage.path = (kb_dir / "kb.db").string();
    {
        auto db = storage::sqlite::Database::Open({kb_config.storage.path, 1, 512});
        if (auto seeded = SeedKnowledgeFromPack(*db, kb_config); !seeded) {
            report.problems.push_back(seeded.error().message);
            return report;
        }
        auto options_kb = KbServiceOptions(kb_config);
        options_kb.index_dir = (kb_dir / "index").string();
        kb::KbService knowledge(*db, shared.normaliser, options_kb);
        shared.knowledge = &knowledge;
        auto model = LoadBot(config, shared.normaliser, nullptr);
        if (!model) {
            report.problems.push_back(model.error().message);
            return report;
        }
        if (auto started = knowledge.Start(model->model); !started) {
            report.problems.push_back(started.error().message);
            return report;
        }
        for (std::size_t i = 0; i < stories.size(); ++i) {
            const Story& s = stories[i];
            out << fmt::format("[{}/{}] {} ({}) ", i + 1, stories.size(), s.name, s.language) << std::flush;
            std::ostringstream transcript;
            auto failures = StoryRun(config, shared, s, transcript).Run(options.verbose);
            out << (failures.empty() ? "ok\n" : "FAILED\n") << transcript.str();
            for (const auto& f : failures) out << "    " << f << "\n";
            if (failures.empty()) {
                ++report.passed;
                ++report.passed_by_language[s.language];
            } else {
                ++report.failed;
                report.failures.insert(report.failures.end(), failures.begin(), failures.end());
            }
        }
        knowledge.Stop();
        db->Close();
    }
    std::error_code ec;
    fs::remove_all(kb_dir, ec);
    return report;
}

int StoriesCommand(const Config& config, const StoryOptions& options) {
    StoryReport r = RunStories(config, options, std::cout);
    for (const auto& p : r.problems) std::cerr << p << "\n";
    if (!r.problems.empty()) return 2;
    std::cout << fmt::format("{} passed, {} failed\n", r.passed, r.failed);
    return r.failed == 0 && r.passed > 0 ? 0 : 1;
}

int FlowsCheck(const Config& config) {
    std::vector<std::string> problems;
    auto flows = flow::LoadFlows((fs::path(config.bot.pack) / "flows").string(), &problems);
    for (const auto& p : problems) std::cerr << p << "\n";
    if (!flows) {
        if (problems.empty()) std::cerr << "kefu: " << flows.error().message << "\n";
        return 1;
    }
    std::cout << fmt::format("flows: ok ({} flows)\n", flows.value()->flows.size());
    for (const auto& f : flows.value()->flows) {
        std::cout << fmt::format("  {:<18} triggers {:<45} {}\n", f.name, Join(f.trigger, ", "),
                                 f.requires_verification ? "verified customers" : "anyone");
    }
    return 0;
}

}  // namespace kefu::app
