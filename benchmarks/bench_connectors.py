"""Connector benchmark: data-subject requests through the SQL connector on the Fides sample
database, and a Kommo fan-out under the 7 requests/s limit.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_connectors                 # 1,000,000 / 5,000,000
    .venv/bin/python -m benchmarks.bench_connectors --customers 100000 --kommo-erasures 1000
    .venv/bin/python -m benchmarks.bench_connectors --quick         # 20,000 customers

The shop database is the sample of ``shared/peers/fides`` (customers with a unique e-mail,
five orders each, ``orders.customer_id`` indexed), made with ``generate_series`` in a database
``lawful_bench_connectors`` on ``--pg-url`` (dropped afterwards unless ``--keep``; reused when
it already holds the asked size), plus three "heavy" customers with 5,000 orders each. The
dataset is the same fideslang YAML Fides is given, imported by :mod:`lawful.connectors.fides`.

Figures (targets from issue 7; Fides' from its harness's recorded run, ``REPORT.md`` there —
Fides is not re-run here):

* connector alone: ``access`` / ``erase`` of one random customer, p50 and p95;
* end to end: a verified request acted on (fan-out through the transfer gate, the
  ``connectors.run`` job through the worker, the act on lawful's own SQLite store: the report
  without PDF, or the shredding and the destruction act), p50 < 50 ms — Fides 0.70 s / 0.98 s;
* erasure of a customer with 5,000 orders, median of 3, < 0.3 s — Fides 27 s;
* Kommo: N erasures fanned out over 4 threads against the local fake (token bucket 7/s, 429
  beyond): calls, refusals (must be 0), and the time against the least the limit allows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from ruamel.yaml import YAML

from lawful.config.connectors import Dataset
from lawful.config.loader import load_policy
from lawful.connectors.contract import Identity
from lawful.connectors.fides import fides_to_dataset
from lawful.connectors.http import Http, RateLimiter
from lawful.connectors.jobs import run_connector
from lawful.connectors.kommo import KommoConnector
from lawful.connectors.orchestration import RUN_JOB
from lawful.connectors.sql import SqlConnector
from lawful.context import Lawful, WorkerContext, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.jobs import JobRegistry, run_once
from lawful.requests import flows, service
from lawful.settings import Settings
from lawful.subjects import service as subjects

DB = "lawful_bench_connectors"
HEAVY = 3
FIDES = {"access": 0.70, "erasure": 0.98, "heavy": 27.0}
TARGETS = {"access": 0.050, "erasure": 0.050, "heavy": 0.3}

#: The fideslang dataset Fides' harness registers for this database (sampledb_dataset.yml).
FIDES_DATASET = """
dataset:
  - fides_key: sampledb
    collections:
      - name: customers
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email}}
          - {name: name, data_categories: [user.name]}
          - {name: phone, data_categories: [user.contact.phone_number]}
          - {name: address, data_categories: [user.contact.address]}
          - {name: created_at, data_categories: [system.operations]}
      - name: orders
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: sampledb, field: customers.id, direction: from}]
          - {name: shipping_address, data_categories: [user.contact.address]}
          - {name: total, data_categories: [system.operations]}
          - {name: created_at, data_categories: [system.operations]}
"""

SEED = [
    "DROP TABLE IF EXISTS orders",
    "DROP TABLE IF EXISTS customers",
    "CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL, name text, "
    "phone text, address text, created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer NOT NULL, "
    "shipping_address text, total numeric(10,2), created_at timestamptz NOT NULL DEFAULT now())",
    "INSERT INTO customers (id, email, name, phone, address) SELECT g, "
    "'user' || g || '@example.com', 'Customer ' || g, '+1-555-' || lpad(g::text, 7, '0'), "
    "g || ' Main Street, Springfield' FROM generate_series(1, :n) g",
    "INSERT INTO orders (id, customer_id, shipping_address, total) SELECT g, ((g - 1) % :n) + 1, "
    "((g - 1) % :n) + 1 || ' Main Street, Springfield', (g % 50000) / 100.0 "
    "FROM generate_series(1, :n * 5) g",
    "CREATE UNIQUE INDEX customers_email_idx ON customers (email)",
    "CREATE INDEX orders_customer_id_idx ON orders (customer_id)",
    "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) "
    "REFERENCES customers(id)",
]


def _server_url(pg_url: str, database: str) -> str:
    return str(sa.engine.make_url(pg_url).set(database=database))


def prepare(pg_url: str, customers: int, console: Console) -> str:
    """The shop database of ``customers`` customers (reused if it already has them)."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DB})
        if not exists:
            conn.execute(sa.text(f"CREATE DATABASE {DB}"))
    admin.dispose()
    url = _server_url(pg_url, DB)
    engine = sa.create_engine(url)
    if _size(engine) != customers:
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in SEED:
                conn.execute(sa.text(statement), {"n": customers})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
        console.print(f"seeded {customers:,} customers in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return url


def _size(engine: sa.Engine) -> int:
    try:
        with engine.connect() as conn:
            query = "SELECT max(id) FROM customers WHERE id < 2000000000"
            return int(conn.scalar(sa.text(query)) or 0)
    except sa.exc.ProgrammingError:
        return -1


def heavy(url: str, customers: int) -> list[str]:
    """Three customers of 5,000 orders each, made afresh (re-runnable)."""
    engine = sa.create_engine(url)
    emails = []
    with engine.begin() as conn:
        for k in range(1, HEAVY + 1):
            cid, email = 2_000_000_000 + k, f"heavy{k}@example.com"
            conn.execute(sa.text("DELETE FROM orders WHERE customer_id = :c"), {"c": cid})
            conn.execute(sa.text("DELETE FROM customers WHERE id = :c"), {"c": cid})
            conn.execute(
                sa.text(
                    "INSERT INTO customers (id, email, name, phone, address) VALUES "
                    "(:c, :e, 'Heavy Customer', '+1-555-9999999', '1 Heavy Street')"
                ),
                {"c": cid, "e": email},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO orders (id, customer_id, shipping_address, total) "
                    "SELECT 9000000000::bigint + :k * 10000 + g, :c, '1 Heavy Street', 1 "
                    "FROM generate_series(1, 5000) g"
                ),
                {"c": cid, "k": k},
            )
            emails.append(email)
    engine.dispose()
    return emails


def dataset() -> Dataset:
    return fides_to_dataset(YAML(typ="safe").load(FIDES_DATASET))


def timings(action: Callable[[Identity], object], emails: list[str]) -> list[float]:
    """Seconds each call of ``action`` took, one per e-mail."""
    taken = []
    for email in emails:
        started = time.perf_counter()
        action(Identity("email", email))
        taken.append(time.perf_counter() - started)
    return taken


def pick(customers: int, count: int, offset: int) -> list[str]:
    """Customers spread over the table, different for each figure (erasure changes them)."""
    step = max(1, customers // (count * 4))
    return [f"user{1 + offset + i * step}@example.com" for i in range(count)]


def connector_alone(url: str, customers: int, runs: int) -> dict[str, list[float]]:
    """The connector's own calls, without lawful's request flow around them."""
    shop = SqlConnector("shop", "shop_db", "orders", url, dataset())
    try:
        shop.access(Identity("email", "user1@example.com"))  # warm-up: reflection, pool
        access = timings(shop.access, pick(customers, runs, 1))
        erase = timings(shop.erase, pick(customers, runs, 2))
        big = timings(shop.erase, heavy(url, customers))
    finally:
        shop.close()
    return {"access": access, "erasure": erase, "heavy": big}


# --- end to end through lawful --------------------------------------------------------------

POLICY = """
operator:
  legal_name: Bench LLC
  address: 1 Example St, Moscow
  country: RU
  jurisdictions: [ru]
  languages: [en]
  requests_email: privacy@example.org
categories:
  user.name: {}
  user.contact.email: {}
  user.contact.phone_number: {}
  user.contact.address: {}
purposes:
  orders:
    name: Orders
    data_use: essential.service
    subjects: [customer]
    legal_basis: contract
    categories: [user.name, user.contact.email, user.contact.phone_number, user.contact.address]
    retention: {kind: until_event, event: order_closed, grace_days: 30}
recipients:
  shop_db:
    name: The shop's own database
    role: processor
    country: RU
    purposes: [orders]
    categories: [user.name, user.contact.email, user.contact.phone_number, user.contact.address]
connectors:
  shop:
    type: sql
    recipient: shop_db
    purpose: orders
    url_env: BENCH_SHOP_URL
    fides_dataset: sampledb_dataset.yml
"""


@dataclass
class Outbox:
    sent: list[object] = field(default_factory=list)

    def send(self, mail: object) -> None:
        self.sent.append(mail)


def end_to_end(url: str, customers: int, runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "lawful.yaml").write_text(POLICY, encoding="utf-8")
        (root / "sampledb_dataset.yml").write_text(FIDES_DATASET, encoding="utf-8")
        os.environ.update(
            LAWFUL_DATA_DIR=str(root), LAWFUL_CONFIG=str(root / "lawful.yaml"), BENCH_SHOP_URL=url
        )
        os.environ.pop("LAWFUL_MASTER_KEY", None)
        settings = Settings.from_env()
        generate_master_key_file(settings.master_key_path)
        lawful = open_lawful(settings)
        registry = JobRegistry()
        registry.handler(RUN_JOB)(run_connector)
        context = WorkerContext(
            lawful.engine, lawful.sessions, load_policy(root / "lawful.yaml").policy
        )
        try:
            return {
                kind: [
                    _one_request(lawful, registry, context, kind, email)
                    for email in pick(customers, runs, offset)
                ]
                for kind, offset in (("access", 3), ("erasure", 4))
            }
        finally:
            lawful.close()


def _one_request(
    lawful: Lawful, registry: JobRegistry, context: WorkerContext, kind: str, email: str
) -> float:
    """One verified request, timed from the first act to the last (the subject's recording
    and the request's intake are not timed)."""
    request_id = _verified_request(lawful, kind, email)
    outbox = Outbox()
    now = datetime.now(UTC)
    started = time.perf_counter()
    flows.act(lawful, outbox, request_id, actor="bench", now=now, pdf=False)
    run_once(lawful.engine, registry, context=context)
    outcome = flows.act(lawful, outbox, request_id, actor="bench", now=now, pdf=False)
    took = time.perf_counter() - started
    if outcome.outcome != "granted":
        raise RuntimeError(f"request {request_id} ended {outcome.outcome}: {outcome.done}")
    return took


def _verified_request(lawful: Lawful, kind: str, email: str) -> str:
    now, policy, ring = datetime.now(UTC), lawful.require_policy(), lawful.ring
    with lawful.sessions.begin() as session:
        subject = subjects.create_subject(
            session=session, ring=ring, identifiers={"email": email}, actor="bench", now=now
        )
        subjects.record(
            session=session,
            ring=ring,
            policy=policy,
            subject_id=subject,
            purpose="orders",
            values={"user.contact.email": email},
            actor="bench",
            now=now,
        )
        intake = service.Intake(kind=kind, identifier_kind="email", identifier=email)
        request = service.submit(
            session=session, ring=ring, policy=policy, intake=intake, actor="bench", now=now
        ).request
        service.mark_verified(
            session=session, policy=policy, request=request, how="staff", actor="bench", now=now
        )
        return request.id


# --- Kommo ----------------------------------------------------------------------------------


def kommo_fan_out(erasures: int, threads: int = 4) -> dict[str, float]:
    from tests.kommo_fake import TOKEN, kommo_server

    with kommo_server() as (fake, url):
        fake.page_size = 250
        for i in range(erasures):
            fake.add_contact(100 + i, f"Person {i}", f"p{i}@example.org", f"+7912{i:07d}", [])
        limiter = RateLimiter(7)
        queue = list(range(erasures))
        lock = threading.Lock()

        def worker() -> None:
            client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"})
            crm = KommoConnector(
                "crm",
                "crm",
                "orders",
                Http("crm", client, limiter),
                {"EMAIL": "user.contact.email"},
            )
            while True:
                with lock:
                    if not queue:
                        break
                    i = queue.pop()
                crm.erase(Identity("email", f"p{i}@example.org"))
            crm.close()

        fake.arrivals.clear()
        started = time.perf_counter()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        took = time.perf_counter() - started
        gaps = [b - a for a, b in zip(fake.arrivals, fake.arrivals[1:], strict=False)]
        window = max(
            (sum(1 for x in fake.arrivals[i:] if x - a < 1.0) for i, a in enumerate(fake.arrivals)),
            default=0,
        )
        return {
            "erasures": erasures,
            "calls": len(fake.arrivals),
            "refused": fake.refused,
            "seconds": took,
            "least": (len(fake.arrivals) - 1) / 7,
            "max_in_1s": window,
            "min_gap": min(gaps, default=0.0),
            "deleted_tasks": len(fake.tasks),
        }


# --- report ---------------------------------------------------------------------------------


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(console: Console, results: dict[str, list[float]], customers: int) -> None:
    table = Table(
        title=f"SQL connector on PostgreSQL: {customers:,} customers, {customers * 5:,} orders"
    )
    for column in ("figure", "p50", "p95", "target", "Fides", "Fides / lawful", ""):
        table.add_column(column)
    rows = [
        ("access, connector alone", "access", "access", False),
        ("erasure, connector alone", "erasure", "erasure", False),
        ("access request, end to end", "e2e access", "access", True),
        ("erasure request, end to end", "e2e erasure", "erasure", True),
        ("erasure, 5,000 orders (median of 3)", "heavy", "heavy", True),
    ]
    for name, key, target, judged in rows:
        values = results[key]
        mid = statistics.median(values)
        verdict = ("PASS" if mid < TARGETS[target] else "FAIL") if judged else ""
        table.add_row(
            name,
            f"{mid * 1000:.1f} ms",
            f"{p(values, 0.95) * 1000:.1f} ms",
            f"< {TARGETS[target] * 1000:.0f} ms",
            f"{FIDES[target]:.2f} s",
            f"{FIDES[target] / mid:,.0f}x",
            verdict,
        )
    console.print(table)


def report_kommo(console: Console, kommo: dict[str, float]) -> None:
    ratio = kommo["seconds"] / kommo["least"] if kommo["least"] else 0
    ok = kommo["refused"] == 0 and ratio < 1.05
    console.print(
        f"Kommo fan-out: {kommo['erasures']:.0f} erasures, {kommo['calls']:.0f} calls in "
        f"{kommo['seconds']:.1f} s; the 7/s limit allows no less than {kommo['least']:.1f} s "
        f"(ratio {ratio:.3f}); refused by the server's 7/s token bucket (429): "
        f"{kommo['refused']:.0f}; most arrivals in any sliding 1 s window: "
        f"{kommo['max_in_1s']:.0f} (network jitter); deletion tasks: "
        f"{kommo['deleted_tasks']:.0f} — {'PASS' if ok else 'FAIL'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "LAWFUL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--kommo-erasures", type=int, default=100)
    parser.add_argument(
        "--quick", action="store_true", help="20,000 customers, 10 runs, 20 erasures"
    )
    parser.add_argument("--keep", action="store_true", help="keep the shop database for reuse")
    parser.add_argument("--kommo-only", action="store_true", help="only the Kommo fan-out")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.runs, args.kommo_erasures = 20_000, 10, 20
    console = Console()
    if not args.kommo_only:
        url = prepare(args.pg_url, args.customers, console)
        try:
            results = connector_alone(url, args.customers, args.runs)
            results |= {
                f"e2e {k}": v for k, v in end_to_end(url, args.customers, args.runs).items()
            }
        finally:
            if not args.keep:
                drop(args.pg_url)
        report(console, results, args.customers)
    if args.kommo_erasures:
        report_kommo(console, kommo_fan_out(args.kommo_erasures))
    console.print(
        "Fides figures: its harness's recorded run (shared/peers/fides/REPORT.md, eager "
        "mode), not re-run here."
    )


def drop(pg_url: str) -> None:
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
    admin.dispose()


if __name__ == "__main__":
    main()
