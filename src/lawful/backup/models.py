"""The database's own mark in the erasure ledger.

``seq`` is the newest ledger entry this database has applied. It lives *in* the database on
purpose: a restore rolls it back to the backup's point, so exactly the erasures recorded since
then are the ones :func:`lawful.backup.ledger.reapply` erases again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base


class ErasureMark(Base):
    __tablename__ = "erasure_mark"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
