"""Insert many rows the fastest way each backend offers.

Bulk recording (imports, seeding) is dominated by per-row overhead, not by the database: on
PostgreSQL ``executemany`` sends one INSERT per row, so rows go through ``COPY``; on SQLite the
parameters skip SQLAlchemy's per-row compilation and go straight to the driver, each value
converted once by its column type's own bind processor, exactly as SQLAlchemy would store it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

Row = Mapping[str, Any]


def bulk_insert(connection: sa.Connection, table: sa.Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` in the caller's transaction."""
    if not rows:
        return
    columns = list(rows[0])
    unknown = [c for c in columns if c not in table.c]
    if unknown:  # names are spliced into SQL below: only the table's own columns may pass
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    if connection.dialect.name == "postgresql":
        _copy(connection, table, columns, rows)
    else:
        _executemany(connection, table, columns, rows)


def _copy(
    connection: sa.Connection, table: sa.Table, columns: list[str], rows: Sequence[Row]
) -> None:
    driver: Any = connection.connection.dbapi_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _executemany(
    connection: sa.Connection, table: sa.Table, columns: list[str], rows: Sequence[Row]
) -> None:
    dialect = connection.dialect
    processors: list[Callable[[Any], Any] | None] = [
        table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns
    ]
    params = [
        tuple(
            value if p is None else p(value)
            for p, value in zip(processors, (row[c] for c in columns), strict=True)
        )
        for row in rows
    ]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608 (checked names)
    connection.exec_driver_sql(statement, params)
