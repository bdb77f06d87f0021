"""``lawful demo``: a self-contained folder of synthetic people, sealed and findable."""

from __future__ import annotations

import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from lawful import demo
from lawful.cli import serve_cmds
from lawful.config.init import available_templates, write_starter_config
from lawful.config.loader import load_policy
from lawful.context import Lawful, open_lawful
from lawful.errors import ConfigError
from lawful.intake import review
from lawful.intake.models import IntakeMessage
from lawful.requests.models import Request
from lawful.settings import Settings
from lawful.subjects.service import find_subject

PEOPLE = 200


def _cli() -> typer.Typer:
    app = typer.Typer()
    serve_cmds.register(app)
    return app


def _run_demo(folder: Path) -> str:
    result = CliRunner().invoke(
        _cli(), ["demo", "--no-serve", "--people", str(PEOPLE), "--dir", str(folder)]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "lawful-demo"


@pytest.fixture
def seeded(folder: Path) -> Iterator[Lawful]:
    """Run the demo once, then reopen its folder as a fresh process would."""
    _run_demo(folder)
    settings = replace(Settings.from_env({}, data_dir=folder), config_path=folder / "lawful.yaml")
    opened = open_lawful(settings)
    yield opened
    opened.close()


def _emails(folder: Path) -> list[str]:
    policy = load_policy(folder / "lawful.yaml").policy
    return [p.email for p in demo.synthetic_people(policy, PEOPLE)]


def test_it_creates_the_policy_and_a_private_master_key(folder, seeded):
    assert (folder / "lawful.yaml").is_file()
    assert stat.S_IMODE((folder / "master.key").stat().st_mode) == 0o600


def test_every_seeded_person_is_findable_by_e_mail(folder, seeded):
    with seeded.sessions() as session:
        found = {
            find_subject(session=session, ring=seeded.ring, kind="email", value=e)
            for e in _emails(folder)
        }
    assert None not in found and len(found) == PEOPLE
    assert demo.held(seeded)[0] == PEOPLE


def test_the_summary_names_the_operator_and_the_urls(folder):
    output = _run_demo(folder)
    assert "Công ty TNHH Biển Xanh Digital" in output
    assert f"{PEOPLE} subjects" in output
    for path in ("/docs", "/health", "/api/v1/operator"):
        assert f"http://127.0.0.1:8000{path}" in output


def test_a_rerun_reuses_the_folder_and_adds_nobody(folder, seeded):
    key = (folder / "master.key").read_bytes()
    before = demo.held(seeded)
    output = _run_demo(folder)
    assert "nothing added" in output
    assert demo.held(seeded) == before
    assert (folder / "master.key").read_bytes() == key


def test_no_seeded_e_mail_is_in_the_database_files_in_clear(folder, seeded):
    raw = b"".join(
        path.read_bytes()
        for path in (folder / "lawful.db", folder / "lawful.db-wal")
        if path.exists()
    )
    assert len(raw) > 0
    for email in _emails(folder):
        assert email.encode() not in raw
        assert email.split("@")[0].encode() not in raw


def test_the_demo_purpose_is_derived_from_each_template(tmp_path):
    for template in available_templates():
        policy = load_policy(write_starter_config(tmp_path / f"{template}.yaml", template)).policy
        purpose = demo.demo_purpose(policy)
        assert all(purpose.uses(c) for c in (demo.NAME, demo.EMAIL, demo.PHONE))
        assert purpose.legal_basis != "consent"


def test_phones_are_valid_international_numbers_of_several_countries(folder, seeded):
    policy = seeded.require_policy()
    codes = {p.phone.split()[0] for p in demo.synthetic_people(policy, PEOPLE)}
    assert {"+84", "+7", "+1"} <= codes


def test_an_unknown_template_is_a_config_error(tmp_path):
    result = CliRunner().invoke(
        _cli(), ["demo", "--no-serve", "--template", "nope", "--dir", str(tmp_path / "d")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert result.exception.field == "template"


def test_the_demo_publishes_the_documents_its_form_links_to(folder, seeded):
    from lawful.documents import service as documents

    language = seeded.require_policy().operator.languages[0]
    with seeded.sessions() as session:
        policy = documents.current(session=session, kind="privacy-policy", language=language)
    assert policy is not None and policy.version == 1


def test_the_demo_page_carries_a_plain_form_wired_to_the_widget(folder, seeded):
    from fastapi.testclient import TestClient

    from lawful.web.app import create_app

    page = TestClient(create_app(seeded, demo_site=True)).get("/demo")
    assert page.status_code == 200
    assert '<script src="/widget.js" defer></script>' in page.text
    assert 'data-lawful-purposes="inquiries,marketing"' in page.text
    assert 'data-lawful-category="user.contact.email"' in page.text
    assert TestClient(create_app(seeded)).get("/demo").status_code == 404


def test_the_printed_dpo_password_signs_in_to_the_admin_on_every_run(folder):
    from lawful.users import service as users

    def printed(output: str) -> tuple[str, str]:
        found = re.search(r"sign in as (\S+), password (\S+) ", " ".join(output.split()))
        assert found, output
        return found.group(1), found.group(2)

    first = printed(_run_demo(folder))
    second = printed(_run_demo(folder))  # a rerun sets a new one: the printed one works
    assert first[0] == second[0] == demo.DEMO_DPO and first[1] != second[1]
    settings = replace(Settings.from_env({}, data_dir=folder), config_path=folder / "lawful.yaml")
    opened = open_lawful(settings)
    try:
        with opened.sessions.begin() as session:
            signed = users.sign_in(
                session=session,
                ring=opened.ring,
                email=second[0],
                password=second[1],
                code="",
                now=datetime.now(UTC),
            )
        assert signed.user.role == "dpo"
    finally:
        opened.close()


def test_the_demo_mailbox_went_through_intake(folder, seeded):
    with seeded.sessions() as session:
        states = Counter(m.state for m in session.scalars(sa.select(IntakeMessage)))
        kinds = sorted(r.kind for r in session.scalars(sa.select(Request)))
        waiting = review.waiting(session)
    assert states == {"routed": 3, "person": 1, "quarantined": 1}
    assert kinds == ["erasure", "objection"]  # the question was kept as an inquiry
    assert [m.meta.get("reason") for m in waiting] == [None, "special-category"]


def test_a_rerun_receives_the_letters_once(folder, seeded):
    _run_demo(folder)

    with seeded.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(IntakeMessage)) == 5
