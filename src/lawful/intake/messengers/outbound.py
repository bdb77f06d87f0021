"""Replies go out through :class:`lawful.connectors.http.Http` (timeouts, retries of 429 and
5xx, failures classified). A client is opened per reply: replies are rare and a reply path
must not keep a connection that outlives its settings."""

from __future__ import annotations

from typing import Any

import httpx

from lawful.connectors.http import Http, RateLimiter

TIMEOUT_SECONDS = 10.0
#: Telegram allows about 30 messages a second per bot; WhatsApp more. One reply at a time.
RATE_PER_SECOND = 30.0


class SecretInPath(httpx.BaseTransport):
    """Put a secret into the URL only on the wire: the Telegram Bot API takes its token in
    the path, and httpx logs every request's URL — with this transport it logs
    ``.../bot<token>/...`` as ``.../bot{token}/...``."""

    PLACEHOLDER = "{token}"

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.replace(b"%7Btoken%7D", self.secret.encode(), 1)
        real = httpx.Request(
            request.method,
            request.url.copy_with(raw_path=path),
            headers=request.headers,
            content=request.content,
        )
        return self.inner.handle_request(real)

    def close(self) -> None:
        self.inner.close()


def post_json(
    channel: str,
    base_url: str,
    path: str,
    body: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Any:
    """POST ``body`` to ``base_url + path``; the answer's JSON. Failure messages name the
    channel and ``path`` only; a secret in the URL goes through :class:`SecretInPath`."""
    client = httpx.Client(
        base_url=base_url, timeout=TIMEOUT_SECONDS, headers=headers or {}, transport=transport
    )
    http = Http(channel, client, RateLimiter(RATE_PER_SECOND))
    try:
        return http.json("POST", path, json=body)
    finally:
        http.close()
