"""The administrative commands, run as a user would (``lawful.cli.run`` with argv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawful.cli import run
from lawful.context import open_lawful
from lawful.crypto.keyfile import generate_master_key_file, load_master_key
from lawful.settings import Settings
from lawful.subjects import service as subjects


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    for name in (
        "LAWFUL_DATABASE_URL",
        "LAWFUL_MASTER_KEY",
        "LAWFUL_MASTER_KEY_FILE",
        "LAWFUL_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    settings = Settings.from_env()
    generate_master_key_file(settings.master_key_path)
    lawful = open_lawful(settings, load_config=False)
    with lawful.sessions.begin() as session:
        for n in range(3):
            subjects.create_subject(
                session=session,
                ring=lawful.ring,
                actor="t",
                identifiers={"email": f"p{n}@example.vn"},
            )
    lawful.close()
    return settings


def test_audit_verify_reports_an_intact_chain(home, capsys):
    assert run(["audit", "verify"]) == 0
    assert "audit chain intact: 3 events" in capsys.readouterr().out


def test_audit_verify_names_the_first_edited_event_and_exits_1(home, capsys):
    lawful = open_lawful(home, load_config=False)
    with lawful.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET action = 'use' WHERE seq = 2")
    lawful.close()
    assert run(["audit", "verify"]) == 1
    assert "broken at event 2" in capsys.readouterr().err


def test_keys_rotate_leaves_one_new_key_that_opens_everything(home, capsys):
    (old,) = load_master_key(home.master_key_path)
    assert run(["keys", "rotate", "--batch", "2"]) == 0
    (new,) = load_master_key(home.master_key_path)
    assert new.key_id != old.key_id
    assert "3 data keys re-wrapped" in capsys.readouterr().out
    lawful = open_lawful(home, load_config=False)
    with lawful.sessions.begin() as session:
        assert subjects.find_subject(
            session=session, ring=lawful.ring, kind="email", value="p1@example.vn"
        )
    lawful.close()


def test_a_missing_master_key_is_one_line_and_exit_1(home, capsys):
    home.master_key_path.unlink()
    assert run(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lawful init" in err


def test_a_bad_option_is_a_usage_line_and_exit_2(home, capsys):
    assert run(["keys", "rotate", "--batch", "0"]) == 2
    err = capsys.readouterr().err
    assert "--batch" in err and "Traceback" not in err
