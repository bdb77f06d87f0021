"""Importing mail: each message sealed before it is read, linked by the e-mail blind index,
and routed — an objection takes effect at once, a request waits for verification, an inquiry
is kept under the mailbox's purpose, anything uncertain waits for a person, undeclared special
categories are quarantined. On both backends."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from lawful.audit.models import AuditEvent
from lawful.consent import service as consent
from lawful.context import Lawful
from lawful.intake import flows, service
from lawful.intake.models import IntakeMessage
from lawful.intake.parse import MAX_TEXT, parse
from lawful.mail import Mail
from lawful.requests.models import Request
from lawful.store.db import Base
from lawful.subjects import service as subjects
from tests.cli_env import cli_home
from tests.conftest import open_template

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KNOWN = "anna.petrova@example.org"


class Outbox:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def eml(sender: str, subject: str, body: str, *, charset: str = "utf-8") -> bytes:
    message = EmailMessage()
    message["From"] = f"Someone <{sender}>"
    message["To"] = "privacy@liniya-i-tsvet.example"
    message["Subject"] = subject
    message.set_content(body, charset=charset)
    return message.as_bytes()


def write_mbox(path: Path, *messages: bytes) -> Path:
    box = mailbox.mbox(path)
    for raw in messages:
        box.add(raw)
    box.flush()
    box.close()
    return path


def run(lawful: Lawful, path: Path, outbox: Outbox | None = None) -> dict[str, int]:
    counts = flows.import_file(lawful, outbox or Outbox(), path, actor="test", now=NOW, names=False)
    return dict(counts)


def messages(lawful: Lawful, state: str = "routed") -> dict[str, IntakeMessage]:
    """The messages in ``state``, by what they ask."""
    with lawful.sessions() as session:
        rows = session.scalars(sa.select(IntakeMessage).where(IntakeMessage.state == state))
        return {str(row.label): row for row in rows}


def test_it_routes_each_message_by_what_it_asks(lawful: Lawful, tmp_path: Path) -> None:
    with lawful.sessions.begin() as session:
        known = subjects.create_subject(
            session=session, ring=lawful.ring, identifiers={"email": KNOWN}, actor="test", now=NOW
        )
    box = write_mbox(
        tmp_path / "inbox.mbox",
        eml("ivan@example.org", "Удаление", "Прошу удалить все мои данные из вашей базы."),
        eml(KNOWN, "Рассылка", "Отпишите меня от рассылки, пожалуйста."),
        eml("olga@example.org", "Вопрос", "Когда будет готов макет по нашему заказу?"),
        # «удалите справку о болезни» alone sits between erasure and an inquiry about a
        # certificate (a person decides either way); here the erasure is plain.
        eml("petr@example.org", "Справка", "У меня диагноз диабет, удалите мои данные и справку."),
    )
    outbox = Outbox()

    counts = run(lawful, box, outbox)

    assert counts == {"stored": 4, "routed": 3, "quarantined": 1, "operator-told": 1}
    found = messages(lawful)
    with lawful.sessions() as session:
        erasure = session.get_one(Request, found["erasure"].request_id)
        assert (erasure.kind, erasure.state) == ("erasure", "awaiting_verification")
        objection = session.get_one(Request, found["objection"].request_id)
        assert objection.state == "verified"  # stopping marketing needs no proof
        assert found["objection"].subject_id == known
        record = consent.current_record(session=session, subject_id=known, purpose="newsletters")
        assert record is not None and record.state != "given"
    assert found["inquiry"].purpose == "order_details" and found["inquiry"].request_id is None
    (special,) = messages(lawful, "quarantined").values()  # undeclared health data
    assert (special.label, special.special) == ("erasure", ["health"])
    sent = [mail.to for mail in outbox.sent]  # the code after commit; the DPO told
    assert sorted(sent) == ["dpo@liniya-i-tsvet.example", "ivan@example.org"]


def test_the_raw_message_is_sealed_and_findings_keep_no_values(
    lawful: Lawful, tmp_path: Path
) -> None:
    body = "Мой телефон +7 916 555-12-34, удалите мои данные."
    path = tmp_path / "one.eml"
    path.write_bytes(eml("secret.person@example.org", "Удаление", body))

    run(lawful, path)

    (message,) = messages(lawful).values()  # an erasure, routed
    assert b"secret.person" not in message.sealed and b"555-12-34" not in message.sealed
    assert message.entities == {"PHONE": 1}
    raw = service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw")
    assert parse(raw).sender == "secret.person@example.org"
    with lawful.sessions() as session:
        journal = " ".join(e.body for e in session.scalars(sa.select(AuditEvent)))
    assert "secret.person" not in journal and "555-12-34" not in journal


def test_destroying_the_person_destroys_their_messages(lawful: Lawful, tmp_path: Path) -> None:
    with lawful.sessions.begin() as session:
        known = subjects.create_subject(
            session=session, ring=lawful.ring, identifiers={"email": KNOWN}, actor="test", now=NOW
        )
    box = write_mbox(
        tmp_path / "inbox.mbox",
        eml(KNOWN, "Вопрос", "Когда будет готов макет по нашему заказу?"),
        eml("olga@example.org", "Вопрос", "Когда будет готов макет по моему заказу?"),
    )
    run(lawful, box)
    with lawful.sessions.begin() as session:
        subjects.destroy_subject(session=session, subject_id=known, actor="test", reason="erasure")
    with lawful.sessions() as session:
        left = session.scalars(sa.select(IntakeMessage.subject_id)).all()
    assert known not in left and len(left) == 1  # the other sender's message stays


def test_importing_again_stores_nothing_twice(lawful: Lawful, tmp_path: Path) -> None:
    box = write_mbox(
        tmp_path / "a.mbox",
        eml("a@example.org", "Hi", "When will my order be delivered? Order 1182."),
    )
    run(lawful, box)
    assert run(lawful, box) == {"duplicate": 1}


def test_a_message_stored_but_not_processed_is_processed_next_time(
    lawful: Lawful, tmp_path: Path
) -> None:
    with lawful.sessions.begin() as session:  # as if the process died after storing it
        service.receive(
            session=session,
            ring=lawful.ring,
            raw=eml("a@example.org", "Hi", "Please stop emailing me."),
            actor="test",
            now=NOW,
        )
    empty = write_mbox(tmp_path / "empty.mbox")
    assert run(lawful, empty) == {"routed": 1}


def test_a_malformed_message_is_still_kept_and_goes_to_a_person(
    lawful: Lawful, tmp_path: Path
) -> None:
    path = tmp_path / "bad.eml"
    path.write_bytes(
        b"Subject: =?x-unknown?q?broken?=\r\nContent-Type: text/plain; charset=x-unknown\r\n"
        b"\r\n\xff\xfe garbage \xc3"
    )
    assert run(lawful, path) == {"stored": 1, "person": 1}


def test_html_only_mail_is_read_as_text() -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message.set_content("<p>Please <b>delete</b> my data</p><script>x()</script>", subtype="html")
    assert parse(message.as_bytes()).text.split() == ["Please", "delete", "my", "data"]


def test_a_giant_body_is_read_only_so_far() -> None:
    raw = eml("a@example.org", "x", "Please delete my data. " + "word " * 200_000)
    assert len(parse(raw).text) == MAX_TEXT


def test_the_intake_migration_matches_the_model(lawful: Lawful) -> None:
    with lawful.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert [d for d in differences if "intake" in repr(d)] == []


def test_the_cli_imports_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lawful.cli import app

    cli_home(tmp_path, monkeypatch, "ru-design-studio")
    path = tmp_path / "q.eml"
    path.write_bytes(eml("a@example.org", "Вопрос", "Когда будет готов заказ?"))

    result = CliRunner().invoke(app, ["intake", "import", str(path), "--no-names"])

    assert result.exit_code == 0, result.output
    assert result.output.split() == ["routed=1", "stored=1"]
