"""`lawful requests`, `lawful authority` and `lawful destruction` on the command line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from lawful.authority import service as authority
from lawful.cli import run
from lawful.cli.requests_cmds import parse_span
from lawful.config.init import write_starter_config
from lawful.context import open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.errors import InvalidTransition, PolicyViolation
from lawful.settings import Settings
from tests.requests_support import Inbox, add_person, smtp_server

EMAIL = "olga@example.org"


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Iterator[tuple[Settings, Inbox]]:
    monkeypatch.chdir(tmp_path)
    for name in ("LAWFUL_MASTER_KEY", "LAWFUL_MASTER_KEY_FILE", "LAWFUL_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LAWFUL_DATABASE_URL", database_url)
    write_starter_config(tmp_path / "lawful.yaml", "ru-design-studio")
    with smtp_server() as (inbox, url):
        monkeypatch.setenv("LAWFUL_SMTP_URL", url)
        settings = Settings.from_env()
        generate_master_key_file(settings.master_key_path)
        lawful = open_lawful(settings)
        add_person(lawful, EMAIL, {"user.name": "Olga"})
        lawful.close()
        yield settings, inbox


def _id(text: str) -> str:
    match = re.search(r"\b([0-9a-f]{32})\b", text)
    assert match
    return match.group(1)


def test_a_written_erasure_request_from_entry_to_act(home, capsys, tmp_path):
    _settings, inbox = home
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(b"%PDF scanned letter")
    assert (
        run(
            [
                "requests",
                "enter",
                "--kind",
                "erasure",
                "--email",
                EMAIL,
                "--verified",
                "signed letter",
                "--evidence",
                str(scan),
            ]
        )
        == 0
    )
    request_id = _id(capsys.readouterr().out)
    assert run(["requests", "--due-within", "40d"]) == 0
    listed = capsys.readouterr().out
    assert request_id[:10] in listed and "1 open request" in listed
    assert run(["requests", "list", "--overdue"]) == 0
    assert "0 open request" in capsys.readouterr().out
    assert run(["requests", "assign", request_id, "olga.dpo"]) == 0
    assert (
        run(["requests", "act", request_id, "--destroyed-by", "I. Petrov", "--position", "DPO"])
        == 0
    )
    acted = capsys.readouterr().out
    act_number = re.search(r"destruction act No. (\S+)", acted)
    assert act_number
    assert run(["requests", "complete", request_id]) == 0
    assert "удовлетворён" in capsys.readouterr().out
    assert "удовлетворён" in inbox.body(inbox.last_to(EMAIL))
    assert run(["requests", "show", request_id]) == 0
    shown = capsys.readouterr().out
    assert "answered" in shown and EMAIL not in shown
    pdf = tmp_path / "act.pdf"
    assert (
        run(["destruction", "show", act_number.group(1), "--format", "pdf", "--out", str(pdf)]) == 0
    )
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "I. Petrov" in text and "user.name" in text
    assert run(["destruction", "show", act_number.group(1), "--language", "en"]) == 0
    assert "Method of destruction" in capsys.readouterr().out


def test_operator_actions_refuse_what_the_state_does_not_allow(home, capsys):
    assert run(["requests", "enter", "--kind", "access", "--phone", "+7 495 123-45-67"]) == 0
    request_id = _id(capsys.readouterr().out)
    assert run(["requests", "act", request_id]) == 1
    assert "cannot be acted on" in capsys.readouterr().err
    assert run(["requests", "verify", request_id, "--reason", "called back on record"]) == 0
    assert run(["requests", "reject", request_id, "--reason", "152-FZ Art. 14(8)"]) == 0
    assert "152-FZ Art. 14(8)" in capsys.readouterr().out


def test_staff_enter_a_rectification_with_its_details(home, capsys):
    args = ["requests", "enter", "--kind", "rectification", "--email", EMAIL, "--verified", "ID"]
    assert run([*args, "--detail", "category"]) == 1
    assert "KEY=VALUE" in capsys.readouterr().err
    assert run([*args, "--detail", "category=user.name", "--detail", "value=Olga K."]) == 0
    request_id = _id(capsys.readouterr().out)
    assert run(["requests", "act", request_id]) == 0
    assert "rectified" in capsys.readouterr().out


def test_spans_parse_and_bad_ones_are_refused():
    assert parse_span("2d") == timedelta(days=2)
    assert parse_span("12h") == timedelta(hours=12)
    with pytest.raises(PolicyViolation):
        parse_span("soon")


def test_an_authority_request_is_due_in_ten_russian_working_days(home, capsys, tmp_path):
    settings, _inbox = home
    lawful = open_lawful(settings)
    received = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    try:
        with lawful.sessions.begin() as session:
            row = authority.register(
                session=session,
                ring=lawful.ring,
                policy=lawful.require_policy(),
                authority="Roskomnadzor",
                reference="08-12345",
                jurisdiction="ru",
                received_at=received,
                summary="about client Olga",
                actor="t",
            )
            authority.attach(
                session=session,
                ring=lawful.ring,
                entry_id=row.id,
                name="request.pdf",
                data=b"%PDF",
                direction="in",
                media_type="application/pdf",
                now=received,
            )
        assert row.due_at.date().isoformat() == "2026-11-17"
        assert b"Olga" not in row.sealed
        with lawful.sessions.begin() as session, pytest.raises(InvalidTransition):
            # The template promises 10 working days: the promise does not stretch.
            authority.extend(
                session=session,
                policy=lawful.require_policy(),
                entry_id=row.id,
                reason="more time",
                actor="t",
                now=received,
            )
        with lawful.sessions() as session:
            docs = authority.documents(session, lawful.ring, row.id)
            overdue = authority.listing(
                session=session, now=received + timedelta(days=30), overdue=True
            )
        assert docs == [("in", "request.pdf", b"%PDF")] and [r.id for r in overdue] == [row.id]
    finally:
        lawful.close()
    answer = tmp_path / "answer.txt"
    answer.write_text("Our answer", encoding="utf-8")
    assert run(["authority", "answer", row.id, "--text", str(answer)]) == 0
    capsys.readouterr()
    assert run(["authority", "list"]) == 0
    assert row.id[:12] not in capsys.readouterr().out
    assert run(["authority", "add", "--authority", "RKN", "--reference", "1"]) == 0
    assert "due" in capsys.readouterr().out
