"""Special categories of personal data the policy does not declare (152-FZ Art. 10, GDPR
Art. 9), found in an incoming message.

The operator has no basis to process them, so the policy chooses (``intake.undeclared_special``)
between holding the message in quarantine, sealed and unread by anything else, and keeping a
redacted copy in place of the original — every sentence naming such a category masked,
attachments dropped — which is then processed like any message. Either way the operator is
told, by a mail that names the channel, the categories and what was done, never the sender or
the words."""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

from lawful.config.models import Policy
from lawful.intake.detect import declared, mask_special
from lawful.intake.parse import Parsed
from lawful.mail import Mail

#: The reason a quarantined message carries.
REASON = "special-category"

#: Headers a redacted e-mail keeps: who wrote, to whom, when, and how to thread a reply.
_KEPT_HEADERS = ("From", "To", "Date", "Message-ID", "In-Reply-To", "References")


def undeclared(policy: Policy, found: set[str]) -> set[str]:
    """The categories of ``found`` that ``policy`` does not declare."""
    special_keys = [key for key, category in policy.categories.items() if category.special]
    return found - declared(special_keys)


def redact(channel: str, raw: bytes, parsed: Parsed, masked: set[str]) -> tuple[bytes, Parsed]:
    """The message to keep instead of ``raw``, and how the pipeline reads it."""
    subject, text = mask_special(parsed.subject, masked), mask_special(parsed.text, masked)
    kept = _email(raw, subject, text) if channel == "email" else _messenger(raw, masked)
    return kept, Parsed(parsed.sender, subject, text, parsed.sender_kind)


def _email(raw: bytes, subject: str, text: str) -> bytes:
    original = BytesParser(policy=default).parsebytes(raw)
    copy = EmailMessage()
    for name in _KEPT_HEADERS:
        if (value := original.get(name)) is not None:
            copy[name] = str(value)
    copy["Subject"] = subject
    copy.set_content(text)
    return copy.as_bytes()


def _messenger(raw: bytes, masked: set[str]) -> bytes:
    """A messenger's stored JSON with every string masked: the adapter still reads it (the
    sender's handle and the chat to reply to stay), and no field keeps what was masked."""
    return json.dumps(_masked(json.loads(raw), masked), ensure_ascii=False).encode()


def _masked(value: Any, masked: set[str]) -> Any:
    if isinstance(value, str):
        return mask_special(value, masked)
    if isinstance(value, list):
        return [_masked(item, masked) for item in value]
    if isinstance(value, dict):
        return {key: _masked(item, masked) for key, item in value.items()}
    return value


NOTICE = {
    "en": {
        "subject": "lawful: a message held special categories of personal data",
        "quarantine": "It is held in quarantine, sealed, until a person decides on it.",
        "redact": "Those sentences were masked; only the masked copy was kept and processed.",
        "body": (
            "A message received through the {channel} channel at {received} mentions special "
            "categories of personal data that your policy does not declare: {categories}.\n"
            "{action}\nMessage reference: {ref}\n"
        ),
    },
    "ru": {
        "subject": "lawful: сообщение со специальными категориями персональных данных",
        "quarantine": "Оно помещено в карантин и хранится зашифрованным до решения сотрудника.",
        "redact": "Эти предложения скрыты; сохранена и обработана только копия без них.",
        "body": (
            "Сообщение, полученное по каналу {channel} в {received}, упоминает специальные "
            "категории персональных данных, которые ваша политика не объявляет: {categories}.\n"
            "{action}\nНомер сообщения: {ref}\n"
        ),
    },
}


#: The categories as the operator reads them.
NAMES = {
    "en": {
        "health": "health",
        "religion": "religious or philosophical beliefs",
        "politics": "political opinions",
        "race_nationality": "race or nationality",
        "intimate_life": "intimate life",
        "biometrics": "biometric data",
        "criminal_record": "criminal record",
    },
    "ru": {
        "health": "состояние здоровья",
        "religion": "религиозные или философские убеждения",
        "politics": "политические взгляды",
        "race_nationality": "расовая или национальная принадлежность",
        "intimate_life": "интимная жизнь",
        "biometrics": "биометрические данные",
        "criminal_record": "судимость",
    },
}


def operator_notice(
    policy: Policy, *, message_id: str, channel: str, received: datetime, found: set[str]
) -> Mail | None:
    """The mail telling the operator; None when the policy names no address to send it to."""
    operator = policy.operator
    to = (operator.dpo.email if operator.dpo else None) or operator.requests_email
    to = to or operator.contacts.email
    if to is None:
        return None
    language = operator.languages[0] if operator.languages[0] in NOTICE else "en"
    text, names = NOTICE[language], NAMES[language]
    body = text["body"].format(
        channel=channel,
        received=received.strftime("%Y-%m-%d %H:%M UTC"),
        categories=", ".join(names[category] for category in sorted(found)),
        action=text[policy.intake.undeclared_special],
        ref=message_id,
    )
    return Mail(to=to, subject=text["subject"], body=body)
