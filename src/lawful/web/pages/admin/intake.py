"""The person's queue of incoming messages (:mod:`lawful.intake.review`) in the admin.

The list shows no personal data (channel, time, reason, the pipeline's label, categories), so
every role sees it. A message's words are shown only to the roles that may see what is held
about a person, each view journalled as an ``extract``; they alone decide: open a request of
the chosen kind, keep it as an inquiry, or dismiss it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from lawful.errors import LawfulError
from lawful.intake import flows, review
from lawful.intake.parse import Unreadable
from lawful.requests.service import REQUIRED_DETAILS
from lawful.users.models import AdminUser
from lawful.web.pages.admin.auth import Personal, Posted, Viewer, _now, actor_of, admin_router
from lawful.web.pages.admin.words import page
from lawful.web.problems import kind_of
from lawful.web.routes import lawful_of
from lawful.web.routes.requests import mailer_of

router = admin_router()
Field = Annotated[str, Form(max_length=1000)]


@router.get("/intake")
def queue(request: Request, user: Viewer) -> Response:
    """Messages waiting for a person, oldest first."""
    with lawful_of(request).sessions() as session:
        rows = review.waiting(session)
    return page(request, "admin/intake.html", {"user": user, "rows": rows})


#: The details a request kind needs (``lawful.requests.service.REQUIRED_DETAILS``), as fields.
DETAILS = tuple(dict.fromkeys(name for names in REQUIRED_DETAILS.values() for name in names))


def _detail(
    request: Request, user: AdminUser, message_id: str, *, error: str | None = None
) -> Response:
    lawful = lawful_of(request)
    with lawful.sessions.begin() as session:
        message = review.find(session, message_id)
        parsed = None
        if message.state in review.WAITING:
            try:
                parsed = review.read(
                    session=session,
                    ring=lawful.ring,
                    message_id=message_id,
                    actor=actor_of(user),
                    now=_now(),
                )
            except Unreadable:  # quarantined as such: it can be kept or dismissed unread
                parsed = None
        context = {
            "user": user,
            "message": message,
            "parsed": parsed,
            "decisions": review.DECISIONS,
            "details": DETAILS,
            "error": error,
        }
    return page(request, "admin/intake_message.html", context, status=422 if error else 200)


@router.get("/intake/{message_id}")
def show(request: Request, message_id: str, user: Personal) -> Response:
    return _detail(request, user, message_id)


@router.post("/intake/{message_id}/decide", dependencies=[Posted])
def decide(
    request: Request,
    message_id: str,
    user: Personal,
    decision: Annotated[str, Form(max_length=32)],
    category: Field = "",
    value: Field = "",
    full_name: Field = "",
    contact: Field = "",
    data: Field = "",
) -> Response:
    """Route the message as decided; a refusal shows the message again with the reason."""
    lawful = lawful_of(request)
    given = {"category": category, "value": value, "full_name": full_name}
    given |= {"contact": contact, "data": data}
    details = {name: text for name, text in given.items() if text.strip()}
    try:
        flows.decide(
            lawful,
            mailer_of(request),
            message_id,
            decision,
            actor=actor_of(user),
            now=_now(),
            details=details,
        )
    except LawfulError as error:
        kind = kind_of(error)
        if not kind.public:
            raise
        return _detail(request, user, message_id, error=error.message)
    return RedirectResponse("/admin/intake", status_code=303)
