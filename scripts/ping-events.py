#!/usr/bin/env python3
"""The delivery benchmarks' events: M customers (identify with a chat_id) and M `Ping` events, all stamped now
(so no message is window-expired), written to OUT. Used by scripts/bench-daemon.sh and scripts/bench-cluster.sh.

    ping-events.py M OUT
"""
import datetime
import json
import sys

m, out = int(sys.argv[1]), sys.argv[2]
ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
with open(out, "w") as f:
    for i in range(m):
        f.write(json.dumps({"type": "identify", "userId": f"c{i}", "messageId": f"id-{i}",
                            "timestamp": ts, "traits": {"chat_id": f"chat-{i}"}}) + "\n")
    for i in range(m):
        f.write(json.dumps({"type": "track", "userId": f"c{i}", "event": "Ping", "messageId": f"ping-{i}",
                            "timestamp": ts, "properties": {}}) + "\n")
