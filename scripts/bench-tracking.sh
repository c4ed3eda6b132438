#!/usr/bin/env bash
# Tracking-hit benchmark: `touchpoint run` (release build) answering its HTTP side on loopback, beside
# nginx's 204 ceiling (the peers' sink, 127.0.0.1:18080) on the same box, with wrk. Not a test.
#
# Scenarios, each `wrk -t2 -c64 -d10s --latency` (the peers' own wrk settings), ROUNDS times, median:
#   nginx-204      GET /o/x on the nginx sink: every request 204, nothing written (the loopback ceiling)
#   healthz        GET /healthz: Hummingbird and the router alone
#   open-repeat    GET /o/{one token}: the token verified, the open a repeat within the minute, so
#                  nothing is written (a pixel reloaded, an image proxy refetching)
#   open-new       GET /o/{a new token per request}: every hit a new Message Opened line, appended and
#                  fsynced (group commit) before the answer
#   click-new      GET /c/{a new token per request}: the same with a 302 to the token's URL
# A fresh daemon (and events folder) per round, so no round's tokens repeat another's; the daemon's
# pipeline reads and applies the recorded lines while the load runs, as in production.
#
# Usage: scripts/bench-tracking.sh [ROUNDS=3]
#   env: PEERS=/work/shared/peers  BIN=path/to/touchpoint (default .build/release/touchpoint)
#        DURATION=10s  CONNECTIONS=64  TOKENS=400000 (distinct tokens minted per round)
# Starts the nginx sink unless it is running and stops only what it started; every daemon it starts is
# stopped by its pid.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-3}"
PEERS="${PEERS:-/work/shared/peers}"
BIN="${BIN:-$ROOT/.build/release/touchpoint}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
TOKENS="${TOKENS:-400000}"
WORK="$(mktemp -d /tmp/tp-bench-tracking.XXXXXX)"
DAEMON_PID=""
SINK_STARTED=0
SECRET="bench-secret-0123456789abcdef"
PORT=18088

cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || true
    fi
    if [ "$SINK_STARTED" = 1 ]; then "$PEERS/sink.sh" stop >/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "skipped: wrk not installed (apt-get install wrk)"; exit 0; }
[ -x "$BIN" ] || { echo "== building (release)"; (cd "$ROOT" && swift build -c release); }

if ! curl -s -o /dev/null "http://127.0.0.1:18080/" 2>/dev/null; then
    "$PEERS/sink.sh" start >/dev/null
    SINK_STARTED=1
fi

# One request per token: wrk threads take alternate lines of the file, each line once.
cat >"$WORK/paths.lua" <<'LUA'
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local threads = 0
function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end
local i = 0
function request()
    i = i + 1
    local n = (i * 2 + tid) % #paths + 1
    return wrk.format("GET", paths[n])
end
LUA

# Tokens in Touchpoint's format (TrackingToken): header, kind, channel, issue time, link index, the
# message id (32 hex digits packed), the customer, the extra field, and a 12-byte HMAC-SHA256 tag.
mint() { # kind(0 open, 1 click) count round out
    python3 - "$SECRET" "$1" "$2" "$3" "$4" <<'PY'
import base64, hashlib, hmac, sys, time
secret, kind, count, rnd, out = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
issued = int(time.time()) - 3600
def s(b): return bytes([len(b)]) + b
with open(out, "w") as f:
    for i in range(count):
        mid = hashlib.sha256(("bench/%s/%d/%d" % (rnd, kind, i)).encode()).digest()[:16]
        url = b"https://shop.example/p/%d" % i if kind == 1 else b""
        body = bytes([0x11, kind, 0]) + issued.to_bytes(4, "big") + bytes([0]) + mid + s(b"c%d" % (i % 10000)) + s(url)
        tag = hmac.new(secret, b"touchpoint/token/v1" + body, hashlib.sha256).digest()[:12]
        f.write(("/o/" if kind == 0 else "/c/") + base64.urlsafe_b64encode(body + tag).decode().rstrip("=") + "\n")
PY
}

start_daemon() { # round
    local dir="$WORK/round-$1"
    mkdir -p "$dir/rules" "$dir/templates/t" "$dir/events"
    printf 'rules:\n  - name: r\n    when: { event: Never Happens }\n    send: { template: t, channels: [email] }\n' >"$dir/rules/r.yaml"
    printf -- '---\nsubject: s\n---\n<p>x</p>\n' >"$dir/templates/t/email.mustache"
    cat >"$dir/touchpoint.yaml" <<EOF
rules: rules
templates: templates
events: events
store: state.sqlite
channels:
  email: { kind: file, path: outbox }
http:
  listen: 127.0.0.1:$PORT
  public-url: http://127.0.0.1:$PORT
  secret: $SECRET
EOF
    "$BIN" run --config "$dir/touchpoint.yaml" --log-level warning >"$dir/daemon.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
        sleep 0.05
    done
    echo "the daemon did not start:"; cat "$dir/daemon.log"; exit 1
}

stop_daemon() {
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
}

# Runs wrk; prints "requests_per_s p99_ms".
load() { # url [lua]
    local out
    if [ $# -gt 1 ]; then
        out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$2" "$1")
    else
        out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$1")
    fi
    echo "$out" >>"$WORK/wrk.log"
    local rps p99
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}')
    local errors
    errors=$(echo "$out" | awk '/Non-2xx or 3xx responses/ {print $NF}')
    [ -z "$errors" ] || echo "   (wrk: $errors non-2xx/3xx answers)" >&2
    echo "$rps $p99"
}

declare -A RPS P99
for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round"
    mint 0 "$TOKENS" "$round" "$WORK/open.txt"
    mint 1 "$TOKENS" "$round" "$WORK/click.txt"
    head -1 "$WORK/open.txt" >"$WORK/one.txt"
    read -r r p < <(load "http://127.0.0.1:18080/o/x"); RPS[nginx-204]+="$r "; P99[nginx-204]+="$p "
    echo "   nginx-204    $r req/s  p99 $p ms"
    start_daemon "$round"
    read -r r p < <(load "http://127.0.0.1:$PORT/healthz"); RPS[healthz]+="$r "; P99[healthz]+="$p "
    echo "   healthz      $r req/s  p99 $p ms"
    read -r r p < <(load "http://127.0.0.1:$PORT$(cat "$WORK/one.txt")"); RPS[open-repeat]+="$r "; P99[open-repeat]+="$p "
    echo "   open-repeat  $r req/s  p99 $p ms"
    read -r r p < <(PATHS="$WORK/open.txt" load "http://127.0.0.1:$PORT" "$WORK/paths.lua"); RPS[open-new]+="$r "; P99[open-new]+="$p "
    lines=$(cat "$WORK/round-$round"/events/http-*.jsonl | wc -l)
    echo "   open-new     $r req/s  p99 $p ms  ($lines lines on disk)"
    read -r r p < <(PATHS="$WORK/click.txt" load "http://127.0.0.1:$PORT" "$WORK/paths.lua"); RPS[click-new]+="$r "; P99[click-new]+="$p "
    echo "   click-new    $r req/s  p99 $p ms"
    stop_daemon
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "== medians of $ROUNDS rounds (wrk -t2 -c$CONNECTIONS -d$DURATION)"
ceiling=$(echo "${RPS[nginx-204]}" | median)
for k in nginx-204 healthz open-repeat open-new click-new; do
    r=$(echo "${RPS[$k]}" | median)
    p=$(echo "${P99[$k]}" | median)
    ratio=$(awk -v a="$r" -v b="$ceiling" 'BEGIN {printf "%.2f", a / b}')
    printf 'MEDIAN %-12s requests_per_s=%s p99_ms=%s vs_nginx=%s runs=%s\n' "$k" "$r" "$p" "$ratio" "$(echo "${RPS[$k]}" | xargs | tr ' ' ',')"
done
