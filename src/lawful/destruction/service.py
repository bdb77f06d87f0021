"""Destroying subjects and documenting it: the act RKN Order No. 179 requires.

:func:`shred` crypto-shreds many subjects in a few statements per thousand (an erasure request
passes one, a retention sweep a hundred thousand); :func:`record_act` then writes ONE act for
everything one operation destroyed, with the log extract the order asks for beside it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute, Session

from lawful import audit
from lawful.backup.ledger import note_erasures
from lawful.config.models import Policy, localised
from lawful.destruction import dependents
from lawful.destruction.models import DestroyedSubject, DestructionAct
from lawful.errors import NotFound, PolicyViolation
from lawful.store.bulk import bulk_insert
from lawful.subjects.models import Identifier, PersonalValue, Subject

#: RKN Order No. 179 of 28.10.2022 §8: acts and log extracts are kept three years
#: (``destruction_record`` in shared/law/rules.yaml, status secondary).
KEEP_YEARS = 3
METHOD = (
    "crypto-shredding: the subject's AES-256-GCM data key and every record of the subject were "
    "deleted from the database (freed pages overwritten)"
)
INFORMATION_SYSTEM = "lawful personal-data store"
CHUNK = 1000


class Shredded(NamedTuple):
    """A destroyed subject as an act lists it (a tuple: a sweep makes a hundred thousand)."""

    subject_ref: str
    categories: tuple[str, ...]


#: Writes an act's ``destruction_act_subjects`` rows itself, given the act's id.
Lister = Callable[[sa.Connection, str], None]


@dataclass(frozen=True)
class Lines:
    """Destroyed subjects as a retention sweep keeps them until its act: texts of lines
    ``<subject id>\t<category>,<category>`` (one text per batch). The act is made from the
    texts as they are, without a tuple per subject: a sweep's act lists a hundred thousand,
    and reading them into tuples and rendering those took most of a second."""

    texts: Sequence[str]

    def shredded(self) -> Iterator[Shredded]:
        for text in self.texts:
            for line in text.splitlines():
                ref, categories = line.split("\t")
                yield Shredded(ref, tuple(categories.split(",")))

    def count(self) -> int:
        return sum(len(text.splitlines()) for text in self.texts)

    def categories(self) -> set[str]:
        listed = {joined for text in self.texts for joined in _LISTED_CATEGORIES.findall(text)}
        return {category for joined in listed for category in joined.split(",")}


#: The categories of each line of a :class:`Lines` text.
_LISTED_CATEGORIES = re.compile(r"\t([^\n]*)")


@dataclass(frozen=True)
class Destroyer:
    """Who destroyed the data (name and position, as the act is signed)."""

    name: str
    position: str


def shred(
    *,
    session: Session,
    subject_ids: Sequence[str],
    actor: str,
    reason: str,
    now: datetime,
    categories: Mapping[str, Iterable[str]] | None = None,
) -> list[Shredded]:
    """Destroy every listed subject's key, identifiers and values; one ``destroy`` event each.

    Unknown ids are skipped (already destroyed), so a repeated sweep is harmless. A caller
    that has just read the subjects' ``categories`` in this transaction, their rows locked,
    passes them: the values are then not read again."""
    session.flush()  # the ORM's pending rows first: the deletes below are Core statements
    dialect = session.get_bind().dialect.name
    connection = session.connection()
    deletion = _set_based(connection, dialect, len(subject_ids))
    done: list[Shredded] = []
    with _triggers_skipped(connection, deletion):
        for start in range(0, len(subject_ids), CHUNK):
            ids = list(subject_ids[start : start + CHUNK])
            known = categories if categories is not None else _categories(connection, ids, dialect)
            present = _delete_chunk(connection, ids, dialect, deletion)
            done += [Shredded(s, tuple(sorted(known.get(s, ())))) for s in ids if s in present]
    journal_shredded(session, done, actor=actor, reason=reason, now=now)
    return done


def delete_subjects(
    *, session: Session, subject_ids: Sequence[str], ranged: bool = False
) -> set[str]:
    """The deleting half of :func:`shred`, for a caller that journals the subjects itself
    (:func:`journal_shredded`) because it knows they are there: a retention sweep, their rows
    locked since it planned them, renders the journal while the server deletes. Returns the
    ids that were there. ``ranged``: the ids are most of the subjects in their range (a
    sweep's batch, in id order), which the deletion then reads once instead of looking each
    id up (:class:`dependents.Deletion`)."""
    session.flush()
    dialect = session.get_bind().dialect.name
    connection = session.connection()
    deletion = _set_based(connection, dialect, len(subject_ids))
    ranged = ranged and deletion is not None
    present: set[str] = set()
    with _triggers_skipped(connection, deletion), _planned_per_chunk(connection, ranged):
        for start in range(0, len(subject_ids), CHUNK):
            ids = list(subject_ids[start : start + CHUNK])
            present |= _delete_chunk(connection, ids, dialect, deletion, ranged=ranged)
    return present


def _planned_per_chunk(connection: sa.Connection, ranged: bool) -> AbstractContextManager[None]:
    return dependents.custom_plans(connection) if ranged else nullcontext()


def journal_shredded(
    session: Session, shredded: Sequence[Shredded], *, actor: str, reason: str, now: datetime
) -> None:
    """The erasure ledger's entry and the ``destroy`` event of each shredded subject, written
    when the transaction commits (with the deletions, or not at all)."""
    # outside the database too: restoring a backup keeps the erasure
    note_erasures(session, (s.subject_ref for s in shredded), reason)
    like = audit.Event("destroy", actor, details={"reason": reason})
    audit.append_alike(session, like, shredded, at=now)


def _categories(connection: sa.Connection, ids: list[str], dialect: str) -> dict[str, set[str]]:
    categories: dict[str, set[str]] = {}
    # Core rows, not ORM ones: 5,000 of them per chunk (5x faster).
    for subject_id, category in connection.execute(
        sa.select(PersonalValue.subject_id, PersonalValue.category)
        .where(_among(PersonalValue.subject_id, ids, dialect))
        .distinct()
    ):
        categories.setdefault(subject_id, set()).add(category)
    return categories


def _set_based(connection: sa.Connection, dialect: str, count: int) -> dependents.Deletion | None:
    """PostgreSQL, many subjects: delete their rows table by table instead of by the cascade's
    trigger calls (:mod:`lawful.destruction.dependents`), where that is allowed and exact."""
    if dialect != "postgresql" or count < dependents.SET_BASED_FROM:
        return None
    return dependents.plan(connection)


def _triggers_skipped(
    connection: sa.Connection, deletion: dependents.Deletion | None
) -> AbstractContextManager[None]:
    return nullcontext() if deletion is None else dependents.triggers_skipped(connection)


def _delete_chunk(
    connection: sa.Connection,
    ids: list[str],
    dialect: str,
    deletion: dependents.Deletion | None,
    *,
    ranged: bool = False,
) -> set[str]:
    if deletion is not None:  # measured: ~3x cheaper for the server than the cascade
        return dependents.delete(connection, deletion, sorted(ids), ranged=ranged)
    if dialect == "sqlite":  # measured: a little cheaper there than the cascade's probes
        for table in (PersonalValue, Identifier):
            connection.execute(sa.delete(table).where(_among(table.subject_id, ids, dialect)))
    # The key rows, and with them (ON DELETE CASCADE, an index probe per subject and child
    # table) every other row of theirs. On PostgreSQL also the values and identifiers:
    # deleting them first would leave the cascade to probe their dead rows again (measured:
    # ~15% slower). RETURNING names the subjects that were still there.
    gone = connection.execute(
        sa.delete(Subject).where(_among(Subject.id, ids, dialect)).returning(Subject.id)
    )
    return set(gone.scalars())


def _among(
    column: InstrumentedAttribute[str], ids: Iterable[str], dialect: str
) -> sa.ColumnElement[bool]:
    """``column IN (ids)``; on PostgreSQL ``= ANY(array)``: one parameter instead of a
    thousand for the server to parse and plan (measured: ~15 ms per statement of 1,000),
    bounded by the ids' range, without which the planner guesses a scan of the whole table."""
    ids = sorted(ids)
    if not ids:
        return sa.false()
    if dialect == "postgresql":
        array = sa.bindparam(None, ids, type_=postgresql.ARRAY(sa.String))
        return sa.and_(column == sa.any_(array), column.between(ids[0], ids[-1]))
    return column.in_(ids)


def record_act(
    *,
    session: Session,
    policy: Policy,
    destroyed: Iterable[Shredded] | Lines,
    destroyer: Destroyer,
    reason: str,
    now: datetime,
    processor: str | None = None,
    information_system: str = INFORMATION_SYSTEM,
    method: str = METHOD,
    actor: str = "lawful",
    elsewhere: Sequence[SystemErasure] = (),
    lister: Lister | None = None,
) -> DestructionAct:
    """Write one act covering every subject in ``destroyed``, with its log extract; the
    erasures connectors made in other systems (``elsewhere``) are listed in it too. A caller
    whose database already holds the list passes a ``lister`` that copies it into the act's
    rows (a sweep: its batches' lines), instead of sending them all back; the server does
    that while this process renders the extract (a thread waits for it, on the session's
    connection, which nothing else uses meanwhile), and the act gets its extract after."""
    items = destroyed if isinstance(destroyed, Lines) else list(destroyed)
    count = items.count() if isinstance(items, Lines) else len(items)
    if not count and not elsewhere:
        raise PolicyViolation("an act needs at least one destroyed subject", field="destroyed")
    act_id = secrets.token_hex(16)
    categories = sorted(_categories_of(items))
    if elsewhere:
        information_system += "; " + "; ".join(e.system for e in elsewhere)

    def extract() -> str:
        return _log_extract(items, elsewhere, information_system, reason, now)

    act = DestructionAct(
        id=act_id,
        number=f"{now:%Y%m%d}-{act_id[:8]}",
        operator=_operator(policy),
        processor=processor if processor is not None else _processors(policy),
        destroyed_by=destroyer.name,
        position=destroyer.position,
        categories=", ".join(categories),
        information_system=information_system,
        method=method,
        reason=reason,
        destroyed_at=now,
        keep_until=now + timedelta(days=365 * KEEP_YEARS + 1),
        log_extract="" if lister else extract(),
    )
    session.add(act)
    session.flush()
    if lister is not None:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lawful-act") as server:
            listing = server.submit(lister, session.connection(), act_id)
            rendered = extract()
            listing.result()
        act.log_extract = rendered  # written when the caller's transaction flushes
    else:
        _list(session.connection(), act_id, list(_shredded(items)))
    audit.append(
        session,
        audit.Event("destruction_act", actor, details={"act": act.number, "subjects": count}),
        at=now,
    )
    return act


def _categories_of(items: Sequence[Shredded] | Lines) -> set[str]:
    if isinstance(items, Lines):
        return items.categories()
    return {c for listed in {i.categories for i in items} for c in listed}


def _shredded(items: Sequence[Shredded] | Lines) -> Iterable[Shredded]:
    return items.shredded() if isinstance(items, Lines) else items


def _list(connection: sa.Connection, act_id: str, items: Sequence[Shredded]) -> None:
    rows = [
        {"act_id": act_id, "subject_ref": i.subject_ref, "categories": ",".join(i.categories)}
        for i in items
    ]
    bulk_insert(connection, DestroyedSubject.__table__, rows)  # type: ignore[arg-type]


def _operator(policy: Policy) -> str:
    op = policy.operator
    language = op.languages[0]
    name = localised(op.legal_name, language) or ""
    return f"{name}, {localised(op.address, language) or ''}"


def _processors(policy: Policy) -> str | None:
    names = [r.name for r in policy.recipients.values() if r.role == "processor"]
    return "; ".join(names) or None


def _log_extract(
    items: Sequence[Shredded] | Lines,
    elsewhere: Sequence[SystemErasure],
    system: str,
    reason: str,
    now: datetime,
) -> str:
    """The log extract (RKN Order No. 179 §4) as a JSON list, a line per subject — identifier,
    categories, system, reason, date — then a line per erasure in another system.

    The text is what ``_dumps`` makes of the lines as dicts; each subject's line is joined
    from its two encoded fields and the encoded part every line shares: a sweep's act has a
    hundred thousand lines, and building and dumping that many dicts took a second."""
    shared = _dumps({"information_system_name": system, "reason": reason, "date": now.isoformat()})
    if isinstance(items, Lines):
        lines = [_rendered_text(text, shared[1:]) for text in items.texts if text]
    else:
        lines = _rendered(items, shared[1:])
    lines += [_dumps(line) for line in _log_elsewhere(elsewhere, reason, now)]
    return f"[{','.join(lines)}]"


def _rendered(items: Iterable[Shredded], tail: str) -> list[str]:
    """Each subject's line of the extract; ``tail``: the encoded fields every line ends with."""
    encoded: dict[tuple[str, ...], str] = {}
    lines = []
    for ref, categories in items:
        if (names := encoded.get(categories)) is None:
            names = encoded[categories] = _dumps(", ".join(categories))
        lines.append(f'{{"subject_identifier":{_dumps(ref)},"data_categories":{names},{tail}')
    return lines


#: A :class:`Lines` text whose identifiers and categories JSON keeps as they are (no quote,
#: backslash or control character, nothing ``splitlines`` would break a line at, no comma in
#: an identifier), one tab per line: the text of its extract is then made by replacing its
#: separators, which is what :func:`_rendered` makes of it line by line.
_PLAIN = r"\t\n\"\\\x00-\x1f\x85\u2028\u2029"  # (regex escapes: a character class)
_PLAIN_LINES = re.compile(rf"[^{_PLAIN},]*\t[^{_PLAIN}]*(?:\n[^{_PLAIN},]*\t[^{_PLAIN}]*)*")


def _rendered_text(text: str, tail: str) -> str:
    """The extract's lines of one :class:`Lines` text, joined by commas."""
    if not _PLAIN_LINES.fullmatch(text):
        return ",".join(_rendered(Lines([text]).shredded(), tail))
    head, end = '{"subject_identifier":"', f'",{tail}'
    fields = text.replace(",", ", ").replace("\t", '","data_categories":"')
    return head + fields.replace("\n", f"{end},{head}") + end


#: Compact (an extract's every byte is repeated a hundred thousand times) and made once:
#: ``json.dumps`` with options builds an encoder per call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class SystemErasure:
    """What a connector erased in another system, as the act lists it (no personal data)."""

    system: str
    categories: tuple[str, ...]
    records: int
    how: str


def _log_elsewhere(
    erasures: Sequence[SystemErasure], reason: str, now: datetime
) -> list[dict[str, str]]:
    return [
        {
            "information_system_name": e.system,
            "data_categories": ", ".join(e.categories),
            "records": str(e.records),
            "method": e.how,
            "reason": reason,
            "date": now.isoformat(),
        }
        for e in erasures
    ]


def get_act(session: Session, act_id: str) -> DestructionAct:
    act = session.get(DestructionAct, act_id)
    if act is None:
        act = session.scalar(sa.select(DestructionAct).where(DestructionAct.number == act_id))
    if act is None:
        raise NotFound("no such destruction act", field="act")
    return act


def subjects_of(session: Session, act: DestructionAct) -> list[DestroyedSubject]:
    return list(
        session.scalars(
            sa.select(DestroyedSubject)
            .where(DestroyedSubject.act_id == act.id)
            .order_by(DestroyedSubject.id)
        )
    )


def purge_expired(*, session: Session, now: datetime) -> int:
    """Delete acts whose three years are over (they hold no personal data, but no reason to)."""
    result = session.execute(sa.delete(DestructionAct).where(DestructionAct.keep_until < now))
    return int(result.rowcount)  # type: ignore[attr-defined]
