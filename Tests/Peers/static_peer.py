#!/usr/bin/env python3
"""Serves the files of a folder over HTTP on 127.0.0.1, port 0; prints the port on stdout, then serves
until its stdin closes. The landing page a tracked link redirects to in the browser tests.

Usage: static_peer.py FOLDER
"""
import functools
import http.server
import os
import sys
import threading


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    handler = functools.partial(Quiet, directory=sys.argv[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
