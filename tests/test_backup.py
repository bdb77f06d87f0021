"""Backups that keep erasure: back up, erase, restore — the erased person stays erased, on
SQLite and PostgreSQL, and the journal says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful import audit
from lawful.audit.models import AuditEvent
from lawful.backup import service
from lawful.backup.ledger import ledger_of
from lawful.context import Lawful, open_lawful
from lawful.errors import BackupError
from lawful.subjects.models import Identifier, PersonalValue, Subject
from lawful.subjects.service import (
    create_subject,
    destroy_purpose_values,
    destroy_subject,
    export_subject,
    find_subject,
    record,
)
from tests.conftest import open_template

ANNA, BORIS, CLARA = "anna@example.ru", "boris@example.ru", "clara@example.ru"


def add_person(lawful: Lawful, email: str) -> str:
    with lawful.sessions.begin() as session:
        subject = create_subject(
            session=session, ring=lawful.ring, identifiers={"email": email}, actor="t"
        )
        record(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            subject_id=subject,
            purpose="order_details",
            values={"user.name": f"Name of {email}", "user.contact.email": email},
            actor="t",
        )
    return subject


def erase(lawful: Lawful, subject: str) -> None:
    with lawful.sessions.begin() as session:
        destroy_subject(session=session, subject_id=subject, actor="t", reason="erasure request")


def find(lawful: Lawful, email: str) -> str | None:
    with lawful.sessions() as session:
        return find_subject(session=session, ring=lawful.ring, kind="email", value=email)


@pytest.fixture
def lawful(tmp_path: Path, database_url: str):
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def test_a_restored_backup_never_brings_an_erased_person_back(lawful, tmp_path):
    anna, boris = add_person(lawful, ANNA), add_person(lawful, BORIS)
    copy = service.backup(lawful.engine, tmp_path / "before.lawful-backup")
    erase(lawful, anna)
    clara = add_person(lawful, CLARA)  # born and erased after the backup: not in it at all
    erase(lawful, clara)
    ledger = ledger_of(lawful.engine)
    assert ledger is not None
    result = service.restore(lawful.engine, copy.path, ledger)
    assert result.reapplied == [anna]
    assert find(lawful, ANNA) is None and find(lawful, CLARA) is None
    with lawful.sessions() as session:
        assert session.get(Subject, anna) is None
        for table in (PersonalValue, Identifier):
            left = session.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.subject_id == anna)
            )
            assert left == 0
        kept = export_subject(session=session, ring=lawful.ring, subject_id=boris, actor="t")
        assert {v.value for v in kept.values} == {BORIS, f"Name of {BORIS}"}
        journal = session.execute(
            sa.select(AuditEvent.action, AuditEvent.subject_ref, AuditEvent.body).order_by(
                AuditEvent.seq
            )
        ).all()
    reapplied = [b for a, s, b in journal if a == "destroy" and s == anna]
    assert len(reapplied) == 1 and "re-applied after restore" in reapplied[0]
    assert journal[-1].action == "restore" and '"reapplied":1' in journal[-1].body
    assert all(ANNA not in body for _, _, body in journal)
    assert audit.verify(lawful.engine).ok


def test_the_restored_database_keeps_working_and_a_second_restore_is_clean(lawful, tmp_path):
    anna = add_person(lawful, ANNA)
    copy = service.backup(lawful.engine, tmp_path / "b1")
    erase(lawful, anna)
    ledger = ledger_of(lawful.engine)
    assert ledger is not None
    service.restore(lawful.engine, copy.path, ledger)
    boris = add_person(lawful, BORIS)  # new rows after a restore get fresh ids
    assert find(lawful, BORIS) == boris
    again = service.restore(lawful.engine, copy.path, ledger)
    assert again.reapplied == [anna] and find(lawful, ANNA) is None


def test_the_ledger_only_records_erasures_that_commit(lawful):
    anna = add_person(lawful, ANNA)
    ledger = ledger_of(lawful.engine)
    assert ledger is not None
    before = ledger.newest()
    with lawful.sessions() as session, session.begin():
        destroy_subject(session=session, subject_id=anna, actor="t", reason="x")
        session.rollback()
    assert ledger.newest() == before
    erase(lawful, anna)
    assert [e.subject_id for e in ledger.after(before)] == [anna]


def test_bad_backup_and_restore_requests_change_nothing(lawful, tmp_path):
    anna = add_person(lawful, ANNA)
    taken = service.backup(lawful.engine, tmp_path / "b")
    with pytest.raises(BackupError):
        service.backup(lawful.engine, taken.path)
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a backup")
    ledger = ledger_of(lawful.engine)
    assert ledger is not None
    with pytest.raises(BackupError):
        service.restore(lawful.engine, junk, ledger)
    assert find(lawful, ANNA) == anna


def test_opening_a_database_restored_by_hand_re_applies_erasures_first(tmp_path):
    opened = open_template(tmp_path, f"sqlite:///{tmp_path / 'lawful.db'}", "ru-design-studio")
    anna = add_person(opened, ANNA)
    copy = service.backup(opened.engine, tmp_path / "b")
    erase(opened, anna)
    opened.close()
    shutil.copyfile(copy.path, tmp_path / "lawful.db")  # an operator copies the file back
    (tmp_path / "lawful.db-wal").unlink(missing_ok=True)
    reopened = open_lawful(opened.settings)
    try:
        assert find(reopened, ANNA) is None
    finally:
        reopened.close()


def test_the_cli_backs_up_and_restores(tmp_path, monkeypatch, capsys):
    from lawful.cli import run
    from tests.cli_env import cli_home

    settings = cli_home(tmp_path, monkeypatch, "ru-design-studio")
    opened = open_lawful(settings)
    anna = add_person(opened, ANNA)
    opened.close()
    file = tmp_path / "nightly.backup"
    assert run(["backup", str(file)]) == 0
    assert "backup of sqlite" in capsys.readouterr().out
    opened = open_lawful(settings)
    erase(opened, anna)
    opened.close()
    assert run(["restore", str(file), "--yes"]) == 0
    assert "erasures re-applied: 1" in capsys.readouterr().out
    opened = open_lawful(settings)
    try:
        assert find(opened, ANNA) is None
    finally:
        opened.close()
    assert run(["restore", str(tmp_path / "missing"), "--yes"]) == 1


def test_a_purpose_destroyed_after_the_backup_stays_destroyed_and_the_rest_survives(
    lawful, tmp_path
):
    anna = add_person(lawful, ANNA)
    with lawful.sessions.begin() as session:
        record(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            subject_id=anna,
            purpose="newsletters",
            values={"user.contact.email": ANNA},
            actor="t",
        )
    copy = service.backup(lawful.engine, tmp_path / "b")
    with lawful.sessions.begin() as session:
        destroy_purpose_values(
            session=session, subject_id=anna, purpose="newsletters", actor="t", reason="withdrawn"
        )
    ledger = ledger_of(lawful.engine)
    assert ledger is not None
    assert service.restore(lawful.engine, copy.path, ledger).reapplied == [anna]
    with lawful.sessions() as session:
        held = export_subject(session=session, ring=lawful.ring, subject_id=anna, actor="t")
    assert {v.purpose for v in held.values} == {"order_details"}


def test_a_backup_is_one_self_contained_file(lawful, tmp_path):
    add_person(lawful, ANNA)
    taken = service.backup(lawful.engine, tmp_path / "one.backup")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("one.")) == ["one.backup"]
    assert service.read_meta(taken.path).revision == taken.revision
