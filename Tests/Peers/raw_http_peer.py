#!/usr/bin/env python3
"""A raw-socket HTTP peer that answers the way broken servers do, for the outcome-classification tests.

Usage: raw_http_peer.py RECORD_FILE
Listens on 127.0.0.1, port 0; prints the port on stdout, then serves until its stdin closes.
Each request is read whole (headers and Content-Length body) and appended to RECORD_FILE as one JSON line
{"path": ..., "id": webhook-id or Idempotency-Key, "time": ...} before anything is answered.

Behaviour by path prefix:
  /garbage       answers "garbage\\r\\n" (no status line: HTTP/0.9 to libcurl) and closes
  /weird         answers "HTTP/1.1 two hundred\\r\\n\\r\\n" and closes
  /ok-close      answers a 200 status line and headers promising 100 bytes, sends 5, closes
  /ok-stall      answers a 200 status line and headers, then sends nothing for 60 s
  /status-stall  answers only the status line "HTTP/1.1 200 OK", then nothing for 60 s
  /ok            a complete 200 answer
"""
import json
import os
import socket
import sys
import threading
import time


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=_exit_when_parent_goes, daemon=True).start()

RECORD = sys.argv[1]
LOCK = threading.Lock()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
    return path, headers


def serve(conn):
    try:
        while True:
            request = read_request(conn)
            if request is None:
                return
            path, headers = request
            with LOCK, open(RECORD, "a", encoding="utf-8") as f:
                f.write(json.dumps({
                    "path": path, "id": headers.get("webhook-id") or headers.get("idempotency-key") or "",
                    "time": time.time(),
                }) + "\n")
            if path.startswith("/garbage"):
                conn.sendall(b"garbage\r\n")
                return
            if path.startswith("/weird"):
                conn.sendall(b"HTTP/1.1 two hundred\r\n\r\n")
                return
            if path.startswith("/ok-close"):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\"")
                return
            if path.startswith("/ok-stall"):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n")
                time.sleep(60)
                return
            if path.startswith("/status-stall"):
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                time.sleep(60)
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    print(server.getsockname()[1], flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
