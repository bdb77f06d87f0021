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
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lawful.config.models import Policy, Purpose
from lawful.consent.models import ConsentRecord
from lawful.crypto.keyring import Keyring
from lawful.crypto.normalise import normalise_identifier
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

# A plain dot-atom address on a plain ASCII host name: email-validator accepts it and its
# normalised form is the address lower-cased. Anything else takes the full validator.
_PLAIN_EMAIL = re.compile(
    r"(?P<local>[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,63}))"
)
# email-validator's special-use names (RFC 6761 and others): never globally deliverable.
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def fast_email(value: str) -> str | None:
    """The normalised form of a plain ASCII address, or None when the full validator must
    decide (Unicode, quoted local parts, IDNA labels, special-use domains, long addresses)."""
    folded = value.strip().lower()
    if not folded.isascii() or len(folded) > 254:
        return None
    match = _PLAIN_EMAIL.fullmatch(folded)
    if (
        match is None
        or match.end("local") > 64
        or match["tld"] in _SPECIAL_USE_TLDS
        or "--" in match["domain"]
    ):
        return None
    return folded


def normalise_email(value: str) -> str:
    """Exactly ``normalise_identifier("email", value)``, about thirty times faster for the
    common address."""
    return fast_email(value) or normalise_identifier("email", value)


def blind_indexer(index_key: bytes, kind: str) -> Callable[[str], bytes]:
    """``lawful.crypto.envelope.blind_index`` for one kind, with the HMAC pads hashed once."""
    block = 64
    key = hashlib.sha256(index_key).digest() if len(index_key) > block else index_key
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    prefix = f"{kind}\x00".encode()

    def digest(normalised: str) -> bytes:
        h = inner.copy()
        h.update(prefix)
        h.update(normalised.encode())
        o = outer.copy()
        o.update(h.digest())
        return o.digest()

    return digest


def _digests(values: Sequence[str], kind: str, index: Callable[[str], bytes]) -> list[bytes | None]:
    out: list[bytes | None] = []
    append = out.append
    if kind == "email":
        for value in values:
            plain = fast_email(value)
            if plain is None:
                try:
                    plain = normalise_identifier("email", value)
                except PolicyViolation:
                    append(None)
                    continue
            append(index(plain))
        return out
    for value in values:
        try:
            append(index(normalise_identifier(kind, value)))
        except PolicyViolation:
            append(None)
    return out


# --- set-based look-ups --------------------------------------------------------------------

_IN_CHUNK = 10_000


def _chunks(items: Sequence[object], size: int = _IN_CHUNK) -> Iterator[list[object]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _all_owners(session: Session, kind: str) -> dict[bytes, str]:
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


def _decisions(
    session: Session, purpose: Purpose, now: datetime, subject_ids: Sequence[str] | None
) -> dict[str, Eligibility]:
    """Subject id -> answer, for every subject that has a current record or is blocked
    (limited to ``subject_ids`` when given); everyone else gets the purpose's default."""
    records = sa.select(ConsentRecord.subject_id, effective_state(now)).where(
        ConsentRecord.purpose == purpose.key, ConsentRecord.is_current.is_(True)
    )
    blocked = sa.select(Subject.id).where(Subject.blocked_at.is_not(None))
    decided: dict[str, Eligibility] = {}
    by_state = {state: decide(purpose, state) for state in _BY_STATE}
    parts: Iterable[list[object] | None] = [None] if subject_ids is None else _chunks(subject_ids)
    for part in parts:
        limit_r = records if part is None else records.where(ConsentRecord.subject_id.in_(part))
        limit_b = blocked if part is None else blocked.where(Subject.id.in_(part))
        rows = session.execute(limit_r)
        decided.update((sid, by_state.get(state, NO_CONSENT)) for sid, state in rows)
        decided.update((sid, BLOCKED) for (sid,) in session.execute(limit_b))
    return decided


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
) -> Iterator[tuple[str, Eligibility]]:
    """Answer for every identifier, in order, as pairs (identifier, answer).

    A short list (under ``chunk``) is looked up by its own digests; a long one loads the
    kind's whole blind index and the purpose's current records once, which beats a million
    index probes. Invalid identifiers are answered ``refused:invalid-identifier``.
    """
    declared = policy.purpose(purpose)
    default = decide(declared, None)
    index = blind_indexer(ring.index_key, kind)
    iterator = iter(identifiers)
    owners: dict[bytes, str] | None = None
    decided: dict[str, Eligibility] = {}
    while batch := list(islice(iterator, chunk)):
        digests = _digests(batch, kind, index)
        if owners is None:
            if len(batch) < chunk:
                owners = _some_owners(session, kind, [d for d in digests if d is not None])
                decided = _decisions(session, declared, now, sorted(set(owners.values())))
            else:
                owners = _all_owners(session, kind)
                decided = _decisions(session, declared, now, None)
        get_owner, get_decided = owners.get, decided.get
        for value, digest in zip(batch, digests, strict=True):
            if digest is None:
                yield value, INVALID_IDENTIFIER
                continue
            owner = get_owner(digest)
            yield value, UNKNOWN_SUBJECT if owner is None else get_decided(owner, default)
