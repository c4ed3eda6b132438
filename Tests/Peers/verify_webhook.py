#!/usr/bin/env python3
"""Verifies a recorded webhook request's Standard Webhooks signature independently.

Usage: verify_webhook.py SECRET RECORD_JSON_LINE
Prints "standardwebhooks" when the PyPI package verified it, "hmac" when it was missing and Python's hmac
module did; exits 1 when the signature does not verify.
"""
import base64
import hashlib
import hmac
import json
import sys

secret = sys.argv[1]
record = json.loads(sys.argv[2])
headers = {k.lower(): v for k, v in record["headers"]}
body = record["body"]
try:
    from standardwebhooks.webhooks import Webhook
except ImportError:
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    signed = ("%s.%s.%s" % (headers["webhook-id"], headers["webhook-timestamp"], body)).encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ") if s.startswith("v1,")]
    if expected not in given:
        print("signature mismatch")
        sys.exit(1)
    print("hmac")
    sys.exit(0)
try:
    Webhook(secret).verify(body, headers)
except Exception as e:
    print("standardwebhooks refused: %r" % e)
    sys.exit(1)
print("standardwebhooks")
