"""The one outbound HTTP helper of the connectors: timeouts, a client-side rate limit, retries
of 429/5xx with backoff, and failures classified (healthchecks' ``hc/lib/curl.py`` idea).

Messages name the connector, the method, the path template and the status — never a URL with
a query (it may hold an e-mail) nor a response body (it may hold data).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from lawful.errors import ConnectorFailure

#: Statuses a retry can cure; everything else 4xx is the request's or the account's fault.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0


@dataclass
class RateLimiter:
    """At most ``rate`` calls per second, spaced evenly (Kommo: 7/s). Thread-safe; the clock
    and the sleep are injectable so that the spacing can be tested without waiting."""

    rate: float
    #: Spacing a little wider than 1/rate, so that network jitter never puts rate + 1 calls
    #: into one second at the server.
    margin: float = 0.02
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            at = max(now, self._next)
            self._next = at + (1.0 + self.margin) / self.rate
        if at > now:
            self.sleep(at - now)


@dataclass
class Http:
    """One system's HTTP client: base URL, auth header, limiter, retries."""

    connector: str
    client: httpx.Client
    limiter: RateLimiter
    #: In-call retries are short: the job queue's backoff takes over after them.
    tries: int = 3
    backoff: float = 0.25
    sleep: Callable[[float], None] = time.sleep

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; return a 2xx response or raise a classified failure."""
        for attempt in range(self.tries):
            self.limiter.wait()
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                failure = self._failure(method, path, type(exc).__name__, permanent=False)
            else:
                if response.is_success:
                    return response
                permanent = response.status_code not in RETRY_STATUSES
                failure = self._failure(method, path, str(response.status_code), permanent)
                if permanent:
                    raise failure
                self.sleep(self._delay(attempt, response))
                continue
            self.sleep(self._delay(attempt, None))
        raise failure

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The response's JSON; 204 (Kommo's empty list) is None."""
        response = self.call(method, path, **kwargs)
        return None if response.status_code == 204 or not response.content else response.json()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        after = response.headers.get("Retry-After", "") if response is not None else ""
        if after.isdigit():
            return min(float(after), MAX_RETRY_AFTER)
        return float(self.backoff * 2**attempt)

    def _failure(self, method: str, path: str, what: str, permanent: bool) -> ConnectorFailure:
        kind = "permanent" if permanent else "temporary"
        return ConnectorFailure(
            f"{self.connector}: {method} {path.split('?')[0]} failed: {what} ({kind})",
            permanent=permanent,
            connector=self.connector,
        )

    def close(self) -> None:
        self.client.close()
