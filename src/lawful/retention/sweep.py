"""The retention sweep: walk the subjects in id order, a batch per transaction, and remove
every value whose purpose's retention rule has run out — anonymised or destroyed as the
policy says — unless a legal hold keeps it.

Data held for several purposes survive until the last purpose ends: only the ended purpose's
values go, and a subject is crypto-shredded (:func:`lawful.destruction.shred`) only when
nothing of theirs is left, no consent of theirs is in force and no hold is on them.

A run is a ``sweep_runs`` row: the instant its rules are evaluated at and a cursor (the last
subject id swept). Each batch moves the cursor in the same transaction as its deletions, so a
crash loses at most the batch in flight, and the next sweep resumes the run where it stopped,
at the same instant — nothing is swept twice. What each batch removed is kept in
``sweep_items`` until the run ends with ONE destruction act for all of it
(:func:`lawful.destruction.record_act`, RKN Order No. 179), the log extract beside it.

Anonymisation here means: the values are deleted and only a count per purpose, category and
month of collection is kept (``anonymised_counts``). A count of a month's values is about no
one; generalising values in place (year of birth, city) would leave a row per person that can
still single them out with outside data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lawful import audit
from lawful.backup.ledger import note_erasure
from lawful.consent.models import ConsentRecord
from lawful.destruction import service as destruction
from lawful.errors import LawfulError
from lawful.retention.models import (
    AnonymisedCount,
    LegalHold,
    RetentionEvent,
)
from lawful.retention.rules import Facts, Rule
from lawful.subjects.models import PersonalValue, Subject

ACTOR = "lawful:retention"
BATCH = 5000
CHUNK = 1000
METHOD = (
    "deletion of the expired values from the database (freed pages overwritten); a subject "
    "left with no data was crypto-shredded (data key deleted); purposes set to anonymise keep "
    "only counts per category and month"
)
Key = tuple[str, str, str]  # purpose, action, reason
Column = sa.orm.InstrumentedAttribute[str]
Holds = dict[str, dict[str | None, str]]  # subject -> purpose (None: all) -> reason
ExpiredRow = tuple[int, str, str, datetime | None]  # id, subject_id, category, collected_at


class SweepConflict(LawfulError):
    """Another process moved the run on: this one stops and leaves the rest to it."""


@dataclass(slots=True)
class Removal:
    """The expired values of one subject for one purpose (a sweep makes one per subject and
    purpose: lean, the months counted only where anonymisation keeps them)."""

    subject_id: str
    purpose: str
    action: str
    reason: str
    value_ids: list[int] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)
    months: Counter[tuple[str, str]] | None = None


@dataclass
class Plan:
    """What one batch removes, shreds and keeps because of a hold."""

    removals: list[Removal] = field(default_factory=list)
    shred: list[str] = field(default_factory=list)
    held: Counter[tuple[str, str]] = field(default_factory=Counter)
    _listed: dict[str, tuple[str, ...]] | None = None

    def listed(self) -> dict[str, tuple[str, ...]]:
        """subject -> the categories the plan takes from them, sorted (made once: the
        journal and the act's lines both need them)."""
        if self._listed is None:
            categories = _categories(self.removals)
            self._listed = {s: tuple(sorted(c)) for s, c in categories.items()}
        return self._listed


@dataclass
class SweepReport:
    dry_run: bool
    as_of: datetime
    run_id: str | None = None
    resumed: bool = False
    #: (purpose, action, reason) -> values, and -> subjects.
    values: Counter[Key] = field(default_factory=Counter)
    subjects: Counter[Key] = field(default_factory=Counter)
    #: (purpose, hold reason) -> values kept.
    held: Counter[tuple[str, str]] = field(default_factory=Counter)
    shredded: int = 0
    act_number: str | None = None

    def add(self, plan: Plan) -> None:
        for removal in plan.removals:
            key = (removal.purpose, removal.action, removal.reason)
            self.values[key] += len(removal.value_ids)
            self.subjects[key] += 1
        self.held.update(plan.held)
        self.shredded += len(plan.shred)


# --- gathering facts and planning ----------------------------------------------------------


def batch_ids(session: Session, after: str, size: int, *, lock: bool = False) -> list[str]:
    """The next ``size`` subjects after ``after``; ``lock``: their rows locked until the
    transaction ends (PostgreSQL; SQLite's write lock covers the whole database), so that
    nothing is added to them between planning and removal."""
    query = sa.select(Subject.id).where(Subject.id > after).order_by(Subject.id).limit(size)
    if lock:
        query = query.with_for_update()
    return list(session.connection().execute(query).scalars().all())


def _in_range(
    column: sa.orm.InstrumentedAttribute[str], ids: Sequence[str]
) -> sa.ColumnElement[bool]:
    return sa.and_(column >= ids[0], column <= ids[-1])


def _totals(
    session: Session, ids: Sequence[str], *, newest: bool
) -> tuple[dict[str, int], dict[str, datetime]]:
    """How many values each subject holds, and (``newest``) when the newest was collected:
    only rules anchored on the subject need that, and each time costs a parse."""
    at = sa.func.max(PersonalValue.collected_at) if newest else sa.null()
    query = (
        sa.select(PersonalValue.subject_id, sa.func.count(), at)
        .where(_in_range(PersonalValue.subject_id, ids))
        .group_by(PersonalValue.subject_id)
    )
    totals: dict[str, int] = {}
    last: dict[str, datetime] = {}
    for subject_id, count, time in session.connection().execute(query):
        totals[subject_id] = count
        if time is not None:
            last[subject_id] = time
    return totals, last


def _facts(session: Session, ids: Sequence[str], last: dict[str, datetime]) -> dict[str, Facts]:
    """The facts rules anchored on the subject need (only gathered when such a rule exists)."""
    events: dict[str, dict[str, datetime]] = {}
    for subject_id, event, at in session.execute(
        sa.select(
            RetentionEvent.subject_id, RetentionEvent.event, sa.func.max(RetentionEvent.occurred_at)
        )
        .where(_in_range(RetentionEvent.subject_id, ids))
        .group_by(RetentionEvent.subject_id, RetentionEvent.event)
    ):
        events.setdefault(subject_id, {})[event] = at
        last[subject_id] = max(at, last.get(subject_id, at))  # an event is an interaction too
    withdrawn: dict[str, dict[str, datetime]] = {}
    for subject_id, purpose, at in session.execute(
        sa.select(ConsentRecord.subject_id, ConsentRecord.purpose, ConsentRecord.state_changed_at)
        .where(_in_range(ConsentRecord.subject_id, ids), ConsentRecord.is_current.is_(True))
        .where(
            ConsentRecord.state.in_(("withdrawn", "expired")), ConsentRecord.purpose.is_not(None)
        )
    ):
        withdrawn.setdefault(subject_id, {})[str(purpose)] = at
    return {s: Facts(at, events.get(s, {}), withdrawn.get(s, {})) for s, at in last.items()}


def _holds(session: Session, ids: Sequence[str]) -> Holds:
    """subject -> purpose (None: every purpose) -> reason."""
    holds: Holds = {}
    for subject_id, purpose, reason in session.execute(
        sa.select(LegalHold.subject_id, LegalHold.purpose, LegalHold.reason)
        .where(_in_range(LegalHold.subject_id, ids))
        .order_by(LegalHold.id)
    ):
        holds.setdefault(subject_id, {}).setdefault(purpose, reason)
    return holds


def _consenting(session: Session, ids: Sequence[str]) -> set[str]:
    """Subjects with a consent in force: their records (the proof) must not be shredded."""
    return set(
        session.scalars(
            sa.select(ConsentRecord.subject_id)
            .where(_in_range(ConsentRecord.subject_id, ids), ConsentRecord.is_current.is_(True))
            .where(ConsentRecord.state == "given")
            .distinct()
        )
    )


def plan_batch(session: Session, rules: dict[str, Rule], ids: Sequence[str]) -> Plan:
    """Decide, without changing anything, what the batch of subjects ``ids`` loses."""
    anchored = any(not rule.by_collection for rule in rules.values())
    totals, last = _totals(session, ids, newest=anchored)
    facts = _facts(session, ids, last) if anchored else {}
    holds = _holds(session, ids)
    plan = Plan()
    for rule in rules.values():
        rows = _expired(session, rule, ids, facts)
        if rule.retention.legal_hold:  # the whole purpose is held
            plan.held[(rule.purpose.key, rule.retention.legal_hold)] += sum(1 for _ in rows)
            continue
        plan.removals += _removals(rule, rows, holds, plan.held).values()
    removed: dict[str, int] = {}
    for r in plan.removals:
        removed[r.subject_id] = removed.get(r.subject_id, 0) + len(r.value_ids)
    _choose_shreds(session, plan, [s for s, n in removed.items() if n == totals.get(s)], holds, ids)
    return plan


def _removals(
    rule: Rule, rows: Iterable[ExpiredRow], holds: Holds, held: Counter[tuple[str, str]]
) -> dict[str, Removal]:
    """subject -> what ``rule`` removes of theirs, from its expired ``rows``; counted in
    ``held`` what a hold keeps. The hot loop, a turn per value: a subject's values come one
    after the other (the index's order), so their removal is looked up once per subject."""
    purpose, action = rule.purpose.key, _action(rule)
    removals: dict[str, Removal] = {}
    removal, last = Removal("", purpose, action, rule.reason), None
    for value_id, subject_id, category, at in rows:
        if holds and (hold := _hold_reason(rule, holds, subject_id)):
            held[(purpose, hold)] += 1
            continue
        if subject_id != last:
            removal = removals.get(subject_id) or removals.setdefault(
                subject_id, Removal(subject_id, purpose, action, rule.reason)
            )
            last = subject_id
        removal.value_ids.append(value_id)
        removal.categories.add(category)
        if at is not None:
            if removal.months is None:
                removal.months = Counter()
            removal.months[(category, f"{at:%Y-%m}")] += 1
    return removals


def _expired(
    session: Session, rule: Rule, ids: Sequence[str], facts: Mapping[str, Facts]
) -> Iterator[ExpiredRow]:
    """The batch's values of ``rule``'s purpose that have outlived it (the collection time
    only where anonymisation keeps counts by month)."""
    anonymise = rule.retention.on_expiry == "anonymise"
    at = PersonalValue.collected_at if anonymise else sa.null()
    query = sa.select(PersonalValue.id, PersonalValue.subject_id, PersonalValue.category, at)
    query = query.where(
        PersonalValue.purpose == rule.purpose.key, _in_range(PersonalValue.subject_id, ids)
    )
    if rule.by_collection:  # one statement: the database compares the times
        yield from _rows(session, query.where(PersonalValue.collected_at < rule.cutoff))
        return
    subjects = [s for s, f in facts.items() if rule.subject_expired(f)]
    for start in range(0, len(subjects), CHUNK):
        chunk = subjects[start : start + CHUNK]
        yield from _rows(session, query.where(PersonalValue.subject_id.in_(chunk)))


def _rows(session: Session, query: sa.Executable) -> Sequence[ExpiredRow]:
    # Core rows fetched at once, not ORM rows one by one: a batch reads 25,000 of them. They
    # unpack like the tuples they are; the cast only names their columns' types.
    return cast(Sequence[ExpiredRow], session.connection().execute(query).fetchall())


def _action(rule: Rule) -> str:
    return "anonymise" if rule.retention.on_expiry == "anonymise" else "destroy"


def _hold_reason(rule: Rule, holds: Holds, subject_id: str) -> str | None:
    """A hold on the subject for this purpose, or for all of their data."""
    theirs = holds.get(subject_id)
    return None if theirs is None else theirs.get(rule.purpose.key, theirs.get(None))


def _choose_shreds(
    session: Session,
    plan: Plan,
    emptied_out: Sequence[str],
    holds: Mapping[str, object],
    ids: Sequence[str],
) -> None:
    """Subjects left with nothing, no consent in force and no hold lose their key too."""
    emptied = set(emptied_out)
    emptied -= holds.keys()
    if emptied:
        emptied -= _consenting(session, ids)
    plan.shred = sorted(emptied)


# --- applying a plan ------------------------------------------------------------------------


def journal_plan(session: Session, plan: Plan, *, run_id: str, now: datetime) -> None:
    """The journal's events and the ledger's entries for what ``plan`` removes: rendered now,
    written when the transaction commits — with the removal, or not at all. No statement
    runs here, so a sweep can render one batch's while the server deletes another's."""
    shredded = set(plan.shred)
    for removal in plan.removals:  # outside the database too: a restore keeps the erasure
        if removal.subject_id not in shredded:
            note_erasure(session, removal.subject_id, removal.reason, purpose=removal.purpose)
    audit.append_many(session, _events(plan, shredded, run_id), at=now)
    if plan.shred:
        listed = plan.listed()
        destruction.journal_shredded(
            session,
            [destruction.Shredded(s, listed.get(s, ())) for s in plan.shred],
            actor=ACTOR,
            reason=f"retention ended (sweep {run_id})",
            now=now,
        )


def remove_planned(session: Session, plan: Plan) -> None:
    """Delete what ``plan`` says. Its subjects' rows are locked since it was planned (SQLite:
    the database is), so every subject it shreds is still there; one that is not means the
    plan is stale, and the batch is undone rather than journaled wrongly."""
    shredded = set(plan.shred)
    _count_anonymised(session, [r for r in plan.removals if r.action == "anonymise"])
    ids = [v for r in plan.removals if r.subject_id not in shredded for v in r.value_ids]
    for start in range(0, len(ids), CHUNK):
        session.execute(
            sa.delete(PersonalValue).where(PersonalValue.id.in_(ids[start : start + CHUNK]))
        )
    if plan.shred:
        # Ranged: the batch is a range of subjects in id order, so a chunk's range holds no
        # more than the batch, which its plan has read whole already.
        present = destruction.delete_subjects(session=session, subject_ids=plan.shred, ranged=True)
        if len(present) != len(plan.shred):
            raise SweepConflict("a subject of the batch was removed meanwhile", field="sweep")


def _categories(removals: Iterable[Removal]) -> dict[str, set[str]]:
    """subject -> the categories ``removals`` take from them."""
    categories: dict[str, set[str]] = {}
    for r in removals:
        categories.setdefault(r.subject_id, set()).update(r.categories)
    return categories


def _events(plan: Plan, shredded: set[str], run_id: str) -> Iterable[audit.Event]:
    """One event per subject and purpose, except plain destruction of a shredded subject,
    which ``shred``'s own ``destroy`` event already journals."""
    for r in plan.removals:
        if r.subject_id in shredded and r.action == "destroy":
            continue
        yield audit.Event(
            r.action,
            ACTOR,
            r.subject_id,
            r.purpose,
            sorted(r.categories),
            details={"reason": r.reason, "values": len(r.value_ids), "sweep": run_id},
        )


def _count_anonymised(session: Session, removals: Sequence[Removal]) -> None:
    counts: Counter[tuple[str, str, str]] = Counter()
    for r in removals:
        for (category, month), n in (r.months or {}).items():
            counts[(r.purpose, category, month)] += n
    if not counts:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(sa.Table, AnonymisedCount.__table__)
    for (purpose, category, month), n in counts.items():
        statement = insert(table).values(purpose=purpose, category=category, month=month, values=n)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["purpose", "category", "month"],
                set_={"values": table.c["values"] + statement.excluded["values"]},
            )
        )


def batch_items(plan: Plan, run_id: str) -> list[dict[str, object]]:
    """The batch's line per subject for the run's act (see ``SweepItem``)."""
    joined: dict[tuple[str, ...], str] = {}
    lines = "\n".join(
        f"{s}\t{joined.get(c) or joined.setdefault(c, ','.join(c))}"
        for s, c in plan.listed().items()
    )
    return [{"run_id": run_id, "entries": lines}] if lines else []
