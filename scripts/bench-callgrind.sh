#!/usr/bin/env bash
# Instruction counts for the dry-run replay of a fixed events file, under callgrind: repeatable on a
# noisy shared machine where wall times are not. Not a test.
#
#   scripts/bench-callgrind.sh [EVENTS]     default: /tmp/bench/events_100000_c10000_s42.jsonl (the
#                                           peers' generator, 100k events, 10k customers, seed 42)
#
# Runs `touchpoint-bench-replay` (Benchmarks/: the dry-run path — decode, reorder, engine, render, JSON
# line — on one thread with a synchronous main; the async `touchpoint` binary parks its main thread in
# libdispatch's sigsuspend, which valgrind cannot run). valgrind 3.19 cannot read Swift 6's DWARF, so
# the binary's debug info is stripped first (symbols stay). Prints total instructions (Ir), Ir per
# event, and the top functions by inclusive Ir. Env: TOP (default 25), KEEP=1 keeps callgrind.out.
# Takes about 6 minutes for 100k events (callgrind runs the program ~50× slower).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
EVENTS=${1:-/tmp/bench/events_100000_c10000_s42.jsonl}
[[ -s "$EVENTS" ]] || { echo "no events file $EVENTS (scripts/bench-dry-run.sh 100k makes it)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install -y valgrind)" >&2; exit 1; }
swift build -c release --package-path Benchmarks --product touchpoint-bench-replay >&2
work=$(mktemp -d)
trap '[[ -n "${KEEP:-}" ]] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
objcopy --strip-debug Benchmarks/.build/release/touchpoint-bench-replay "$work/replay"
"$work/replay" "$EVENTS" --project "$repo"     # uninstrumented, for the figures' sake
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$work/replay" "$EVENTS" --project "$repo" \
    2> "$work/valgrind.log"
lines=$(wc -l < "$EVENTS")
total=$(grep -m1 '^summary:' "$work/callgrind.out" | awk '{print $2}')
echo "events=$lines instructions=$total instructions_per_event=$((total / lines))"
callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null | sed -n '1,200p' \
    | grep -E '^ *[0-9,]+ ' | head -"${TOP:-25}" | sed -E 's/ \[[^]]*\]$//' | cut -c1-170 || true
