"""Checking the declared connectors: reach each system and say what is wrong, one line each."""

from __future__ import annotations

from dataclasses import dataclass

from lawful.connectors.registry import Registry
from lawful.errors import ConfigError, ConnectorFailure


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    message: str


def test_connectors(registry: Registry, only: str | None = None) -> list[Check]:
    """Build and test each connector (or ``only``); one failure does not stop the others."""
    return [_test_one(registry, key) for key in registry.keys() if only in (None, key)]


def _test_one(registry: Registry, key: str) -> Check:
    try:
        return Check(key, True, registry.get(key).test())
    except ConfigError as exc:
        return Check(key, False, exc.message)
    except ConnectorFailure as exc:
        kind = "permanent: fix the declaration or the system" if exc.permanent else "temporary"
        return Check(key, False, f"{exc.message} — {kind}")
