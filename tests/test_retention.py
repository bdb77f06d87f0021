"""Retention sweeps: each rule kind, survival across purposes, legal holds, anonymisation,
dry runs, crash and resume, and the one act per run — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from lawful import audit
from lawful.audit.models import AuditEvent
from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.consent.models import ConsentRecord
from lawful.context import WorkerContext
from lawful.destruction import dependents
from lawful.destruction.models import DestroyedSubject, DestructionAct
from lawful.errors import NotFound, PolicyViolation
from lawful.retention import runs, service, sweep
from lawful.retention.jobs import sweep as sweep_job
from lawful.retention.models import AnonymisedCount, SweepItem, SweepRun
from lawful.retention.rules import minus_period
from lawful.subjects.models import PersonalValue, Subject
from lawful.subjects.service import create_subject, record

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
EMAIL = "olga.retained@example.ru"
NAME = "Olga Retained"
POLICY_YAML = """
operator:
  legal_name: Example LLC
  address: 1 Example St, Moscow
  country: RU
  jurisdictions: [ru]
  languages: [en]
  requests_email: privacy@example.org
  dpo: {name: Ivan Petrov}
categories:
  user.name: {}
  user.contact.email: {}
  user.contact.phone_number: {}
  user.content.private: {}
purposes:
  orders:
    name: Orders
    data_use: essential.service
    subjects: [customer]
    legal_basis: contract
    categories: [user.name, user.contact.email]
    retention: {kind: until_event, event: order_closed, grace_days: 30}
  billing:
    name: Billing
    data_use: essential.service
    subjects: [customer]
    legal_basis: legal_obligation
    categories: [user.name]
    retention: {kind: legal_period, years: 5, source: 402-FZ Art. 29}
  newsletter:
    name: Newsletter
    data_use: marketing.communications.email
    subjects: [customer]
    legal_basis: consent
    categories: [user.contact.email]
    consent:
      kind: marketing
      text: {en: I agree to the newsletter}
    retention: {kind: until_withdrawal, grace_days: 10}
  support:
    name: Support
    data_use: essential.service
    subjects: [customer]
    legal_basis: contract
    categories: [user.content.private, user.contact.phone_number]
    retention: {kind: since_last_interaction, months: 12, on_expiry: anonymise}
  calls:
    name: Calls
    data_use: essential.service
    subjects: [customer]
    legal_basis: contract
    categories: [user.contact.phone_number]
    retention: {kind: since_collection, days: 90}
"""


def make_policy(extra: str = "") -> Policy:
    return load_policy_text(POLICY_YAML + extra, "lawful.yaml").policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return make_policy()


def person(sessions, ring, policy, holdings: dict[str, tuple[dict[str, str], datetime]]) -> str:
    """A subject holding values per purpose, each collected at its own time."""
    with sessions.begin() as session:
        subject_id = create_subject(session=session, ring=ring, actor="t", now=NOW)
        for purpose, (values, at) in holdings.items():
            record(
                session=session,
                ring=ring,
                policy=policy,
                subject_id=subject_id,
                purpose=purpose,
                values=values,
                actor="t",
                now=at,
            )
    return subject_id


def held_purposes(sessions, subject_id: str) -> dict[str, int]:
    with sessions() as session:
        rows = session.execute(
            sa.select(PersonalValue.purpose, sa.func.count())
            .where(PersonalValue.subject_id == subject_id)
            .group_by(PersonalValue.purpose)
        ).all()
    return {purpose: count for purpose, count in rows}


def exists(sessions, subject_id: str) -> bool:
    with sessions() as session:
        return session.get(Subject, subject_id) is not None


def sweep_now(sessions, policy, now=NOW, **kw) -> sweep.SweepReport:
    return runs.run_sweep(sessions, policy, now=now, **kw)


def withdraw(sessions, subject_id: str, purpose: str, at: datetime) -> None:
    """A current, withdrawn consent (as ``consent.service.withdraw`` leaves it)."""
    with sessions.begin() as session:
        session.add(
            ConsentRecord(
                id=subject_id[:16] + purpose[:16],
                subject_id=subject_id,
                purpose=purpose,
                kind="marketing",
                state="withdrawn",
                is_current=True,
                method="checkbox",
                channel="web_form",
                given_at=at - timedelta(days=100),
                state_changed_at=at,
                jurisdictions=["ru"],
            )
        )


def event(sessions, policy, subject_id: str, name: str, at: datetime) -> None:
    with sessions.begin() as session:
        service.record_event(
            session=session, policy=policy, subject_id=subject_id, event=name, at=at, actor="t"
        )


# --- each rule kind ------------------------------------------------------------------------


def test_since_collection_removes_only_values_older_than_the_period(sessions, ring, policy):
    old = person(
        sessions,
        ring,
        policy,
        {"calls": ({"user.contact.phone_number": "+7 900"}, NOW - timedelta(days=91))},
    )
    new = person(
        sessions,
        ring,
        policy,
        {"calls": ({"user.contact.phone_number": "+7 901"}, NOW - timedelta(days=89))},
    )
    sweep_now(sessions, policy)
    assert not exists(sessions, old)
    assert held_purposes(sessions, new) == {"calls": 1}


def test_since_last_interaction_counts_from_the_latest_value_or_event(sessions, ring, policy):
    stale = {"support": ({"user.content.private": "my router"}, NOW - timedelta(days=400))}
    quiet = person(sessions, ring, policy, stale)
    active = person(
        sessions,
        ring,
        policy,
        {**stale, "orders": ({"user.name": NAME}, NOW - timedelta(days=20))},
    )
    sweep_now(sessions, policy)
    assert not exists(sessions, quiet)
    assert held_purposes(sessions, active) == {"support": 1, "orders": 1}


def test_until_withdrawal_waits_for_the_grace_period(sessions, ring, policy):
    long_ago = person(
        sessions,
        ring,
        policy,
        {"newsletter": ({"user.contact.email": EMAIL}, NOW - timedelta(days=200))},
    )
    recent = person(
        sessions,
        ring,
        policy,
        {"newsletter": ({"user.contact.email": "b@example.ru"}, NOW - timedelta(days=200))},
    )
    given = person(
        sessions,
        ring,
        policy,
        {"newsletter": ({"user.contact.email": "c@example.ru"}, NOW - timedelta(days=200))},
    )
    withdraw(sessions, long_ago, "newsletter", NOW - timedelta(days=11))
    withdraw(sessions, recent, "newsletter", NOW - timedelta(days=9))
    sweep_now(sessions, policy)
    assert held_purposes(sessions, long_ago) == {}
    assert held_purposes(sessions, recent) == {"newsletter": 1}
    assert held_purposes(sessions, given) == {"newsletter": 1}


def test_until_event_counts_grace_from_the_purpose_achieved_event(sessions, ring, policy):
    holdings = {
        "orders": ({"user.name": NAME, "user.contact.email": EMAIL}, NOW - timedelta(days=400))
    }
    closed_long_ago, closed_lately, open_order = (
        person(sessions, ring, policy, holdings) for _ in range(3)
    )
    event(sessions, policy, closed_long_ago, "order_closed", NOW - timedelta(days=31))
    event(sessions, policy, closed_lately, "order_closed", NOW - timedelta(days=29))
    sweep_now(sessions, policy)
    assert not exists(sessions, closed_long_ago)
    assert held_purposes(sessions, closed_lately) == {"orders": 2}
    assert held_purposes(sessions, open_order) == {"orders": 2}


def test_a_legal_period_runs_in_calendar_years(sessions, ring, policy):
    five_years = minus_period(NOW, policy.purposes["billing"].retention)
    assert five_years == datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
    old = person(
        sessions,
        ring,
        policy,
        {"billing": ({"user.name": NAME}, five_years - timedelta(seconds=1))},
    )
    kept = person(
        sessions, ring, policy, {"billing": ({"user.name": NAME}, five_years + timedelta(days=1))}
    )
    sweep_now(sessions, policy)
    assert not exists(sessions, old)
    assert held_purposes(sessions, kept) == {"billing": 1}


def test_unknown_events_are_refused_naming_the_fix(sessions, ring, policy):
    subject_id = person(sessions, ring, policy, {})
    with pytest.raises(PolicyViolation, match="order_closed.*until_event"):
        event(sessions, policy, subject_id, "account_deleted", NOW)
    with pytest.raises(NotFound):
        event(sessions, policy, "0" * 32, "order_closed", NOW)


# --- several purposes, holds, anonymisation --------------------------------------------------


def test_data_held_for_several_purposes_lives_until_the_last_purpose_ends(sessions, ring, policy):
    subject_id = person(
        sessions,
        ring,
        policy,
        {
            "orders": ({"user.name": NAME}, NOW - timedelta(days=400)),
            "billing": ({"user.name": NAME}, NOW - timedelta(days=400)),
        },
    )
    event(sessions, policy, subject_id, "order_closed", NOW - timedelta(days=60))
    first = sweep_now(sessions, policy)
    assert held_purposes(sessions, subject_id) == {"billing": 1}
    assert first.shredded == 0
    later = NOW + timedelta(days=365 * 5)
    second = sweep_now(sessions, policy, now=later)
    assert not exists(sessions, subject_id)
    assert second.shredded == 1


def test_a_subject_with_a_consent_in_force_keeps_the_record_of_it(sessions, ring, policy):
    subject_id = person(
        sessions,
        ring,
        policy,
        {"calls": ({"user.contact.phone_number": "+7 9"}, NOW - timedelta(days=100))},
    )
    with sessions.begin() as session:
        session.add(
            ConsentRecord(
                id="c" * 32,
                subject_id=subject_id,
                purpose="newsletter",
                kind="marketing",
                state="given",
                is_current=True,
                method="checkbox",
                channel="web_form",
                given_at=NOW,
                state_changed_at=NOW,
                jurisdictions=["ru"],
            )
        )
    sweep_now(sessions, policy)
    assert exists(sessions, subject_id)
    assert held_purposes(sessions, subject_id) == {}


def test_a_legal_hold_on_a_subject_stops_destruction_and_says_why(sessions, ring, policy):
    holdings = {"calls": ({"user.contact.phone_number": "+7 900"}, NOW - timedelta(days=100))}
    held, free = person(sessions, ring, policy, holdings), person(sessions, ring, policy, holdings)
    with sessions.begin() as session:
        hold_id = service.place_hold(
            session=session,
            policy=policy,
            subject_id=held,
            purpose=None,
            reason="court case A40-1/2026",
            at=NOW,
            actor="t",
        )
    report = sweep_now(sessions, policy)
    assert report.held == {("calls", "court case A40-1/2026"): 1}
    assert held_purposes(sessions, held) == {"calls": 1}
    assert not exists(sessions, free)
    with sessions.begin() as session:
        service.release_hold(session=session, hold_id=hold_id, actor="t")
    sweep_now(sessions, policy)
    assert not exists(sessions, held)


def test_a_legal_hold_in_the_config_stops_a_whole_purpose(sessions, ring):
    text = POLICY_YAML.replace(
        "retention: {kind: since_collection, days: 90}",
        "retention: {kind: since_collection, days: 90, legal_hold: tax audit 2026}",
    )
    held_policy = load_policy_text(text, "lawful.yaml").policy
    subject_id = person(
        sessions,
        ring,
        held_policy,
        {"calls": ({"user.contact.phone_number": "+7 9"}, NOW - timedelta(days=100))},
    )
    report = runs.preview(sessions, held_policy, now=NOW)
    assert report.held == {("calls", "tax audit 2026"): 1}
    sweep_now(sessions, held_policy)
    assert held_purposes(sessions, subject_id) == {"calls": 1}


def test_holds_need_a_reason_and_a_declared_purpose(sessions, ring, policy):
    subject_id = person(sessions, ring, policy, {})
    with sessions.begin() as session, pytest.raises(PolicyViolation, match="reason"):
        service.place_hold(
            session=session,
            policy=policy,
            subject_id=subject_id,
            purpose=None,
            reason="  ",
            at=NOW,
            actor="t",
        )
    with sessions.begin() as session, pytest.raises(PolicyViolation, match="not declared"):
        service.place_hold(
            session=session,
            policy=policy,
            subject_id=subject_id,
            purpose="nope",
            reason="x",
            at=NOW,
            actor="t",
        )


def test_anonymise_keeps_counts_and_no_values(sessions, ring, policy):
    at = NOW - timedelta(days=400)
    support = {
        "support": ({"user.content.private": "my router", "user.contact.phone_number": "+7 9"}, at)
    }
    first, second = person(sessions, ring, policy, support), person(sessions, ring, policy, support)
    report = sweep_now(sessions, policy)
    assert not exists(sessions, first) and not exists(sessions, second)
    assert report.values == {("support", "anonymise", "12 months since last interaction"): 4}
    with sessions() as session:
        counts = {
            (c.purpose, c.category, c.month): c.values
            for c in session.scalars(sa.select(AnonymisedCount))
        }
        actions = session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.subject_ref == first)
        ).all()
    month = f"{at:%Y-%m}"
    assert counts == {
        ("support", "user.content.private", month): 2,
        ("support", "user.contact.phone_number", month): 2,
    }
    assert "anonymise" in actions and "destroy" in actions


# --- dry run, crash and resume, the act ------------------------------------------------------


def snapshot(sessions) -> tuple[int, int, int]:
    with sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in (PersonalValue, AuditEvent, SweepRun)
        )


def test_a_dry_run_reports_by_purpose_and_reason_and_changes_nothing(sessions, ring, policy):
    old = NOW - timedelta(days=100)
    for _ in range(3):
        person(sessions, ring, policy, {"calls": ({"user.contact.phone_number": "+7 9"}, old)})
    before = snapshot(sessions)
    report = runs.preview(sessions, policy, now=NOW)
    assert snapshot(sessions) == before
    assert report.values == {("calls", "destroy", "90 days since collection"): 3}
    assert report.subjects == {("calls", "destroy", "90 days since collection"): 3}
    assert report.shredded == 3


def failing_the_second_time(real: Callable[..., Any], error: str) -> Callable[..., Any]:
    """``real``, except that its second call (the second batch's) raises ``error``."""
    calls = []

    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError(error)
        return real(*args, **kwargs)

    return call


@pytest.mark.parametrize(
    "failing", ["_count", "remove_planned", "plan_batch"], ids=["applying", "deleting", "planning"]
)
def test_a_crashed_sweep_resumes_without_double_work_and_ends_in_one_act(
    sessions, ring, policy, monkeypatch, failing
):
    """The second batch fails while being applied, deleted or planned. (On PostgreSQL a batch
    is planned and deleted while the one before it commits in another thread: that one
    still commits, and nothing after it.)"""
    old = NOW - timedelta(days=100)
    # In the sweep's order, by id: ids made in the same millisecond need not follow creation.
    people = sorted(
        person(sessions, ring, policy, {"calls": ({"user.contact.phone_number": f"+7 90{i}"}, old)})
        for i in range(5)
    )
    real = getattr(runs, failing)
    monkeypatch.setattr(runs, failing, failing_the_second_time(real, "power cut"))
    with pytest.raises(RuntimeError, match="power cut"):
        sweep_now(sessions, policy, batch=2)
    assert [exists(sessions, p) for p in people] == [False, False, True, True, True]
    with sessions() as session:
        run = session.scalars(sa.select(SweepRun)).one()
        assert (run.status, run.cursor, run.destroyed_values) == ("running", people[1], 2)
        assert run.batches == 1
    monkeypatch.setattr(runs, failing, real)
    report = sweep_now(sessions, policy, now=NOW + timedelta(hours=1), batch=2)
    assert report.resumed and report.as_of == NOW  # the rules are read at the run's instant
    with sessions() as session:
        acts = session.scalars(sa.select(DestructionAct)).all()
        listed = session.scalars(sa.select(DestroyedSubject.subject_ref)).all()
        destroys = session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "destroy")
        )
        run = session.scalars(sa.select(SweepRun)).one()
        leftovers = session.scalar(sa.select(sa.func.count()).select_from(SweepItem))
    assert len(acts) == 1 and sorted(listed) == sorted(people)
    assert destroys == 5 and leftovers == 0
    assert (run.status, run.destroyed_values, run.shredded_subjects) == ("done", 5, 5)
    assert run.act_id == acts[0].id
    assert sweep_now(sessions, policy, now=NOW + timedelta(hours=2)).act_number is None


def test_a_sweep_of_many_batches_deleting_set_based_journals_every_subject(
    engine, sessions, ring, policy, monkeypatch
):
    """Batches overlapping (PostgreSQL) and subjects deleted set-based: each subject has its
    one ``destroy`` event, the chain verifies and the one act lists everyone."""
    monkeypatch.setattr(dependents, "SET_BASED_FROM", 1)
    old = NOW - timedelta(days=100)
    people = [
        person(sessions, ring, policy, {"calls": ({"user.contact.phone_number": f"+7 92{i}"}, old)})
        for i in range(7)
    ]
    kept = person(sessions, ring, policy, {"calls": ({"user.contact.phone_number": "+7 93"}, NOW)})
    report = sweep_now(sessions, policy, batch=3)
    assert report.shredded == 7 and report.act_number
    assert [exists(sessions, p) for p in people] == [False] * 7 and exists(sessions, kept)
    with sessions() as session:
        destroyed = session.scalars(
            sa.select(AuditEvent.subject_ref).where(AuditEvent.action == "destroy")
        ).all()
        listed = session.execute(
            sa.select(DestroyedSubject.subject_ref, DestroyedSubject.categories).order_by(
                DestroyedSubject.id
            )
        ).all()
        run = session.scalars(sa.select(SweepRun)).one()
        extract = json.loads(session.scalars(sa.select(DestructionAct.log_extract)).one())
    assert sorted(destroyed) == sorted(people)
    assert [(line["subject_identifier"], line["data_categories"]) for line in extract] == [
        (p, "user.contact.phone_number") for p in sorted(people)
    ]
    # in the order swept, each with the categories it lost
    assert [tuple(row) for row in listed] == [
        (p, "user.contact.phone_number") for p in sorted(people)
    ]
    assert (run.status, run.batches, run.destroyed_values) == ("done", 3, 7)
    assert audit.verify(engine).ok


def test_two_sweepers_never_sweep_the_same_batch(sessions, ring, policy):
    with sessions.begin() as session:
        run, _ = runs._start_or_resume(session, NOW)
        run_id = run.id
    with sessions.begin() as session:
        runs._advance(session, run_id, "", "a")
    with sessions.begin() as session, pytest.raises(sweep.SweepConflict):
        runs._advance(session, run_id, "", "a")


def test_the_act_lists_what_went_and_nothing_personal_is_written(sessions, ring, policy):
    old = NOW - timedelta(days=400)
    gone = person(
        sessions, ring, policy, {"calls": ({"user.contact.phone_number": "+7 900 111"}, old)}
    )
    partly = person(
        sessions,
        ring,
        policy,
        {
            "orders": ({"user.name": NAME, "user.contact.email": EMAIL}, old),
            "billing": ({"user.name": NAME}, old),
        },
    )
    event(sessions, policy, partly, "order_closed", NOW - timedelta(days=31))
    report = sweep_now(sessions, policy)
    assert held_purposes(sessions, partly) == {"billing": 1}
    with sessions() as session:
        act = session.scalars(sa.select(DestructionAct)).one()
        listed = {s.subject_ref: s.categories for s in session.scalars(sa.select(DestroyedSubject))}
        bodies = " ".join(session.scalars(sa.select(AuditEvent.body)))
    assert report.act_number == act.number
    assert listed == {gone: "user.contact.phone_number", partly: "user.contact.email,user.name"}
    assert act.destroyed_by == "Ivan Petrov"
    assert "orders: order_closed + 30 days, then destroy" in act.reason
    written = " ".join([bodies, act.log_extract, act.reason, act.categories, act.method])
    for secret in (NAME, EMAIL, "+7 900 111", "Olga"):
        assert secret not in written


def test_the_worker_sweeps_on_its_clock(engine, sessions, ring, policy):
    subject_id = person(
        sessions,
        ring,
        policy,
        {"calls": ({"user.contact.phone_number": "+7 9"}, NOW - timedelta(days=100))},
    )
    sweep_job({}, WorkerContext(engine, sessions, policy, clock=lambda: NOW))
    assert not exists(sessions, subject_id)
    with sessions() as session:
        assert session.scalars(sa.select(SweepRun.status)).one() == "done"


def test_the_0008_migration_matches_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lawful.store.db import Base

    tables = ("retention_events", "legal_holds", "sweep_runs", "sweep_items", "anonymised_counts")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert [d for d in differences if any(f"'{t}'" in repr(d) for t in tables)] == []
