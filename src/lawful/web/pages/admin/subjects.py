"""The subject view: everything held about one person, for the roles that may see it.

Showing the values is an ``extract`` (``subjects.export_subject``), journalled with the user as
the actor before the page is sent. A person is looked up by e-mail or phone through the blind
index, from a POST form, so the identifier never appears in a URL (nor so in a log); the page's
address carries only the pseudonymous subject id."""

from __future__ import annotations

from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from lawful.audit.models import AuditEvent
from lawful.consent.models import ConsentRecord
from lawful.intake.models import IntakeMessage
from lawful.requests.models import Request as SubjectRequest
from lawful.subjects import service as subjects
from lawful.transfers.service import transfers_for_subject
from lawful.web.pages.admin.auth import Personal, Posted, actor_of, admin_router
from lawful.web.pages.admin.journal import shown as journal_rows
from lawful.web.pages.admin.words import page
from lawful.web.routes import lawful_of

router = admin_router()
#: What an ``extract`` from this page is journalled as (its ``details.reason``).
REASON = "admin_subject_view"
TRAIL = 200


@router.get("/subjects")
def find_page(request: Request, user: Personal) -> Response:
    return page(request, "admin/subject_find.html", {"user": user, "missing": False})


@router.post("/subjects", dependencies=[Posted])
def find(
    request: Request,
    user: Personal,
    kind: Annotated[Literal["email", "phone"], Form()],
    value: Annotated[str, Form(min_length=3, max_length=320)],
) -> Response:
    """Look a person up by an identifier; the answer names no one who is not held."""
    lawful = lawful_of(request)
    with lawful.sessions() as session:
        found = subjects.find_subject(session=session, ring=lawful.ring, kind=kind, value=value)
    if found is None:
        context = {"user": user, "missing": True}
        return page(request, "admin/subject_find.html", context, status=404)
    return RedirectResponse(f"/admin/subjects/{found}", status_code=303)


@router.get("/subjects/{subject_id}")
def show(request: Request, subject_id: str, user: Personal) -> Response:
    """The person's values by purpose and category, consents, transfers, requests, messages
    and audit trail. Opening it journals an ``extract`` by this user."""
    lawful = lawful_of(request)
    with lawful.sessions.begin() as session:
        exported = subjects.export_subject(
            session=session,
            ring=lawful.ring,
            subject_id=subject_id,
            actor=actor_of(user),
            purpose=REASON,
        )
        consents = session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.subject_id == subject_id)
            .order_by(ConsentRecord.given_at)
        ).all()
        requests = session.scalars(
            sa.select(SubjectRequest)
            .where(SubjectRequest.subject_id == subject_id)
            .order_by(SubjectRequest.received_at)
        ).all()
        messages = session.execute(
            sa.select(IntakeMessage.channel, IntakeMessage.received_at, IntakeMessage.label)
            .where(IntakeMessage.subject_id == subject_id)
            .order_by(IntakeMessage.received_at)
        ).all()
        trail = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.subject_ref == subject_id)
            .order_by(AuditEvent.seq.desc())
            .limit(TRAIL)
        ).all()
        context = {
            "user": user,
            "subject": exported,
            "values": exported.by_purpose(),
            "consents": list(consents),
            "transfers": transfers_for_subject(session, subject_id),
            "requests": list(requests),
            "messages": [tuple(m) for m in messages],
            "trail": journal_rows(session, list(trail)),
        }
    return page(request, "admin/subject.html", context)
