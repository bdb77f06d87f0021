"""Connectors declared in lawful.yaml: validated, checked against recipients, tested by CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawful.cli import run
from lawful.config.check import check_policy
from lawful.config.loader import ConfigInvalid, load_policy, load_policy_text
from lawful.connectors.registry import build_registry, holding
from lawful.errors import ConfigError
from tests.shop_db import shop_url

__all__ = ["shop_url"]

MINIMAL = (Path(__file__).parent / "configs" / "minimal.yaml").read_text(encoding="utf-8")
SHOP = """
connectors:
  shop:
    type: sql
    recipient: hosting
    purpose: orders
    url_env: SHOP_URL
    dataset:
      tables:
        customers:
          primary_key: id
          identity: {email: email}
          columns:
            email: {category: user.contact.email, erase: hash}
            name: {category: user.name}
  metrica:
    type: manual
    recipient: hosting
    purpose: orders
    categories: [user.contact.email]
    instructions: ask Yandex support to delete the visitor's uploaded parameters
"""


def policy_text(extra: str = SHOP) -> str:
    return MINIMAL + extra


def test_connectors_are_optional() -> None:
    assert load_policy_text(MINIMAL).policy.connectors == {}


def test_a_declared_connector_loads_and_checks_clean() -> None:
    loaded = load_policy_text(policy_text())
    assert set(loaded.policy.connectors) == {"shop", "metrica"}
    assert [p for p in check_policy(loaded) if "connector" in p.message] == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "recipient: hosting\n    purpose: orders\n    url_env",
            "recipient: hostin\n    purpose: orders\n    url_env",
            "recipient is not declared",
        ),
        (
            "purpose: orders\n    url_env",
            "purpose: billing\n    url_env",
            "is not declared for purpose",
        ),
        (
            "name: {category: user.name}",
            "name: {category: user.contact.phone_number}",
            "not declared to receive",
        ),
    ],
)
def test_incoherent_connectors_are_named_at_their_line(old: str, new: str, expected: str) -> None:
    problems = check_policy(load_policy_text(policy_text(SHOP.replace(old, new))))
    assert [p for p in problems if expected in p.message and p.line > 30]


def test_a_malformed_dataset_names_its_line() -> None:
    broken = SHOP.replace("primary_key: id\n", "primary_key: id\n          references: {x: y.z}\n")
    with pytest.raises(ConfigInvalid) as invalid:
        load_policy_text(policy_text(broken))
    text = "\n".join(p.format() for p in invalid.value.problems)
    assert "not a declared table" in text and "lawful.yaml:" in text


def test_an_sql_connector_needs_one_dataset() -> None:
    broken = SHOP.replace("    dataset:\n", "    fides_dataset: shop.yml\n    dataset:\n")
    with pytest.raises(ConfigInvalid, match="exactly one of dataset or fides_dataset"):
        load_policy_text(policy_text(broken))


def test_a_missing_secret_names_the_variable(tmp_path: Path) -> None:
    registry = build_registry(load_policy_text(policy_text()).policy, {}, tmp_path)
    with pytest.raises(ConfigError, match="SHOP_URL"):
        registry.get("shop")


def test_the_secret_may_come_from_a_file(tmp_path: Path, shop_url: str) -> None:
    (tmp_path / "url").write_text(shop_url + "\n", encoding="utf-8")
    policy = load_policy_text(policy_text()).policy
    registry = build_registry(policy, {"SHOP_URL_FILE": str(tmp_path / "url")}, tmp_path)
    try:
        assert "1 table(s)" in registry.get("shop").test()
    finally:
        registry.close()


def test_fan_out_goes_to_recipients_holding_the_categories() -> None:
    policy = load_policy_text(policy_text()).policy
    assert holding(policy, frozenset({"user.contact.email"})) == ["shop", "metrica"]
    assert holding(policy, frozenset({"user.financial"})) == []


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "lawful.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("LAWFUL_CONFIG", str(path))


def test_cli_test_reports_each_connector(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    shop_url: str,
) -> None:
    write_config(tmp_path, monkeypatch, policy_text())
    monkeypatch.setenv("SHOP_URL", shop_url)
    assert run(["connectors", "test"]) == 0
    out = capsys.readouterr().out
    assert "ok    shop: 1 table(s)" in out and "ok    metrica: manual" in out


def test_cli_test_says_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, monkeypatch, policy_text())
    monkeypatch.delenv("SHOP_URL", raising=False)
    monkeypatch.delenv("SHOP_URL_FILE", raising=False)
    assert run(["connectors", "test", "shop"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL  shop: connectors.shop: the environment variable SHOP_URL")
    monkeypatch.setenv("SHOP_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert run(["connectors", "test", "shop"]) == 1
    assert "NoSuchTableError (permanent)" in capsys.readouterr().out


def test_cli_lists_connectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, monkeypatch, policy_text())
    assert run(["connectors", "list"]) == 0
    assert "shop  sql  recipient=hosting  orders" in capsys.readouterr().out


def test_fides_dataset_path_is_relative_to_lawful_yaml(tmp_path: Path) -> None:
    sample = Path(__file__).parent / "configs" / "fides_sampledb.yml"
    (tmp_path / "shop.fides.yml").write_text(sample.read_text(encoding="utf-8"))
    text = policy_text(
        "connectors:\n  shop:\n    type: sql\n    recipient: hosting\n    purpose: orders\n"
        "    url_env: SHOP_URL\n    fides_dataset: shop.fides.yml\n"
    )
    (tmp_path / "lawful.yaml").write_text(text, encoding="utf-8")
    policy = load_policy(tmp_path / "lawful.yaml").policy
    registry = build_registry(policy, {"SHOP_URL": "sqlite://"}, tmp_path)
    assert "user.contact.address" in registry.get("shop").categories()
    registry.close()
