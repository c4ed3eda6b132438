#!/usr/bin/env python3
"""A recording webhook peer for the daemon tests, slow on a deterministic share of requests.

Usage: slow_http_peer.py RECORD_FILE [SLOW_MS SLOW_PERCENT]
Listens on 127.0.0.1, port 0; prints the port on stdout, then serves until its stdin closes.
Every request is appended to RECORD_FILE as one JSON line, as soon as its body is read (so the record
holds what the peer accepted even when the answer never reaches a client that was killed):
  {"id": webhook-id (or Idempotency-Key), "path": ..., "body": ..., "time": epoch seconds}
Then, for requests whose id hashes into SLOW_PERCENT of 100 buckets, it waits SLOW_MS before answering
200 — the window in which a killed daemon has been accepted but has not recorded it.
Paths starting with /hang are recorded and never answered (for 120 s).
"""
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=_exit_when_parent_goes, daemon=True).start()

RECORD = sys.argv[1]
SLOW_MS = int(sys.argv[2]) if len(sys.argv) > 2 else 0
SLOW_PERCENT = int(sys.argv[3]) if len(sys.argv) > 3 else 0
LOCK = threading.Lock()
OUT = open(RECORD, "a", encoding="utf-8", buffering=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        ident = self.headers.get("webhook-id") or self.headers.get("Idempotency-Key") or ""
        with LOCK:
            OUT.write(json.dumps({
                "id": ident, "path": self.path, "body": body.decode("utf-8", "replace"), "time": time.time(),
            }) + "\n")
        if self.path.startswith("/hang"):
            time.sleep(120)
            self.close_connection = True
            return
        bucket = int(hashlib.sha256(ident.encode()).hexdigest()[:8], 16) % 100
        if bucket < SLOW_PERCENT:
            time.sleep(SLOW_MS / 1000.0)
        answer = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
