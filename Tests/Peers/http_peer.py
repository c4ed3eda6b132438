#!/usr/bin/env python3
"""A recording HTTP peer for the Channels tests.

Usage: http_peer.py RECORD_FILE
Listens on 127.0.0.1, port 0; prints the port on stdout, then serves until killed.
Every request is appended to RECORD_FILE as one JSON line: method, path, headers, body (UTF-8 text),
and the connection's client port (equal ports = a reused connection).

Behaviour by path (a prefix, so API paths can follow it):
  /ok...                      200 {"ok": true}
  /status/NNN[?retry_after=X] status NNN with optional Retry-After: X
  /hang                       reads the request, never answers (until the client gives up)
  /close                      reads the request, closes the connection without an answer
  /flaky/N...                 500 to the first N requests (counted per path), then 200 {"ok": true}
  /nosid/.../Messages.json    201 whose body is not Twilio's JSON (no sid)
  .../Messages.json           201 with a Twilio-shaped {"sid": "SM..."} answer
"""
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _exit_when_parent_goes():
    # The test holds our stdin open; EOF means it is gone, so exit rather than linger.
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=_exit_when_parent_goes, daemon=True).start()

RECORD = sys.argv[1]
LOCK = threading.Lock()
COUNT = [0]
HITS = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
            with open(RECORD, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "method": self.command,
                    "path": url.path,
                    "query": url.query,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body": body.decode("utf-8", "replace"),
                    "client_port": self.client_address[1],
                    "time": time.time(),
                }) + "\n")
        path = url.path
        query = urllib.parse.parse_qs(url.query)
        if path.startswith("/hang"):
            time.sleep(60)
            self.close_connection = True
            return
        if path.startswith("/close"):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if path.startswith("/flaky/"):
            with LOCK:
                HITS[path] = HITS.get(path, 0) + 1
                hits = HITS[path]
            if hits <= int(path.split("/")[2]):
                self.answer(500, b'{"error": "flaky"}', [("Content-Type", "application/json")])
            else:
                self.answer(200, b'{"ok": true}', [("Content-Type", "application/json")])
            return
        if path.startswith("/nosid/") and path.endswith("/Messages.json"):
            self.answer(201, b"<html>created</html>", [("Content-Type", "text/html")])
            return
        if path.startswith("/status/"):
            status = int(path.split("/")[2])
            headers = []
            if "retry_after" in query:
                headers.append(("Retry-After", query["retry_after"][0]))
            self.answer(status, json.dumps({"status": status}).encode(), headers)
            return
        if path.endswith("/Messages.json"):
            body = json.dumps({"sid": "SM%032d" % n, "status": "queued"}).encode()
            self.answer(201, body, [("Content-Type", "application/json")])
            return
        self.answer(200, b'{"ok": true}', [("Content-Type", "application/json")])

    do_PUT = do_POST
    do_GET = do_POST


class Server(ThreadingHTTPServer):
    # The default listen backlog of 5 resets bursts of parallel connections.
    request_queue_size = 256
    daemon_threads = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
