"""Group commit for web submissions: many requests, one transaction, each answered after it.

A submission costs a handful of rows; what costs time is everything around them — a
transaction, the journal's chain lock, a commit (an fsync on SQLite), a dozen statements.
So the web route prepares a submission (policy checks, in its own request) and hands it to
the one writer thread of its process, which takes every submission waiting, writes them with
:func:`lawful.collection.service.write` in one transaction and only then answers each
request. Under load the batches grow by themselves; alone, a submission is a batch of one.

Nothing is acknowledged before its commit. A submission refused in the batch (its document
is no longer current, the person is blocked) writes nothing and fails alone. If the batch as
a whole fails (a racing process created the same person or used the same key first), each of
its submissions is tried again on its own, so one failure never sinks the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.collection import idempotency
from lawful.collection import service as collection
from lawful.config.models import Policy
from lawful.crypto.keyring import Keyring
from lawful.errors import PolicyViolation, StoreError
from lawful.store.db import flush_later, flush_wal

log = logging.getLogger(__name__)

#: Tries of a submission alone after its batch failed, before its request gets the error.
RETRIES = 3

#: How long the writer waits for company once a submission arrives (group commit's delay,
#: like PostgreSQL's ``commit_delay``). A lone request waits this long; a batch that reaches
#: :data:`ENOUGH` stops waiting. 10 ms was tried while PostgreSQL still planned the owner
#: look-up as a scan of the whole table (a plan cached before any ANALYZE; see
#: ``benchmarks/bench_http.analyse``), which made each transaction cost ~3 ms of its CPU: with
#: that fixed, 3 ms gives the lower latency at 750 submissions/s (p50 18 against 26 ms).
LINGER_SECONDS = 0.003

#: A batch this large stops waiting for company: a transaction's cost shared 16 ways is a
#: fraction of a submission's own, and a closed loop of 16 clients per process (the
#: benchmark's) must not wait out the delay every time.
ENOUGH = 16

#: Submissions written per transaction at most: large enough to absorb a burst, small enough
#: that a batch's transaction stays short (the writer holds the SQLite write lock meanwhile).
MAX_BATCH = 128


Answer = idempotency.Outcome | BaseException  # noqa: UP040 - a plain alias reads best here


@dataclass
class _Job:
    """A submission and where its answer goes: a thread's future or, when ``loop`` is set, an
    asyncio future of that loop (settled in the loop, a whole batch per wake-up)."""

    plan: collection.Plan
    request: idempotency.Keyed
    future: Future[idempotency.Outcome] | asyncio.Future[idempotency.Outcome] = field(
        default_factory=Future
    )
    loop: asyncio.AbstractEventLoop | None = None


def _settle(answered: list[tuple[asyncio.Future[idempotency.Outcome], Answer]]) -> None:
    """In the event loop: answer each request (one whose client left is skipped)."""
    for future, answer in answered:
        if future.done():
            continue
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)


def write_batch(
    *,
    sessions: sessionmaker[Session],
    ring: Keyring,
    policy: Policy,
    plans: Sequence[tuple[collection.Plan, idempotency.Keyed]],
) -> list[idempotency.Outcome | PolicyViolation]:
    """Write ``plans`` in one transaction; for each, its answer or the refusal."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        unflushed = flush_later(session)
        stored = idempotency.look_up(session, ring, [request for _, request in plans])
        fresh = [i for i, found in enumerate(stored) if found is None]
        written = collection.write(
            session=session, ring=ring, policy=policy, plans=[plans[i][0] for i in fresh]
        )
        answers: list[idempotency.Outcome | PolicyViolation | None] = list(stored)
        to_store = []
        for i, outcome in zip(fresh, written, strict=True):
            if isinstance(outcome, PolicyViolation):
                answers[i] = outcome
                continue
            body = outcome.model_dump_json()
            answers[i] = idempotency.Outcome(201, body, replayed=False)
            to_store.append(idempotency.Answer(plans[i][1], 201, body))
        idempotency.store(session, ring, to_store, now=now)
    if unflushed:
        try:
            flush_wal(sessions)  # durable before any request is answered
        except sa.exc.DBAPIError as failure:
            # Committed, perhaps not durable: not a batch to retry (a submission without a key
            # would be written twice), but an error for each request, whose retry replays.
            raise StoreError("the database did not confirm the write is on disk") from failure
    return [a for a in answers if a is not None]


class SubmissionWriter:
    """The writer threads of one process; :meth:`submit` returns a future of the answer.

    ``threads``: one by default. On SQLite writers queue for one lock anyway; on PostgreSQL a
    second thread can send the next batch while the first waits for its commit, but it also
    halves each batch, and on the 2-core machine measured (two server processes) the
    throughput was the same and the latency worse (benchmarks/README.md)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        ring: Keyring,
        policy: Callable[[], Policy],
        max_batch: int = MAX_BATCH,
        threads: int = 1,
        linger: float = LINGER_SECONDS,
        enough: int = ENOUGH,
    ) -> None:
        self._sessions, self._ring, self._policy = sessions, ring, policy
        self._max_batch, self._count, self._linger = max_batch, threads, linger
        self._enough = min(enough, max_batch)
        # queue.Queue, not SimpleQueue: CPython 3.11's SimpleQueue can leave a timed get()
        # blocked for good when two threads take from it (one waiting, one lingering with a
        # timeout) — the lingering writer then sat on its batch and its requests were never
        # answered (measured: two consumers, 3 busy loops on 2 cores, hung within 200 rounds of
        # 200 items; queue.Queue passed 3,000).
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(
        self, plan: collection.Plan, request: idempotency.Keyed
    ) -> Future[idempotency.Outcome]:
        future: Future[idempotency.Outcome] = Future()
        self._enqueue(_Job(plan, request, future))
        return future

    def submit_async(
        self, plan: collection.Plan, request: idempotency.Keyed
    ) -> asyncio.Future[idempotency.Outcome]:
        """:meth:`submit` for a coroutine: the future belongs to the running loop, and a
        batch's answers reach that loop in one wake-up instead of one per request."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[idempotency.Outcome] = loop.create_future()
        self._enqueue(_Job(plan, request, future, loop))
        return future

    def _enqueue(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the submission writer is closed")
            if not self._threads:
                self._start()
            self._queue.put(job)

    def _start(self) -> None:
        for index in range(self._count):
            thread = threading.Thread(
                target=self._run, name=f"lawful-submissions-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def close(self, timeout: float = 30) -> None:
        """Write what is queued, then stop the threads."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout)

    def _run(self) -> None:
        carried: list[_Job] = []
        while True:
            batch, carried, stop = self._next_batch(carried)
            if batch:
                self._write(batch)
            if stop and not carried:
                return

    def _next_batch(self, carried: list[_Job]) -> tuple[list[_Job], list[_Job], bool]:
        """Every job waiting (at least one, and those that come within the linger until the
        batch has enough), never two with the same key in one batch: the second must see the
        first one's stored answer, so it waits for the next batch."""
        pending, stop = carried, False
        if not pending:
            first = self._queue.get()
            if first is None:
                return [], [], True
            pending = [first]
        deadline = time.monotonic() + self._linger
        while len(pending) < self._max_batch:
            # Wait for company until the batch has enough; then only take who is waiting.
            wait = deadline - time.monotonic() if len(pending) < self._enough else 0.0
            try:
                job = self._queue.get(timeout=max(0.0, wait))
            except queue.Empty:
                break
            if job is None:
                stop = True
                break
            pending.append(job)
        batch, later, keys = [], [], set()
        for job in pending:
            key = job.request.key
            if key is not None and key in keys:
                later.append(job)
                continue
            keys.add(key)
            batch.append(job)
        return batch, later, stop

    def _write(self, jobs: list[_Job], *, tries: int = RETRIES) -> None:
        try:
            answers = write_batch(
                sessions=self._sessions,
                ring=self._ring,
                policy=self._policy(),
                plans=[(job.plan, job.request) for job in jobs],
            )
        # A failed transaction wrote nothing; its submissions are retried one by one so that
        # the failure stays with the one that caused it, and a lost race (another writer
        # committed the same key or person first, or a deadlock between two batches) turns
        # into a replay or a link on the next try, which sees the winner's rows.
        except sa.exc.DBAPIError as failure:
            if len(jobs) > 1:
                for job in jobs:
                    self._write([job])
            elif tries > 1:
                self._write(jobs, tries=tries - 1)
            else:
                log.warning("submission failed: %s", type(failure).__name__)
                _answer(jobs, [failure])
            return
        except Exception as bug:  # noqa: BLE001 - the request must be answered, not left hanging
            _answer(jobs, [bug] * len(jobs))
            return
        _answer(jobs, answers)


def _answer(jobs: Sequence[_Job], answers: Sequence[Answer]) -> None:
    """Settle each job's future: thread futures at once, a loop's futures in one call."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Answer]]] = {}
    for job, answer in zip(jobs, answers, strict=True):
        if job.loop is not None:
            by_loop.setdefault(job.loop, []).append((cast(asyncio.Future[Any], job.future), answer))
        elif isinstance(answer, BaseException):
            job.future.set_exception(answer)
        else:
            cast(Future[idempotency.Outcome], job.future).set_result(answer)
    for loop, answered in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(_settle, answered)
