"""The person's queue: messages held by the pipeline or in quarantine, listed without personal
data, read with an ``extract`` in the journal, and routed or dismissed as a person decides.
On both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from lawful.audit.models import AuditEvent
from lawful.context import Lawful
from lawful.errors import InvalidTransition, NotFound, PolicyViolation
from lawful.intake import flows, review
from lawful.intake.models import IntakeMessage
from lawful.requests import service as requests
from lawful.requests.models import Request
from tests.cli_env import cli_home
from tests.conftest import open_template
from tests.intake.test_import import Outbox, eml, write_mbox

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
SENDER = "marina.k@example.org"
WITH_HEALTH = (
    "Добрый день. Удалите, пожалуйста, все мои персональные данные. "
    "Я проходила у вас лечение после инсульта, эти сведения не должны храниться."
)
CORRECTION = "Исправьте, пожалуйста, мою фамилию в вашей базе: правильно Ковалёва."


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def arrive(lawful: Lawful, tmp_path: Path, *raws: bytes) -> list[IntakeMessage]:
    path = write_mbox(tmp_path / f"inbox-{len(list(tmp_path.glob('inbox-*')))}.mbox", *raws)
    flows.import_file(lawful, Outbox(), path, actor="test", now=NOW, names=False)
    with lawful.sessions() as session:
        return review.waiting(session)


def decide(lawful: Lawful, message_id: str, decision: str, **details: str) -> Outbox:
    outbox = Outbox()
    flows.decide(lawful, outbox, message_id, decision, actor="user:dpo", now=LATER, details=details)
    return outbox


def actions(lawful: Lawful) -> list[str]:
    with lawful.sessions() as session:
        return [e.action for e in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq))]


def test_the_queue_holds_what_the_pipeline_left_to_a_person(lawful: Lawful, tmp_path: Path) -> None:
    waiting = arrive(
        lawful,
        tmp_path,
        eml(SENDER, "Удаление", WITH_HEALTH),
        eml("olga@example.org", "Вопрос", "Когда будет готов макет по нашему заказу?"),
    )

    (held,) = waiting  # the inquiry was routed by itself
    assert (held.state, held.meta["reason"], held.label) == (
        "quarantined",
        "special-category",
        "erasure",
    )


def test_reading_a_message_is_journalled_as_an_extract(lawful: Lawful, tmp_path: Path) -> None:
    (held,) = arrive(lawful, tmp_path, eml(SENDER, "Удаление", WITH_HEALTH))

    with lawful.sessions.begin() as session:
        parsed = review.read(
            session=session, ring=lawful.ring, message_id=held.id, actor="user:dpo", now=LATER
        )

    assert parsed.sender == SENDER and "инсульта" in parsed.text
    assert actions(lawful)[-1] == "extract"


def test_deciding_a_request_opens_it_on_its_clock_from_a_masked_copy(
    lawful: Lawful, tmp_path: Path
) -> None:
    (held,) = arrive(lawful, tmp_path, eml(SENDER, "Удаление", WITH_HEALTH))

    outbox = decide(lawful, held.id, "erasure")

    with lawful.sessions() as session:
        message = session.get_one(IntakeMessage, held.id)
        request = session.get_one(Request, message.request_id)
        text = requests.contents(lawful.ring, request)["message"]
    decided = (message.state, message.label, message.meta["decided"])
    assert decided == ("routed", "erasure", "person")
    assert (request.kind, request.state) == ("erasure", "awaiting_verification")
    assert "инсульт" not in text and "[special category: health]" in text  # not declared
    assert [mail.to for mail in outbox.sent] == [SENDER]  # the code
    with pytest.raises(InvalidTransition):  # decided once
        decide(lawful, held.id, "inquiry")


def test_a_request_kind_that_needs_details_takes_them_from_the_person(
    lawful: Lawful, tmp_path: Path
) -> None:
    held = arrive(lawful, tmp_path, eml(SENDER, "Фамилия", CORRECTION))
    assert [m.state for m in held] == ["person"]  # a rectification needs what to correct

    with pytest.raises(PolicyViolation) as refused:
        decide(lawful, held[0].id, "rectification")
    assert refused.value.field == "details.category"
    decide(lawful, held[0].id, "rectification", category="user.name", value="Ковалёва")

    with lawful.sessions() as session:
        message = session.get_one(IntakeMessage, held[0].id)
        request = session.get_one(Request, message.request_id)
    assert request.kind == "rectification"


def test_dismissing_destroys_the_content_and_keeps_the_message_known(
    lawful: Lawful, tmp_path: Path
) -> None:
    raw = eml(SENDER, "Удаление", WITH_HEALTH)
    (held,) = arrive(lawful, tmp_path, raw)

    decide(lawful, held.id, "dismiss")

    with lawful.sessions() as session:
        message = session.get_one(IntakeMessage, held.id)
        assert (message.state, message.sealed, message.wrapped_key) == ("dismissed", b"", b"")
        assert review.waiting(session) == []
    assert actions(lawful)[-1] == "destroy"
    with lawful.sessions() as session, pytest.raises(InvalidTransition):
        review.read(
            session=session, ring=lawful.ring, message_id=held.id, actor="user:dpo", now=LATER
        )
    assert arrive(lawful, tmp_path, raw) == []  # the same message again is not stored twice


def test_a_bad_decision_changes_nothing(lawful: Lawful, tmp_path: Path) -> None:
    (held,) = arrive(lawful, tmp_path, eml(SENDER, "Удаление", WITH_HEALTH))
    before = actions(lawful)

    with pytest.raises(PolicyViolation) as refused:
        decide(lawful, held.id, "shred")
    with pytest.raises(NotFound):
        decide(lawful, "0" * 32, "erasure")

    assert refused.value.field == "decision"
    assert actions(lawful) == before
    with lawful.sessions() as session:
        assert session.get_one(IntakeMessage, held.id).state == "quarantined"


def test_an_unreadable_message_can_only_be_kept_or_dismissed(
    lawful: Lawful, tmp_path: Path
) -> None:
    broken = (
        b"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\nno boundary here\r\n'
    )
    (held,) = arrive(lawful, tmp_path, broken)
    assert held.meta["reason"] == "malformed-mime"

    with pytest.raises(PolicyViolation):
        decide(lawful, held.id, "erasure")
    decide(lawful, held.id, "inquiry")

    with lawful.sessions() as session:
        message = session.get_one(IntakeMessage, held.id)
    assert (message.state, message.purpose) == ("routed", "order_details")


def test_the_cli_lists_without_personal_data_shows_and_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lawful.cli import app

    cli_home(tmp_path, monkeypatch, "ru-design-studio")
    message = EmailMessage()
    message["From"], message["Subject"] = SENDER, "Удаление"
    message.set_content(WITH_HEALTH)
    path = tmp_path / "one.eml"
    path.write_bytes(message.as_bytes())
    runner = CliRunner()
    assert runner.invoke(app, ["intake", "import", str(path), "--no-names"]).exit_code == 0

    listed = runner.invoke(app, ["intake", "waiting"])
    assert listed.exit_code == 0, listed.output
    assert "special-category" in listed.output and "erasure" in listed.output
    assert SENDER not in listed.output and "инсульт" not in listed.output
    (message_id,) = [w for w in listed.output.split() if len(w) == 32]
    shown = runner.invoke(app, ["intake", "show", message_id])
    assert SENDER in shown.output and "инсульта" in shown.output
    decided = runner.invoke(app, ["intake", "decide", message_id, "erasure"])

    assert decided.exit_code == 0, decided.output
    assert decided.output.startswith(f"{message_id} routed request=")
