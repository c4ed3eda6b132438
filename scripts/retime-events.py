#!/usr/bin/env python3
"""Re-times an events file to now, so `touchpoint run` can play it.

The example story (examples/events.jsonl) happened in November 2026: fed to the daemon as it is, every
message is long past its send window and dropped `window-expired`. This script keeps every line in its
order and maps the story's time span onto the last SPAN before now (default 10 minutes), preserving the
order of the timestamps, and appends the result to a file in the events folder, where a running daemon
picks it up. Message ids get a suffix per run, so running it again plays the story again instead of being
deduplicated. Lines that are not JSON objects (the story's malformed-on-purpose lines) are copied as
they are, so the daemon quarantines them.

    python3 scripts/retime-events.py examples/events.jsonl examples/live.jsonl
    python3 scripts/retime-events.py --span 30m --now 2026-12-03T10:00:00Z examples/events.jsonl out.jsonl
"""

import argparse
import datetime as dt
import json
import re
import sys
import time


def parse_time(text):
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(t)
    if value.tzinfo is None:
        raise ValueError(f"timestamp without an offset: {text}")
    return value


def parse_span(text):
    m = re.fullmatch(r"(\d+)([smhd])", text)
    if not m:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration like 90s, 10m, 2h or 1d")
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def format_time(seconds):
    value = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="the events file to re-time (JSON Lines)")
    p.add_argument("target", help="the file to append to, in the daemon's events folder (*.jsonl)")
    p.add_argument("--span", type=parse_span, default=600, help="the story's new length, ending now (default 10m)")
    p.add_argument("--now", help="the story's new end (ISO 8601 with an offset; default: the wall clock)")
    p.add_argument("--run", help="the suffix for message ids (default: the current time in ms)")
    args = p.parse_args()

    end = parse_time(args.now).timestamp() if args.now else time.time()
    run = args.run or str(int(time.time() * 1000))
    with open(args.source, encoding="utf-8") as f:
        lines = f.read().splitlines()

    parsed = []
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("timestamp"), str):
            try:
                parsed.append((line, obj, parse_time(obj["timestamp"]).timestamp()))
                continue
            except ValueError:
                pass
        parsed.append((line, None, None))

    stamps = [t for _, _, t in parsed if t is not None]
    if not stamps:
        sys.exit(f"{args.source}: no lines with a timestamp")
    first, last = min(stamps), max(stamps)
    scale = args.span / (last - first) if last > first else 0.0
    start = end - args.span

    out = []
    for line, obj, t in parsed:
        if obj is None:
            out.append(line)
            continue
        obj["timestamp"] = format_time(start + (t - first) * scale)
        for key in ("messageId", "message_id"):
            if isinstance(obj.get(key), str):
                obj[key] = f"{obj[key]}-{run}"
        out.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))

    # One write of whole lines: a daemon tailing the file never sees half a line.
    with open(args.target, "a", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(
        f"appended {len(out)} lines to {args.target}: {format_time(first)} … {format_time(last)} "
        f"re-timed to {format_time(start)} … {format_time(end)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
