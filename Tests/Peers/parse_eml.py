#!/usr/bin/env python3
"""Parses an .eml with Python's email module and prints what the tests check, as JSON."""
import json
import sys
from email import policy
from email import message_from_bytes
from email.header import decode_header, make_header
from email.parser import BytesParser

with open(sys.argv[1], "rb") as f:
    raw = f.read()
msg = BytesParser(policy=policy.default).parsebytes(raw)
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    parts.append({
        "type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "encoding": part.get("Content-Transfer-Encoding"),
        "content": part.get_content(),
        "bare_lf": b"\n" in part.get_payload(decode=True).replace(b"\r\n", b""),
    })
print(json.dumps({
    "subject": str(msg["Subject"]),
    "from": str(msg["From"]),
    "from_name": msg["From"].addresses[0].display_name,
    "to": str(msg["To"]),
    "to_name": msg["To"].addresses[0].display_name,
    "to_addr": msg["To"].addresses[0].addr_spec,
    # RFC 2047 §6.2 decoding of the raw header (the address parser keeps the white space between adjacent
    # encoded words of a display name, which the RFC says to drop).
    "to_decoded": str(make_header(decode_header(message_from_bytes(raw)["To"]))),
    "message_id": str(msg["Message-ID"]),
    "date": str(msg["Date"]),
    "list_unsubscribe": msg["List-Unsubscribe"] and str(msg["List-Unsubscribe"]),
    "list_unsubscribe_post": msg["List-Unsubscribe-Post"] and str(msg["List-Unsubscribe-Post"]),
    "content_type": msg.get_content_type(),
    "defects": [str(d) for d in msg.defects],
    "parts": parts,
    "longest_line": max(len(line) for line in raw.split(b"\r\n")),
    "header_lines_over_78": sum(1 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n") if len(line) > 78),
}, ensure_ascii=False))
