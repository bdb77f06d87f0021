"""The worker's ``connectors.run`` job: one connector call of one request.

The handler opens what the call needs from the environment the worker runs in — the policy,
the keyring (to read the request's identifier) and the connectors' secrets — and hands over to
:func:`lawful.connectors.orchestration.execute`. A temporary failure propagates, so the job
queue retries it with backoff; everything else ends the job and is recorded on the run.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

from lawful.config.models import Policy
from lawful.connectors.orchestration import RUN_JOB, execute
from lawful.connectors.registry import Registry, build_registry
from lawful.crypto.keyfile import load_master_key
from lawful.crypto.keyring import open_keyring
from lawful.jobs import JobContext, Payload, PermanentJobError, default_registry
from lawful.settings import Settings


@default_registry.handler(RUN_JOB)
def run_connector(payload: Payload, context: JobContext) -> None:
    from lawful.context import load_policy

    settings = Settings.from_env()
    policy = getattr(context, "policy", None) or load_policy(settings)
    if policy is None:
        raise PermanentJobError("no lawful.yaml: connectors are not declared")
    masters = load_master_key(settings.master_key_path, settings.master_key_b64)
    with context.sessions.begin() as session:
        ring = open_keyring(session, masters)
    execute(
        sessions=context.sessions,
        ring=ring,
        registry=registry_for(policy, settings),
        run_id=int(payload["run_id"]),
        now=datetime.now(UTC),
    )


_REGISTRIES: dict[int, tuple[Policy, Registry]] = {}
_LOCK = threading.Lock()


def registry_for(policy: Policy, settings: Settings) -> Registry:
    """The worker's connectors for ``policy``, built once and kept: their connection pools,
    reflected tables and rate limiters then serve every job (building them costs more than
    most calls). A new policy object (a reload) gets new connectors; the old ones are closed."""
    with _LOCK:
        kept = _REGISTRIES.get(id(policy))
        if kept is not None and kept[0] is policy:
            return kept[1]
        for _, old in _REGISTRIES.values():
            old.close()
        _REGISTRIES.clear()
        registry = build_registry(policy, os.environ, settings.config_path.parent)
        _REGISTRIES[id(policy)] = (policy, registry)
        return registry


def close_registries() -> None:
    """Close the kept connectors (their pools and HTTP clients): at a worker's shutdown."""
    with _LOCK:
        for _, registry in _REGISTRIES.values():
            registry.close()
        _REGISTRIES.clear()
