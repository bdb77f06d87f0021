"""Read an inbound e-mail with the standard library's modern API (``policy=default``). A
malformed message still gives what can be read: a bad charset is decoded with replacement
characters, an HTML-only body is reduced to its text. What cannot be read safely — a broken
MIME structure, an HTML bomb — raises :class:`Unreadable` with a reason, and the message is
quarantined (kept sealed, never lost)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email import errors, policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from lawful.errors import LawfulError

#: What is read of a body: a request is in its first pages, and a giant body (or an HTML bomb
#: once its tags are gone) must not hold up the messages behind it. The whole raw message is
#: kept sealed all the same.
MAX_TEXT = 100_000
#: More tags than this in the HTML read is no letter written to the operator: an HTML bomb.
MAX_TAGS = 50_000
#: Defects after which the structure of a message cannot be trusted.
_BROKEN = (
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
    errors.InvalidMultipartContentTransferEncodingDefect,
)


class Unreadable(LawfulError):
    """The message cannot be read safely; ``reason`` says why (``malformed-mime``,
    ``html-bomb``, ``too-large``): the quarantine's reason, not a field a form refuses."""

    code = "unreadable"

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.reason = why


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
    _check_structure(message)
    sender = parseaddr(_clean(str(message.get("From", ""))))[1] or None
    return Parsed(sender, _clean(str(message.get("Subject", ""))), _body(message))


def _check_structure(message: EmailMessage) -> None:
    for part in message.walk():
        if any(isinstance(defect, _BROKEN) for defect in part.defects):
            raise Unreadable("the MIME structure is broken", "malformed-mime")


def _clean(text: str) -> str:
    """Undecodable bytes (kept by the parser as lone surrogates) become replacement marks."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = _clean(str(content))
    if part.get_content_subtype() == "html":
        text = strip_tags(text[: MAX_TEXT * 10])
    return text[:MAX_TEXT]


def strip_tags(markup: str) -> str:
    """The text of ``markup`` without its tags, scripts and styles, in one forward pass (a
    regular expression or ``html.parser`` goes quadratic on unclosed tags)."""
    if markup.count("<") > MAX_TAGS:
        raise Unreadable("the HTML holds too many tags", "html-bomb")
    lower, out, i = markup.lower(), [], 0
    while i < len(markup):
        start = markup.find("<", i)
        if start < 0:
            out.append(markup[i:])
            break
        out.append(markup[i:start])
        end = markup.find(">", start)
        for name in ("script", "style"):
            if end >= 0 and lower.startswith(f"<{name}", start):
                close = lower.find(f"</{name}", end)
                end = -1 if close < 0 else markup.find(">", close)
        if end < 0:  # an unclosed tag: the rest is markup
            break
        out.append(" ")
        i = end + 1
    return html.unescape("".join(out))
