"""WhatsApp Cloud API: the verification handshake, signed event webhooks in, messages out.

Meta verifies the callback with ``GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..``
(answered with the challenge when the token matches) and signs every event with
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``, checked in constant
time over the exact bytes. One call may carry several messages (and delivery statuses, which
are not messages); each message is stored as its own ``value`` object holding only it.

A WhatsApp id is the sender's phone number in international form, so the sender is linked by
the ``phone`` blind index — the same person known from a web form by phone is found.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from lawful.errors import PolicyViolation
from lawful.intake.messengers.base import Inbound, canonical, load_json, same_secret, text_of
from lawful.intake.messengers.outbound import post_json
from lawful.settings import MessengerSettings

CHANNEL = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"


@dataclass(frozen=True)
class WhatsApp:
    settings: MessengerSettings
    channel: str = CHANNEL

    def handshake(self, mode: str | None, token: str | None, challenge: str | None) -> str:
        """The challenge to echo, when Meta's verify token is ours."""
        if mode != "subscribe" or not challenge:
            raise PolicyViolation("not a subscription handshake", field="hub.mode")
        same_secret(token, self.settings.whatsapp_verify_token, field="hub.verify_token")
        return challenge

    def verify(self, body: bytes, header: str | None) -> None:
        secret = self.settings.whatsapp_app_secret
        expected = None
        if secret:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            expected = f"sha256={digest}"
        same_secret(header, expected, field=SIGNATURE_HEADER)

    def split(self, body: bytes) -> list[Inbound]:
        event = load_json(body)
        if not isinstance(event, dict) or event.get("object") != "whatsapp_business_account":
            raise PolicyViolation("not a WhatsApp Business Account event", field="object")
        found: list[Inbound] = []
        for value in _values(event):
            contacts = [c for c in value.get("contacts") or [] if isinstance(c, dict)]
            for message in value.get("messages") or []:
                if not isinstance(message, dict):
                    continue
                own = [c for c in contacts if c.get("wa_id") == message.get("from")]
                single = {
                    "metadata": value.get("metadata"),
                    "contacts": own,
                    "messages": [message],
                }
                found.append(self.read(canonical(single)))
        return found

    def read(self, raw: bytes) -> Inbound:
        value = load_json(raw)
        messages = value.get("messages") if isinstance(value, dict) else None
        message = messages[0] if isinstance(messages, list) and messages else {}
        sender = message.get("from") if isinstance(message, dict) else None
        if not isinstance(sender, str) or not sender.isdigit():
            raise PolicyViolation("the message has no sender", field="messages.from")
        return Inbound(
            channel=CHANNEL,
            raw=raw,
            handle_kind="phone",
            handle=f"+{sender}",
            text=_text(message),
            reply_to=sender,
        )

    def send(self, to: str, text: str) -> None:
        token, number = self.settings.whatsapp_access_token, self.settings.whatsapp_phone_number_id
        if not token or not number:
            raise PolicyViolation(
                "LAWFUL_WHATSAPP_ACCESS_TOKEN and LAWFUL_WHATSAPP_PHONE_NUMBER_ID must be set",
                field="whatsapp",
            )
        body = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": text}}
        post_json(
            CHANNEL,
            self.settings.whatsapp_api_url,
            f"/{number}/messages",
            body,
            headers={"Authorization": f"Bearer {token}"},
        )


def _values(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``value`` of every ``messages`` change of every entry."""
    values = []
    for entry in event.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            if isinstance(change, dict) and change.get("field") == "messages":
                value = change.get("value")
                if isinstance(value, dict):
                    values.append(value)
    return values


def _text(message: dict[str, Any]) -> str:
    """A text's body, or a caption of media; other types carry no text."""
    kind = message.get("type")
    part = message.get(kind) if isinstance(kind, str) else None
    if not isinstance(part, dict):
        return ""
    return text_of(part.get("body")) or text_of(part.get("caption"))
