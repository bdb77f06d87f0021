"""Read an inbound e-mail with the standard library's modern API (``policy=default``). A
malformed message still gives what can be read: a bad charset is decoded with replacement
characters, an HTML-only body is reduced to its text."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

#: What is read of a body: a request is in its first pages, and a giant body (or an HTML bomb
#: once its tags are gone) must not hold up the messages behind it. The whole raw message is
#: kept sealed all the same.
MAX_TEXT = 100_000
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    sender: str | None
    subject: str
    text: str
    #: The identifier kind of ``sender`` (a messenger gives its handle, or a phone).
    sender_kind: str = "email"

    @property
    def language(self) -> str:
        """The language to answer in: Russian when the person wrote Cyrillic."""
        return "ru" if re.search("[а-яё]", f"{self.subject} {self.text}", re.IGNORECASE) else "en"


def parse(raw: bytes) -> Parsed:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender = parseaddr(str(message.get("From", "")))[1] or None
    return Parsed(sender, str(message.get("Subject", "")), _body(message))


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = str(content)
    if part.get_content_subtype() == "html":
        text = html.unescape(_TAG.sub(" ", text[: MAX_TEXT * 10]))
    return text[:MAX_TEXT]
