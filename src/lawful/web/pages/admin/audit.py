"""Audit: the hash chain's verification and a searchable view of the journal.

The journal holds no personal data (ids, names, counts), so searching its text is safe; the
newest events come first, a page at a time."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Query, Request
from fastapi.responses import Response

from lawful import audit
from lawful.audit.models import AuditEvent
from lawful.audit.vocabulary import ACTIONS
from lawful.web.pages.admin.auth import Overseer, admin_router
from lawful.web.pages.admin.journal import shown as journal_rows
from lawful.web.pages.admin.words import page
from lawful.web.routes import lawful_of

router = admin_router()
PAGE = 100


@router.get("/audit")
def journal(
    request: Request,
    user: Overseer,
    action: Annotated[str, Query(max_length=32)] = "",
    subject: Annotated[str, Query(max_length=32)] = "",
    text: Annotated[str, Query(max_length=100)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    lawful = lawful_of(request)
    verified = audit.verify(lawful.engine)
    query = sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(PAGE)
    if action in ACTIONS:
        query = query.where(AuditEvent.action == action)
    if subject.strip():
        query = query.where(AuditEvent.subject_ref == subject.strip())
    if text.strip():
        query = query.where(AuditEvent.body.contains(text.strip(), autoescape=True))
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    with lawful.sessions() as session:
        events = list(session.scalars(query))
        rows = journal_rows(session, events)
    context = {
        "user": user,
        "verified": verified,
        "events": rows,
        "actions": sorted(ACTIONS),
        "filters": {"action": action, "subject": subject, "text": text},
        "older": events[-1].seq if len(events) == PAGE else None,
    }
    return page(request, "admin/audit.html", context)
