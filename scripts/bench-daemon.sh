#!/usr/bin/env bash
# Daemon throughput benchmark: `touchpoint run` (release build) end to end. Not a test.
#
#   (1) ingest: N pre-generated events in events/, start the daemon, poll `touchpoint status` until
#       `events applied` reaches N (applied and committed to the SQLite store). Default --batch-lines
#       and --batch-lines 20000.
#   (2) delivery: M customers (identify with a chat_id) + M `Ping` events stamped "now", one
#       transactional rule sending at once to a webhook (the peers' nginx sink, 127.0.0.1:18080);
#       poll until the outbox shows `delivered M`. Default --concurrency and --concurrency 64.
#       Two figures per run: end to end (daemon launch → M delivered: start-up, ingesting 2M events
#       and rendering included) and the outbox alone (`window`: first attempt started → last outcome,
#       from the store's own attempt records, so the poll interval does not blur it).
#   (3) sending: ingest while the daemon sends (issue 17, target 5). The peers' 1M-event file generated over
#       the two days before now (lines stamped later than now dropped), so the rules' windows are open; the
#       starter set plus two transactional receipts (on `Product Added` and `Checkout Started`, 3-day
#       window), so that about a fifth of the events send a message at once; every channel a `file` channel.
#       Polls until every line is applied and committed, then until nothing due is left in the outbox;
#       prints events/s applied while sending, messages delivered by then, messages/s, and peak RSS.
#       The outbox folder (190k files) is on tmpfs (/dev/shm) when there is one: on ext4, creating files
#       where the previous round's 190k were just deleted ran at ~3k files/s (the kernel's scan for recently
#       deleted inodes) against ~20k elsewhere, so the rounds measured the file system's history. The store
#       stays beside the config, on disk (its fsyncs are part of the figure). OUTBOX_ROOT=dir overrides.
#
# Progress is polled with the sqlite3 CLI (a read-only count, ~15 ms wall) when it is installed: a
# `touchpoint status` per poll costs ~100 ms wall (process start, store open and migration check, full
# status), CPU taken from the daemon being measured on a 2-core box. Without sqlite3 it falls back to status.
#
# Usage: scripts/bench-daemon.sh [ingest|delivery|sending|all] [ROUNDS=3]
#   env: EVENTS=/path/events.jsonl (default /tmp/bench/events_100k.jsonl, generated if missing)
#        LIVE=/path/live.jsonl (sending; default /tmp/bench/live_1m.jsonl, made again when 6 h old)
#        OUTBOX_ROOT=dir (sending: where the file channel's folder goes; default /dev/shm when writable)
#        M=5000 (delivery messages)  PEERS=/work/shared/peers  KEEP=1 (keep temp folders)
#        BIN=path/to/touchpoint (default .build/release/touchpoint, e.g. an older build to compare)
# Starts the nginx sink unless it is already running and stops only what it started; every daemon it
# starts is stopped (SIGTERM, by pid) before the next run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WHAT="${1:-all}"
ROUNDS="${2:-3}"
M="${M:-5000}"
PEERS="${PEERS:-/work/shared/peers}"
EVENTS="${EVENTS:-/tmp/bench/events_100k.jsonl}"
BIN="${BIN:-$ROOT/.build/release/touchpoint}"
WORK="$(mktemp -d /tmp/tp-bench-daemon.XXXXXX)"
DAEMON_PID=""
SINK_STARTED=0

cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || true
    fi
    if [ "$SINK_STARTED" = 1 ]; then "$PEERS/sink.sh" stop || true; fi
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

[ -x "$BIN" ] || { echo "== building (release)"; (cd "$ROOT" && swift build -c release); }

now() { date +%s.%N; }

# The value after a label in `touchpoint status` (0 when the store does not exist yet).
status_field() { # config, awk program
    "$BIN" status --config "$1" 2>/dev/null | awk "$2" || true
}
# One number from the store, read-only (empty when the store does not exist yet).
store_query() { # config, sql
    local db; db="$(dirname "$1")/state.sqlite"
    [ -s "$db" ] || return 0
    sqlite3 -readonly "$db" "$2" 2>/dev/null || true
}
HAVE_SQLITE3=0
command -v sqlite3 >/dev/null && HAVE_SQLITE3=1
# Applied plus quarantined: a line the daemon refused is still a line it got through (the 100k file has none).
applied() {
    if [ "$HAVE_SQLITE3" = 1 ]; then
        store_query "$1" "SELECT COALESCE((SELECT value FROM meta WHERE key = 'events_applied'), 0) + (SELECT COUNT(*) FROM quarantine)"
    else
        status_field "$1" '/^events applied/ {a = $3} /^quarantined / {q = $2} END {print a + q}'
    fi
}
delivered() {
    if [ "$HAVE_SQLITE3" = 1 ]; then
        store_query "$1" "SELECT COUNT(*) FROM outbox WHERE state = 'delivered'"
    else
        status_field "$1" '/^outbox/ {for (i = 1; i <= NF; i++) if ($i == "delivered") {v = $(i+1); sub(",", "", v); print v}}'
    fi
}
# Milliseconds from the first attempt started to the last outcome recorded (needs sqlite3).
delivery_window_ms() { store_query "$1" "SELECT MAX(finished_at) - MIN(started_at) FROM outbox_attempts"; }

# Start the daemon, wait until `probe config` reaches the target, print the seconds taken, stop it.
timed_run() { # dir, target, probe, extra flags...
    local dir="$1" target="$2" probe="$3"; shift 3
    local t0 t1 v=0
    t0=$(now)
    "$BIN" run --config "$dir/touchpoint.yaml" --log-level warning "$@" >"$dir/daemon.log" 2>&1 &
    DAEMON_PID=$!
    while :; do
        v=$($probe "$dir/touchpoint.yaml"); v=${v:-0}
        [ "$v" -ge "$target" ] && break
        kill -0 "$DAEMON_PID" 2>/dev/null || { echo "daemon exited early:"; cat "$dir/daemon.log"; exit 1; }
        sleep 0.05
    done
    t1=$(now)
    kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=""
    echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

ingest() {
    if [ ! -s "$EVENTS" ]; then
        mkdir -p "$(dirname "$EVENTS")"
        python3 "$PEERS/gen_events.py" --customers 10000 --events 100000 --seed 42 --out "$EVENTS"
    fi
    local n; n=$(wc -l <"$EVENTS")
    echo "== ingest: $n events from $EVENTS (timestamps in 2024: messages are dropped as window-expired)"
    for flags in "" "--batch-lines 20000"; do
        local rates=()
        for r in $(seq "$ROUNDS"); do
            local dir="$WORK/ingest-$r-${flags// /}"
            mkdir -p "$dir/events"
            cp "$EVENTS" "$dir/events/events.jsonl"
            cat >"$dir/touchpoint.yaml" <<EOF
rules: $ROOT/rules
templates: $ROOT/templates
events: events
store: state.sqlite
quiet-hours: none
channels:
  email: { kind: file, path: outbox }
  sms:   { kind: file, path: outbox }
  chat:  { kind: file, path: outbox }
EOF
            # shellcheck disable=SC2086
            local s; s=$(timed_run "$dir" "$n" applied $flags)
            local rate; rate=$(awk -v n="$n" -v s="$s" 'BEGIN {printf "%.0f", n / s}')
            rates+=("$rate")
            echo "ingest ${flags:-default} run=$r events=$n seconds=$s events_per_s=$rate"
            [ -n "${KEEP:-}" ] && "$BIN" status --config "$dir/touchpoint.yaml" | head -7
        done
        echo "ingest ${flags:-default} median events_per_s=$(printf '%s\n' "${rates[@]}" | median)"
    done
}

delivery() {
    if ! command -v nginx >/dev/null; then "$PEERS/setup.sh"; fi
    if ! "$PEERS/sink.sh" status | grep -q running; then "$PEERS/sink.sh" start; SINK_STARTED=1; fi
    echo "== delivery: $M transactional webhook messages to http://127.0.0.1:18080/hook"
    for flags in "" "--concurrency 64"; do
        local rates=() wrates=()
        for r in $(seq "$ROUNDS"); do
            local dir="$WORK/deliver-$r-${flags// /}"
            mkdir -p "$dir/events" "$dir/rules" "$dir/templates/ping"
            cat >"$dir/rules/ping.yaml" <<'EOF'
rules: [{name: ping, when: {event: Ping}, send: {template: ping, channels: [chat]}, transactional: true}]
EOF
            printf 'Ping {{customer.id}}\n' >"$dir/templates/ping/chat.mustache"
            cat >"$dir/touchpoint.yaml" <<'EOF'
rules: rules
templates: templates
events: events
store: state.sqlite
quiet-hours: none
lateness: 0s
channels:
  email: { kind: file, path: outbox }
  sms:   { kind: file, path: outbox }
  chat:  { kind: webhook, url: "http://127.0.0.1:18080/hook" }
EOF
            # Stamped just before the run so no message is window-expired.
            python3 "$ROOT/scripts/ping-events.py" "$M" "$dir/events/events.jsonl"
            # shellcheck disable=SC2086
            local s; s=$(timed_run "$dir" "$M" delivered $flags)
            local rate; rate=$(awk -v n="$M" -v s="$s" 'BEGIN {printf "%.0f", n / s}')
            rates+=("$rate")
            local window="" wrate=""
            if [ "$HAVE_SQLITE3" = 1 ]; then
                window=$(delivery_window_ms "$dir/touchpoint.yaml")
                wrate=$(awk -v n="$M" -v w="$window" 'BEGIN {printf "%.0f", n * 1000 / w}')
                wrates+=("$wrate")
            fi
            echo "delivery ${flags:-default} run=$r messages=$M seconds=$s msgs_per_s=$rate${window:+ window_ms=$window window_msgs_per_s=$wrate}"
            [ -n "${KEEP:-}" ] && "$BIN" status --config "$dir/touchpoint.yaml" | head -7
        done
        echo "delivery ${flags:-default} median msgs_per_s=$(printf '%s\n' "${rates[@]}" | median)${wrates[0]:+ window_msgs_per_s=$(printf '%s\n' "${wrates[@]}" | median)}"
    done
}

sending() {
    local live="${LIVE:-/tmp/bench/live_1m.jsonl}"
    if [ ! -s "$live" ] || [ -n "$(find "$live" -mmin +360)" ]; then
        mkdir -p "$(dirname "$live")"
        local start; start=$(date -u -d '-2 days -1 hour' +%Y-%m-%dT%H:%M:%SZ)
        python3 "$PEERS/gen_events.py" --customers 100000 --events 1000000 --seed 42 --days 2 --start "$start" \
            --out "$live.all" >/dev/null
        # Sorted by time: keep what happened before now (later lines would be quarantined as future).
        local cut; cut=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%S)
        awk -v cut="$cut" '{i = index($0, "\"timestamp\":\""); if (substr($0, i + 13, 19) > cut) exit; print}' \
            "$live.all" >"$live"
        rm -f "$live.all"
    fi
    local n; n=$(wc -l <"$live")
    echo "== sending: $n events from $live (the two days before now), starter set + two receipts, file channels"
    local rates=() sent=() mrates=() rss=()
    local root="${OUTBOX_ROOT:-}"
    if [ -z "$root" ]; then if [ -w /dev/shm ]; then root=/dev/shm; else root="$WORK"; fi; fi
    for r in $(seq "$ROUNDS"); do
        local dir="$WORK/sending-$r"
        local out; out=$(mktemp -d "$root/tp-bench-outbox.XXXXXX")
        mkdir -p "$dir/events" "$dir/rules"
        cp "$ROOT"/rules/*.yaml "$dir/rules/"
        cat >"$dir/rules/bench-receipts.yaml" <<'RULES'
rules:
  - name: added-receipt
    when: { event: Product Added }
    send: { template: thank-you, channels: [email], within: 3d }
    transactional: true
  - name: checkout-receipt
    when: { event: Checkout Started }
    send: { template: thank-you, channels: [email], within: 3d }
    transactional: true
RULES
        cat >"$dir/touchpoint.yaml" <<CONFIG
rules: rules
templates: $ROOT/templates
events: events
store: state.sqlite
quiet-hours: none
channels:
  email: { kind: file, path: $out }
  sms:   { kind: file, path: $out }
  chat:  { kind: file, path: $out }
CONFIG
        cp "$live" "$dir/events/events.jsonl"
        local t0 t1 t2 v d q
        t0=$(now)
        "$BIN" run --config "$dir/touchpoint.yaml" --log-level warning >"$dir/daemon.log" 2>&1 &
        DAEMON_PID=$!
        while :; do
            v=$(applied "$dir/touchpoint.yaml"); v=${v:-0}
            [ "$v" -ge "$n" ] && break
            kill -0 "$DAEMON_PID" 2>/dev/null || { echo "daemon exited early:"; cat "$dir/daemon.log"; exit 1; }
            sleep 0.05
        done
        t1=$(now)
        d=$(delivered "$dir/touchpoint.yaml")
        # Drained: nothing due is left to send (rows the scheduler put later stay pending).
        while :; do
            q=$(store_query "$dir/touchpoint.yaml" \
                "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'retry', 'sending') AND next_attempt_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000")
            [ "${q:-1}" = 0 ] && break
            sleep 0.05
        done
        t2=$(now)
        local peak; peak=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON_PID/status")
        kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=""
        local total; total=$(delivered "$dir/touchpoint.yaml")
        local rate mrate
        rate=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
        mrate=$(awk -v m="$total" -v a="$t0" -v b="$t2" 'BEGIN {printf "%.0f", m / (b - a)}')
        rates+=("$rate"); sent+=("$d"); mrates+=("$mrate"); rss+=("$peak")
        echo "sending run=$r events=$n applied_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')" \
            "events_per_s=$rate delivered_by_then=$d delivered=$total" \
            "drained_s=$(awk -v a="$t0" -v b="$t2" 'BEGIN {printf "%.2f", b - a}') msgs_per_s=$mrate peak_rss_kb=$peak"
        [ -n "${KEEP:-}" ] && "$BIN" status --config "$dir/touchpoint.yaml" | head -10
        rm -rf "$out"
    done
    echo "sending median events_per_s=$(printf '%s\n' "${rates[@]}" | median)" \
        "delivered_by_then=$(printf '%s\n' "${sent[@]}" | median) msgs_per_s=$(printf '%s\n' "${mrates[@]}" | median)" \
        "peak_rss_kb=$(printf '%s\n' "${rss[@]}" | median)"
}

case "$WHAT" in
    ingest) ingest ;;
    delivery) delivery ;;
    sending) sending ;;
    all) ingest; delivery; sending ;;
    *) echo "usage: $0 [ingest|delivery|sending|all] [ROUNDS]" >&2; exit 2 ;;
esac
