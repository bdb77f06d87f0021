"""The SQL connector: a declared dataset carried out on any SQLAlchemy database.

The subject's rows are found from the tables that hold an identity column, then through the
declared references (orders by customer): each table's rows are selected by a nested
``IN (SELECT ...)`` on its parent's, so every action is a few set-based statements — one per
table — whatever the number of rows, never one per row (Fides' masking issues an UPDATE per row).
Every action runs in one transaction on the system: a failure leaves it as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lawful.config.connectors import Dataset
from lawful.connectors.contract import Found, Identity, Result
from lawful.errors import ConnectorFailure

#: DBAPI/SQLAlchemy failures a retry can cure: the server is down, busy, or a lock timed out.
TEMPORARY = (sa.exc.OperationalError, sa.exc.TimeoutError, sa.exc.DisconnectionError)


@dataclass
class SqlConnector:
    key: str
    recipient: str
    purpose: str
    url: str
    dataset: Dataset
    #: Seconds a statement (or a wait for a lock) may take before the call fails, temporarily.
    timeout: float = 30.0
    _engine: Engine | None = field(default=None, repr=False)
    _meta: sa.MetaData = field(default_factory=sa.MetaData, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- the contract ---------------------------------------------------------------------

    def categories(self) -> frozenset[str]:
        return frozenset(
            c.category for t in self.dataset.tables.values() for c in t.columns.values()
        )

    def test(self) -> str:
        with self._run() as conn:
            for name in self.dataset.tables:
                self._table(conn, name)
        return f"{len(self.dataset.tables)} table(s) and their declared columns found"

    def access(self, identity: Identity) -> list[Found]:
        found: list[Found] = []
        with self._run() as conn:
            for name in self._order(identity):
                found += self._read(conn, name, identity)
        return found

    def rectify(self, identity: Identity, changes: Mapping[str, str]) -> Result:
        result = Result(method="update of the declared columns")
        with self._run() as conn:
            for name in self._order(identity):
                table = self.dataset.tables[name]
                values = {
                    col: changes[c.category]
                    for col, c in table.columns.items()
                    if c.category in changes
                }
                if values:
                    result.counts[name] = self._update(conn, name, identity, values)
        return result

    def erase(self, identity: Identity) -> Result:
        result = Result(method="set-based UPDATE/DELETE per table, in one transaction")
        salt = secrets.token_bytes(16)  # forgotten after the call: hashed values stay unlinkable
        with self._run() as conn:
            # Children first: their rows are found through the parents' identity columns,
            # which the parents' erasure changes.
            for name in reversed(self._order(identity)):
                result.counts[name] = self._erase_table(conn, name, identity, salt)
        return result

    def block(self, identity: Identity) -> Result:
        return self._set_blocked(identity, blocked=True)

    def unblock(self, identity: Identity) -> Result:
        return self._set_blocked(identity, blocked=False)

    # --- plumbing --------------------------------------------------------------------------

    def _run(self) -> AbstractContextManager[Connection]:
        if self._engine is None:
            url = sa.engine.make_url(self.url)
            # SQLite waits for a lock at most ``timeout``; PostgreSQL gets a statement timeout
            # per transaction (below), and a connect timeout here.
            args = {"timeout": self.timeout} if url.get_backend_name() == "sqlite" else {}
            if url.get_backend_name() == "postgresql":
                args = {"connect_timeout": max(1, int(self.timeout))}
            self._engine = sa.create_engine(url, pool_pre_ping=True, connect_args=args)
        return _transaction(self.key, self._engine, self.timeout)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _table(self, conn: Connection, name: str) -> sa.Table:
        if name not in self._meta.tables:
            with self._lock:  # the worker's threads share one connector
                if name not in self._meta.tables:
                    sa.Table(name, self._meta, autoload_with=conn)
        table = self._meta.tables[name]
        declared = self.dataset.tables[name]
        wanted = {declared.primary_key, *declared.columns, *declared.identity.values()}
        wanted |= set(declared.references)
        if declared.block_column:
            wanted.add(declared.block_column)
        missing = sorted(c for c in wanted if c not in table.c)
        if missing:
            raise ConnectorFailure(
                f"{self.key}: table {name} has no column(s) {', '.join(missing)}",
                permanent=True,
                connector=self.key,
            )
        return table

    def _order(self, identity: Identity) -> list[str]:
        """Tables reachable from the identity, parents before children."""
        order = [n for n, t in self.dataset.tables.items() if identity.kind in t.identity]
        pending = [n for n in self.dataset.tables if n not in order]
        while True:
            ready = [n for n in pending if self._parents(n) & set(order)]
            if not ready:
                return order
            order += ready
            pending = [n for n in pending if n not in ready]

    def _parents(self, name: str) -> set[str]:
        return {t.partition(".")[0] for t in self.dataset.tables[name].references.values()}

    def _where(self, conn: Connection, name: str, identity: Identity) -> sa.ColumnElement[bool]:
        """The subject's rows of ``name``: by identity, or through a referenced parent."""
        table, declared = self._table(conn, name), self.dataset.tables[name]
        if identity.kind in declared.identity:
            return table.c[declared.identity[identity.kind]] == identity.value
        clauses = []
        for column, target in declared.references.items():
            parent, _, parent_column = target.partition(".")
            if parent == name:
                continue
            keys = sa.select(self._table(conn, parent).c[parent_column]).where(
                self._where(conn, parent, identity)
            )
            clauses.append(table.c[column].in_(keys))
        return sa.or_(*clauses)

    def _read(self, conn: Connection, name: str, identity: Identity) -> list[Found]:
        table, declared = self._table(conn, name), self.dataset.tables[name]
        if not declared.columns:
            return []
        columns = [table.c[c] for c in declared.columns]
        rows = conn.execute(sa.select(*columns).where(self._where(conn, name, identity)))
        return [
            Found(f"{self.key}.{name}", col, declared.columns[col].category, str(value))
            for row in rows
            for col, value in zip(declared.columns, row, strict=True)
            if value is not None
        ]

    def _update(
        self, conn: Connection, name: str, identity: Identity, values: Mapping[str, object]
    ) -> int:
        table = self._table(conn, name)
        statement = sa.update(table).where(self._where(conn, name, identity)).values(values)
        return int(conn.execute(statement).rowcount)

    def _erase_table(self, conn: Connection, name: str, identity: Identity, salt: bytes) -> int:
        table, declared = self._table(conn, name), self.dataset.tables[name]
        where = self._where(conn, name, identity)
        if declared.erase == "delete":
            return int(conn.execute(sa.delete(table).where(where)).rowcount)
        values: dict[str, object] = {}
        for col, spec in declared.columns.items():
            if spec.erase == "null":
                values[col] = None
            elif spec.erase == "mask":
                values[col] = spec.mask_with
            elif spec.erase == "hash":
                values[col] = _hashed(table.c[col], salt, conn)
        if not values:
            return 0
        return int(conn.execute(sa.update(table).where(where).values(values)).rowcount)

    def _set_blocked(self, identity: Identity, *, blocked: bool) -> Result:
        result = Result(method="block flag")
        with self._run() as conn:
            for name in self._order(identity):
                column = self.dataset.tables[name].block_column
                if column is not None:
                    result.counts[name] = self._update(conn, name, identity, {column: blocked})
        if not result.counts:
            result.manual = f"{self.key} declares no block_column: block the records by hand"
        return result


def _hashed(column: sa.ColumnElement[object], salt: bytes, conn: Connection) -> object:
    """A salted digest of the column's value, computed by the database itself (one statement
    for all rows). PostgreSQL has sha256(); elsewhere a random token per statement stands in —
    the value is lost either way, uniqueness only on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        digest = sa.func.sha256(
            sa.func.convert_to(sa.literal(salt.hex()) + sa.cast(column, sa.Text), "UTF8")
        )
        return sa.func.encode(digest, "hex")
    return _sqlite_hash(column, salt, conn)


def _digest(salt: bytes, value: object) -> str:
    return hmac.new(salt, str(value).encode(), hashlib.sha256).hexdigest()


def _sqlite_hash(column: sa.ColumnElement[object], salt: bytes, conn: Connection) -> object:
    raw = conn.connection.dbapi_connection
    if raw is not None and hasattr(raw, "create_function"):
        raw.create_function(
            "lawful_hash",
            1,
            lambda v: None if v is None else _digest(salt, v),
            deterministic=True,
        )
        return sa.func.lawful_hash(column)
    return secrets.token_hex(16)


@contextmanager
def _transaction(key: str, engine: Engine, timeout: float) -> Iterator[Connection]:
    """One transaction on the system; database errors become classified failures whose text
    names the class only (the driver's text may quote a value)."""
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # an int: SET takes no bound parameters
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
            yield conn
    except sa.exc.SQLAlchemyError as exc:
        raise _classify(key, exc) from None


def _classify(key: str, exc: sa.exc.SQLAlchemyError) -> ConnectorFailure:
    permanent = not isinstance(exc, TEMPORARY)
    return ConnectorFailure(
        f"{key}: {type(exc).__name__} ({'permanent' if permanent else 'temporary'})",
        permanent=permanent,
        connector=key,
    )
