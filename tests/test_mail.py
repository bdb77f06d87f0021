"""Outgoing mail: what reaches the SMTP server, for a plain and an internationalised address,
through the one-session and the pooled mailer."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

import pytest

from lawful.errors import MailError
from lawful.mail import Mail, mailer_from
from tests.requests_support import Inbox, smtp_server

BODY = "Здравствуйте!\n\nВаш код: 123456.\n. A line that starts with a dot stays.\n" + "х" * 300
#: What arrives: both ways of building a message end the text with a newline.
ARRIVES = BODY + "\n"


class EnvelopeInbox(Inbox):
    """Also keeps each envelope (sender, recipients): an internationalised address is read there."""

    def __init__(self, *, pipelining: bool = True) -> None:
        super().__init__(pipelining=pipelining)
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def utf8_server() -> Iterator[tuple[EnvelopeInbox, str]]:
    """An SMTP server that speaks SMTPUTF8 (as most do), for internationalised addresses."""
    inbox = EnvelopeInbox()
    with smtp_server(inbox, enable_SMTPUTF8=True) as (_, url):
        yield inbox, url


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


# --- ESMTP PIPELINING (RFC 2920) ------------------------------------------------------------


class Refusing(EnvelopeInbox):
    """Refuses one recipient, as a server refuses an unknown mailbox."""

    async def handle_RCPT(  # noqa: N802
        self, server: object, session: object, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What the client writes to the server, one entry per write."""
    writes: list[bytes] = []
    original = smtplib.SMTP.send

    def recorded(self: smtplib.SMTP, data: bytes | str) -> None:
        writes.append(data if isinstance(data, bytes) else data.encode())
        original(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", recorded)
    return writes


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_server_that_pipelines_gets_mail_rcpt_and_data_in_one_write(
    sent: list[bytes], pipelining: bool
) -> None:
    inbox = EnvelopeInbox(pipelining=pipelining)
    with smtp_server(inbox) as (_, url):
        mailer = mailer_from(url, "requests@studio.example", keep_open=1)
        for _ in range(2):
            mailer.send(Mail("olga@example.org", "Код подтверждения запроса", BODY))
        inbox.wait_for("olga@example.org", 2)
    together = [w for w in sent if b"MAIL FROM:" in w and b"RCPT TO:" in w and b"DATA\r\n" in w]
    assert len(together) == (2 if pipelining else 0)
    assert inbox.body(inbox.last_to("olga@example.org")) == ARRIVES  # the leading dot kept
    assert inbox.envelopes[-1] == ("requests@studio.example", ["olga@example.org"])


def test_a_refused_recipient_is_a_mail_error_and_the_next_mail_goes_through() -> None:
    inbox = Refusing()
    with smtp_server(inbox) as (_, url):
        mailer = mailer_from(url, "requests@studio.example", keep_open=1)
        with pytest.raises(MailError) as refused:
            mailer.send(Mail("nobody@example.org", "Ответ", BODY))
        assert "nobody" not in str(refused.value)  # the error never names the address
        mailer.send(Mail("olga@example.org", "Ответ", BODY))
        inbox.wait_for("olga@example.org", 1)
    assert [to for _sender, (to,) in inbox.envelopes] == ["olga@example.org"]
