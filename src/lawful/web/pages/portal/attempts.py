"""What the portal remembers in this process about sign-in codes and sessions.

Like the public API's per-IP limit, it is kept per process: behind a load balancer each process
counts its own share of wrong codes, and a signed-out session is refused by the process that
signed it out (and by every process once its signed expiry passes).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from fastapi import Request


class Attempts:
    """This process's memory of codes and sessions: wrong codes per challenge, challenges and
    sessions that ended early, and lock-outs per address. Each entry is kept until the time
    after which it no longer matters, and forgotten then."""

    PRUNE_AT = 10_000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._wrong: dict[str, tuple[int, datetime]] = {}
        self._ended: dict[str, datetime] = {}
        self._locked: dict[str, datetime] = {}

    def wrong(self, challenge: str, until: datetime) -> int:
        """Count one more wrong code for ``challenge``; how many so far."""
        count = self._wrong.get(challenge, (0, until))[0] + 1
        self._wrong[challenge] = (count, until)
        return count

    def end(self, key: str, until: datetime) -> None:
        """A challenge used or spent, or a session signed out: refused until it expires."""
        self._ended[key] = until
        if len(self._ended) + len(self._wrong) > self.PRUNE_AT:
            self._prune(min(until, datetime.now(UTC)))

    def ended(self, key: str) -> bool:
        return key in self._ended

    def lock_out(self, digest: str, until: datetime) -> None:
        self._locked[digest] = until

    def locked_until(self, digest: str, at: datetime) -> datetime | None:
        until = self._locked.get(digest)
        return until if until is not None and until > at else None

    def _prune(self, at: datetime) -> None:
        for key in [k for k, until in self._ended.items() if until <= at]:
            del self._ended[key]
        for key in [k for k, (_, until) in self._wrong.items() if until <= at]:
            del self._wrong[key]
        for key in [k for k, until in self._locked.items() if until <= at]:
            del self._locked[key]


def attempts_of(request: Request) -> Attempts:
    state = request.app.state
    if not hasattr(state, "portal_attempts"):
        state.portal_attempts = Attempts()
    found: Attempts = state.portal_attempts
    return found


def expiry(payload: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(payload["exp"]), UTC)
