#!/usr/bin/env python3
"""Channel pacing of `touchpoint run` against the real HTTP peer (issue 19's figure). Not a test.

  python3 scripts/bench-pacing.py [--bin .build/release/touchpoint] [--count 1000] [--rate 200]
                                  [--burst 10] [--runs 3]

Per run: starts Tests/Peers/http_peer.py (a threaded HTTP server on an ephemeral loopback port that records
every request with the time it read it) and a daemon whose sms channel is the Twilio adapter pointed at the
peer with `rate: RATE/s, burst: BURST`, appends COUNT customers and one `SMS Ping` each (every text due at
once, so the rows wait for the pacer, not for their schedule), and waits until the peer has all of them.

Prints per run and as the median of the runs:
  span     last arrival - first arrival; paced, it is (COUNT - BURST) / RATE at the least (4.95 s for
           1,000 at 200/s burst 10), and the issue's target is COUNT / RATE (5 s) +-10 %
  excess   the most arrivals above the line BURST + RATE x (t - t0), twice: t0 the first claim's attempt record
           in the store (as PacingTests draws it: a text arrives after its token, its token is taken after
           its claim), and t0 10 ms before the first arrival (what the receiver alone can draw); never
           above BURST
Exits 1 when the median span is outside COUNT / RATE +-10 % or some run's excess from the first claim is above
BURST (the one from the first arrival is shown, not judged: a first request slower than the next ones — a new
connection, a loaded box — lifts it without any text being sent early).
"""
import argparse, datetime, json, os, shutil, signal, sqlite3, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCOUNT = "AC0123456789abcdef0123456789abcdef"


def stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def run(binary, count, rate, burst):
    d = tempfile.mkdtemp(prefix="tp-pacing-")
    record = f"{d}/peer.jsonl"
    peer = subprocess.Popen([sys.executable, f"{ROOT}/Tests/Peers/http_peer.py", record], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(peer.stdout.readline())
    for sub in ("events", "rules", "templates/ping"):
        os.makedirs(f"{d}/{sub}")
    with open(f"{d}/rules/ping.yaml", "w") as f:
        f.write("rules:\n  - { name: ping-sms, when: { event: SMS Ping }, send: { template: ping, channels: [sms] },"
                " transactional: true }\n")
    with open(f"{d}/templates/ping/sms.mustache", "w") as f:
        f.write("token [{{event.properties.n}}]\n")
    with open(f"{d}/touchpoint.yaml", "w") as f:
        f.write(f"""rules: rules
templates: templates
events: events
store: state.sqlite
lateness: 0s
quiet-hours: none
frequency-cap: none
channels:
  sms: {{ kind: twilio, url: "http://127.0.0.1:{port}/ok/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
         account: {ACCOUNT}, token: t, from: "+15550100", rate: {rate}/s, burst: {burst} }}
  chat: {{ kind: file, path: outbox }}
  email: {{ kind: file, path: outbox }}
""")
    log = open(f"{d}/daemon.log", "w")
    daemon = subprocess.Popen([binary, "run", "--config", f"{d}/touchpoint.yaml", "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT)

    def arrivals():
        try:
            with open(record) as fh:
                return [json.loads(line)["time"] for line in fh if line.strip()]
        except FileNotFoundError:
            return []

    try:
        time.sleep(1.5)
        ts = time.time() - 5
        with open(f"{d}/events/a.jsonl", "w") as f:
            for i in range(count):
                f.write(json.dumps({"type": "identify", "userId": f"u{i}", "timestamp": stamp(ts),
                                    "traits": {"phone": f"+1555{1000000 + i}"}}) + "\n")
                f.write(json.dumps({"type": "track", "event": "SMS Ping", "userId": f"u{i}", "messageId": f"s{i}",
                                    "timestamp": stamp(ts + 0.001), "properties": {"n": i}}) + "\n")
        deadline = time.time() + 30 + 3 * count / rate
        while len(arrivals()) < count and time.time() < deadline:
            time.sleep(0.1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        peer.stdin.close()
        peer.wait(timeout=10)
    times = sorted(arrivals())
    with sqlite3.connect(f"{d}/state.sqlite") as db:
        first_claim = db.execute("SELECT min(started_at) FROM outbox_attempts").fetchone()[0]
    shutil.rmtree(d, ignore_errors=True)
    if len(times) < count or first_claim is None:
        sys.exit(f"bench-pacing: the peer got {len(times)} of {count} texts")
    # The line from the first claim (attempt times are whole ms, rounded down), as PacingTests draws it, and
    # the one a receiver would draw, from 10 ms before its first arrival.
    claim_line = (first_claim - 1) / 1000
    from_claim = max(k + 1 - rate * (t - claim_line) for k, t in enumerate(times))
    arrival_line = times[0] - 0.010
    from_arrival = max(k + 1 - rate * (t - arrival_line) for k, t in enumerate(times))
    return times[-1] - times[0], from_claim, from_arrival


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=f"{ROOT}/.build/release/touchpoint")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--burst", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"bench-pacing: {args.bin} is missing (swift build -c release, or --bin .build/debug/touchpoint)")
    target = args.count / args.rate
    print(f"bench-pacing: {args.count} texts at rate {args.rate}/s, burst {args.burst}, through the Twilio adapter "
          f"to Tests/Peers/http_peer.py; {args.runs} run(s) of {args.bin}; load average "
          f"{os.getloadavg()[0]:.1f}")
    results = []
    for i in range(args.runs):
        result = run(args.bin, args.count, args.rate, args.burst)
        results.append(result)
        span, from_claim, from_arrival = result
        print(f"run {i + 1}: span {span:.3f} s ({(span / target - 1) * 100:+.1f} % of {target:g} s), most above the "
              f"line {from_claim:.2f} from the first claim, {from_arrival:.2f} from the first arrival "
              f"(burst {args.burst})", flush=True)
    span, from_claim, from_arrival = (statistics.median(r[i] for r in results) for i in range(3))
    worst = max(r[1] for r in results)  # the line from the first claim: the one a delay cannot cross
    ok = abs(span / target - 1) <= 0.10 and worst <= args.burst
    print(f"median of {args.runs}: span {span:.3f} s ({(span / target - 1) * 100:+.1f} % of {target:g} s; target "
          f"+-10 %), most above the line {from_claim:.2f} from the first claim, {from_arrival:.2f} from the first "
          f"arrival (worst run from the first claim {worst:.2f}, burst {args.burst}): {'within' if ok else 'OUTSIDE'} the "
          f"issue's figure")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
