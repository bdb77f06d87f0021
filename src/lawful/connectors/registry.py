"""The connectors of a policy, built from its validated ``connectors:`` section.

:data:`KINDS` maps each declaration ``type`` to the factory that builds it (presidio's registry
of recognizers built from YAML). Secrets are read here, from ``NAME`` or the file ``NAME_FILE``
(:func:`lawful.settings.env_secret`): a missing one is a ConfigError naming the variable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lawful.config.connectors import Ga4Connector as Ga4Declaration
from lawful.config.connectors import KommoConnector as KommoDeclaration
from lawful.config.connectors import ManualConnector as ManualDeclaration
from lawful.config.connectors import SqlConnector as SqlDeclaration
from lawful.config.connectors import WebhookConnector as WebhookDeclaration
from lawful.config.models import Policy
from lawful.config.taxonomy import is_within
from lawful.connectors.analytics import Ga4Connector
from lawful.connectors.contract import Connector
from lawful.connectors.fides import load_fides_dataset
from lawful.connectors.http import Http, RateLimiter
from lawful.connectors.kommo import KommoConnector
from lawful.connectors.manual import ManualConnector
from lawful.connectors.sql import SqlConnector
from lawful.connectors.webhook import WebhookConnector
from lawful.errors import ConfigError, NotFound
from lawful.settings import env_secret

Factory = Callable[[str, Any, "Building"], Connector]


@dataclass(frozen=True)
class Building:
    """What a factory may read besides its declaration."""

    env: Mapping[str, str]
    #: The folder of lawful.yaml: relative paths (``fides_dataset``) are read from there.
    base_dir: Path


def secret(name: str, building: Building, connector: str) -> str:
    value = env_secret(name, building.env)
    if not value:
        raise ConfigError(
            f"connectors.{connector}: the environment variable {name} (or {name}_FILE) is not "
            "set; fix: export it before running lawful"
        )
    return value


def _sql(key: str, declaration: SqlDeclaration, building: Building) -> Connector:
    dataset = declaration.dataset
    if dataset is None:
        dataset = load_fides_dataset(building.base_dir / str(declaration.fides_dataset))
    url = secret(declaration.url_env, building, key)
    return SqlConnector(
        key, declaration.recipient, declaration.purpose, url, dataset, declaration.timeout
    )


def _manual(key: str, declaration: ManualDeclaration, building: Building) -> Connector:
    return ManualConnector(
        key,
        declaration.recipient,
        declaration.purpose,
        frozenset(declaration.categories),
        declaration.instructions,
    )


def _kommo(key: str, declaration: KommoDeclaration, building: Building) -> Connector:
    token = secret(declaration.token_env, building, key)
    client = httpx.Client(
        base_url=declaration.base_url,
        headers={"Authorization": f"Bearer {token}", "User-Agent": "lawful"},
        timeout=declaration.timeout,
    )
    limiter = shared_limiter(declaration.base_url, declaration.rate_per_second)
    return KommoConnector(
        key,
        declaration.recipient,
        declaration.purpose,
        Http(key, client, limiter),
        dict(declaration.fields),
        declaration.name_category,
        declaration.notes_category,
        declaration.block_tag,
        declaration.responsible_user_id,
    )


def _webhook(key: str, declaration: WebhookDeclaration, building: Building) -> Connector:
    secret_value = secret(declaration.secret_env, building, key)
    base, _, path = declaration.url.partition("://")
    host, _, rest = path.partition("/")
    client = httpx.Client(base_url=f"{base}://{host}", timeout=declaration.timeout)
    public = building.env.get("LAWFUL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    return WebhookConnector(
        key,
        declaration.recipient,
        declaration.purpose,
        Http(key, client, RateLimiter(50)),
        f"/{rest}",
        secret_value,
        frozenset(declaration.categories),
        f"{public}/api/v1/connectors/{key}/callback",
    )


def _ga4(key: str, declaration: Ga4Declaration, building: Building) -> Connector:
    token = secret(declaration.token_env, building, key)
    client = httpx.Client(
        base_url=declaration.base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=declaration.timeout,
    )
    # GA4 allows about 1.5 user deletions per second per property.
    limiter = shared_limiter(f"{declaration.base_url}/{declaration.property_id}", 1.5)
    return Ga4Connector(
        key,
        declaration.recipient,
        declaration.purpose,
        Http(key, client, limiter),
        declaration.property_id,
        frozenset(declaration.categories),
    )


_LIMITERS: dict[str, RateLimiter] = {}


def shared_limiter(account: str, rate: float) -> RateLimiter:
    """One limiter per account in this process: every connector call to it shares the budget."""
    return _LIMITERS.setdefault(account, RateLimiter(rate))


KINDS: dict[str, Factory] = {
    "sql": _sql,
    "manual": _manual,
    "kommo": _kommo,
    "webhook": _webhook,
    "ga4": _ga4,
}


class Registry:
    """The built connectors by key; built lazily so one bad secret does not hide the rest."""

    def __init__(self, policy: Policy, building: Building) -> None:
        self.policy, self.building = policy, building
        self._built: dict[str, Connector] = {}

    def keys(self) -> list[str]:
        return list(self.policy.connectors)

    def get(self, key: str) -> Connector:
        if key not in self.policy.connectors:
            raise NotFound(f"connector {key!r} is not declared in lawful.yaml", field="connector")
        if key not in self._built:
            declaration = self.policy.connectors[key]
            self._built[key] = KINDS[declaration.type](key, declaration, self.building)
        return self._built[key]

    def __iter__(self) -> Iterator[Connector]:
        return (self.get(key) for key in self.keys())

    def close(self) -> None:
        for connector in self._built.values():
            close = getattr(connector, "close", None)
            if close is not None:
                close()
        self._built.clear()


def build_registry(policy: Policy, env: Mapping[str, str], base_dir: Path) -> Registry:
    return Registry(policy, Building(env, base_dir))


def holding(policy: Policy, categories: frozenset[str] | None = None) -> list[str]:
    """Keys of the connectors whose recipient holds any of ``categories`` (None: all of them).

    A request about a subject fans out to these: a recipient that holds none of the subject's
    categories cannot hold their data."""
    keys = []
    for key, declaration in policy.connectors.items():
        recipient = policy.recipients.get(declaration.recipient)
        if recipient is None:
            continue
        if categories is None or any(
            is_within(c, declared) for c in categories for declared in recipient.categories
        ):
            keys.append(key)
    return keys
