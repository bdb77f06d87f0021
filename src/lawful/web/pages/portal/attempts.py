"""What the portal remembers about sign-in codes and sessions, in the database
(:mod:`lawful.throttle`), so every server process behind a load balancer counts the same wrong
codes, refuses a signed-out session, and keeps a lock-out across a restart.

Keys are the challenge's and the session's random ids and the address's keyed digest."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from lawful.throttle import service as throttle
from lawful.web.routes import lawful_of


class Attempts:
    """Wrong codes per challenge, challenges and sessions that ended early, and lock-outs per
    address; each call commits its own mark. Every ``PRUNE_EVERY`` ended marks, the expired
    ones are forgotten."""

    PRUNE_EVERY = 500

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        #: Held while a code is checked, so that one process checks a challenge at a time.
        self.lock = threading.Lock()
        self._ended_since_prune = 0

    def wrong(self, challenge: str, until: datetime) -> int:
        """Count one more wrong code for ``challenge``; how many so far (in every process)."""
        with self._sessions.begin() as session:
            return throttle.count(session, f"wrong:{challenge}", until=until)

    def end(self, key: str, until: datetime) -> None:
        """A challenge used or spent, or a session signed out: refused until it expires."""
        with self._sessions.begin() as session:
            throttle.mark(session, f"ended:{key}", until=until)
            self._ended_since_prune += 1
            if self._ended_since_prune >= self.PRUNE_EVERY:
                self._ended_since_prune = 0
                throttle.forget_expired(session, at=datetime.now(UTC))

    def ended(self, key: str) -> bool:
        with self._sessions() as session:
            return throttle.until(session, f"ended:{key}", at=datetime.now(UTC)) is not None

    def lock_out(self, digest: str, until: datetime) -> None:
        with self._sessions.begin() as session:
            throttle.mark(session, f"locked:{digest}", until=until)

    def locked_until(self, digest: str, at: datetime) -> datetime | None:
        with self._sessions() as session:
            return throttle.until(session, f"locked:{digest}", at=at)


def attempts_of(request: Request) -> Attempts:
    state = request.app.state
    if not hasattr(state, "portal_attempts"):
        state.portal_attempts = Attempts(lawful_of(request).sessions)
    found: Attempts = state.portal_attempts
    return found


def expiry(payload: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(payload["exp"]), UTC)
