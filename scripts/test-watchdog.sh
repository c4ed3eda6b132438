#!/usr/bin/env bash
# Runs a test command (`scripts/test-watchdog.sh swift test ...`) with its output line-buffered and passed
# through, and fails it if it prints nothing for TEST_STALL_SECONDS (default 600).
#
# On a stall it prints the tests that started and never finished (from swift-testing's own lines), the test
# process's threads (with gdb, when installed) and its child processes, then kills it and exits 124. A hung
# test then costs ten minutes and names itself, instead of running out CI's clock in silence.
set -uo pipefail

stall=${TEST_STALL_SECONDS:-600}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if command -v stdbuf >/dev/null 2>&1; then
    stdbuf -oL -eL "$@" > >(tee "$log") 2>&1 &
else
    "$@" > >(tee "$log") 2>&1 &
fi
pid=$!

quiet=0
size=0
while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    now=$(stat -c %s "$log" 2>/dev/null || echo 0)
    if [ "$now" != "$size" ]; then
        size=$now
        quiet=0
        continue
    fi
    quiet=$((quiet + 10))
    [ "$quiet" -lt "$stall" ] && continue

    echo "== test-watchdog: no output for ${stall}s; the tests still running:"
    python3 - "$log" <<'EOF'
import re, sys
started, finished = {}, set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r'(Test|Suite) "(.*?)" (.*)', line)
    if not m:
        continue
    key = (m.group(1), m.group(2))
    if m.group(3).startswith("started"):
        started[key] = True
    elif re.search(r"passed|failed|skipped", m.group(3)):
        finished.add(key)
for kind, name in started:
    if (kind, name) not in finished:
        print(f"  {kind.lower()} {name}")
EOF
    for t in $(pgrep -f '\.xctest' || true); do
        echo "== test-watchdog: process $t and its children"
        ps -o pid,etime,args --ppid "$t" || true
        if command -v gdb >/dev/null 2>&1; then
            timeout 120 gdb -p "$t" -batch -ex "thread apply all bt 20" 2>/dev/null | grep -E '^(Thread|#[0-9]+ )' || true
        fi
        kill -9 "$t" 2>/dev/null || true
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null
    exit 124
done
wait "$pid"
rc=$?
# Let tee write the last lines before the status goes back.
sleep 1
exit "$rc"
