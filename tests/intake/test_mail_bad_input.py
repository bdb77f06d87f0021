"""Bad mail: a broken MIME structure, lying encodings, giant bodies and attachments, HTML
bombs, bytes that are no message at all, a bug in processing — each message is kept sealed
and either read as far as it safely can be or quarantined with the reason, and the messages
behind it are processed all the same. Processing a message twice acts once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.intake import flows, service
from lawful.intake.classify import Classification
from lawful.intake.models import IntakeMessage
from lawful.intake.parse import MAX_TAGS, strip_tags
from lawful.requests.models import Request
from tests.conftest import open_template
from tests.intake.mail_support import NOW, Outbox

HEAD = b"From: Someone <a@example.org>\r\nTo: privacy@liniya-i-tsvet.example\r\n"


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def store(lawful: Lawful, *raws: bytes) -> None:
    for raw in raws:
        with lawful.sessions.begin() as session:
            service.receive(session=session, ring=lawful.ring, raw=raw, actor="test", now=NOW)


def process(lawful: Lawful, tools: service.Tools | None = None) -> dict[str, int]:
    counts = flows.process_pending(
        lawful, Outbox(), actor="test", now=NOW, names=False, tools=tools
    )
    return dict(counts)


def only(lawful: Lawful) -> IntakeMessage:
    with lawful.sessions() as session:
        (message,) = session.scalars(sa.select(IntakeMessage)).all()
        return message


def question(n: int = 1) -> bytes:
    message = EmailMessage()
    message["From"] = f"p{n}@example.org"
    message["Subject"] = "Вопрос"
    message.set_content(f"Когда будет готов макет по заказу {n}?")
    return message.as_bytes()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            HEAD + b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
            id="multipart-without-boundary",
        ),
        pytest.param(
            HEAD + b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
            b"the boundary never comes\r\n",
            id="boundary-never-found",
        ),
    ],
)
def test_a_broken_mime_structure_is_quarantined_and_kept(lawful: Lawful, raw: bytes) -> None:
    store(lawful, raw)

    assert process(lawful) == {"quarantined": 1}
    message = only(lawful)
    assert message.meta["reason"] == "malformed-mime" and message.label is None
    assert service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw") == raw
    with lawful.sessions() as session:
        event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "block")).one()
    assert "malformed-mime" in event.body and message.id in event.body


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            b"From: \xc8\xe2\xe0\xed <a@example.org>\r\nSubject: \xd3\xe4\xe0\xeb\xe8\xf2\xe5\r\n"
            b"Content-Type: text/plain\r\n\r\nPlease delete my data \xff\xfe.\r\n",
            id="8-bit-headers-without-charset",
        ),
        pytest.param(
            HEAD + b"Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all===\r\n",
            id="broken-base64",
        ),
        pytest.param(
            HEAD + b"Subject: =?utf-8?b?0J/RgNC+0YHRjNCx0LA?=\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xd0\x9f\xd1\x80\xd0\r\n",
            id="cut-utf-8",
        ),
        pytest.param(os.urandom(4096), id="random-bytes"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_lying_encoding_is_read_with_replacement_marks(lawful: Lawful, raw: bytes) -> None:
    store(lawful, raw, question())

    counts = process(lawful)

    assert sum(counts.values()) == 2 and "quarantined" not in counts
    assert counts.get("routed", 0) >= 1  # the ordinary question behind it went its way


def test_a_giant_attachment_is_quarantined_unread(lawful: Lawful) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["Subject"] = "scan"
    message.set_content("Please delete my data.")
    message.add_attachment(os.urandom(300_000), maintype="application", subtype="octet-stream")
    store(lawful, message.as_bytes(), question())
    tools = replace(
        service.Tools.for_policy(lawful.require_policy(), names=False), max_bytes=200_000
    )

    assert process(lawful, tools) == {"quarantined": 1, "routed": 1}
    with lawful.sessions() as session:
        held = session.scalars(
            sa.select(IntakeMessage).where(IntakeMessage.state == "quarantined")
        ).one()
    assert held.meta["reason"] == "too-large" and held.request_id is None


def test_an_html_bomb_is_quarantined(lawful: Lawful) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["Subject"] = "hi"
    message.set_content("<div>" * (MAX_TAGS + 1) + "delete my data", subtype="html")
    store(lawful, message.as_bytes())

    assert process(lawful) == {"quarantined": 1}
    assert only(lawful).meta["reason"] == "html-bomb"


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="' * 40_000,  # unclosed attributes: quadratic for a regular expression
        "<script>" * 40_000,  # unclosed scripts: the same
        "<" * 40_000,
    ],
    ids=["open-attributes", "open-scripts", "lone-brackets"],
)
def test_unclosed_markup_is_read_in_one_pass(markup: str) -> None:
    assert strip_tags("Please delete my data. " + markup).split() == [
        "Please",
        "delete",
        "my",
        "data.",
    ]


def test_html_text_keeps_its_words_and_drops_scripts_and_styles() -> None:
    markup = "<style>p{x:1}</style><p>Please&nbsp;<b>delete</b></p><SCRIPT>x()</SCRIPT> my data"
    assert strip_tags(markup).split() == ["Please", "delete", "my", "data"]


class Exploding:
    """A classifier with a bug that only one message triggers."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def classify(self, text: str, *, subject: str = "") -> Classification:
        if "EXPLODE" in text:
            raise RuntimeError("a bug")
        result: Classification = self.real.classify(text, subject=subject)
        return result


def test_a_bug_in_processing_quarantines_that_message_and_the_rest_go_on(
    lawful: Lawful,
) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["Subject"] = "x"
    message.set_content("EXPLODE please")
    store(lawful, message.as_bytes(), question(2))
    tools = service.Tools.for_policy(lawful.require_policy(), names=False)
    tools = replace(tools, classifier=Exploding(tools.classifier))  # type: ignore[arg-type]

    assert process(lawful, tools) == {"quarantined": 1, "routed": 1}
    with lawful.sessions() as session:
        held = session.scalars(
            sa.select(IntakeMessage).where(IntakeMessage.state == "quarantined")
        ).one()
        assert held.meta["reason"] == "error:RuntimeError"
        assert held.entities == {} and held.subject_id is None  # the failed attempt left nothing


def test_a_message_processed_twice_acts_once(lawful: Lawful) -> None:
    message = EmailMessage()
    message["From"] = "ivan@example.org"
    message["Subject"] = "Удаление"
    message.set_content("Прошу удалить все мои данные из вашей базы.")
    store(lawful, message.as_bytes())
    policy = lawful.require_policy()
    tools = service.Tools.for_policy(policy, names=False)
    stored = only(lawful)

    for _ in range(2):
        with lawful.sessions.begin() as session:
            row = session.get_one(IntakeMessage, stored.id)
            service.process(
                session=session,
                ring=lawful.ring,
                policy=policy,
                tools=tools,
                message=row,
                actor="test",
                now=NOW,
            )
    assert process(lawful) == {}

    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 1
        kinds = session.scalars(sa.select(AuditEvent.action)).all()
    assert kinds.count("systematise") == 1


def test_a_mail_server_that_is_down_does_not_stop_the_queue(lawful: Lawful) -> None:
    from lawful.mail import NoMailer

    erasure = EmailMessage()
    erasure["From"] = "ivan@example.org"
    erasure["Subject"] = "Удаление"
    erasure.set_content("Прошу удалить все мои данные из вашей базы.")
    store(lawful, erasure.as_bytes(), question(3))

    counts = flows.process_pending(lawful, NoMailer(), actor="test", now=NOW, names=False)

    assert dict(counts) == {"routed": 2, "code-unsent": 1}
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 1
