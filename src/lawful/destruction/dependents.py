"""Deleting many subjects on PostgreSQL without a trigger call per subject and child table.

``DELETE FROM subjects`` lets ``ON DELETE CASCADE`` remove every row of the subjects: PostgreSQL
runs each foreign key's cascade as a trigger, once per deleted subject and referencing table,
whether that table holds rows of theirs or not — seven calls per subject, ~30 µs of the ~35 µs
a subject's deletion costs the server (``EXPLAIN ANALYZE``, 1,000 subjects). Here the rows
that reference the subjects are deleted first, one set-based statement per foreign-key path,
and then the subjects, with ``session_replication_role = replica`` for these statements only,
which skips the cascade triggers that have nothing left to do.

What is deleted is read from the database's own catalogue at each call (every foreign key
that leads to ``subjects``, through any number of tables), never from the models a process
happens to have imported, so no referencing table is left with orphans. The fast path is
taken only where it is exactly equivalent to the cascade: every such key single-column and
``ON DELETE CASCADE``, and the database role allowed to set the parameter (a superuser, or
``GRANT SET ON PARAMETER session_replication_role`` on PostgreSQL 15+); otherwise
:func:`plan` returns None and the caller lets the cascade work as before.

The subjects are locked (a sweep's ``FOR UPDATE``, or the ``DELETE`` itself) before anything
is deleted, so a concurrent insert of a row for one of them waits for its foreign-key check
and then fails, exactly as it would against the cascade.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

#: Below this many subjects per statement the cascade is cheaper than the extra statements.
SET_BASED_FROM = 100

#: Every foreign key that leads to ``subjects``, through any number of tables: child (qualified,
#: quoted), its first column (quoted), parent, the parent's first column (quoted), the delete
#: action ('c': cascade), and how many columns it has.
_FOREIGN_KEYS = sa.text(
    """
    WITH RECURSIVE keys (oid, conrelid, confrelid) AS (
        SELECT oid, conrelid, confrelid FROM pg_constraint
        WHERE contype = 'f' AND confrelid = 'subjects'::regclass
        UNION
        SELECT con.oid, con.conrelid, con.confrelid FROM pg_constraint con
        JOIN keys ON con.confrelid = keys.conrelid
        WHERE con.contype = 'f'
    )
    SELECT con.conrelid, format('%I.%I', cn.nspname, c.relname), quote_ident(a.attname),
           con.confrelid, quote_ident(af.attname), con.confdeltype, array_length(con.conkey, 1)
    FROM keys
    JOIN pg_constraint con ON con.oid = keys.oid
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace cn ON cn.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
    JOIN pg_attribute af ON af.attrelid = con.confrelid AND af.attnum = con.confkey[1]
    """
)
_SUBJECTS = sa.text("SELECT 'subjects'::regclass::oid")
_SUPERUSER = sa.text("SELECT current_setting('is_superuser') = 'on'")
_MAY_SET = sa.text("SELECT has_parameter_privilege('session_replication_role', 'SET')")
_REPLICA = sa.text("SET LOCAL session_replication_role = replica")
_ORIGIN = sa.text("SET LOCAL session_replication_role = origin")
_IDS = sa.bindparam("ids", type_=postgresql.ARRAY(sa.String))
_OWN_TRIGGERS = sa.text(
    "SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST(:table AS regclass) AND NOT tgisinternal"
)
_CUSTOM_PLANS = sa.text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
_PLAN_MODE = sa.text("SELECT current_setting('plan_cache_mode')")
_PLAN_MODE_BACK = sa.text("SELECT set_config('plan_cache_mode', :mode, true)")


@dataclass(frozen=True)
class Deletion:
    """One statement that deletes a chunk of subjects and every row that references them:
    a data-modifying ``WITH`` per foreign-key path, then the subjects. All of its parts see
    the rows as they were when it started, so a grandchild is found through its parent's
    rows whichever part runs first. It takes the chunk's ids as ``:ids`` (one array, sent
    once) and their range as ``:low`` and ``:high`` (without it the planner guesses a scan of
    the whole table).

    ``statement`` looks each id up in the indexes (PostgreSQL 15 descends a B-tree once per
    element of ``= ANY``); ``ranged``, for ids that are most of the subjects in their range
    (a sweep's batch), reads the range once and keeps the rows of the listed ids, found in a
    hash table made of the array: measured ~35% less of the server's time per chunk."""

    statement: sa.TextClause
    ranged: sa.TextClause


def plan(connection: sa.Connection) -> Deletion | None:
    """The set-based deletion of subjects, or None where it would not be exactly the cascade
    (a key that is not a single-column cascade, or no right to skip the triggers)."""
    if not _may_skip_triggers(connection):
        return None
    subjects = connection.execute(_SUBJECTS).scalar_one()
    paths = _paths(connection.execute(_FOREIGN_KEYS).all(), subjects)
    if paths is None:
        return None
    return Deletion(_deleting(paths, ranged=False), _deleting(paths, ranged=True))


def _deleting(paths: list[Path], *, ranged: bool) -> sa.TextClause:
    parts = ", ".join(f"d{n} AS ({_statement(path, ranged)})" for n, path in enumerate(paths))
    gone = f"DELETE FROM subjects WHERE {_among('id', ranged)} RETURNING id"  # noqa: S608
    return sa.text(f"WITH {parts} {gone}" if parts else gone).bindparams(_IDS)


@contextmanager
def triggers_skipped(connection: sa.Connection) -> Iterator[None]:
    """Run :func:`delete` inside: the cascade triggers, with nothing left to do, are skipped
    until the block ends (an error leaves the setting to the transaction's rollback)."""
    connection.execute(_REPLICA)
    yield
    connection.execute(_ORIGIN)


def keys_unchecked(connection: sa.Connection, table: str) -> AbstractContextManager[None]:
    """Insert into ``table`` inside: rows whose foreign keys the caller knows to hold (their
    parent written before them in this transaction) are not checked one by one — ~5 µs a
    row — where the role may skip triggers and ``table`` has none of its own, which would be
    skipped too."""
    if not _may_skip_triggers(connection):
        return nullcontext()
    if connection.execute(_OWN_TRIGGERS, {"table": table}).scalar_one():
        return nullcontext()
    return triggers_skipped(connection)


@contextmanager
def custom_plans(connection: sa.Connection) -> Iterator[None]:
    """Run :func:`delete` with ``ranged`` inside: each statement planned for its own ids.
    A generic plan of a prepared statement (psycopg prepares one run five times) would test
    every row against the array element by element, instead of in a hash table: ~10x
    slower."""
    mode = connection.execute(_PLAN_MODE).scalar_one()
    connection.execute(_CUSTOM_PLANS)
    yield
    connection.execute(_PLAN_MODE_BACK, {"mode": mode})


def delete(
    connection: sa.Connection, deletion: Deletion, ids: Sequence[str], *, ranged: bool = False
) -> set[str]:
    """Delete the subjects ``ids`` (sorted) and every row that references them; return the
    ids that were there. ``ranged``: they are most of the subjects in their range (see
    :class:`Deletion`; call it inside :func:`custom_plans`)."""
    params = {"ids": list(ids), "low": ids[0], "high": ids[-1]}
    statement = deletion.ranged if ranged else deletion.statement
    return set(connection.execute(statement, params).scalars())


def _may_skip_triggers(connection: sa.Connection) -> bool:
    if connection.execute(_SUPERUSER).scalar_one():
        return True
    version = connection.dialect.server_version_info or (0,)
    return version >= (15,) and bool(connection.execute(_MAY_SET).scalar_one())


Key = tuple[str, str, str]  # child (qualified, quoted), its column, the parent's column
Path = list[Key]  # from the table deleted from to the key that references subjects


def _paths(keys: Sequence[Sequence[Any]], subjects: object) -> list[Path] | None:
    """Every chain of foreign keys that ends at ``subjects.id``; None if one of them is not a
    single-column ON DELETE CASCADE key, one ends at another column of ``subjects``, or a
    chain is suspiciously long (a cycle)."""
    into: dict[object, list[tuple[object, Key, bool]]] = {}
    for child, name, column, parent, parent_column, action, width in keys:
        cascade = action == "c" and width == 1
        into.setdefault(parent, []).append((child, (name, column, parent_column), cascade))
    paths: list[Path] = []  # (in the order found: one statement, no order needed)
    frontier: list[tuple[object, Path]] = [(subjects, [])]
    while frontier:
        table, path = frontier.pop()
        for child, key, cascade in into.get(table, []):
            not_the_id = not path and key[2] != "id"  # (quote_ident leaves id bare)
            if not cascade or not_the_id or len(path) >= 8:
                return None
            paths.append([key, *path])
            frontier.append((child, [key, *path]))
    return paths


def _statement(path: Path, ranged: bool) -> str:
    # The names were quoted by the server (quote_ident): nothing here comes from a user.
    return f"DELETE FROM {path[0][0]} WHERE {_condition(path, ranged)}"  # noqa: S608 (quoted names)


def _condition(path: Path, ranged: bool) -> str:
    """``col = ANY(:ids)`` for a key on subjects; ``col IN (SELECT parent_col FROM parent
    WHERE <its condition>)`` further out."""
    (_, column, referenced), *rest = path
    if not rest:
        return _among(column, ranged)
    inner = f"SELECT {referenced} FROM {rest[0][0]} WHERE {_condition(rest, ranged)}"  # noqa: S608
    return f"{column} IN ({inner})"


def _among(column: str, ranged: bool) -> str:
    """``column`` is one of ``:ids``. Ranged, the test of the array is wrapped in ``IS TRUE``
    (the same result for a column that cannot be NULL, and NULL is not among the ids), which
    the planner cannot use to search an index: it searches the range, and tests each row's
    id in a hash table of the array."""
    if ranged:
        return f"{column} BETWEEN :low AND :high AND ({column} = ANY(:ids)) IS TRUE"
    return f"{column} = ANY(:ids) AND {column} BETWEEN :low AND :high"
