"""HTTP benchmark: ``POST /api/v1/submissions`` on loopback, server and load in separate processes.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_http --backend sqlite|postgresql|both [--duration 20]
    .venv/bin/python -m benchmarks.bench_http --backend sqlite --profile 10   # + py-spy

For each backend it creates a temporary data dir with the ru-design-studio policy and a fresh
master key, publishes the documents, and starts ``uvicorn --factory
lawful.web.app:app_from_env`` (the app of a ``lawful serve --workers N`` process) as separate
OS processes: one for SQLite, two on two ports for PostgreSQL, the load split evenly between
them (not ``--workers 2``: uvicorn 0.54 leaves Nagle on for its workers' connections, +40 ms
per keep-alive answer; Kludex/uvicorn#3149).
Access log off and no job worker, as ``lawful serve --no-worker``. Then:

* **ceilings** — the load generators against ``GET /.well-known/gpc.json`` (a constant answer),
  to show that they are not the bottleneck;
* **phase 1** — maximum throughput: wrk, closed loop, ``--connections`` connections, a unique
  person and ``Idempotency-Key`` per request (``benchmarks/bench_http_submit.lua``);
* **phase 2** — latency at a fixed rate of half the target (400/s SQLite, 750/s PostgreSQL): an
  open-loop asyncio generator sends on a fixed schedule and measures each request from the
  moment it was *due* (no coordinated omission); wrk has no constant-rate mode and wrk2 is not
  packaged;
* **phase 2b** — when the server's maximum is below twice the phase-2 rate, the same at half
  the measured maximum (no target: it shows the latency of a server that is not saturated);
* **in-process** — ``collection.prepare`` + ``writer.write_batch`` of one (no HTTP), one thread,
  server stopped: the CPU per submission bounds what one process can do;
* **checks** — after each run, the subjects created equal the 201 answers (plus the requests
  wrk abandoned in flight when its time ran out) and every acknowledged ``subject_ref`` exists;
  finally ``lawful.audit.verify`` over the whole journal.

``--profile N`` adds an unmeasured wrk run with ``py-spy record`` on the server processes for
N seconds and prints the hottest functions (own and inclusive share of samples), and a cProfile
of the in-process calls (cumulative share per lawful function).
Results go to ``benchmarks/results/http-<backend>-<date>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.figures import fmt, percentile

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LUA_SCRIPT = Path(__file__).resolve().parent / "bench_http_submit.lua"
DEFAULT_PG_URL = os.environ.get(
    "LAWFUL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BENCH_DATABASE = "lawful_bench_http"
TEMPLATE = "ru-design-studio"
SUBMIT_PATH = "/api/v1/submissions"
TRIVIAL_PATH = "/.well-known/gpc.json"
#: backend -> (target submissions/s, server worker processes)
TARGETS = {"sqlite": (800, 1), "postgresql": (1500, 2)}
P99_TARGET_MS = 50
#: Person numbers per run: each run gets its own block, so e-mails and phones never repeat.
BLOCK = 1_000_000


# --------------------------------------------------------------------------------------------
# The server side: what uvicorn imports in each worker process


def analyse(engine: Any) -> None:
    """Give PostgreSQL's planner the statistics that autovacuum would have gathered by now.

    This machine's server runs with autovacuum off, so the fresh database's tables were never
    analysed: the plans that the servers' connections prepared during the warm-up, when the
    tables were nearly empty, stayed in their caches (a sequential scan of ``identifiers``
    for every batch's owner look-up, which then grew with the table and cost PostgreSQL
    ~1 ms of CPU per submission). ANALYZE makes them plan again, as an autoanalyze would."""
    import sqlalchemy as sa

    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))


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
        if self.target is None or self.better == "equal":
            return None
        if self.better == "lower":
            return self.target / self.value if self.value > 0 else float("inf")
        return self.value / self.target

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.better == "lower":
            return self.value < self.target
        if self.better == "equal":
            return self.value == self.target
        return self.value >= self.target

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        sign = {"lower": "<", "higher": "≥", "equal": "="}[self.better]
        return f"{sign} {self.target:,g} {self.unit}"

    def ratio_text(self) -> str:
        if self.better == "equal":
            return ""
        ratio = self.ratio
        if ratio is None:
            return "—"
        if ratio == float("inf"):
            return "∞ headroom"
        if ratio >= 1:
            return f"{ratio:.{1 if ratio >= 10 else 2}f}x headroom"
        if self.better == "lower":
            return f"{1 / ratio:.2f}x over target"
        return f"{ratio:.2f}x of target"

    def line(self) -> str:
        value = f"{fmt(self.value)} {self.unit}"
        note = f" [{self.note}]" if self.note else ""
        if self.target is None:
            return f"{self.label} {value}{note}"
        verdict = "PASS" if self.passed else "FAIL"
        ratio = self.ratio_text()
        inside = f"target {self.target_text()}" + (f", {ratio}" if ratio else "")
        return f"{self.label} {value} ({inside}) {verdict}{note}"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        ratio = self.ratio
        data.update(ratio=None if ratio == float("inf") else ratio, passed=self.passed)
        return data


@dataclass
class Report:
    backend: str
    params: dict[str, Any]
    environment: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, Any] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    profile: dict[str, Any] | None = None

    def add(self, metric: Metric) -> Metric:
        self.metrics.append(metric)
        print(f"  {metric.line()}", flush=True)
        return metric


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", flush=True)


# --------------------------------------------------------------------------------------------
# CPU accounting from /proc (server process tree and the whole machine)


def _descendants(pid: int) -> list[int]:
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
            for child in map(int, children):
                found.append(child)
                frontier.append(child)
    return found


def process_cpu_seconds(pids: Sequence[int]) -> float:
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for p in (d for pid in pids for d in _descendants(pid)):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def children_cpu_seconds() -> float:
    """CPU of this process's finished children (wrk runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies since boot, over all cores."""
    values = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:]))
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def database_backends() -> list[int]:
    """PostgreSQL's backend processes serving the benchmark's database (process titles)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            title = (entry / "cmdline").read_bytes()
            if title.startswith(b"postgres: ") and f" {BENCH_DATABASE} ".encode() in title:
                found.append(int(entry.name))
    return found


def _own_cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """CPU seconds of each process alone (no descendants)."""
    ticks, found = os.sysconf("SC_CLK_TCK"), {}
    for p in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            found[p] = (int(fields[11]) + int(fields[12])) / ticks
    return found


@contextlib.contextmanager
def cpu_meter(server_pids: Sequence[int]) -> Iterator[dict[str, float]]:
    """Yields a dict filled on exit: server, PostgreSQL backend and load-generator CPU
    (cores), machine busy %. Backends that open during the run count from zero."""
    result: dict[str, float] = {}
    start, server0 = time.perf_counter(), process_cpu_seconds(server_pids)
    backends0 = _own_cpu_seconds(database_backends())
    self0, children0 = time.process_time(), children_cpu_seconds()
    busy0, _ = machine_cpu()
    yield result
    wall = time.perf_counter() - start
    busy1, _ = machine_cpu()
    server = (process_cpu_seconds(server_pids) - server0) / wall
    backends1 = _own_cpu_seconds(database_backends())
    database = sum(v - backends0.get(p, 0.0) for p, v in backends1.items()) / wall
    generator = (time.process_time() - self0 + children_cpu_seconds() - children0) / wall
    machine = (busy1 - busy0) / os.sysconf("SC_CLK_TCK") / wall
    result["server_cores"] = round(server, 2)
    result["database_cores"] = round(database, 2)
    result["generator_cores"] = round(generator, 2)
    result["machine_busy_cores"] = round(machine, 2)
    # PostgreSQL's own background processes, the kernel's share of loopback, other jobs
    result["other_cores"] = round(max(0.0, machine - server - database - generator), 2)
    result["wall_seconds"] = round(wall, 3)


def cpu_per_submission(cpu: dict[str, float], submissions: int) -> dict[str, float]:
    """Milliseconds of CPU per submission, per kind of process."""
    wall = cpu["wall_seconds"]
    kinds = ("server", "database", "generator", "other")
    per = {k: 1000 * cpu[f"{k}_cores"] * wall / max(1, submissions) for k in kinds}
    return {k: round(v, 3) for k, v in per.items()}


def per_submission_text(per: dict[str, float]) -> str:
    return (
        f"CPU ms per submission: server {per['server']:.2f}, PostgreSQL backends "
        f"{per['database']:.2f}, generator {per['generator']:.2f}, other {per['other']:.2f}"
    )


# --------------------------------------------------------------------------------------------
# Data dir, database and server process


@dataclass
class Site:
    backend: str
    directory: Path
    database_url: str
    env: dict[str, str]
    consent_version: int = 0
    consent_hash: str = ""


@contextlib.contextmanager
def site(backend: str, pg_url: str) -> Iterator[Site]:
    """A data dir with the template and a key, a database, published documents."""
    import sqlalchemy as sa

    from lawful.config.init import write_starter_config
    from lawful.crypto.keyfile import generate_master_key_file
    from lawful.store.db import create_engine_for

    with tempfile.TemporaryDirectory(prefix="lawful-bench-http-", dir="/tmp") as tmp:  # noqa: S108
        directory = Path(tmp)
        config = write_starter_config(directory / "lawful.yaml", TEMPLATE)
        generate_master_key_file(directory / "master.key")
        admin = None
        if backend == "sqlite":
            url = f"sqlite:///{directory / 'lawful.db'}"
        else:
            admin = create_engine_for(pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
                conn.execute(sa.text(f"CREATE DATABASE {BENCH_DATABASE}"))
            url = str(sa.make_url(pg_url).set(database=BENCH_DATABASE).render_as_string(False))
        env = {
            **os.environ,
            "LAWFUL_DATA_DIR": str(directory),
            "LAWFUL_CONFIG": str(config),
            "LAWFUL_DATABASE_URL": url,
            "LAWFUL_MASTER_KEY_FILE": str(directory / "master.key"),
        }
        env.pop("LAWFUL_MASTER_KEY", None)
        try:
            yield Site(backend, directory, url, env)
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
                admin.dispose()


def open_site(s: Site) -> Any:
    """Open lawful over the site in this process (migrates) and publish the documents."""
    from lawful.context import open_lawful
    from lawful.documents import flows
    from lawful.settings import Settings

    lawful = open_lawful(Settings.from_env(s.env))
    flows.publish_and_flag(lawful, actor="bench")
    return lawful


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Servers:
    """One uvicorn process per port (``--workers 1`` each: uvicorn's ``--workers N`` hands its
    workers a listening socket on which asyncio never sets TCP_NODELAY, so every keep-alive
    answer waits ~40 ms for a delayed ACK; Kludex/uvicorn#3149)."""

    ports: list[int]
    pids: list[int]


@contextlib.contextmanager
def server(s: Site, workers: int) -> Iterator[Servers]:
    ports = [free_port() for _ in range(workers)]
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for k, port in enumerate(ports):
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "lawful.web.app:app_from_env",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ]
            log_path = s.directory / f"server-{k}.log"
            logs.append(log_path)
            with open(log_path, "wb") as log:
                processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=s.env, stdout=log, stderr=log)  # noqa: S603
                )
        for port, process, log_path in zip(ports, processes, logs, strict=True):
            wait_ready(port, process, log_path)
        yield Servers(ports, [p.pid for p in processes])
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        kept = Path(tempfile.gettempdir()) / f"lawful-bench-http-{s.backend}-server.log"
        kept.write_bytes(b"".join(p.read_bytes() for p in logs if p.exists()))
        say(f"server log: {kept}")


def wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}{TRIVIAL_PATH}", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit("the server did not answer within 60 s")


def fetch_consent(s: Site, port: int) -> None:
    import httpx

    url = f"http://127.0.0.1:{port}/api/v1/documents/consent-newsletters/ru/current"
    current = httpx.get(url, timeout=10).json()
    s.consent_version, s.consent_hash = int(current["version"]), str(current["content_hash"])


def subject_ids(lawful: Any) -> set[str]:
    import sqlalchemy as sa

    from lawful.subjects.models import Subject

    with lawful.sessions() as session:
        return set(session.scalars(sa.select(Subject.id)))


def settled_subject_ids(lawful: Any) -> set[str]:
    """Subject ids once the server has finished what was in flight (stable for 1 s)."""
    last: set[str] | None = None
    for _ in range(30):
        ids = subject_ids(lawful)
        if last is not None and len(ids) == len(last):
            return ids
        last = ids
        time.sleep(1)
    return last or set()


# --------------------------------------------------------------------------------------------
# wrk: ceilings and maximum throughput


def run_wrk(
    *,
    ports: Sequence[int],
    mode: str,
    seconds: float,
    connections: int,
    threads: int,
    consent: tuple[int, str],
    base: int,
    directory: Path,
) -> dict[str, Any]:
    """One wrk per server port, started together, ``connections`` split between them; the
    answers are summed (latency percentiles: the worst of the per-port ones)."""
    share = BLOCK // len(ports)
    runs = []
    cpu0 = children_cpu_seconds()
    for k, port in enumerate(ports):
        out = directory / f"wrk-{mode}-{base}-{k}.json"
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{max(threads, connections // len(ports))}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA_SCRIPT),
            f"http://127.0.0.1:{port}",
            "--",
            mode,
            str(consent[0]),
            consent[1],
            str(base + k * share),
            str(share // threads),
            str(out),
        ]
        process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        runs.append((command, out, process))
    results = []
    for command, out, process in runs:
        stdout = process.communicate()[0]
        if process.returncode != 0 or not out.exists():
            raise SystemExit(f"wrk failed: {stdout}")
        result = json.loads(out.read_text(encoding="utf-8"))
        result["command"] = " ".join(command)
        # wrk calls request() once more on its first thread to check the script's request
        result["abandoned"] = result["sent"] - result["answered"] - 1
        results.append(result)
    merged: dict[str, Any] = {
        "command": " & ".join(r["command"] for r in results),
        "duration_us": max(r["duration_us"] for r in results),
        "wrk_cpu_s": children_cpu_seconds() - cpu0,
        "statuses": {},
        "errors": {},
        "refs": [ref for r in results for ref in r["refs"]],
        "latency_us": {
            key: max(r["latency_us"][key] for r in results) for key in results[0]["latency_us"]
        },
    }
    for key in ("requests", "bytes", "sent", "answered", "abandoned"):
        merged[key] = sum(r[key] for r in results)
    for r in results:
        for key, value in r["statuses"].items():
            merged["statuses"][key] = merged["statuses"].get(key, 0) + value
        for key, value in r["errors"].items():
            merged["errors"][key] = merged["errors"].get(key, 0) + value
    merged["rate"] = merged["requests"] / (merged["duration_us"] / 1e6)
    return merged


# --------------------------------------------------------------------------------------------
# Open-loop generator (asyncio, raw HTTP/1.1 keep-alive): fixed rate, latency from due time


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


class Bodies:
    """Request bytes for person ``n``: the same form as the wrk script."""

    def __init__(self, port: int, consent: tuple[int, str]) -> None:
        self.port, self.consent = port, consent

    def submission(self, n: int) -> bytes:
        digits = f"{n % 10_000_000:07d}"
        body = {
            "form_id": "order-form",
            "language": "ru",
            "page_url": "https://liniya-i-tsvet.example/order",
            "fields": {
                "user.name": "Марина Соколова",
                "user.contact.email": f"bench.{n}@example.ru",
                "user.contact.phone_number": f"+7 916 {digits[:3]}-{digits[3:5]}-{digits[5:]}",
                "user.content.private": "Нужен логотип для кофейни",
            },
            "purposes": ["order_details", "newsletters"],
            "consents": {
                "newsletters": {
                    "given": True,
                    "document_version": self.consent[0],
                    "content_hash": self.consent[1],
                }
            },
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return (
            f"POST {SUBMIT_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            f"Idempotency-Key: bench-{n}\r\nUser-Agent: lawful-bench-http/python\r\n\r\n"
        ).encode() + payload

    def trivial(self, n: int) -> bytes:
        self.submission(n)  # the same generation cost as a real request
        return f"GET {TRIVIAL_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode()


@dataclass
class OpenLoopResult:
    scheduled: int
    shed: int
    latencies_ms: list[float]
    send_lag_ms: list[float]
    statuses: collections.Counter[int]
    refs: list[str]
    failures: int
    seconds: float
    connections_opened: int


async def open_loop(
    *,
    port: int,
    rate: float,
    seconds: float,
    bodies: Bodies,
    base: int,
    trivial: bool = False,
    max_connections: int = 256,
    give_up_seconds: float = 10,
    drain_seconds: float = 120,
) -> OpenLoopResult:
    """Send ``rate``·``seconds`` requests on a fixed schedule whatever the answers do; each
    latency runs from the request's due time to the end of its answer.

    A request that finds no free connection among ``max_connections`` within
    ``give_up_seconds`` of its due time is not sent ("shed": the server is saturated); it
    counts in the percentiles as ``give_up_seconds``, a lower bound, and as a failure."""
    idle: list[Connection] = []
    opened = 0
    waiters: collections.deque[asyncio.Future[Connection]] = collections.deque()
    statuses: collections.Counter[int] = collections.Counter()
    latencies, lags, refs = [], [], []
    failures = 0
    loop = asyncio.get_running_loop()

    shed = 0

    async def acquire(due: float) -> Connection | None:
        nonlocal opened
        if idle:
            return idle.pop()
        if opened < max_connections:
            opened += 1
            return await Connection.open(port)
        future: asyncio.Future[Connection] = loop.create_future()
        waiters.append(future)
        try:
            return await asyncio.wait_for(future, due + give_up_seconds - time.perf_counter())
        except TimeoutError:
            return None

    def release(conn: Connection) -> None:
        while waiters:
            future = waiters.popleft()
            if not future.done():
                future.set_result(conn)
                return
        idle.append(conn)

    async def one(n: int, due: float) -> None:
        nonlocal failures, opened, shed
        request = bodies.trivial(n) if trivial else bodies.submission(n)
        conn = await acquire(due)
        if conn is None:
            shed += 1
            latencies.append(give_up_seconds * 1000)
            return
        lags.append((time.perf_counter() - due) * 1000)
        try:
            status, body = await conn.exchange(request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            # The server closes keep-alive connections idle for 5 s; retry once on a new
            # connection, which the Idempotency-Key makes safe even if the first one acted.
            conn.close()
            try:
                conn = await Connection.open(port)
                status, body = await conn.exchange(request)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                failures += 1
                conn.close()
                opened -= 1
                return
        latencies.append((time.perf_counter() - due) * 1000)
        statuses[status] += 1
        if status == 201:
            refs.append(json.loads(body)["subject_ref"])
        release(conn)

    total = int(rate * seconds)
    tasks = []
    start = time.perf_counter()
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(base + i, due)))
    done, pending = await asyncio.wait(tasks, timeout=drain_seconds)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.close()
    return OpenLoopResult(
        total,
        shed,
        latencies,
        lags,
        statuses,
        refs,
        failures + len(pending),
        elapsed,
        opened,
    )


async def open_loop_split(
    *, bodies: Sequence[Bodies], rate: float, seconds: float, base: int, drain_seconds: float
) -> OpenLoopResult:
    """``open_loop`` on each server port at ``rate``/ports, together, results merged."""
    share = BLOCK // len(bodies)
    parts = await asyncio.gather(
        *(
            open_loop(
                port=b.port,
                rate=rate / len(bodies),
                seconds=seconds,
                bodies=b,
                base=base + k * share,
                max_connections=256 // len(bodies),
                drain_seconds=drain_seconds,
            )
            for k, b in enumerate(bodies)
        )
    )
    statuses: collections.Counter[int] = collections.Counter()
    for part in parts:
        statuses.update(part.statuses)
    return OpenLoopResult(
        sum(p.scheduled for p in parts),
        sum(p.shed for p in parts),
        [x for p in parts for x in p.latencies_ms],
        [x for p in parts for x in p.send_lag_ms],
        statuses,
        [x for p in parts for x in p.refs],
        sum(p.failures for p in parts),
        max(p.seconds for p in parts),
        sum(p.connections_opened for p in parts),
    )


async def closed_loop(
    *, seconds: float, connections: int, bodies: Sequence[Bodies], base: int
) -> tuple[int, float]:
    """The Python generator's own ceiling: ``connections`` loops of trivial requests."""
    count = 0
    stop = time.perf_counter() + seconds

    async def loop_one(k: int) -> None:
        nonlocal count
        maker = bodies[k % len(bodies)]
        conn = await Connection.open(maker.port)
        n = base + k * 100_000
        while time.perf_counter() < stop:
            await conn.exchange(maker.trivial(n))
            count += 1
            n += 1
        conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(loop_one(k) for k in range(connections)))
    return count, time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# Profiling: py-spy on the server during an unmeasured wrk run


def profile_server(
    args: argparse.Namespace, s: Site, servers: Servers, base: int
) -> dict[str, Any]:
    """``py-spy record`` on every server process while wrk runs; folded stacks concatenated."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    spies = []
    for pid in servers.pids:
        raw = s.directory / f"profile-{pid}.txt"
        command = [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(args.profile),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            str(raw),
        ]
        if args.profile_gil:
            command.append("--gil")
        spy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
        spies.append((command, raw, spy))
    time.sleep(0.5)
    run_wrk(
        ports=servers.ports,
        mode="submit",
        seconds=args.profile + 2,
        connections=args.connections,
        threads=args.wrk_threads,
        consent=(s.consent_version, s.consent_hash),
        base=base,
        directory=s.directory,
    )
    folded = []
    for command, raw, spy in spies:
        output = spy.communicate(timeout=60)[0].decode(errors="replace")
        if not raw.exists():
            return {"error": output[-2000:], "command": " ".join(command)}
        folded.append(raw.read_text(encoding="utf-8"))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    kept = RESULTS_DIR / f"http-profile-{s.backend}.folded"
    kept.write_text("".join(folded), encoding="utf-8")
    command_text = " ".join(spies[0][0]) + (" (one per server process)" if len(spies) > 1 else "")
    return summarise_folded("".join(folded), command_text, kept)


def summarise_folded(text: str, command: str, kept: Path, top: int = 25) -> dict[str, Any]:
    """Own time (leaf frame) and inclusive time (anywhere in the stack) per function."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [
            f
            for f in stack.split(";")
            if not f.startswith(("process ", "thread ")) and not f.startswith("<module>")
        ]
        if not frames:
            continue
        total += count
        own[_short(frames[-1])] += count
        for name in {_short(f) for f in frames}:
            inclusive[name] += count

    def rows(counter: collections.Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "samples": n, "share_pct": round(100 * n / max(1, total), 1)}
            for name, n in counter.most_common(top)
        ]

    return {
        "command": command,
        "samples": total,
        "folded_stacks": str(kept.relative_to(ROOT)),
        "own": rows(own),
        "inclusive": rows(inclusive),
    }


def _short(frame: str) -> str:
    """'func (path/to/file.py:123)' -> 'func (file path from site-packages or src)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


# --------------------------------------------------------------------------------------------
# One backend


def check_run(
    report: Report, name: str, before: set[str], after: set[str], refs: Sequence[str], extra: int
) -> dict[str, Any]:
    """Every acknowledged subject exists; created = acknowledged + abandoned in flight."""
    created = after - before
    acknowledged = set(refs)
    missing = acknowledged - after
    check = {
        "created": len(created),
        "acknowledged_201": len(refs),
        "distinct_refs": len(acknowledged),
        "abandoned_in_flight": extra,
        "acknowledged_missing": len(missing),
        # wrk's abandoned requests may or may not have been processed (a server that sees
        # the disconnect before reading the body does nothing): 0 <= extra <= abandoned.
        "unexplained": max(0, len(created - acknowledged) - extra) + len(acknowledged - created),
    }
    report.runs.setdefault(name, {})["check"] = check
    return check


def run_backend(args: argparse.Namespace) -> Report:
    import lawful
    from lawful import audit

    backend = args.backend
    target, default_workers = TARGETS[backend]
    workers = args.workers or default_workers
    rate = args.rate or target / 2
    report = Report(
        backend,
        params={
            "duration_s": args.duration,
            "connections": args.connections,
            "wrk_threads": args.wrk_threads,
            "workers": workers,
            "fixed_rate": rate,
            "template": TEMPLATE,
        },
    )
    report.environment = environment(lawful.__version__)
    say(f"{backend}: preparing a data dir and database, publishing the documents")
    with site(backend, args.pg_url) as s:
        lawful_ = open_site(s)
        try:
            with server(s, workers) as servers:
                fetch_consent(s, servers.ports[0])
                consent = (s.consent_version, s.consent_hash)
                report.environment["server"] = server_description(servers)
                say(f"{report.environment['server']}; consent {consent}")
                measure(args, report, s, lawful_, servers, rate, target)
            measure_direct(args, report, lawful_, (s.consent_version, s.consent_hash))
            say("audit.verify over the whole journal")
            start = time.perf_counter()
            verified = audit.verify(lawful_.engine)
            seconds = time.perf_counter() - start
            report.runs["audit"] = {
                "ok": verified.ok,
                "events": verified.events,
                "seconds": round(seconds, 2),
            }
            report.add(
                Metric(
                    "audit_verify_ok",
                    "audit.verify ok",
                    1.0 if verified.ok else 0.0,
                    "",
                    1,
                    "equal",
                    note=f"{verified.events:,} events in {seconds:.1f} s",
                )
            )
        finally:
            lawful_.close()
    return report


def measure(
    args: argparse.Namespace,
    report: Report,
    s: Site,
    lawful_: Any,
    servers: Servers,
    rate: float,
    target: int,
) -> None:
    consent = (s.consent_version, s.consent_hash)
    bodies = [Bodies(port, consent) for port in servers.ports]
    pids, workers = servers.pids, len(servers.pids)
    wrk_args = {
        "ports": servers.ports,
        "connections": args.connections,
        "threads": args.wrk_threads,
        "consent": consent,
        "directory": s.directory,
    }
    measure_ceilings(report, pids, wrk_args, bodies, target, rate)

    say("warm-up: 3 s of submissions (wrk)")
    before = subject_ids(lawful_)
    warm = run_wrk(mode="submit", seconds=3, base=1 * BLOCK, **wrk_args)
    after = settled_subject_ids(lawful_)
    check_run(report, "warmup", before, after, warm["refs"], warm["abandoned"])
    report.runs["warmup"].update(_wrk_summary(warm, {}))
    analyse(lawful_.engine)

    say(f"phase 1: maximum throughput, wrk, {args.connections} connections, {args.duration} s")
    before = after
    with cpu_meter(pids) as cpu:
        phase1 = run_wrk(mode="submit", seconds=args.duration, base=2 * BLOCK, **wrk_args)
    after = settled_subject_ids(lawful_)
    check1 = check_run(report, "phase1", before, after, phase1["refs"], phase1["abandoned"])
    report.runs["phase1"].update(_wrk_summary(phase1, cpu))
    maximum = phase1["statuses"].get("201", 0) / (phase1["duration_us"] / 1e6)
    lat = phase1["latency_us"]
    report.add(
        Metric(
            "max_submissions_per_s",
            f"phase 1: submissions/s (201s), {workers} server process(es)",
            maximum,
            "/s",
            target,
            "higher",
            note=f"wrk p50 {lat['50'] / 1000:.1f} ms, p99 {lat['99'] / 1000:.1f} ms at "
            f"{args.connections} connections; {cpu_text(cpu)}",
        )
    )
    _add_cpu_per_submission(report, "phase1", "phase 1", cpu, phase1["statuses"].get("201", 0))
    errors = phase1["errors"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    report.add(
        Metric(
            "phase1_errors",
            "phase 1: non-201 answers + socket errors",
            phase1["answered"] - phase1["statuses"].get("201", 0) + socket_errors,
            "",
            0,
            "equal",
            note=f"statuses {phase1['statuses']}, socket errors {socket_errors}",
        )
    )
    _add_checks(report, "phase1", check1)

    after = measure_fixed_rate(args, report, "phase2", pids, lawful_, bodies, after, rate, 3)
    if maximum < 2 * rate:
        # The target's half-load is beyond what this server sustains: also show the latency at
        # half of what it did sustain, so the figure says something about the service time.
        half = max(1.0, round(maximum / 2))
        after = measure_fixed_rate(args, report, "phase2b", pids, lawful_, bodies, after, half, 5)

    if args.profile:
        say(f"profile: py-spy record on the server for {args.profile} s under wrk (unmeasured)")
        report.profile = {"py_spy": profile_server(args, s, servers, 6 * BLOCK)}


def measure_ceilings(
    report: Report,
    pids: list[int],
    wrk_args: dict[str, Any],
    bodies: list[Bodies],
    target: int,
    rate: float,
) -> None:
    """What the load generators cost per request, against a constant answer. Their capacity
    is requests per CPU-second of the generator itself (the server may well be slower)."""
    say("ceilings: the load generators against GET /.well-known/gpc.json")
    with cpu_meter(pids) as cpu:
        trivial = run_wrk(mode="trivial", seconds=5, base=0, **wrk_args)
    report.runs["ceiling_wrk"] = _wrk_summary(trivial, cpu)
    capacity = trivial["requests"] / max(trivial["wrk_cpu_s"], 1e-3)
    report.add(
        Metric(
            "ceiling_wrk_per_core",
            "ceiling: wrk + Lua bodies, requests per wrk CPU-second",
            capacity,
            "req/s",
            2 * target,
            "higher",
            note=f"≥ 2× the target: phase 1 measures the server, not wrk; "
            f"{trivial['requests']:,} requests in {trivial['wrk_cpu_s']:.2f} CPU-s",
        )
    )
    report.add(
        Metric(
            "server_trivial_per_s",
            "server: GET /.well-known/gpc.json (constant answer), req/s",
            trivial["rate"],
            "req/s",
            note=f"the HTTP stack alone; {cpu_text(cpu)}",
        )
    )
    cpu0 = time.process_time()
    count, seconds = asyncio.run(closed_loop(seconds=5, connections=32, bodies=bodies, base=0))
    used = time.process_time() - cpu0
    report.runs["ceiling_python"] = {
        "requests": count,
        "seconds": round(seconds, 2),
        "cpu_s": round(used, 2),
        "connections": 32,
    }
    report.add(
        Metric(
            "ceiling_python_per_core",
            "ceiling: Python open-loop generator, requests per its CPU-second",
            count / max(used, 1e-3),
            "req/s",
            2 * rate,
            "higher",
            note=f"≥ 2× the phase-2 rate; {count:,} requests ({count / seconds:.0f}/s) "
            f"in {used:.2f} CPU-s",
        )
    )


def measure_fixed_rate(
    args: argparse.Namespace,
    report: Report,
    name: str,
    pids: list[int],
    lawful_: Any,
    bodies: list[Bodies],
    before: set[str],
    rate: float,
    block: int,
) -> set[str]:
    say(f"{name}: fixed rate {rate:g}/s for {args.duration} s, open loop")
    with cpu_meter(pids) as cpu:
        result = asyncio.run(
            open_loop_split(
                bodies=bodies,
                rate=rate,
                seconds=args.duration,
                base=block * BLOCK,
                drain_seconds=args.drain,
            )
        )
    after = settled_subject_ids(lawful_)
    check = check_run(report, name, before, after, result.refs, 0)
    lat = result.latencies_ms
    report.runs[name].update(
        {
            "rate": rate,
            "scheduled": result.scheduled,
            "answered": len(lat),
            "statuses": {str(k): v for k, v in result.statuses.items()},
            "failures_or_unanswered": result.failures,
            "shed_not_sent": result.shed,
            "seconds": round(result.seconds, 2),
            "connections_opened": result.connections_opened,
            "latency_ms": {
                str(q): round(percentile(lat, q), 2) for q in (50, 90, 95, 99, 99.9, 100)
            },
            "send_lag_ms": {
                str(q): round(percentile(result.send_lag_ms, q), 2) for q in (50, 99, 100)
            },
            "cpu": cpu,
        }
    )
    label = "phase 2" if name == "phase2" else "phase 2b (half the measured maximum)"
    report.add(
        Metric(
            f"{name}_rate",
            f"{label}: submissions/s achieved (201s)",
            result.statuses.get(201, 0) / result.seconds,
            "/s",
            note=f"{result.scheduled:,} scheduled at {rate:g}/s, {result.seconds:.1f} s "
            f"until the last answer; {result.connections_opened} connections; {cpu_text(cpu)}",
        )
    )
    _add_cpu_per_submission(report, name, label, cpu, result.statuses.get(201, 0))
    for q in (50, 95):
        report.add(Metric(f"{name}_p{q}_ms", f"{label}: latency p{q}", percentile(lat, q), "ms"))
    report.add(
        Metric(
            f"{name}_p99_ms",
            f"{label}: latency p99 at {rate:g}/s",
            percentile(lat, 99),
            "ms",
            P99_TARGET_MS if name == "phase2" else None,
            "lower",
            note=f"max {fmt(max(lat, default=0))} ms; generator send lag p99 "
            f"{percentile(result.send_lag_ms, 99):.2f} ms (waiting for a free connection "
            "counts: latency runs from the due time)",
        )
    )
    non201 = sum(n for status, n in result.statuses.items() if status != 201)
    report.add(
        Metric(
            f"{name}_errors",
            f"{label}: non-201 answers + failures + shed",
            non201 + result.failures + result.shed,
            "",
            0,
            "equal",
            note=f"statuses {dict(result.statuses)}, failures/unanswered {result.failures}, "
            f"shed (no free connection within 10 s, never sent) {result.shed}",
        )
    )
    _add_checks(report, name, check)
    return after


def measure_direct(
    args: argparse.Namespace, report: Report, lawful_: Any, consent: tuple[int, str]
) -> None:
    """The route's work without HTTP: ``collection.prepare`` and a batch of one through
    ``writer.write_batch`` (its own transaction and commit, as a lone request gets), one
    thread, in this process, the server stopped. Its CPU per call bounds what one server
    process can do without group commit; with ``--profile``, cProfile's cumulative share per
    lawful function."""
    import cProfile
    import pstats

    from lawful.collection import idempotency
    from lawful.collection import service as collection
    from lawful.collection.schemas import Submission
    from lawful.collection.writer import write_batch
    from lawful.consent.service import Evidence

    policy = lawful_.require_policy()
    bodies = Bodies(0, consent)

    def one(n: int) -> None:
        raw = bodies.submission(n)
        submission = Submission.model_validate_json(raw[raw.index(b"\r\n\r\n") + 4 :])
        evidence = Evidence(
            ip="127.0.0.1", user_agent="bench", form_id=submission.form_id, page_url=None
        )
        context = collection.Context(evidence=evidence, gpc=False, now=datetime.now(UTC))
        plan = collection.prepare(
            ring=lawful_.ring, policy=policy, submission=submission, context=context
        )
        keyed = idempotency.Keyed(f"bench-{n}", submission.model_dump_json().encode())
        write_batch(
            sessions=lawful_.sessions, ring=lawful_.ring, policy=policy, plans=[(plan, keyed)]
        )

    calls, base = args.direct, 7 * BLOCK
    say(f"in-process: {calls} direct submit calls (no HTTP), one thread")
    for n in range(20):
        one(base + n)
    samples = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for n in range(100, 100 + calls):
        start = time.perf_counter()
        one(base + n)
        samples.append((time.perf_counter() - start) * 1000)
    cpu_ms = (time.process_time() - cpu0) / calls * 1000
    wall_ms = (time.perf_counter() - wall0) / calls * 1000
    report.runs["direct"] = {
        "calls": calls,
        "cpu_ms_per_call": round(cpu_ms, 3),
        "wall_ms_per_call": round(wall_ms, 3),
        "p50_ms": round(percentile(samples, 50), 3),
        "p99_ms": round(percentile(samples, 99), 3),
    }
    report.add(
        Metric(
            "direct_cpu_ms",
            "in-process submit (prepare + write_batch of one, no HTTP): CPU per call",
            cpu_ms,
            "ms",
            note=f"≈ {1000 / cpu_ms:.0f}/s per fully used core; wall p50 "
            f"{percentile(samples, 50):.2f} ms, p99 {percentile(samples, 99):.2f} ms",
        )
    )
    if not args.profile:
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(BLOCK // 2, BLOCK // 2 + calls):
        one(base + n)
    profiler.disable()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(RESULTS_DIR / f"http-direct-{report.backend}.pstats"))
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(v[3] for k, v in stats.items() if k[2] == "one")
    rows = sorted(
        ((v[3], v[1], k) for k, v in stats.items() if "/lawful/" in k[0]),
        reverse=True,
    )
    report.profile = report.profile or {}
    report.profile["direct"] = [
        {
            "function": f"{k[2]} ({k[0].split('src/')[-1]}:{k[1]})",
            "calls_per_submission": round(calls_n / calls, 1),
            "cumulative_pct": round(100 * cum / total, 1),
        }
        for cum, calls_n, k in rows[:30]
    ]


def cpu_text(cpu: dict[str, float]) -> str:
    return (
        f"CPU cores: server {cpu['server_cores']}, PostgreSQL backends "
        f"{cpu['database_cores']}, generator {cpu['generator_cores']}, "
        f"other {cpu['other_cores']} (kernel, other jobs), "
        f"machine {cpu['machine_busy_cores']} of {os.cpu_count()}"
    )


def _add_cpu_per_submission(
    report: Report, name: str, label: str, cpu: dict[str, float], submissions: int
) -> None:
    per = cpu_per_submission(cpu, submissions)
    report.runs[name]["cpu_ms_per_submission"] = per
    report.add(
        Metric(
            f"{name}_cpu_ms",
            f"{label}: CPU per submission, server + PostgreSQL backends + generator",
            per["server"] + per["database"] + per["generator"],
            "ms",
            note=per_submission_text(per),
        )
    )


def _add_checks(report: Report, name: str, check: dict[str, Any]) -> None:
    report.add(
        Metric(
            f"{name}_acknowledged_lost",
            f"{name}: acknowledged (201) but not stored",
            check["acknowledged_missing"] + check["acknowledged_201"] - check["distinct_refs"],
            "",
            0,
            "equal",
        )
    )
    report.add(
        Metric(
            f"{name}_created_minus_acknowledged",
            f"{name}: subjects created beyond the 201s and wrk's abandoned requests",
            check["unexplained"],
            "",
            0,
            "equal",
            note=f"created {check['created']:,}, 201 {check['acknowledged_201']:,}, "
            f"abandoned by wrk at the end {check['abandoned_in_flight']}",
        )
    )


def _wrk_summary(result: dict[str, Any], cpu: dict[str, float]) -> dict[str, Any]:
    keep = ("command", "requests", "sent", "answered", "statuses", "errors", "latency_us", "rate")
    summary = {k: result[k] for k in keep}
    summary["seconds"] = round(result["duration_us"] / 1e6, 2)
    if cpu:
        summary["cpu"] = cpu
    return summary


def environment(version: str) -> dict[str, Any]:
    import uvicorn

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    wrk_version = subprocess.run(
        ["wrk", "-v"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()[:1]
    http = "httptools" if _importable("httptools") else "h11"
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    return {
        "lawful": version,
        "lawful_commit": commit,
        "python": platform.python_version(),
        "uvicorn": f"{uvicorn.__version__} (http={http}, loop={loop})",
        "wrk": wrk_version[0] if wrk_version else None,
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
    }


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def server_description(servers: Servers) -> str:
    where = ", ".join(
        f":{port} pid {pid}" for port, pid in zip(servers.ports, servers.pids, strict=True)
    )
    return f"{len(servers.pids)} uvicorn process(es), --workers 1 each ({where})"


# --------------------------------------------------------------------------------------------
# Output


def render(report: Report) -> None:
    p, e = report.params, report.environment
    print(
        f"\nlawful HTTP benchmark — {report.backend}: {e.get('server')}, uvicorn {e['uvicorn']}, "
        f"{e['cpus']} CPUs, lawful {e['lawful_commit']}; {p['duration_s']} s per phase, "
        f"{p['connections']} wrk connections",
        flush=True,
    )
    for m in report.metrics:
        print(m.line(), flush=True)
    prof = (report.profile or {}).get("py_spy")
    if prof and "own" in prof:
        print(f"\npy-spy on the server ({prof['samples']:,} samples): {prof['command']}")
        for title, rows in (("own time", prof["own"]), ("inclusive", prof["inclusive"])):
            print(f"  top functions by {title} (share of samples):")
            for row in rows:
                print(f"    {row['share_pct']:5.1f} %  {row['function']}")
        print(f"  folded stacks: {prof['folded_stacks']}", flush=True)
    elif prof:
        print(f"\npy-spy failed: {prof}", flush=True)
    direct = (report.profile or {}).get("direct")
    if direct:
        print("\ncProfile of in-process submit: lawful functions, share of a submission")
        for row in direct:
            print(
                f"    {row['cumulative_pct']:5.1f} %  {row['calls_per_submission']:4.1f}/call  "
                f"{row['function']}"
            )


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "http",
        "backend": report.backend,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python -m benchmarks.bench_http", *sys.argv[1:]]),
        "params": report.params,
        "environment": report.environment,
        "runs": report.runs,
        "metrics": [m.as_json() for m in report.metrics],
        "profile": report.profile,
        "all_targets_met": all(m.passed is not False for m in report.metrics),
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_http", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--duration", type=float, default=20, help="seconds per phase")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections, phase 1")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, help="server processes (default 1 SQLite, 2 PostgreSQL)"
    )
    parser.add_argument("--rate", type=float, help="phase-2 rate (default: half the target)")
    parser.add_argument("--direct", type=int, default=300, help="in-process submit calls (no HTTP)")
    parser.add_argument(
        "--drain", type=float, default=120, help="seconds to wait for open-loop answers"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server to create the DB on")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="SECONDS", help="py-spy the server afterwards"
    )
    parser.add_argument(
        "--profile-gil", action="store_true", help="py-spy --gil: only samples holding the GIL"
    )
    parser.add_argument("--json-out", type=Path, help="results file (default benchmarks/results)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    met = True
    for backend in backends:
        args.backend = backend
        report = run_backend(args)
        render(report)
        path = (
            args.json_out
            if args.json_out and len(backends) == 1
            else RESULTS_DIR / f"http-{backend}-{datetime.now(UTC):%Y-%m-%d}.json"
        )
        write_json(report, path)
        print(f"results: {path}\n", flush=True)
        met = met and all(m.passed is not False for m in report.metrics)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
