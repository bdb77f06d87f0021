"""Polling a real IMAP mailbox (a private Dovecot): every message stored sealed once, in UID
order, nothing read twice or missed — across restarts and a change of UIDVALIDITY — and the
mailbox left as it was. On both backends."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from lawful.consent import service as consent
from lawful.context import Lawful
from lawful.errors import MailError
from lawful.intake import flows, service
from lawful.intake.channels.imap import ImapAccount, ImapPoller
from lawful.intake.channels.inbox import StoreInbox
from lawful.intake.models import ChannelCursor, IntakeMessage
from lawful.subjects import service as subjects
from tests.cli_env import cli_home
from tests.conftest import open_template
from tests.intake.dovecot import Dovecot, dovecot_server
from tests.intake.mail_support import NOW, Outbox, eml, letter, resolver, signed


@pytest.fixture
def imap() -> Iterator[Dovecot]:
    with dovecot_server() as server:
        yield server


@pytest.fixture
def lawful(tmp_path: Path, database_url: str, imap: Dovecot) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    opened.settings = replace(opened.settings, imap_url=imap.url)
    yield opened
    opened.close()


def poll(lawful: Lawful, outbox: Outbox | None = None) -> dict[str, int]:
    counts = flows.poll_channels(lawful, outbox or Outbox(), actor="test", now=NOW, names=False)
    return dict(counts)


def subjects_of(lawful: Lawful) -> list[str]:
    """The Subject line of each stored message, in the order they were stored."""
    from lawful.intake.parse import parse

    with lawful.sessions() as session:
        rows = session.scalars(
            sa.select(IntakeMessage).order_by(IntakeMessage.meta["uid"].as_integer())
        )
        return [
            parse(service.key_of(lawful.ring, row).open_bytes(row.sealed, "raw")).subject
            for row in rows
        ]


def test_each_message_is_stored_once_in_uid_order(lawful: Lawful, imap: Dovecot) -> None:
    for n in (1, 2, 3):
        imap.deliver(eml(f"p{n}@example.org", f"Вопрос {n}", "Когда будет готов макет?"))

    assert poll(lawful) == {"stored": 3, "routed": 3}
    assert poll(lawful) == {}  # nothing new: nothing read again

    imap.deliver(eml("p4@example.org", "Вопрос 4", "Когда будет готов макет?"))
    assert poll(lawful) == {"stored": 1, "routed": 1}
    assert subjects_of(lawful) == ["Вопрос 1", "Вопрос 2", "Вопрос 3", "Вопрос 4"]
    with lawful.sessions() as session:
        cursor = session.get_one(ChannelCursor, "mailbox")
        metas = session.scalars(sa.select(IntakeMessage.meta)).all()
    assert cursor.position == 4
    assert all(
        meta["transport"] == "imap" and meta["uidvalidity"] == cursor.epoch for meta in metas
    )


def test_a_restart_resumes_after_the_last_message_stored(
    lawful: Lawful, imap: Dovecot, tmp_path: Path
) -> None:
    imap.deliver(eml("a@example.org", "one", "When will my order be delivered? Order 1182."))
    poller = ImapPoller("mailbox", ImapAccount.from_url(imap.url))
    assert poller.poll(StoreInbox(lawful.sessions, lawful.ring, "test")) == 1
    imap.deliver(eml("b@example.org", "two", "When will my order be delivered? Order 1182."))
    lawful.close()  # the process stops; a new one opens the same database

    reopened = open_template_again(lawful)
    try:
        fresh = ImapPoller("mailbox", ImapAccount.from_url(imap.url))
        assert fresh.poll(StoreInbox(reopened.sessions, reopened.ring, "test")) == 1
        assert subjects_of(reopened) == ["one", "two"]
    finally:
        reopened.close()


def open_template_again(lawful: Lawful) -> Lawful:
    from lawful.context import open_lawful

    return open_lawful(lawful.settings)


def test_a_new_uidvalidity_rereads_the_mailbox_without_storing_twice(
    lawful: Lawful, imap: Dovecot
) -> None:
    imap.deliver(eml("a@example.org", "one", "When will my order be delivered? Order 1182."))
    imap.deliver(eml("b@example.org", "two", "When will my order be delivered? Order 1182."))
    assert poll(lawful)["stored"] == 2
    with lawful.sessions() as session:
        before = session.get_one(ChannelCursor, "mailbox").epoch

    imap.renumber()  # the server forgot its UIDs: UIDs 1 and 2 may now name other messages
    imap.deliver(eml("c@example.org", "three", "When will my order be delivered? Order 1182."))

    assert poll(lawful) == {"stored": 1, "routed": 1}  # only the new one, though all were read
    with lawful.sessions() as session:
        cursor = session.get_one(ChannelCursor, "mailbox")
    assert cursor.epoch != before and cursor.position == 3
    assert sorted(subjects_of(lawful)) == ["one", "three", "two"]


def test_a_signed_message_has_its_dkim_result_recorded(lawful: Lawful, imap: Dovecot) -> None:
    imap.deliver(signed(letter("signed", "When will my order be delivered? Order 1182.")))
    imap.deliver(
        signed(letter("changed", "When will my order be delivered? Order 1182.")).replace(
            b"When", b"Then"
        )
    )
    poller = ImapPoller("mailbox", ImapAccount.from_url(imap.url), resolver=resolver)

    assert poller.poll(StoreInbox(lawful.sessions, lawful.ring, "test")) == 2
    with lawful.sessions() as session:
        rows = session.scalars(sa.select(IntakeMessage.meta)).all()
    assert sorted(meta["dkim"] for meta in rows) == ["fail", "pass"]


def test_a_recreated_mailbox_whose_uids_start_again_misses_nothing(
    lawful: Lawful, imap: Dovecot
) -> None:
    for n in (1, 2, 3):
        imap.deliver(
            eml(f"p{n}@example.org", f"old {n}", "When will my order be delivered? Order 1182.")
        )
    assert poll(lawful)["stored"] == 3

    imap.empty()
    imap.renumber()
    imap.deliver(
        eml("new@example.org", "new", "When will my order be delivered? Order 1182.")
    )  # UID 1 again

    assert poll(lawful)["stored"] == 1
    with lawful.sessions() as session:
        assert session.get_one(ChannelCursor, "mailbox").position == 1


def test_a_large_mailbox_is_read_a_batch_per_pass(lawful: Lawful, imap: Dovecot) -> None:
    for n in (1, 2, 3):
        imap.deliver(eml(f"p{n}@example.org", f"Вопрос {n}", "Когда будет готов макет?"))
    poller = ImapPoller("mailbox", ImapAccount.from_url(imap.url), batch=2)
    inbox = StoreInbox(lawful.sessions, lawful.ring, "test")

    assert [poller.poll(inbox), poller.poll(inbox), poller.poll(inbox)] == [2, 1, 0]
    assert subjects_of(lawful) == ["Вопрос 1", "Вопрос 2", "Вопрос 3"]


def test_the_mailbox_is_left_as_it_was(lawful: Lawful, imap: Dovecot) -> None:
    imap.deliver(eml("a@example.org", "one", "When will my order be delivered? Order 1182."))
    poll(lawful)
    client = imaplib.IMAP4("127.0.0.1", imap.port)
    try:
        client.login("lawful", "secret")
        client.select("INBOX", readonly=True)
        _, flags = client.uid("FETCH", "1:*", "(FLAGS)")
    finally:
        client.logout()
    assert len(flags) == 1 and b"\\Seen" not in flags[0] and b"\\Deleted" not in flags[0]


def test_an_opt_out_by_mail_takes_effect_at_the_next_poll(lawful: Lawful, imap: Dovecot) -> None:
    known = "anna.petrova@example.org"
    with lawful.sessions.begin() as session:
        subject_id = subjects.create_subject(
            session=session, ring=lawful.ring, identifiers={"email": known}, actor="test", now=NOW
        )
    imap.deliver(eml(known, "Рассылка", "Отпишите меня от рассылки, пожалуйста."))

    assert poll(lawful) == {"stored": 1, "routed": 1}

    with lawful.sessions() as session:
        record = consent.current_record(
            session=session, subject_id=subject_id, purpose="newsletters"
        )
    assert record is not None and record.state != "given"


def test_an_erasure_by_mail_is_opened_and_its_code_goes_out_by_mail(
    lawful: Lawful, imap: Dovecot
) -> None:
    imap.deliver(eml("ivan@example.org", "Удаление", "Прошу удалить все мои данные из вашей базы."))
    outbox = Outbox()

    assert poll(lawful, outbox) == {"stored": 1, "routed": 1}
    assert [mail.to for mail in outbox.sent] == ["ivan@example.org"]


def test_a_message_over_the_limit_is_quarantined_and_left_in_the_mailbox(
    lawful: Lawful, imap: Dovecot
) -> None:
    big = eml("a@example.org", "scan", "Please delete my data. " + "x" * 4000)
    imap.deliver(big)
    poller = ImapPoller("mailbox", ImapAccount.from_url(imap.url), max_bytes=2000)

    assert poller.poll(StoreInbox(lawful.sessions, lawful.ring, "test")) == 1
    assert dict(flows.process_pending(lawful, Outbox(), actor="test", now=NOW, names=False)) == {
        "quarantined": 1
    }
    with lawful.sessions() as session:
        (message,) = session.scalars(sa.select(IntakeMessage)).all()
        raw = service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw")
    assert message.meta["reason"] == "too-large" and message.meta["size"] > 4000
    assert b"Subject: scan" in raw and b"x" * 100 not in raw  # the header only; the rest stays


def test_a_wrong_password_is_an_error_without_the_credentials(
    lawful: Lawful, imap: Dovecot
) -> None:
    url = imap.url.replace(":secret@", ":wrong-horse@")
    poller = ImapPoller("mailbox", ImapAccount.from_url(url))

    with pytest.raises(MailError) as raised:
        poller.poll(StoreInbox(lawful.sessions, lawful.ring, "test"))

    assert "wrong-horse" not in str(raised.value) and "lawful" not in str(raised.value)


def test_a_mailbox_that_is_down_does_not_stop_the_queue(lawful: Lawful, imap: Dovecot) -> None:
    with lawful.sessions.begin() as session:  # stored earlier, e.g. by the SMTP receiver
        service.receive(
            session=session,
            ring=lawful.ring,
            raw=eml("a@example.org", "Hi", "When will my order be delivered? Order 1182."),
            actor="test",
            now=NOW,
        )
    lawful.settings = replace(lawful.settings, imap_url=imap.url.replace(str(imap.port), "1"))

    assert poll(lawful) == {"unreachable": 1, "routed": 1}


def test_the_cli_polls_the_mailbox_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imap: Dovecot
) -> None:
    from lawful.cli import app

    cli_home(tmp_path, monkeypatch, "ru-design-studio")
    monkeypatch.setenv("LAWFUL_IMAP_URL", imap.url)
    imap.deliver(eml("a@example.org", "Вопрос", "Когда будет готов заказ?"))

    first = CliRunner().invoke(app, ["intake", "poll", "--no-names"])
    again = CliRunner().invoke(app, ["intake", "poll", "--no-names"])

    assert first.exit_code == 0, first.output
    assert first.output.split() == ["routed=1", "stored=1"]
    assert again.output.split() == ["none"]


@pytest.mark.parametrize(
    ("url", "account"),
    [
        (
            "imaps://u%40x:p%3Aw@mail.example:1993/Requests",
            ("imaps", "mail.example", 1993, "u@x", "p:w", "Requests"),
        ),
        (
            "imap+starttls://u:p@mail.example",
            ("imap+starttls", "mail.example", 143, "u", "p", "INBOX"),
        ),
    ],
)
def test_the_mailbox_url_is_read(url: str, account: tuple[object, ...]) -> None:
    parsed = ImapAccount.from_url(url)
    assert (
        parsed.scheme,
        parsed.host,
        parsed.port,
        parsed.user,
        parsed.password,
        parsed.mailbox,
    ) == account


@pytest.mark.parametrize("url", ["pop3://u:p@host", "imaps://host", "imaps://u:p@"])
def test_a_wrong_mailbox_url_is_refused_by_name(url: str) -> None:
    from lawful.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        ImapAccount.from_url(url)
    assert raised.value.field == "LAWFUL_IMAP_URL"


def test_the_worker_polls_the_mailbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imap: Dovecot
) -> None:
    from lawful.cli import app
    from lawful.context import open_lawful
    from lawful.settings import Settings
    from tests.requests_support import free_port

    cli_home(tmp_path, monkeypatch, "ru-design-studio")
    monkeypatch.setenv("LAWFUL_IMAP_URL", imap.url)
    monkeypatch.setenv("LAWFUL_SMTP_LISTEN", f"127.0.0.1:{free_port()}")  # started and stopped
    imap.deliver(eml("a@example.org", "Вопрос", "Когда будет готов заказ?"))

    result = CliRunner().invoke(app, ["worker", "--once"])

    assert result.exit_code == 0, result.output
    opened = open_lawful(Settings.from_env())
    try:
        with opened.sessions() as session:
            states = session.scalars(sa.select(IntakeMessage.state)).all()
    finally:
        opened.close()
    assert states == ["routed"]
