"""Kommo (amoCRM) chat messages: the ``message[add]`` webhook of every messenger connected to
the operator's Kommo account.

Kommo signs nothing: the webhook is accepted only on a secret path
(``/channels/kommo/<LAWFUL_KOMMO_CHAT_SECRET>``), compared in constant time and never logged.
The body is form-encoded with PHP bracket keys (``message[add][0][text]=..``); each incoming
message is stored as the JSON of its own fields. The sender is linked by their Kommo contact
id (kind ``kommo``). Replies are written in Kommo itself, which sends them through the
messenger the person used: lawful sends none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from lawful.errors import PolicyViolation
from lawful.intake.messengers.base import Inbound, canonical, load_json, same_secret, text_of
from lawful.settings import MessengerSettings

CHANNEL = "kommo"
#: ``message[add][0][text]`` and ``message[add][0][author][name]``.
FIELD = re.compile(r"message\[add\]\[(\d+)\]\[(\w+)\](?:\[(\w+)\])?")
MAX_MESSAGES = 100


@dataclass(frozen=True)
class Kommo:
    settings: MessengerSettings
    channel: str = CHANNEL

    def verify(self, secret: str) -> None:
        same_secret(secret, self.settings.kommo_chat_secret, field="secret")

    def split(self, body: bytes) -> list[Inbound]:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        messages: dict[int, dict[str, object]] = {}
        for key, value in pairs:
            match = FIELD.fullmatch(key)
            if match is None:
                continue
            index, name, sub = int(match[1]), match[2], match[3]
            if index >= MAX_MESSAGES:
                raise PolicyViolation("too many messages in one call", field="message[add]")
            fields = messages.setdefault(index, {})
            if sub is None:
                fields[name] = value
            elif isinstance(part := fields.setdefault(name, {}), dict):
                part[sub] = value
        incoming = [
            m for _, m in sorted(messages.items()) if m.get("type", "incoming") == "incoming"
        ]
        return [self.read(canonical(m)) for m in incoming]

    def read(self, raw: bytes) -> Inbound:
        fields = load_json(raw)
        contact = fields.get("contact_id") if isinstance(fields, dict) else None
        if not isinstance(contact, str) or not contact.isdigit():
            raise PolicyViolation("the message has no contact", field="message[add][contact_id]")
        return Inbound(
            channel=CHANNEL,
            raw=raw,
            handle_kind="kommo",
            handle=contact,
            text=text_of(fields.get("text")),
            reply_to=None,
        )

    def send(self, to: str, text: str) -> None:
        raise PolicyViolation("replies to Kommo chats are written in Kommo", field="kommo")
