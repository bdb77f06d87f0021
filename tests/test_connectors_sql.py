"""The SQL connector on a shop's own database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lawful.config.connectors import Dataset
from lawful.connectors.contract import Identity
from lawful.connectors.fides import load_fides_dataset
from lawful.connectors.sql import SqlConnector
from lawful.errors import ConfigError, ConnectorFailure
from tests.shop_db import dataset, rows, shop_url

__all__ = ["shop_url"]

ANN = Identity("email", "ann@example.org")
#: The dataset Fides is given for its sample database (shared/peers/fides), copied.
FIDES_SAMPLE = Path(__file__).parent / "configs" / "fides_sampledb.yml"


@pytest.fixture
def opened() -> Iterator[list[SqlConnector]]:
    made: list[SqlConnector] = []
    yield made
    for one in made:
        one.close()


@pytest.fixture
def connector(opened: list[SqlConnector]) -> Callable[..., SqlConnector]:
    """Make a connector on a URL (with the shop's dataset, or ``declared``), closed after."""

    def make(url: str, declared: dict[str, Any] | None = None) -> SqlConnector:
        chosen = Dataset.model_validate(declared) if declared else dataset()
        opened.append(SqlConnector("shop", "hosting", "orders", url, chosen))
        return opened[-1]

    return make


def test_access_follows_references_and_identity_tables(
    shop_url: str, connector: Callable[..., SqlConnector]
) -> None:
    found = connector(shop_url).access(ANN)
    where = {(f.location, f.field, f.value) for f in found}
    assert ("shop.customers", "name", "Ann") in where
    assert ("shop.addresses", "line", "1 Ann St") in where
    assert [f.value for f in found if f.location == "shop.orders"] == ["1 Ann St", "1 Ann St"]
    assert ("shop.order_lines", "gift_message", "for mum") in where
    assert ("shop.tickets", "body", "my parcel is late") in where
    assert not any("Bob" in f.value or "bob" in f.value for f in found)
    assert {f.category for f in found} >= {"user.name", "user.contact.address", "user.content"}


def test_access_by_phone_starts_from_the_customer(
    shop_url: str, connector: Callable[..., SqlConnector]
) -> None:
    found = connector(shop_url).access(Identity("phone", "+79990000002"))
    assert {f.value for f in found if f.field == "line"} == {"2 Bob St"}
    assert not [f for f in found if f.location == "shop.tickets"]  # tickets know e-mails only


def test_erase_applies_each_strategy_and_leaves_others_alone(
    shop_url: str, connector: Callable[..., SqlConnector]
) -> None:
    result = connector(shop_url).erase(ANN)
    assert result.counts == {
        "order_lines": 2,
        "orders": 2,
        "addresses": 1,
        "customers": 1,
        "tickets": 1,
    }
    ((email, name, phone),) = rows(shop_url, "SELECT email, name, phone FROM customers WHERE id=1")
    assert name is None and phone is None
    assert isinstance(email, str) and "ann" not in email and len(email) == 64
    assert rows(shop_url, "SELECT count(*) FROM addresses WHERE customer_id=1") == [(0,)]
    assert rows(shop_url, "SELECT DISTINCT shipping_address FROM orders WHERE customer_id=1") == [
        ("erased",)
    ]
    assert rows(shop_url, "SELECT gift_message FROM order_lines WHERE order_id=1") == [(None,)]
    assert rows(shop_url, "SELECT id FROM tickets") == [(2,)]
    assert rows(shop_url, "SELECT name FROM customers WHERE id=2") == [("Bob",)]
    assert rows(shop_url, "SELECT gift_message FROM order_lines WHERE id=3") == [("hi",)]
    assert connector(shop_url).access(ANN) == []


def test_erase_is_idempotent(shop_url: str, connector: Callable[..., SqlConnector]) -> None:
    connector(shop_url).erase(ANN)
    assert connector(shop_url).erase(ANN).total == 0


def test_rectify_sets_the_categories_asked(
    shop_url: str, connector: Callable[..., SqlConnector]
) -> None:
    result = connector(shop_url).rectify(ANN, {"user.name": "Anna"})
    assert result.counts == {"customers": 1}
    assert rows(shop_url, "SELECT name FROM customers ORDER BY id") == [("Anna",), ("Bob",)]


def test_block_and_unblock_set_the_declared_flag(
    shop_url: str, connector: Callable[..., SqlConnector]
) -> None:
    shop = connector(shop_url)
    assert shop.block(ANN).counts == {"customers": 1}
    assert rows(shop_url, "SELECT id FROM customers WHERE blocked") == [(1,)]
    shop.unblock(ANN)
    assert rows(shop_url, "SELECT id FROM customers WHERE blocked") == []


def test_a_failed_erasure_changes_nothing(
    shop_url: str, connector: Callable[..., SqlConnector]
) -> None:
    declared = dataset().model_dump()
    declared["tables"]["customers"]["columns"]["email"]["erase"] = "null"  # NOT NULL column
    shop = connector(shop_url, declared)
    with pytest.raises(ConnectorFailure) as failure:
        shop.erase(ANN)
    assert failure.value.permanent
    assert "ann" not in failure.value.message
    assert rows(shop_url, "SELECT count(*) FROM addresses") == [(2,)]
    assert rows(shop_url, "SELECT gift_message FROM order_lines WHERE id=1") == [("for mum",)]


def test_test_names_a_missing_column(shop_url: str, connector: Callable[..., SqlConnector]) -> None:
    declared = dataset().model_dump()
    declared["tables"]["orders"]["columns"]["coupon"] = {"category": "user.content"}
    shop = connector(shop_url, declared)
    with pytest.raises(ConnectorFailure, match="orders has no column"):
        shop.test()
    assert "5 table(s)" in connector(shop_url).test()


def test_an_unreachable_database_is_a_temporary_failure(
    connector: Callable[..., SqlConnector],
) -> None:
    shop = connector("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(ConnectorFailure) as failure:
        shop.access(ANN)
    assert not failure.value.permanent


def test_fides_dataset_is_imported() -> None:
    imported = load_fides_dataset(FIDES_SAMPLE)
    customers, orders = imported.tables["customers"], imported.tables["orders"]
    assert customers.identity == {"email": "email"} and customers.primary_key == "id"
    assert customers.columns["email"].erase == "hash"
    assert customers.columns["name"].category == "user.name"
    assert "created_at" not in customers.columns
    assert orders.references == {"customer_id": "customers.id"}
    assert set(orders.columns) == {"shipping_address"}


def test_a_malformed_fides_dataset_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("dataset:\n  - fides_key: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yml: not a fideslang dataset"):
        load_fides_dataset(path)


def test_a_locked_table_is_a_temporary_failure_after_the_timeout(
    shop_url: str, connector: Callable[..., SqlConnector]
) -> None:
    shop = connector(shop_url)
    shop.timeout = 0.3
    holder = sa.create_engine(shop_url)
    with holder.connect() as conn:
        conn.execute(sa.text("UPDATE customers SET name = name WHERE id = 2"))  # holds a write lock
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(ConnectorFailure) as failure:
            shop.erase(ANN)
        conn.rollback()
    holder.dispose()
    assert not failure.value.permanent
    assert rows(shop_url, "SELECT name FROM customers WHERE id = 1") == [("Ann",)]
