"""May this person be contacted or processed for this purpose? One subject, or a million.

Reasons are stable codes (docs/contracts-issue3.md): ``allowed:consent``,
``allowed:<legal_basis>``, ``refused:no-consent``, ``refused:withdrawn``, ``refused:expired``,
``refused:renewal-needed``, ``refused:blocked``, ``refused:objection``,
``refused:unknown-subject``, plus ``refused:invalidated`` and ``refused:invalid-identifier``.

The bulk path (:func:`check_identifiers`) is built for mailing lists of a million addresses:
e-mails are normalised by a fast path that gives exactly what
:func:`lawful.crypto.normalise.normalise_identifier` gives for plain ASCII addresses (and falls
back to it for anything else), blind indexes are HMAC-SHA256 from precomputed pad states, and
subjects and consent states come from a few set-based queries instead of one per address.

With ``workers`` (the CLI's ``lawful consent filter`` uses every core) the hashing and look-ups
run in forked worker processes that inherit the loaded answers, and send back one byte per
address.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.config.models import Policy, Purpose
from lawful.consent.models import ConsentRecord
from lawful.crypto.envelope import blind_index
from lawful.crypto.keyring import Keyring
from lawful.crypto.normalise import PLAIN_EMAIL, normalise_identifier
from lawful.errors import PolicyViolation
from lawful.subjects.models import Identifier, Subject


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str


ALLOWED_BY_CONSENT = Eligibility(True, "allowed:consent")
NO_CONSENT = Eligibility(False, "refused:no-consent")
WITHDRAWN = Eligibility(False, "refused:withdrawn")
EXPIRED = Eligibility(False, "refused:expired")
RENEWAL_NEEDED = Eligibility(False, "refused:renewal-needed")
INVALIDATED = Eligibility(False, "refused:invalidated")
BLOCKED = Eligibility(False, "refused:blocked")
OBJECTION = Eligibility(False, "refused:objection")
UNKNOWN_SUBJECT = Eligibility(False, "refused:unknown-subject")
INVALID_IDENTIFIER = Eligibility(False, "refused:invalid-identifier")

#: What the current record's (effective) state means for a purpose that needs consent.
_BY_STATE: dict[str | None, Eligibility] = {
    None: NO_CONSENT,
    "given": ALLOWED_BY_CONSENT,
    "refused": NO_CONSENT,
    "withdrawn": WITHDRAWN,
    "expired": EXPIRED,
    "renewal_needed": RENEWAL_NEEDED,
    "invalidated": INVALIDATED,
}

BULK_CHUNK = 50_000


def needs_consent(purpose: Purpose) -> bool:
    return purpose.legal_basis == "consent" or purpose.consent is not None


def decide(purpose: Purpose, state: str | None) -> Eligibility:
    """The answer for a known, unblocked subject whose current record is in ``state``
    (already ``expired`` if its term has run out; see :func:`effective_state`)."""
    if needs_consent(purpose):
        return _BY_STATE.get(state, NO_CONSENT)
    # Another basis: allowed unless the person objected (a refusal recorded for the purpose).
    return OBJECTION if state == "refused" else Eligibility(True, f"allowed:{purpose.legal_basis}")


def effective_state(now: datetime) -> sa.ColumnElement[str]:
    """The record's state with an elapsed term read as ``expired``, computed by the database."""
    return sa.case(
        (
            sa.and_(
                ConsentRecord.state == "given",
                ConsentRecord.expires_at.is_not(None),
                ConsentRecord.expires_at <= now,
            ),
            sa.literal("expired"),
        ),
        else_=ConsentRecord.state,
    )


def check_subject(
    session: Session, purpose: Purpose, subject_id: str, now: datetime
) -> Eligibility:
    blocked = session.execute(sa.select(Subject.blocked_at).where(Subject.id == subject_id)).first()
    if blocked is None:
        return UNKNOWN_SUBJECT
    if blocked[0] is not None:
        return BLOCKED
    state = session.scalar(
        sa.select(effective_state(now)).where(
            ConsentRecord.subject_id == subject_id,
            ConsentRecord.purpose == purpose.key,
            ConsentRecord.is_current.is_(True),
        )
    )
    return decide(purpose, state)


# --- normalising and indexing in bulk ------------------------------------------------------

_plain = PLAIN_EMAIL.fullmatch


def _pads(index_key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256's inner and outer states after the key block (RFC 2104)."""
    block = 64
    key = hashlib.sha256(index_key).digest() if len(index_key) > block else index_key
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    return inner, hashlib.sha256(bytes(b ^ 0x5C for b in key))


def blind_indexer(index_key: bytes, kind: str) -> Callable[[str], bytes]:
    """``lawful.crypto.envelope.blind_index`` for one kind, with the HMAC pads hashed once."""
    inner, outer = _pads(index_key)
    prefix = f"{kind}\x00".encode()

    def digest(normalised: str) -> bytes:
        h = inner.copy()
        h.update(prefix + normalised.encode())
        o = outer.copy()
        o.update(h.digest())
        return o.digest()

    return digest


def _digests(values: Sequence[str], kind: str, index_key: bytes) -> list[bytes | None]:
    """Blind indexes of ``values`` (None where invalid). The hot loop of the bulk check:
    the fast e-mail path and the HMAC are inlined, with their methods bound once."""
    inner, outer = _pads(index_key)
    new_inner, new_outer, prefix = inner.copy, outer.copy, f"{kind}\x00".encode()
    out: list[bytes | None] = []
    append, plain = out.append, _plain
    for value in values:
        folded = value.strip().lower() if kind == "email" else ""
        if not (folded.isascii() and len(folded) <= 254 and plain(folded)):
            try:
                folded = normalise_identifier(kind, value)
            except PolicyViolation:
                append(None)
                continue
        h = new_inner()
        h.update(prefix + folded.encode())
        o = new_outer()
        o.update(h.digest())
        append(o.digest())
    return out


# --- set-based look-ups --------------------------------------------------------------------

_IN_CHUNK = 10_000


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _sqlite_rows(session: Session, sql: str, params: tuple[Any, ...]) -> list[Any] | None:
    """On SQLite, run ``sql`` on the driver connection of the session's transaction: a full
    scan (``NOT INDEXED``) read by the driver beats an index walk and SQLAlchemy rows by 4x."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return list(cursor.execute(sql, params).fetchall())
    finally:
        cursor.close()


def _sqlite_instant(at: datetime) -> str:
    """``at`` as SQLAlchemy stores it in SQLite (naive UTC text), for raw comparisons."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _all_owners(session: Session, kind: str) -> dict[bytes, str]:
    raw = _sqlite_rows(
        session, "SELECT digest, subject_id FROM identifiers NOT INDEXED WHERE kind = ?", (kind,)
    )
    if raw is not None:
        return dict(raw)
    rows = session.execute(
        sa.select(Identifier.digest, Identifier.subject_id).where(Identifier.kind == kind)
    )
    return {bytes(d): s for d, s in rows}


def _some_owners(session: Session, kind: str, digests: Sequence[bytes]) -> dict[bytes, str]:
    owners: dict[bytes, str] = {}
    for part in _chunks(digests):
        rows = session.execute(
            sa.select(Identifier.digest, Identifier.subject_id).where(
                Identifier.kind == kind, Identifier.digest.in_(part)
            )
        )
        owners.update((bytes(d), s) for d, s in rows)
    return owners


_SQLITE_STATES = (
    "SELECT subject_id, CASE WHEN state = 'given' AND expires_at IS NOT NULL "
    "AND expires_at <= ? THEN 'expired' ELSE state END "
    "FROM consent_records NOT INDEXED WHERE purpose = ? AND is_current = 1"
)
_SQLITE_BLOCKED = "SELECT id FROM subjects NOT INDEXED WHERE blocked_at IS NOT NULL"


#: The state :func:`_states` gives a blocked subject, whatever its consent record says.
_BLOCKED_STATE = "blocked"


def _answer_of_state(purpose: Purpose) -> dict[str | None, Eligibility]:
    """What each state of :func:`_states` means for ``purpose`` (None: no current record)."""
    return {
        **{state: decide(purpose, state) for state in _BY_STATE},
        _BLOCKED_STATE: BLOCKED,
    }


def _states(
    session: Session, purpose: Purpose, now: datetime, subject_ids: Sequence[str] | None
) -> dict[str, str]:
    """Subject id -> effective state of its current record for ``purpose``, or
    ``_BLOCKED_STATE``, for every subject that has such a record or is blocked (limited to
    ``subject_ids`` when given). Plain strings, not answers: the bulk path codes them for its
    one-byte answers, and an answer object per subject on the way was work for nothing."""
    if subject_ids is None:
        rows = _sqlite_rows(session, _SQLITE_STATES, (_sqlite_instant(now), purpose.key))
        if rows is not None:
            states = dict(rows)
            blocked_rows = _sqlite_rows(session, _SQLITE_BLOCKED, ()) or []
            states.update((sid, _BLOCKED_STATE) for (sid,) in blocked_rows)
            return states
    records = sa.select(ConsentRecord.subject_id, effective_state(now)).where(
        ConsentRecord.purpose == purpose.key, ConsentRecord.is_current.is_(True)
    )
    blocked = sa.select(Subject.id).where(Subject.blocked_at.is_not(None))
    parts: Iterable[list[Any] | None] = [None] if subject_ids is None else _chunks(subject_ids)
    states = {}
    for part in parts:
        limit_r = records if part is None else records.where(ConsentRecord.subject_id.in_(part))
        limit_b = blocked if part is None else blocked.where(Subject.id.in_(part))
        states.update((sid, state) for sid, state in session.execute(limit_r))
        states.update((sid, _BLOCKED_STATE) for (sid,) in session.execute(limit_b))
    return states


def check_identifiers(
    *,
    session: Session,
    ring: Keyring,
    policy: Policy,
    identifiers: Iterable[str],
    purpose: str,
    now: datetime,
    kind: str = "email",
    chunk: int = BULK_CHUNK,
    workers: int = 0,
) -> Iterator[tuple[str, Eligibility]]:
    """Answer for every identifier, in order, as pairs (identifier, answer).

    A short list (under ``chunk``) is looked up by its own digests; a long list of e-mails
    loads the kind's whole blind index and the purpose's current records once, which beats a
    million index probes. Invalid identifiers are answered ``refused:invalid-identifier``.

    ``workers`` > 0 answers a long list in that many forked processes (POSIX only). Fork only
    from a process without other busy threads: the CLI, not the web server. The whole list is
    then read into memory first.
    """
    declared = policy.purpose(purpose)
    iterator = iter(identifiers)
    first = list(islice(iterator, chunk))
    if len(first) < chunk or kind != "email":
        yield from _check_listed(session, ring, declared, chain(first, iterator), kind, now, chunk)
        return
    states = _states(session, declared, now, None)
    coded = _Coded.of(_all_owners(session, kind), states, declared, ring.index_key)
    del states  # the codes hold what is needed: the states need not live while the list is read
    listed = chain(first, iterator)
    if workers > 0 and "fork" in multiprocessing.get_all_start_methods():
        yield from _check_emails_forked(listed, coded, workers)
        return
    yield from _check_emails(listed, coded)


def _check_listed(
    session: Session,
    ring: Keyring,
    purpose: Purpose,
    identifiers: Iterator[str],
    kind: str,
    now: datetime,
    chunk: int,
) -> Iterator[tuple[str, Eligibility]]:
    answer_of = _answer_of_state(purpose)
    while batch := list(islice(identifiers, chunk)):
        digests = _digests(batch, kind, ring.index_key)
        owners = _some_owners(session, kind, [d for d in digests if d is not None])
        states = _states(session, purpose, now, sorted(set(owners.values())))
        for value, digest in zip(batch, digests, strict=True):
            if digest is None:
                yield value, INVALID_IDENTIFIER
                continue
            owner = owners.get(digest)
            if owner is None:
                yield value, UNKNOWN_SUBJECT
            else:
                yield value, answer_of.get(states.get(owner), NO_CONSENT)


# --- the hot loop, in this process or in forked workers ---------------------------------------

_EMAIL_CHUNK = 50_000
#: The answer code of an address the fast path cannot decide: non-ASCII, or an indexed miss that
#: is not a plain address (validated by :func:`_slow_email` to tell unknown from invalid).
_UNDECIDED = 255


@dataclass(frozen=True)
class _Coded:
    """The loaded answers by one-byte code (what a worker sends back), and the HMAC pads."""

    table: list[Eligibility]  # code -> answer; the last one is UNKNOWN_SUBJECT
    codes: dict[bytes, int]  # blind index -> code
    pads: tuple[Any, Any]
    index_key: bytes

    @classmethod
    def of(
        cls,
        owners: dict[bytes, str],
        states: dict[str, str],
        purpose: Purpose,
        index_key: bytes,
    ) -> _Coded:
        """Codes for every indexed address (``owners``: blind index -> subject id) from the
        subjects' ``states`` (see :func:`_states`)."""
        answer_of = _answer_of_state(purpose)
        present = {*states.values(), None}
        answers = {state: answer_of.get(state, NO_CONSENT) for state in present}
        table = [*sorted(set(answers.values()), key=lambda answer: answer.reason), UNKNOWN_SUBJECT]
        code_of = {state: table.index(answer) for state, answer in answers.items()}
        state_of = states.get
        codes = {digest: code_of[state_of(sid)] for digest, sid in owners.items()}
        inner, outer = _pads(index_key)
        inner.update(b"email\x00")
        return cls(table, codes, (inner, outer), index_key)

    def answer(self, normalised: str) -> Eligibility:
        """The answer for an address already normalised (the slow path's)."""
        code = self.codes.get(blind_index(self.index_key, "email", normalised))
        return UNKNOWN_SUBJECT if code is None else self.table[code]


def _answer_codes(values: Sequence[str], coded: _Coded) -> bytes:
    """The hot loop: one answer code per address. An ASCII address whose lower-cased form is
    indexed *is* that subject's normalised address (validity and normalisation of ASCII
    addresses ignore case), so hits need no validation; only misses are checked, to tell
    unknown from invalid."""
    new_inner, new_outer, get = coded.pads[0].copy, coded.pads[1].copy, coded.codes.get
    unknown = len(coded.table) - 1
    out = bytearray()
    for value in values:
        folded = value.strip().lower()
        if not folded.isascii():
            out.append(_UNDECIDED)
            continue
        h = new_inner()
        h.update(folded.encode())
        o = new_outer()
        o.update(h.digest())
        code = get(o.digest())
        if code is None:
            code = unknown if len(folded) <= 254 and _plain(folded) else _UNDECIDED
        out.append(code)
    return bytes(out)


def _decoded(
    values: Sequence[str], codes: bytes, coded: _Coded
) -> Iterator[tuple[str, Eligibility]]:
    for value, code in zip(values, codes, strict=True):
        if code == _UNDECIDED:
            yield value, _slow_email(value, coded)
        else:
            yield value, coded.table[code]


def _check_emails(identifiers: Iterator[str], coded: _Coded) -> Iterator[tuple[str, Eligibility]]:
    while values := list(islice(identifiers, _EMAIL_CHUNK)):
        yield from _decoded(values, _answer_codes(values, coded), coded)


#: What the workers inherit at fork: the whole list and the coded answers.
_forked: tuple[list[str], _Coded] | None = None


def _answer_range(start: int) -> bytes:
    """In a worker: the answer codes of ``values[start:start + _EMAIL_CHUNK]``."""
    assert _forked is not None  # noqa: S101 — set by the parent before it forks
    values, coded = _forked
    return _answer_codes(values[start : start + _EMAIL_CHUNK], coded)


def _check_emails_forked(
    identifiers: Iterator[str], coded: _Coded, workers: int
) -> Iterator[tuple[str, Eligibility]]:
    """:func:`_check_emails` split over ``workers`` forked processes. They inherit the list and
    the coded answers (copy-on-write, nothing is sent) and send back one byte per address."""
    global _forked  # handed to the workers by fork, cleared once they are done
    values = list(identifiers)
    _forked = (values, coded)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            starts = range(0, len(values), _EMAIL_CHUNK)
            for start, codes in zip(starts, pool.imap(_answer_range, starts), strict=True):
                yield from _decoded(values[start : start + _EMAIL_CHUNK], codes, coded)
    finally:
        _forked = None


def _slow_email(value: str, coded: _Coded) -> Eligibility:
    try:
        normalised = normalise_identifier("email", value)
    except PolicyViolation:
        return INVALID_IDENTIFIER
    return coded.answer(normalised)
