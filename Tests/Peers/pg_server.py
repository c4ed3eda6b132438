#!/usr/bin/env python3
"""A throwaway PostgreSQL server for the tests and benchmarks: initdb in a temporary folder, started with
pg_ctl on an ephemeral loopback port, as an unprivileged user (initdb and pg_ctl refuse to run as root; when
this runs as root, the server runs as `postgres` if that user exists, else as `nobody`, with the folder
chowned to it).

Prints one JSON line: {"port": N, "user": "touchpoint", "password": "…", "dir": "…", "bin": "…"}, or
{"skip": "reason"} when no PostgreSQL binaries are installed. Stops the server (immediate mode) and removes
the folder when its stdin closes (the test process ended, however it ended) or on SIGTERM.

    pg_server.py [--durable]    # --durable keeps fsync and synchronous_commit on (benchmarks)
"""
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def find_bin():
    explicit = os.environ.get("TOUCHPOINT_PG_BIN")
    candidates = [explicit] if explicit else []

    def version(path):
        try:
            return float(path.split("/")[-2])
        except ValueError:
            return 0.0

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    candidates += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"]
    found = shutil.which("initdb")
    if found:
        candidates.append(os.path.dirname(found))
    for d in candidates:
        if d and os.access(os.path.join(d, "initdb"), os.X_OK) and os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return d
    return None


def server_user():
    """The uid/gid to run the server as: ourselves unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    print(json.dumps({"skip": "running as root and neither a 'postgres' nor a 'nobody' user exists"}), flush=True)
    sys.exit(0)


def run(cmd, ids, **kwargs):
    extra = {}
    if ids is not None:
        extra = {"user": ids[0], "group": ids[1], "extra_groups": []}
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env(), **extra,
                          **kwargs)


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    e["LC_ALL"] = "C"
    e["HOME"] = "/tmp"
    return e


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    durable = "--durable" in sys.argv[1:]
    bindir = find_bin()
    if bindir is None:
        print(json.dumps({"skip": "no PostgreSQL binaries (initdb, pg_ctl) found; install Debian's postgresql"}),
              flush=True)
        return
    ids = server_user()
    root = tempfile.mkdtemp(prefix="touchpoint-pg-")
    data = os.path.join(root, "data")
    sockets = os.path.join(root, "sock")
    os.mkdir(sockets)
    password = secrets.token_hex(12)
    pwfile = os.path.join(root, "pw")
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    os.chmod(root, 0o700)
    if ids is not None:
        for path in (root, sockets, pwfile):
            os.chown(path, ids[0], ids[1])

    def cleanup():
        run([os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"], ids)
        shutil.rmtree(root, ignore_errors=True)

    init = run([os.path.join(bindir, "initdb"), "-D", data, "-U", "touchpoint", "--pwfile", pwfile,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                "--no-instructions"], ids)
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        print(json.dumps({"error": "initdb failed: " + init.stdout[-2000:]}), flush=True)
        sys.exit(1)
    settings = ["-c listen_addresses=127.0.0.1", f"-k {sockets}", "-c max_connections=300",
                "-c shared_buffers=128MB"]
    if not durable:
        # A test server: nothing in it outlives the test run.
        settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    started = None
    for _ in range(8):
        port = free_port()
        result = run([os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(root, "server.log"), "-w",
                      "-t", "60", "-o", " ".join(settings + [f"-p {port}"]), "start"], ids)
        if result.returncode == 0:
            started = port
            break
        time.sleep(0.2)
    if started is None:
        log = ""
        try:
            with open(os.path.join(root, "server.log")) as f:
                log = f.read()[-2000:]
        except OSError:
            pass
        cleanup()
        print(json.dumps({"error": "pg_ctl start failed: " + log}), flush=True)
        sys.exit(1)

    def stop(*_):
        cleanup()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"port": started, "user": "touchpoint", "password": password, "dir": root, "bin": bindir}),
          flush=True)
    try:
        sys.stdin.read()
    finally:
        stop()


if __name__ == "__main__":
    main()
