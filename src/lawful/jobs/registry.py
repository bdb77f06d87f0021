"""What a worker knows how to do: handlers by kind, and the periodic jobs to schedule.

Domains declare their work where it belongs (``retention`` declares its sweep) on
:data:`default_registry`; the worker only reads the registry. Periodic jobs are declarations,
not loops: every worker enqueues the current time slot's job under a unique key, so however
many workers run, each slot yields one job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lawful.jobs.models import Payload

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class JobContext:
    """What a handler gets besides its payload. Extend by subclassing and pass the instance
    to the worker; handlers open their own transactions with ``sessions.begin()``."""

    engine: Engine
    sessions: sessionmaker[Session]


Handler = Callable[[Payload, JobContext], None]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class PeriodicJob:
    """A job enqueued once per ``every``-long slot; slots are aligned on the Unix epoch in UTC,
    so all workers agree on them. Missed slots are not caught up: only the current one runs."""

    kind: str
    every: timedelta
    payload: Payload = field(default_factory=dict)
    max_attempts: int = 3

    def slot_start(self, now: datetime) -> datetime:
        return _EPOCH + self.every * ((now - _EPOCH) // self.every)

    def unique_key(self, now: datetime) -> str:
        return f"{self.kind}@{self.slot_start(now).isoformat()}"


class JobRegistry:
    """Handlers by job kind, and periodic declarations."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._periodic: dict[str, PeriodicJob] = {}

    def handler(self, kind: str) -> Callable[[H], H]:
        """Decorator: ``@registry.handler("mail.send")`` makes the function run those jobs."""

        def register(function: H) -> H:
            known = self._handlers.get(kind)
            if known is not None and known is not function:
                raise ValueError(f"job kind {kind!r} already has a handler")
            self._handlers[kind] = function
            return function

        return register

    def periodic(
        self,
        kind: str,
        *,
        every: timedelta,
        payload: Payload | None = None,
        max_attempts: int = 3,
    ) -> Callable[[H], H]:
        """Declare that ``kind`` runs every ``every``; usable alone or as a decorator that also
        registers the handler."""
        if every < timedelta(seconds=1):
            raise ValueError("a periodic job needs an interval of at least one second")
        self._periodic[kind] = PeriodicJob(kind, every, payload or {}, max_attempts)
        return self.handler(kind)

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def periodic_jobs(self) -> tuple[PeriodicJob, ...]:
        return tuple(self._periodic.values())


#: The registry ``lawful worker`` and ``lawful serve`` run; domains register on it.
default_registry = JobRegistry()
