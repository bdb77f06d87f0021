"""Data-subject requests over HTTP: the public side and the operator's side.

Public (``/api/v1/requests``): submit, verify the code, ask for a new code, see the status,
download a prepared report once. Every answer is the same whether the identifier is known or
not; identifiers and codes travel in bodies, never in URLs; per-IP and per-identifier limits
stop floods and code guessing. Operator (``/api/v1/operator/requests``): list and filter,
enter a written request, verify, assign, act, extend, complete, reject — behind the bearer
token ``LAWFUL_OPERATOR_TOKEN``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, cast, get_args

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, EmailStr, Field

from lawful.connectors import orchestration
from lawful.context import Lawful
from lawful.destruction import render
from lawful.destruction import service as destruction
from lawful.destruction.service import Destroyer
from lawful.documents.service import reading
from lawful.errors import LockedOut, PolicyViolation, Unauthorized
from lawful.mail import Mailer, mailer_from
from lawful.requests import flows, models, service
from lawful.requests.deadlines import KINDS
from lawful.sms import Texter, texter_from
from lawful.web.routes import LawfulDep

public = APIRouter(prefix="/requests", tags=["requests"])
operator = APIRouter(prefix="/operator/requests", tags=["requests (operator)"])
acts = APIRouter(prefix="/operator/destruction-acts", tags=["requests (operator)"])

Kind = Literal[
    "access",
    "rectification",
    "restriction",
    "unblocking",
    "erasure",
    "withdrawal",
    "objection",
    "distribution_stop",
    "transfer_info",
    "portability",
]
if set(KINDS) != set(get_args(Kind)):  # the two lists must not drift apart
    raise RuntimeError("request kinds differ between the API and lawful.requests")


# --- shared ---------------------------------------------------------------------------------


class RateLimiter:
    """A sliding one-hour window per key, in this process (behind a load balancer each API
    process counts its own share; the per-identifier limit is counted in the database)."""

    def __init__(self, limit: int, window: float = 3600.0) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                raise LockedOut(
                    "too many requests: try again later",
                    retry_after=int(seen[0] + self.window - now) + 1,
                )
            seen.append(now)


def _state(request: Request, name: str, make: Any) -> Any:
    if not hasattr(request.app.state, name):
        setattr(request.app.state, name, make())
    return getattr(request.app.state, name)


#: SMTP sessions the API keeps open between mails (one per concurrent sender).
KEPT_SMTP_SESSIONS = 4


def mailer_of(request: Request) -> Mailer:
    return app_mailer(request.app)


def app_mailer(app: FastAPI) -> Mailer:
    """The app's mailer, made on first use (it keeps SMTP sessions open between mails)."""
    if not hasattr(app.state, "requests_mailer"):
        lawful: Lawful = app.state.lawful
        sender = lawful.settings.mail_from or (
            lawful.policy.operator.requests_email if lawful.policy else None
        )
        made = mailer_from(lawful.settings.smtp_url, sender, keep_open=KEPT_SMTP_SESSIONS)
        app.state.requests_mailer = made
    return cast(Mailer, app.state.requests_mailer)


async def _mailer_dependency(request: Request) -> Mailer:
    return mailer_of(request)


MailerDep = Annotated[Mailer, Depends(_mailer_dependency)]


def texter_of(request: Request) -> Texter:
    """The SMS gateway that texts codes to phones (``LAWFUL_SMS_URL``), if one is set."""
    settings = cast(Lawful, request.app.state.lawful).settings
    made = _state(
        request,
        "requests_texter",
        lambda: texter_from(settings.sms_url, settings.sms_body, settings.sms_token),
    )
    return cast(Texter, made)


async def _texter_dependency(request: Request) -> Texter:
    return texter_of(request)


TexterDep = Annotated[Texter, Depends(_texter_dependency)]


def limit_ip(request: Request) -> None:
    lawful: Lawful = request.app.state.lawful
    # Public steps per IP: a generous multiple of the per-identifier limit (one person makes
    # several calls per request: submit, verify, status, download).
    limiter: RateLimiter = _state(
        request, "requests_ip_limiter", lambda: RateLimiter(lawful.settings.request_rate_limit * 6)
    )
    limiter.hit(request.client.host if request.client else "unknown")


async def ip_limited(request: Request) -> None:
    """:func:`limit_ip` as a dependency (``async``: no thread-pool hop for a dict update)."""
    limit_ip(request)


def as_json(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as the JSON answer, serialised in the endpoint's own thread: a sync endpoint
    that returns a model has FastAPI validate it again in a second hop to the thread pool
    (~0.3 ms of CPU a step; a request's lifecycle took four). The route keeps its
    ``response_model`` for the OpenAPI document."""
    return Response(model.model_dump_json(), status_code=status_code, media_type=JSON)


JSON = "application/json"


def _now() -> datetime:
    return datetime.now(UTC)


# --- public side ----------------------------------------------------------------------------


class RequestIn(BaseModel):
    kind: Kind
    email: EmailStr | None = Field(
        default=None, description="The e-mail address on record; the code is mailed there."
    )
    phone: str | None = Field(
        default=None,
        min_length=3,
        max_length=32,
        description="Or the phone number on record (international format); the code is sent "
        "there by SMS, where the operator has an SMS gateway.",
    )
    language: Literal["en", "ru"] = "en"
    message: str = Field(default="", max_length=10_000)
    purpose: str | None = Field(
        default=None, max_length=64, description="withdrawal: the purpose (none: every consent)"
    )
    details: dict[str, str] = Field(
        default_factory=dict,
        description="rectification: category, value; distribution_stop: full_name, contact, data",
    )

    def identifier(self) -> tuple[str, str]:
        """``(kind, value)``: the e-mail address or the phone number, exactly one of them."""
        if self.email is not None and self.phone is None:
            return "email", str(self.email)
        if self.phone is not None and self.email is None:
            return "phone", self.phone
        raise PolicyViolation("give either email or phone (one of them)", field="email")


class Accepted(BaseModel):
    request_id: str
    state: str
    detail: str = (
        "If the address (or number) is on record with us or not, a code was sent to it; "
        "enter it to confirm the request."
    )


class CodeIn(BaseModel):
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


class StatusOut(BaseModel):
    request_id: str
    kind: str
    state: str
    received_at: datetime
    answer_due: datetime | None


@public.post("", status_code=202, response_model=Accepted, dependencies=[Depends(ip_limited)])
def submit_request(
    body: RequestIn, lawful: LawfulDep, mailer: MailerDep, texter: TexterDep
) -> Response:
    """Exercise a right. The answer is the same whether or not we know the address (or number)."""
    identifier_kind, identifier = body.identifier()
    intake = service.Intake(
        kind=body.kind,
        identifier_kind=identifier_kind,
        identifier=identifier,
        language=body.language,
        channel="api",
        message=body.message,
        purpose=body.purpose,
        details=body.details,
    )
    request = flows.submit(
        lawful,
        mailer,
        intake,
        actor="requester",
        now=_now(),
        limit_per_hour=lawful.settings.request_rate_limit,
        texter=texter,
    )
    return as_json(Accepted(request_id=request.id, state=request.state), 202)


@public.post("/{request_id}/verify", response_model=StatusOut, dependencies=[Depends(ip_limited)])
def verify_request(request_id: str, body: CodeIn, lawful: LawfulDep) -> Response:
    """Confirm the request with the code from the mail (5 tries, then a one-hour lock-out)."""
    verified = flows.verify(lawful, request_id, body.code, now=_now())
    return as_json(_status_out(verified.request, verified.answer_due))


@public.post("/{request_id}/resend", status_code=202, dependencies=[Depends(ip_limited)])
def resend_code(
    request_id: str, lawful: LawfulDep, mailer: MailerDep, texter: TexterDep
) -> dict[str, str]:
    """Send a new code (at most five per request)."""
    flows.resend(lawful, mailer, request_id, now=_now(), texter=texter)
    return {"detail": "If the request awaits confirmation, a new code was sent."}


@public.get("/{request_id}", response_model=StatusOut, dependencies=[Depends(ip_limited)])
def request_status(request_id: str, lawful: LawfulDep) -> Response:
    """Where the request stands and when it will be answered at the latest."""
    return as_json(_status(lawful, request_id))


def _status(lawful: Lawful, request_id: str) -> StatusOut:
    with reading(lawful.engine) as session:
        request = service.get(session, request_id)
        due = service.due(session, request_id, "answer")
    return _status_out(request, due)


def _status_out(request: models.Request, answer_due: datetime | None) -> StatusOut:
    return StatusOut(
        request_id=request.id,
        kind=request.kind,
        state=request.state,
        received_at=request.received_at,
        answer_due=answer_due,
    )


@public.get(
    "/downloads/{token}",
    dependencies=[Depends(ip_limited)],
    responses={200: {"content": {"application/zip": {}}}},
)
def download_report(token: str, lawful: LawfulDep) -> Response:
    """The prepared report (HTML, PDF, JSON, CSV in one ZIP): once, within 7 days."""
    return report_response(*flows.download(lawful, token, now=_now()))


def report_response(name: str, data: bytes) -> Response:
    """The report's ZIP as a download that no cache keeps (the API's link and the portal)."""
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# --- operator side --------------------------------------------------------------------------


async def require_operator(
    lawful: LawfulDep, authorization: Annotated[str | None, Header()] = None
) -> str:
    expected = lawful.settings.operator_token
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not expected or not given or not hmac.compare_digest(given, expected):
        raise Unauthorized("send Authorization: Bearer <LAWFUL_OPERATOR_TOKEN>")
    return "operator"


ActorDep = Annotated[str, Depends(require_operator)]


class Listed(BaseModel):
    request_id: str
    kind: str
    state: str
    channel: str
    assignee: str | None
    received_at: datetime
    next_deadline: str | None
    due_at: datetime | None
    overdue: bool


@operator.get("", response_model=list[Listed])
def list_requests(
    lawful: LawfulDep,
    _actor: ActorDep,
    state: str | None = None,
    kind: str | None = None,
    overdue: bool = False,
    due_within_hours: Annotated[int | None, Query(ge=0, le=24 * 366)] = None,
) -> list[Listed]:
    """Open requests, soonest deadline first."""
    now = _now()
    within = timedelta(hours=due_within_hours) if due_within_hours is not None else None
    with reading(lawful.engine) as session:
        rows = service.listing(
            session=session, now=now, overdue=overdue, due_within=within, state=state, kind=kind
        )
    return [
        Listed(
            request_id=r.request.id,
            kind=r.request.kind,
            state=r.request.state,
            channel=r.request.channel,
            assignee=r.request.assignee,
            received_at=r.request.received_at,
            next_deadline=r.next_name,
            due_at=r.next_due,
            overdue=r.next_due is not None and r.next_due < now,
        )
        for r in rows
    ]


class AttachmentIn(BaseModel):
    name: str = Field(max_length=200)
    media_type: str = Field(default="application/octet-stream", max_length=100)
    content_base64: str


class StaffRequestIn(BaseModel):
    kind: Kind
    identifier_kind: Literal["email", "phone"]
    identifier: str = Field(min_length=3, max_length=320)
    language: Literal["en", "ru"] = "en"
    channel: Literal["post", "phone", "email", "staff"] = "post"
    message: str = Field(default="", max_length=10_000)
    purpose: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    verified_reason: str | None = Field(
        default=None, max_length=500, description="How staff checked the identity, if they did."
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class Deadline(BaseModel):
    name: str
    due_at: datetime
    jurisdiction: str | None
    rule: str | None
    source: str
    extended: bool
    met_at: datetime | None


class Step(BaseModel):
    at: datetime
    action: str
    actor: str
    note: str


class ConnectorStatus(BaseModel):
    run: int
    connector: str
    action: str
    state: str
    attempts: int
    counts: dict[str, int]
    note: str
    person: str | None


class Detail(BaseModel):
    request_id: str
    kind: str
    state: str
    channel: str
    verification: str | None
    assignee: str | None
    outcome: str | None
    subject_known: bool
    received_at: datetime
    deadlines: list[Deadline]
    timeline: list[Step]
    #: Each connector's run: state (queued, done, manual), attempts, rows per place, note.
    connectors: list[ConnectorStatus] = Field(default_factory=list)


@operator.post("", status_code=201, response_model=Detail)
def enter_request(body: StaffRequestIn, lawful: LawfulDep, actor: ActorDep) -> Response:
    """Enter a written or phoned request, with its scanned evidence (stored encrypted)."""
    intake = service.Intake(
        kind=body.kind,
        identifier_kind=body.identifier_kind,
        identifier=body.identifier,
        language=body.language,
        channel=body.channel,
        message=body.message,
        purpose=body.purpose,
        details=body.details,
    )
    files = [
        flows.Attachment(a.name, a.media_type, _decode(a.content_base64, i))
        for i, a in enumerate(body.attachments)
    ]
    request = flows.enter(
        lawful,
        intake,
        verified_reason=body.verified_reason,
        attachments=files,
        actor=actor,
        now=_now(),
    )
    return as_json(detail(lawful, request.id), 201)


def _decode(text: str, index: int) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PolicyViolation("not base64", field=f"attachments.{index}.content_base64") from None


@operator.get("/{request_id}", response_model=Detail)
def show_request(request_id: str, lawful: LawfulDep, _actor: ActorDep) -> Response:
    """One request with its deadlines and complete timeline."""
    return as_json(detail(lawful, request_id))


def detail(lawful: Lawful, request_id: str) -> Detail:
    """The operator's view of one request: its state, deadlines, timeline and connector runs
    (what every operator action answers with)."""
    with reading(lawful.engine) as session:
        seen = service.overview(session, request_id)
        runs = [
            ConnectorStatus.model_validate(x) for x in orchestration.status(session, request_id)
        ]
    r = seen.request
    deadlines = [Deadline.model_validate(d, from_attributes=True) for d in seen.deadlines]
    steps = [Step.model_validate(e, from_attributes=True) for e in seen.timeline]
    return Detail(
        request_id=r.id,
        kind=r.kind,
        state=r.state,
        channel=r.channel,
        verification=r.verification,
        assignee=r.assignee,
        outcome=r.outcome,
        subject_known=r.subject_id is not None,
        received_at=r.received_at,
        deadlines=deadlines,
        timeline=steps,
        connectors=runs,
    )


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=64)


class ActIn(BaseModel):
    destroyed_by: str | None = Field(
        default=None, max_length=200, description="erasure: who destroys (for the act)"
    )
    position: str | None = Field(default=None, max_length=200)


@operator.post("/{request_id}/verify", response_model=Detail)
def staff_verify(request_id: str, body: ReasonIn, lawful: LawfulDep, actor: ActorDep) -> Response:
    """Staff checked the identity (e.g. a signed written request): record how."""
    with lawful.sessions.begin() as session:
        service.verify_by_staff(
            session=session,
            policy=lawful.require_policy(),
            request_id=request_id,
            reason=body.reason,
            actor=actor,
            now=_now(),
        )
    return as_json(detail(lawful, request_id))


@operator.post("/{request_id}/assign", response_model=Detail)
def assign_request(request_id: str, body: AssignIn, lawful: LawfulDep, actor: ActorDep) -> Response:
    with lawful.sessions.begin() as session:
        service.assign(
            session=session, request_id=request_id, assignee=body.assignee, actor=actor, now=_now()
        )
    return as_json(detail(lawful, request_id))


@operator.post("/{request_id}/act", response_model=Detail)
def act_on_request(
    request_id: str, body: ActIn, lawful: LawfulDep, actor: ActorDep, mailer: MailerDep
) -> Response:
    """Carry out the request (report, rectify, block, erase, withdraw, object, stop)."""
    destroyer = Destroyer(body.destroyed_by, body.position or "") if body.destroyed_by else None
    flows.act(lawful, mailer, request_id, actor=actor, now=_now(), destroyer=destroyer)
    return as_json(detail(lawful, request_id))


@operator.post("/{request_id}/extend", response_model=Detail)
def extend_request(
    request_id: str, body: ReasonIn, lawful: LawfulDep, actor: ActorDep, mailer: MailerDep
) -> Response:
    """Extend the answer deadline where the law allows, telling the person why."""
    flows.extend(lawful, mailer, request_id, body.reason, actor=actor, now=_now())
    return as_json(detail(lawful, request_id))


@operator.post("/{request_id}/complete", response_model=Detail)
def complete_request(
    request_id: str, lawful: LawfulDep, actor: ActorDep, mailer: MailerDep
) -> Response:
    """Send the response document and close the request."""
    flows.complete(lawful, mailer, request_id, actor=actor, now=_now())
    return as_json(detail(lawful, request_id))


@operator.post("/{request_id}/reject", response_model=Detail)
def reject_request(
    request_id: str, body: ReasonIn, lawful: LawfulDep, actor: ActorDep, mailer: MailerDep
) -> Response:
    """Refuse with the legal reason; the person gets the refusal as the response."""
    flows.reject(lawful, mailer, request_id, body.reason, actor=actor, now=_now())
    return as_json(detail(lawful, request_id))


ACT_MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


@acts.get(
    "/{act}",
    responses={200: {"content": {media: {} for media in ACT_MEDIA.values()}}},
)
def destruction_act(
    act: str,
    lawful: LawfulDep,
    _actor: ActorDep,
    format: Literal["md", "html", "pdf"] = "md",  # noqa: A002 - the query parameter's name
    language: Literal["en", "ru"] = "ru",
) -> Response:
    """A destruction act (RKN Order No. 179 fields) with its log extract, by id or number."""
    with reading(lawful.engine) as session:
        found = destruction.get_act(session, act)
        markdown = render.act_markdown(found, destruction.subjects_of(session, found), language)
    title = markdown.splitlines()[0].lstrip("# ")
    if format == "pdf":
        body: bytes | str = render.act_pdf(markdown, title)
    elif format == "html":
        body = render.standalone_page(markdown, title, language)
    else:
        body = markdown
    return Response(body, media_type=ACT_MEDIA[format])
