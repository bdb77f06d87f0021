"""Shared fixtures. Every storage test takes ``engine`` and so runs on SQLite and PostgreSQL.

PostgreSQL comes from ``LAWFUL_TEST_DATABASE_URL`` (default: the local server, database
``test``). Each test gets its own schema, dropped afterwards. Outside CI an unreachable server
skips the PostgreSQL half; with ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lawful.context import Lawful
from lawful.crypto.envelope import MasterKey
from lawful.crypto.keyring import Keyring, open_keyring
from lawful.store.db import create_engine_for, make_session_factory, migrate

PG_URL = os.environ.get(
    "LAWFUL_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_reachable() -> str | None:
    try:
        probe = create_engine_for(PG_URL)
        with probe.connect() as conn:
            conn.execute(sa.text("select 1"))
        probe.dispose()
    except sa.exc.OperationalError as exc:
        return type(exc.orig).__name__
    return None


@pytest.fixture(scope="session")
def pg_available() -> Iterator[None]:
    problem = _pg_reachable()
    if problem is None:
        yield
        _vacuum()
        return
    message = f"PostgreSQL at LAWFUL_TEST_DATABASE_URL is unreachable ({problem})"
    if IN_CI:
        pytest.fail(message + " — CI requires it", pytrace=False)
    pytest.skip(message)


def _vacuum() -> None:
    """Every PostgreSQL test makes a schema and drops it, leaving hundreds of dead rows in the
    system catalogs. A server that does not autovacuum (this machine's does not) keeps them
    all, run after run: pg_attribute reached 3.5 million dead rows (731 MB), and every new
    connection's catalog look-ups, the benchmarks' included, grew slower with it. A plain
    VACUUM after the session makes their space reusable."""
    engine = create_engine_for(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM"))
    engine.dispose()


def pg_engine_in_fresh_schema() -> tuple[Engine, str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = create_engine_for(PG_URL)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        with dbapi_connection.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()

    return engine, schema


def drop_pg_schema(schema: str) -> None:
    admin = create_engine_for(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no schema) on each backend."""
    if request.param == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path / 'lawful.db'}")
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("pg_available")
    engine, schema = pg_engine_in_fresh_schema()
    yield engine
    engine.dispose()
    drop_pg_schema(schema)


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    """A migrated database on each backend."""
    migrate(bare_engine)
    return bare_engine


class DeclaredPurposes:
    """A minimal stand-in for the policy: purpose name -> categories it uses."""

    def __init__(self, purposes: dict[str, set[str]]) -> None:
        self.purposes = purposes

    def purpose(self, name: str) -> DeclaredPurposes.Purpose:
        from lawful.errors import NotFound

        if name not in self.purposes:
            raise NotFound(name)
        return DeclaredPurposes.Purpose(self.purposes[name])

    class Purpose:
        def __init__(self, categories: set[str]) -> None:
            self.categories = categories

        def uses(self, category: str) -> bool:
            return category in self.categories


@pytest.fixture
def declared() -> DeclaredPurposes:
    return DeclaredPurposes(
        {
            "inquiry": {
                "user.name",
                "user.contact.email",
                "user.contact.phone_number",
                "user.content.private",
            },
            "marketing": {"user.contact.email"},
        }
    )


@pytest.fixture
def master_keys() -> list[MasterKey]:
    return [MasterKey(os.urandom(32))]


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def ring(sessions: sessionmaker[Session], master_keys: list[MasterKey]) -> Keyring:
    with sessions.begin() as session:
        return open_keyring(session, master_keys)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend (PostgreSQL: a fresh schema via search_path)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lawful.db'}"
        return
    request.getfixturevalue("pg_available")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def open_template(tmp_path: Path, database_url: str, template: str) -> Lawful:
    """Open lawful over one of the shipped templates, with a fresh key, on ``database_url``."""
    from dataclasses import replace

    from lawful.config.init import write_starter_config
    from lawful.context import open_lawful
    from lawful.crypto.keyfile import generate_master_key_file
    from lawful.settings import Settings

    config = write_starter_config(tmp_path / "lawful.yaml", template)
    settings = replace(
        Settings.from_env({}, data_dir=tmp_path), config_path=config, database_url=database_url
    )
    generate_master_key_file(settings.master_key_path)
    return open_lawful(settings)


@pytest.fixture
def published_studio(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    """The ru-design-studio operator on each backend with its documents published."""
    from lawful.documents import flows

    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    flows.publish_and_flag(lawful, actor="test")
    yield lawful
    lawful.close()
