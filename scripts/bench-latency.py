#!/usr/bin/env python3
"""End-to-end latency of `touchpoint run`: event line appended -> webhook received. Not a test.

  python3 scripts/bench-latency.py [--rates 100,1000] [--seconds 20] [--bin .build/release/touchpoint]

For each rate: starts a loopback HTTP receiver on an ephemeral port (asyncio, keep-alive, answers 204 and
records the receive time of every request), a daemon (release build) with one transactional rule that
sends each `Ping` to the receiver as a chat webhook, identifies the customers, then appends one `Ping`
line per event at a steady pace (against the schedule, not the previous write) and records the append
time. Latency = receive time - append time, same host clock. Prints p50, p90, p99 and max per rate.
"""
import argparse, asyncio, json, os, re, signal, subprocess, sys, tempfile, threading, time, datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Receiver:
    """A minimal HTTP/1.1 server in a thread: 204 for every request, receive times by token."""

    def __init__(self):
        self.times = {}
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
        token = re.compile(rb"lat-(\d+)-end")
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                body = await reader.readexactly(int(m.group(1))) if m else b""
                now = time.time()
                t = token.search(body)
                if t:
                    self.times.setdefault(int(t.group(1)), now)
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def run(binary, rate, seconds):
    count = int(rate * seconds)
    rx = Receiver()
    with tempfile.TemporaryDirectory(prefix="tp-latency-") as d:
        os.makedirs(f"{d}/events"); os.makedirs(f"{d}/rules"); os.makedirs(f"{d}/templates/ping")
        with open(f"{d}/rules/ping.yaml", "w") as f:
            f.write("rules: [{name: ping, when: {event: Ping}, send: {template: ping, channels: [chat]}, transactional: true}]\n")
        with open(f"{d}/templates/ping/chat.mustache", "w") as f:
            f.write("lat-{{event.properties.n}}-end\n")
        with open(f"{d}/touchpoint.yaml", "w") as f:
            f.write(f"""rules: rules
templates: templates
events: events
store: state.sqlite
quiet-hours: none
lateness: 0s
channels:
  email: {{ kind: file, path: outbox }}
  sms:   {{ kind: file, path: outbox }}
  chat:  {{ kind: webhook, url: "http://127.0.0.1:{rx.port}/hook" }}
""")
        customers = min(count, 1000)
        with open(f"{d}/events/a.jsonl", "w") as f:
            ts = stamp(time.time() - 1)
            for i in range(customers):
                f.write(json.dumps({"type": "identify", "userId": f"c{i}", "messageId": f"id-{i}", "timestamp": ts,
                                    "traits": {"chat_id": f"chat-{i}"}}) + "\n")
        log = open(f"{d}/daemon.log", "w")
        daemon = subprocess.Popen([binary, "run", "--config", f"{d}/touchpoint.yaml", "--log-level", "warning"],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.5)
            appended = {}
            start = time.time()
            with open(f"{d}/events/a.jsonl", "a", buffering=1) as f:
                for n in range(count):
                    due = start + n / rate
                    wait = due - time.time()
                    if wait > 0:
                        time.sleep(wait)
                    now = time.time()
                    f.write(json.dumps({"type": "track", "userId": f"c{n % customers}", "event": "Ping",
                                        "messageId": f"ping-{n}", "timestamp": stamp(now),
                                        "properties": {"n": n}}) + "\n")
                    f.flush()
                    appended[n] = now
            deadline = time.time() + 30
            while len(rx.times) < count and time.time() < deadline:
                time.sleep(0.05)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=20)
        lat = sorted((rx.times[n] - appended[n]) * 1000 for n in appended if n in rx.times)
        if len(lat) < count:
            print(f"warning: {count - len(lat)} of {count} messages not received", file=sys.stderr)
        pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))]
        return count, len(lat), pct(0.5), pct(0.9), pct(0.99), lat[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="100,1000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build/release/touchpoint"))
    a = ap.parse_args()
    for rate in [int(r) for r in a.rates.split(",")]:
        count, got, p50, p90, p99, mx = run(a.bin, rate, a.seconds)
        print(f"latency rate={rate}/s events={count} received={got} p50_ms={p50:.1f} p90_ms={p90:.1f} "
              f"p99_ms={p99:.1f} max_ms={mx:.1f}", flush=True)


if __name__ == "__main__":
    main()
