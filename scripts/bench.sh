#!/usr/bin/env bash
# Every figure in BENCHMARKS.md, one after the other, from one command. Not a test; CI never runs it.
#
#   scripts/bench.sh [quick|full]
#
#   quick (default): dry-run at 100k and 1m events beside the peers, callgrind counts at 100k, the
#                    ordo-one in-process figures (time and mallocs per event), the daemon (ingest,
#                    outbox delivery), end-to-end latency at 100 and 1,000 events/s, and the delivery
#                    adapters beside curl --parallel and Apprise, and channel pacing (1,000 texts at
#                    200/s against the HTTP peer).
#   full:            quick, plus dry-run at 10m events (Touchpoint's own generator; ~15 min more).
#
# Each part is its own script (see them for details and environment knobs); this one only sequences
# them and keeps the outputs in Benchmarks/results/<time>/ (git-ignored).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
mode=${1:-quick}
out="Benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
run() { # name, command...
    local name=$1
    shift
    echo "== $name: $*" >&2
    "$@" 2> "$out/$name.err" | tee "$out/$name.txt"
}
sizes=(100k 1m)
[[ $mode == full ]] && sizes+=(10m)
run dry-run scripts/bench-dry-run.sh "${sizes[@]}"
run callgrind scripts/bench-callgrind.sh
run ordo-one swift package --package-path Benchmarks --disable-sandbox benchmark --target ReplayBenchmarks \
    --format markdown --no-progress
run daemon scripts/bench-daemon.sh all 3
run latency python3 scripts/bench-latency.py --rates 100,1000 --seconds 20
run delivery scripts/bench-delivery.sh 3
run pacing python3 scripts/bench-pacing.py --runs 3 || echo "pacing: outside the issue's figure (see pacing.txt)" >&2
echo "outputs in $out" >&2
