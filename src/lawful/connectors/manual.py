"""Systems without an API for requests (Yandex Metrica, a paper archive): every action is a
task for a person, with the operator's instructions; the run stays open until confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lawful.connectors.contract import Found, Identity, Result


@dataclass
class ManualConnector:
    key: str
    recipient: str
    purpose: str
    held: frozenset[str]
    instructions: str

    def categories(self) -> frozenset[str]:
        return self.held

    def test(self) -> str:
        return "manual: every action is a task for a person"

    def access(self, identity: Identity) -> list[Found]:
        return []

    def _task(self, action: str) -> Result:
        return Result(manual=f"{action} by hand in {self.key}: {self.instructions}")

    def rectify(self, identity: Identity, changes: Mapping[str, str]) -> Result:
        return self._task("rectify")

    def erase(self, identity: Identity) -> Result:
        return self._task("erase")

    def block(self, identity: Identity) -> Result:
        return self._task("block")

    def unblock(self, identity: Identity) -> Result:
        return self._task("unblock")

    def close(self) -> None:
        return None
