// kefu_ws_load: WebSocket load generator for Kefu's conversation socket (docs/api-v1.md, "WebSocket") and
// for the bare echo baseline (kefu_ws_echo). See bench/README.md for how to run it and read its figures.
//
// One process, one io_context, one C++20 coroutine per session (plus a reader coroutine beside it).
// Sessions connect one after another over --ramp-s; then the measurement window of --duration-s starts.
// Every session sends a customer message every --interval-ms (random phase, +-10% jitter), open-loop:
// it does not wait for the reply before the next send, so a slow server cannot slow the offered load
// down and hide its own latency (no coordinated omission). Only messages sent inside the window count.
// After the window, sessions wait up to --drain-s for outstanding replies, then close.
//
// Latency of a reply: from just before the frame is written to the arrival of the first frame
//   kefu: {"type":"message","message":{"role":"bot","in_reply_to":<seq from our ack>}}
//   echo: the echoed frame itself (matched by client_message_id)
// The ack latency (kefu only) runs from the same send to {"type":"ack"}: it is the durable-commit time.
//
// Bounded: every socket operation of a session shares a hard deadline (window end + drain + 5 s), and a
// watchdog stops the io_context shortly after it. Exit status 0 when the run completed (whatever the
// figures), 1 when nothing could be measured, 2 on bad usage.

#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using asio::experimental::awaitable_operators::operator&&;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// ------------------------------------------------------------------------------------------------------
// Options and target

enum class Mode { kKefu, kEcho };

struct LoadOptions {
    std::string url = "ws://127.0.0.1:8080/api/v1/ws";
    int sessions = 1000;
    int interval_ms = 3000;  // one customer message per session per interval, on average
    int duration_s = 30;     // measurement window
    int ramp_s = 10;         // sessions connect evenly over this time, before the window
    int drain_s = 5;         // after the window: how long to wait for outstanding replies
    int threads = 1;         // io_context threads of the load generator
    Mode mode = Mode::kKefu;
    int server_pid = 0;       // 0: no server RSS/CPU figures
    std::string label;        // free text carried into the report (e.g. "kefu-5000")
    std::string metrics_url;  // kefu mode: Prometheus endpoint scraped before and after the window
    bool json = false;        // print one JSON object as the last line
    bool progress = true;     // a progress line on stderr every 5 s
    std::uint64_t seed = 1;
};

struct WsTarget {
    std::string host;
    std::string port;
    std::string path;
};

// Parses ws://host[:port][/path]. Only plain ws: the bench runs against a local server.
std::optional<WsTarget> ParseWsUrl(const std::string& url, std::string_view scheme) {
    std::string prefix = std::string(scheme) + "://";
    if (url.rfind(prefix, 0) != 0) return std::nullopt;
    std::string rest = url.substr(prefix.size());
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    WsTarget t;
    t.path = slash == std::string::npos ? "/" : rest.substr(slash);
    auto colon = authority.rfind(':');
    if (colon == std::string::npos) {
        t.host = authority;
        t.port = "80";
    } else {
        t.host = authority.substr(0, colon);
        t.port = authority.substr(colon + 1);
    }
    if (t.host.empty() || t.port.empty()) return std::nullopt;
    return t;
}

// ------------------------------------------------------------------------------------------------------
// What customers say. zh sessions ask the zh questions, en sessions the en ones; a few fall through to the
// bot's fallback answer on purpose.

constexpr std::array kQuestionsZh = {
    "查询余额",
    "我想查一下账户里还有多少钱",
    "我的卡丢了怎么办",
    "银行卡被偷了，需要挂失",
    "网点营业时间是几点到几点",
    "周六网点开门吗？",
    "跨行转账多久能到账",
    "昨天的汇款还没到账",
    "信用卡年费怎么收",
    "手机银行转账有手续费吗",
    "你好，在吗",
    "转人工",
    "我要投诉，等了太久了",
    "谢谢",
    "开户需要带什么证件",
    "我的卡号是 6222 0212 3456 7890，帮我看看",
};
constexpr std::array kQuestionsEn = {
    "what is my balance",
    "how much money do I have left",
    "I lost my card",
    "my card was stolen, please help",
    "what are your branch hours",
    "is the branch open on Saturday?",
    "how long does a transfer to another bank take",
    "my transfer has not arrived yet",
    "are there any fees for transfers",
    "what is the annual fee of the credit card",
    "hello, anyone there?",
    "I want to talk to a person",
    "I want to make a complaint",
    "thanks a lot",
    "how do I open an account",
    "can you change my mailing address",
};

// ------------------------------------------------------------------------------------------------------
// Per-session figures. Each SessionStats is touched only by its own session (on its strand) until every
// io thread has joined; then the main thread merges them.

struct SessionStats {
    bool connected = false;
    bool connect_failed = false;
    bool dropped = false;  // connection lost before the session meant to close it
    std::uint32_t open_us = 0;
    long sent = 0;         // in the window
    long sent_warmup = 0;  // before the window (during the ramp); not measured
    long acks = 0;
    long replies = 0;     // first matching bot reply (or echo) for a message sent in the window
    long unanswered = 0;  // sent in the window, no reply by the end of the drain
    long error_frames = 0;
    long typing_frames = 0;
    long other_frames = 0;
    long frames_in = 0;
    std::vector<std::uint32_t> reply_us;
    std::vector<std::uint32_t> ack_us;
    std::string first_error;
};

struct RunClock {
    Clock::time_point start;         // first session connects
    Clock::time_point window_start;  // ramp done
    Clock::time_point window_end;
    Clock::time_point drain_end;
    Clock::time_point hard_end;  // every socket operation fails after this
};

// Progress counters for the stderr ticker only; the report uses SessionStats.
struct Progress {
    std::atomic<long> connected{0};
    std::atomic<long> failed{0};
    std::atomic<long> sent{0};
    std::atomic<long> replies{0};
};

struct LoadRun {
    LoadOptions opt;
    WsTarget target;
    tcp::endpoint endpoint;
    RunClock clock;
    std::vector<SessionStats> stats;
    Progress progress;
};

std::uint32_t MicrosSince(Clock::time_point from, Clock::time_point to) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX));
}

void NoteError(SessionStats& st, std::string_view what) {
    if (st.first_error.empty()) st.first_error = std::string(what);
}

// ------------------------------------------------------------------------------------------------------
// One session

struct Pending {
    std::string client_message_id;
    Clock::time_point sent_at;
    std::int64_t seq = -1;  // from the ack (kefu)
    bool in_window = false;
    bool acked = false;
};

class Session {
  public:
    Session(LoadRun& run, int index, asio::any_io_executor ex)
        : run_(run),
          index_(index),
          st_(run.stats[static_cast<std::size_t>(index)]),
          ws_(ex),
          timer_(ex),
          rng_(run.opt.seed * 1000003ULL + static_cast<std::uint64_t>(index)) {}

    asio::awaitable<void> Run() {
        const auto& opt = run_.opt;
        auto start_at =
            run_.clock.start +
            std::chrono::microseconds(static_cast<std::int64_t>(1e6 * opt.ramp_s * index_ / std::max(1, opt.sessions)));
        timer_.expires_at(start_at);
        co_await timer_.async_wait(kNoThrow);
        if (Clock::now() >= run_.clock.window_end) co_return;  // the ramp overran the whole run

        if (!co_await Open()) {
            st_.connect_failed = true;
            run_.progress.failed.fetch_add(1, std::memory_order_relaxed);
            co_return;
        }
        st_.connected = true;
        run_.progress.connected.fetch_add(1, std::memory_order_relaxed);
        co_await (ReadLoop() && SendLoop());
        for (const auto& p : pending_) {
            if (p.in_window) ++st_.unanswered;
        }
    }

  private:
    bool Kefu() const { return run_.opt.mode == Mode::kKefu; }
    bool Zh() const { return index_ % 2 == 0; }

    // TCP connect, WebSocket handshake, then the open frame and its answer ("opened", or the echo).
    asio::awaitable<bool> Open() {
        auto& tcp_layer = beast::get_lowest_layer(ws_);
        const auto t0 = Clock::now();
        tcp_layer.expires_after(10s);
        auto [cec] = co_await tcp_layer.async_connect(run_.endpoint, kNoThrow);
        if (cec) {
            NoteError(st_, "connect: " + cec.message());
            co_return false;
        }
        beast::error_code ignored;
        tcp_layer.socket().set_option(tcp::no_delay(true), ignored);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::request_type& req) { req.set(http::field::user_agent, "kefu_ws_load"); }));
        auto [hec] =
            co_await ws_.async_handshake(run_.target.host + ":" + run_.target.port, run_.target.path, kNoThrow);
        if (hec) {
            NoteError(st_, "handshake: " + hec.message());
            co_return false;
        }
        const std::string open = Zh() ? R"({"type":"open","channel":"web","language":"zh"})"
                                      : R"({"type":"open","channel":"web","language":"en"})";
        ws_.text(true);
        auto [wec, wn] = co_await ws_.async_write(asio::buffer(open), kNoThrow);
        if (wec) {
            NoteError(st_, "open write: " + wec.message());
            co_return false;
        }
        beast::flat_buffer buffer;
        for (;;) {  // bounded by the 10 s expiry set above
            auto [rec, rn] = co_await ws_.async_read(buffer, kNoThrow);
            if (rec) {
                NoteError(st_, "open read: " + rec.message());
                co_return false;
            }
            std::string_view frame(static_cast<const char*>(buffer.data().data()), buffer.size());
            bool done = Kefu() ? frame.find(R"("type":"opened")") != std::string_view::npos : frame == open;
            if (Kefu() && frame.find(R"("type":"error")") != std::string_view::npos) {
                NoteError(st_, "open: " + std::string(frame.substr(0, 200)));
                co_return false;
            }
            buffer.consume(buffer.size());
            if (done) break;
        }
        st_.open_us = MicrosSince(t0, Clock::now());
        // From here on, every read and write of this session fails at the hard deadline at the latest.
        tcp_layer.expires_at(run_.clock.hard_end);
        co_return true;
    }

    asio::awaitable<void> SendLoop() {
        const auto& c = run_.clock;
        const auto interval = std::chrono::microseconds(static_cast<std::int64_t>(run_.opt.interval_ms) * 1000);
        std::uniform_real_distribution<double> phase(0.0, 1.0);
        std::uniform_real_distribution<double> jitter(0.9, 1.1);
        auto next = Clock::now() + std::chrono::duration_cast<Clock::duration>(interval * phase(rng_));
        long n = 0;
        while (!dead_ && next < c.window_end) {
            timer_.expires_at(next);
            co_await timer_.async_wait(kNoThrow);
            if (dead_) break;
            const auto now = Clock::now();
            if (now >= c.window_end) break;
            const bool in_window = now >= c.window_start;
            std::string cmid = "s" + std::to_string(index_) + "-" + std::to_string(++n);
            json::object frame{{"type", "message"}, {"client_message_id", cmid}, {"text", NextQuestion()}};
            std::string text = json::serialize(frame);
            pending_.push_back(Pending{std::move(cmid), now, -1, in_window, false});
            if (in_window) {
                ++st_.sent;
            } else {
                ++st_.sent_warmup;
            }
            run_.progress.sent.fetch_add(1, std::memory_order_relaxed);
            ws_.text(true);
            auto [ec, written] = co_await ws_.async_write(asio::buffer(text), kNoThrow);
            if (ec) {
                if (!dead_) NoteError(st_, "write: " + ec.message());
                Drop();
                break;
            }
            next += std::chrono::duration_cast<Clock::duration>(interval * jitter(rng_));
        }
        // Drain: wait for outstanding replies; the reader cancels the timer when the last one arrives.
        draining_ = true;
        while (!dead_ && HasPendingInWindow() && Clock::now() < c.drain_end) {
            timer_.expires_at(c.drain_end);
            co_await timer_.async_wait(kNoThrow);
        }
        closing_ = true;
        if (!dead_) {
            auto [ec] = co_await ws_.async_close(websocket::close_code::normal, kNoThrow);
            if (ec) beast::get_lowest_layer(ws_).close();  // the reader then ends at once
        }
    }

    asio::awaitable<void> ReadLoop() {
        beast::flat_buffer buffer;
        for (;;) {
            auto [ec, n] = co_await ws_.async_read(buffer, kNoThrow);
            if (ec) {
                if (!closing_) {
                    NoteError(st_, "read: " + ec.message());
                    st_.dropped = true;
                }
                break;
            }
            const auto now = Clock::now();
            ++st_.frames_in;
            OnFrame(std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()), now);
            buffer.consume(buffer.size());
            if (draining_ && !HasPendingInWindow()) timer_.cancel();
        }
        dead_ = true;
        timer_.cancel();
    }

    void Drop() {
        dead_ = true;
        st_.dropped = true;
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
        timer_.cancel();
    }

    void OnFrame(std::string_view text, Clock::time_point now) {
        std::array<unsigned char, 4096> scratch;
        json::monotonic_resource mr(scratch.data(), scratch.size());
        boost::system::error_code ec;
        json::value v = json::parse(text, ec, &mr);
        if (ec || !v.is_object()) {
            ++st_.other_frames;
            NoteError(st_, "unparseable frame");
            return;
        }
        const auto& obj = v.get_object();
        const json::string* type = nullptr;
        if (const auto* t = obj.if_contains("type"); t && t->is_string()) type = &t->get_string();
        if (!Kefu()) {
            // The echo of one of our message frames.
            const auto* cmid = obj.if_contains("client_message_id");
            auto it = cmid && cmid->is_string() ? FindByClientId(cmid->get_string()) : pending_.end();
            if (it == pending_.end()) {
                ++st_.other_frames;
                return;
            }
            RecordReply(it, now);
            return;
        }
        if (type == nullptr) {
            ++st_.other_frames;
        } else if (*type == "ack") {
            ++st_.acks;
            const auto* cmid = obj.if_contains("client_message_id");
            const auto* msg = obj.if_contains("message");
            auto it = cmid && cmid->is_string() ? FindByClientId(cmid->get_string()) : pending_.end();
            if (it != pending_.end() && !it->acked) {
                it->acked = true;
                if (msg && msg->is_object()) {
                    if (const auto* seq = msg->get_object().if_contains("seq"); seq && seq->is_int64()) {
                        it->seq = seq->get_int64();
                    }
                }
                if (it->in_window) st_.ack_us.push_back(MicrosSince(it->sent_at, now));
            }
        } else if (*type == "message") {
            const auto* msg = obj.if_contains("message");
            if (!msg || !msg->is_object()) return;
            const auto& m = msg->get_object();
            const auto* role = m.if_contains("role");
            const auto* irt = m.if_contains("in_reply_to");
            if (!role || !role->is_string() || role->get_string() != "bot" || !irt || !irt->is_int64()) return;
            const std::int64_t seq = irt->get_int64();
            auto it = std::find_if(pending_.begin(), pending_.end(),
                                   [&](const Pending& p) { return p.acked && p.seq == seq; });
            if (it != pending_.end()) RecordReply(it, now);  // later replies to the same turn find nothing
        } else if (*type == "typing") {
            ++st_.typing_frames;
        } else if (*type == "error") {
            ++st_.error_frames;
            NoteError(st_, "error frame: " + std::string(text.substr(0, 200)));
            const auto* cmid = obj.if_contains("client_message_id");
            auto it = cmid && cmid->is_string() ? FindByClientId(cmid->get_string()) : pending_.end();
            if (it != pending_.end()) pending_.erase(it);  // counted as an error frame, not as unanswered
        } else {
            ++st_.other_frames;
        }
    }

    std::deque<Pending>::iterator FindByClientId(const json::string& cmid) {
        std::string_view id(cmid.data(), cmid.size());
        return std::find_if(pending_.begin(), pending_.end(),
                            [&](const Pending& p) { return p.client_message_id == id; });
    }

    void RecordReply(std::deque<Pending>::iterator it, Clock::time_point now) {
        if (it->in_window) {
            ++st_.replies;
            st_.reply_us.push_back(MicrosSince(it->sent_at, now));
            run_.progress.replies.fetch_add(1, std::memory_order_relaxed);
        }
        pending_.erase(it);
    }

    bool HasPendingInWindow() const {
        return std::any_of(pending_.begin(), pending_.end(), [](const Pending& p) { return p.in_window; });
    }

    const char* NextQuestion() {
        if (Zh()) return kQuestionsZh[std::uniform_int_distribution<std::size_t>(0, kQuestionsZh.size() - 1)(rng_)];
        return kQuestionsEn[std::uniform_int_distribution<std::size_t>(0, kQuestionsEn.size() - 1)(rng_)];
    }

    LoadRun& run_;
    int index_;
    SessionStats& st_;
    websocket::stream<beast::tcp_stream> ws_;
    asio::steady_timer timer_;  // the sender's; the reader cancels it to wake the sender
    std::mt19937_64 rng_;
    std::deque<Pending> pending_;  // messages sent and not yet answered, oldest first
    bool dead_ = false;            // the connection is gone
    bool draining_ = false;        // the sender is waiting for the last replies
    bool closing_ = false;         // the sender has started the close handshake
};

// ------------------------------------------------------------------------------------------------------
// /proc sampling: server RSS and CPU, our own CPU, whole-machine CPU

std::optional<double> ReadRssMb(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            std::istringstream in(line.substr(6));
            double kb = 0;
            in >> kb;
            return kb / 1024.0;
        }
    }
    return std::nullopt;
}

// utime + stime of a process, in seconds.
std::optional<double> ReadProcessCpuSeconds(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = all.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream in(all.substr(close + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    // After "pid (comm) ", field 3 is state; utime and stime are fields 14 and 15.
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

struct MachineCpu {
    double busy = 0;
    double total = 0;
};
MachineCpu ReadMachineCpu() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    f >> cpu;
    MachineCpu m;
    double v = 0;
    for (int i = 0; i < 8 && f >> v; ++i) {
        m.total += v;
        if (i != 3 && i != 4) m.busy += v;  // idle and iowait are not busy
    }
    return m;
}

// Per-thread scheduler figures of a process (/proc/PID/task/TID/schedstat): nanoseconds on a CPU and
// nanoseconds runnable but waiting for one. The wait is the direct measure of CPU starvation.
struct ThreadSched {
    int tid = 0;
    std::string comm;
    double run_s = 0;
    double wait_s = 0;
};

std::map<int, ThreadSched> ReadThreadSched(int pid) {
    std::map<int, ThreadSched> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        ThreadSched t;
        try {
            t.tid = std::stoi(entry.path().filename().string());
        } catch (const std::exception&) {
            continue;
        }
        std::ifstream sched(entry.path() / "schedstat");
        double run_ns = 0;
        double wait_ns = 0;
        if (!(sched >> run_ns >> wait_ns)) continue;
        t.run_s = run_ns / 1e9;
        t.wait_s = wait_ns / 1e9;
        std::ifstream comm(entry.path() / "comm");
        std::getline(comm, t.comm);
        out[t.tid] = t;
    }
    return out;
}

struct Samples {
    std::mutex mu;
    double server_rss_start_mb = 0;           // guarded by mu
    double server_rss_peak_mb = 0;            // guarded by mu
    double server_rss_end_mb = 0;             // guarded by mu
    double client_rss_peak_mb = 0;            // guarded by mu
    std::optional<double> server_cpu_pct;     // over the window, % of one core; guarded by mu
    double client_cpu_pct = 0;                // guarded by mu
    double machine_cpu_pct = 0;               // all cores busy = 100; guarded by mu
    bool server_gone = false;                 // guarded by mu
    std::vector<ThreadSched> server_threads;  // deltas over the window, by tid; guarded by mu
};

// Samples every 100 ms from the start until the drain ends (or stop is set).
void SampleLoop(const LoadRun& run, Samples& out, const std::atomic<bool>& stop) {
    const int pid = run.opt.server_pid;
    std::optional<double> srv_cpu0;
    std::map<int, ThreadSched> sched0;
    double self_cpu0 = 0;
    MachineCpu m0;
    bool window_started = false;
    bool window_ended = false;
    const int self_pid = static_cast<int>(getpid());
    for (;;) {
        const auto now = Clock::now();
        {
            std::lock_guard lock(out.mu);
            if (pid > 0) {
                if (auto rss = ReadRssMb(pid)) {
                    if (out.server_rss_start_mb == 0) out.server_rss_start_mb = *rss;
                    out.server_rss_peak_mb = std::max(out.server_rss_peak_mb, *rss);
                    out.server_rss_end_mb = *rss;
                } else {
                    out.server_gone = true;
                }
            }
            if (auto rss = ReadRssMb(self_pid)) out.client_rss_peak_mb = std::max(out.client_rss_peak_mb, *rss);
            if (!window_started && now >= run.clock.window_start) {
                window_started = true;
                if (pid > 0) {
                    srv_cpu0 = ReadProcessCpuSeconds(pid);
                    sched0 = ReadThreadSched(pid);
                }
                self_cpu0 = SelfCpuSeconds();
                m0 = ReadMachineCpu();
            } else if (window_started && !window_ended && now >= run.clock.window_end) {
                window_ended = true;
                const double secs = std::chrono::duration<double>(now - run.clock.window_start).count();
                if (srv_cpu0) {
                    if (auto c = ReadProcessCpuSeconds(pid)) out.server_cpu_pct = 100.0 * (*c - *srv_cpu0) / secs;
                }
                if (pid > 0) {
                    for (auto& [tid, t1] : ReadThreadSched(pid)) {
                        ThreadSched d = t1;
                        if (auto it = sched0.find(tid); it != sched0.end()) {
                            d.run_s -= it->second.run_s;
                            d.wait_s -= it->second.wait_s;
                        }
                        out.server_threads.push_back(d);
                    }
                }
                out.client_cpu_pct = 100.0 * (SelfCpuSeconds() - self_cpu0) / secs;
                MachineCpu m1 = ReadMachineCpu();
                if (m1.total > m0.total) out.machine_cpu_pct = 100.0 * (m1.busy - m0.busy) / (m1.total - m0.total);
            }
        }
        if (stop.load() || now >= run.clock.drain_end) return;
        std::this_thread::sleep_for(100ms);
    }
}

// ------------------------------------------------------------------------------------------------------
// Prometheus scrape (kefu mode): storage group-commit figures over the window

asio::awaitable<std::string> HttpGet(WsTarget t, tcp::endpoint ep) {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(5s);
    auto [cec] = co_await stream.async_connect(ep, kNoThrow);
    if (cec) co_return std::string();
    http::request<http::empty_body> req{http::verb::get, t.path, 11};
    req.set(http::field::host, t.host + ":" + t.port);
    req.set(http::field::user_agent, "kefu_ws_load");
    auto [wec, wn] = co_await http::async_write(stream, req, kNoThrow);
    if (wec) co_return std::string();
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream, buffer, res, kNoThrow);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (rec || res.result() != http::status::ok) co_return std::string();
    co_return std::move(res.body());
}

// "name{labels} value" lines of a Prometheus text body, keyed by "name{labels}".
std::map<std::string, double> ParsePrometheus(const std::string& body) {
    std::map<std::string, double> out;
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.rfind(' ');
        if (sp == std::string::npos) continue;
        try {
            out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
        } catch (const std::exception&) {
        }
    }
    return out;
}

struct StorageFigures {
    double commits = 0;
    double commit_mean_ms = 0;
    double commit_p99_le_ms = 0;  // upper bound of the histogram bucket holding the 99th percentile
    double commit_max_le_ms = 0;  // upper bound of the highest non-empty bucket
    double batch_mean_ops = 0;
    double dropped_slow = 0;
};

std::optional<StorageFigures> StorageDelta(const std::string& before, const std::string& after) {
    if (before.empty() || after.empty()) return std::nullopt;
    auto a = ParsePrometheus(before);
    auto b = ParsePrometheus(after);
    auto delta = [&](const std::string& key) { return b[key] - a[key]; };
    StorageFigures f;
    f.commits = delta("kefu_storage_commit_seconds_count");
    if (f.commits <= 0) return f;
    f.commit_mean_ms = 1000.0 * delta("kefu_storage_commit_seconds_sum") / f.commits;
    const double batches = delta("kefu_storage_batch_operations_count");
    if (batches > 0) f.batch_mean_ops = delta("kefu_storage_batch_operations_sum") / batches;
    f.dropped_slow = delta("kefu_websockets_dropped_slow_total");
    std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
    const std::string prefix = "kefu_storage_commit_seconds_bucket{le=\"";
    for (const auto& [key, value] : b) {
        if (key.rfind(prefix, 0) != 0) continue;
        std::string le = key.substr(prefix.size(), key.size() - prefix.size() - 2);
        double bound = le == "+Inf" ? INFINITY : std::stod(le);
        buckets.emplace_back(bound, value - a[key]);
    }
    std::sort(buckets.begin(), buckets.end());
    for (const auto& [le, cumulative] : buckets) {
        if (f.commit_p99_le_ms == 0 && cumulative >= 0.99 * f.commits) f.commit_p99_le_ms = 1000.0 * le;
        if (cumulative >= f.commits) {
            f.commit_max_le_ms = 1000.0 * le;
            break;
        }
    }
    return f;
}

asio::awaitable<void> ScrapeAround(LoadRun& run, WsTarget metrics, tcp::endpoint ep, std::string& before,
                                   std::string& after) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(run.clock.window_start);
    co_await t.async_wait(kNoThrow);
    before = co_await HttpGet(metrics, ep);
    t.expires_at(run.clock.window_end);
    co_await t.async_wait(kNoThrow);
    after = co_await HttpGet(metrics, ep);
}

// ------------------------------------------------------------------------------------------------------
// Report

struct Percentiles {
    std::size_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;  // milliseconds
};

Percentiles Summarise(std::vector<std::uint32_t>& us) {
    Percentiles p;
    p.count = us.size();
    if (us.empty()) return p;
    std::sort(us.begin(), us.end());
    auto at = [&](double q) {  // nearest rank
        auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(us.size())));
        return us[std::clamp<std::size_t>(rank, 1, us.size()) - 1] / 1000.0;
    };
    p.p50 = at(0.50);
    p.p90 = at(0.90);
    p.p99 = at(0.99);
    p.max = us.back() / 1000.0;
    double sum = 0;
    for (auto v : us) sum += v;
    p.mean = sum / static_cast<double>(us.size()) / 1000.0;
    return p;
}

double Round(double v, int digits) {
    const double f = std::pow(10.0, digits);
    return std::round(v * f) / f;
}

json::object PercentilesJson(const Percentiles& p) {
    return json::object{{"count", p.count},       {"p50", Round(p.p50, 2)}, {"p90", Round(p.p90, 2)},
                        {"p99", Round(p.p99, 2)}, {"max", Round(p.max, 2)}, {"mean", Round(p.mean, 2)}};
}

void PrintTicker(const LoadRun& run, Clock::time_point now) {
    const double t = std::chrono::duration<double>(now - run.clock.start).count();
    const char* phase = now < run.clock.window_start ? "ramp" : now < run.clock.window_end ? "window" : "drain";
    std::fprintf(stderr, "kefu_ws_load: t=%5.1fs %-6s connected=%ld failed=%ld sent=%ld replies=%ld\n", t, phase,
                 run.progress.connected.load(), run.progress.failed.load(), run.progress.sent.load(),
                 run.progress.replies.load());
}

void RaiseFileLimit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int Usage(const std::string& reason) {
    std::fprintf(stderr, "kefu_ws_load: %s\n", reason.c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    LoadOptions opt;
    std::string mode = "kefu";
    bool quiet = false;
    CLI::App app{"WebSocket load generator for Kefu's conversation socket and the kefu_ws_echo baseline."};
    app.add_option("--url", opt.url, "WebSocket URL, ws://host:port/path.")->capture_default_str();
    app.add_option("--sessions", opt.sessions, "Concurrent sessions.")
        ->check(CLI::Range(1, 1000000))
        ->capture_default_str();
    app.add_option("--interval-ms", opt.interval_ms, "Mean time between two messages of one session.")
        ->check(CLI::Range(10, 3600000))
        ->capture_default_str();
    app.add_option("--duration-s", opt.duration_s, "Measurement window, after the ramp.")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    app.add_option("--ramp-s", opt.ramp_s, "Sessions connect evenly over this time.")
        ->check(CLI::Range(0, 3600))
        ->capture_default_str();
    app.add_option("--drain-s", opt.drain_s, "After the window, wait this long for outstanding replies.")
        ->check(CLI::Range(0, 600))
        ->capture_default_str();
    app.add_option("--threads", opt.threads, "Load generator I/O threads.")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    app.add_option("--mode", mode, "kefu: the conversation protocol; echo: any echo server.")
        ->check(CLI::IsMember({"kefu", "echo"}))
        ->capture_default_str();
    app.add_option("--server-pid", opt.server_pid, "Server process to sample for RSS and CPU (0 = none).")
        ->capture_default_str();
    app.add_option("--label", opt.label, "Name carried into the report.");
    app.add_option(
        "--metrics-url", opt.metrics_url,
        "kefu mode: Prometheus endpoint scraped at the window's start and end (default: http://<host:port>/metrics; "
        "'none' to skip).");
    app.add_option("--seed", opt.seed, "Seed for phases, jitter and question choice.")->capture_default_str();
    app.add_flag("--json", opt.json, "Print one JSON object with every figure as the last line.");
    app.add_flag("--quiet", quiet, "No progress lines on stderr.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return Usage(e.what());
    }
    opt.mode = mode == "echo" ? Mode::kEcho : Mode::kKefu;
    opt.progress = !quiet;

    auto target = ParseWsUrl(opt.url, "ws");
    if (!target) return Usage("--url: expected ws://host:port/path, got '" + opt.url + "'");
    std::optional<WsTarget> metrics;
    if (opt.mode == Mode::kKefu && opt.metrics_url != "none") {
        if (opt.metrics_url.empty()) opt.metrics_url = "http://" + target->host + ":" + target->port + "/metrics";
        metrics = ParseWsUrl(opt.metrics_url, "http");
        if (!metrics) return Usage("--metrics-url: expected http://host:port/path, got '" + opt.metrics_url + "'");
    }

    std::signal(SIGPIPE, SIG_IGN);
    RaiseFileLimit();
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < static_cast<rlim_t>(opt.sessions) + 64) {
        std::fprintf(stderr, "kefu_ws_load: warning: open-file limit %ld is below sessions + 64; raise ulimit -n\n",
                     static_cast<long>(rl.rlim_cur));
    }

    asio::io_context ioc(opt.threads);
    LoadRun run;
    run.opt = opt;
    run.target = *target;
    try {
        tcp::resolver resolver(ioc);
        run.endpoint = *resolver.resolve(target->host, target->port).begin();
    } catch (const std::exception& e) {
        return Usage("cannot resolve " + target->host + ":" + target->port + ": " + e.what());
    }
    tcp::endpoint metrics_ep;
    if (metrics) {
        try {
            tcp::resolver resolver(ioc);
            metrics_ep = *resolver.resolve(metrics->host, metrics->port).begin();
        } catch (const std::exception& e) {
            return Usage("cannot resolve " + metrics->host + ":" + metrics->port + ": " + e.what());
        }
    }
    run.stats.resize(static_cast<std::size_t>(opt.sessions));
    auto& c = run.clock;
    c.start = Clock::now() + 200ms;
    c.window_start = c.start + std::chrono::seconds(opt.ramp_s);
    c.window_end = c.window_start + std::chrono::seconds(opt.duration_s);
    c.drain_end = c.window_end + std::chrono::seconds(opt.drain_s);
    c.hard_end = c.drain_end + 5s;

    std::vector<std::unique_ptr<Session>> sessions;
    sessions.reserve(static_cast<std::size_t>(opt.sessions));
    std::atomic<long> spawn_failures{0};
    for (int i = 0; i < opt.sessions; ++i) {
        auto strand = asio::make_strand(ioc);
        sessions.push_back(std::make_unique<Session>(run, i, strand));
        asio::co_spawn(strand, sessions.back()->Run(), [&spawn_failures](std::exception_ptr e) {
            if (!e) return;
            spawn_failures.fetch_add(1);
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::fprintf(stderr, "kefu_ws_load: session failed: %s\n", ex.what());
            }
        });
    }
    std::string metrics_before;
    std::string metrics_after;
    if (metrics) {
        asio::co_spawn(ioc, ScrapeAround(run, *metrics, metrics_ep, metrics_before, metrics_after),
                       [](std::exception_ptr e) {
                           if (!e) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                               std::fprintf(stderr, "kefu_ws_load: metrics scrape failed: %s\n", ex.what());
                           }
                       });
    }

    Samples samples;
    std::atomic<bool> stop_sampling{false};
    std::thread sampler([&] { SampleLoop(run, samples, stop_sampling); });

    // Watchdog and progress ticker: wakes every 5 s; stops the io_context if it outlives the hard deadline.
    std::mutex done_mu;
    std::condition_variable done_cv;
    bool done = false;  // guarded by done_mu
    std::thread watchdog([&] {
        std::unique_lock lock(done_mu);
        for (;;) {
            if (done_cv.wait_for(lock, 5s, [&] { return done; })) return;
            const auto now = Clock::now();
            if (opt.progress) PrintTicker(run, now);
            if (now > c.hard_end + 2s) {
                std::fprintf(stderr, "kefu_ws_load: hard deadline passed; stopping\n");
                ioc.stop();
                return;
            }
        }
    });

    std::vector<std::thread> pool;
    for (int i = 1; i < opt.threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    {
        std::lock_guard lock(done_mu);
        done = true;
    }
    done_cv.notify_all();
    watchdog.join();
    stop_sampling = true;
    sampler.join();
    const auto finished = Clock::now();

    // ---- merge
    SessionStats total;
    long connected = 0, connect_failed = 0, dropped = 0, never_started = 0;
    std::vector<std::uint32_t> open_us;
    std::map<std::string, long> error_kinds;
    for (auto& st : run.stats) {
        connected += st.connected ? 1 : 0;
        connect_failed += st.connect_failed ? 1 : 0;
        never_started += !st.connected && !st.connect_failed ? 1 : 0;
        dropped += st.dropped ? 1 : 0;
        if (st.connected) open_us.push_back(st.open_us);
        total.sent += st.sent;
        total.sent_warmup += st.sent_warmup;
        total.acks += st.acks;
        total.replies += st.replies;
        total.unanswered += st.unanswered;
        total.error_frames += st.error_frames;
        total.typing_frames += st.typing_frames;
        total.other_frames += st.other_frames;
        total.frames_in += st.frames_in;
        total.reply_us.insert(total.reply_us.end(), st.reply_us.begin(), st.reply_us.end());
        total.ack_us.insert(total.ack_us.end(), st.ack_us.begin(), st.ack_us.end());
        if (!st.first_error.empty()) {
            std::string kind = st.first_error.substr(0, st.first_error.find(':'));
            ++error_kinds[kind];
            if (total.first_error.empty()) total.first_error = st.first_error;
        }
    }
    const Percentiles reply = Summarise(total.reply_us);
    const Percentiles ack = Summarise(total.ack_us);
    const Percentiles opened = Summarise(open_us);
    const double window_s = static_cast<double>(opt.duration_s);
    const double sent_per_s = static_cast<double>(total.sent) / window_s;
    const double replies_per_s = static_cast<double>(total.replies) / window_s;
    const long errors = connect_failed + dropped + total.error_frames + total.unanswered + spawn_failures.load();
    std::optional<StorageFigures> storage;
    if (metrics) storage = StorageDelta(metrics_before, metrics_after);
    const char* mode_name = opt.mode == Mode::kKefu ? "kefu" : "echo";

    // ---- human-readable report
    std::lock_guard sample_lock(samples.mu);
    std::printf(
        "ws_load %s%s%s: %s, %d sessions, one message per %d ms each, window %d s after a %d s ramp, %d client "
        "thread%s\n",
        mode_name, opt.label.empty() ? "" : " ", opt.label.c_str(), opt.url.c_str(), opt.sessions, opt.interval_ms,
        opt.duration_s, opt.ramp_s, opt.threads, opt.threads == 1 ? "" : "s");
    std::printf("  sessions   requested %d, connected %ld, connect failures %ld, dropped %ld, not started %ld\n",
                opt.sessions, connected, connect_failed, dropped, never_started);
    std::printf("  messages   sent %ld (+%ld during ramp), replies %ld, acks %ld, unanswered %ld, error frames %ld\n",
                total.sent, total.sent_warmup, total.replies, total.acks, total.unanswered, total.error_frames);
    std::printf("  rate       %.1f msg/s sent, %.1f replies/s, %ld frames received\n", sent_per_s, replies_per_s,
                total.frames_in);
    std::printf("  reply ms   p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f  (n=%zu)\n", reply.p50, reply.p90,
                reply.p99, reply.max, reply.mean, reply.count);
    if (opt.mode == Mode::kKefu) {
        std::printf("  ack ms     p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (send -> durable ack)\n", ack.p50, ack.p90,
                    ack.p99, ack.max);
    }
    std::printf("  open ms    p50 %.2f  p99 %.2f  max %.2f  (connect + upgrade + open answered)\n", opened.p50,
                opened.p99, opened.max);
    if (opt.server_pid > 0) {
        std::printf(
            "  server     pid %d, RSS peak %.1f MB (%.1f MB at start, %.1f MB at end), CPU %s%% of one core%s\n",
            opt.server_pid, samples.server_rss_peak_mb, samples.server_rss_start_mb, samples.server_rss_end_mb,
            samples.server_cpu_pct ? std::to_string(static_cast<int>(std::lround(*samples.server_cpu_pct))).c_str()
                                   : "?",
            samples.server_gone ? " (the process went away during the run)" : "");
    }
    // CPU used by everything else on the machine during the window, in % of one core: other processes
    // compete with the server and the load generator for the same cores.
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const double other_cpu_pct =
        std::max(0.0, samples.machine_cpu_pct * cores - samples.client_cpu_pct - samples.server_cpu_pct.value_or(0.0));
    double sched_run = 0;
    double sched_wait = 0;
    for (const auto& t : samples.server_threads) {
        sched_run += t.run_s;
        sched_wait += t.wait_s;
    }
    if (!samples.server_threads.empty()) {
        // Threads in creation order (tid ascending). In Kefu: main, the storage writer, two storage readers,
        // then the I/O threads (and the logger's thread, if any).
        std::printf("  server     threads on CPU %.1f s, runnable but waiting for a CPU %.1f s, in the %d s window:",
                    sched_run, sched_wait, opt.duration_s);
        for (const auto& t : samples.server_threads) {
            if (t.run_s + t.wait_s >= 0.05) std::printf(" [%d %.1f/%.1f]", t.tid, t.run_s, t.wait_s);
        }
        std::printf(" (tid on/waiting s)\n");
    }
    std::printf("  client     CPU %.0f%% of one core, RSS peak %.1f MB\n", samples.client_cpu_pct,
                samples.client_rss_peak_mb);
    std::printf("  machine    CPU busy %.0f%% of %u cores; other processes used %.0f%% of one core\n",
                samples.machine_cpu_pct, cores, other_cpu_pct);
    if (storage) {
        std::printf(
            "  storage    %.0f commits in the window, mean %.2f ms, p99 <= %g ms, max <= %g ms, %.1f writes per "
            "commit\n",
            storage->commits, storage->commit_mean_ms, storage->commit_p99_le_ms, storage->commit_max_le_ms,
            storage->batch_mean_ops);
    }
    if (!total.first_error.empty()) {
        std::printf("  errors     %ld", errors);
        for (const auto& [kind, n] : error_kinds) std::printf(", %s x%ld", kind.c_str(), n);
        std::printf("; first: %s\n", total.first_error.c_str());
    }
    std::printf("  took %.1f s\n", std::chrono::duration<double>(finished - (c.start - 200ms)).count());

    if (opt.json) {
        json::object o{
            {"bench", "ws_load"},
            {"target", mode_name},
            {"label", opt.label},
            {"url", opt.url},
            {"sessions", opt.sessions},
            {"sessions_connected", connected},
            {"connect_failures", connect_failed},
            {"dropped", dropped},
            {"interval_ms", opt.interval_ms},
            {"duration_s", opt.duration_s},
            {"ramp_s", opt.ramp_s},
            {"client_threads", opt.threads},
            {"messages_sent", total.sent},
            {"replies", total.replies},
            {"acks", total.acks},
            {"unanswered", total.unanswered},
            {"error_frames", total.error_frames},
            {"errors", errors},
            {"msgs_per_s", Round(replies_per_s, 1)},
            {"sent_per_s", Round(sent_per_s, 1)},
            {"reply_ms", PercentilesJson(reply)},
            {"open_ms", PercentilesJson(opened)},
            {"client_cpu_pct", Round(samples.client_cpu_pct, 1)},
            {"client_rss_mb", Round(samples.client_rss_peak_mb, 1)},
            {"machine_cpu_pct", Round(samples.machine_cpu_pct, 1)},
            {"other_cpu_pct", Round(other_cpu_pct, 1)},
            {"cores", cores},
        };
        if (opt.mode == Mode::kKefu) o["ack_ms"] = PercentilesJson(ack);
        if (opt.server_pid > 0) {
            o["server_pid"] = opt.server_pid;
            o["server_rss_mb"] = Round(samples.server_rss_peak_mb, 1);
            o["server_rss_start_mb"] = Round(samples.server_rss_start_mb, 1);
            o["server_cpu_pct"] =
                samples.server_cpu_pct ? json::value(Round(*samples.server_cpu_pct, 1)) : json::value(nullptr);
            json::array threads;
            for (const auto& t : samples.server_threads) {
                threads.push_back(json::object{{"tid", t.tid},
                                               {"comm", t.comm},
                                               {"cpu_s", Round(t.run_s, 2)},
                                               {"runqueue_wait_s", Round(t.wait_s, 2)}});
            }
            o["server_threads"] = std::move(threads);
            o["server_runqueue_wait_s"] = Round(sched_wait, 2);
        }
        if (storage) {
            o["storage"] = json::object{{"commits", storage->commits},
                                        {"commit_mean_ms", Round(storage->commit_mean_ms, 3)},
                                        {"commit_p99_le_ms", Round(storage->commit_p99_le_ms, 3)},
                                        {"commit_max_le_ms", Round(storage->commit_max_le_ms, 3)},
                                        {"writes_per_commit", Round(storage->batch_mean_ops, 2)},
                                        {"dropped_slow_clients", storage->dropped_slow}};
        }
        if (!total.first_error.empty()) o["first_error"] = total.first_error;
        std::printf("%s\n", json::serialize(o).c_str());
    }
    std::fflush(stdout);
    return connected > 0 && total.replies > 0 ? 0 : 1;
}
