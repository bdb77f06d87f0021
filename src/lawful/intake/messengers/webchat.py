"""The web chat of the operator's site (``/chat.js``): a visitor token signed by lawful, then
messages posted with it.

The browser holds no secret. ``POST /api/v1/chat/sessions`` gives a new visitor a random id and
a token — HMAC-SHA256 of the id under ``LAWFUL_WEBCHAT_SECRET`` — that the script keeps in
``localStorage``; every message carries both, and a token that does not match its id (checked
in constant time) is refused with nothing stored, so nobody can write as another visitor. Each
message carries a client-made ``message_id``: a message sent again is stored once. The visitor
is linked by their id (kind ``web_chat``). Replies are read by the script from the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pydantic import BaseModel, Field, ValidationError

from lawful.errors import PolicyViolation, Unauthorized
from lawful.intake.messengers.base import Inbound, canonical, load_json, same_secret, text_of
from lawful.settings import MessengerSettings

CHANNEL = "web_chat"
ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
MAX_TEXT = 4000


class ChatMessage(BaseModel):
    """What the script posts."""

    visitor_id: str = Field(pattern=ID_PATTERN)
    token: str = Field(pattern=r"^[0-9a-f]{64}$")
    message_id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


@dataclass(frozen=True)
class VisitorSession:
    visitor_id: str
    token: str


@dataclass(frozen=True)
class WebChat:
    settings: MessengerSettings
    channel: str = CHANNEL

    def token_for(self, visitor_id: str) -> str | None:
        """The visitor's token; None when the web chat has no key."""
        key = self.settings.webchat_secret
        if not key:
            return None
        return hmac.new(
            key.encode(), f"web_chat\x00{visitor_id}".encode(), hashlib.sha256
        ).hexdigest()

    def new_session(self) -> VisitorSession:
        visitor_id = secrets.token_urlsafe(18)
        token = self.token_for(visitor_id)
        if token is None:
            raise Unauthorized("the web chat is not configured (LAWFUL_WEBCHAT_SECRET)")
        return VisitorSession(visitor_id, token)

    def verify(self, message: ChatMessage) -> None:
        same_secret(message.token, self.token_for(message.visitor_id), field="token")

    def split(self, body: bytes) -> list[Inbound]:
        try:
            message = ChatMessage.model_validate(load_json(body))
        except ValidationError as error:
            where = ".".join(str(part) for part in error.errors()[0]["loc"]) or "body"
            raise PolicyViolation("the chat message is invalid", field=where) from None
        return [self.inbound(message)]

    def inbound(self, message: ChatMessage) -> Inbound:
        """Verify the visitor's token, then the message as stored (without the token)."""
        self.verify(message)
        return self.read(canonical(message.model_dump(exclude={"token"})))

    def read(self, raw: bytes) -> Inbound:
        fields = load_json(raw)
        visitor = fields.get("visitor_id") if isinstance(fields, dict) else None
        if not isinstance(visitor, str) or not visitor:
            raise PolicyViolation("the message has no visitor", field="visitor_id")
        return Inbound(
            channel=CHANNEL,
            raw=raw,
            handle_kind="web_chat",
            handle=visitor,
            text=text_of(fields.get("text")),
            reply_to=None,
        )

    def send(self, to: str, text: str) -> None:
        raise PolicyViolation("the web chat reads its answers from lawful", field="web_chat")
