"""The ``document_versions`` table: every published text, kept for ever.

A consent is bound to the exact text a person saw (DESIGN.md property 2), so a published
version is never edited or deleted: a changed text is a new row with the next version number
for its (kind, language). The row also keeps the facts of the policy the text was rendered from
(``snapshot``) so that the next publication can tell which purposes changed materially.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


class DocumentVersion(Base):
    """One published version of one document in one language."""

    __tablename__ = "document_versions"
    __table_args__ = (
        sa.UniqueConstraint(
            "kind", "language", "version", name="uq_document_versions_kind_language_version"
        ),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[int] = mapped_column(sa.Integer)
    #: sha256 hex of the UTF-8 Markdown: what a consent record quotes as ``text_hash``.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    markdown: Mapped[str] = mapped_column(sa.Text)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The policy facts per purpose (categories, recipients, countries, retention).
    snapshot: Mapped[dict[str, Any]] = mapped_column(_JSON)
    #: Material changes against the previous publication: ``[{"purpose", "reason"}]``.
    material: Mapped[list[dict[str, str]]] = mapped_column(_JSON)

    @property
    def ref(self) -> DocumentRef:
        return DocumentRef(self.kind, self.language, self.version, self.content_hash)


@dataclass(frozen=True)
class DocumentRef:
    """What a consent is bound to: one version of one document, and the hash of its text."""

    kind: str
    language: str
    version: int
    content_hash: str

    @property
    def path(self) -> str:
        """The stable URL path of this very version (``/documents/<kind>/<lang>/v<n>``)."""
        return f"/documents/{self.kind}/{self.language}/v{self.version}"
