"""The SMTP receiver (aiosmtpd): a message is stored sealed before the sender hears 250, with
its DKIM and SPF results (a test key served by a resolver hook: no DNS); mail for others, mail
over the limit and mail that cannot be stored now are refused with the SMTP code that says so,
and nothing acknowledged is lost. Replies leave through the operator's SMTP server."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.errors import ConfigError, StoreError
from lawful.intake import flows, service
from lawful.intake.channels import Cursor, Inbound
from lawful.intake.channels.inbox import StoreInbox
from lawful.intake.channels.smtp import SmtpReceiver, listen_address, receiving
from lawful.intake.models import IntakeMessage
from lawful.mail import mailer_from
from tests.conftest import open_template
from tests.intake.mail_support import MAILBOX, NOW, SENDER, letter, resolver, signed
from tests.requests_support import free_port, smtp_server


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


@pytest.fixture
def receiver(lawful: Lawful) -> Iterator[SmtpReceiver]:
    running = SmtpReceiver(
        StoreInbox(lawful.sessions, lawful.ring, "test"),
        "mailbox",
        [MAILBOX],
        port=free_port(),
        max_bytes=64_000,
        resolver=resolver,
    )
    running.start()
    yield running
    running.stop()


def send(receiver: SmtpReceiver, raw: bytes, *, mail_from: str = SENDER, to: str = MAILBOX) -> None:
    with smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client:
        client.sendmail(mail_from, [to], raw)


def stored(lawful: Lawful) -> list[IntakeMessage]:
    with lawful.sessions() as session:
        return list(session.scalars(sa.select(IntakeMessage).order_by(IntakeMessage.received_at)))


def test_a_signed_message_is_stored_sealed_with_its_results(
    lawful: Lawful, receiver: SmtpReceiver
) -> None:
    raw = signed(letter("Удаление", "Прошу удалить мои данные."))

    send(receiver, raw)

    (message,) = stored(lawful)
    assert message.state == "received" and message.channel == "email"
    assert message.meta == {"transport": "smtp", "dkim": "pass", "spf": "pass"}
    assert service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw") == raw
    assert SENDER.encode() not in message.sealed


@pytest.mark.parametrize(
    ("raw", "mail_from", "results"),
    [
        (letter("plain", "Hello."), SENDER, ("none", "pass")),
        (  # the body was changed after signing
            signed(letter("changed", "Hello.")).replace(b"Hello.", b"Hellx."),
            SENDER,
            ("fail", "pass"),
        ),
        (signed(letter("forged", "Hello.")), "someone@elsewhere.example", ("pass", "fail")),
        (letter("nodomain", "Hello."), "someone@unknown.example", ("none", "none")),
        (letter("mx", "Hello."), "someone@by-mx.example", ("none", "pass")),
    ],
)
def test_each_result_is_recorded_as_it_is(
    lawful: Lawful,
    receiver: SmtpReceiver,
    raw: bytes,
    mail_from: str,
    results: tuple[str, str],
) -> None:
    send(receiver, raw, mail_from=mail_from)

    (message,) = stored(lawful)
    assert (message.meta["dkim"], message.meta["spf"]) == results


def test_mail_for_another_address_is_refused(lawful: Lawful, receiver: SmtpReceiver) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(receiver, letter("relay", "Hello."), to="someone@other.example")

    assert refused.value.recipients["someone@other.example"][0] == 550
    assert stored(lawful) == []


def test_mail_over_the_limit_is_refused_and_nothing_is_kept(
    lawful: Lawful, receiver: SmtpReceiver
) -> None:
    with pytest.raises(smtplib.SMTPResponseException) as refused:
        send(receiver, letter("big", "x" * 70_000))

    assert refused.value.smtp_code == 552
    assert stored(lawful) == []


class FailsOnce(StoreInbox):
    """The database is away for the first message."""

    failed = False

    def put(self, inbound: Inbound, *, channel: str, cursor: Cursor | None = None) -> bool:
        if not self.failed:
            self.failed = True
            raise StoreError("cannot reach the database")
        return super().put(inbound, channel=channel, cursor=cursor)


def test_a_message_that_cannot_be_stored_is_deferred_and_kept_on_retry(lawful: Lawful) -> None:
    receiver = SmtpReceiver(
        FailsOnce(lawful.sessions, lawful.ring, "test"),
        "mailbox",
        [MAILBOX],
        port=free_port(),
        resolver=resolver,
    )
    receiver.start()
    try:
        raw = letter("retry", "When will my order be delivered? Order 1182.")
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            send(receiver, raw)
        assert deferred.value.smtp_code == 451 and stored(lawful) == []

        send(receiver, raw)  # the sender's server tries again
        send(receiver, raw)  # and once more, as if our 250 had been lost
    finally:
        receiver.stop()
    assert len(stored(lawful)) == 1


def test_a_request_by_smtp_is_routed_and_answered_through_smtp(
    lawful: Lawful, receiver: SmtpReceiver
) -> None:
    send(receiver, signed(letter("Удаление", "Прошу удалить все мои данные из вашей базы.")))

    with smtp_server() as (outbox, url):
        counts = flows.poll_channels(
            lawful, mailer_from(url, MAILBOX), actor="test", now=NOW, names=False
        )
        answer = outbox.wait_for(SENDER, 1)

    assert dict(counts) == {"routed": 1}
    assert answer["From"] == MAILBOX
    assert outbox.code_for(SENDER).isdigit()
    (message,) = stored(lawful)
    assert message.label == "erasure" and message.request_id is not None


def test_the_journal_and_the_metadata_hold_no_personal_data(
    lawful: Lawful, receiver: SmtpReceiver
) -> None:
    send(receiver, signed(letter("Вопрос", "Мой телефон +7 916 555-12-34, когда заказ?")))
    flows.process_pending(lawful, mailer_from(None, None), actor="test", now=NOW, names=False)

    with lawful.sessions() as session:
        journal = " ".join(event.body for event in session.scalars(sa.select(AuditEvent)))
    (message,) = stored(lawful)
    for text in (journal, repr(message.meta), repr(message.entities)):
        assert "ivan" not in text.lower() and "sender.example" not in text
        assert "555-12-34" not in text


def test_the_worker_runs_the_receiver_only_when_asked(lawful: Lawful) -> None:
    with receiving(lawful.settings) as none:
        assert none is None
    port = free_port()
    settings = replace(lawful.settings, smtp_listen=f"127.0.0.1:{port}")

    with receiving(settings, resolver=resolver) as running:
        assert running is not None and running.port == port
        send(running, letter("worker", "When will my order be delivered? Order 1182."))

    assert [message.meta["transport"] for message in stored(lawful)] == ["smtp"]


@pytest.mark.parametrize("value", ["2525", "host:", "host:99999", ":25"])
def test_a_wrong_listen_address_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        listen_address(value)
    assert raised.value.field == "LAWFUL_SMTP_LISTEN"


def test_an_ipv6_listen_address_is_read() -> None:
    assert listen_address("[::1]:2525") == ("::1", 2525)


def test_the_receiver_logs_no_address_and_no_ip(
    lawful: Lawful, receiver: SmtpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        send(receiver, letter("Вопрос", "When will my order be delivered? Order 1182."))
        with smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client:
            client.docmd("BOGUS", SENDER)  # an unknown command is logged as a warning

    assert caplog.records  # aiosmtpd did log; what reached the handlers is scrubbed
    assert SENDER not in caplog.text and "127.0.0.1" not in caplog.text
