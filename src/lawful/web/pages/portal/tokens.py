"""Signed, expiring values for the portal's cookies.

A value is ``base64url(JSON) "." HMAC-SHA256`` under a key derived from the database's own
secret (as the CSRF tokens are), with a label per use so a token of one kind is never accepted
as another. The expiry is inside the signed JSON and checked here, on the server: a browser
that keeps a cookie past its ``Max-Age`` gains nothing. Cookies carry opaque ids only (request
references, subject ids, a keyed hash of an address) — never personal data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from lawful.crypto.keyring import Keyring

#: Longest token accepted (a cookie is at most 4 KB anyway).
MAX_TOKEN = 3000


def _key(ring: Keyring, purpose: str) -> bytes:
    return ring.derive(f"lawful/pages/portal/{purpose}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(
    ring: Keyring, purpose: str, payload: dict[str, Any], now: datetime, ttl: timedelta
) -> str:
    """``payload`` signed for ``purpose``, valid until ``now + ttl``."""
    body = _b64(json.dumps({**payload, "exp": int((now + ttl).timestamp())}).encode())
    mac = hmac.new(_key(ring, purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(ring: Keyring, purpose: str, token: str | None, now: datetime) -> dict[str, Any] | None:
    """The payload of a valid, unexpired token for ``purpose``; None for anything else."""
    if not token or len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    expected = hmac.new(_key(ring, purpose), body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        return None
    if payload["exp"] <= now.timestamp():
        return None
    return payload


def keyed(ring: Keyring, purpose: str, text: str) -> str:
    """A keyed hash of ``text`` for ``purpose`` (hex): how a code is kept in a signed cookie."""
    return hmac.new(_key(ring, purpose), text.encode(), hashlib.sha256).hexdigest()
