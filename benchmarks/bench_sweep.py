"""Retention-sweep benchmark: personal-data values destroyed per second.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_sweep             # both backends, 100,000 subjects
    .venv/bin/python -m benchmarks.bench_sweep --backend sqlite --subjects 20000  # quicker

It seeds ``--subjects`` synthetic people with ``--values-per-subject`` values each through
``record_bulk``, collected long enough ago that the purpose's ``since_collection`` rule has run
out, then times one real sweep (:func:`lawful.retention.runs.run_sweep`): every batch of
subjects planned, values deleted, subjects crypto-shredded, journalled and written to the
erasure ledger (attached, as ``open_lawful`` does), and the run's one destruction act with its
log extract — plus ``purge_freed_pages``. Targets: ≥ 50,000 values/s on SQLite and
≥ 100,000 values/s on PostgreSQL. A dry run over the same data is timed first (no target).

SQLite lives in a temporary directory; PostgreSQL gets a fresh schema in the database of
``--pg-url`` (default ``LAWFUL_BENCH_PG_URL`` or the local ``test`` database), dropped at the
end. Results go to ``benchmarks/results/sweep-<backend>-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from lawful.backup.ledger import attach
from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.crypto.envelope import MasterKey
from lawful.crypto.keyring import Keyring, open_keyring
from lawful.retention import runs
from lawful.store.db import create_engine_for, make_session_factory, migrate, purge_freed_pages
from lawful.subjects.service import NewSubject, record_bulk

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_PG_URL = os.environ.get(
    "LAWFUL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGETS = {"sqlite": 50_000, "postgresql": 100_000}
NOW = datetime(2026, 11, 1, tzinfo=UTC)
CATEGORIES = (
    "user.name",
    "user.contact.email",
    "user.contact.phone_number",
    "user.contact.address",
    "user.demographic.date_of_birth",
)
POLICY = """
operator:
  legal_name: Bench LLC
  address: 1 Bench St, Moscow
  country: RU
  jurisdictions: [ru]
  languages: [en]
  requests_email: privacy@bench.example
categories: {CATEGORIES}
purposes:
  calls:
    name: Calls
    data_use: essential.service
    subjects: [customer]
    legal_basis: contract
    categories: [NAMES]
    retention: {kind: since_collection, days: 90}
""".replace("CATEGORIES", ", ".join(f"{c}: {{}}" for c in CATEGORIES)).replace(
    "NAMES", ", ".join(CATEGORIES)
)


def policy() -> Policy:
    return load_policy_text(POLICY, "bench.yaml").policy


def _engine(backend: str, workdir: Path, pg_url: str) -> tuple[Engine, str | None]:
    if backend == "sqlite":
        return create_engine_for(f"sqlite:///{workdir / 'lawful.db'}"), None
    schema = f"bench_sweep_{uuid.uuid4().hex[:10]}"
    admin = create_engine_for(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = create_engine_for(pg_url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        with dbapi_connection.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
            cur.execute("SELECT pg_backend_pid()")
            BACKENDS.add(cur.fetchone()[0])
        dbapi_connection.commit()

    return engine, schema


#: PostgreSQL server processes of the benchmark's connections.
BACKENDS: set[int] = set()


def server_cpu() -> float | None:
    """CPU seconds the benchmark's PostgreSQL backends have used (when the server runs on this
    machine and /proc shows them; None otherwise). With the client's own CPU time it measures
    the work a sweep costs, whatever else loads a shared machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in BACKENDS:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks if BACKENDS else None


def _drop(schema: str, pg_url: str) -> None:
    admin = create_engine_for(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def seed(engine: Engine, ring: Keyring, the_policy: Policy, subjects: int, per: int) -> float:
    """Record ``subjects`` people, 200 days ago; return the seconds it took."""
    sessions = make_session_factory(engine)
    at, started, categories = NOW - timedelta(days=200), time.perf_counter(), CATEGORIES[:per]
    for start in range(0, subjects, 2000):
        people = [
            NewSubject(
                {"email": f"person{i}@bench.example"},
                "calls",
                {c: f"{c} of person {i}" for c in categories},
            )
            for i in range(start, min(start + 2000, subjects))
        ]
        with sessions.begin() as session:
            record_bulk(
                session=session, ring=ring, policy=the_policy, people=people, actor="bench", now=at
            )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def bench(backend: str, subjects: int, per: int, batch: int, pg_url: str) -> dict[str, object]:
    the_policy = policy()
    with tempfile.TemporaryDirectory(prefix="lawful-bench-sweep-") as tmp:
        engine, schema = _engine(backend, Path(tmp), pg_url)
        try:
            migrate(engine)
            attach(engine, Path(tmp) / "erasure-ledger.db")
            sessions = make_session_factory(engine)
            with sessions.begin() as session:
                ring = open_keyring(session, [MasterKey(os.urandom(32))])
            seeded = seed(engine, ring, the_policy, subjects, per)
            started = time.perf_counter()
            preview = runs.preview(sessions, the_policy, now=NOW, batch=batch)
            dry = time.perf_counter() - started
            started, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
            report = runs.run_sweep(sessions, the_policy, now=NOW, batch=batch)
            purge_freed_pages(engine)
            swept, cpu = time.perf_counter() - started, time.process_time() - cpu
            after = server_cpu()
            server = None if server is None or after is None else after - server
        finally:
            engine.dispose()
            if schema:
                _drop(schema, pg_url)
    values = sum(report.values.values())
    assert values == subjects * per == sum(preview.values.values())
    assert report.shredded == subjects and report.act_number
    return {
        "backend": backend,
        "subjects": subjects,
        "values": values,
        "batch": batch,
        "seed_s": round(seeded, 2),
        "dry_run_s": round(dry, 2),
        "sweep_s": round(swept, 2),
        # This process's CPU time: on a shared machine, what the sweep itself cost.
        "sweep_cpu_s": round(cpu, 2),
        # The PostgreSQL server's CPU time for the sweep (SQLite runs in this process).
        "server_cpu_s": None if server is None else round(server, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "values_per_s": round(values / swept),
        "target_values_per_s": TARGETS[backend],
        "ratio": round(values / swept / TARGETS[backend], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--values-per-subject", type=int, default=5, choices=range(1, 6))
    parser.add_argument("--batch", type=int, default=runs.BATCH)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    RESULTS_DIR.mkdir(exist_ok=True)
    for backend in backends:
        result = bench(backend, args.subjects, args.values_per_subject, args.batch, args.pg_url)
        result["machine"] = (
            f"{platform.machine()} {os.cpu_count()} cpu, {platform.python_version()}"
        )
        verdict = "PASS" if float(str(result["ratio"])) >= 1 else "FAIL"
        print(
            f"{backend:>10}: {result['values']:,} values of {result['subjects']:,} subjects swept "
            f"in {result['sweep_s']} s = {result['values_per_s']:,} values/s "
            f"(target {result['target_values_per_s']:,}, ratio {result['ratio']}) {verdict}; "
            f"dry run {result['dry_run_s']} s, seeding {result['seed_s']} s; "
            f"this process's CPU {result['sweep_cpu_s']} s"
            + (
                f", server CPU {result['server_cpu_s']} s"
                if result["server_cpu_s"] is not None
                else ""
            )
            + f", load average {result['load_average']}"
        )
        out = RESULTS_DIR / f"sweep-{backend}-{datetime.now(UTC):%Y-%m-%d}.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
