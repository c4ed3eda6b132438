#!/usr/bin/env python3
"""End-to-end latency of `touchpoint run` with the default config (lateness 5m). Not a test.

  python3 scripts/bench-latency.py [--rates 1,1000] [--seconds 20] [--bin .build/release/touchpoint]
                                   [--lateness 5m]   # only to try the script quickly; the figures use the default
                                   [--outbox /dev/shm] [--floor]   # the file channel elsewhere; the kernel's floor beside

For each rate: starts a loopback HTTP receiver on an ephemeral port (asyncio, keep-alive, answers 204 and
records the receive time of every request) and a daemon (release build) whose config sets no `lateness`
(so the default 5m applies) with three rules:

  ping        `Ping` -> chat webhook to the receiver,   wait 0, no unless, transactional: decided at once
              or (the file run) sms through the file adapter, the embedded default channel
  alarm       `Alarm` -> chat webhook, unless All Clear a late `All Clear` could cancel it: waits for the
              (webhook run only)                        watermark, i.e. until `lateness` after its due time

Each rate runs twice, once per channel. It identifies the customers, appends one `Ping` line per event at a
steady pace (against the schedule, not the previous write) and, in the webhook run, one `Alarm` line per
second, then waits until `lateness` after the last alarm.
Latency = receive time (webhook: the receiver's clock; file: the written file's mtime) - append time, same
host clock; for alarms, receive time - (due time + lateness). Prints p50, p90, p99 and max per rate and kind.
"""
import argparse, asyncio, datetime, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Receiver:
    """A minimal HTTP/1.1 server in a thread: 204 for every request, receive times by token."""

    def __init__(self):
        self.times = {}
        self.counts = {"lat": 0, "alarm": 0}
        self.port = None
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader, writer):
        token = re.compile(rb"(lat|alarm)-(\d+)-end")
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                body = await reader.readexactly(int(m.group(1))) if m else b""
                now = time.time()
                t = token.search(body)
                if t:
                    key = (t.group(1).decode(), int(t.group(2)))
                    if key not in self.times:
                        self.times[key] = now
                        self.counts[key[0]] += 1
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sleep_until(t):
    wait = t - time.time()
    if wait > 0:
        time.sleep(wait)


def seconds(span):
    m = re.fullmatch(r"(\d+)([smh])", span)
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


def floor(rate, duration, base):
    """The kernel's floor for the file channel: create a file (O_EXCL, 0600), write ~600 bytes and rename it
    into place at `rate` per second, in a fresh folder under `base`; latency from each file's schedule."""
    count = int(rate * duration)
    d = tempfile.mkdtemp(prefix="tp-floor-", dir=base)
    lat = []
    start = time.time()
    for i in range(count):
        due = start + i / rate
        sleep_until(due)
        tmp = os.path.join(d, f".tmp-{i}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"x" * 600)
        os.close(fd)
        os.rename(tmp, os.path.join(d, f"m-{i}.json"))
        lat.append((time.time() - due) * 1000)
    return d, [("floor: create+write+rename", count, sorted(lat))]


def run(binary, rate, duration, lateness, channel, outbox=None):
    count = int(rate * duration)
    # The alarms (and their wait of `lateness`) only in the webhook run: the receiver times them.
    alarms = int(duration) if channel == "webhook" else 0
    hold = seconds(lateness) if lateness else 300
    rx = Receiver()
    d = tempfile.mkdtemp(prefix="tp-latency-")
    # The outbox folder: inside the run's folder, or under --outbox (e.g. a tmpfs, to separate the kernel's
    # file creation from the daemon's own work).
    out = tempfile.mkdtemp(prefix="tp-outbox-", dir=outbox) if outbox else f"{d}/outbox"
    for sub in ("events", "rules", "templates/ping", "templates/alarm"):
        os.makedirs(f"{d}/{sub}")
    with open(f"{d}/rules/ping.yaml", "w") as f:
        f.write("""rules:
  - { name: ping, when: { event: Ping }, send: { template: ping, channels: [%s] }, transactional: true }
  - name: alarm
    when: { event: Alarm }
    unless: [All Clear]
    send: { template: alarm, channels: [chat] }
    transactional: true
""" % ("chat" if channel == "webhook" else "sms"))
    for template_channel in ("chat", "sms"):
        with open(f"{d}/templates/ping/{template_channel}.mustache", "w") as f:
            f.write("lat-{{event.properties.n}}-end\n")
    with open(f"{d}/templates/alarm/chat.mustache", "w") as f:
        f.write("alarm-{{event.properties.n}}-end\n")
    with open(f"{d}/touchpoint.yaml", "w") as f:
        f.write(f"""rules: rules
templates: templates
events: events
store: state.sqlite
quiet-hours: none
{"lateness: " + lateness if lateness else "# lateness: the default, 5m"}
channels:
  email: {{ kind: file, path: {out} }}
  sms:   {{ kind: file, path: {out} }}
  chat:  {{ kind: webhook, url: "http://127.0.0.1:{rx.port}/hook" }}
""")
    customers = min(max(count, 1), 1000)
    with open(f"{d}/events/a.jsonl", "w") as f:
        ts = stamp(time.time() - 1)
        for i in range(customers):
            f.write(json.dumps({"type": "identify", "userId": f"c{i}", "messageId": f"id-{i}", "timestamp": ts,
                                "traits": {"chat_id": f"chat-{i}", "phone": f"+1555{2000000 + i}"}}) + "\n")
    log = open(f"{d}/daemon.log", "w")
    daemon = subprocess.Popen([binary, "run", "--config", f"{d}/touchpoint.yaml", "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT)
    pings, due = {}, {}
    try:
        time.sleep(1.5)
        start = time.time()
        next_alarm = 0
        with open(f"{d}/events/a.jsonl", "a", buffering=1) as f:
            for n in range(count):
                at = start + n / rate
                while next_alarm < alarms and start + next_alarm <= at:
                    sleep_until(start + next_alarm)
                    now = time.time()
                    f.write(json.dumps({"type": "track", "userId": f"c{next_alarm % customers}", "event": "Alarm",
                                        "messageId": f"alarm-{next_alarm}", "timestamp": stamp(now),
                                        "properties": {"n": next_alarm}}) + "\n")
                    f.flush()
                    due[next_alarm] = int(now * 1000) / 1000  # its timestamp, as stamped (ms)
                    next_alarm += 1
                sleep_until(at)
                now = time.time()
                f.write(json.dumps({"type": "track", "userId": f"c{n % customers}", "event": "Ping",
                                    "messageId": f"ping-{n}", "timestamp": stamp(now),
                                    "properties": {"n": n}}) + "\n")
                f.flush()
                pings[n] = now
        deadline = time.time() + 30
        def delivered():
            if channel == "webhook":
                return rx.counts["lat"]
            return len(os.listdir(out)) if os.path.isdir(out) else 0
        while delivered() < count and time.time() < deadline:
            time.sleep(0.05)
        deadline = max(due.values(), default=time.time()) + hold + 30
        while rx.counts["alarm"] < len(due) and time.time() < deadline:
            time.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    files = {}
    for name in os.listdir(out) if os.path.isdir(out) else []:
        with open(f"{out}/{name}") as fh:
            m = re.search(r"lat-(\d+)-end", fh.read())
        if m:
            files[int(m.group(1))] = os.stat(f"{out}/{name}").st_mtime_ns / 1e9
    web = sorted((rx.times[("lat", n)] - t) * 1000 for n, t in pings.items() if ("lat", n) in rx.times)
    fil = sorted((files[n] - t) * 1000 for n, t in pings.items() if n in files)
    ala = sorted((rx.times[("alarm", n)] - (t + hold)) * 1000 for n, t in due.items() if ("alarm", n) in rx.times)
    if channel == "file":
        return [d, out], [("file", count, fil)]
    return [d, out], [("webhook", count, web), ("unless, past due+lateness", len(due), ala)]


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="1,1000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build/release/touchpoint"))
    ap.add_argument("--channels", default="webhook,file")
    ap.add_argument("--lateness", default=None, help="override the default 5m (for a quick try only)")
    ap.add_argument("--outbox", default=None,
                    help="put the file channel's folder under this directory (e.g. /dev/shm) instead of the run's")
    ap.add_argument("--floor", action="store_true",
                    help="before each file run, measure a bare create+write+rename loop at the same rate, there")
    a = ap.parse_args()
    # Every folder is removed at the end, not between runs: on ext4 without a journal the kernel skips inodes
    # deleted in the last 1-6 minutes when it allocates new ones, so deleting one run's 20,000 files slows the
    # next run's file creation (`recently_deleted` in the kernel's profile).
    folders = []
    try:
        for rate in [float(r) for r in a.rates.split(",")]:
          for channel in a.channels.split(","):
            results = []
            if channel == "file" and a.floor:
                d, r = floor(rate, a.seconds, a.outbox or tempfile.gettempdir())
                folders.append(d)
                results += r
            made, r = run(a.bin, rate, a.seconds, a.lateness, channel, a.outbox)
            folders += made
            results += r
            for kind, expected, lat in results:
                if len(lat) < expected:
                    print(f"warning: {expected - len(lat)} of {expected} {kind} messages not received", file=sys.stderr)
                print(f"latency rate={rate:g}/s kind={kind} messages={expected} received={len(lat)} "
                      f"p50_ms={pct(lat, .5):.1f} p90_ms={pct(lat, .9):.1f} p99_ms={pct(lat, .99):.1f} "
                      f"max_ms={lat[-1] if lat else float('nan'):.1f}", flush=True)
    finally:
        for d in folders:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
