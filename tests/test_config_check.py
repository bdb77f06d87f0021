"""Coherence rules, templates, and the ``init`` / ``check`` commands.

Each rule has a row in a table: a change that breaks ``configs/minimal.yaml`` (the failing
example) and a further change that makes the policy coherent again (the passing example).
"""

from __future__ import annotations

import io
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from ruamel.yaml import YAML
from typer.testing import CliRunner

import lawful.law
from lawful.cli.config_cmds import register
from lawful.config import (
    Problem,
    available_templates,
    check_policy,
    load_policy,
    load_policy_text,
    write_starter_config,
)
from lawful.errors import ConfigError

CONFIGS = Path(__file__).parent / "configs"
Edit = Callable[[dict[str, Any]], None]


def base() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(CONFIGS / "minimal.yaml")
    return data


def check_data(data: dict[str, Any]) -> list[Problem]:
    out = io.StringIO()
    YAML(typ="safe").dump(data, out)
    return check_policy(load_policy_text(out.getvalue()))


def purpose(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = data["purposes"][name]
    return found


def add_category(key: str, **fields: Any) -> Edit:
    return lambda d: d["categories"].__setitem__(key, fields)


def consent_purpose(kind: str, **extra: Any) -> dict[str, Any]:
    """A consent-based purpose with texts in both document languages."""
    return {
        "name": kind,
        "data_use": "essential.service",
        "subjects": ["customer"],
        "legal_basis": "consent",
        "categories": ["user.name"],
        "consent": {"kind": kind, "text": {"ru": "Согласен", "en": "I agree"}},
        "retention": {"kind": "until_withdrawal"},
        **extra,
    }


def both(*edits: Edit) -> Edit:
    def apply(data: dict[str, Any]) -> None:
        for edit in edits:
            edit(data)

    return apply


def nothing(_: dict[str, Any]) -> None:
    """The failing example is already fixed by undoing it: nothing more to do."""


RULES: list[tuple[str, Edit, Edit, str]] = [
    (
        "undeclared_category",
        lambda d: purpose(d, "orders")["categories"].append("user.contact.phone_number"),
        add_category("user.contact.phone_number"),
        "category user.contact.phone_number is not declared in categories",
    ),
    (
        "undeclared_purpose_of_recipient",
        lambda d: d["recipients"]["hosting"]["purposes"].append("billing"),
        lambda d: d["purposes"].__setitem__("billing", dict(purpose(d, "orders"))),
        "purpose billing is not declared in purposes",
    ),
    (
        "undeclared_purpose_of_channel",
        lambda d: d["channels"]["mailbox"]["purposes"].append("support"),
        lambda d: d["channels"]["mailbox"]["purposes"].remove("support"),
        "purpose support is not declared in purposes",
    ),
    (
        "recipient_category_no_purpose_uses",
        both(
            add_category("user.contact.phone_number"),
            lambda d: d["recipients"]["hosting"]["categories"].append("user.contact.phone_number"),
        ),
        lambda d: purpose(d, "orders")["categories"].append("user.contact.phone_number"),
        "receives user.contact.phone_number, but none of its purposes uses it",
    ),
    (
        "purpose_without_retention",
        lambda d: purpose(d, "orders").pop("retention"),
        lambda d: purpose(d, "orders").__setitem__(
            "retention", {"kind": "legal_period", "years": 3}
        ),
        "purpose orders has no retention rule",
    ),
    (
        "until_withdrawal_without_consent",
        lambda d: purpose(d, "orders").__setitem__("retention", {"kind": "until_withdrawal"}),
        lambda d: purpose(d, "orders").__setitem__(
            "retention", {"kind": "since_collection", "months": 6}
        ),
        "keeps data until withdrawal, but it is not based on consent",
    ),
    (
        "consent_basis_without_consent",
        lambda d: d["purposes"].__setitem__(
            "analytics", {**consent_purpose("processing"), "consent": None}
        ),
        lambda d: d["purposes"].__setitem__("analytics", consent_purpose("processing")),
        "purpose analytics is based on consent but has no consent text",
    ),
    (
        "consent_text_missing_a_language",
        lambda d: purpose(d, "newsletter")["consent"]["text"].pop("en"),
        lambda d: purpose(d, "newsletter")["consent"]["text"].__setitem__("en", "I agree"),
        "purpose newsletter has no consent text in en",
    ),
    (
        "consent_on_a_contract_purpose",
        lambda d: purpose(d, "orders").__setitem__("consent", {"text": {"ru": "x", "en": "x"}}),
        lambda d: purpose(d, "orders").pop("consent"),
        "purpose orders has a consent but legal_basis is contract",
    ),
    (
        "marketing_without_separate_consent",
        lambda d: purpose(d, "newsletter")["consent"].__setitem__("separate_document", False),
        lambda d: purpose(d, "newsletter")["consent"].__setitem__("separate_document", True),
        "the marketing consent of purpose newsletter is bundled with other text",
    ),
    (
        "marketing_on_a_general_consent",
        lambda d: purpose(d, "newsletter")["consent"].__setitem__("kind", "processing"),
        lambda d: purpose(d, "newsletter")["consent"].__setitem__("kind", "marketing"),
        "marketing purpose newsletter is not based on its own marketing consent",
    ),
    (
        "marketing_on_contract",
        lambda d: purpose(d, "newsletter").update(legal_basis="contract", consent=None),
        lambda d: purpose(d, "newsletter").update(
            legal_basis="consent",
            consent={"kind": "marketing", "text": {"ru": "Да", "en": "Yes"}},
        ),
        "marketing purpose newsletter is not based on its own marketing consent",
    ),
    (
        "distribution_without_own_consent",
        lambda d: d["purposes"].__setitem__(
            "portfolio", consent_purpose("processing", distribution=True)
        ),
        lambda d: purpose(d, "portfolio")["consent"].update(
            kind="distribution", distribution={"user.name": {"permitted": True}}
        ),
        "distribution purpose portfolio is not based on its own distribution consent",
    ),
    (
        "distribution_without_per_category_terms",
        lambda d: d["purposes"].__setitem__("portfolio", consent_purpose("distribution")),
        lambda d: purpose(d, "portfolio")["consent"].__setitem__(
            "distribution", {"user.name": {"prohibit_transfer": True}}
        ),
        "sets no terms for user.name (152-FZ Art. 10.1",
    ),
    (
        "undeclared_special_category",
        add_category("user.health_and_medical"),
        add_category("user.health_and_medical", special=True, special_basis="written consent"),
        "user.health_and_medical is a special category in ru but is not declared as one",
    ),
    (
        "special_category_without_basis",
        add_category("user.demographic.race_ethnicity", special=True),
        add_category(
            "user.demographic.race_ethnicity", special=True, special_basis="Art. 10(2)(1)"
        ),
        "special category user.demographic.race_ethnicity has no basis",
    ),
    (
        "unknown_jurisdiction",
        lambda d: d["operator"]["jurisdictions"].append("rus"),
        lambda d: d["operator"]["jurisdictions"].remove("rus"),
        "unknown jurisdiction — did you mean `ru`?",
    ),
    (
        "unknown_country",
        lambda d: d["operator"].__setitem__("country", "Russian Federation"),
        lambda d: d["operator"].__setitem__("country", "RU"),
        "operator.country is not a known country code — did you mean `RU`?",
    ),
    (
        "unknown_recipient_country",
        lambda d: d["recipients"]["hosting"].__setitem__("country", "XX"),
        lambda d: d["recipients"]["hosting"].__setitem__("country", "RU"),
        "recipients.hosting.country is not a known country code",
    ),
    (
        "unknown_language",
        lambda d: d["operator"]["languages"].append("xx"),
        lambda d: d["operator"]["languages"].remove("xx"),
        "unknown document language",
    ),
    (
        "unknown_timezone",
        lambda d: d["operator"].__setitem__("timezone", "Moscow"),
        lambda d: d["operator"].__setitem__("timezone", "Europe/Moscow"),
        "unknown timezone",
    ),
    (
        "no_contact_for_requests",
        lambda d: d["operator"].pop("requests_email"),
        lambda d: d["operator"].__setitem__("requests_email", "dpo@example.org"),
        "operator.requests_email is missing",
    ),
    (
        "invalid_requests_email",
        lambda d: d["operator"].__setitem__("requests_email", "privacy at example"),
        lambda d: d["operator"].__setitem__("requests_email", "privacy@example.org"),
        "operator.requests_email is not a valid e-mail address",
    ),
    (
        "unknown_fideslang_category",
        add_category("user.contact.emial"),
        lambda d: d["categories"].pop("user.contact.emial"),
        "user.contact.emial is not a fideslang data category — did you mean `user.contact.email`?",
    ),
    (
        "unknown_fideslang_data_use",
        lambda d: purpose(d, "orders").__setitem__("data_use", "essential.servce"),
        lambda d: purpose(d, "orders").__setitem__("data_use", "essential.service"),
        "did you mean `essential.service`?",
    ),
    (
        "unknown_fideslang_subject",
        lambda d: purpose(d, "orders")["subjects"].append("costumer"),
        lambda d: purpose(d, "orders")["subjects"].remove("costumer"),
        "costumer is not a fideslang data subject — did you mean `customer`?",
    ),
    (
        "custom_category_without_description",
        add_category("custom.loyalty_tier"),
        add_category("custom.loyalty_tier", description="Loyalty programme tier"),
        "custom category custom.loyalty_tier has no description",
    ),
    (
        "promise_with_unknown_rule",
        lambda d: d.__setitem__("promises", {"authority_answer": {"days": 10, "unit": "working"}}),
        lambda d: d.__setitem__(
            "promises", {"authority_request_response": {"days": 10, "unit": "working"}}
        ),
        "promise authority_answer matches no rule in the law tables",
    ),
    (
        "override_for_unknown_jurisdiction",
        lambda d: d.__setitem__("law_overrides", {"xx": {}}),
        lambda d: d.__setitem__("law_overrides", {"kz": {}}),
        "law_overrides names an unknown jurisdiction",
    ),
]


def messages(problems: list[Problem]) -> list[str]:
    return [p.format() for p in problems]


def test_the_minimal_policy_is_coherent() -> None:
    assert check_data(base()) == []


@pytest.mark.parametrize(("rule", "breaks", "fixes", "expected"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_fails_the_broken_policy_and_passes_the_fixed_one(
    rule: str, breaks: Edit, fixes: Edit, expected: str
) -> None:
    data = base()
    breaks(data)
    failing = check_data(data)
    assert any(
        expected in line and p.severity == "error"
        for p, line in zip(failing, messages(failing), strict=True)
    ), messages(failing)
    fixes(data)
    assert check_data(data) == [], messages(check_data(data))


def test_a_problem_points_at_the_line_of_the_offending_key() -> None:
    data = base()
    purpose(data, "orders").pop("retention")
    (problem,) = check_data(data)
    assert (problem.line, problem.column) > (1, 1)
    assert problem.format().startswith("lawful.yaml:")


# --- cross-border transfers: adequacy comes from lawful.law -------------------------------


@pytest.fixture
def adequacy(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool | None], None]:
    def set_answer(answer: bool | None) -> None:
        def fake(jurisdiction: str, country: str) -> bool | None:
            return True if country == "RU" else answer

        monkeypatch.setattr(lawful.law, "adequate", fake)

    return set_answer


def abroad(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    recipient = {
        "name": "CRM abroad",
        "role": "processor",
        "country": "US",
        "purposes": ["orders"],
        "categories": ["user.name"],
        "rkn_notice_filed": "2025-03-01",
        **extra,
    }
    data["recipients"]["crm"] = recipient
    return recipient


def test_it_refuses_a_transfer_to_a_non_adequate_country_without_basis(
    adequacy: Callable[[bool | None], None],
) -> None:
    adequacy(False)
    data = base()
    abroad(data)
    (problem,) = check_data(data)
    assert "is in a country without adequate protection under ru law" in problem.message
    assert problem.severity == "error"


def test_it_accepts_a_transfer_covered_by_a_cross_border_consent(
    adequacy: Callable[[bool | None], None],
) -> None:
    adequacy(False)
    data = base()
    data["purposes"]["transfer"] = consent_purpose("cross_border")
    abroad(data, purposes=["orders", "transfer"], transfer_basis="consent")
    assert check_data(data) == []


def test_it_accepts_a_transfer_needed_for_the_subjects_contract(
    adequacy: Callable[[bool | None], None],
) -> None:
    adequacy(False)
    data = base()
    abroad(data, transfer_basis="contract")
    assert check_data(data) == []


def test_it_refuses_consent_as_basis_without_a_cross_border_consent(
    adequacy: Callable[[bool | None], None],
) -> None:
    adequacy(True)
    data = base()
    abroad(data, transfer_basis="consent")
    assert "none of its purposes has a cross_border consent" in check_data(data)[0].message


def test_it_warns_when_adequacy_is_unconfirmed(adequacy: Callable[[bool | None], None]) -> None:
    adequacy(None)
    data = base()
    abroad(data)
    (problem,) = check_data(data)
    assert problem.severity == "warning"
    assert "unconfirmed" in problem.message
    assert problem.fix.startswith("record a basis")


# --- the operator's own promises against current law (warnings) --------------------------

WARNINGS: list[tuple[str, Edit, Edit, str]] = [
    (
        "consent_by_using_the_site_in_russia",
        lambda d: d["purposes"].__setitem__(
            "analytics",
            consent_purpose(
                "processing",
                consent={"obtained_by": "by_using_site", "text": {"ru": "x", "en": "x"}},
            ),
        ),
        lambda d: purpose(d, "analytics")["consent"].__setitem__("obtained_by", "checkbox"),
        "152-FZ Art. 9 as amended by 156-FZ",
    ),
    (
        "consent_bundled_into_the_user_agreement",
        lambda d: d["purposes"].__setitem__(
            "analytics",
            consent_purpose(
                "processing",
                consent={
                    "obtained_by": "in_user_agreement",
                    "separate_document": False,
                    "text": {"ru": "x", "en": "x"},
                },
            ),
        ),
        lambda d: purpose(d, "analytics")["consent"].update(
            obtained_by="signature", separate_document=True
        ),
        "consent must be a separate document since 1 Sept 2025",
    ),
    (
        "silence_is_not_consent_in_vietnam",
        both(
            lambda d: d["operator"].update(jurisdictions=["vn"], country="VN"),
            lambda d: d["recipients"]["hosting"].__setitem__("country", "VN"),
            lambda d: d["purposes"].__setitem__(
                "analytics",
                consent_purpose(
                    "processing",
                    consent={"obtained_by": "by_using_site", "text": {"ru": "x", "en": "x"}},
                ),
            ),
        ),
        lambda d: purpose(d, "analytics")["consent"].__setitem__("obtained_by", "checkbox"),
        "silence or inaction is not consent, and consent is given per purpose (PDPL Art. 9",
    ),
    (
        "thirty_days_to_answer_roskomnadzor",
        lambda d: d.__setitem__("promises", {"authority_request_response": {"days": 30}}),
        lambda d: d.__setitem__(
            "promises", {"authority_request_response": {"days": 10, "unit": "working"}}
        ),
        "10 working days, +5 with a reasoned notice (152-FZ Art. 20(4))",
    ),
    (
        "foreign_recipient_at_collection",
        lambda d: abroad(d, transfer_basis="contract", receives_at_collection=True),
        lambda d: d["recipients"]["crm"].__setitem__("receives_at_collection", False),
        "must first be recorded in Russia (152-FZ Art. 18(5))",
    ),
    (
        "no_cross_border_notice_to_roskomnadzor",
        lambda d: abroad(d, transfer_basis="contract", rkn_notice_filed=None),
        lambda d: d["recipients"]["crm"].__setitem__("rkn_notice_filed", "2025-03-01"),
        "(152-FZ Art. 12(3)-(5))",
    ),
]


@pytest.mark.parametrize(
    ("rule", "breaks", "fixes", "expected"), WARNINGS, ids=[w[0] for w in WARNINGS]
)
def test_it_warns_where_the_operators_promise_conflicts_with_current_law(
    rule: str, breaks: Edit, fixes: Edit, expected: str
) -> None:
    data = base()
    breaks(data)
    found = check_data(data)
    assert [p.severity for p in found] == ["warning"] * len(found) and found, messages(found)
    assert any(expected in p.message for p in found), messages(found)
    fixes(data)
    assert check_data(data) == [], messages(check_data(data))


def test_no_message_contains_a_contact_value() -> None:
    data = base()
    data["operator"]["requests_email"] = "not-an-address@"
    data["operator"]["contacts"] = {"email": "someone at example"}
    found = messages(check_data(data))
    assert len(found) == 2
    assert not any("not-an-address" in m or "someone" in m for m in found)


# --- templates ------------------------------------------------------------------------------


def test_it_ships_the_three_seed_templates() -> None:
    assert {"ru-design-studio", "kz-messaging-saas", "vn-crm-integrator"} <= set(
        available_templates()
    )


@pytest.mark.parametrize("template", available_templates())
def test_every_template_passes_check_without_errors_or_warnings(
    template: str, tmp_path: Path
) -> None:
    path = write_starter_config(tmp_path, template)
    assert messages(check_policy(load_policy(path))) == []


def test_it_refuses_to_overwrite_an_existing_config(tmp_path: Path) -> None:
    path = write_starter_config(tmp_path, "kz-messaging-saas")
    with pytest.raises(ConfigError, match="lawful.yaml already exists"):
        write_starter_config(tmp_path, "vn-crm-integrator")
    assert "Kazakh" in path.read_text(encoding="utf-8")


def test_it_names_the_known_templates_when_asked_for_an_unknown_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="vn-crm-integrator"):
        write_starter_config(tmp_path, "us-bakery")


# --- the commands ---------------------------------------------------------------------------


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def test_init_writes_the_config_and_a_private_master_key(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAWFUL_MASTER_KEY_FILE", raising=False)
    result = CliRunner().invoke(
        app, ["init", "--template", "vn-crm-integrator", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    key = tmp_path / "lawful-data" / "master.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (tmp_path / "lawful.yaml").exists()
    assert "next steps" in result.output


def test_init_puts_the_key_where_lawful_master_key_file_says(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAWFUL_MASTER_KEY_FILE", str(tmp_path / "keys" / "lawful.key"))
    result = CliRunner().invoke(app, ["init", "--dir", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "keys" / "lawful.key").exists()


def test_init_refuses_to_overwrite_lawful_yaml(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "lawful.yaml").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", "--dir", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)
    assert (tmp_path / "lawful.yaml").read_text(encoding="utf-8") == "mine"


def test_check_passes_a_coherent_policy(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["check", str(CONFIGS / "minimal.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("minimal.yaml: no problems found")


def test_check_prints_each_problem_on_one_line_and_fails(app: typer.Typer) -> None:
    path = CONFIGS / "broken" / "wrong_types.yaml"
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{path}:5:3: operator.jurisdictions must be a list")
    assert lines[-1] == f"{path}: 4 errors, 0 warnings"


def test_check_fails_on_warnings_only_when_strict(app: typer.Typer, tmp_path: Path) -> None:
    text = (CONFIGS / "minimal.yaml").read_text(encoding="utf-8")
    path = tmp_path / "lawful.yaml"
    path.write_text(text + "promises:\n  authority_request_response: {days: 30}\n", "utf-8")
    relaxed = CliRunner().invoke(app, ["check", str(path)])
    strict = CliRunner().invoke(app, ["check", str(path), "--strict"])
    assert relaxed.exit_code == 0, relaxed.output
    assert "warning: " in relaxed.output
    assert relaxed.output.strip().endswith("0 errors, 1 warning")
    assert strict.exit_code == 1


def test_an_unconfirmed_special_category_list_is_a_warning_not_a_crash():
    from importlib import resources

    from lawful.config.check import check_policy
    from lawful.config.loader import load_policy_text

    text = (resources.files("lawful.config") / "templates" / "kz-messaging-saas.yaml").read_text(
        encoding="utf-8"
    )
    problems = check_policy(
        load_policy_text(text.replace("jurisdictions: [kz]", "jurisdictions: [kz, ge]"))
    )
    unconfirmed = [p for p in problems if "special categories of ge" in p.message]
    assert [p.severity for p in unconfirmed] == ["warning"]
