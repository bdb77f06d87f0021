"""Messenger webhooks, the web chat, outgoing messages and the intake statistics.

Webhooks (thin: verify, split, store, then process in the background):

* ``POST /channels/telegram`` — Telegram ``Update``; ``X-Telegram-Bot-Api-Secret-Token``;
* ``GET /channels/whatsapp`` — Meta's verification handshake; ``POST /channels/whatsapp`` —
  signed events (``X-Hub-Signature-256`` over the raw body);
* ``POST /channels/kommo/{secret}`` — Kommo's ``message[add]`` webhook, on a secret path;
* ``POST /api/v1/chat/sessions`` and ``POST /api/v1/chat/messages`` — the web chat of
  ``/chat.js`` (CORS for the operator's website only, like the consent widget).

A wrong secret or signature is a 401 problem and stores nothing; a verified call is answered
as soon as its messages are committed (sealed), and processed after the answer.

Operator routes (``Authorization: Bearer <LAWFUL_OPERATOR_TOKEN>``):

* ``POST /api/v1/intake/messages/{id}/reply`` — answer a Telegram or WhatsApp message;
* ``POST /api/v1/outgoing`` — send a marketing or notification message after the consent and
  objection check; a refusal is a 422 problem whose ``errors[0].code`` says why;
* ``GET /api/v1/intake/stats`` — counts and response times, without personal data.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    FastAPI,
    Header,
    Query,
    Request,
    Response,
)
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

from lawful.context import Lawful
from lawful.intake import messengers, outgoing, service, stats
from lawful.intake.messengers import flows
from lawful.intake.messengers.base import Inbound
from lawful.intake.messengers.kommo import Kommo
from lawful.intake.messengers.telegram import Telegram
from lawful.intake.messengers.webchat import ChatMessage, WebChat
from lawful.intake.messengers.whatsapp import WhatsApp
from lawful.web import problems
from lawful.web.routes import LawfulDep
from lawful.web.routes.requests import ActorDep, MailerDep, RateLimiter, app_mailer, ip_limited
from lawful.web.routes.widget import WidgetCORS, script_response, website_origin

webhooks = APIRouter(tags=["channels"])
operator = APIRouter(tags=["intake"])

CHAT_PREFIX = "/api/v1/chat"
#: New web chat visitors count against the public per-IP limit of the request API
#: (``LAWFUL_REQUEST_RATE_LIMIT`` × 6 an hour); each visitor may then send this many messages.
CHAT_MESSAGES_PER_HOUR = 120
_tools_lock = threading.Lock()


class Accepted(BaseModel):
    stored: int = Field(description="messages stored now (a message sent again is not)")


# --- webhooks ------------------------------------------------------------------------------


@webhooks.post("/channels/telegram", response_model=Accepted)
async def telegram_webhook(
    request: Request,
    background: BackgroundTasks,
    lawful: LawfulDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Accepted:
    """A Telegram ``Update``; other updates than messages are acknowledged and not stored."""
    adapter = Telegram(lawful.settings.messengers)
    adapter.verify(secret)
    return await _accept(request, background, adapter.split(await request.body()))


@webhooks.get("/channels/whatsapp", include_in_schema=False)
def whatsapp_handshake(
    lawful: LawfulDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=256)] = None,
) -> Response:
    """Meta's subscription check: the challenge back as text when the token is ours."""
    answer = WhatsApp(lawful.settings.messengers).handshake(mode, token, challenge)
    return Response(answer, media_type="text/plain")


@webhooks.post("/channels/whatsapp", response_model=Accepted)
async def whatsapp_webhook(
    request: Request,
    background: BackgroundTasks,
    lawful: LawfulDep,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> Accepted:
    """A signed WhatsApp Cloud API event; delivery statuses are acknowledged, not stored."""
    adapter = WhatsApp(lawful.settings.messengers)
    body = await request.body()
    adapter.verify(body, signature)
    return await _accept(request, background, adapter.split(body))


@webhooks.post("/channels/kommo/{secret}", response_model=Accepted, include_in_schema=False)
async def kommo_webhook(
    secret: str, request: Request, background: BackgroundTasks, lawful: LawfulDep
) -> Accepted:
    """Kommo's form-encoded chat messages; unsigned, so accepted only on the secret path."""
    adapter = Kommo(lawful.settings.messengers)
    adapter.verify(secret)
    return await _accept(request, background, adapter.split(await request.body()))


class ChatSession(BaseModel):
    visitor_id: str
    token: str = Field(description="HMAC of visitor_id under lawful's key: send it back")


class ChatAccepted(BaseModel):
    received: bool = Field(description="false: this message_id was stored before")


@webhooks.post(
    f"{CHAT_PREFIX}/sessions", response_model=ChatSession, dependencies=[Depends(ip_limited)]
)
def chat_session(lawful: LawfulDep) -> ChatSession:
    """A new web chat visitor: a random id and the token that proves it."""
    started = WebChat(lawful.settings.messengers).new_session()
    return ChatSession(visitor_id=started.visitor_id, token=started.token)


@webhooks.post(f"{CHAT_PREFIX}/messages", response_model=ChatAccepted, status_code=202)
async def chat_message(
    message: ChatMessage, request: Request, background: BackgroundTasks, lawful: LawfulDep
) -> ChatAccepted:
    """A visitor's message, with the token of their session (at most
    :data:`CHAT_MESSAGES_PER_HOUR` per visitor)."""
    inbound = WebChat(lawful.settings.messengers).inbound(message)
    limiter = getattr(request.app.state, "chat_limiter", None)
    if limiter is None:
        limiter = request.app.state.chat_limiter = RateLimiter(CHAT_MESSAGES_PER_HOUR)
    limiter.hit(message.visitor_id)
    accepted = await _accept(request, background, [inbound])
    return ChatAccepted(received=accepted.stored == 1)


@webhooks.get("/chat.js", include_in_schema=False)
def chat_script(request: Request) -> Response:
    """The web chat for the operator's site: plain JavaScript, no inline code or eval."""
    return script_response(request, "chat.js")


async def _accept(
    request: Request, background: BackgroundTasks, inbound: list[Inbound]
) -> Accepted:
    """Commit every message sealed, then process them after the answer has gone."""
    lawful: Lawful = request.app.state.lawful
    now = datetime.now(UTC)
    stored = await run_in_threadpool(flows.store, lawful, inbound, now=now)
    if stored:
        background.add_task(_process, request.app, stored)
    return Accepted(stored=len(stored))


def _process(app: FastAPI, message_ids: list[str]) -> None:
    """Runs after the answer; what fails stays ``received`` for the pending run to resume."""
    lawful: Lawful = app.state.lawful
    adapters = messengers.adapters(lawful.settings.messengers)
    try:
        now, mailer = datetime.now(UTC), app_mailer(app)
        flows.process(lawful, tools_of(app), adapters, message_ids, now=now, mailer=mailer)
    # The answer has gone: a bug here must neither reach the server's log with its message (it
    # may quote the text) nor stop the service. Its class and frames are enough to find it.
    except Exception as error:  # noqa: BLE001
        problems.unexpected_problem(error)


def tools_of(app: FastAPI) -> service.Tools:
    """The intake analysers, built once per app (name recognition takes a while to load)."""
    with _tools_lock:
        tools: service.Tools | None = getattr(app.state, "intake_tools", None)
        if tools is None:
            tools = service.Tools.for_policy(app.state.lawful.require_policy())
            app.state.intake_tools = tools
        return tools


# --- outgoing messages ---------------------------------------------------------------------


class OutgoingIn(BaseModel):
    channel: Literal["email", "telegram", "whatsapp"]
    to: str = Field(min_length=1, max_length=320, description="address, user id or phone")
    purpose: str = Field(min_length=1, max_length=64)
    kind: Literal["marketing", "notification"]
    text: str = Field(min_length=1, max_length=4096)
    subject: str = Field(default="", max_length=200)


class OutgoingOut(BaseModel):
    sent: bool
    reason: str = Field(description="the eligibility code the send was allowed by")


@operator.post("/outgoing", response_model=OutgoingOut)
def send_outgoing(
    body: OutgoingIn, lawful: LawfulDep, actor: ActorDep, mailer: MailerDep
) -> OutgoingOut:
    """Send one message after the consent and objection check (refused: 422, with why)."""
    checked = outgoing.send(
        lawful,
        outgoing.Outgoing(**body.model_dump()),
        mailer=mailer,
        adapters=messengers.adapters(lawful.settings.messengers),
        actor=actor,
        now=datetime.now(UTC),
    )
    return OutgoingOut(sent=True, reason=checked.eligibility.reason)


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096)


class ReplyOut(BaseModel):
    sent: bool
    channel: str


@operator.post("/intake/messages/{message_id}/reply", response_model=ReplyOut)
def reply_to_message(
    message_id: str, body: ReplyIn, lawful: LawfulDep, actor: ActorDep
) -> ReplyOut:
    """Answer a Telegram or WhatsApp message through its messenger (404: no such message)."""
    channel = flows.reply(lawful, message_id, body.text, actor=actor, now=datetime.now(UTC))
    return ReplyOut(sent=True, channel=channel)


# --- statistics ----------------------------------------------------------------------------


class DurationsOut(BaseModel):
    count: int
    median: float | None = Field(description="seconds")
    p90: float | None = Field(description="seconds")
    max: float | None = Field(description="seconds")


class StatsOut(BaseModel):
    since: datetime | None
    until: datetime | None
    messages: dict[str, dict[str, int]] = Field(description="channel -> message type -> count")
    message_states: dict[str, int]
    processing: dict[str, DurationsOut] = Field(description="channel -> arrival to processed")
    requests: dict[str, dict[str, int]] = Field(description="request kind -> state -> count")
    request_channels: dict[str, int]
    outcomes: dict[str, dict[str, int]] = Field(description="kind -> outcome -> count")
    answered: dict[str, DurationsOut] = Field(description="kind -> arrival to answer")


@operator.get("/intake/stats", response_model=StatsOut)
def intake_stats(
    lawful: LawfulDep,
    _actor: ActorDep,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Volumes per channel and type, request outcomes and response times: counts only."""
    with lawful.sessions() as session:
        return asdict(stats.compute(session, since=since, until=until))


# --- wiring --------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """Add the routes, and CORS on the web chat's routes for the operator's website. Call it
    last, like ``widget.install``, so that CORS is the outermost layer."""
    app.include_router(webhooks)
    app.include_router(operator, prefix="/api/v1")
    lawful: Lawful = app.state.lawful
    origin = website_origin(lawful.policy) if lawful.policy is not None else None
    if origin is not None:
        app.add_middleware(ChatCORS, origin=origin)


class ChatCORS(WidgetCORS):
    """The widget's CORS answer, on the web chat's routes only."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CHAT_PREFIX + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
