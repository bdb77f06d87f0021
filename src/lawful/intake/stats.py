"""Statistics of the channels and the requests, without personal data.

:func:`compute` is the one entry point — the API (``GET /api/v1/intake/stats``) and the
operator's admin pages call it. It reads only non-identifying columns (channel, label, state,
request kind, outcome and timestamps), never an id, a subject, a digest or a sealed value, and
returns aggregates only: counts per channel and message type, counts of request states and
outcomes, and response times as order statistics in seconds. Nothing in the answer can be
traced back to a person or a message.

Response times:

* ``processing`` — a message's arrival to the end of its automatic processing, per channel;
* ``answered`` — a request's arrival to its answer (``closed_at``), per request kind.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.intake.models import IntakeMessage
from lawful.requests.models import Request

Moment = datetime | None

#: What a message not (yet) classified is counted as.
UNLABELLED = "unlabelled"


@dataclass(frozen=True)
class Durations:
    """Order statistics of a set of durations, in seconds (None when there are none)."""

    count: int
    median: float | None
    p90: float | None
    max: float | None

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Durations:
        ordered = sorted(seconds)
        if not ordered:
            return cls(0, None, None, None)
        return cls(len(ordered), _rank(ordered, 0.5), _rank(ordered, 0.9), ordered[-1])


@dataclass(frozen=True)
class Stats:
    since: datetime | None
    until: datetime | None
    #: channel -> message type (classifier label) -> count.
    messages: dict[str, dict[str, int]] = field(default_factory=dict)
    #: message state (received, routed, person) -> count.
    message_states: dict[str, int] = field(default_factory=dict)
    #: channel -> time from arrival to the end of processing.
    processing: dict[str, Durations] = field(default_factory=dict)
    #: request kind -> state -> count.
    requests: dict[str, dict[str, int]] = field(default_factory=dict)
    #: request channel -> count.
    request_channels: dict[str, int] = field(default_factory=dict)
    #: request kind -> outcome of the answered ones -> count.
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    #: request kind -> time from arrival to the answer.
    answered: dict[str, Durations] = field(default_factory=dict)


def compute(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> Stats:
    """Aggregates of the messages and requests received in ``[since, until)``."""
    messages = sa.select(
        IntakeMessage.channel,
        IntakeMessage.label,
        IntakeMessage.state,
        IntakeMessage.received_at,
        IntakeMessage.processed_at,
    ).where(*_within(IntakeMessage.received_at, since, until))
    requests = sa.select(
        Request.kind,
        Request.state,
        Request.channel,
        Request.outcome,
        Request.received_at,
        Request.closed_at,
    ).where(*_within(Request.received_at, since, until))
    stats = Stats(since, until)
    _add_messages(stats, session.execute(messages).all())
    _add_requests(stats, session.execute(requests).all())
    return stats


def _within(
    column: sa.orm.InstrumentedAttribute[datetime], since: Moment, until: Moment
) -> list[sa.ColumnElement[bool]]:
    """The conditions of ``[since, until)`` on ``column`` (none: everything)."""
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def _add_messages(stats: Stats, rows: Iterable[Any]) -> None:
    states: Counter[str] = Counter()
    durations: dict[str, list[float]] = {}
    for channel, label, state, received_at, processed_at in rows:
        by_type = stats.messages.setdefault(channel, {})
        kind = label or UNLABELLED
        by_type[kind] = by_type.get(kind, 0) + 1
        states[state] += 1
        if processed_at is not None:
            seconds = (processed_at - received_at).total_seconds()
            durations.setdefault(channel, []).append(seconds)
    stats.message_states.update(states)
    stats.processing.update({c: Durations.of(d) for c, d in durations.items()})


def _add_requests(stats: Stats, rows: Iterable[Any]) -> None:
    channels: Counter[str] = Counter()
    durations: dict[str, list[float]] = {}
    for kind, state, channel, outcome, received_at, closed_at in rows:
        by_state = stats.requests.setdefault(kind, {})
        by_state[state] = by_state.get(state, 0) + 1
        channels[channel] += 1
        if outcome is not None:
            by_outcome = stats.outcomes.setdefault(kind, {})
            by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
        if closed_at is not None:
            durations.setdefault(kind, []).append((closed_at - received_at).total_seconds())
    stats.request_channels.update(channels)
    stats.answered.update({k: Durations.of(d) for k, d in durations.items()})


def _rank(ordered: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile of an ordered, non-empty list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
