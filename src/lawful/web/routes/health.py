"""``GET /health``: is this process able to serve? For load balancers and monitoring.

It answers from the database itself (schema revision, audit head) so a 200 means the store is
reachable and migrated, not merely that the process is up. It names keys by id and counts by
number: nothing in it is personal data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from pydantic import BaseModel, Field

from lawful.audit.models import AuditHead
from lawful.context import Lawful
from lawful.errors import StoreError
from lawful.store.db import read_only
from lawful.web.routes import LawfulDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    database: str = Field(examples=["reachable"])
    schema_revision: str | None = Field(description="Alembic revision the database is at.")
    master_key_id: str = Field(description="Id of the current master key (not the key).")
    audit_head_seq: int = Field(description="Sequence number of the newest audit event.")
    policy_loaded: bool


@router.get("/health", response_model=Health)
def get_health(lawful: LawfulDep) -> Health:
    """Database reachable, schema revision, master key id and the audit chain's head."""
    revision, head = probe_database(lawful)
    return Health(
        status="ok",
        database="reachable",
        schema_revision=revision,
        master_key_id=lawful.ring.current.key_id,
        audit_head_seq=head,
        policy_loaded=lawful.policy is not None,
    )


def probe_database(lawful: Lawful) -> tuple[str | None, int]:
    """(schema revision, audit head seq), or ``StoreError`` naming only the failure's class."""
    try:
        with lawful.engine.connect() as conn:
            read_only(conn)
            revision = MigrationContext.configure(conn).get_current_revision()
            head = conn.execute(sa.select(AuditHead.seq)).scalar()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the database is unreachable ({type(exc).__name__})") from None
    return revision, int(head or 0)
