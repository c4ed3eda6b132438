#!/usr/bin/env python3
"""A minimal recording SMTP peer on the standard library only (no aiosmtpd), for the daemon tests.

Usage: mini_smtp_peer.py RECORD_FILE [SLOW_MS SLOW_PERCENT]
Listens on 127.0.0.1, port 0; prints the port on stdout, then serves until its stdin closes.
Speaks just what libcurl needs without TLS or AUTH: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
Each message is appended to RECORD_FILE as one JSON line the moment its final "." arrives (the peer has
accepted it): {"message_id": the Message-ID header, "rcpt": [...], "data": the message, "time": ...}.
For messages whose Message-ID hashes into SLOW_PERCENT of 100 buckets, the "250" answer is delayed
SLOW_MS: the window in which a killed sender cannot know the message went through.
"""
import hashlib
import json
import os
import socketserver
import sys
import threading
import time


def _exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=_exit_when_parent_goes, daemon=True).start()

RECORD = sys.argv[1]
SLOW_MS = int(sys.argv[2]) if len(sys.argv) > 2 else 0
SLOW_PERCENT = int(sys.argv[3]) if len(sys.argv) > 3 else 0
LOCK = threading.Lock()
OUT = open(RECORD, "a", encoding="utf-8", buffering=1)


def header(data, name):
    for line in data.split("\r\n"):
        if line == "":
            break
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""


class Handler(socketserver.StreamRequestHandler):
    def say(self, text):
        self.wfile.write((text + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.say("220 localhost mini SMTP")
        rcpt = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self.say("250-localhost")
                self.say("250 8BITMIME")
            elif verb == "HELO":
                self.say("250 localhost")
            elif verb == "MAIL":
                rcpt = []
                self.say("250 OK")
            elif verb == "RCPT":
                rcpt.append(line.split(":", 1)[1].strip().strip("<>"))
                self.say("250 OK")
            elif verb == "DATA":
                self.say("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    text = raw.decode("utf-8", "replace")
                    if text in (".\r\n", ".\n"):
                        break
                    lines.append(text[1:] if text.startswith(".") else text)
                data = "".join(lines)
                mid = header(data, "Message-ID")
                with LOCK:
                    OUT.write(json.dumps({"message_id": mid, "rcpt": rcpt, "data": data, "time": time.time()}) + "\n")
                bucket = int(hashlib.sha256(mid.encode()).hexdigest()[:8], 16) % 100
                if bucket < SLOW_PERCENT:
                    time.sleep(SLOW_MS / 1000.0)
                self.say("250 OK queued")
            elif verb == "RSET" or verb == "NOOP":
                self.say("250 OK")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not implemented")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
