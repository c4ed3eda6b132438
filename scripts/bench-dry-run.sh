#!/usr/bin/env bash
# Whole-process benchmark of `touchpoint dry-run` beside the peers, in the same run.
#
#   scripts/bench-dry-run.sh [SIZE...]        SIZE: 100k (default; 10k customers), 1m (100k customers), 10m
#
# For each size: generates (or reuses) a Segment-shaped event file with the peers' generator, then
# runs RUNS times each (default 3), interleaved so machine noise hits all of them alike:
#   touchpoint   .build/release/touchpoint dry-run FILE --format json > /dev/null   (repo root: shipped
#                rules/ and templates/, built-in defaults; renders every message)
#   python e2e   python3 PEERS/bench/cart_rules.py FILE --engine python --mode e2e   (dict + heap, one rule,
#                renders nothing)
#   durable e2e  python3 PEERS/bench/cart_rules.py FILE --engine durable --mode e2e  (durable_rules, one
#                rule; skipped for 10m with DURABLE=auto, the default: it alone would take ~3 min a run)
#   orjson floor python3 PEERS/bench/parse_bench.py FILE --lib orjson               (parse every line only)
#   simdjson floor python3 PEERS/bench/parse_bench.py FILE --lib simdjson          (pysimdjson, lazy parse)
# and prints the median wall time, events/s (lines / wall), user CPU, peak RSS, and touchpoint's ratio
# to each peer. Every figure is the whole process, measured with /usr/bin/time -f '%e %U %M'.
#
# Environment: PEERS (default ../shared/peers beside the repo, else /work/shared/peers),
# BENCH_DIR (default /tmp/bench), RUNS (default 3), BUILD=0 to skip `swift build -c release`,
# BEFORE=/path/to/older/touchpoint to time an older binary too (row "touchpoint-before"),
# GEN=peers|ours: which generator makes the file (default: the peers' gen_events.py for 100k and 1m, so
# the figures compare with the peers' own; Touchpoint's streaming `touchpoint-generate` for 10m, which
# the Python generator would need ~7 GB of memory for).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
PEERS=${PEERS:-}
if [[ -z "$PEERS" ]]; then
    if [[ -d "$repo/../shared/peers" ]]; then PEERS=$(cd "$repo/../shared/peers" && pwd); else PEERS=/work/shared/peers; fi
fi
BENCH_DIR=${BENCH_DIR:-/tmp/bench}
RUNS=${RUNS:-3}
sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(100k)

[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install -y time)" >&2; exit 1; }
python3 -c 'import orjson' 2>/dev/null || { echo "needs orjson (pip install orjson)" >&2; exit 1; }
[[ -f "$PEERS/gen_events.py" ]] || { echo "peers not found at $PEERS (set PEERS=...)" >&2; exit 1; }

if [[ "${BUILD:-1}" != 0 ]]; then
    swift build -c release --product touchpoint >&2
fi
bin="$repo/.build/release/touchpoint"

mkdir -p "$BENCH_DIR"
results=$(mktemp)
trap 'rm -f "$results"' EXIT

# One timed run: appends "size tool wall user rss_kb" to $results.
measure() {
    local size=$1 tool=$2
    shift 2
    local t
    t=$(mktemp)
    /usr/bin/time -o "$t" -f '%e %U %M' "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; cat "$t" >&2; exit 1; }
    echo "$size $tool $(tail -1 "$t")" >> "$results"
    rm -f "$t"
}

for size in "${sizes[@]}"; do
    case $size in
        100k) customers=10000; events=100000 ;;
        1m) customers=100000; events=1000000 ;;
        10m) customers=1000000; events=10000000 ;;
        *) echo "unknown size $size (100k, 1m, 10m)" >&2; exit 1 ;;
    esac
    gen=${GEN:-}
    [[ -z "$gen" ]] && { [[ $size == 10m ]] && gen=ours || gen=peers; }
    # The generators are deterministic: the same name always holds the same bytes.
    if [[ $gen == peers ]]; then
        file="$BENCH_DIR/events_${events}_c${customers}_s42.jsonl"
    else
        file="$BENCH_DIR/tp_events_${events}_c${customers}_s42.jsonl"
    fi
    if [[ ! -s "$file" ]] || [[ $(wc -l < "$file") -ne $events ]]; then
        echo "generating $file ($gen)" >&2
        if [[ $gen == peers ]]; then
            python3 "$PEERS/gen_events.py" --customers $customers --events $events --seed 42 --out "$file" >&2
        else
            swift build -c release --package-path Benchmarks --product touchpoint-generate >&2
            Benchmarks/.build/release/touchpoint-generate --customers $customers --events $events --seed 42 \
                --out "$file" >&2
        fi
    fi
    durable=${DURABLE:-auto}
    [[ $durable == auto ]] && { [[ $size == 10m ]] && durable=0 || durable=1; }
    for run in $(seq "$RUNS"); do
        echo "$size run $run/$RUNS" >&2
        measure "$size" touchpoint "$bin" dry-run "$file" --format json
        if [[ -n "${BEFORE:-}" ]]; then
            measure "$size" touchpoint-before "$BEFORE" dry-run "$file" --format json
        fi
        measure "$size" python-e2e python3 "$PEERS/bench/cart_rules.py" "$file" --engine python --mode e2e
        if [[ $durable == 1 ]]; then
            measure "$size" durable-e2e python3 "$PEERS/bench/cart_rules.py" "$file" --engine durable --mode e2e
        fi
        measure "$size" orjson-floor python3 "$PEERS/bench/parse_bench.py" "$file" --lib orjson
        measure "$size" simdjson-floor python3 "$PEERS/bench/parse_bench.py" "$file" --lib simdjson
    done
    echo "$size lines $(wc -l < "$file")" >> "$results"
done

python3 - "$results" "$RUNS" <<'EOF'
import statistics, sys
rows, lines = {}, {}
for raw in open(sys.argv[1]):
    f = raw.split()
    if f[1] == "lines":
        lines[f[0]] = int(f[2])
        continue
    rows.setdefault((f[0], f[1]), []).append((float(f[2]), float(f[3]), int(f[4])))
print(f"median of {sys.argv[2]} runs; events/s = lines / process wall time")
print()
print("| size | tool | wall s | events/s | user s | peak RSS MB | touchpoint ÷ tool (events/s) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for size in lines:
    med = {}
    for tool in ("touchpoint", "touchpoint-before", "python-e2e", "durable-e2e", "orjson-floor", "simdjson-floor"):
        runs = rows.get((size, tool), [])
        if not runs:
            continue
        wall = statistics.median(r[0] for r in runs)
        med[tool] = (wall, statistics.median(r[1] for r in runs), statistics.median(r[2] for r in runs))
    tp = med.get("touchpoint")
    for tool, (wall, user, rss) in med.items():
        rate = lines[size] / wall if wall > 0 else float("inf")
        ratio = f"{(lines[size] / tp[0]) / rate:.3f}" if tp and tool != "touchpoint" else "—"
        print(f"| {size} | {tool} | {wall:.2f} | {rate:,.0f} | {user:.2f} | {rss / 1024:.0f} | {ratio} |")
EOF
