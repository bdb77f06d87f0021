"""Google Analytics 4: a person's analytics data deleted through the Admin API.

``POST /v1alpha/properties/{property}:submitUserDeletion`` with ``userProvidedData`` — the
e-mail normalised as Google asks (lower case, no spaces; for gmail.com no dots in the local
part) or the phone as ``+digits`` — answers ``{"deletionRequestTime": …}``: everything GA4
collected for that user until then is deleted. GA4 has no per-user export, so ``access``
finds nothing, and nothing in it can be rectified or blocked per user (collection itself
follows the consent lawful records). Yandex Metrica has no such API at all: it is declared as
a ``manual`` connector with instructions (see the README).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lawful.connectors.contract import Found, Identity, Result
from lawful.connectors.http import Http

GMAIL = ("gmail.com", "googlemail.com")


def user_provided_data(identity: Identity) -> str:
    if identity.kind == "phone":
        return "+" + re.sub(r"\D", "", identity.value)
    local, _, domain = identity.value.strip().lower().replace(" ", "").partition("@")
    if domain in GMAIL:
        local = local.replace(".", "")
    return f"{local}@{domain}"


@dataclass
class Ga4Connector:
    key: str
    recipient: str
    purpose: str
    http: Http
    property_id: str
    held: frozenset[str]

    def categories(self) -> frozenset[str]:
        return self.held

    def test(self) -> str:
        self.http.call("GET", f"/v1alpha/properties/{self.property_id}")
        return f"property {self.property_id} reached"

    def access(self, identity: Identity) -> list[Found]:
        return []  # GA4 offers no per-user export

    def erase(self, identity: Identity) -> Result:
        body = {"userProvidedData": user_provided_data(identity)}
        path = f"/v1alpha/properties/{self.property_id}:submitUserDeletion"
        answer = self.http.json("POST", path, json=body) or {}
        when = str(answer.get("deletionRequestTime", ""))
        return Result(
            counts={f"property {self.property_id}": 1},
            method=f"GA4 user deletion of data collected until {when}",
        )

    def rectify(self, identity: Identity, changes: Mapping[str, str]) -> Result:
        return Result(method="nothing to rectify: GA4 keeps no values a person can correct")

    def block(self, identity: Identity) -> Result:
        return Result(method="GA4 collection follows the consent recorded in lawful")

    def unblock(self, identity: Identity) -> Result:
        return self.block(identity)

    def close(self) -> None:
        self.http.close()
