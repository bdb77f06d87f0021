"""One table of short-lived marks: a count of wrong codes per challenge, a challenge or
session that ended early, an address locked out. A mark matters until ``until`` and is
forgotten afterwards. Keys are random ids or keyed digests, never an address in clear."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lawful.store.db import Base
from lawful.store.types import UTCDateTime


class ThrottleMark(Base):
    __tablename__ = "throttle_marks"

    #: ``<kind>:<id>``: ``wrong:``, ``ended:`` or ``locked:`` and the challenge, session or
    #: digest it is about.
    key: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=1)
    until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
