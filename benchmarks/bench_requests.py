"""Data-subject request benchmark: HTTP lifecycles, bulk erasure, access reports.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_requests                       # 150,000 subjects, SQLite
    .venv/bin/python -m benchmarks.bench_requests --subjects 1000000 --backend postgresql
    .venv/bin/python -m benchmarks.bench_requests --quick               # 12,000 subjects
    .venv/bin/python -m benchmarks.bench_requests --subjects 5000 --erase 0 --reports 0 \
        --profile 20                                # lifecycles only, py-spy on the server

It seeds ``--subjects`` synthetic people (5 values each, through ``record_bulk``) into a fresh
database under the ru-design-studio policy, then measures, in this order:

* **access report, in process** — ``export_subject`` + the report (Markdown, HTML, JSON, CSV)
  for random subjects, one transaction each; and the same with the PDF;
* **HTTP lifecycles** — uvicorn on loopback in its own process (as ``lawful serve``), a real
  local SMTP server (aiosmtpd); one keep-alive HTTP client per load thread. A lifecycle is
  submit → read the code from the delivered mail → verify → operator ``act`` → (access: read
  the link from the mail, download the ZIP once — its PDF is laid out then) → operator
  ``complete`` → the answer mail arrives. Every server process first runs each flow once,
  unmeasured (as Fides' benchmark makes a warm-up request). Then ``--samples`` access and
  erasure lifecycles one after another (p50/p95, each step's p50, and the time until the
  request was fulfilled, against Fides' 0.70 s and 0.98 s per request), then
  ``--lifecycles`` access lifecycles, as many that stop when the report is downloaded
  ("until fulfilled"), and a quarter as many erasure lifecycles from ``--clients``
  concurrent clients (throughput against Fides' 1.62 access/s and 1.07 erasures/s under 4
  clients), once on each number of server processes in ``--servers``
  (default 1, 2 and 4: with one client per process no two requests share an interpreter
  lock, as ``lawful serve`` processes behind a proxy). The client is ``http.client``
  (keep-alive), not httpx: a quarter of the CPU per request on a machine it shares with the
  servers. ``--pin`` puts each
  server process on a core of its own. ``--no-pdf`` leaves the PDF out; ``--profile N`` runs
  py-spy on the server for N seconds of the concurrent access phase and prints the hottest
  functions;
* **as Fides' flow** — what Fides' benchmark times (a request made through its API with the
  identity, executed at once: no verification, approval or mail) in lawful's terms: staff
  enter an access request they verified themselves, the operator acts, the person downloads
  the report from the mailed link; one client, then ``--clients`` on every server;
* **access lifecycles in process** — ``--flows`` lifecycles through ``lawful.requests.flows``
  and the operator's detail answer, as the routes call them, without HTTP, SMTP or thread
  hops: CPU time and SQL statements per step (where the server's time goes);
* **access lifecycles through the ASGI app** — ``--asgi N`` (default 0: skipped) lifecycles
  through the app in process, as the server hands requests over, with the mail kept instead
  of sent: the app's CPU per lifecycle without uvicorn, sockets or SMTP;
* **bulk erasure** — ``destruction.shred`` + one ``record_act`` for ``--erase`` subjects;

and prints each figure against its target. Fides' figures default to those of
shared/peers/fides/REPORT.md, measured on another host of this class; hosts of the class have
differed twofold in speed, so ``--fides /tmp/fidespeer/results_eager.json`` (after
``shared/peers/fides/run_all.sh`` on the same host) takes the ratios against Fides run side by
side. The machine is shared: compare runs made back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from tests.requests_support import Inbox, free_port, smtp_server

from benchmarks import bench_http
from lawful.config.init import write_starter_config
from lawful.context import Lawful, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.destruction import service as destruction
from lawful.mail import Mail
from lawful.requests import flows, report, service
from lawful.settings import Settings
from lawful.store.db import create_engine_for
from lawful.subjects import service as subjects
from lawful.web.routes import requests as request_routes


@dataclass(frozen=True)
class Fides:
    """Fides' end-to-end figures to compare with: one access and one erasure request (median
    seconds, submit to complete) and requests per second under 4 concurrent clients."""

    access_s: float
    erasure_s: float
    access_per_s: float
    erasure_per_s: float
    source: str

    @classmethod
    def from_results(cls, path: Path) -> Fides:
        """From ``shared/peers/fides/run_all.sh``'s ``results_eager.json``: Fides measured on
        the same host, the fair comparison when hosts of one class differ twofold in speed."""
        data = json.loads(path.read_text(encoding="utf-8"))
        summary, bursts = data["summary"], {b["policy"]: b for b in data["bursts"]}
        return cls(
            access_s=summary["access_wall_s"]["median"],
            erasure_s=summary["erasure_wall_s"]["median"],
            access_per_s=bursts["bench_access"]["requests_per_s"],
            erasure_per_s=bursts["bench_erasure"]["requests_per_s"],
            source=str(path),
        )


#: The figures of shared/peers/fides/REPORT.md, measured on another host of this class.
FIDES_REPORTED = Fides(0.70, 0.98, 1.62, 1.07, "shared/peers/fides/REPORT.md")
TOKEN = "bench-operator-token"  # noqa: S105 - a throwaway token for a throwaway server
CATEGORIES = (
    "user.name",
    "user.contact.email",
    "user.contact.phone_number",
    "user.content.private",
    "user.contact.address",
)


class SeedPolicy:
    """The template's purpose plus an address category, so each subject holds 5 values."""

    class Purpose:
        def uses(self, category: str) -> bool:
            return category in CATEGORIES

    def purpose(self, name: str) -> SeedPolicy.Purpose:
        return SeedPolicy.Purpose()


def email(i: int) -> str:
    return f"person.{i}@bench.example"


def seed(lawful: Lawful, count: int, batch: int = 2000) -> list[str]:
    ids: list[str] = []
    started = time.perf_counter()
    for start in range(0, count, batch):
        people = [
            subjects.NewSubject(
                identifiers={"email": email(i)},
                purpose="order_details",
                values={
                    "user.name": f"Person {i}",
                    "user.contact.email": email(i),
                    "user.contact.phone_number": f"+7916{i:07d}",
                    "user.content.private": f"Brief number {i}",
                    "user.contact.address": f"{i} Bench St",
                },
            )
            for i in range(start, min(start + batch, count))
        ]
        with lawful.sessions.begin() as session:
            ids += subjects.record_bulk(
                session=session, ring=lawful.ring, policy=SeedPolicy(), people=people, actor="bench"
            )
        if (start // batch) % 25 == 0:
            print(f"  seeded {len(ids):,} subjects ({time.perf_counter() - started:.0f} s)")
    print(
        f"seeded {count:,} subjects / {count * 5:,} values in {time.perf_counter() - started:.1f} s"
    )
    return ids


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def access_report(lawful: Lawful, subject_id: str, pdf: bool) -> None:
    with lawful.sessions.begin() as session:
        export = subjects.export_subject(
            session=session, ring=lawful.ring, subject_id=subject_id, actor="bench"
        )
        built = report.build(lawful.require_policy(), export, "en", datetime.now(UTC))
        report.package(built, "en", pdf=pdf)


def measure(fn: Callable[[], None], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def app_from_env() -> Any:
    """``uvicorn --factory`` target of the server process (see :func:`serving`)."""
    if os.environ.get("LAWFUL_BENCH_CPU"):
        # One core for the whole process: its event-loop thread and its worker threads then
        # share that core's caches instead of meeting on two.
        os.sched_setaffinity(0, {int(os.environ["LAWFUL_BENCH_CPU"])})
    if os.environ.get("LAWFUL_BENCH_NO_PDF") == "1":
        report.markdown_to_pdf = lambda markdown, title, shared=None: b""  # type: ignore[assignment]
    from lawful.web.app import app_from_env as served

    return served()


@contextmanager
def serving(
    lawful: Lawful, no_pdf: bool, count: int = 1, pin: bool = False
) -> Iterator[list[tuple[str, int]]]:
    """``count`` uvicorn processes on ports of their own (as ``lawful serve`` runs, several
    behind a proxy), so that the load generator and the SMTP server in this process do not
    share their interpreter lock. Yields each one's base URL and process id."""
    servers: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        cores = sorted(os.sched_getaffinity(0))
        for number in range(count):
            base = f"http://127.0.0.1:{free_port()}"
            core = cores[number % len(cores)] if pin else None
            servers.append((base, _start_server(lawful, no_pdf, base, core)))
        for base, _ in servers:
            _await_health(base)
        yield [(base, server.pid) for base, server in servers]
    finally:
        for _, server in servers:
            server.terminate()
        for _, server in servers:
            server.wait(timeout=30)


def _start_server(
    lawful: Lawful, no_pdf: bool, base: str, core: int | None, code: Path | None = None
) -> subprocess.Popen[bytes]:
    """A uvicorn server process; ``code``: the checkout whose lawful it runs (default: the
    installed one), as ``benchmarks.side_by_side`` compares two."""
    s = lawful.settings
    path = {} if code is None else {"PYTHONPATH": f"{code / 'src'}{os.pathsep}{code}"}
    env = {
        **os.environ,
        **path,
        "LAWFUL_DATA_DIR": str(s.data_dir),
        "LAWFUL_CONFIG": str(s.config_path),
        "LAWFUL_DATABASE_URL": s.database_url,
        "LAWFUL_MASTER_KEY_FILE": str(s.master_key_path),
        "LAWFUL_SMTP_URL": s.smtp_url or "",
        "LAWFUL_OPERATOR_TOKEN": TOKEN,
        "LAWFUL_REQUEST_RATE_LIMIT": str(10**6),
        "LAWFUL_PUBLIC_URL": base,
        "LAWFUL_BENCH_NO_PDF": "1" if no_pdf else "0",
        "LAWFUL_BENCH_CPU": "" if core is None else str(core),
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "benchmarks.bench_requests:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            base.rsplit(":", 1)[1],
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=code,
    )


def _await_health(base: str) -> None:
    for _ in range(600):
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/health", timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise TimeoutError("the server did not start")


#: Seconds per step of the lifecycles run, by kind and step (printed for the 1-client runs).
STEPS: dict[tuple[str, str], list[float]] = {}


_CLIENTS = threading.local()


class _Client:
    """A keep-alive HTTP/1.1 client on the standard library's ``http.client``.

    The load generator shares this 2-core machine with the servers under test: httpx took
    0.99 ms of CPU per request here, ``http.client`` 0.26 ms (1,000 GETs of a constant answer,
    measured with ``time.process_time``). That is ~4.4 ms per lifecycle the servers did not
    get, and, with one client, time on every lifecycle's path."""

    def __init__(self, base: str) -> None:
        self._connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)

    def call(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> bytes:
        """The answer's body; an error status raises (naming the status, not the path)."""
        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json"} if data is not None else {}
        sent.update(headers or {})
        try:
            return self._exchange(method, path, data, sent)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the kept-alive connection while it was idle (nothing was
            # processed): one new connection, as httpx and browsers do.
            self._connection.close()
            return self._exchange(method, path, data, sent)

    def _exchange(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> bytes:
        self._connection.request(method, path, body=data, headers=headers)
        answer = self._connection.getresponse()
        content = answer.read()
        if answer.status >= 400:
            raise RuntimeError(f"{method} answered {answer.status}")
        return content


def _client(base: str) -> _Client:
    """One keep-alive client per load thread and server (as a browser keeps its connection)."""
    clients: dict[str, _Client] = _CLIENTS.__dict__.setdefault("by_base", {})
    if base not in clients:
        clients[base] = _Client(base)
    return clients[base]


def lifecycle(base: str, inbox: Inbox, i: int, kind: str = "access", close: bool = True) -> float:
    """One request end to end: submit, read the code from the mail, verify, operator ``act``,
    (access: read the link from the mail, download the ZIP once), operator ``complete``, read
    the answer from the mail. Returns the seconds it took. ``close=False`` stops when the
    request is fulfilled (the report downloaded, the erasure done): the issue's "submit,
    verify, fulfil", and what Fides' figures time."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    client = _client(base)
    start = last = time.perf_counter()

    def step(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        STEPS.setdefault((kind, name), []).append(now - last)
        last = now

    answer = client.call("POST", "/api/v1/requests", {"kind": kind, "email": email(i)})
    request_id = json.loads(answer)["request_id"]
    step("submit")
    code = _find(r"\b(\d{6})\b", inbox.body(inbox.wait_for(email(i), 1)))
    step("code mail arrives")
    client.call("POST", f"/api/v1/requests/{request_id}/verify", {"code": code})
    step("verify")
    client.call("POST", f"/api/v1/operator/requests/{request_id}/act", {}, auth)
    mails = 1
    if kind == "access":
        mails += 1
        link = _find(r"(http\S+/downloads/\S+)", inbox.body(inbox.wait_for(email(i), mails)))
        step("act + link mail")
        if client.call("GET", link.removeprefix(base))[:2] != b"PK":
            raise RuntimeError("the download is not a ZIP")
        step("download")
    else:
        step("act")
    if not close:
        return time.perf_counter() - start
    client.call("POST", f"/api/v1/operator/requests/{request_id}/complete", headers=auth)
    inbox.wait_for(email(i), mails + 1)  # the answer has reached the person
    step("complete + answer mail")
    return time.perf_counter() - start


def entered(base: str, inbox: Inbox, i: int) -> float:
    """Fides' flow in lawful's terms (shared/peers/fides/REPORT.md: a request made through the
    API with the person's identity and executed at once, with no verification, approval or
    mail): staff enter an access request they verified themselves, the operator acts, the
    person downloads the report from the link mailed to them. Returns the seconds it took."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    client = _client(base)
    start = time.perf_counter()
    entry = {
        "kind": "access",
        "identifier_kind": "email",
        "identifier": email(i),
        "channel": "staff",
        "verified_reason": "identity document seen at the desk",
    }
    request_id = json.loads(client.call("POST", "/api/v1/operator/requests", entry, auth))[
        "request_id"
    ]
    client.call("POST", f"/api/v1/operator/requests/{request_id}/act", {}, auth)
    link = _find(r"(http\S+/downloads/\S+)", inbox.body(inbox.wait_for(email(i), 1)))
    if client.call("GET", link.removeprefix(base))[:2] != b"PK":
        raise RuntimeError("the download is not a ZIP")
    return time.perf_counter() - start


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError("the mail does not carry what the lifecycle needs")
    return match.group(1)


def line(name: str, value: str, target: str, ok: bool) -> None:
    print(f"  {name:<46} {value:>16}   target {target:<12} {'PASS' if ok else 'FAIL'}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="lawful-bench-req-") as tmp,
        database(args, Path(tmp)) as url,
    ):
        lawful = open_bench(Path(tmp), url)
        try:
            run(lawful, args)
        finally:
            lawful.close()
    return 0


@contextmanager
def database(args: argparse.Namespace, root: Path) -> Iterator[str]:
    """SQLite in the temporary folder, or a fresh schema on the PostgreSQL server."""
    if args.backend == "sqlite":
        yield f"sqlite:///{root / 'lawful.db'}"
        return
    schema = f"bench_req_{random.randrange(16**8):08x}"
    admin = create_engine_for(args.pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{args.pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def open_bench(root: Path, url: str) -> Lawful:
    config = write_starter_config(root / "lawful.yaml", "ru-design-studio")
    settings = replace(
        Settings.from_env({}, data_dir=root),
        config_path=config,
        database_url=url,
        operator_token=TOKEN,
        request_rate_limit=10**6,
    )
    generate_master_key_file(settings.master_key_path)
    return open_lawful(settings)


def run(lawful: Lawful, args: argparse.Namespace) -> None:
    ids = seed(lawful, args.subjects)
    args.used = 0
    if args.reports:  # first: the lifecycles and the bulk erasure destroy people
        reports(lawful, ids, args)
    if args.flows:
        flows_in_process(lawful, args.flows)
    if args.asgi:
        asgi_lifecycles(lawful, args.asgi)
    if args.lifecycles:
        http_lifecycles(lawful, args)
    if args.erase:
        bulk_erasure(lawful, ids, args)


def reports(lawful: Lawful, ids: list[str], args: argparse.Namespace) -> None:
    rng = random.Random(7)
    print(f"\naccess report, in process ({args.reports} random subjects of {len(ids):,})")
    cpu = time.process_time()
    plain = measure(lambda: access_report(lawful, rng.choice(ids), pdf=False), args.reports)
    cpu_plain = (time.process_time() - cpu) / len(plain)
    access_report(lawful, rng.choice(ids), pdf=True)  # unmeasured: the font is read once
    cpu = time.process_time()
    with_pdf = measure(lambda: access_report(lawful, rng.choice(ids), pdf=True), args.reports // 4)
    cpu_pdf = (time.process_time() - cpu) / len(with_pdf)
    p50 = statistics.median(plain)
    line("report p50 (HTML, JSON, CSV)", f"{p50 * 1000:.1f} ms", "< 30 ms", p50 < 0.030)
    line("report p95", f"{percentile(plain, 0.95) * 1000:.1f} ms", "-", True)
    line("report with PDF p50", f"{statistics.median(with_pdf) * 1000:.1f} ms", "-", True)
    # CPU time, not wall: steadier when other processes share the machine.
    line(
        "CPU per report, without / with PDF",
        f"{cpu_plain * 1000:.1f} / {cpu_pdf * 1000:.1f} ms",
        "-",
        True,
    )


class _KeptMail:
    """A mailer that keeps what it is given (the in-process lifecycles read their code)."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


def flows_in_process(lawful: Lawful, count: int) -> None:
    """``count`` access lifecycles through :mod:`lawful.requests.flows` and the operator's
    detail answer, as the routes call them, with no HTTP, SMTP or thread hop: CPU time and
    SQL statements per step, for finding where a lifecycle's server time goes."""
    print(f"\naccess lifecycles in process ({count}, after 10 unmeasured): CPU and statements")
    cpu: dict[str, list[float]] = {}
    statements: dict[str, int] = {}
    current = [""]

    def counted(*_: object) -> None:
        statements[current[0]] = statements.get(current[0], 0) + 1

    def step(name: str, work: Callable[[], Any], measured: bool) -> Any:
        current[0] = name if measured else ""
        began = time.process_time()
        result = work()
        if measured:
            cpu.setdefault(name, []).append(time.process_time() - began)
        return result

    sa.event.listen(lawful.engine, "before_cursor_execute", counted)
    try:
        for i in range(count + 10):
            _one_flow(lawful, i, lambda name, work, i=i: step(name, work, i >= 10))
    finally:
        sa.event.remove(lawful.engine, "before_cursor_execute", counted)
    for name, spent in cpu.items():
        per = f"{statistics.mean(spent) * 1000:.2f} ms, {statements.get(name, 0) / count:.0f} SQL"
        line(f"  {name}", per, "-", True)
    total = sum(statistics.mean(spent) for spent in cpu.values()) * 1000
    line("  lifecycle", f"{total:.2f} ms", "-", True)


def asgi_lifecycles(lawful: Lawful, count: int) -> None:
    """``count`` access lifecycles through the ASGI app in this process — routing, middleware,
    validation, the thread hop of every step — without uvicorn, sockets or SMTP (the mail is
    kept): the app's CPU per lifecycle, steadier than the HTTP figures on a shared machine."""
    from lawful.web.app import create_app

    app = create_app(lawful)
    kept = _KeptMail()
    app.state.requests_mailer = kept
    operator = [(b"authorization", f"Bearer {TOKEN}".encode())]

    async def lifecycle(i: int) -> None:
        answer = await _asgi(app, "POST", "/api/v1/requests", {"kind": "access", "email": email(i)})
        request = json.loads(answer)["request_id"]
        code = _find(r"\b(\d{6})\b", kept.sent[-1].body)
        await _asgi(app, "POST", f"/api/v1/requests/{request}/verify", {"code": code})
        await _asgi(app, "POST", f"/api/v1/operator/requests/{request}/act", {}, operator)
        link = _find(r"(http\S+/downloads/\S+)", kept.sent[-1].body)
        await _asgi(app, "GET", urlsplit(link).path)
        await _asgi(app, "POST", f"/api/v1/operator/requests/{request}/complete", None, operator)

    async def run() -> float:
        for i in range(10):  # unmeasured: the first PDF reads the font files
            await lifecycle(i)
        began = time.process_time()
        for i in range(10, 10 + count):  # seeded people, as --flows (access erases nobody)
            await lifecycle(i)
        return (time.process_time() - began) / count

    spent = asyncio.run(run())
    print(f"\naccess lifecycles through the ASGI app in process ({count}, mail kept)")
    line("  CPU per lifecycle", f"{spent * 1000:.2f} ms", "-", True)


async def _asgi(
    app: Any,
    method: str,
    path: str,
    body: object = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> bytes:
    """One request through ``app`` as a server would hand it over; an error status raises."""
    data = b"" if body is None else json.dumps(body).encode()
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": data, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] >= 400:
        raise RuntimeError(f"{method} answered {sent[0]['status']}")
    return b"".join(m.get("body", b"") for m in sent[1:])


def _one_flow(lawful: Lawful, i: int, step: Callable[[str, Callable[[], Any]], Any]) -> None:
    mailer, now = _KeptMail(), datetime.now(UTC)
    intake = service.Intake(kind="access", identifier_kind="email", identifier=email(i))
    request = step(
        "submit",
        lambda: flows.submit(
            lawful, mailer, intake, actor="requester", now=now, limit_per_hour=10**6
        ),
    )
    code = _find(r"\b(\d{6})\b", mailer.sent[-1].body)
    step("verify", lambda: flows.verify(lawful, request.id, code, now=now))
    done = step("act", lambda: flows.act(lawful, mailer, request.id, actor="operator", now=now))
    step("act's detail answer", lambda: request_routes.detail(lawful, request.id))
    step("download", lambda: flows.download(lawful, done.download_token, now=now))
    step("complete", lambda: flows.complete(lawful, mailer, request.id, actor="operator", now=now))
    step("complete's detail answer", lambda: request_routes.detail(lawful, request.id))


def http_lifecycles(lawful: Lawful, args: argparse.Namespace) -> None:
    pdf = "without the PDF" if args.no_pdf else "with the PDF"
    pinned = "each server process on a core of its own" if args.pin else "servers unpinned"
    print(f"\nHTTP lifecycles ({pdf}; {pinned}): submit, code by mail, verify, act, [download],")
    print("  complete")
    print(f"  Fides' figures: {args.fides.source}")
    people = iter(range(10**9))
    with smtp_server() as (inbox, smtp_url):
        lawful.settings = replace(lawful.settings, smtp_url=smtp_url)
        with serving(lawful, args.no_pdf, max(args.servers), args.pin) as servers:
            _warm(servers, inbox, people)
            base, pid = servers[0]
            fides = args.fides
            for kind, seconds in (("access", fides.access_s), ("erasure", fides.erasure_s)):
                STEPS.clear()
                cpu = bench_http.process_cpu_seconds([pid])
                took = [lifecycle(base, inbox, next(people), kind) for _ in range(args.samples)]
                _latency(f"{kind}, 1 client ({args.samples})", took, seconds)
                _server_cpu([pid], cpu, args.samples)
                for (_, name), samples in STEPS.items():
                    line(f"  {name} p50", f"{statistics.median(samples) * 1000:.1f} ms", "-", True)
                fulfilled = _until_fulfilled(kind)
                _latency(f"  {kind} submit -> verify -> fulfil", fulfilled, seconds)
            for used in args.servers:
                _concurrent(inbox, servers[:used], people, args)
            _as_fides_flow(inbox, servers, people, args)
    args.used = next(people)


def _warm(servers: list[tuple[str, int]], inbox: Inbox, people: Iterator[int]) -> None:
    """One unmeasured run of every flow measured here on every server process, as Fides'
    benchmark makes a warm-up request: a fresh process reads the PDF's font files, compiles
    each SQL statement and imports some modules on first use, and a server that first answers
    in the middle of a measured run would count that against the run (four processes, the
    same phase first and again last: 65.1 and 69.3 lifecycles/s)."""
    for base, _pid in servers:
        lifecycle(base, inbox, next(people), "access")
        lifecycle(base, inbox, next(people), "erasure")
        entered(base, inbox, next(people))


def _until_fulfilled(kind: str) -> list[float]:
    """Each 1-client lifecycle's time until the request was fulfilled — the issue's "submit,
    verify, fulfil": the report downloaded, the erasure done — without the closing answer."""
    steps = [samples for (of, _name), samples in STEPS.items() if of == kind]
    totals = [sum(one) for one in zip(*steps, strict=True)]
    closing = STEPS[(kind, "complete + answer mail")]
    return [total - last for total, last in zip(totals, closing, strict=True)]


def _as_fides_flow(
    inbox: Inbox, servers: list[tuple[str, int]], people: Iterator[int], args: argparse.Namespace
) -> None:
    """:func:`entered` access requests: one client, then ``--clients`` on every server."""
    base, _pid = servers[0]
    print("\n  as Fides' flow: staff enter a verified access request, act, the person downloads")
    took = [entered(base, inbox, next(people)) for _ in range(args.samples)]
    _latency(f"entered access, 1 client ({args.samples})", took, args.fides.access_s)
    ids = [next(people) for _ in range(args.lifecycles)]
    took, wall = _spread(lambda base, i: entered(base, inbox, i), servers, ids, args.clients)
    label = f"entered access, {args.clients} clients, {_where(servers)} ({len(ids)})"
    _throughput(label, len(ids) / wall, args.fides.access_per_s)
    line("  latency p50 / p95", _p50_p95(took), "-", True)


def _where(servers: list[tuple[str, int]]) -> str:
    return f"{len(servers)} server process{'es' if len(servers) > 1 else ''}"


def _spread(
    run: Callable[[str, int], float], servers: list[tuple[str, int]], ids: list[int], clients: int
) -> tuple[list[float], float]:
    """``run(base URL, person)`` for every person in ``ids`` from ``clients`` threads, spread
    evenly over ``servers``: each run's seconds, and the seconds they took together."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        took = list(pool.map(lambda i: run(servers[i % len(servers)][0], i), ids))
    return took, time.perf_counter() - start


def _concurrent(
    inbox: Inbox, servers: list[tuple[str, int]], people: Iterator[int], args: argparse.Namespace
) -> None:
    """``--clients`` concurrent lifecycles spread evenly over ``servers``: whole ones, then
    (access) ones that stop when the request is fulfilled, as Fides' requests/s count."""
    pids = [pid for _, pid in servers]
    for kind, close, fides_rate, count in (
        ("access", True, args.fides.access_per_s, args.lifecycles),
        ("access", False, args.fides.access_per_s, args.lifecycles),
        ("erasure", True, args.fides.erasure_per_s, max(1, args.lifecycles // 4)),
    ):
        ids = [next(people) for _ in range(count)]
        profiled = args.profile and kind == "access" and close
        spy = _spy(pids[0], args.profile) if profiled else None
        cpu, own = bench_http.process_cpu_seconds(pids), time.process_time()

        def run(base: str, i: int, kind: str = kind, close: bool = close) -> float:
            return lifecycle(base, inbox, i, kind, close)

        took, wall = _spread(run, servers, ids, args.clients)
        what = kind if close else f"{kind} until fulfilled"
        label = f"{what}, {args.clients} clients, {_where(servers)} ({count})"
        _throughput(label, count / wall, fides_rate)
        line("  latency p50 / p95", _p50_p95(took), "-", True)
        _server_cpu(pids, cpu, count)
        spent = (time.process_time() - own) / count * 1000
        line("  load generator + SMTP server CPU per lifecycle", f"{spent:.1f} ms", "-", True)
        if spy is not None:
            _profile_report(*spy)


def _p50_p95(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f} / {percentile(samples, 0.95) * 1000:.0f} ms"


def _server_cpu(pids: list[int], before: float, lifecycles: int) -> None:
    """The server processes' CPU time per lifecycle: steadier than wall time on a busy machine."""
    spent = bench_http.process_cpu_seconds(pids) - before
    line("  server CPU per lifecycle", f"{spent / lifecycles * 1000:.1f} ms", "-", True)


def _latency(label: str, samples: Sequence[float], fides: float) -> None:
    p50 = statistics.median(samples)
    target = f"<= {fides * 1000 / 20:.0f} ms"
    line(f"{label} p50 / p95", _p50_p95(samples), target, p50 * 20 <= fides)
    line(f"  ratio vs Fides {fides:.2f} s", f"{fides / p50:.1f}x", ">= 20x", fides / p50 >= 20)


def _throughput(label: str, per_s: float, fides: float) -> None:
    line(f"{label}", f"{per_s:.1f} /s", f">= {fides * 20:.0f} /s", per_s >= fides * 20)
    line(f"  ratio vs Fides {fides:.2f} /s", f"{per_s / fides:.1f}x", ">= 20x", per_s >= fides * 20)


def _spy(pid: int, seconds: int) -> tuple[subprocess.Popen[bytes], Path]:
    """``py-spy record`` on the server for ``seconds`` (raw folded stacks)."""
    bench_http.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = bench_http.RESULTS_DIR / "requests-profile.folded"
    py_spy = str(Path(sys.executable).parent / "py-spy")
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds)]
    command += ["--rate", "200", "--format", "raw", "--nonblocking", "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT), out  # noqa: S603


def _profile_report(spy: subprocess.Popen[bytes], out: Path) -> None:
    spy.communicate(timeout=600)
    summary = bench_http.summarise_folded(out.read_text(encoding="utf-8"), "py-spy", out, top=30)
    print(f"\n  py-spy on the server ({summary['samples']:,} samples, stacks in {out})")
    for title in ("own", "inclusive"):
        print(f"  {title}:")
        for row in summary[title]:
            print(f"    {row['share_pct']:5.1f}%  {row['function']}")


def bulk_erasure(lawful: Lawful, ids: list[str], args: argparse.Namespace) -> None:
    targets = ids[args.used : args.used + args.erase]
    print(f"\nbulk erasure of {len(targets):,} subjects (shred + one destruction act)")
    start = time.perf_counter()
    with lawful.sessions.begin() as session:
        done = destruction.shred(
            session=session,
            subject_ids=targets,
            actor="bench",
            reason="bench",
            now=datetime.now(UTC),
        )
        destruction.record_act(
            session=session,
            policy=lawful.require_policy(),
            destroyed=done,
            destroyer=destruction.Destroyer("bench", "operator"),
            reason="bench",
            now=datetime.now(UTC),
        )
    took = time.perf_counter() - start
    line("bulk erasure", f"{took:.1f} s", "< 60 s", took < 60)
    line("per subject", f"{took / max(1, len(targets)) * 1000:.2f} ms", "-", True)
    ratio = args.fides.erasure_s * len(targets) / took
    line(
        f"ratio vs Fides {args.fides.erasure_s:.2f} s per erasure",
        f"{ratio:,.0f}x",
        ">= 20x",
        ratio >= 20,
    )


def _counts(text: str) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]``: one concurrent run on each number of server processes."""
    try:
        counts = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError("give whole numbers, e.g. 1,2,4") from None
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("give whole numbers from 1 up, e.g. 1,2,4")
    return counts


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--subjects", type=int, default=150_000)
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--lifecycles", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--servers",
        type=_counts,
        default="1,2,4",
        help="server processes for the concurrent phase, one run per count (comma-separated)",
    )
    parser.add_argument(
        "--samples", type=int, default=100, help="lifecycles of each kind for the 1-client latency"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="SECONDS", help="py-spy the server (4 clients)"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="each server process on a core of its own (default: where the OS puts them)",
    )
    parser.add_argument(
        "--flows", type=int, default=200, help="access lifecycles in process, CPU per step"
    )
    parser.add_argument(
        "--asgi", type=int, default=0, help="access lifecycles through the ASGI app in process"
    )
    parser.add_argument("--erase", type=int, default=100_000)
    parser.add_argument("--no-pdf", action="store_true", help="lifecycles without the report's PDF")
    parser.add_argument("--quick", action="store_true", help="12,000 subjects, 200 lifecycles")
    parser.add_argument(
        "--fides",
        type=Path,
        default=None,
        help="Fides' results_eager.json from shared/peers/fides/run_all.sh on this host "
        "(default: the figures of its REPORT.md, measured on another host)",
    )
    args = parser.parse_args(argv)
    args.fides = FIDES_REPORTED if args.fides is None else Fides.from_results(args.fides)
    if args.quick:
        args.subjects, args.lifecycles, args.erase, args.reports = 12_000, 200, 10_000, 100
        args.flows = 50
    return args


if __name__ == "__main__":
    raise SystemExit(main())
