#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol: open a page, click an element like a person
(mouse press and release at its centre), and report where the browser landed.

Usage: cdp_click.py URL SELECTOR [SELECTOR...]
Each SELECTOR is clicked in turn on the page the previous click led to. Prints one JSON object per
click: {"clicked": SELECTOR, "url": location after the click, "title": document.title, "text": body text}.
Exit 0 on success; exit 3 with "skipped: REASON" on stdout when Chromium is missing or cannot start;
exit 1 on a real failure (an element not found, a page that never loads).

Standard library only: a minimal WebSocket client (RFC 6455, text frames) is enough for the protocol.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


def skip(reason):
    print("skipped: " + reason)
    sys.exit(3)


class WebSocket:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket handshake: connection closed")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise RuntimeError("websocket handshake refused: %r" % status)
        self.buffer = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        payload = text.encode()
        header = bytearray([0x81])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += struct.pack("!H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", n)
        mask = os.urandom(4)
        header += mask
        self.sock.sendall(bytes(header) + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("websocket closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def receive(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            data = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise RuntimeError("websocket closed by the browser")
            if opcode in (0, 1, 2):
                message += data
                if b0 & 0x80:
                    return message.decode("utf-8", "replace")


class Browser:
    def __init__(self):
        binary = next((shutil.which(c) for c in ("chromium", "chromium-browser", "google-chrome") if shutil.which(c)), None)
        if not binary:
            skip("chromium not installed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="cdp-chromium.")
        self.log = open(os.path.join(self.profile, "chromium.log"), "w")
        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + self.profile,
             "--window-size=1000,1400", "about:blank"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.process.poll() is not None or time.time() > deadline:
                self.log.flush()
                with open(os.path.join(self.profile, "chromium.log")) as f:
                    said = f.read()
                self.close()
                skip("chromium cannot start: " + (said.strip().splitlines() or ["exit %s" % self.process.returncode])[-1])
            time.sleep(0.1)
        with open(port_file) as f:
            port = f.readline().strip()
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port, timeout=30))
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == my_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})
            self.events.append(message)

    # Two minutes: on a loaded two-core box (the whole test suite in parallel, a build beside it) Chromium
    # has taken more than 30 s to load the landing page after a click.
    def wait_for_load(self, timeout=120):
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                for i, e in enumerate(self.events):
                    if e.get("method") == "Page.loadEventFired":
                        del self.events[: i + 1]
                        return
                self.ws.sock.settimeout(max(0.1, deadline - time.time()))
                try:
                    self.events.append(json.loads(self.ws.receive()))
                except socket.timeout:
                    break
        finally:
            # The next calls wait up to `timeout` for their answers again, not what is left of this wait.
            self.ws.sock.settimeout(timeout)
        raise RuntimeError("the page did not finish loading within %d s" % timeout)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def click(self, selector):
        rect = self.evaluate(
            "(() => { const e = document.querySelector(%s); if (!e) return null; e.scrollIntoView();"
            " const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
            % json.dumps(selector))
        if rect is None:
            raise RuntimeError("no element matches %s on %s" % (selector, self.evaluate("location.href")))
        x, y = rect
        self.events.clear()
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        self.wait_for_load()

    def close(self):
        try:
            self.process.kill()
            self.process.wait(timeout=10)
        except Exception:
            pass
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    url, selectors = sys.argv[1], sys.argv[2:]
    browser = Browser()
    try:
        browser.events.clear()
        browser.call("Page.navigate", url=url)
        browser.wait_for_load()
        for selector in selectors:
            browser.click(selector)
            print(json.dumps({
                "clicked": selector,
                "url": browser.evaluate("location.href"),
                "title": browser.evaluate("document.title"),
                "text": browser.evaluate("document.body ? document.body.innerText : ''"),
            }), flush=True)
    except Exception as e:
        print("cdp_click: %s" % e, file=sys.stderr)
        sys.exit(1)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
