"""Special categories the policy does not declare: quarantined or redacted as lawful.yaml says,
the operator told without the sender or the words; declared ones are processed. Both backends."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ruamel.yaml import YAML

from lawful.audit.models import AuditEvent
from lawful.config.init import write_starter_config
from lawful.context import Lawful, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.intake import flows, service
from lawful.intake.detect import declared, mask_special
from lawful.intake.messengers import flows as messenger_flows
from lawful.intake.messengers.telegram import Telegram
from lawful.intake.models import IntakeMessage
from lawful.intake.parse import parse
from lawful.requests import service as requests
from lawful.requests.models import Request
from lawful.settings import MessengerSettings, Settings
from tests.intake.test_import import Outbox, eml

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SENDER = "petr.sidorov@example.org"
ERASURE_WITH_HEALTH = (
    "Здравствуйте. Прошу удалить все мои данные из вашей базы. "
    "У меня диагноз диабет, и я не хочу, чтобы справка о болезни хранилась у вас. Спасибо."
)
HEALTH_WORDS = ("диабет", "диагноз", "болезни")

Edit = Callable[[dict[str, Any]], None]


def open_studio(tmp_path: Path, database_url: str, edit: Edit | None = None) -> Lawful:
    config = write_starter_config(tmp_path / "lawful.yaml", "ru-design-studio")
    if edit is not None:
        yaml = YAML()
        document = yaml.load(config.read_text("utf-8"))
        edit(document)
        with config.open("w", encoding="utf-8") as out:
            yaml.dump(document, out)
    settings = replace(
        Settings.from_env({}, data_dir=tmp_path), config_path=config, database_url=database_url
    )
    generate_master_key_file(settings.master_key_path)
    return open_lawful(settings)


def redacting(document: dict[str, Any]) -> None:
    document["intake"] = {"undeclared_special": "redact"}


def declaring_health(document: dict[str, Any]) -> None:
    document["categories"]["user.health_and_medical"] = {
        "special": True,
        "special_basis": "written consent (152-FZ Art. 10(2)(1))",
    }


@pytest.fixture
def studio(tmp_path: Path, database_url: str) -> Iterator[Callable[[Edit | None], Lawful]]:
    opened: list[Lawful] = []

    def make(edit: Edit | None = None) -> Lawful:
        opened.append(open_studio(tmp_path, database_url, edit))
        return opened[-1]

    yield make
    for lawful in opened:
        lawful.close()


def import_one(lawful: Lawful, tmp_path: Path, raw: bytes) -> tuple[IntakeMessage, Outbox]:
    path = tmp_path / "one.eml"
    path.write_bytes(raw)
    outbox = Outbox()
    flows.import_file(lawful, outbox, path, actor="test", now=NOW, names=False)
    with lawful.sessions() as session:
        (message,) = session.scalars(sa.select(IntakeMessage))
        session.expunge(message)
    return message, outbox


def opened_raw(lawful: Lawful, message: IntakeMessage) -> bytes:
    return service.key_of(lawful.ring, message).open_bytes(message.sealed, "raw")


def journal(lawful: Lawful) -> list[AuditEvent]:
    with lawful.sessions() as session:
        return list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))


def test_by_default_the_message_is_quarantined_and_the_operator_told(
    studio: Callable[[Edit | None], Lawful], tmp_path: Path
) -> None:
    lawful = studio(None)

    message, outbox = import_one(lawful, tmp_path, eml(SENDER, "Удаление", ERASURE_WITH_HEALTH))

    assert (message.state, message.meta["reason"]) == ("quarantined", "special-category")
    assert (message.label, message.special) == ("erasure", ["health"])  # known, not acted on
    assert message.request_id is None
    with lawful.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 0
    assert "диабет" in parse(opened_raw(lawful, message)).text  # sealed, whole, for a person
    (notice,) = outbox.sent  # no code: no request was opened
    assert notice.to == "dpo@liniya-i-tsvet.example"
    assert "состояние здоровья" in notice.body and message.id in notice.body
    assert "карантин" in notice.body
    assert SENDER not in notice.body and not any(w in notice.body for w in HEALTH_WORDS)


def test_redaction_keeps_only_a_masked_copy_and_processes_it(
    studio: Callable[[Edit | None], Lawful], tmp_path: Path
) -> None:
    lawful = studio(redacting)

    message, outbox = import_one(lawful, tmp_path, eml(SENDER, "Удаление", ERASURE_WITH_HEALTH))

    assert (message.state, message.label) == ("routed", "erasure")
    assert message.meta["redacted"] == ["health"] and message.special == []
    kept = parse(opened_raw(lawful, message))
    assert kept.sender == SENDER and "Прошу удалить все мои данные" in kept.text
    assert "[special category: health]" in kept.text
    assert not any(word in kept.text for word in HEALTH_WORDS)
    with lawful.sessions() as session:
        request = session.get_one(Request, message.request_id)
        text = requests.contents(lawful.ring, request)["message"]
    assert not any(word in text for word in HEALTH_WORDS)
    destroyed = [e for e in journal(lawful) if e.action == "destroy"]
    assert len(destroyed) == 1 and "special-category" in destroyed[0].body
    assert [mail.to for mail in outbox.sent] == ["dpo@liniya-i-tsvet.example", SENDER]
    assert "скрыты" in outbox.sent[0].body  # the operator (in Russian), then the person's code


def test_a_declared_special_category_is_flagged_and_processed(
    studio: Callable[[Edit | None], Lawful], tmp_path: Path
) -> None:
    lawful = studio(declaring_health)

    message, outbox = import_one(lawful, tmp_path, eml(SENDER, "Удаление", ERASURE_WITH_HEALTH))

    assert (message.state, message.label, message.special) == ("routed", "erasure", ["health"])
    assert "диабет" in parse(opened_raw(lawful, message)).text
    assert [mail.to for mail in outbox.sent] == [SENDER]  # the code alone: nothing to tell


def test_the_journal_names_no_category_and_no_words(
    studio: Callable[[Edit | None], Lawful], tmp_path: Path
) -> None:
    lawful = studio(redacting)

    import_one(lawful, tmp_path, eml(SENDER, "Удаление", ERASURE_WITH_HEALTH))

    text = " ".join(event.body for event in journal(lawful))
    assert "health" not in text and SENDER not in text
    assert not any(word in text for word in HEALTH_WORDS)


def test_a_messenger_message_is_redacted_field_by_field(
    studio: Callable[[Edit | None], Lawful],
) -> None:
    lawful = studio(redacting)
    update = {
        "update_id": 7,
        "message": {
            "message_id": 12,
            "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "first_name": "Пётр", "username": "petr_s"},
            "date": 1793000000,
            "text": ERASURE_WITH_HEALTH,
        },
    }
    inbound = Telegram(MessengerSettings()).split(json.dumps(update).encode())

    (message_id,) = messenger_flows.store(lawful, inbound, now=NOW)
    tools = service.Tools.for_policy(lawful.require_policy(), names=False)
    outbox = Outbox()
    counts = messenger_flows.process(lawful, tools, {}, [message_id], now=NOW, mailer=outbox)

    assert counts["operator-told"] == 1
    with lawful.sessions() as session:
        message = session.get_one(IntakeMessage, message_id)
        kept = json.loads(opened_raw(lawful, message))
    assert kept["message"]["chat"]["id"] == 4242  # the reply still finds its chat
    assert "[special category: health]" in kept["message"]["text"]
    assert not any(word in json.dumps(kept, ensure_ascii=False) for word in HEALTH_WORDS)


def test_masking_takes_the_whole_sentence_and_only_the_categories_named() -> None:
    text = "Добрый день. Я православный. Удалите мой телефон! У меня ВИЧ.\nСпасибо"

    masked = mask_special(text, {"health"})

    assert masked == (
        "Добрый день. Я православный. Удалите мой телефон! [special category: health]\nСпасибо"
    )


def test_a_category_declares_the_special_categories_within_it() -> None:
    assert declared(["user.health_and_medical"]) == {"health"}
    assert declared(["user.health_and_medical.genetic"]) == set()  # narrower: not all health
    assert declared(["user.demographic"]) == {
        "religion",
        "politics",
        "race_nationality",
        "intimate_life",
    }
    assert declared(["user.contact.email"]) == set()
