"""Text messages (SMS) through the operator's gateway: a generic "SMS webhook".

Most SMS providers take an HTTP POST of a JSON body; only its shape differs. The operator sets
``LAWFUL_SMS_URL``, optionally ``LAWFUL_SMS_TOKEN`` (sent as ``Authorization: Bearer``), and
``LAWFUL_SMS_BODY``: a JSON template whose strings may hold ``{to}`` (the number, E.164) and
``{text}`` — e.g. ``{"messages": [{"destination": "{to}", "content": "{text}"}]}``; default
``{"to": "{to}", "text": "{text}"}``. The values are put in as JSON strings, so a message can
never break the body's structure.

As for mail (:mod:`lawful.mail`), flows say *what* to send and the gateway is a setting; a
failure becomes :class:`~lawful.errors.SmsError` naming the status or the error's class, never
the number, the text or the gateway's answer (it may quote them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from lawful.errors import ConfigError, SmsError

TIMEOUT_SECONDS = 10.0
DEFAULT_BODY = '{"to": "{to}", "text": "{text}"}'
PLACEHOLDERS = ("{to}", "{text}")
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


class Texter(Protocol):
    def send(self, sms: Sms) -> None: ...


@dataclass(frozen=True)
class WebhookTexter:
    """POSTs each message as the JSON body ``template`` describes."""

    url: str
    template: Any
    token: str | None = None

    def send(self, sms: Sms) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = fill(self.template, {"{to}": sms.to, "{text}": sms.text})
        try:
            answer = httpx.post(self.url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            raise SmsError(f"the SMS gateway failed ({type(exc).__name__})") from None
        if answer.status_code >= 300:
            raise SmsError(f"the SMS gateway answered {answer.status_code}")


def fill(template: Any, values: dict[str, str]) -> Any:
    """``template`` with each placeholder in its strings replaced (keys stay as they are)."""
    if isinstance(template, str):  # one pass: a value holding "{to}" stays as it is
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(), m.group()), template)
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: fill(item, values) for key, item in template.items()}
    return template


@dataclass(frozen=True)
class NoTexter:
    """Stands in when no gateway is configured: every send is refused, loudly."""

    def send(self, sms: Sms) -> None:
        raise SmsError("no SMS gateway is configured: set LAWFUL_SMS_URL")


def texter_from(url: str | None, body: str | None = None, token: str | None = None) -> Texter:
    """The texter the settings describe; a bad URL or body template is a ``ConfigError``."""
    if not url:
        return NoTexter()
    if urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError("LAWFUL_SMS_URL must start with http:// or https://")
    try:
        template = json.loads(body or DEFAULT_BODY)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"LAWFUL_SMS_BODY is not JSON (line {exc.lineno}, column {exc.colno}): "
            'write it like {"to": "{to}", "text": "{text}"}'
        ) from None
    text = json.dumps(template)
    missing = [p for p in PLACEHOLDERS if p not in text]
    if not isinstance(template, dict) or missing:
        raise ConfigError(
            "LAWFUL_SMS_BODY must be a JSON object whose strings hold {to} and {text}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    return WebhookTexter(url, template, token)


def configured(texter: Texter) -> bool:
    return not isinstance(texter, NoTexter)
