"""Which deadlines run on a request, from the law tables and the operator's promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files

import pytest

from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.errors import InvalidTransition
from lawful.requests import deadlines

RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def _template(name: str, **operator: object) -> Policy:
    text = (files("lawful.config") / "templates" / f"{name}.yaml").read_text(encoding="utf-8")
    policy = load_policy_text(text).policy
    if operator:
        policy = policy.model_copy(update={"operator": policy.operator.model_copy(update=operator)})
    return policy


def _plan(policy: Policy, kind: str, **kwargs: object) -> dict[str, deadlines.Planned]:
    return {p.name: p for p in deadlines.plan(policy, kind, received_at=RECEIVED, **kwargs)}  # type: ignore[arg-type]


def test_vietnam_acknowledges_in_two_working_days():
    planned = _plan(_template("vn-crm-integrator"), "access")
    assert planned["acknowledge"].due_at.date().isoformat() == "2026-11-04"
    assert planned["acknowledge"].jurisdiction == "vn"


def test_the_operators_promise_fills_an_unconfirmed_figure_from_confirmation():
    policy = _template("kz-messaging-saas")
    confirmed = RECEIVED + timedelta(days=3)
    erasure = _plan(policy, "erasure", confirmed_at=confirmed)["answer"]
    assert erasure.source.startswith("policy promise")
    assert erasure.due_at == confirmed + timedelta(days=30)


def test_an_unconfirmed_figure_without_an_operator_figure_is_due_at_once():
    policy = _template("ru-design-studio")
    objection = _plan(policy, "objection")["answer"]
    assert objection.due_at == RECEIVED
    assert "unconfirmed" in objection.source and "21(5.1)" in objection.source


def test_blocking_on_request_is_immediate_in_russia():
    block = _plan(_template("ru-design-studio"), "restriction")["block"]
    assert block.due_at == RECEIVED and block.rule == "block_on_request"


def test_the_strictest_jurisdiction_wins():
    both = _template("ru-design-studio", jurisdictions=["ru", "eu"])
    answer = _plan(both, "access")["answer"]
    # RU: 10 working days (17 Nov) is sooner than GDPR's month (2 Dec).
    assert answer.jurisdiction == "ru"
    eu_only = _plan(_template("ru-design-studio", jurisdictions=["eu"]), "access")["answer"]
    assert eu_only.due_at.date().isoformat() == "2026-12-02"


def test_rectification_counts_from_the_confirmation():
    confirmed = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    answer = _plan(_template("ru-design-studio"), "rectification", confirmed_at=confirmed)["answer"]
    assert answer.rule == "rectification"
    assert answer.due_at.date().isoformat() == "2026-11-18"  # 7 Russian working days


@pytest.mark.parametrize(
    ("planned", "message"),
    [
        (deadlines.Planned("answer", RECEIVED, "ru", "rectification", "152-FZ"), "cannot be"),
        (
            deadlines.Planned(
                "answer", RECEIVED, "kz", "deletion_on_request", "policy promise (x)"
            ),
            "promise",
        ),
        (deadlines.Planned("answer", RECEIVED, None, None, "at once"), "no figure"),
    ],
)
def test_only_extensions_the_law_gives_are_allowed(planned, message):
    with pytest.raises(InvalidTransition, match=message):
        deadlines.check_extendable(planned)
