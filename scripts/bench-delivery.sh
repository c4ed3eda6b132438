#!/usr/bin/env bash
# Delivery benchmark: Touchpoint's webhook and SMTP adapters against local sinks, side by side with
# `curl --parallel`, Apprise and smtplib from the peers harness, in the same run. Not a test.
#
# Usage: scripts/bench-delivery.sh [ROUNDS=3]
#   env: PEERS=/path/to/peers (default ../shared/peers next to the repo, else /work/shared/peers)
#        WEBHOOK_N=20000 WEBHOOK_C=64 APPRISE_N=2000 SMTP_N=5000 SIGNED=1 (also run a signed webhook row)
# Writes raw lines to Benchmarks/results/<timestamp>.log and prints medians and ratios.
# Starts the nginx sink (127.0.0.1:18080) unless it is already running, and an SMTP sink on the first free
# port from 2525; stops only what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-3}"
WEBHOOK_N="${WEBHOOK_N:-20000}"; WEBHOOK_C="${WEBHOOK_C:-64}"
APPRISE_N="${APPRISE_N:-2000}"; SMTP_N="${SMTP_N:-5000}"; SIGNED="${SIGNED:-1}"
if [ -z "${PEERS:-}" ]; then
  if [ -d "$ROOT/../shared/peers" ]; then PEERS="$ROOT/../shared/peers"; else PEERS=/work/shared/peers; fi
fi
PEERS="$(cd "$PEERS" && pwd)"
BENCH="$ROOT/Benchmarks/.build/release/touchpoint-bench-delivery"
HOOK="http://127.0.0.1:18080/hook"
SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# Tools: nginx, wrk, apprise, aiosmtpd (the peers' setup.sh installs them; it is idempotent).
if ! command -v nginx >/dev/null || ! python3 -c 'import apprise, aiosmtpd' 2>/dev/null; then
  echo "== installing the peers' tools ($PEERS/setup.sh)"
  "$PEERS/setup.sh"
fi

echo "== building touchpoint-bench-delivery (release)"
swift build -c release --package-path "$ROOT/Benchmarks" -Xswiftc -warnings-as-errors 2>&1 | tail -1

OUT="$ROOT/Benchmarks/results"; mkdir -p "$OUT"
LOG="$OUT/$(date -u +%Y%m%dT%H%M%SZ).log"
WORK="$(mktemp -d)"
STARTED_HTTP=0; SMTP_PID=""
cleanup() {
  if [ -n "$SMTP_PID" ]; then kill "$SMTP_PID" 2>/dev/null || true; wait "$SMTP_PID" 2>/dev/null || true; fi
  if [ "$STARTED_HTTP" = 1 ]; then "$PEERS/sink.sh" stop >/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$("$PEERS/sink.sh" status)" = stopped ]; then
  "$PEERS/sink.sh" start; STARTED_HTTP=1
else
  echo "nginx sink already running; using it and leaving it running"
fi

SMTP_PORT="$(python3 - <<'PY'
import socket
for port in range(2525, 2600):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
PY
)"
COUNT="$WORK/smtp_sink.count"
python3 "$PEERS/smtp_sink.py" --port "$SMTP_PORT" --pidfile "$WORK/smtp_sink.pid" --count-file "$COUNT" \
  > "$WORK/smtp_sink.out" 2>&1 &
SMTP_PID=$!
for _ in $(seq 50); do [ -s "$COUNT" ] && break; sleep 0.1; done
echo "smtp sink started (pid $SMTP_PID) on smtp://127.0.0.1:$SMTP_PORT"

smtp_count() { sleep 0.45; cut -d' ' -f1 "$COUNT"; }  # the sink rewrites its counter every 0.2 s

# One labelled result line per run: "<label> <tool's own key=value line>".
run() {
  local label="$1"; shift
  local line
  if ! line="$("$@" 2> "$WORK/stderr")"; then
    echo "!! $label failed: $(tail -3 "$WORK/stderr")" | tee -a "$LOG" >&2
    return 0
  fi
  echo "$label $line" | tee -a "$LOG"
}
# Our SMTP runs also check the sink's own count: N timed messages plus C warm-up ones.
run_smtp() {
  local label="$1" c="$2"; shift 2
  local before after
  before="$(smtp_count)"
  run "$label" "$BENCH" --kind smtp --url "smtp://127.0.0.1:$SMTP_PORT" --n "$SMTP_N" --concurrency "$c" --warmup "$c"
  after="$(smtp_count)"
  echo "$label sink_counted=$((after - before - c)) expected=$SMTP_N (+$c warm-up)" | tee -a "$LOG"
}

# curl --parallel once more, run directly under /usr/bin/time for its CPU time: the same config as
# bench/curl_parallel.sh (the wrk body, one url + output pair per request), generated once.
sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$PEERS/bench/post.lua" | tr -d '\n' > "$WORK/body.json"
{
  echo 'header = "Content-Type: application/json"'
  echo "data-binary = \"@$WORK/body.json\""
  echo 'write-out = "%{http_code}\n"'
  for i in $(seq 1 "$WEBHOOK_N"); do echo "url = \"http://127.0.0.1:18080/hook/$i\""; echo 'output = "/dev/null"'; done
} > "$WORK/req.cfg"
curl_cpu() {
  /usr/bin/time -o "$WORK/time" -f "%e %U %S" \
    curl -s -S --parallel --parallel-max "$WEBHOOK_C" -K "$WORK/req.cfg" > "$WORK/codes" 2> "$WORK/curl.err"
  python3 - "$WEBHOOK_N" "$(grep -c '^204$' "$WORK/codes" || true)" $(tail -1 "$WORK/time") <<'PY'
import sys
n, ok, wall, user, sys_ = int(sys.argv[1]), int(sys.argv[2]), *map(float, sys.argv[3:6])
cpu = user + sys_
print(f"curl_cpu n={n} ok204={ok} wall_s={wall:.3f} msgs_per_s={n / wall:.0f} cpu_s={cpu:.3f} "
      f"cpu_us_per_msg={cpu * 1e6 / n:.1f}")
PY
}

{
  echo "# $(date -u +%FT%TZ) $(uname -srm); $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $(curl --version | head -1)"
  echo "# $(nginx -v 2>&1); apprise $(python3 -c 'import apprise; print(apprise.__version__)')"
} | tee -a "$LOG"

for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r/$ROUNDS"
  run tp_webhook "$BENCH" --kind webhook --url "$HOOK" --n "$WEBHOOK_N" --concurrency "$WEBHOOK_C"
  if [ "$SIGNED" = 1 ]; then
    run tp_webhook_signed "$BENCH" --kind webhook --url "$HOOK" --n "$WEBHOOK_N" --concurrency "$WEBHOOK_C" \
      --secret "$SECRET"
  fi
  run curl_parallel "$PEERS/bench/curl_parallel.sh" "$WEBHOOK_N" "$WEBHOOK_C"
  run curl_cpu curl_cpu
  run apprise_seq python3 "$PEERS/bench/apprise_bench.py" --mode seq --n "$APPRISE_N"
  run_smtp tp_smtp_c1 1
  run_smtp tp_smtp_c4 4
  run smtplib_persistent python3 "$PEERS/bench/smtp_bench.py" --mode persistent --n "$SMTP_N" \
    --port "$SMTP_PORT" --count-file "$COUNT"
done

# Single-thread CPU cost of `prepare` alone (no network): payload rendering, signing, MIME.
run prepare_webhook "$BENCH" --kind webhook --url "$HOOK" --prepare-only --n "$WEBHOOK_N"
run prepare_webhook_signed "$BENCH" --kind webhook --url "$HOOK" --prepare-only --n "$WEBHOOK_N" --secret "$SECRET"
run prepare_smtp "$BENCH" --kind smtp --url "smtp://127.0.0.1:$SMTP_PORT" --prepare-only --n "$SMTP_N"

echo "== medians of $ROUNDS (raw: $LOG)"
python3 - "$LOG" <<'PY'
import re, statistics, sys
runs = {}
cpu = {}
counted = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or line.startswith("!!"):
        continue
    label = line.split()[0]
    m = re.search(r"\bmsgs_per_s=([0-9.]+)", line)
    if m:
        runs.setdefault(label, []).append(float(m.group(1)))
    u = re.search(r"\bcpu_us_per_msg=([0-9.]+)", line)
    if u and "prepare_only" not in line:
        cpu.setdefault(label, []).append(float(u.group(1)))
    c = re.search(r"\bsink_counted=(-?[0-9]+)", line)
    if c:
        counted.setdefault(label, []).append(int(c.group(1)))
med = {k: statistics.median(v) for k, v in runs.items()}
print(f"| {'run':<22} | {'median msgs/s':>13} | runs |")
print(f"| {'-' * 22} | {'-' * 12}: | ---- |")
for k, v in runs.items():
    extra = f" (sink counted {counted[k]})" if k in counted else ""
    print(f"| {k:<22} | {med[k]:>13,.0f} | {', '.join(f'{x:,.0f}' for x in v)}{extra} |")
for line in open(sys.argv[1]):
    m = re.search(r"^(\S+) .*prepare_us_per_msg=([0-9.]+) body_bytes_per_msg=([0-9]+)", line)
    if m:
        print(f"{m.group(1)}: {m.group(2)} us per message on one thread, {m.group(3)}-byte body")
print()
if cpu:
    print("CPU per message (user+sys of the client process only, median):")
    for k, v in cpu.items():
        print(f"  {k:<20} {statistics.median(v):6.1f} us  (runs {', '.join(f'{x:.1f}' for x in v)})")
    if "tp_webhook" in cpu and "curl_cpu" in cpu:
        print(f"  curl_cpu / tp_webhook CPU per message = "
              f"{statistics.median(cpu['curl_cpu']) / statistics.median(cpu['tp_webhook']):.2f}x (above 1: we spend less)")
print()
def ratio(a, b, target=None):
    if a in med and b in med and med[b] > 0:
        r = med[a] / med[b]
        t = f"  (target >= {target}x: {'met' if r >= target else 'NOT met'})" if target else ""
        print(f"{a} / {b} = {r:.2f}x{t}")
print()
ratio("tp_webhook", "curl_parallel", 1)
ratio("tp_webhook", "curl_cpu", 1)
ratio("tp_webhook", "apprise_seq", 30)
ratio("tp_webhook_signed", "curl_parallel")
ratio("tp_smtp_c1", "smtplib_persistent")
ratio("tp_smtp_c4", "smtplib_persistent")
PY
