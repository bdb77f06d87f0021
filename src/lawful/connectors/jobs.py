"""The worker's ``connectors.run`` job: one connector call of one request.

The handler opens what the call needs from the environment the worker runs in — the policy,
the keyring (to read the request's identifier) and the connectors' secrets — and hands over to
:func:`lawful.connectors.orchestration.execute`. A temporary failure propagates, so the job
queue retries it with backoff; everything else ends the job and is recorded on the run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from lawful.connectors.orchestration import RUN_JOB, execute
from lawful.connectors.registry import build_registry
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
    registry = build_registry(policy, os.environ, settings.config_path.parent)
    try:
        execute(
            sessions=context.sessions,
            ring=ring,
            registry=registry,
            run_id=int(payload["run_id"]),
            now=datetime.now(UTC),
        )
    finally:
        registry.close()
