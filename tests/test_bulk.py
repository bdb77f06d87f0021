"""bulk_insert: the same rows and the same errors as SQLAlchemy's own inserts, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lawful.collection.models import IdempotencyKey
from lawful.store.bulk import FEW_ROWS, bulk_insert, bulk_insert_tuples

TABLE = cast(sa.Table, IdempotencyKey.__table__)
AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _row(digest: bytes) -> dict[str, object]:
    return {
        "key_digest": digest,
        "request_digest": b"r" * 32,
        "status": 201,
        "response": "{}",
        "created_at": AT,
    }


@pytest.mark.parametrize("count", [2, FEW_ROWS + 3])  # one INSERT / COPY on PostgreSQL
@pytest.mark.parametrize("shape", ["dicts", "tuples"])
def test_rows_come_back_as_written_with_aware_times(engine: Engine, shape: str, count: int) -> None:
    rows = [_row(bytes([65 + i]) * 32) for i in range(count)]
    with engine.begin() as connection:
        if shape == "dicts":
            bulk_insert(connection, TABLE, rows)
        else:
            columns = list(rows[0])
            bulk_insert_tuples(connection, TABLE, columns, [tuple(r.values()) for r in rows])
    with engine.connect() as connection:
        stored = connection.execute(sa.select(IdempotencyKey.created_at)).scalars().all()
    assert stored == [AT] * count


def test_a_duplicate_key_is_sqlalchemys_integrity_error_and_writes_nothing(engine: Engine) -> None:
    with engine.begin() as connection:
        bulk_insert(connection, TABLE, [_row(b"a" * 32)])
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        bulk_insert(connection, TABLE, [_row(b"c" * 32), _row(b"a" * 32)])
    with engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar()
    assert count == 1


def test_only_the_tables_own_columns_may_be_named(engine: Engine) -> None:
    with pytest.raises(ValueError, match="no column"), engine.begin() as connection:
        bulk_insert(connection, TABLE, [{**_row(b"a" * 32), "evil": 1}])
