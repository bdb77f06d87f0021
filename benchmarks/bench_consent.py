"""Consent benchmark: bulk eligibility of a mailing list, and the single check.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_consent                # 1,000,000 identifiers
    .venv/bin/python -m benchmarks.bench_consent --quick        # 100,000: a smoke test

It builds a SQLite database of ``--subjects`` people (e-mail blind indexes, consent records
to ``newsletters`` of the ru-design-studio template: 60 % given, 20 % withdrawn, 20 % none,
1 % blocked) with Core inserts — the data keys are dummies, since checking never opens one —
then measures:

* bulk eligibility: ``check_identifiers`` over ``--identifiers`` e-mails (half of them known,
  a third in upper case with spaces), consumed to the end in one session; target < 3 s per
  1,000,000. Measured twice: in one process, and with ``--workers`` forked hashing processes
  (default: every CPU), which is how ``lawful consent filter`` runs it; both must give the
  same answers;
* the whole command: ``lawful consent filter`` run as a user runs it, on a CSV of the same
  list (name and e-mail columns) against the same database — start-up, reading the CSV, the
  check with its workers, writing the allowed and refused files;
* single check: ``service.check`` for 2,000 random subjects, one session each; target p50
  < 2 ms.
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.consent import service
from lawful.consent.eligibility import blind_indexer
from lawful.consent.models import ConsentRecord
from lawful.crypto.envelope import MasterKey
from lawful.crypto.keyring import Keyring, open_keyring
from lawful.store.db import create_engine_for, make_session_factory, migrate
from lawful.subjects.models import Identifier, Subject

PURPOSE = "newsletters"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
BATCH = 50_000


def _email(i: int) -> str:
    return f"person.{i}@example{i % 97}.ru"


def build(
    engine: sa.Engine, subjects: int, rng: random.Random, master: MasterKey
) -> tuple[list[str], Keyring]:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        ring = open_keyring(session, [master])
    index = blind_indexer(ring.index_key, "email")
    ids: list[str] = []
    for start in range(0, subjects, BATCH):
        people, idents, records = [], [], []
        for i in range(start, min(start + BATCH, subjects)):
            sid = uuid.uuid4().hex
            ids.append(sid)
            roll = rng.random()
            people.append(
                {
                    "id": sid,
                    "wrapped_key": b"\0" * 60,
                    "master_key_id": ring.current.key_id,
                    "created_at": NOW,
                    "blocked_at": NOW if roll > 0.99 else None,
                }
            )
            idents.append({"subject_id": sid, "kind": "email", "digest": index(_email(i))})
            if roll < 0.8:
                records.append(_record(sid, "given" if roll < 0.6 else "withdrawn"))
        with sessions.begin() as session:
            session.execute(sa.insert(Subject), people)
            session.execute(sa.insert(Identifier), idents)
            session.execute(sa.insert(ConsentRecord), records)
    return ids, ring


def _record(subject_id: str, state: str) -> dict[str, object]:
    return {
        "id": uuid.uuid4().hex,
        "subject_id": subject_id,
        "purpose": PURPOSE,
        "kind": "marketing",
        "state": state,
        "is_current": True,
        "document_kind": f"consent-{PURPOSE}",
        "document_language": "ru",
        "document_version": 1,
        "text_hash": "0" * 64,
        "method": "checkbox",
        "channel": "web_form",
        "given_at": NOW,
        "state_changed_at": NOW,
        "jurisdictions": ["ru"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--identifiers", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=None, help="default: half the list")
    parser.add_argument("--checks", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="100,000 identifiers")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    total = 100_000 if args.quick else args.identifiers
    subjects = args.subjects or total // 2
    console, rng = Console(), random.Random(7)
    text = files("lawful.config").joinpath("templates", "ru-design-studio.yaml").read_text()
    policy = load_policy_text(text).policy

    master = MasterKey(os.urandom(32))
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = create_engine_for(database)
        migrate(engine)
        started = time.perf_counter()
        ids, ring = build(engine, subjects, rng, master)
        console.print(f"built {subjects:,} subjects in {time.perf_counter() - started:.1f} s")
        listed = [
            f" {_email(i).upper()} " if i % 3 == 0 else _email(i)
            for i in range(subjects - total // 2, subjects - total // 2 + total)
        ]
        rng.shuffle(listed)
        sessions = make_session_factory(engine)
        bulk: dict[int, tuple[float, float]] = {}
        answers: dict[int, dict[str, int]] = {}
        for workers in (0, args.workers):
            with sessions() as session:
                bulk[workers], answers[workers] = _bulk(session, ring, policy, listed, workers)
        assert answers[0] == answers[args.workers], "forked hashing changed the answers"
        command = _filter_command(Path(folder), text, database, master, listed)
        timings = []
        for sid in rng.sample(ids, min(args.checks, len(ids))):
            started = time.perf_counter()
            with sessions() as session:
                service.check(
                    session=session, policy=policy, subject_id=sid, purpose=PURPOSE, now=NOW
                )
            timings.append(time.perf_counter() - started)
        engine.dispose()

    p50 = statistics.median(timings) * 1000
    table = Table(title=f"consent eligibility on SQLite ({subjects:,} subjects)")
    for column in ("figure", "measured", "target", "result"):
        table.add_column(column)
    for workers, (elapsed, cpu) in bulk.items():
        per_million = elapsed * 1_000_000 / total
        how = "in one process" if workers == 0 else f"{workers} hashing workers"
        table.add_row(
            f"bulk, {total:,} identifiers, {how}",
            f"{elapsed:.2f} s ({per_million:.2f} s / 1M; this process's CPU {cpu:.2f} s)",
            "< 3 s / 1M",
            "PASS" if per_million < 3 else "FAIL",
        )
    took, rows = command
    table.add_row(
        f"`lawful consent filter`, a {rows:,}-row CSV: the whole command",
        f"{took:.2f} s (start-up, read, check, write)",
        "< 3 s if the command counts",
        "PASS" if took * 1_000_000 / rows < 3 else "FAIL",
    )
    table.add_row("single check p50", f"{p50:.2f} ms", "< 2 ms", "PASS" if p50 < 2 else "FAIL")
    table.add_row(
        "single check p95", f"{statistics.quantiles(timings, n=20)[-1] * 1000:.2f} ms", "—", ""
    )
    console.print(table)
    console.print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    console.print("answers: " + ", ".join(f"{k} {v:,}" for k, v in sorted(answers[0].items())))


def _filter_command(
    folder: Path, config: str, database: str, master: MasterKey, listed: list[str]
) -> tuple[float, int]:
    """Wall seconds of ``lawful consent filter`` over ``listed`` as a CSV, and its rows; the
    two files it writes must hold every row."""
    (folder / "lawful.yaml").write_text(config, encoding="utf-8")
    source = folder / "list.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "email"])
        writer.writerows([f"Person {i}", address] for i, address in enumerate(listed))
    env = {
        **os.environ,
        "LAWFUL_DATA_DIR": str(folder),
        "LAWFUL_CONFIG": str(folder / "lawful.yaml"),
        "LAWFUL_DATABASE_URL": database,
        "LAWFUL_MASTER_KEY": base64.b64encode(master.secret).decode("ascii"),
    }
    lawful = str(Path(sys.executable).parent / "lawful")
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 — our own CLI, arguments we built
        [lawful, "consent", "filter", str(source), "--purpose", PURPOSE],
        env=env,
        check=True,
        capture_output=True,
    )
    took = time.perf_counter() - started
    written = sum(
        len(path.read_text(encoding="utf-8").splitlines()) - 1
        for path in (source.with_suffix(".allowed.csv"), source.with_suffix(".refused.csv"))
    )
    assert written == len(listed), "the filter lost or added rows"
    return took, len(listed)


def _bulk(
    session: Session, ring: Keyring, policy: Policy, listed: list[str], workers: int
) -> tuple[tuple[float, float], dict[str, int]]:
    """Wall and CPU seconds of one bulk check consumed to the end, and its answers counted."""
    started, cpu = time.perf_counter(), time.process_time()
    reasons: dict[str, int] = {}
    for _, answer in service.check_identifiers(
        session=session,
        ring=ring,
        policy=policy,
        identifiers=listed,
        purpose=PURPOSE,
        now=NOW,
        workers=workers,
    ):
        reasons[answer.reason] = reasons.get(answer.reason, 0) + 1
    return (time.perf_counter() - started, time.process_time() - cpu), reasons


if __name__ == "__main__":
    main()
