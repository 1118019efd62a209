#!/usr/bin/env bash
# WebSocket load benchmark: Kefu's conversation socket against a bare Beast echo server, in one run.
#
#   bench/run_ws_load.sh [--sessions 1000,5000] [--duration 30] [--ramp 10] [--interval-ms 3000]
#                        [--client-threads 1] [--no-build]
#
# Builds the release preset if needed, then for each target (kefu, then echo) and each session count
# starts a fresh server on a free port (its own temp dir, so every run starts with an empty database and
# its RSS figure is its own), drives it with build/release/kefu_ws_load, and stops it. Prints every run's
# report, a table of kefu vs echo with the kefu/echo ratios, the command, and as its last line one JSON
# object. Every process it starts is stopped on exit. Needs curl and python3 (scripts/install-deps).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build/release"
SESSIONS="1000,5000"
DURATION=30
RAMP=10
INTERVAL_MS=3000
CLIENT_THREADS=1
DO_BUILD=1
COMMAND="bench/run_ws_load.sh $*"

usage() {
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}
die() {
    echo "run_ws_load: $*" >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --sessions) SESSIONS="${2:?--sessions needs a value}"; shift 2 ;;
        --duration) DURATION="${2:?--duration needs a value}"; shift 2 ;;
        --ramp) RAMP="${2:?--ramp needs a value}"; shift 2 ;;
        --interval-ms) INTERVAL_MS="${2:?--interval-ms needs a value}"; shift 2 ;;
        --client-threads) CLIENT_THREADS="${2:?--client-threads needs a value}"; shift 2 ;;
        --no-build) DO_BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$SESSIONS" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sessions: expected a comma-separated list of numbers, got '$SESSIONS'"
for v in "$DURATION" "$RAMP" "$INTERVAL_MS" "$CLIENT_THREADS"; do
    [[ "$v" =~ ^[0-9]+$ ]] || die "expected a whole number, got '$v'"
done
command -v curl >/dev/null || die "curl is required (scripts/install-deps)"
command -v python3 >/dev/null || die "python3 is required (scripts/install-deps)"

cd "$ROOT"
if [[ $DO_BUILD -eq 1 ]]; then
    if [[ ! -f "$BUILD/build.ninja" ]]; then
        cmake --preset release
    fi
    cmake --build --preset release -j "$(nproc)"
fi
for exe in kefu kefu_ws_load kefu_ws_echo; do
    [[ -x "$BUILD/$exe" ]] || die "$BUILD/$exe is missing; build the release preset"
done

# Each session holds a socket in the load generator and one in the server.
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
max_sessions=$(tr ',' '\n' <<<"$SESSIONS" | sort -n | tail -1)
if (( $(ulimit -n) < max_sessions + 100 )); then
    echo "run_ws_load: warning: open-file limit $(ulimit -n) is below $max_sessions sessions" >&2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kefu-ws-load.XXXXXX")"
SERVER_PID=""
LOAD_PID=""
cleanup() {
    local rc=$?
    if [[ -n "$LOAD_PID" ]]; then
        kill -TERM "$LOAD_PID" 2>/dev/null || true
        wait "$LOAD_PID" 2>/dev/null || true
    fi
    if [[ -n "$SERVER_PID" ]]; then
        stop_server
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port outside the ephemeral range (so the load generator's own connections cannot take it), not in use.
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 12000))
        if [[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]]; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

# SIGTERM, then SIGKILL after 15 s: Kefu drains and flushes storage within server.shutdown_timeout_ms.
stop_server() {
    local pid="$SERVER_PID"
    SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    echo "run_ws_load: server $pid did not stop in 15 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Starts `kefu serve` (or kefu_ws_echo) on a free port; sets SERVER_PID and PORT.
start_server() {
    local target="$1" dir="$2"
    mkdir -p "$dir"
    PORT="$(free_port)"
    if [[ "$target" == kefu ]]; then
        KEFU_SERVER_HOST=127.0.0.1 \
        KEFU_SERVER_PORT="$PORT" \
        KEFU_STORAGE_PATH="$dir/kefu.db" \
        KEFU_SERVER_RATE_LIMIT_RPS=0 \
        KEFU_SERVER_MAX_CONNECTIONS=100000 \
        KEFU_LOG_LEVEL=warn \
        KEFU_BOT_PACK="$ROOT/packs/demo" \
            "$BUILD/kefu" serve >"$dir/server.out" 2>"$dir/server.err" &
        SERVER_PID=$!
        for _ in $(seq 1 300); do
            if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then return 0; fi
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
    else
        "$BUILD/kefu_ws_echo" --host 127.0.0.1 --port "$PORT" >"$dir/server.out" 2>"$dir/server.err" &
        SERVER_PID=$!
        for _ in $(seq 1 300); do
            if grep -q "listening on" "$dir/server.out" 2>/dev/null; then return 0; fi
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
    echo "run_ws_load: $target did not become ready on port $PORT; its log:" >&2
    tail -20 "$dir/server.err" >&2 || true
    exit 1
}

RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
IFS=',' read -r -a COUNTS <<<"$SESSIONS"
echo "run_ws_load: $(nproc) cores; the server and the load generator share them. Results in $WORK until exit."
for target in kefu echo; do
    for n in "${COUNTS[@]}"; do
        dir="$WORK/$target-$n"
        start_server "$target" "$dir"
        load=("$BUILD/kefu_ws_load" --url "ws://127.0.0.1:$PORT/api/v1/ws" --sessions "$n"
              --interval-ms "$INTERVAL_MS" --duration-s "$DURATION" --ramp-s "$RAMP" --threads "$CLIENT_THREADS"
              --mode "$target" --server-pid "$SERVER_PID" --label "$target-$n" --json)
        echo
        echo "== $target, $n sessions (load average before: $(cut -d' ' -f1-3 /proc/loadavg)): ${load[*]/#"$ROOT/"/}"
        rc=0
        # In the background so that a signal to this script is handled at once (bash defers traps while a
        # foreground child runs).
        "${load[@]}" >"$dir/load.out" 2>"$dir/load.err" &
        LOAD_PID=$!
        wait "$LOAD_PID" || rc=$?
        LOAD_PID=""
        sed '$d' "$dir/load.out"
        last="$(tail -n 1 "$dir/load.out")"
        if [[ "$last" == \{* ]]; then
            echo "$last" >>"$RESULTS"
        else
            echo "run_ws_load: kefu_ws_load exited $rc without a result; its stderr:" >&2
            tail -20 "$dir/load.err" >&2 || true
        fi
        if [[ "$target" == kefu ]]; then
            echo "  files      $(cd "$dir" && du -h --apparent-size kefu.db* 2>/dev/null | awk '{printf "%s %s  ", $2, $1}')"
        fi
        if [[ "$target" == kefu ]] && grep -q '"level":"error"' "$dir/server.err" 2>/dev/null; then
            echo "   server logged errors; first: $(grep -m1 '"level":"error"' "$dir/server.err")"
        fi
        stop_server
    done
done

echo
python3 - "$RESULTS" "$COMMAND" "$DURATION" "$RAMP" "$INTERVAL_MS" "$CLIENT_THREADS" "$(nproc)" <<'PY'
import json, sys

path, command, duration, ramp, interval, client_threads, cores = sys.argv[1:8]
runs = [json.loads(line) for line in open(path) if line.strip()]
by = {(r["target"], r["sessions"]): r for r in runs}
counts = sorted({r["sessions"] for r in runs})

def f(v, d=1):
    return "-" if v is None else f"{v:.{d}f}"

print(f"ws_load: kefu vs bare Beast echo on {cores} shared cores; one message per {interval} ms per session, "
      f"{duration} s window after a {ramp} s ramp, {client_threads} load-generator thread(s)")
head = ("target", "sessions", "connected", "msg/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "ack p99",
        "errors", "srv RSS MB", "srv CPU%", "srv CPU-wait s", "gen CPU%", "other CPU%")
rows = []
for n in counts:
    for t in ("kefu", "echo"):
        r = by.get((t, n))
        if not r:
            continue
        rows.append((t, str(n), str(r["sessions_connected"]), f(r["msgs_per_s"]), f(r["reply_ms"]["p50"], 2),
                     f(r["reply_ms"]["p90"], 2), f(r["reply_ms"]["p99"], 2), f(r["reply_ms"]["max"], 1),
                     f(r.get("ack_ms", {}).get("p99"), 2) if t == "kefu" else "-", str(r["errors"]),
                     f(r.get("server_rss_mb")), f(r.get("server_cpu_pct"), 0), f(r.get("server_runqueue_wait_s")),
                     f(r["client_cpu_pct"], 0),
                     f(r.get("other_cpu_pct"), 0)))
widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths))
print(line(head))
for row in rows:
    print(line(row))
print("(latencies: send -> first bot reply, or -> echo; errors = connect failures + dropped + error frames + "
      "unanswered; CPU% = % of one core over the window; srv CPU-wait = seconds the server's threads were "
      "runnable but had no core; other CPU% = every other process on the machine)")

ratios = {}
for n in counts:
    k, e = by.get(("kefu", n)), by.get(("echo", n))
    if not k or not e:
        continue
    ratio = lambda a, b: round(a / b, 2) if a is not None and b else None
    ratios[str(n)] = {
        "throughput_kefu_over_echo": ratio(k["msgs_per_s"], e["msgs_per_s"]),
        "p99_kefu_over_echo": ratio(k["reply_ms"]["p99"], e["reply_ms"]["p99"]),
        "rss_kefu_over_echo": ratio(k.get("server_rss_mb"), e.get("server_rss_mb")),
    }
    rt = ratios[str(n)]
    print(f"kefu/echo at {n} sessions: throughput x{rt['throughput_kefu_over_echo']}, "
          f"p99 x{rt['p99_kefu_over_echo']}, RSS x{rt['rss_kefu_over_echo']}")
for n in counts:
    k = by.get(("kefu", n))
    if k and n == 5000:
        ok = k["reply_ms"]["p99"] < 50 and k["sessions_connected"] == n and k["errors"] == 0
        print(f"target (p99 < 50 ms at 5000 sessions, no errors): {'met' if ok else 'MISSED'} "
              f"(p99 {k['reply_ms']['p99']} ms, {k['errors']} errors)")
for n in counts:
    k = by.get(("kefu", n))
    if k and "storage" in k:
        s = k["storage"]
        print(f"kefu storage at {n} sessions: {s['commits']:.0f} group commits in the window, mean {s['commit_mean_ms']} ms, "
              f"p99 <= {s['commit_p99_le_ms']} ms, max <= {s['commit_max_le_ms']} ms, {s['writes_per_commit']} writes per commit")
print(f"command: {command}")
print(json.dumps({"bench": "ws_load", "runs": runs, "ratios": ratios, "command": command,
                  "cores": int(cores)}, ensure_ascii=False, separators=(",", ":")))
PY
