#!/usr/bin/env bash
# Cluster benchmark (issue 18): `touchpoint run` (release build) with 1, 2 and 3 nodes on one PostgreSQL,
# beside one daemon on the SQLite store, in the same rounds. Not a test.
#
#   (1) ingest: N pre-generated events in the shared events folder; start the nodes together and poll
#       the store until every line is applied (or quarantined). Figures: wall seconds → events/s, and the
#       CPU seconds the nodes and the PostgreSQL server spent (utime + stime from /proc, the server's
#       exited backends included through the postmaster's cutime/cstime) — on a 2-core box shared with
#       other sessions the CPU split says where the bottleneck is better than the wall time.
#   (2) delivery: M customers (identify with a chat_id) + M `Ping` events stamped now, one transactional
#       rule sending at once to the peers' nginx sink (127.0.0.1:18080); poll until M rows are delivered.
#
# PostgreSQL runs durable (fsync and synchronous_commit on: Tests/Peers/pg_server.py --durable) in a
# temporary folder on an ephemeral loopback port, one database per run; SQLite runs with the daemon's
# defaults (WAL, synchronous=FULL at commit).
#
# Usage: scripts/bench-cluster.sh [ingest|delivery|all] [ROUNDS=3]
#   env: EVENTS=/path/events.jsonl (default /tmp/bench/events_100k.jsonl, generated if missing)
#        M=5000 (delivery messages)  NODES="1 2 3"  PEERS=/work/shared/peers  KEEP=1
#        BIN=path/to/touchpoint (default .build/release/touchpoint)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WHAT="${1:-all}"
ROUNDS="${2:-3}"
M="${M:-5000}"
NODES="${NODES:-1 2 3}"
PEERS="${PEERS:-/work/shared/peers}"
EVENTS="${EVENTS:-/tmp/bench/events_100k.jsonl}"
BIN="${BIN:-$ROOT/.build/release/touchpoint}"
WORK="$(mktemp -d /tmp/tp-bench-cluster.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
SINK_STARTED=0
TICK=$(getconf CLK_TCK)

stop_nodes() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    PIDS=()
}
cleanup() {
    stop_nodes
    if [ -n "${PG_PID:-}" ]; then kill -TERM "$PG_PID" 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true; fi
    if [ "$SINK_STARTED" = 1 ]; then "$PEERS/sink.sh" stop || true; fi
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

[ -x "$BIN" ] || { echo "== building (release)"; (cd "$ROOT" && swift build -c release); }
command -v psql >/dev/null || { echo "psql not found (apt-get install postgresql-client)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 not found (apt-get install sqlite3)"; exit 1; }

echo "== starting a durable PostgreSQL (Tests/Peers/pg_server.py --durable)"
coproc PG { python3 "$ROOT/Tests/Peers/pg_server.py" --durable; }
PG_PID=$PG_PID
read -r PG_JSON <&"${PG[0]}"
case "$PG_JSON" in *'"port"'*) ;; *) echo "no PostgreSQL: $PG_JSON"; exit 1 ;; esac
PG_PORT=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["port"])' "$PG_JSON")
PG_PASS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["password"])' "$PG_JSON")
PG_DIR=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["dir"])' "$PG_JSON")
POSTMASTER=$(head -1 "$PG_DIR/data/postmaster.pid")
export PGPASSWORD="$PG_PASS"
psql_q() { psql -h 127.0.0.1 -p "$PG_PORT" -U touchpoint -d "$1" -tAqc "$2" 2>/dev/null || true; }
psql -h 127.0.0.1 -p "$PG_PORT" -U touchpoint -d postgres -tAqc 'SHOW fsync' | sed 's/^/postgres fsync=/'

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# CPU seconds (user + system) of one process.
cpu_of() { awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU seconds of the whole PostgreSQL server: the postmaster, its reaped children, its live children.
pg_cpu() {
    local total
    total=$(awk -v t="$TICK" '{print ($14 + $15 + $16 + $17) / t}' "/proc/$POSTMASTER/stat")
    for c in $(pgrep -P "$POSTMASTER"); do total=$(awk -v a="$total" -v b="$(cpu_of "$c")" 'BEGIN {print a + b}'); done
    echo "$total"
}

# The probes: lines applied or quarantined, and rows delivered, for a PostgreSQL database or a SQLite file.
pg_applied() { psql_q "$1" "SELECT COALESCE((SELECT sum(events_applied) FROM node_stats), 0) + (SELECT count(*) FROM quarantine)"; }
pg_delivered() { psql_q "$1" "SELECT count(*) FROM outbox WHERE state = 'delivered'"; }
sq_applied() {
    [ -s "$1" ] || return 0
    sqlite3 -readonly "$1" "SELECT COALESCE((SELECT value FROM meta WHERE key = 'events_applied'), 0) + (SELECT COUNT(*) FROM quarantine)" 2>/dev/null || true
}
sq_delivered() { [ -s "$1" ] || return 0; sqlite3 -readonly "$1" "SELECT COUNT(*) FROM outbox WHERE state = 'delivered'" 2>/dev/null || true; }

# Start `nodes` daemons in dir (0 = one daemon on SQLite), wait for probe(target) ≥ target, print
# "seconds node_cpu pg_cpu", stop them.
timed_run() { # dir, nodes, target, probe, probe-arg
    local dir="$1" nodes="$2" target="$3" probe="$4" arg="$5"
    local t0 t1 v pg0 pg1 ncpu=0 count
    count=$nodes; [ "$count" = 0 ] && count=1
    pg0=$(pg_cpu)
    t0=$(now)
    for i in $(seq "$count"); do
        (cd "$dir" && TP_NODE="node-$i" exec "$BIN" run --config touchpoint.yaml --log-level warning >"node-$i.log" 2>&1) &
        PIDS+=($!)
    done
    while :; do
        v=$($probe "$arg"); v=${v:-0}
        [ "$v" -ge "$target" ] && break
        for p in "${PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null || { echo "a node exited early:" >&2; cat "$dir"/node-*.log >&2; exit 1; }
        done
        sleep 0.1
    done
    t1=$(now)
    for p in "${PIDS[@]}"; do
        local pid; pid=$(pgrep -P "$p" -x touchpoint || echo "$p")
        ncpu=$(awk -v a="$ncpu" -v b="$(cpu_of "$pid")" 'BEGIN {print a + b}')
    done
    pg1=$(pg_cpu)
    stop_nodes
    awk -v a="$t0" -v b="$t1" -v n="$ncpu" -v p0="$pg0" -v p1="$pg1" 'BEGIN {printf "%.3f %.2f %.2f", b - a, n, p1 - p0}'
}

write_config() { # dir, store, cluster?, chat channel
    cat >"$1/touchpoint.yaml" <<EOF
rules: ${RULES:-$ROOT/rules}
templates: ${TEMPLATES:-$ROOT/templates}
events: events
store: $2
quiet-hours: none
lateness: 0s
channels:
  email: { kind: file, path: outbox }
  sms:   { kind: file, path: outbox }
  chat:  $4
EOF
    [ "$3" = 1 ] && echo 'cluster: { partitions: 64, lease: 10s, node: "${TP_NODE}" }' >>"$1/touchpoint.yaml"
    return 0
}

# One configuration (0 = SQLite, else that many PostgreSQL nodes); prints a result line.
run_one() { # kind, nodes, round, target, events-writer
    local kind="$1" nodes="$2" r="$3" target="$4" writer="$5"
    local dir="$WORK/$kind-$nodes-$r" db probe arg chat
    mkdir -p "$dir/events"
    chmod -R 755 "$dir"
    $writer "$dir"
    chat='{ kind: file, path: outbox }'
    [ "$kind" = delivery ] && chat='{ kind: webhook, url: "http://127.0.0.1:18080/hook" }'
    if [ "$nodes" = 0 ]; then
        write_config "$dir" state.sqlite 0 "$chat"
        arg="$dir/state.sqlite"
        if [ "$kind" = ingest ]; then probe=sq_applied; else probe=sq_delivered; fi
    else
        db="b_${kind}_${nodes}_$r"
        psql_q postgres "CREATE DATABASE $db" >/dev/null
        write_config "$dir" "postgres://touchpoint:$PG_PASS@127.0.0.1:$PG_PORT/$db" 1 "$chat"
        arg="$db"
        if [ "$kind" = ingest ]; then probe=pg_applied; else probe=pg_delivered; fi
    fi
    local out; out=$(timed_run "$dir" "$nodes" "$target" "$probe" "$arg")
    local s ncpu pcpu; read -r s ncpu pcpu <<<"$out"
    local label; if [ "$nodes" = 0 ]; then label="sqlite"; else label="pg-$nodes"; fi
    # The outbox alone: first attempt started → last outcome recorded, from the store's attempt records.
    local window=0 q="SELECT COALESCE(MAX(finished_at) - MIN(started_at), 0) FROM outbox_attempts"
    if [ "$kind" = delivery ]; then
        if [ "$nodes" = 0 ]; then window=$(sqlite3 -readonly "$arg" "$q"); else window=$(psql_q "$arg" "$q"); fi
    fi
    awk -v k="$kind" -v l="$label" -v r="$r" -v n="$target" -v s="$s" -v c="$ncpu" -v p="$pcpu" -v w="${window:-0}" 'BEGIN {
        printf "%s %s run=%s items=%d seconds=%.3f per_s=%.0f node_cpu_s=%.2f pg_cpu_s=%.2f node_cpu_us_per_item=%.1f pg_cpu_us_per_item=%.1f window_per_s=%.0f\n",
            k, l, r, n, s, n / s, c, p, c * 1e6 / n, p * 1e6 / n, (w > 0 ? n * 1000 / w : 0) }'
}

copy_events() { cp "$EVENTS" "$1/events/events.jsonl"; }
ping_events() {
    mkdir -p "$1/rules" "$1/templates/ping"
    cat >"$1/rules/ping.yaml" <<'EOF'
rules: [{name: ping, when: {event: Ping}, send: {template: ping, channels: [chat]}, transactional: true}]
EOF
    printf 'Ping {{customer.id}}\n' >"$1/templates/ping/chat.mustache"
    python3 "$ROOT/scripts/ping-events.py" "$M" "$1/events/events.jsonl"
}

summarise() { # file of result lines
    echo "-- medians"
    python3 - "$1" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[2:])
    rows.setdefault((f[0], f[1]), []).append(kv)
order = {"sqlite": 0}
for (kind, label), runs in sorted(rows.items(), key=lambda r: (r[0][0], order.get(r[0][1], 1), r[0][1])):
    med = lambda k: statistics.median(float(r[k]) for r in runs)
    print(f"{kind} {label} runs={len(runs)} per_s={med('per_s'):.0f} node_cpu_us_per_item={med('node_cpu_us_per_item'):.1f} "
          f"pg_cpu_us_per_item={med('pg_cpu_us_per_item'):.1f} window_per_s={med('window_per_s'):.0f}")
PY
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
ingest() {
    if [ ! -s "$EVENTS" ]; then
        mkdir -p "$(dirname "$EVENTS")"
        python3 "$PEERS/gen_events.py" --customers 10000 --events 100000 --seed 42 --out "$EVENTS"
    fi
    local n; n=$(wc -l <"$EVENTS")
    echo "== ingest: $n events from $EVENTS, the starter rules (2024 timestamps: messages are window-expired)"
    for r in $(seq "$ROUNDS"); do
        for nodes in 0 $NODES; do run_one ingest "$nodes" "$r" "$n" copy_events | tee -a "$RESULTS"; done
    done
}
delivery() {
    if ! command -v nginx >/dev/null; then "$PEERS/setup.sh"; fi
    if ! "$PEERS/sink.sh" status | grep -q running; then "$PEERS/sink.sh" start; SINK_STARTED=1; fi
    echo "== delivery: $M transactional webhook messages to http://127.0.0.1:18080/hook"
    for r in $(seq "$ROUNDS"); do
        for nodes in 0 $NODES; do RULES=rules TEMPLATES=templates run_one delivery "$nodes" "$r" "$M" ping_events | tee -a "$RESULTS"; done
    done
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
case "$WHAT" in
    ingest) ingest ;;
    delivery) delivery ;;
    all) ingest; delivery ;;
    *) echo "usage: $0 [ingest|delivery|all] [ROUNDS]" >&2; exit 2 ;;
esac
summarise "$RESULTS"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
