"""The HTTP webhook connector: the operator's own service gets one signed JSON call per action.

Request (POST to the declared ``url``, JSON)::

    {"action": "access|rectify|erase|block|unblock|test", "connector": "<key>",
     "ref": "<random id of this call>", "identity": {"kind": "email|phone", "value": "..."},
     "changes": {"<category>": "<new value>"}, "callback_url": "<where to report later>"}

Headers: ``X-Lawful-Timestamp`` (Unix seconds) and ``X-Lawful-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``"<timestamp>.<raw body>"`` under the shared secret (``secret_env``). The
receiver recomputes it over the raw body, compares in constant time and refuses timestamps
older than five minutes.

Answer ``200 {"status": "done", "counts": {"<place>": n}, "found": [{"location", "field",
"category", "value"}]}`` when done at once, or ``202 {"status": "accepted"}`` and later POST
the same ``done`` JSON, signed the same way, to ``callback_url``. 4xx means "never" (a person
must act), 429/5xx and timeouts are retried with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lawful.connectors.contract import Found, Identity, Result
from lawful.connectors.http import Http
from lawful.errors import ConnectorFailure

MAX_SKEW = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """True if ``signature`` is ours over ``body`` and the timestamp is fresh."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass
class WebhookConnector:
    key: str
    recipient: str
    purpose: str
    http: Http
    path: str
    secret: str
    held: frozenset[str]
    #: ``<public URL>/api/v1/connectors/<key>/callback`` — the ref is appended.
    callback_base: str

    def categories(self) -> frozenset[str]:
        return self.held

    def test(self) -> str:
        self._send("test", None, {})
        return "the service answered the signed test call"

    def access(self, identity: Identity) -> list[Found]:
        body = self._send("access", identity, {})
        if body.get("status") != "done":
            raise ConnectorFailure(
                f"{self.key}: access must be answered at once (200 done), got "
                f"{body.get('status')!r}",
                permanent=True,
                connector=self.key,
            )
        return found_of(body)

    def rectify(self, identity: Identity, changes: Mapping[str, str]) -> Result:
        return self._act("rectify", identity, changes)

    def erase(self, identity: Identity) -> Result:
        return self._act("erase", identity, {})

    def block(self, identity: Identity) -> Result:
        return self._act("block", identity, {})

    def unblock(self, identity: Identity) -> Result:
        return self._act("unblock", identity, {})

    def _act(self, action: str, identity: Identity, changes: Mapping[str, str]) -> Result:
        ref = secrets.token_urlsafe(16)
        body = self._send(action, identity, changes, ref)
        if body.get("status") == "done":
            return Result(counts=counts_of(body), method=f"{action} by the service")
        return Result(
            manual=f"{self.key} accepted the {action}; waiting for its callback",
            method=f"{action} by the service (asynchronous)",
            pending=[ref],
        )

    def _send(
        self,
        action: str,
        identity: Identity | None,
        changes: Mapping[str, str],
        ref: str | None = None,
    ) -> dict[str, Any]:
        ref = ref or secrets.token_urlsafe(16)
        payload = {
            "action": action,
            "connector": self.key,
            "ref": ref,
            "identity": {"kind": identity.kind, "value": identity.value} if identity else None,
            "changes": dict(changes),
            "callback_url": f"{self.callback_base}/{ref}",
        }
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Lawful-Timestamp": stamp,
            "X-Lawful-Signature": sign(self.secret, stamp, raw),
        }
        response = self.http.call("POST", self.path, content=raw, headers=headers)
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = {}
        return answer if isinstance(answer, dict) else {}

    def close(self) -> None:
        self.http.close()


def counts_of(body: Mapping[str, Any]) -> dict[str, int]:
    counts = body.get("counts") or {}
    return {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else {}


def found_of(body: Mapping[str, Any]) -> list[Found]:
    items = body.get("found") or []
    return [
        Found(str(i["location"]), str(i["field"]), str(i["category"]), str(i["value"]))
        for i in items
        if isinstance(i, dict)
    ]
