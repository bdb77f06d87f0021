"""Journal events as the admin shows them: who (a colleague by e-mail), what, and the details
of the event's canonical body, instead of the raw JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lawful.audit.models import AuditEvent
from lawful.web.pages.admin.auth import actor_names


@dataclass(frozen=True)
class Shown:
    event: AuditEvent
    actor: str
    purpose: str | None
    categories: list[str]
    details: list[tuple[str, str]]


def shown(session: Session, events: Sequence[AuditEvent]) -> list[Shown]:
    bodies = [json.loads(e.body) for e in events]
    names = actor_names(session, {str(b.get("actor", "")) for b in bodies})
    return [
        Shown(
            event,
            names.get(str(body.get("actor", "")), str(body.get("actor", ""))),
            body.get("purpose"),
            list(body.get("categories") or []),
            [(str(k), str(v)) for k, v in sorted((body.get("details") or {}).items())],
        )
        for event, body in zip(events, bodies, strict=True)
    ]
