"""The dashboard: what is due, how consents go, what arrived, what was destroyed, what broke.

Read-only views over the domain services; nothing here decides anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lawful.config.models import Policy
from lawful.consent.models import ConsentEvent
from lawful.destruction.models import DestructionAct
from lawful.incidents import service as incidents
from lawful.intake import review
from lawful.intake.models import IntakeMessage
from lawful.requests import service as requests
from lawful.retention.models import SweepRun
from lawful.web.pages.admin import charts
from lawful.web.pages.admin.auth import Viewer, _now, admin_router
from lawful.web.pages.admin.words import page
from lawful.web.pages.rendering import page_language
from lawful.web.routes import lawful_of

router = admin_router()
WEEKS = 8


@dataclass(frozen=True)
class Due:
    overdue: list[requests.Listed]
    today: list[requests.Listed]
    week: list[requests.Listed]
    #: Verified and due later: a request confirmed today is due in weeks, but can be done now.
    ready: list[requests.Listed]


def due_requests(session: Session, now: datetime, zone: ZoneInfo) -> Due:
    listed = requests.listing(session=session, now=now)
    local = now.astimezone(zone)
    end_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    week_end = now + timedelta(days=7)
    overdue = [r for r in listed if r.next_due is not None and r.next_due < now]
    today = [r for r in listed if r.next_due is not None and now <= r.next_due < end_of_day]
    week = [r for r in listed if r.next_due is not None and end_of_day <= r.next_due < week_end]
    later = [r for r in listed if r.next_due is None or r.next_due >= week_end]
    ready = [r for r in later if r.request.state == "verified"]
    return Due(overdue, today, week, ready)


@dataclass(frozen=True)
class PurposeConsents:
    key: str
    given: int
    refused: int
    withdrawn: int
    weeks: list[charts.Week]

    @property
    def chart(self) -> charts.Chart:
        return charts.consent_chart(self.weeks)

    @property
    def rate(self) -> int | None:
        """Percent of answers that were a yes (given / (given + refused)), None if none."""
        answered = self.given + self.refused
        return round(self.given * 100 / answered) if answered else None


def consent_trends(
    session: Session, policy: Policy | None, now: datetime, language: str
) -> list[PurposeConsents]:
    """Per purpose that needs consent: this window's answers and weekly bars."""
    start = now - timedelta(weeks=WEEKS)
    rows = session.execute(
        sa.select(ConsentEvent.purpose, ConsentEvent.state, ConsentEvent.at).where(
            ConsentEvent.at >= start, ConsentEvent.purpose.is_not(None)
        )
    ).all()
    keys = [k for k, p in (policy.purposes.items() if policy else ()) if p.consent is not None]
    keys += sorted({str(p) for p, _, _ in rows if p not in keys})
    found = []
    for key in keys:
        mine = [(state, at) for purpose, state, at in rows if purpose == key]
        weeks = []
        for index in range(WEEKS):
            begin = start + timedelta(weeks=index)
            inside = [s for s, at in mine if begin <= at < begin + timedelta(weeks=1)]
            label = format_date(begin, "d MMM", locale=language)
            weeks.append(charts.Week(label, inside.count("given"), inside.count("withdrawn")))
        states = [s for s, _ in mine]
        found.append(
            PurposeConsents(
                key,
                states.count("given"),
                states.count("refused"),
                states.count("withdrawn"),
                weeks,
            )
        )
    return found


def messages_per_channel(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        sa.select(IntakeMessage.channel, sa.func.count())
        .group_by(IntakeMessage.channel)
        .order_by(IntakeMessage.channel)
    ).all()
    return [(str(channel), int(count)) for channel, count in rows]


def messages_waiting(session: Session) -> int:
    """Incoming messages a person must decide on (:mod:`lawful.intake.review`)."""
    query = sa.select(sa.func.count()).where(IntakeMessage.state.in_(review.WAITING))
    return int(session.scalar(query) or 0)


def last_sweep(session: Session) -> SweepRun | None:
    return session.scalar(sa.select(SweepRun).order_by(SweepRun.started_at.desc()).limit(1))


def recent_acts(session: Session, limit: int = 5) -> list[DestructionAct]:
    query = sa.select(DestructionAct).order_by(DestructionAct.destroyed_at.desc()).limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True)
class OpenIncident:
    incident: Any
    deadlines: Sequence[incidents.NoticeDeadline]


def open_incidents(session: Session, policy: Policy | None) -> list[OpenIncident]:
    if policy is None:
        return []
    return [
        OpenIncident(i, incidents.deadlines_of(session, policy, i))
        for i in incidents.open_incidents(session)
    ]


@router.get("/")
def dashboard(request: Request, user: Viewer) -> Response:
    lawful = lawful_of(request)
    policy, now, language = lawful.policy, _now(), page_language(request)
    zone = ZoneInfo(policy.operator.timezone if policy else "UTC")
    with lawful.sessions() as session:
        context = {
            "user": user,
            "now": now,
            "due": due_requests(session, now, zone),
            "consents": consent_trends(session, policy, now, language),
            "channels": messages_per_channel(session),
            "waiting": messages_waiting(session),
            "sweep": last_sweep(session),
            "acts": recent_acts(session),
            "incidents": open_incidents(session, policy),
        }
    return page(request, "admin/dashboard.html", context)
