"""Transfer-gate benchmark: decisions per second in-process.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_transfers               # 1,000,000 decisions
    .venv/bin/python -m benchmarks.bench_transfers --quick       # 100,000: a smoke test

The gate's static part (recipients, purposes, categories, adequacy under each jurisdiction,
Roskomnadzor's window) is compiled once per policy into a decision table; each decision then
reads one subject's state (blocked, current consents) and the table. The benchmark times
:func:`lawful.transfers.gate.decide` over a mix of requests — domestic and abroad, allowed and
refused for each reason — against subject states drawn from a pool, for the kz-messaging-saas
template (consent-based transfers abroad) and ru-design-studio (Roskomnadzor's window).
Building the tables is timed apart. Target: >= 100,000 decisions/s.

The figure is for the decision alone. ``--with-store`` also times
:func:`lawful.transfers.service.check_transfer` — the decision plus the two queries that read
the subject's state — against a SQLite database of 10,000 subjects (printed without a target).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from importlib.resources import files

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.consent.models import ConsentRecord
from lawful.store.db import create_engine_for, make_session_factory, migrate
from lawful.subjects.models import Subject
from lawful.transfers.gate import SubjectFacts, build_table, decide
from lawful.transfers.service import check_transfer

TARGET = 100_000
NOW = datetime(2026, 6, 1, tzinfo=UTC)

Request = tuple[str, str, tuple[str, ...]]


def template(name: str) -> Policy:
    text = files("lawful.config").joinpath("templates", f"{name}.yaml").read_text("utf-8")
    return load_policy_text(text, f"{name}.yaml").policy


def requests_for(policy: Policy, rng: random.Random, count: int) -> list[Request]:
    """Declared routes with one or two of their categories, plus a share of undeclared ones."""
    routes = [
        (key, purpose, tuple(r.categories))
        for key, r in policy.recipients.items()
        for purpose in r.purposes
    ]
    made: list[Request] = []
    for n in range(count):
        recipient, purpose, categories = rng.choice(routes)
        picked = tuple(rng.sample(categories, min(len(categories), 1 + n % 2)))
        if n % 10 == 0:
            recipient = "undeclared" if n % 20 == 0 else recipient
            picked = (*picked, "user.financial")
        made.append((recipient, purpose, picked))
    return made


def facts_pool(policy: Policy, rng: random.Random, count: int) -> list[SubjectFacts]:
    states = ["given", "withdrawn", None, "expired"]
    purposes = [key for key, p in policy.purposes.items() if p.consent]
    pool = []
    for n in range(count):
        blocked = None if n % 50 == 0 else n % 25 == 0
        pool.append(SubjectFacts(blocked, {p: rng.choice(states) for p in purposes}))
    return pool


def run(policy: Policy, decisions: int, rng: random.Random) -> tuple[float, float, Counter[str]]:
    started = time.perf_counter()
    table = build_table(policy)
    built = time.perf_counter() - started
    requests = requests_for(policy, rng, 4096)
    pool = facts_pool(policy, rng, 1024)
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    for n in range(decisions):
        recipient, purpose, categories = requests[n & 4095]
        answer = decide(table, recipient, purpose, categories, pool[n & 1023], NOW)
        if n % 257 == 0:
            outcomes[answer.condition] += 1
    elapsed = time.perf_counter() - started
    return decisions / elapsed, built, outcomes


def with_store(policy: Policy, rng: random.Random, subjects: int, checks: int) -> float:
    """check_transfer() per second on SQLite: the decision and the subject's state."""
    folder = tempfile.TemporaryDirectory(prefix="lawful-bench-transfers-")
    engine = create_engine_for(f"sqlite:///{folder.name}/bench.db")
    try:
        migrate(engine)
        ids = [uuid.uuid4().hex for _ in range(subjects)]
        people = [
            {"id": i, "wrapped_key": b"\0" * 60, "master_key_id": "bench", "created_at": NOW}
            for i in ids
        ]
        consents = [_consent(i, n) for n, i in enumerate(ids) if n % 2 == 0]
        with engine.begin() as conn:
            conn.execute(sa.insert(Subject), people)
            conn.execute(sa.insert(ConsentRecord), consents)
        requests = requests_for(policy, rng, 1024)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        with sessions() as session:
            for n in range(checks):
                recipient, purpose, categories = requests[n & 1023]
                check_transfer(
                    session=session,
                    policy=policy,
                    subject_id=ids[n % subjects],
                    recipient=recipient,
                    purpose=purpose,
                    categories=categories,
                    now=NOW,
                )
        return checks / (time.perf_counter() - started)
    finally:
        engine.dispose()
        folder.cleanup()


def _consent(subject_id: str, n: int) -> dict[str, object]:
    return {
        "id": uuid.uuid4().hex,
        "subject_id": subject_id,
        "purpose": "cross_border_transfer",
        "kind": "cross_border",
        "state": "given" if n % 4 == 0 else "withdrawn",
        "is_current": True,
        "method": "checkbox",
        "channel": "web_form",
        "given_at": NOW,
        "state_changed_at": NOW,
        "jurisdictions": ["kz"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 decisions")
    parser.add_argument(
        "--with-store", action="store_true", help="also time check_transfer() on SQLite"
    )
    args = parser.parse_args()
    decisions = 100_000 if args.quick else args.decisions
    console, rng = Console(), random.Random(7)
    table = Table(title=f"transfer gate, {decisions:,} decisions per template")
    for column in ("template", "decisions/s", "target", "ratio", "", "table build"):
        table.add_column(column)
    samples = []
    for name in ("kz-messaging-saas", "ru-design-studio"):
        rate, built, outcomes = run(template(name), decisions, rng)
        samples.append(f"{name}: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
        table.add_row(
            name,
            f"{rate:,.0f}",
            f">= {TARGET:,}",
            f"{rate / TARGET:.1f}x",
            "PASS" if rate >= TARGET else "FAIL",
            f"{built * 1000:.1f} ms",
        )
    console.print(table)
    console.print("outcomes of every 257th decision:", *samples, sep="\n  ")
    if args.with_store:
        rate = with_store(template("kz-messaging-saas"), rng, 10_000, 20_000)
        console.print(f"check_transfer() with the store (SQLite, kz template): {rate:,.0f}/s")


if __name__ == "__main__":
    main()
