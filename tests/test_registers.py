"""Registers and dossiers: the fields each law asks for, the config version stamp, counts from
the store, and the files the CLI writes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from importlib.resources import files

import pytest

from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.errors import PolicyViolation
from lawful.registers import service
from lawful.registers.output import config_version
from lawful.subjects.service import create_subject, record
from lawful.transfers.service import transfer

NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def template(name: str) -> Policy:
    text = files("lawful.config").joinpath("templates", f"{name}.yaml").read_text("utf-8")
    return load_policy_text(text, f"{name}.yaml").policy


RU, KZ, VN = (
    template("ru-design-studio"),
    template("kz-messaging-saas"),
    template("vn-crm-integrator"),
)


def test_each_operator_gets_the_documents_its_jurisdictions_require():
    assert service.kinds(RU) == ["ropa", "rkn-processing", "rkn-cross-border"]
    assert service.kinds(KZ) == ["ropa"]
    assert service.kinds(VN) == ["ropa", "vn-dpia", "vn-tia"]
    with pytest.raises(PolicyViolation) as refused:
        service.render(KZ, "rkn-processing", language="ru", now=NOW)
    assert refused.value.field == "kind"


def test_the_config_version_changes_with_the_content_only():
    same = load_policy_text(
        "# a comment\n"
        + files("lawful.config").joinpath("templates", "ru-design-studio.yaml").read_text("utf-8")
    ).policy
    assert config_version(same) == config_version(RU)
    moved = RU.model_copy(update={"security_measures": ["badge access to the office"]})
    assert config_version(moved) != config_version(RU)


@pytest.mark.parametrize(("policy", "kind"), [(p, k) for p in (RU, VN) for k in service.kinds(p)])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_document_states_the_config_version(policy, kind, language):
    text = service.render(policy, kind, language=language, now=NOW)
    assert config_version(policy) in text


def test_the_ropa_has_the_article_30_fields():
    text = service.render(
        RU.model_copy(update={"security_measures": ["badge access"]}),
        "ropa",
        language="en",
        now=NOW,
        counts={"held": {"order_details": 42}},
    )
    for field in (
        "## 1. Controller",
        "**Legal basis:**",
        "**Categories of data subjects:** prospective customers, customers",
        "**Categories of personal data:** Full name; Phone number",
        "**Recipients:**",
        "**Transfers to third countries and safeguards:** Independent designer",
        "**Time limits for erasure:** until the order is closed",
        "## 3. Technical and organisational security measures",
        "- badge access",
        "**People whose data are held now:** 42",
        "dpo@liniya-i-tsvet.example",
    ):
        assert field in text


def test_the_ropa_csv_has_one_row_per_purpose():
    rows = list(csv.DictReader(io.StringIO(service.ropa_csv(RU, {"held": {"accounting": 3}}))))
    assert [r["purpose"] for r in rows] == list(RU.purposes)
    accounting = rows[1]
    assert accounting["legal_basis"] == "legal_obligation"
    assert accounting["people_held"] == "3"
    assert accounting["config_version"] == config_version(RU)
    assert "GE; contract" in rows[0]["third_country_transfers"]


def test_the_rkn_notifications_carry_the_article_22_and_12_content():
    processing = service.render(RU, "rkn-processing", language="ru", now=NOW)
    for field in (
        "ИНН",
        "ОГРН",
        "Перечень действий",
        "Меры по обеспечению безопасности",
        "Местонахождение баз данных",
        "Трансграничная передача",
        "Дата начала обработки",
    ):
        assert field in processing
    crossing = service.render(RU, "rkn-cross-border", language="ru", now=NOW)
    for field in (
        "Independent designer",
        "Грузия",
        "Категории и перечень персональных данных",
        "Меры защиты, принимаемые получателем",
        "Уведомление подано:** 2025-03-03",
        "требует оценки",
    ):
        assert field in crossing


def test_the_vietnamese_dossiers_carry_the_required_contents():
    tia = service.render(VN, "vn-tia", language="en", now=NOW, counts={"transfers": {"kommo": 5}})
    for field in (
        "Purposes of processing after the transfer",
        "Types of personal data",
        "subjects' consent",
        "Compliance and protection measures",
        "Document binding sender and recipient",
        "Transfers so far (transfer log):** 5",
        "United States",
    ):
        assert field in tia
    dpia = service.render(VN, "vn-dpia", language="en", now=NOW)
    for field in (
        "Controller and its contacts",
        "Processing time and deletion",
        "Transfers abroad",
        "Protection measures",
        "possible harm and mitigation",
    ):
        assert field in dpia


def test_counts_come_from_the_store(sessions, ring):
    with sessions.begin() as session:
        subject = create_subject(session=session, ring=ring, identifiers={}, actor="t")
        record(
            session=session,
            ring=ring,
            policy=RU,
            subject_id=subject,
            purpose="order_details",
            values={"user.name": "Анна"},
            actor="t",
        )
        transfer(
            session=session,
            policy=RU,
            subject_id=subject,
            recipient="freelance_designer",
            purpose="order_details",
            categories=["user.name"],
            actor="t",
        )
    with sessions() as session:
        counts = service.store_counts(session)
    assert counts == {"held": {"order_details": 1}, "transfers": {"freelance_designer": 1}}


def test_the_cli_writes_every_document_in_every_format_and_language(tmp_path, monkeypatch, capsys):
    from lawful.cli import run
    from tests.cli_env import cli_home

    cli_home(tmp_path, monkeypatch, "ru-design-studio")
    assert run(["registers", "list"]) == 0
    assert capsys.readouterr().out.split() == service.kinds(RU)
    assert run(["registers", "write", "--dir", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "ropa.ru.csv" in written and "rkn-cross-border.en.pdf" in written
    assert len(written) == 2 * (4 + 3 + 3)
    assert (tmp_path / "out" / "ropa.en.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "out" / "rkn-processing.ru.html").read_text("utf-8")
    assert config_version(RU) in html and html.startswith("<!doctype html>")
    assert run(["registers", "write", "vn-dpia", "--dir", str(tmp_path / "x")]) == 1
