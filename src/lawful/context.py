"""``Lawful``: the opened system — settings, database, keys and policy — that the CLI, the web
app and the worker build once and pass to the domain services."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lawful.crypto.keyfile import load_master_key
from lawful.crypto.keyring import Keyring, open_keyring
from lawful.settings import Settings
from lawful.store.db import create_engine_for, make_session_factory, migrate

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
    engine = create_engine_for(settings.database_url)
    try:
        migrate(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            ring = open_keyring(session, masters)
        policy = _load_policy(settings) if load_config else None
    except BaseException:
        engine.dispose()  # a failed open leaves no connection behind
        raise
    return Lawful(settings, engine, sessions, ring, policy)


def _load_policy(settings: Settings) -> Policy | None:
    if not settings.config_path.exists():
        return None
    from lawful.config.loader import load_policy

    return load_policy(settings.config_path).policy


#: Modules whose import registers job handlers on ``lawful.jobs.default_registry``. Every
#: process that runs jobs (``lawful worker``, ``lawful serve``) loads them all, so that no
#: queued job waits for a worker that does not know its kind.
JOB_HANDLER_MODULES = ("lawful.consent.jobs", "lawful.requests.jobs")


def load_job_handlers() -> None:
    for module in JOB_HANDLER_MODULES:
        importlib.import_module(module)
