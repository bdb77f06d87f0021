"""The connector contract: what lawful asks of every system where a subject's data also live.

A connector answers five actions for one :class:`Identity` — ``access``, ``rectify``, ``erase``,
``block``/``unblock`` — and ``test``. Failures are raised as
:class:`~lawful.errors.ConnectorFailure` with ``permanent`` set (a person must act) or not
(retry with backoff), as healthchecks' transports do. Built-in connectors (``sql``, ...) are
ordinary implementations; a third party's connector only has to satisfy this protocol and be
added to :data:`lawful.connectors.registry.KINDS`.

Nothing a connector returns in :class:`Result` is personal: counts per table or entity and a
note for a person. Only :meth:`Connector.access` returns values (:class:`Found`), which the
orchestration seals under the request's key before storing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

IdentityKind = Literal["email", "phone"]
Action = Literal["access", "rectify", "erase", "block", "unblock"]
ACTIONS: tuple[Action, ...] = ("access", "rectify", "erase", "block", "unblock")


@dataclass(frozen=True)
class Identity:
    """Who the request is about, as the downstream system knows them (normalised value)."""

    kind: IdentityKind
    value: str

    def __repr__(self) -> str:  # never print the value by accident (logs, tracebacks)
        return f"Identity({self.kind}, <redacted>)"


@dataclass(frozen=True)
class Found:
    """One value held downstream: where (system, table/entity, field) and its category."""

    location: str
    field: str
    category: str
    value: str


@dataclass
class Result:
    """What an action did: rows or entities touched per place, and what is left for a person.

    ``manual`` non-empty means the system cannot finish by itself (Kommo has no delete): the
    connector's run stays open until a person (or the system's webhook) confirms."""

    counts: dict[str, int] = field(default_factory=dict)
    manual: str = ""
    method: str = ""
    #: The system's own ids of records a person (or the system's webhook) must still confirm
    #: (Kommo contact ids awaiting deletion). Ids, never values.
    pending: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Connector(Protocol):
    """One downstream system declared under ``connectors:`` in lawful.yaml."""

    key: str
    #: The declared recipient every call is logged as a transfer to, and its purpose.
    recipient: str
    purpose: str

    def categories(self) -> frozenset[str]:
        """The data categories this system holds (what access/erasure can touch)."""
        ...

    def test(self) -> str:
        """Reach the system and check the declaration against it; return a one-line summary."""
        ...

    def access(self, identity: Identity) -> list[Found]: ...

    def rectify(self, identity: Identity, changes: Mapping[str, str]) -> Result:
        """Set the values of the given categories (category -> new value)."""
        ...

    def erase(self, identity: Identity) -> Result: ...

    def block(self, identity: Identity) -> Result: ...

    def unblock(self, identity: Identity) -> Result: ...
