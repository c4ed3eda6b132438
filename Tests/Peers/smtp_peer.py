#!/usr/bin/env python3
"""A recording SMTP peer for the Channels tests, on aiosmtpd.

Usage: smtp_peer.py OUT_DIR [--tls CERT KEY] [--auth USER:PASSWORD] [--port N]
Listens on 127.0.0.1, port 0 (or N: a peer restarted where the test stopped it); prints the port on stdout. With --tls it offers STARTTLS (and requires it).
With --auth it offers AUTH PLAIN/LOGIN (without TLS too) and requires it.
Each accepted message is saved as OUT_DIR/<n>.eml, with OUT_DIR/<n>.json holding the envelope and login.

Behaviour by recipient local part:
  tempfail@...  451 at RCPT          reject@...  550 at RCPT
  datafail@...  554 after DATA       hang@...    never answers after DATA
"""
import asyncio
import json
import os
import ssl
import sys
import threading
import warnings

warnings.simplefilter("ignore")

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def _exit_when_parent_goes():
    # The test holds our stdin open; EOF means it is gone, so exit rather than linger.
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=_exit_when_parent_goes, daemon=True).start()

OUT = sys.argv[1]
args = sys.argv[2:]
TLS = None
AUTH = None
PORT = 0
while args:
    if args[0] == "--tls":
        TLS = (args[1], args[2])
        args = args[3:]
    elif args[0] == "--auth":
        AUTH = args[1]
        args = args[2:]
    elif args[0] == "--port":
        PORT = int(args[1])
        args = args[2:]
    else:
        raise SystemExit("unknown argument " + args[0])


class Handler:
    def __init__(self):
        # A restarted peer writes after the files its predecessor left in OUT.
        self.count = len([n for n in os.listdir(OUT) if n.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local == "tempfail":
            return "451 4.3.0 try again later"
        if local == "reject":
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        local = envelope.rcpt_tos[0].split("@")[0]
        if local == "hang":
            await asyncio.sleep(60)
        if local == "datafail":
            return "554 5.6.0 message refused"
        self.count += 1
        n = self.count
        with open(os.path.join(OUT, "%d.eml" % n), "wb") as f:
            f.write(envelope.original_content)
        login = session.auth_data
        with open(os.path.join(OUT, "%d.json" % n), "w") as f:
            json.dump({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "login": login,
                "tls": session.ssl is not None,
            }, f)
        return "250 OK queued as %d" % n


def authenticator(server, session, envelope, mechanism, auth_data):
    user, password = AUTH.split(":", 1)
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
            and auth_data.password.decode() == password:
        return AuthResult(success=True, auth_data=user)
    return AuthResult(success=False, handled=False)


async def main():
    context = None
    if TLS:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(TLS[0], TLS[1])
    handler = Handler()
    kwargs = {}
    if AUTH:
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=TLS is not None)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="peer.test", tls_context=context, require_starttls=TLS is not None,
                     **kwargs),
        "127.0.0.1", PORT, reuse_address=True)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
