"""Store benchmark: bulk recording, find, export, destroy and audit verification at scale.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_store --backend sqlite|postgresql|both \\
        --subjects 1000000 --values-per-subject 5
    .venv/bin/python -m benchmarks.bench_store --quick          # 20,000 subjects, smoke test

It builds a data set of synthetic people through ``record_bulk`` (one transaction per batch),
then measures the calls a real deployment makes, each in its own transaction, and prints every
figure against its target. Results go to ``benchmarks/results/store-<backend>-<date>.json``.

With ``--backend both`` each backend runs in its own child process, so that the peak memory
(``ru_maxrss``) of one is not carried into the other.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.figures import fmt, percentile
from lawful import audit
from lawful.crypto.envelope import MasterKey
from lawful.crypto.keyring import Keyring, open_keyring
from lawful.errors import NotFound
from lawful.store.db import create_engine_for, make_session_factory, migrate, purge_freed_pages
from lawful.subjects.service import (
    NewSubject,
    create_subject,
    destroy_subject,
    export_subject,
    find_subject,
    record,
    record_bulk,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_PG_URL = os.environ.get(
    "LAWFUL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BENCH_DATABASE = "lawful_bench"
QUICK_SUBJECTS = 20_000
MAX_SUBJECTS = 9_000_000  # phone numbers embed a 7-digit counter
PURPOSE = "inquiry"
ACTOR = "bench"
# Categories in the order a subject receives them (``--values-per-subject`` takes a prefix).
CATEGORIES = (
    "user.name",
    "user.contact.email",
    "user.contact.phone_number",
    "user.contact.address",
    "user.demographic.date_of_birth",
    "user.contact.address.city",
    "user.contact.organization",
    "user.demographic.gender",
    "user.demographic.language",
    "user.content.private",
)
# faker locale -> (country calling code, mobile prefixes); kk_KZ falls back to ru_RU names.
LOCALES = {
    "ru_RU": ("+7", ("916", "926", "903", "985")),
    "kk_KZ": ("+7", ("701", "705", "747", "777")),
    "vi_VN": ("+84", ("90", "91", "98", "97")),
    "en_US": ("+1", ("212", "415", "312", "646")),
}
NOTES = (
    "Просит перезвонить после 18:00",
    "Интересуется тарифом для семьи",
    "Хочет получить счёт на e-mail",
    "Quan tâm đến gói dịch vụ doanh nghiệp",
    "Asked about delivery to Almaty",
    "Requested a callback on Monday",
)


# --------------------------------------------------------------------------------------------
# Policy stand-in and synthetic people


class DeclaredPurposes:
    """A minimal policy: purpose name -> the categories it uses (what the service needs)."""

    def __init__(self, purposes: dict[str, frozenset[str]]) -> None:
        self.purposes = purposes

    def purpose(self, name: str) -> DeclaredPurposes.Purpose:
        if name not in self.purposes:
            raise NotFound(name)
        return DeclaredPurposes.Purpose(self.purposes[name])

    class Purpose:
        def __init__(self, categories: frozenset[str]) -> None:
            self.categories = categories

        def uses(self, category: str) -> bool:
            return category in self.categories


@dataclass(frozen=True)
class PoolEntry:
    name: str
    user: str
    domain: str
    address: str
    city: str
    birth: str
    company: str
    gender: str
    language: str
    country_code: str
    mobile: str


def build_pool(size: int, seed: int) -> tuple[list[PoolEntry], dict[str, str]]:
    """Pre-generate ``size`` faker people; people are then pool entries combined with a counter,
    so that generating 1M names is not what the benchmark measures."""
    from faker import Faker

    Faker.seed(seed)
    rng = random.Random(seed)
    fakers: dict[str, Any] = {}
    substituted: dict[str, str] = {}
    for locale in LOCALES:
        try:
            fakers[locale] = Faker(locale)
        except AttributeError:  # faker has no such locale
            fakers[locale] = Faker("ru_RU")
            substituted[locale] = "ru_RU"
    pool: list[PoolEntry] = []
    locales = list(LOCALES)
    for n in range(size):
        locale = locales[n % len(locales)]
        fake = fakers[locale]
        code, prefixes = LOCALES[locale]
        pool.append(
            PoolEntry(
                name=fake.name(),
                user=fake.user_name(),
                domain=fake.free_email_domain(),
                address=fake.address().replace("\n", ", "),
                city=fake.city(),
                birth=fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
                company=fake.company(),
                gender=rng.choice(("female", "male")),
                language=locale.split("_")[0],
                country_code=code,
                mobile=rng.choice(prefixes),
            )
        )
    return pool, substituted


class People:
    """Person ``i`` is a pure function of ``i``: its e-mail can be rebuilt for lookups without
    keeping a million of them in memory. E-mail and phone embed ``i`` and so are unique."""

    def __init__(self, pool: Sequence[PoolEntry], values_per_subject: int) -> None:
        self.pool = pool
        self.categories = CATEGORIES[:values_per_subject]

    def entry(self, i: int) -> PoolEntry:
        return self.pool[(i * 7919) % len(self.pool)]

    def email(self, i: int) -> str:
        entry = self.entry(i)
        return f"{entry.user}.{i}@{entry.domain}"

    def phone(self, i: int) -> str:
        entry = self.entry(i)
        digits = f"{i % 10_000_000:07d}"
        return f"{entry.country_code} {entry.mobile} {digits[:3]}-{digits[3:5]}-{digits[5:]}"

    def values(self, i: int) -> dict[str, str]:
        entry = self.entry(i)
        every = {
            "user.name": entry.name,
            "user.contact.email": self.email(i),
            "user.contact.phone_number": self.phone(i),
            "user.contact.address": entry.address,
            "user.demographic.date_of_birth": entry.birth,
            "user.contact.address.city": entry.city,
            "user.contact.organization": entry.company,
            "user.demographic.gender": entry.gender,
            "user.demographic.language": entry.language,
            "user.content.private": NOTES[i % len(NOTES)],
        }
        return {category: every[category] for category in self.categories}

    def person(self, i: int) -> NewSubject:
        return NewSubject(
            identifiers={"email": self.email(i), "phone": self.phone(i)},
            purpose=PURPOSE,
            values=self.values(i),
        )


# --------------------------------------------------------------------------------------------
# Figures


@dataclass
class Metric:
    key: str
    label: str
    value: float
    unit: str
    target: float | None = None
    better: str = "lower"  # "lower": value must stay below target; "higher": at or above it
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.target is None or self.value <= 0:
            return None
        return self.target / self.value if self.better == "lower" else self.value / self.target

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.better == "lower":
            return self.value < self.target
        return self.value >= self.target

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        sign = "<" if self.better == "lower" else "≥"
        return f"{sign} {self.target:,g} {self.unit}"

    def ratio_text(self) -> str:
        ratio = self.ratio
        if ratio is None:
            return "—"
        if ratio >= 1:
            return f"{ratio:.{1 if ratio >= 10 else 2}f}x headroom"
        if self.better == "lower":
            return f"{1 / ratio:.2f}x over target"
        return f"{ratio:.2f}x of target"

    def line(self) -> str:
        value = f"{fmt(self.value)} {self.unit}"
        if self.target is None:
            return f"{self.label} {value}" + (f" ({self.note})" if self.note else "")
        verdict = "PASS" if self.passed else "FAIL"
        return f"{self.label} {value} (target {self.target_text()}, {self.ratio_text()}) {verdict}"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=self.ratio, passed=self.passed)
        return data


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class Report:
    backend: str
    params: dict[str, Any]
    environment: dict[str, Any] = field(default_factory=dict)
    build: dict[str, Any] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    profile: str | None = None

    def add(self, metric: Metric) -> Metric:
        self.metrics.append(metric)
        return metric


# --------------------------------------------------------------------------------------------
# Databases


@contextlib.contextmanager
def sqlite_database() -> Iterator[tuple[Engine, dict[str, Any]]]:
    with tempfile.TemporaryDirectory(prefix="lawful-bench-", dir="/tmp") as tmp:  # noqa: S108
        path = Path(tmp) / "lawful.db"
        engine = create_engine_for(f"sqlite:///{path}")
        info: dict[str, Any] = {"path": str(path)}
        try:
            yield engine, info
        finally:
            engine.dispose()
            info["file_mb"] = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20


@contextlib.contextmanager
def postgresql_database(admin_url: str) -> Iterator[tuple[Engine, dict[str, Any]]]:
    admin = create_engine_for(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    url = admin.url.set(database=BENCH_DATABASE)
    engine = create_engine_for(url.render_as_string(hide_password=False))
    info: dict[str, Any] = {"database": BENCH_DATABASE}
    try:
        yield engine, info
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            with engine.connect() as conn:
                size = conn.execute(sa.text("SELECT pg_database_size(current_database())"))
                info["file_mb"] = int(size.scalar_one()) / 2**20
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        admin.dispose()


def server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return "SQLite " + str(conn.exec_driver_sql("select sqlite_version()").scalar_one())
        return str(conn.exec_driver_sql("show server_version").scalar_one())


# --------------------------------------------------------------------------------------------
# The benchmark


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run_backend(args: argparse.Namespace, console: Console) -> Report:
    report = Report(
        backend=args.backend,
        params={
            "subjects": args.subjects,
            "values_per_subject": args.values_per_subject,
            "values": args.subjects * args.values_per_subject,
            "batch": args.batch,
            "lookups": args.lookups,
            "exports": args.exports,
            "destroys": args.destroys,
            "big_subjects": args.big_subjects,
            "big_values": args.big_values,
            "pool": args.pool,
            "seed": args.seed,
            "quick": args.quick,
        },
    )
    database = sqlite_database() if args.backend == "sqlite" else postgresql_database(args.pg_url)
    with database as (engine, db_info):
        migrate(engine)
        report.environment = environment(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            ring = open_keyring(session, [MasterKey(os.urandom(32))])
        policy = DeclaredPurposes({PURPOSE: frozenset(CATEGORIES)})

        started = time.perf_counter()
        pool, substituted = build_pool(args.pool, args.seed)
        report.build["pool_seconds"] = round(time.perf_counter() - started, 2)
        report.build["locale_substitutes"] = substituted
        people = People(pool, args.values_per_subject)

        rng = random.Random(args.seed)
        wanted = args.exports + args.destroys
        chosen = rng.sample(range(args.subjects), min(wanted, args.subjects))
        exports, destroys = chosen[: args.exports], chosen[args.exports :]
        ids = build(args, console, report, engine, sessions, ring, policy, people, set(chosen))

        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")

        lookups = rng.sample(range(args.subjects), min(args.lookups, args.subjects))
        measure_find(console, report, sessions, ring, people, lookups)
        measure_export(console, report, sessions, ring, [ids[i] for i in exports], people)
        measure_destroy(console, report, engine, sessions, [ids[i] for i in destroys])
        measure_destroy_big(args, console, report, engine, sessions, ring, policy, people)
        measure_verify(console, report, engine)
    report.build["database_mb"] = round(db_info.get("file_mb", 0.0), 1)
    return report


def git_revision() -> str | None:
    """The commit measured, with ``+dirty`` when src/ has uncommitted changes."""
    git = shutil.which("git")
    if git is None:
        return None
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "status", "--porcelain", "--", "src"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return None
    return (head + ("+dirty" if dirty else "")) or None


def environment(engine: Engine) -> dict[str, Any]:
    return {
        "lawful_commit": git_revision(),
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "server": server_version(engine),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def build(
    args: argparse.Namespace,
    console: Console,
    report: Report,
    engine: Engine,
    sessions: sessionmaker[Session],
    ring: Keyring,
    policy: DeclaredPurposes,
    people: People,
    keep: set[int],
) -> dict[int, str]:
    """Record every subject with ``record_bulk``; time only the call and its commit."""
    ids: dict[int, str] = {}
    batch_rates: list[float] = []
    recording = 0.0
    total_values = args.subjects * args.values_per_subject
    profiler = cProfile.Profile() if args.profile else None
    step = max(1, total_values // 20)
    wall = time.perf_counter()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(
            f"recording ({args.backend})", total=total_values, rate="— values/s"
        )
        for start in range(0, args.subjects, args.batch):
            indices = range(start, min(start + args.batch, args.subjects))
            batch = [people.person(i) for i in indices]
            began = time.perf_counter()
            if profiler:
                profiler.enable()
            with sessions.begin() as session:
                made = record_bulk(
                    session=session, ring=ring, policy=policy, people=batch, actor=ACTOR
                )
            if profiler:
                profiler.disable()
            spent = time.perf_counter() - began
            recording += spent
            values = len(batch) * args.values_per_subject
            batch_rates.append(values / spent)
            for offset, i in enumerate(indices):
                if i in keep:
                    ids[i] = made[offset]
            done = (indices.stop) * args.values_per_subject
            progress.update(task, advance=values, rate=f"{done / recording:,.0f} values/s")
            if not console.is_terminal and done // step > (done - values) // step:
                # no live bar when the output is a file: log a line every 5% instead
                print(
                    f"  {done:,}/{total_values:,} values, {done / recording:,.0f} values/s, "
                    f"{time.perf_counter() - wall:.0f} s, rss {peak_rss_mb():.0f} MB",
                    flush=True,
                )
    wall_seconds = time.perf_counter() - wall
    tenth = max(1, len(batch_rates) // 10)
    report.build.update(
        recording_seconds=round(recording, 2),
        wall_seconds=round(wall_seconds, 2),
        generation_seconds=round(wall_seconds - recording, 2),
        first_10pct_values_per_s=round(sum(batch_rates[:tenth]) / tenth),
        last_10pct_values_per_s=round(sum(batch_rates[-tenth:]) / tenth),
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
    if profiler:
        report.profile = profile_text(profiler, args.backend)
    report.add(
        Metric(
            "record_bulk_values_per_s",
            "bulk recording",
            total_values / recording,
            "values/s",
            20_000,
            "higher",
        )
    )
    report.add(
        Metric(
            "record_bulk_last_10pct_values_per_s",
            "bulk recording, last 10% of batches",
            report.build["last_10pct_values_per_s"],
            "values/s",
            note=f"first 10%: {fmt(report.build['first_10pct_values_per_s'])} values/s",
        )
    )
    report.add(Metric("build_peak_rss_mb", "peak memory while building", peak_rss_mb(), "MB", 2048))
    console.print(
        f"built {args.subjects:,} subjects / {total_values:,} values in {wall_seconds:.1f} s "
        f"({recording:.1f} s in record_bulk + commit)"
    )
    return ids


def profile_text(profiler: cProfile.Profile, backend: str) -> str:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(RESULTS_DIR / f"profile-{backend}.pstats"))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def latency_metrics(
    report: Report, key: str, label: str, samples: Sequence[float], target: float | None
) -> None:
    report.add(Metric(f"{key}_p50_ms", f"{label} p50", percentile(samples, 50), "ms", target))
    report.add(
        Metric(
            f"{key}_p95_ms",
            f"{label} p95",
            percentile(samples, 95),
            "ms",
            note=f"n={len(samples)}, max {fmt(max(samples))} ms",
        )
    )


def measure_find(
    console: Console,
    report: Report,
    sessions: sessionmaker[Session],
    ring: Keyring,
    people: People,
    lookups: Sequence[int],
) -> None:
    samples: list[float] = []
    misses = 0
    for i in lookups:
        email = people.email(i)
        start = time.perf_counter()
        with sessions() as session:
            found = find_subject(session=session, ring=ring, kind="email", value=email)
        samples.append((time.perf_counter() - start) * 1000)
        misses += found is None
    if misses:
        raise SystemExit(f"find_subject missed {misses} of {len(lookups)} existing e-mails")
    latency_metrics(report, "find", "find by e-mail", samples, 5)
    console.print(f"find: {len(samples):,} lookups done")


def measure_export(
    console: Console,
    report: Report,
    sessions: sessionmaker[Session],
    ring: Keyring,
    subject_ids: Sequence[str],
    people: People,
) -> None:
    samples: list[float] = []
    for subject_id in subject_ids:
        start = time.perf_counter()
        with sessions.begin() as session:
            exported = export_subject(
                session=session, ring=ring, subject_id=subject_id, actor=ACTOR
            )
        samples.append((time.perf_counter() - start) * 1000)
        if len(exported.values) != len(people.categories):
            raise SystemExit(f"export of {subject_id} returned {len(exported.values)} values")
    latency_metrics(report, "export", "export one subject", samples, 20)
    console.print(f"export: {len(samples):,} subjects exported")


def destroy_one(engine: Engine, sessions: sessionmaker[Session], subject_id: str) -> int:
    with sessions.begin() as session:
        result = destroy_subject(
            session=session, subject_id=subject_id, actor=ACTOR, reason="benchmark"
        )
    purge_freed_pages(engine)
    return result.values


def measure_destroy(
    console: Console,
    report: Report,
    engine: Engine,
    sessions: sessionmaker[Session],
    subject_ids: Sequence[str],
) -> None:
    samples = [
        timed(lambda s=subject_id: destroy_one(engine, sessions, s)) for subject_id in subject_ids
    ]
    latency_metrics(report, "destroy", "destroy one subject (+commit, purge)", samples, 20)
    console.print(f"destroy: {len(samples):,} subjects destroyed")


def measure_destroy_big(
    args: argparse.Namespace,
    console: Console,
    report: Report,
    engine: Engine,
    sessions: sessionmaker[Session],
    ring: Keyring,
    policy: DeclaredPurposes,
    people: People,
) -> None:
    """Subjects with ``--big-values`` values each (repeated inquiries), destroyed one by one."""
    per_call = len(CATEGORIES)
    made: list[str] = []
    for n in range(args.big_subjects):
        i = args.subjects + n
        with sessions.begin() as session:
            subject_id = create_subject(
                session=session,
                ring=ring,
                identifiers={"email": people.email(i), "phone": people.phone(i)},
                actor=ACTOR,
            )
            full = {**People(people.pool, per_call).values(i)}
            for _ in range(args.big_values // per_call):
                record(
                    session=session,
                    ring=ring,
                    policy=policy,
                    subject_id=subject_id,
                    purpose=PURPOSE,
                    values=full,
                    actor=ACTOR,
                )
        made.append(subject_id)
    samples: list[float] = []
    for subject_id in made:
        start = time.perf_counter()
        removed = destroy_one(engine, sessions, subject_id)
        samples.append((time.perf_counter() - start) * 1000)
        if removed != args.big_values // per_call * per_call:
            raise SystemExit(f"destroy of {subject_id} removed {removed} values")
    label = f"destroy one subject with {args.big_values} values"
    latency_metrics(report, "destroy_big", label, samples, 20)
    small = next(m for m in report.metrics if m.key == "destroy_p50_ms")
    big = next(m for m in report.metrics if m.key == "destroy_big_p50_ms")
    report.add(
        Metric(
            "destroy_big_vs_small",
            f"destroy p50, {args.big_values} values / {args.values_per_subject} values",
            big.value / small.value,
            "x",
            note="≈1 means independent of the number of values",
        )
    )
    console.print(f"destroy: {len(samples)} subjects with {args.big_values} values destroyed")


def measure_verify(console: Console, report: Report, engine: Engine) -> None:
    start = time.perf_counter()
    result = audit.verify(engine)
    seconds = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(
            f"audit chain does not verify: {result.reason} at {result.first_broken_seq}"
        )
    report.build["audit_events"] = result.events
    report.add(
        Metric(
            "audit_verify_events_per_s",
            "audit.verify",
            result.events / seconds,
            "events/s",
            300_000,
            "higher",
            note=f"{result.events:,} events in {seconds:.1f} s",
        )
    )
    console.print(f"audit.verify: {result.events:,} events in {seconds:.1f} s")


# --------------------------------------------------------------------------------------------
# Output


def render(report: Report, console: Console) -> None:
    p = report.params
    table = Table(
        title=(
            f"lawful store benchmark — {report.backend} ({report.environment.get('server')}, "
            f"lawful {report.environment.get('lawful_commit')}), "
            f"{p['subjects']:,} subjects × {p['values_per_subject']} values"
        )
    )
    for column in ("figure", "value", "target", "ratio", "result"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for m in report.metrics:
        verdict = "—" if m.passed is None else ("[green]PASS" if m.passed else "[red]FAIL")
        value = f"{fmt(m.value)} {m.unit}"
        ratio = m.ratio_text() if m.target is not None else m.note
        table.add_row(m.label, value, m.target_text(), ratio, verdict)
    console.print(table)
    b = report.build
    console.print(
        f"build: {b['wall_seconds']} s wall, {b['recording_seconds']} s recording, "
        f"{b['generation_seconds']} s generating; database {b.get('database_mb')} MB; "
        f"{b.get('audit_events', 0):,} audit events; load average "
        f"{report.environment.get('load_average_at_start')} at start, "
        f"{[round(x, 2) for x in os.getloadavg()]} now (other work on the machine skews figures)"
    )
    for m in report.metrics:
        print(m.line(), flush=True)
    if report.profile:
        console.print(f"[bold]cProfile of record_bulk ({report.backend})[/bold]")
        print(report.profile, flush=True)


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "store",
        "backend": report.backend,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": report.params,
        "environment": report.environment,
        "build": report.build,
        "metrics": [m.as_json() for m in report.metrics],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "all_targets_met": all(m.passed is not False for m in report.metrics),
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def default_json_path(backend: str) -> Path:
    return RESULTS_DIR / f"store-{backend}-{datetime.now(UTC):%Y-%m-%d}.json"


def run_children(args: argparse.Namespace, argv: Sequence[str], console: Console) -> int:
    """``--backend both``: one child process per backend (separate peak-memory figures)."""
    paths: dict[str, Path] = {}
    for backend in ("sqlite", "postgresql"):
        paths[backend] = default_json_path(backend)
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_store",
            *argv,
            "--backend",
            backend,
            "--json-out",
            str(paths[backend]),
        ]
        console.rule(f"[bold]{backend}")
        code = subprocess.call(command)  # noqa: S603 - our own module, our own arguments
        if code != 0:
            console.print(f"[red]{backend} run failed with exit code {code}")
            return code
    compare(paths, console)
    return 0


def compare(paths: dict[str, Path], console: Console) -> None:
    results = {b: json.loads(p.read_text(encoding="utf-8")) for b, p in paths.items()}
    table = Table(title="lawful store benchmark — backends side by side")
    table.add_column("figure")
    table.add_column("target", justify="right")
    for backend in results:
        table.add_column(backend, justify="right")
    first = next(iter(results.values()))
    for metric in first["metrics"]:
        row = [metric["label"], Metric(**_fields(metric)).target_text()]
        for data in results.values():
            other = next((m for m in data["metrics"] if m["key"] == metric["key"]), None)
            if other is None:
                row.append("—")
                continue
            mark = {True: " ✓", False: " ✗", None: ""}[other["passed"]]
            row.append(f"{fmt(other['value'])} {other['unit']}{mark}")
        table.add_row(*row)
    console.print(table)
    for backend, path in paths.items():
        console.print(f"{backend}: {path}")


def _fields(metric: dict[str, Any]) -> dict[str, Any]:
    names = ("key", "label", "value", "unit", "target", "better", "note")
    return {name: metric[name] for name in names}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_store", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument(
        "--values-per-subject", type=int, default=5, choices=range(1, len(CATEGORIES) + 1)
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SUBJECTS:,} subjects")
    parser.add_argument("--batch", type=int, default=2_000, help="subjects per transaction")
    parser.add_argument("--lookups", type=int, default=2_000, help="find_subject calls")
    parser.add_argument("--exports", type=int, default=1_000, help="export_subject calls")
    parser.add_argument("--destroys", type=int, default=300, help="destroy_subject calls")
    parser.add_argument("--big-subjects", type=int, default=20, help="subjects with many values")
    parser.add_argument("--big-values", type=int, default=500, help="values each of those has")
    parser.add_argument("--pool", type=int, default=20_000, help="pre-generated faker people")
    parser.add_argument("--seed", type=int, default=152)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server to create the DB on")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile record_bulk (slows it down)"
    )
    parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.subjects = QUICK_SUBJECTS
    if not 1 <= args.subjects <= MAX_SUBJECTS:
        parser.error(f"--subjects must be between 1 and {MAX_SUBJECTS:,}")
    if args.big_values < len(CATEGORIES) or args.big_values % len(CATEGORIES):
        parser.error(f"--big-values must be a multiple of {len(CATEGORIES)}")
    return args


def without_backend(argv: Sequence[str]) -> list[str]:
    rest: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--backend":
            skip = True
        elif not arg.startswith("--backend="):
            rest.append(arg)
    return rest


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 140)
    if args.backend == "both":
        rest = without_backend(argv)
        return run_children(args, rest, console)
    report = run_backend(args, console)
    render(report, console)
    path = args.json_out or default_json_path(args.backend)
    write_json(report, path)
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
