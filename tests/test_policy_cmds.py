"""``lawful policy publish / list / show / diff``, run as a user would, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.cli import run
from lawful.config.init import write_starter_config
from lawful.crypto.keyfile import generate_master_key_file
from lawful.settings import Settings
from lawful.store.db import create_engine_for
from tests.conftest import PG_URL

NEWSLETTER_DATA = "categories: [user.name, user.contact.email]\n    consent:\n      kind: marketing"


@pytest.fixture(params=["sqlite", "postgresql"])
def home(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A data folder with the ru-design-studio policy and a master key; the database is a
    SQLite file or a fresh PostgreSQL schema. Returns the path of lawful.yaml."""
    monkeypatch.chdir(tmp_path)
    for name in ("LAWFUL_DATABASE_URL", "LAWFUL_MASTER_KEY", "LAWFUL_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    config = write_starter_config(tmp_path / "lawful.yaml", "ru-design-studio")
    monkeypatch.setenv("LAWFUL_CONFIG", str(config))
    generate_master_key_file(Settings.from_env().master_key_path)
    if request.param == "sqlite":
        yield config
        return
    request.getfixturevalue("pg_available")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    monkeypatch.setenv("LAWFUL_DATABASE_URL", f"{PG_URL}?options=-csearch_path%3D{schema}")
    yield config
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_publish_reports_each_new_version_then_nothing_new(home, capsys):
    assert run(["policy", "publish", "--effective", "2026-12-01"]) == 0
    first = capsys.readouterr().out
    assert run(["policy", "publish"]) == 0
    second = capsys.readouterr().out

    assert "published privacy-policy/ru v1" in first
    assert "published consent-portfolio_publication/en v1" in first
    assert "published" not in second and "unchanged: 12 document(s)" in second


def test_list_shows_current_versions_with_their_effective_date(home, capsys):
    run(["policy", "publish", "--effective", "2026-12-01"])
    capsys.readouterr()

    assert run(["policy", "list"]) == 0

    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 12
    assert any(line.startswith("privacy-policy") and "2026-11-30" in line for line in listed)


def test_show_prints_the_text_in_the_operators_first_language(home, capsys):
    run(["policy", "publish"])
    capsys.readouterr()

    assert run(["policy", "show", "privacy-policy"]) == 0
    assert capsys.readouterr().out.startswith("# Политика обработки персональных данных")
    assert run(["policy", "show", "privacy-policy", "--language", "en", "--version", "1"]) == 0
    assert capsys.readouterr().out.startswith("# Privacy policy of Liniya i Tsvet LLC")


def test_diff_shows_the_changed_line_and_the_material_change(home, capsys):
    run(["policy", "publish"])
    text = home.read_text(encoding="utf-8")
    wider = NEWSLETTER_DATA.replace("email]", "email, user.contact.phone_number]")
    home.write_text(text.replace(NEWSLETTER_DATA, wider), encoding="utf-8")
    capsys.readouterr()

    assert run(["policy", "publish"]) == 0
    published = capsys.readouterr().out
    assert run(["policy", "diff", "consent-newsletters", "1", "2", "--language", "en"]) == 0
    diff = capsys.readouterr().out

    assert "material change: newsletters: new category user.contact.phone_number" in published
    assert "consents to newsletters needing renewal: 0" in published
    assert "--- consent-newsletters/en/v1" in diff
    assert "-- **Personal data:** Full name; E-mail address\n" in diff
    assert "+- **Personal data:** Full name; E-mail address; Phone number\n" in diff


def test_publish_versions_the_user_agreement_file(home, tmp_path, capsys):
    agreement = tmp_path / "offer.md"
    agreement.write_text("# Public offer\n\nTerms.\n", encoding="utf-8")

    code = run(["policy", "publish", "--user-agreement", str(agreement), "--language", "ru"])

    assert code == 0 and "published user-agreement/ru v1" in capsys.readouterr().out
    assert run(["policy", "show", "user-agreement"]) == 0
    assert capsys.readouterr().out == "# Public offer\n\nTerms.\n"


def test_an_unknown_version_is_one_line_and_exit_1(home, capsys):
    run(["policy", "publish"])
    capsys.readouterr()

    assert run(["policy", "show", "privacy-policy", "--version", "7"]) == 1
    assert "no version 7 of privacy-policy" in capsys.readouterr().err


def test_a_user_agreement_needs_its_language(home, tmp_path, capsys):
    agreement = tmp_path / "offer.md"
    agreement.write_text("# Offer\n", encoding="utf-8")

    assert run(["policy", "publish", "--user-agreement", str(agreement)]) == 2


def test_an_unreadable_effective_date_is_a_usage_error(home, capsys):
    assert run(["policy", "publish", "--effective", "next tuesday"]) == 2
    assert "--effective" in capsys.readouterr().err
