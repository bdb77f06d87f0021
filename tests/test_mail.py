"""Outgoing mail: what reaches the SMTP server, for a plain and an internationalised address,
through the one-session and the pooled mailer."""

from __future__ import annotations

from collections.abc import Iterator
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from lawful.mail import Mail, mailer_from
from tests.requests_support import Inbox, free_port

BODY = "Здравствуйте!\n\nВаш код: 123456.\n. A line that starts with a dot stays.\n" + "х" * 300
#: What arrives: both ways of building a message end the text with a newline.
ARRIVES = BODY + "\n"


class EnvelopeInbox(Inbox):
    """Also keeps each envelope (sender, recipients): an internationalised address is read there."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def utf8_server() -> Iterator[tuple[EnvelopeInbox, str]]:
    """An SMTP server that speaks SMTPUTF8 (as most do), for internationalised addresses."""
    inbox, port = EnvelopeInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{port}"
    controller.stop()


def subject_of(inbox: Inbox, to: str) -> str:
    return str(make_header(decode_header(str(inbox.last_to(to)["Subject"]))))


@pytest.mark.parametrize("keep_open", [0, 2])
def test_a_mail_arrives_whole_with_its_date_and_id(
    utf8_server: tuple[EnvelopeInbox, str], keep_open: int
) -> None:
    inbox, url = utf8_server
    mailer = mailer_from(url, "requests@studio.example", keep_open=keep_open)
    for _ in range(2):  # the pooled mailer reuses its session for the second
        mailer.send(Mail("olga@example.org", "Код подтверждения запроса", BODY))
    inbox.wait_for("olga@example.org", 2)
    got = inbox.last_to("olga@example.org")
    assert inbox.body(got) == ARRIVES
    assert subject_of(inbox, "olga@example.org") == "Код подтверждения запроса"
    assert got["From"] == "requests@studio.example"
    assert got["Date"] and str(got["Message-ID"]).endswith("@studio.example>")


def test_an_internationalised_address_is_sent_with_smtputf8(
    utf8_server: tuple[EnvelopeInbox, str],
) -> None:
    inbox, url = utf8_server
    to = "ольга@пример.рф"
    mailer_from(url, "requests@studio.example", keep_open=1).send(Mail(to, "Ответ", BODY))
    with inbox.arrived:
        assert inbox.arrived.wait_for(lambda: inbox.messages, timeout=30)
    assert inbox.body(inbox.messages[0]) == ARRIVES
    assert inbox.envelopes == [("requests@studio.example", [to])]
