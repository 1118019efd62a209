#!/usr/bin/env bash
# End-to-end load of the human desk through the real server: a thin wrapper around bench/desk_e2e.mjs.
#
#   bench/run_desk_e2e.sh [--agents 200] [--customers 2000] [--rate 200] [--slow-agents 5]
#
# Checks that the release build exists (it builds nothing), raises the open-file limit (every customer
# and agent holds a socket in the client and one in the server), and runs node bench/desk_e2e.mjs with
# the same flags. KEFU_BIN chooses another binary. The report's last line is one JSON object; the exit
# status is the script's: 0 no errors, 1 errors, 2 bad usage. Details: bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    echo
    echo "Options of bench/desk_e2e.mjs:"
    node "$ROOT/bench/desk_e2e.mjs" --help | sed -n '/^options:/,/^$/p' | sed '1d;$d'
}
die() {
    echo "run_desk_e2e: $*" >&2
    exit 2
}

for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
    esac
done

cd "$ROOT"
export KEFU_BIN="${KEFU_BIN:-$ROOT/build/release/kefu}"
if [[ ! -x "$KEFU_BIN" ]]; then
    if [[ "$KEFU_BIN" == "$ROOT/build/release/kefu" ]]; then
        die "build/release/kefu is missing; build it first: cmake --preset release && cmake --build --preset release"
    fi
    die "KEFU_BIN=$KEFU_BIN is not an executable file"
fi
command -v node >/dev/null || die "node (18 or later) is required (scripts/install-deps)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
(( node_major >= 18 )) || die "node 18 or later is required, this is $(node --version)"
[[ -d "$ROOT/node_modules/ws" ]] || die "the npm packages are missing: run npm ci (scripts/install-deps does)"

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

export DESK_E2E_COMMAND="bench/run_desk_e2e.sh${*:+ $*}"
if [[ "$KEFU_BIN" != "$ROOT/build/release/kefu" ]]; then
    DESK_E2E_COMMAND="KEFU_BIN=$KEFU_BIN $DESK_E2E_COMMAND"
fi
exec node "$ROOT/bench/desk_e2e.mjs" "$@"
