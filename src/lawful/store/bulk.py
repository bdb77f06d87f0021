"""Insert many rows the fastest way each backend offers.

Bulk recording (imports, seeding, batches of web submissions) is dominated by per-row
overhead, not by the database: on PostgreSQL ``executemany`` sends one INSERT per row, so rows
go through ``COPY`` (a handful through one multi-row INSERT, cheaper than a COPY); on SQLite
the parameters skip SQLAlchemy's per-row compilation and go straight to the driver. On both,
each value is converted once by its column type's own bind processor (aware datetimes, JSON),
exactly as SQLAlchemy would store it.
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
    _check(table, columns)
    _insert(connection, table, columns, _bound(connection, table, columns, rows))


def bulk_insert_tuples(
    connection: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """:func:`bulk_insert` of rows made as tuples in the order of ``columns``, for a caller
    that makes a hundred thousand of them (the audit journal of a retention sweep): no dict
    per row to make and take apart again."""
    if not rows:
        return
    _check(table, columns)
    processors = _processors(connection.dialect, table, tuple(columns))
    if processors:
        rows = [_processed(list(row), processors) for row in rows]
    _insert(connection, table, list(columns), rows)


def _check(table: sa.Table, columns: Sequence[str]) -> None:
    unknown = [c for c in columns if c not in table.c]
    if unknown:  # names are spliced into SQL below: only the table's own columns may pass
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")


#: Up to this many rows, PostgreSQL gets one multi-row INSERT instead of a COPY: COPY costs
#: a second round trip and psycopg's copy machinery, which a web batch of one or two
#: submissions pays for each of its seven tables (~0.09 against 0.05 ms of CPU a table).
FEW_ROWS = 4


def _insert(
    connection: sa.Connection, table: sa.Table, columns: list[str], params: list[tuple[Any, ...]]
) -> None:
    if connection.dialect.name != "postgresql":
        _executemany(connection, table, columns, params)
    elif len(params) <= FEW_ROWS:
        _insert_values(connection, table, columns, params)
    else:
        _copy(connection, table, columns, params)


Processors = tuple[tuple[int, Callable[[Any], Any]], ...]
#: (table, columns, dialect) -> the bind processors of those columns, by position. Looking
#: them up costs more than a small batch's whole insert, and they never change.
_PROCESSORS: dict[tuple[sa.Table, tuple[str, ...], sa.Dialect], Processors] = {}


def _processors(dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...]) -> Processors:
    key = (table, columns, dialect)
    if (found := _PROCESSORS.get(key)) is None:
        found = tuple(
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := table.c[column].type.dialect_impl(dialect).bind_processor(dialect))
        )
        _PROCESSORS[key] = found
    return found


def _bound(
    connection: sa.Connection, table: sa.Table, columns: list[str], rows: Sequence[Row]
) -> list[tuple[Any, ...]]:
    processors = _processors(connection.dialect, table, tuple(columns))
    if not processors:
        return [tuple(row[c] for c in columns) for row in rows]
    return [_processed([row[c] for c in columns], processors) for row in rows]


def _processed(values: list[Any], processors: Processors) -> tuple[Any, ...]:
    for index, process in processors:
        values[index] = process(values[index])
    return tuple(values)


def _quoted(columns: list[str]) -> str:
    """The column list of a statement (names checked against the table by the caller)."""
    return ", ".join(f'"{c}"' for c in columns)


def _copy(
    connection: sa.Connection, table: sa.Table, columns: list[str], params: list[tuple[Any, ...]]
) -> None:
    names = _quoted(columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'

    def copy_rows(cursor: Any) -> None:
        with cursor.copy(statement) as copy:
            for row in params:
                copy.write_row(row)

    _on_driver(connection, statement, copy_rows)


def _insert_values(
    connection: sa.Connection, table: sa.Table, columns: list[str], params: list[tuple[Any, ...]]
) -> None:
    names = _quoted(columns)
    row = "(" + ", ".join("%s" for _ in columns) + ")"
    values = ", ".join(row for _ in params)
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES {values}'  # noqa: S608 (checked names)
    flat = [value for row_values in params for value in row_values]
    _on_driver(connection, statement, lambda cursor: cursor.execute(statement, flat))


def _executemany(
    connection: sa.Connection, table: sa.Table, columns: list[str], params: list[tuple[Any, ...]]
) -> None:
    names = _quoted(columns)
    marks = ", ".join("?" for _ in columns)
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608 (checked names)
    _on_driver(connection, statement, lambda cursor: cursor.executemany(statement, params))


def _on_driver(connection: sa.Connection, statement: str, work: Callable[[Any], object]) -> None:
    """Run ``work`` on a cursor of the connection's own driver connection, in its transaction.

    SQLAlchemy's execution machinery costs more than a small batch's insert (a web batch
    inserts into seven tables per transaction); its errors are kept: the driver's are wrapped
    as SQLAlchemy would wrap them (IntegrityError for a duplicate key, ...)."""
    driver: Any = connection.connection.dbapi_connection
    dbapi = connection.dialect.loaded_dbapi
    cursor = driver.cursor()
    try:
        work(cursor)
    except dbapi.Error as error:
        raise sa.exc.DBAPIError.instance(statement, None, error, dbapi.Error) from error
    finally:
        cursor.close()
