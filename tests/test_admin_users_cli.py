"""``lawful users …``: adding the admin's users from the command line, as a user would."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest

from lawful.cli import run
from lawful.context import open_lawful
from lawful.errors import Unauthorized
from lawful.settings import Settings
from lawful.users import service as users
from tests.cli_env import cli_home

PASSWORD = "a long enough password"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return cli_home(tmp_path, monkeypatch, "ru-design-studio")


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _sign_in(settings: Settings, email: str, password: str, code: str = "") -> str:
    lawful = open_lawful(settings)
    try:
        with lawful.sessions.begin() as session:
            signed = users.sign_in(
                session=session,
                ring=lawful.ring,
                email=email,
                password=password,
                code=code,
                now=datetime.now(UTC),
            )
            return signed.user.role
    finally:
        lawful.close()


def test_users_add_reads_the_password_from_stdin_and_list_shows_the_user(home, monkeypatch, capsys):
    _stdin(monkeypatch, PASSWORD + "\n")
    assert run(["users", "add", "DPO@Studio.example", "--role", "dpo"]) == 0
    assert "added dpo@studio.example as dpo" in capsys.readouterr().out
    assert _sign_in(home, "dpo@studio.example", PASSWORD) == "dpo"
    assert run(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert "dpo@studio.example\tdpo\tpassword\tactive" in listed
    assert PASSWORD not in listed


def test_a_short_password_or_unknown_role_is_one_line_and_exit_1(home, monkeypatch, capsys):
    _stdin(monkeypatch, "short\n")
    assert run(["users", "add", "a@studio.example"]) == 1
    assert capsys.readouterr().err.strip().startswith("lawful: the password needs")
    _stdin(monkeypatch, PASSWORD + "\n")
    assert run(["users", "add", "a@studio.example", "--role", "root"]) == 1
    assert "role must be one of" in capsys.readouterr().err
    assert run(["users", "list"]) == 0 and capsys.readouterr().out == ""


def test_role_totp_password_and_disable(home, monkeypatch, capsys):
    _stdin(monkeypatch, PASSWORD + "\n")
    run(["users", "add", "s@studio.example"])
    assert run(["users", "role", "s@studio.example", "auditor"]) == 0
    assert _sign_in(home, "s@studio.example", PASSWORD) == "auditor"
    capsys.readouterr()
    assert run(["users", "totp", "s@studio.example"]) == 0
    secret = pyotp.parse_uri(capsys.readouterr().out.strip()).secret
    with pytest.raises(Unauthorized):
        _sign_in(home, "s@studio.example", PASSWORD)
    assert _sign_in(home, "s@studio.example", PASSWORD, pyotp.TOTP(secret).now()) == "auditor"
    _stdin(monkeypatch, "another long password\n")
    assert run(["users", "password", "s@studio.example"]) == 0
    assert run(["users", "disable", "s@studio.example"]) == 0
    with pytest.raises(Unauthorized):
        _sign_in(home, "s@studio.example", "another long password")
