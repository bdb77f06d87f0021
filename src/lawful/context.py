"""``Lawful``: the opened system — settings, database, keys and policy — that the CLI, the web
app and the worker build once and pass to the domain services."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lawful.crypto.keyfile import load_master_key
from lawful.crypto.keyring import Keyring, open_keyring
from lawful.jobs.registry import JobContext
from lawful.settings import Settings
from lawful.store.db import create_engine_for, make_session_factory, migrate, purge_freed_pages

if TYPE_CHECKING:
    from lawful.config.models import Policy


@dataclass
class Lawful:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    ring: Keyring
    policy: Policy | None

    def require_policy(self) -> Policy:
        from lawful.errors import ConfigError

        if self.policy is None:
            raise ConfigError(f"{self.settings.config_path}: no lawful.yaml — run `lawful init`")
        return self.policy

    def close(self) -> None:
        self.engine.dispose()


def open_lawful(settings: Settings, *, load_config: bool = True) -> Lawful:
    """Open the database (migrating it), unlock the keyring and load the policy.

    A wrong or missing master key raises ``MasterKeyError`` before anything is written."""
    masters = load_master_key(settings.master_key_path, settings.master_key_b64)
    if settings.database_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine_for(settings.database_url, queue_writers=True)
    try:
        migrate(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            ring = open_keyring(session, masters)
        _keep_erasures(engine, sessions, settings)
        policy = load_policy(settings) if load_config else None
    except BaseException:
        engine.dispose()  # a failed open leaves no connection behind
        raise
    return Lawful(settings, engine, sessions, ring, policy)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WorkerContext(JobContext):
    """What lawful's own workers give each job: the policy (None without a lawful.yaml) and
    the clock, so that handlers which apply the policy over time can be tested in time."""

    policy: Policy | None = None
    clock: Callable[[], datetime] = field(default=_now)


def worker_context(
    engine: Engine, settings: Settings, policy: Policy | None = None
) -> WorkerContext:
    """The job context for a worker over ``engine`` (the policy loaded from settings)."""
    return WorkerContext(engine, make_session_factory(engine), policy or load_policy(settings))


def _keep_erasures(engine: Engine, sessions: sessionmaker[Session], settings: Settings) -> None:
    """Ledger every erasure outside the database, and erase again anyone a restored database
    still holds, before any command or server uses it."""
    from lawful.backup.ledger import attach, reapply

    if reapply(sessions, attach(engine, settings.ledger_path)):
        purge_freed_pages(engine)


def load_policy(settings: Settings) -> Policy | None:
    """The operator's policy from ``settings.config_path``; None when there is none yet."""
    if not settings.config_path.exists():
        return None
    from lawful.config.loader import load_policy as load_file

    return load_file(settings.config_path).policy


#: Modules whose import registers job handlers on ``lawful.jobs.default_registry``. Every
#: process that runs jobs (``lawful worker``, ``lawful serve``) loads them all, so that no
#: queued job waits for a worker that does not know its kind.
JOB_HANDLER_MODULES = (
    "lawful.consent.jobs",
    "lawful.incidents.jobs",
    "lawful.requests.jobs",
    "lawful.retention.jobs",
    "lawful.connectors.jobs",
    "lawful.intake.jobs",
)


def load_job_handlers() -> None:
    for module in JOB_HANDLER_MODULES:
        importlib.import_module(module)
