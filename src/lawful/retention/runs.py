"""Sweep runs: start or resume one, sweep it a batch per transaction, end it with one act.

:func:`run_sweep` is what ``lawful sweep`` and the worker's ``retention.sweep`` call;
:func:`preview` is the dry run — the same plans, nothing written.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful.config.models import Policy
from lawful.destruction import dependents
from lawful.destruction import service as destruction
from lawful.retention.models import SweepItem, SweepRun
from lawful.retention.rules import Rule, describe, rules_of
from lawful.retention.sweep import (
    ACTOR,
    BATCH,
    METHOD,
    Plan,
    SweepConflict,
    SweepReport,
    batch_ids,
    batch_items,
    journal_plan,
    plan_batch,
    remove_planned,
)
from lawful.store.bulk import bulk_insert
from lawful.subjects.models import Subject

Progress = Callable[[int], None]


def subjects_to_sweep(sessions: sessionmaker[Session]) -> int:
    """How many subjects a sweep walks (for a progress bar)."""
    with sessions() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Subject)) or 0)


def preview(
    sessions: sessionmaker[Session],
    policy: Policy,
    *,
    now: datetime,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> SweepReport:
    """What a sweep at ``now`` would remove and keep, by purpose and reason; changes nothing."""
    report, rules, cursor = SweepReport(dry_run=True, as_of=now), rules_of(policy, now), ""
    with sessions() as session:
        while ids := batch_ids(session, cursor, batch):
            report.add(plan_batch(session, rules, ids))
            cursor = ids[-1]
            if progress:
                progress(len(ids))
        session.rollback()
    return report


def run_sweep(
    sessions: sessionmaker[Session],
    policy: Policy,
    *,
    now: datetime,
    batch: int = BATCH,
    progress: Progress | None = None,
    destroyer: destruction.Destroyer | None = None,
) -> SweepReport:
    """Resume the unfinished run (at its own instant) or start one at ``now``; sweep it to
    the end and write its act."""
    with sessions.begin() as session:
        run, resumed = _start_or_resume(session, now)
        run_id, as_of = run.id, run.as_of
        dialect = session.get_bind().dialect.name
    report = SweepReport(dry_run=False, as_of=as_of, run_id=run_id, resumed=resumed)
    sweep = _Sweep(sessions, rules_of(policy, as_of), run_id, batch, report, now, progress)
    if dialect == "postgresql":
        _sweep_overlapped(sweep)
    else:
        _sweep_in_turn(sweep)
    with sessions.begin() as session:
        report.act_number = _finish(session, policy, run_id, now, destroyer)
    return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A batch makes a few objects per value and frees them all by reference counting at its
    end; meanwhile the cyclic garbage collector would walk them over and over (measured: a
    sixth of a sweep's CPU time). Paused for the batch (for the whole loop where batches
    overlap), it catches up afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _start_or_resume(session: Session, now: datetime) -> tuple[SweepRun, bool]:
    unfinished = session.scalar(
        sa.select(SweepRun).where(SweepRun.status == "running").order_by(SweepRun.started_at)
    )
    if unfinished is not None:
        return unfinished, True
    run = SweepRun(
        id=secrets.token_hex(16),
        status="running",
        as_of=now,
        started_at=now,
        cursor="",
        batches=0,
        destroyed_values=0,
        anonymised_values=0,
        shredded_subjects=0,
        held_values=0,
    )
    session.add(run)
    return run, False


@dataclass(frozen=True)
class _Sweep:
    """One process sweeping one run."""

    sessions: sessionmaker[Session]
    rules: dict[str, Rule]
    run_id: str
    size: int
    report: SweepReport
    now: datetime
    progress: Progress | None

    def swept(self, planned: _Planned) -> None:
        self.report.add(planned.plan)
        if self.progress:
            self.progress(len(planned.ids))


@dataclass
class _Planned:
    """A batch planned in its own transaction, its subjects' rows locked, not yet applied."""

    session: Session
    cursor: str
    ids: Sequence[str]
    plan: Plan
    items: list[dict[str, object]] = field(default_factory=list)


def _sweep_in_turn(sweep: _Sweep) -> None:
    """SQLite: one batch after the other (one writer at a time, and no row locks that would
    keep a batch planned outside the write lock unchanged until it is applied)."""
    while True:
        with _collector_paused(), sweep.sessions.begin() as session:
            planned = _sweep_batch(session, sweep)
        if planned is None:
            return
        sweep.swept(planned)


def _sweep_batch(session: Session, sweep: _Sweep) -> _Planned | None:
    """Sweep the next batch of the run in ``session``'s transaction (None: the run is done)."""
    cursor = session.scalar(sa.select(SweepRun.cursor).where(SweepRun.id == sweep.run_id)) or ""
    ids = batch_ids(session, cursor, sweep.size, lock=True)
    if not ids:
        return None
    _advance(session, sweep.run_id, cursor, ids[-1])
    planned = _Planned(session, cursor, ids, plan_batch(session, sweep.rules, ids))
    _render(planned, sweep)
    _write(planned, sweep.run_id)
    return planned


def _render(planned: _Planned, sweep: _Sweep) -> None:
    """This process's share of a batch: its journal, ledger entries and lines for the act."""
    journal_plan(planned.session, planned.plan, run_id=sweep.run_id, now=sweep.now)
    planned.items = batch_items(planned.plan, sweep.run_id)


def _write(planned: _Planned, run_id: str) -> None:
    """The server's share: remove what the plan says, keep the act's lines, count."""
    remove_planned(planned.session, planned.plan)
    _keep_items(planned, run_id)


def _keep_items(planned: _Planned, run_id: str) -> None:
    """Keep the batch's lines for the run's act, and count."""
    bulk_insert(planned.session.connection(), SweepItem.__table__, planned.items)  # type: ignore[arg-type]
    _count(planned.session, run_id, planned.plan)


def _sweep_overlapped(sweep: _Sweep) -> None:
    """PostgreSQL: plan the next batch here, and delete its rows, while a second thread
    renders the current one's journal and act lines, chains the journal and commits, on
    its own connection. The server's work for two batches, on two connections, and this
    process's planning and rendering then overlap instead of taking turns (the two threads'
    shares measured about even). Each batch is still one transaction with its deletions,
    journal, ledger and act lines, committed in cursor order: a batch's cursor moves only
    after the one before it has committed, and when one fails the next, planned and deleted
    meanwhile, is rolled back."""
    with sweep.sessions() as first:
        cursor = first.scalar(sa.select(SweepRun.cursor).where(SweepRun.id == sweep.run_id))
    with (
        _collector_paused(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="lawful-sweep") as applier,
    ):
        applying: tuple[Future[None], _Planned] | None = None
        while True:
            planned = _plan_locked(sweep, cursor or "")
            if applying is not None:
                _wait_for(applying[0], planned)
                sweep.swept(applying[1])
            if not planned.ids:
                planned.session.close()
                return
            applying = (applier.submit(_apply_and_commit, planned, sweep), planned)
            cursor = planned.ids[-1]


def _plan_locked(sweep: _Sweep, cursor: str) -> _Planned:
    """Open a transaction, lock the next batch's subjects, plan it and delete what it
    removes (nothing committed, the cursor not moved yet)."""
    session = sweep.sessions()
    try:
        ids = batch_ids(session, cursor, sweep.size, lock=True)
        plan = plan_batch(session, sweep.rules, ids) if ids else Plan()
        planned = _Planned(session, cursor, ids, plan)
        if ids:
            remove_planned(session, plan)
    except BaseException:
        session.close()
        raise
    return planned


def _wait_for(applying: Future[None], planned: _Planned) -> None:
    """Wait for the batch before ``planned`` to commit; if it failed, drop ``planned`` too."""
    try:
        applying.result()
    except BaseException:
        planned.session.close()  # rolls back: its rows unlocked, nothing applied
        raise


def _apply_and_commit(planned: _Planned, sweep: _Sweep) -> None:
    """In the applier thread, in the transaction that planned and deleted the batch: move
    the cursor, render the journal and the act's lines, count and commit (the journal is
    chained then)."""
    session = planned.session
    try:
        _advance(session, sweep.run_id, planned.cursor, planned.ids[-1])
        _render(planned, sweep)
        _keep_items(planned, sweep.run_id)
        session.commit()
    finally:
        session.close()


def _advance(session: Session, run_id: str, cursor: str, to: str) -> None:
    """Move the cursor (first thing in the transaction where batches take turns; where they
    overlap, after the batch's deletions, which roll back with it): it locks the run's row,
    and a cursor that moved meanwhile means another sweeper has this batch."""
    moved = session.execute(
        sa.update(SweepRun)
        .where(SweepRun.id == run_id, SweepRun.cursor == cursor, SweepRun.status == "running")
        .values(cursor=to, batches=SweepRun.batches + 1)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise SweepConflict("another sweep is running this batch", field="sweep")


def _count(session: Session, run_id: str, plan: Plan) -> None:
    def values(action: str) -> int:
        return sum(len(r.value_ids) for r in plan.removals if r.action == action)

    session.execute(
        sa.update(SweepRun)
        .where(SweepRun.id == run_id)
        .values(
            destroyed_values=SweepRun.destroyed_values + values("destroy"),
            anonymised_values=SweepRun.anonymised_values + values("anonymise"),
            shredded_subjects=SweepRun.shredded_subjects + len(plan.shred),
            held_values=SweepRun.held_values + sum(plan.held.values()),
        )
    )


def _finish(
    session: Session,
    policy: Policy,
    run_id: str,
    now: datetime,
    destroyer: destruction.Destroyer | None,
) -> str | None:
    """End the run with ONE act for everything its batches removed; None when nothing went."""
    run = session.get(SweepRun, run_id)
    if run is None or run.status != "running":
        raise SweepConflict("the sweep run was finished by another process", field="sweep")
    items = destruction.Lines(
        session.scalars(
            sa.select(SweepItem.entries).where(SweepItem.run_id == run_id).order_by(SweepItem.id)
        ).all()
    )
    act = None
    if items.count():
        act = destruction.record_act(
            session=session,
            policy=policy,
            destroyed=items,
            destroyer=destroyer or default_destroyer(policy),
            reason=act_reason(policy, run),
            now=now,
            method=METHOD,
            actor=ACTOR,
            lister=_from_items(run_id) if session.get_bind().dialect.name == "postgresql" else None,
        )
        session.execute(sa.delete(SweepItem).where(SweepItem.run_id == run_id))
    run.status, run.finished_at = "done", now
    run.act_id = act.id if act else None
    return act.number if act else None


#: The act's rows, one per line of the run's items (``<subject>\t<categories>``), in order.
_LISTED = sa.text(
    """
    INSERT INTO destruction_act_subjects (act_id, subject_ref, categories)
    SELECT :act, split_part(line, chr(9), 1), split_part(line, chr(9), 2)
    FROM sweep_items
    CROSS JOIN LATERAL unnest(string_to_array(entries, chr(10))) WITH ORDINALITY AS l(line, n)
    WHERE run_id = :run
    ORDER BY sweep_items.id, n
    """
)


def _from_items(run_id: str) -> destruction.Lister:
    """PostgreSQL: the act's hundred thousand rows made by the server from the items it
    holds, instead of parsed, sent back and copied in again (measured: ~1 s of a sweep)."""

    def insert(connection: sa.Connection, act_id: str) -> None:
        # The act was inserted just before, in this transaction: each row's key holds.
        with dependents.keys_unchecked(connection, "destruction_act_subjects"):
            connection.execute(_LISTED, {"act": act_id, "run": run_id})

    return insert


def default_destroyer(policy: Policy) -> destruction.Destroyer:
    """The person responsible for processing signs an automated sweep's act, if declared."""
    dpo = policy.operator.dpo
    if dpo is not None and dpo.name:
        return destruction.Destroyer(dpo.name, "person responsible for personal-data processing")
    return destruction.Destroyer("lawful retention sweep", "automated, per lawful.yaml")


def act_reason(policy: Policy, run: SweepRun) -> str:
    """The act's ground: the retention rules in force, evaluated at the run's instant."""
    rules = "; ".join(
        f"{key}: {describe(p.retention)}, then {p.retention.on_expiry}"
        for key, p in policy.purposes.items()
        if p.retention is not None
    )
    return (
        f"retention periods ended (lawful.yaml; 152-FZ Art. 5(7), 21(4)): sweep {run.id} as of "
        f"{run.as_of:%Y-%m-%d %H:%M} UTC — {rules}"
    )
