"""The requests queue, one request's page, the steps the law allows next, and the acts.

The steps call the same operator flows as ``/api/v1/operator/requests`` (verify by staff with
the reason, act, extend, complete, reject, assign); a refused step shows the request again
with the reason. Nothing here shows what the person wrote: that is personal data, seen in the
subject view by the roles allowed to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.connectors import orchestration
from lawful.destruction import render as act_render
from lawful.destruction import service as destruction
from lawful.destruction.models import DestructionAct
from lawful.errors import LawfulError
from lawful.requests import flows, service
from lawful.requests.deadlines import KINDS
from lawful.requests.models import Request as Request_
from lawful.requests.models import RequestFile
from lawful.subjects.models import Subject
from lawful.users.models import AdminUser
from lawful.web.pages.admin.auth import (
    ACTORS,
    Actor,
    Posted,
    Viewer,
    _now,
    actor_names,
    actor_of,
    admin_router,
)
from lawful.web.pages.admin.words import STATES, page
from lawful.web.pages.rendering import page_language
from lawful.web.problems import kind_of
from lawful.web.routes import lawful_of
from lawful.web.routes.requests import ACT_MEDIA, mailer_of

router = admin_router()
Reason = Annotated[str, Form(min_length=1, max_length=1000)]


@router.get("/requests")
def queue(
    request: Request,
    user: Viewer,
    state: Annotated[str, Query(max_length=32)] = "",
    kind: Annotated[str, Query(max_length=32)] = "",
    overdue: bool = False,
    sort: Literal["deadline", "received"] = "deadline",
) -> Response:
    """Open requests, by deadline (soonest first) or by arrival (newest first)."""
    lawful, now = lawful_of(request), _now()
    with lawful.sessions() as session:
        rows = service.listing(
            session=session,
            now=now,
            overdue=overdue,
            state=state if state in STATES else None,
            kind=kind if kind in KINDS else None,
        )
    if sort == "received":
        rows.sort(key=lambda r: r.request.received_at, reverse=True)
    context = {
        "user": user,
        "rows": rows,
        "now": now,
        "filters": {"state": state, "kind": kind, "overdue": overdue, "sort": sort},
        "kinds": KINDS,
        "states": [s for s in STATES if s in service.OPEN_STATES],
    }
    return page(request, "admin/requests.html", context)


@dataclass(frozen=True)
class NextSteps:
    """What the law and the request's state allow now."""

    verify: bool
    act: bool
    extend: bool
    complete: bool
    reject: bool
    assign: bool

    @property
    def any(self) -> bool:
        return any((self.verify, self.act, self.extend, self.complete, self.reject))


def next_steps(req: Request_, answer_open: bool) -> NextSteps:
    state = req.state
    return NextSteps(
        verify=state == "awaiting_verification",
        act=state in ("verified", "in_progress"),
        extend=state in service.OPEN_STATES and not req.extended and answer_open,
        complete=state == "fulfilled",
        reject=state in ("awaiting_verification", "verified", "in_progress"),
        assign=state in service.OPEN_STATES,
    )


def acts_of(session: Session, request_id: str) -> list[DestructionAct]:
    """The destruction acts an erasure request ended in (their reason names the request)."""
    query = sa.select(DestructionAct).where(
        DestructionAct.reason == f"erasure request {request_id}"
    )
    return list(session.scalars(query.order_by(DestructionAct.destroyed_at)))


def _detail(
    request: Request,
    user: AdminUser,
    request_id: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    lawful, now = lawful_of(request), _now()
    with lawful.sessions() as session:
        req = service.get(session, request_id)
        deadlines = service.deadlines_of(session, request_id)
        timeline = service.timeline(session, request_id)
        files = list(
            session.scalars(
                sa.select(RequestFile)
                .where(RequestFile.request_id == request_id)
                .order_by(RequestFile.id)
            )
        )
        context = {
            "user": user,
            "req": req,
            "now": now,
            "deadlines": deadlines,
            "timeline": timeline,
            "actors": actor_names(session, {e.actor for e in timeline}),
            "connectors": orchestration.status(session, request_id),
            "files": files,
            "acts": acts_of(session, request_id),
            "held": req.subject_id is not None and session.get(Subject, req.subject_id) is not None,
            "error": error,
        }
    answer = next((d for d in deadlines if d.name == "answer"), None)
    answer_open = answer is not None and answer.met_at is None and answer.due_at > now
    steps = next_steps(req, answer_open)
    context["steps"] = steps if user.role in ACTORS else NextSteps(*([False] * 6))
    return page(request, "admin/request.html", context, status=status)


@router.get("/requests/{request_id}")
def show(request: Request, request_id: str, user: Viewer) -> Response:
    return _detail(request, user, request_id)


def _step(
    request: Request, user: AdminUser, request_id: str, do: Callable[[str, datetime], object]
) -> Response:
    """Run one step; on success show the request again (303), else say why on its page."""
    try:
        do(actor_of(user), _now())
    except LawfulError as error:
        kind = kind_of(error)
        if not kind.public:
            raise
        return _detail(request, user, request_id, error=error.message, status=kind.status)
    return RedirectResponse(f"/admin/requests/{request_id}", status_code=303)


@router.post("/requests/{request_id}/verify", dependencies=[Posted])
def verify(request: Request, request_id: str, user: Actor, reason: Reason) -> Response:
    """Staff checked the identity (a signed letter, an ID shown): record how."""
    lawful = lawful_of(request)

    def do(actor: str, now: datetime) -> None:
        with lawful.sessions.begin() as session:
            service.verify_by_staff(
                session=session,
                policy=lawful.require_policy(),
                request_id=request_id,
                reason=reason,
                actor=actor,
                now=now,
            )

    return _step(request, user, request_id, do)


@router.post("/requests/{request_id}/assign", dependencies=[Posted])
def assign(
    request: Request,
    request_id: str,
    user: Actor,
    assignee: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    lawful = lawful_of(request)

    def do(actor: str, now: datetime) -> None:
        with lawful.sessions.begin() as session:
            service.assign(
                session=session, request_id=request_id, assignee=assignee, actor=actor, now=now
            )

    return _step(request, user, request_id, do)


@router.post("/requests/{request_id}/act", dependencies=[Posted])
def act(
    request: Request,
    request_id: str,
    user: Actor,
    destroyed_by: Annotated[str, Form(max_length=200)] = "",
    position: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Carry out the request (report, rectify, block, erase, withdraw, object, stop)."""
    lawful, mailer = lawful_of(request), mailer_of(request)
    destroyer = (
        destruction.Destroyer(destroyed_by.strip(), position.strip())
        if destroyed_by.strip()
        else None
    )

    def do(actor: str, now: datetime) -> None:
        flows.act(lawful, mailer, request_id, actor=actor, now=now, destroyer=destroyer)

    return _step(request, user, request_id, do)


@router.post("/requests/{request_id}/extend", dependencies=[Posted])
def extend(request: Request, request_id: str, user: Actor, reason: Reason) -> Response:
    lawful, mailer = lawful_of(request), mailer_of(request)

    def do(actor: str, now: datetime) -> None:
        flows.extend(lawful, mailer, request_id, reason, actor=actor, now=now)

    return _step(request, user, request_id, do)


@router.post("/requests/{request_id}/complete", dependencies=[Posted])
def complete(request: Request, request_id: str, user: Actor) -> Response:
    lawful, mailer = lawful_of(request), mailer_of(request)

    def do(actor: str, now: datetime) -> None:
        flows.complete(lawful, mailer, request_id, actor=actor, now=now)

    return _step(request, user, request_id, do)


@router.post("/requests/{request_id}/reject", dependencies=[Posted])
def reject(request: Request, request_id: str, user: Actor, reason: Reason) -> Response:
    lawful, mailer = lawful_of(request), mailer_of(request)

    def do(actor: str, now: datetime) -> None:
        flows.reject(lawful, mailer, request_id, reason, actor=actor, now=now)

    return _step(request, user, request_id, do)


@router.get("/acts/{act_id}.{fmt}")
def act_file(
    request: Request, act_id: str, fmt: Literal["md", "html", "pdf"], user: Viewer
) -> Response:
    """A destruction act (RKN Order No. 179 fields) with its log extract, as a download."""
    lawful = lawful_of(request)
    language = "ru" if page_language(request) == "ru" else "en"
    with lawful.sessions() as session:
        found = destruction.get_act(session, act_id)
        markdown = act_render.act_markdown(found, destruction.subjects_of(session, found), language)
    title = markdown.splitlines()[0].lstrip("# ")
    body: bytes | str
    if fmt == "pdf":
        body = act_render.act_pdf(markdown, title)
    elif fmt == "html":
        body = act_render.standalone_page(markdown, title, language)
    else:
        body = markdown
    name = f"destruction-act-{found.number}.{fmt}"
    return Response(
        body,
        media_type=ACT_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
