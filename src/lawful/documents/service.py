"""Publish, version and look up the operator's documents.

A document is published only when its text changed (same text, same hash: no new version),
so publishing after every edit of lawful.yaml is safe and a version number means a different
text. Versions are never edited: what a person consented to stays readable for ever. As
everywhere in lawful the caller owns the transaction; these functions never commit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lawful import audit
from lawful.config.models import Policy
from lawful.documents.changes import MaterialChange, Snapshot, material_changes, snapshot
from lawful.documents.models import DocumentRef, DocumentVersion
from lawful.documents.render import CONSENT_PREFIX, USER_AGREEMENT, normalise, render_all
from lawful.errors import NotFound, PolicyViolation
from lawful.store.db import read_only

__all__ = [
    "DocumentRef",
    "MaterialChange",
    "PublishResult",
    "content_hash",
    "current",
    "ensure_current",
    "get_version",
    "import_document",
    "publish",
    "reading",
    "render_all",
    "versions",
]

#: Kinds an operator supplies as a file; every other kind is generated from lawful.yaml.
IMPORTED_KINDS = frozenset({USER_AGREEMENT})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class PublishResult:
    """What one publication did: the new versions, the unchanged current ones, the material
    changes found per purpose, and (from ``flows``) how many consents were flagged for renewal."""

    published: tuple[DocumentRef, ...]
    unchanged: tuple[DocumentRef, ...]
    material: tuple[MaterialChange, ...] = ()
    renewals: Mapping[str, int] = field(default_factory=dict)

    @property
    def changed_purposes(self) -> list[str]:
        """Purposes with at least one material change, in first-seen order."""
        return list(dict.fromkeys(change.purpose for change in self.material))


def content_hash(markdown: str) -> str:
    """sha256 hex of the UTF-8 text: the identity of a text, quoted by consent records."""
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


# --- publishing ----------------------------------------------------------------------------


def publish(
    *,
    session: Session,
    policy: Policy,
    now: datetime,
    actor: str,
    effective_at: datetime | None = None,
) -> PublishResult:
    """Render every document of ``policy`` and store a new version where the text changed.

    Material changes are measured against the facts of the previous publication and are
    reported only together with new versions (the texts always reflect those facts)."""
    facts = snapshot(policy)
    previous = _latest_snapshot(session)
    changes = material_changes(previous, facts) if previous is not None else []
    published: list[DocumentRef] = []
    unchanged: list[DocumentRef] = []
    for (kind, language), markdown in render_all(policy).items():
        stored = _store_if_changed(
            session,
            kind=kind,
            language=language,
            markdown=markdown,
            when=(now, effective_at or now),
            snapshot=facts,
            material=_relevant(changes, kind),
        )
        (published if stored.published else unchanged).append(stored.ref)
    result = PublishResult(tuple(published), tuple(unchanged), tuple(changes) if published else ())
    _journal(session, result, actor=actor, now=now)
    return result


def import_document(
    *,
    session: Session,
    kind: str,
    language: str,
    markdown: str,
    now: datetime,
    actor: str,
    effective_at: datetime | None = None,
) -> PublishResult:
    """Version an operator-supplied Markdown text (the user agreement) like a generated one."""
    if kind not in IMPORTED_KINDS:
        allowed = ", ".join(sorted(IMPORTED_KINDS))
        raise PolicyViolation(
            f"only {allowed} can be imported; {kind!r} is generated", field="kind"
        )
    if not _LANGUAGE.match(language):
        raise PolicyViolation(f"{language!r} is not a language code", field="language")
    stored = _store_if_changed(
        session,
        kind=kind,
        language=language,
        markdown=normalise(markdown),
        when=(now, effective_at or now),
        snapshot={},
        material=(),
    )
    result = (
        PublishResult((stored.ref,), ()) if stored.published else PublishResult((), (stored.ref,))
    )
    _journal(session, result, actor=actor, now=now)
    return result


@dataclass(frozen=True)
class _Stored:
    ref: DocumentRef
    published: bool


def _store_if_changed(
    session: Session,
    *,
    kind: str,
    language: str,
    markdown: str,
    when: tuple[datetime, datetime],
    snapshot: Snapshot,
    material: Sequence[MaterialChange],
) -> _Stored:
    digest = content_hash(markdown)
    latest = current(session=session, kind=kind, language=language)
    if latest is not None and latest.content_hash == digest:
        return _Stored(latest.ref, published=False)
    published_at, effective_at = when
    row = DocumentVersion(
        kind=kind,
        language=language,
        version=(latest.version + 1) if latest else 1,
        content_hash=digest,
        markdown=markdown,
        effective_at=effective_at,
        published_at=published_at,
        snapshot=snapshot,
        material=[change.as_json() for change in material],
    )
    session.add(row)
    session.flush()
    return _Stored(row.ref, published=True)


def _relevant(changes: Sequence[MaterialChange], kind: str) -> list[MaterialChange]:
    """A purpose's consent text records its own changes; the policies record all of them."""
    if kind.startswith(CONSENT_PREFIX):
        purpose = kind.removeprefix(CONSENT_PREFIX)
        return [change for change in changes if change.purpose == purpose]
    return list(changes)


def _latest_snapshot(session: Session) -> Snapshot | None:
    query = (
        sa.select(DocumentVersion.snapshot)
        .where(DocumentVersion.kind.not_in(IMPORTED_KINDS))
        .order_by(DocumentVersion.id.desc())
        .limit(1)
    )
    found: Any = session.execute(query).scalar()
    return dict(found) if found is not None else None


def _journal(session: Session, result: PublishResult, *, actor: str, now: datetime) -> None:
    """One administrative event per publication that created versions (names, no data)."""
    if not result.published:
        return
    listed = " ".join(f"{r.kind}/{r.language}/v{r.version}" for r in result.published)
    event = audit.Event(
        action="policy_publish",
        actor=actor,
        details={
            "versions": listed,
            "published": len(result.published),
            "material_changes": len(result.material),
        },
    )
    audit.append(session, event, at=now)


# --- reading -------------------------------------------------------------------------------


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads only: on SQLite its transaction begins DEFERRED, so serving or
    listing documents never holds the write lock that publication and consent need."""
    with engine.connect() as conn:
        read_only(conn)
        with Session(bind=conn) as session:
            yield session


def current(*, session: Session, kind: str, language: str) -> DocumentVersion | None:
    """The newest published version of ``kind`` in ``language`` (None if never published).

    The newest, not the newest already in force: a version published with a later effective
    date is the text new consents are given on, and pages show when it takes effect."""
    query = (
        sa.select(DocumentVersion)
        .where(DocumentVersion.kind == kind, DocumentVersion.language == language)
        .order_by(DocumentVersion.version.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def get_version(*, session: Session, kind: str, language: str, version: int) -> DocumentVersion:
    """One version; ``NotFound`` names what was asked for (kinds and numbers are public)."""
    query = sa.select(DocumentVersion).where(
        DocumentVersion.kind == kind,
        DocumentVersion.language == language,
        DocumentVersion.version == version,
    )
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no version {version} of {kind} in {language!r}", field="version")
    return found


def require_current(*, session: Session, kind: str, language: str) -> DocumentVersion:
    """The current version, or ``NotFound`` when the document was never published."""
    found = current(session=session, kind=kind, language=language)
    if found is None:
        raise NotFound(f"{kind} in {language!r} has not been published", field="kind")
    return found


def versions(
    *, session: Session, kind: str | None = None, language: str | None = None
) -> list[DocumentVersion]:
    """Every published version, by kind, language and version number."""
    query = sa.select(DocumentVersion).order_by(
        DocumentVersion.kind, DocumentVersion.language, DocumentVersion.version
    )
    if kind is not None:
        query = query.where(DocumentVersion.kind == kind)
    if language is not None:
        query = query.where(DocumentVersion.language == language)
    return list(session.execute(query).scalars())


def ensure_current(*, session: Session, ref: DocumentRef, field: str) -> DocumentVersion:
    """The version ``ref`` names, if it is the current one with the same text; otherwise
    ``PolicyViolation(field=field)``: a consent can only be given on the text now published."""
    found = current(session=session, kind=ref.kind, language=ref.language)
    check_ref(found.ref if found is not None else None, ref, field)
    assert found is not None  # noqa: S101 - check_ref refuses a missing version
    return found


def check_ref(latest: DocumentRef | None, ref: DocumentRef, field: str) -> DocumentRef:
    """``ref`` if it names the ``latest`` (current) version with the same text; else
    ``PolicyViolation`` (a consent can only be given on the text now published). For a caller
    that has already read the current versions (a batch of web submissions)."""
    if latest is None or latest.version != ref.version or latest.content_hash != ref.content_hash:
        raise PolicyViolation(
            f"{ref.kind}/{ref.language} v{ref.version} is not the current version",
            field=field,
            reason="document-not-current",
        )
    return latest
