"""A shop's own database — the downstream system the SQL connector tests act on — on SQLite
and PostgreSQL: customers, their addresses, orders, order lines and support tickets (the
tickets found by e-mail only, not through the customer)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.config.connectors import Dataset
from tests.conftest import PG_URL

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT,
  phone TEXT, blocked BOOLEAN NOT NULL DEFAULT FALSE);
CREATE TABLE addresses (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL
  REFERENCES customers(id), line TEXT, city TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL
  REFERENCES customers(id), shipping_address TEXT, total NUMERIC(10,2));
CREATE TABLE order_lines (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL
  REFERENCES orders(id), gift_message TEXT, sku TEXT);
CREATE TABLE tickets (id INTEGER PRIMARY KEY, email TEXT, body TEXT)
"""

SEED = """
INSERT INTO customers VALUES (1, 'ann@example.org', 'Ann', '+79990000001', FALSE),
  (2, 'bob@example.org', 'Bob', '+79990000002', FALSE);
INSERT INTO addresses VALUES (1, 1, '1 Ann St', 'Moscow'), (2, 2, '2 Bob St', 'Kazan');
INSERT INTO orders VALUES (1, 1, '1 Ann St', 10), (2, 1, '1 Ann St', 20), (3, 2, '2 Bob St', 30);
INSERT INTO order_lines VALUES (1, 1, 'for mum', 'A'), (2, 2, NULL, 'B'), (3, 3, 'hi', 'C');
INSERT INTO tickets VALUES (1, 'ann@example.org', 'my parcel is late'),
  (2, 'bob@example.org', 'thanks')
"""

DATASET = {
    "tables": {
        "customers": {
            "primary_key": "id",
            "identity": {"email": "email", "phone": "phone"},
            "block_column": "blocked",
            "columns": {
                "email": {"category": "user.contact.email", "erase": "hash"},
                "name": {"category": "user.name"},
                "phone": {"category": "user.contact.phone_number"},
            },
        },
        "addresses": {
            "primary_key": "id",
            "references": {"customer_id": "customers.id"},
            "erase": "delete",
            "columns": {"line": {"category": "user.contact.address"}},
        },
        "orders": {
            "primary_key": "id",
            "references": {"customer_id": "customers.id"},
            "columns": {"shipping_address": {"category": "user.contact.address", "erase": "mask"}},
        },
        "order_lines": {
            "primary_key": "id",
            "references": {"order_id": "orders.id"},
            "columns": {"gift_message": {"category": "user.content"}},
        },
        "tickets": {
            "primary_key": "id",
            "identity": {"email": "email"},
            "erase": "delete",
            "columns": {
                "email": {"category": "user.contact.email"},
                "body": {"category": "user.content"},
            },
        },
    }
}


def dataset() -> Dataset:
    return Dataset.model_validate(DATASET)


def _statements(text: str) -> list[str]:
    return [s.strip() for s in text.split(";") if s.strip()]


@pytest.fixture(params=["sqlite", "postgresql"])
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a seeded shop database (PostgreSQL: its own schema, via search_path)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        yield _seeded(url)
        return
    request.getfixturevalue("pg_available")
    schema = f"shop_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield _seeded(f"{PG_URL}?options=-csearch_path%3D{schema}")
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _seeded(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in _statements(SCHEMA) + _statements(SEED):
            conn.execute(sa.text(statement))
    engine.dispose()
    return url


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(sa.text(query))]
    engine.dispose()
    return found
