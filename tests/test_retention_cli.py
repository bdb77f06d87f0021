"""``lawful sweep`` and ``lawful retention …`` as an operator runs them (SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lawful.cli import run
from lawful.context import open_lawful
from lawful.destruction.models import DestructionAct
from lawful.subjects import service as subjects
from lawful.subjects.models import PersonalValue
from tests.cli_env import cli_home

NAME = "Pavel Sweepable"


@pytest.fixture
def home(tmp_path, monkeypatch):
    return cli_home(tmp_path, monkeypatch, "ru-design-studio")


def _person(settings, purpose: str, values: dict[str, str], days_ago: int) -> str:
    lawful = open_lawful(settings)
    try:
        with lawful.sessions.begin() as session:
            subject_id = subjects.create_subject(session=session, ring=lawful.ring, actor="t")
            subjects.record(
                session=session,
                ring=lawful.ring,
                policy=lawful.require_policy(),
                subject_id=subject_id,
                purpose=purpose,
                values=values,
                actor="t",
                now=datetime.now(UTC) - timedelta(days=days_ago),
            )
        return subject_id
    finally:
        lawful.close()


def _count(settings, model) -> int:
    lawful = open_lawful(settings)
    try:
        with lawful.sessions() as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
    finally:
        lawful.close()


def test_an_order_closed_long_ago_is_swept_with_one_act(home, capsys):
    subject_id = _person(home, "order_details", {"user.name": NAME}, days_ago=100)
    closed = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    assert run(["retention", "event", subject_id, "order_closed", "--at", closed]) == 0
    assert run(["sweep", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "order_details" in out and "order_closed + 30 days" in out and NAME not in out
    assert _count(home, PersonalValue) == 1
    assert run(["sweep"]) == 0
    out = capsys.readouterr().out
    assert "destruction act:" in out and "none" not in out
    assert _count(home, PersonalValue) == 0 and _count(home, DestructionAct) == 1


def test_a_held_subject_is_kept_and_the_reason_shown(home, capsys):
    subject_id = _person(home, "order_details", {"user.name": NAME}, days_ago=100)
    closed = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    assert run(["retention", "event", subject_id, "order_closed", "--at", closed]) == 0
    assert run(["retention", "hold", subject_id, "--reason", "case A40-7/2026"]) == 0
    assert run(["retention", "holds"]) == 0
    assert "case A40-7/2026" in capsys.readouterr().out
    assert run(["sweep"]) == 0
    out = capsys.readouterr().out
    assert "held: order_details: 1 values — case A40-7/2026" in out
    assert "none (nothing was removed)" in out
    assert _count(home, PersonalValue) == 1
    assert run(["retention", "release", "1"]) == 0
    assert run(["sweep"]) == 0
    assert _count(home, PersonalValue) == 0


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["retention", "event", "0" * 32, "account_deleted"], "not awaited by any purpose"),
        (["retention", "event", "0" * 32, "order_closed"], "no such subject"),
        (["retention", "event", "0" * 32, "order_closed", "--at", "yesterday"], "ISO 8601"),
        (["retention", "hold", "0" * 32, "--reason", "x", "--purpose", "nope"], "not declared"),
        (["retention", "release", "99"], "no legal hold 99"),
    ],
)
def test_bad_input_is_one_line_naming_the_problem(home, capsys, args, problem):
    assert run(args) == 1
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1
