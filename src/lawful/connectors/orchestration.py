"""Carrying a data-subject request into every connector, through the job system.

:func:`hold` is the hook :func:`lawful.requests.flows.act` calls before acting: the first time,
it *fans out* — one :class:`ConnectorRun` and one ``connectors.run`` job per connector whose
recipient holds the subject's categories, each call passing the transfer gate and logged as a
transfer of the identifier to that recipient — and it returns the runs not yet finished, so
that lawful acts on its own store (and writes the report or the destruction act) only when
every connector is done or a person has resolved it. :func:`execute` is the worker's side:
temporary failures are retried with backoff by the job queue until the connector's
``max_attempts``; a permanent failure, exhausted retries, or a system that cannot finish alone
(no delete API) leave the run ``manual`` with the reason, for a person to :func:`resolve`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from lawful import jobs
from lawful.config.models import Policy
from lawful.connectors.contract import Action, Connector, Identity, Result
from lawful.connectors.models import ConnectorRun
from lawful.connectors.registry import Registry, holding
from lawful.crypto.keyring import Keyring
from lawful.crypto.normalise import normalise_identifier
from lawful.destruction.service import SystemErasure
from lawful.errors import ConnectorFailure, InvalidTransition, NotFound, TransferRefused
from lawful.requests import service as requests
from lawful.requests.models import Request
from lawful.requests.response import Said
from lawful.subjects.models import PersonalValue
from lawful.transfers.service import transfer

RUN_JOB = "connectors.run"
#: Request kind -> what each connector is asked to do (others touch lawful's store only).
ACTION_OF: dict[str, Action] = {
    "access": "access",
    "transfer_info": "access",
    "portability": "access",
    "rectification": "rectify",
    "restriction": "block",
    "unblocking": "unblock",
    "erasure": "erase",
}
IDENTITY_CATEGORY = {"email": "user.contact.email", "phone": "user.contact.phone_number"}


# --- fan-out ---------------------------------------------------------------------------------


def hold(
    *, session: Session, ring: Keyring, policy: Policy, request_id: str, actor: str, now: datetime
) -> list[ConnectorRun]:
    """Fan the request out (once) and return its runs that are not done yet."""
    request = requests.get(session, request_id)
    action = ACTION_OF.get(request.kind)
    if action is None or not policy.connectors:
        return []
    runs = runs_of(session, request_id)
    if not runs:
        runs = _fan_out(session, ring, policy, request, action, actor, now)
    return [r for r in runs if r.state != "done"]


def _fan_out(
    session: Session,
    ring: Keyring,
    policy: Policy,
    request: Request,
    action: Action,
    actor: str,
    now: datetime,
) -> list[ConnectorRun]:
    # A person lawful does not know may still be in the operator's other systems: ask them all.
    categories = (
        frozenset(_categories_of(session, request.subject_id)) if request.subject_id else None
    )
    kept = _kept(session, policy, request, action)
    runs = []
    for key in holding(policy, categories):
        run = ConnectorRun(
            request_id=request.id,
            connector=key,
            action=action,
            state="queued",
            attempts=0,
            counts={},
            categories=[],
            pending=[],
            note="",
            created_at=now,
            updated_at=now,
        )
        if policy.connectors[key].purpose in kept:
            # The same legal obligation that keeps the data here keeps it there.
            run.state, run.note = (
                "done",
                f"kept: {policy.connectors[key].purpose} (legal obligation)",
            )
        else:
            _disclose(session, ring, policy, request, run, actor, now)
        session.add(run)
        session.flush()
        if run.state == "queued":
            jobs.enqueue(
                session,
                RUN_JOB,
                {"run_id": run.id},
                unique_key=f"{RUN_JOB}:{run.id}",
                max_attempts=policy.connectors[key].max_attempts,
            )
        runs.append(run)
    if runs:
        if request.state == "verified":
            requests.move(session, request, "in_progress", actor, now)
        requests.note(
            session, request, "connectors", actor, now, ", ".join(r.connector for r in runs)
        )
    return runs


def _kept(session: Session, policy: Policy, request: Request, action: Action) -> set[str]:
    """Purposes an erasure must keep (the answer says it is partly granted, and why)."""
    if action != "erase" or request.subject_id is None:
        return set()
    return set(requests.held_purposes(session, policy, str(request.subject_id)))


def _disclose(
    session: Session,
    ring: Keyring,
    policy: Policy,
    request: Request,
    run: ConnectorRun,
    actor: str,
    now: datetime,
) -> None:
    """The identifier (and a rectified value) go to the connector's recipient: a transfer."""
    declared = policy.connectors[run.connector]
    sent = [IDENTITY_CATEGORY[request.identifier_kind]]
    if run.action == "rectify":
        sent.append(str(requests.contents(ring, request)["details"]["category"]))
    try:
        transfer(
            session=session,
            policy=policy,
            # A person only the recipient knows is logged under the request's reference.
            subject_id=str(request.subject_id or request.id),
            recipient=declared.recipient,
            purpose=declared.purpose,
            categories=sorted(set(sent)),
            actor=actor,
            now=now,
            rights=True,  # the person's own request: carried even if blocked or withdrawn
        )
    except TransferRefused as refused:
        run.state, run.note = "manual", f"transfer refused: {refused.condition}"


def _categories_of(session: Session, subject_id: str) -> set[str]:
    return set(
        session.scalars(
            sa.select(PersonalValue.category)
            .where(PersonalValue.subject_id == subject_id)
            .distinct()
        )
    )


def runs_of(session: Session, request_id: str) -> list[ConnectorRun]:
    return list(session.scalars(_RUNS_OF, {"request_id": request_id}))


# Built once: every access report and every operator's view of a request asks. The two
# read-only questions are plain statements on the transaction's connection (no ORM objects
# are made: most requests have no runs, and the ORM's execution path cost twice as much).
_RUNS_OF = (
    sa.select(ConnectorRun)
    .where(ConnectorRun.request_id == sa.bindparam("request_id"))
    .order_by(ConnectorRun.id)
)
_STATUS_OF = (
    sa.select(
        ConnectorRun.id.label("run"),
        ConnectorRun.connector,
        ConnectorRun.action,
        ConnectorRun.state,
        ConnectorRun.attempts,
        ConnectorRun.counts,
        ConnectorRun.note,
        ConnectorRun.person,
    )
    .where(ConnectorRun.request_id == sa.bindparam("request_id"))
    .order_by(ConnectorRun.id)
)
_FOUND_BY = (
    sa.select(ConnectorRun.found_sealed)
    .where(
        ConnectorRun.request_id == sa.bindparam("request_id"),
        ConnectorRun.found_sealed.is_not(None),
    )
    .order_by(ConnectorRun.id)
)


# --- the worker's side ----------------------------------------------------------------------


def execute(
    *,
    sessions: sessionmaker[Session],
    ring: Keyring,
    registry: Registry,
    run_id: int,
    now: datetime,
) -> str:
    """Run one connector call; return the run's new state. Raises ConnectorFailure for a
    temporary failure with attempts left, so that the job queue retries it with backoff."""
    with sessions.begin() as session:
        run = _get_run(session, run_id)
        if run.state != "queued":
            return run.state  # a re-run of a finished job changes nothing
        request = requests.get(session, run.request_id)
        identity, changes = _identity(ring, request)
    connector = registry.get(run.connector)
    try:
        result, found = _call(connector, run.action, identity, changes)
    except ConnectorFailure as failure:
        return _failed(sessions, run_id, failure, registry.policy, now)
    with sessions.begin() as session:
        run = _get_run(session, run_id)
        run.categories = sorted(connector.categories())
        return _succeeded(session, ring, run, result, found, now)


def _identity(ring: Keyring, request: Request) -> tuple[Identity, dict[str, str]]:
    contents = requests.contents(ring, request)
    kind = request.identifier_kind
    identity = Identity(kind, normalise_identifier(kind, contents["identifier"]))  # type: ignore[arg-type]
    details = contents.get("details") or {}
    changes = {details["category"]: details["value"]} if "category" in details else {}
    return identity, changes


def _call(
    connector: Connector, action: str, identity: Identity, changes: dict[str, str]
) -> tuple[Result, list[dict[str, str]]]:
    if action == "access":
        found = connector.access(identity)
        counts: dict[str, int] = {}
        for item in found:
            counts[item.location] = counts.get(item.location, 0) + 1
        return Result(counts=counts), [vars(item) for item in found]
    if action == "rectify":
        return connector.rectify(identity, changes), []
    if action == "erase":
        return connector.erase(identity), []
    if action == "block":
        return connector.block(identity), []
    return connector.unblock(identity), []


def _failed(
    sessions: sessionmaker[Session],
    run_id: int,
    failure: ConnectorFailure,
    policy: Policy,
    now: datetime,
) -> str:
    with sessions.begin() as session:
        run = _get_run(session, run_id)
        run.attempts += 1
        run.updated_at = now
        limit = policy.connectors[run.connector].max_attempts
        if not failure.permanent and run.attempts < limit:
            run.note = f"attempt {run.attempts} failed: {failure.message}"
            retry = True
        else:
            run.state = "manual"
            why = "permanent failure" if failure.permanent else f"{run.attempts} attempts failed"
            run.note = f"{why}: {failure.message}"
            retry = False
    if retry:
        raise failure
    return "manual"


def _succeeded(
    session: Session,
    ring: Keyring,
    run: ConnectorRun,
    result: Result,
    found: list[dict[str, str]],
    now: datetime,
) -> str:
    run.attempts += 1
    run.counts, run.updated_at = dict(result.counts), now
    if found:
        key = requests.key_of(ring, requests.get(session, run.request_id))
        run.found_sealed = key.seal_json(found, "connector-found")
    run.pending = list(result.pending)
    run.state = "manual" if result.manual else "done"
    run.note = result.manual or result.method
    return run.state


def _get_run(session: Session, run_id: int) -> ConnectorRun:
    run = session.get(ConnectorRun, run_id)
    if run is None:
        raise NotFound(f"no connector run {run_id}", field="run")
    return run


# --- a person's part, and what the request's documents show ---------------------------------


def resolve(
    *, session: Session, run_id: int, person: str, note: str, now: datetime
) -> ConnectorRun:
    """A person confirms that a run left for manual handling is done (what they did in
    ``note``: names and references, not the person's data)."""
    run = _get_run(session, run_id)
    if run.state != "manual":
        raise InvalidTransition(f"run {run_id} is {run.state}, not manual", field="run")
    if not person.strip() or not note.strip():
        raise InvalidTransition("say who resolved it and how", field="person")
    run.state, run.person, run.updated_at = "done", person, now
    run.note = f"{run.note} — resolved by {person}: {note}"
    request = requests.get(session, run.request_id)
    requests.note(session, request, "connector_resolved", person, now, run.connector)
    return run


def confirm_deleted(
    *, session: Session, connector: str, refs: Sequence[str], person: str, now: datetime
) -> list[ConnectorRun]:
    """The system says records ``refs`` are done with (Kommo's ``delete_contact`` webhook, a
    service's callback): strike them from every manual run of ``connector``; a run with nothing
    pending is done."""
    finished = []
    for run in session.scalars(
        sa.select(ConnectorRun).where(
            ConnectorRun.connector == connector, ConnectorRun.state == "manual"
        )
    ):
        left = [ref for ref in run.pending if ref not in set(refs)]
        if left == run.pending:
            continue
        run.pending, run.updated_at = left, now
        if not left:
            run.state, run.person = "done", person
            run.note = f"{run.note} — confirmed by {person}"
            finished.append(run)
    return finished


def add_counts(run: ConnectorRun, counts: Mapping[str, int]) -> None:
    merged = dict(run.counts)
    for place, count in counts.items():
        merged[place] = int(merged.get(place, 0)) + int(count)
    run.counts = merged


def found_for(session: Session, ring: Keyring, request: Request) -> list[dict[str, str]]:
    """Every value the connectors found for an access request (for the access report)."""
    rows = session.connection().execute(_FOUND_BY, {"request_id": request.id})
    sealed = [one for one in rows.scalars() if one is not None]  # the statement's own filter
    if not sealed:  # no connector found anything: the request's key is not even opened
        return []
    key = requests.key_of(ring, request)
    found: list[dict[str, str]] = []
    for one in sealed:
        found += key.open_json(one, "connector-found")
    return found


def erasures_for(session: Session, request_id: str) -> list[SystemErasure]:
    return [
        SystemErasure(
            run.connector,
            tuple(run.categories),
            sum(int(v) for v in run.counts.values()),
            run.note,
        )
        for run in runs_of(session, request_id)
        if run.action == "erase" and run.state == "done"
    ]


def status(session: Session, request_id: str) -> list[dict[str, Any]]:
    """Each connector's state, attempts and result for one request (no personal data)."""
    rows = session.connection().execute(_STATUS_OF, {"request_id": request_id})
    return [{**row._asdict(), "counts": dict(row.counts)} for row in rows]


def describe_waiting(runs: Sequence[ConnectorRun]) -> Said:
    """What the request is waiting for, as a statement of its answer."""
    systems = ", ".join(f"{r.connector} ({r.state})" for r in runs)
    return Said("waiting_connectors", {"systems": systems})
