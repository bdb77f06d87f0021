"""lawful.yaml's model and loader: shape errors name their line and never echo values."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawful.config import ConfigInvalid, Problem, load_policy, load_policy_text
from lawful.config.models import Deadline, localised
from lawful.errors import ConfigError, PolicyViolation

CONFIGS = Path(__file__).parent / "configs"
MINIMAL = (CONFIGS / "minimal.yaml").read_text(encoding="utf-8")


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ConfigInvalid) as caught:
        load_policy(path)
    return caught.value.problems


def test_the_minimal_config_loads() -> None:
    policy = load_policy(CONFIGS / "minimal.yaml").policy
    assert policy.operator.country == "RU"
    assert policy.operator.timezone == "UTC"
    assert set(policy.purposes) == {"orders", "newsletter"}


def test_a_problem_formats_as_file_line_column_what_and_fix() -> None:
    problem = Problem("lawful.yaml", 3, 5, "purpose x has no retention rule", "add `retention:`")
    assert problem.format() == "lawful.yaml:3:5: purpose x has no retention rule — add `retention:`"


def test_a_warning_says_so_before_what_is_wrong() -> None:
    problem = Problem("lawful.yaml", 1, 1, "old promise", "update it", severity="warning")
    assert problem.format() == "lawful.yaml:1:1: warning: old promise — update it"


def test_it_reports_a_yaml_syntax_error_with_its_line() -> None:
    (problem,) = problems_of(CONFIGS / "broken" / "syntax.yaml")
    assert problem.message.startswith("YAML syntax error")
    assert problem.line == 4


def test_it_suggests_the_field_a_typo_meant() -> None:
    (problem,) = problems_of(CONFIGS / "broken" / "typo.yaml")
    assert problem.format().endswith(
        "typo.yaml:17:5: unknown field purposes.orders.retension — did you mean `retention`?"
    )


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        (5, 3, "operator.jurisdictions must be a list"),
        (9, 15, 'categories["user.name"].special must be true or false'),
        (15, 5, "did you mean `contract`?"),
        (17, 5, "retention kind since_collection needs a period"),
    ],
)
def test_it_translates_validation_errors_into_sentences(
    line: int, column: int, fragment: str
) -> None:
    problems = problems_of(CONFIGS / "broken" / "wrong_types.yaml")
    assert any(
        p.line == line and p.column == column and fragment in p.format() for p in problems
    ), [p.format() for p in problems]


def test_it_raises_a_config_error_carrying_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        load_policy(CONFIGS / "broken" / "wrong_types.yaml")
    assert isinstance(caught.value, ConfigInvalid)
    assert len(caught.value.problems) == 4


def test_it_never_echoes_the_offending_value() -> None:
    text = MINIMAL.replace("requests_email: privacy@example.org", "requests_email: [secret@x.org]")
    with pytest.raises(ConfigInvalid) as caught:
        load_policy_text(text)
    (problem,) = caught.value.problems
    assert "secret" not in problem.format()
    assert "operator.requests_email must be text" in problem.message


def test_it_names_a_missing_field_and_where_to_add_it() -> None:
    text = MINIMAL.replace("  country: RU\n", "", 1)
    with pytest.raises(ConfigInvalid) as caught:
        load_policy_text(text)
    (problem,) = caught.value.problems
    assert problem.message == "operator.country is missing"
    assert (problem.line, problem.column) == (2, 1)


def test_it_reports_a_missing_file_as_a_problem() -> None:
    (problem,) = problems_of(CONFIGS / "nowhere.yaml")
    assert "cannot read the file" in problem.message


def test_it_records_the_position_of_every_key() -> None:
    loaded = load_policy(CONFIGS / "minimal.yaml")
    assert loaded.positions[("purposes", "newsletter", "retention")] == (29, 5)
    assert loaded.positions[("purposes", "orders", "categories", 1)] == (18, 29)
    assert loaded.position(("purposes", "orders", "consent")) == (13, 3)


def test_it_finds_a_declared_purpose_and_refuses_an_undeclared_one() -> None:
    policy = load_policy_text(MINIMAL).policy
    assert policy.purpose("orders").key == "orders"
    with pytest.raises(PolicyViolation, match="purpose 'profiling' is not declared"):
        policy.purpose("profiling")


def test_it_refuses_an_undeclared_category_and_recipient() -> None:
    policy = load_policy_text(MINIMAL).policy
    assert policy.category("user.name").special is False
    with pytest.raises(PolicyViolation):
        policy.category("user.health_and_medical")
    with pytest.raises(PolicyViolation):
        policy.recipient("google")


def test_a_purpose_uses_its_categories_and_their_descendants_only() -> None:
    text = MINIMAL.replace("categories: [user.contact.email]", "categories: [user.contact]")
    text = text.replace("  user.contact.email: {}", "  user.contact.email: {}\n  user.contact: {}")
    newsletter = load_policy_text(text).policy.purpose("newsletter")
    assert newsletter.uses("user.contact.email")
    assert newsletter.uses("user.contact")
    assert not newsletter.uses("user.contact_extra")
    assert not newsletter.uses("user.name")


def test_it_knows_which_purposes_are_marketing() -> None:
    policy = load_policy_text(MINIMAL).policy
    assert policy.purpose("newsletter").is_marketing
    assert not policy.purpose("orders").is_marketing
    assert policy.purposes_with_consent("marketing") == [policy.purpose("newsletter")]
    assert policy.recipients_for("orders") == ["hosting"]


def test_a_plain_string_name_serves_every_language() -> None:
    text = MINIMAL.replace("name: {ru: Заказы, en: Orders}", "name: Orders")
    orders = load_policy_text(text).policy.purpose("orders")
    assert localised(orders.name, "ru") == "Orders"
    newsletter = load_policy_text(text).policy.purpose("newsletter")
    assert localised(newsletter.name, "en") == "Newsletter"


def test_a_deadline_needs_exactly_one_period() -> None:
    with pytest.raises(ValueError, match="exactly one of days, hours or months"):
        Deadline(days=10, hours=5)
    assert Deadline(days=10, unit="working").figure() == {"days": 10, "unit": "working"}
    assert Deadline(hours=24).figure() == {"hours": 24}


def test_it_names_the_choices_for_undeclared_special_categories() -> None:
    assert load_policy_text(MINIMAL).policy.intake.undeclared_special == "quarantine"
    redact = load_policy_text(MINIMAL + "intake:\n  undeclared_special: redact\n").policy
    assert redact.intake.undeclared_special == "redact"
    text = MINIMAL + "intake:\n  undeclared_special: shred\n"
    with pytest.raises(ConfigInvalid) as caught:
        load_policy_text(text)
    (problem,) = caught.value.problems
    assert "intake.undeclared_special" in problem.format()
    assert "quarantine" in problem.format() and "redact" in problem.format()
    assert "shred" not in problem.format()  # values are never echoed
    assert problem.line == text.count("\n")
