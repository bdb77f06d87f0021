"""Telegram Bot API: the ``Update`` webhook in, ``sendMessage`` out.

Telegram sends the ``secret_token`` given to ``setWebhook`` in the
``X-Telegram-Bot-Api-Secret-Token`` header; it is compared in constant time. One update carries
at most one message; the update's bytes are stored as they came (Telegram retries the same
bytes, so a retry is stored once). The sender is linked by their numeric user id (a username
can change hands), kind ``telegram``; the reply goes to the chat the message came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lawful.errors import ConnectorFailure, PolicyViolation
from lawful.intake.messengers.base import Inbound, load_json, same_secret, text_of
from lawful.intake.messengers.outbound import SecretInPath, post_json
from lawful.settings import MessengerSettings

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
#: Update fields that carry a message lawful reads; other updates are acknowledged, not stored.
MESSAGE_FIELDS = ("message", "edited_message")


@dataclass(frozen=True)
class Telegram:
    settings: MessengerSettings
    channel: str = CHANNEL

    def verify(self, header: str | None) -> None:
        same_secret(header, self.settings.telegram_webhook_secret, field=SECRET_HEADER)

    def split(self, body: bytes) -> list[Inbound]:
        update = load_json(body)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise PolicyViolation("not a Telegram Update", field="update_id")
        if _message(update) is None:
            return []
        return [self.read(body)]

    def read(self, raw: bytes) -> Inbound:
        message = _message(load_json(raw)) or {}
        sender = message.get("from")
        if not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
            raise PolicyViolation("the message has no sender", field="message.from")
        chat = message.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        text = text_of(message.get("text")) or text_of(message.get("caption"))
        return Inbound(
            channel=CHANNEL,
            raw=raw,
            handle_kind="telegram",
            handle=str(sender["id"]),
            text=text,
            reply_to=str(chat_id) if isinstance(chat_id, int) else None,
        )

    def send(self, to: str, text: str) -> None:
        token = self.settings.telegram_bot_token
        if not token:
            raise PolicyViolation("LAWFUL_TELEGRAM_BOT_TOKEN is not set", field="telegram")
        base = f"{self.settings.telegram_api_url}/bot{SecretInPath.PLACEHOLDER}"
        body = {"chat_id": to, "text": text}
        answer = post_json(CHANNEL, base, "/sendMessage", body, transport=SecretInPath(token))
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            raise ConnectorFailure("telegram: sendMessage was not ok", permanent=True)


def _message(update: Any) -> dict[str, Any] | None:
    for name in MESSAGE_FIELDS:
        message = update.get(name) if isinstance(update, dict) else None
        if isinstance(message, dict):
            return message
    return None
