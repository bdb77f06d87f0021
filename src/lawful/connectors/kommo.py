"""Kommo (amoCRM) API v4: contacts found by e-mail or phone, read (with their notes and
linked leads), rectified, anonymised.

The API's ``query`` is fuzzy, so every hit is checked for an exact match of the identity in the
contact's EMAIL/PHONE fields. Lists end when ``_links.next`` is absent; an empty list is 204
with no body. Kommo has **no DELETE for contacts or leads**: erasure anonymises the contact
(name replaced, declared fields ``values: null``), redacts its common notes, unlinks its leads
and creates a Kommo task asking a person to delete the record; the run stays open (its contact
ids pending) until the ``delete_contact`` webhook or a person confirms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lawful.connectors.contract import Found, Identity, Result
from lawful.connectors.http import Http

API = "/api/v4"
REDACTED = "[erased at the person's request]"


@dataclass
class KommoConnector:
    key: str
    recipient: str
    purpose: str
    http: Http
    #: Kommo field_code -> lawful category (EMAIL, PHONE, or a custom field's code).
    fields: Mapping[str, str]
    name_category: str = "user.name"
    notes_category: str = "user.content.private"
    block_tag: str = "DSR-BLOCKED"
    responsible_user_id: int | None = None
    _found: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def categories(self) -> frozenset[str]:
        return frozenset({*self.fields.values(), self.name_category, self.notes_category})

    def test(self) -> str:
        account = self.http.json("GET", f"{API}/account") or {}
        return f"account {account.get('id', '?')} reached"

    # --- finding the person ------------------------------------------------------------------

    def contacts(self, identity: Identity) -> list[dict[str, Any]]:
        """Contacts whose EMAIL/PHONE field is exactly the identity (``query`` is fuzzy)."""
        wanted = _comparable(identity.kind, identity.value)
        code = "EMAIL" if identity.kind == "email" else "PHONE"
        return [
            contact
            for contact in self._pages("contacts", {"query": identity.value, "limit": 250})
            if wanted in {_comparable(identity.kind, v) for v in _values(contact, code)}
        ]

    def _pages(self, entity: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        path: str | None = f"{API}/{entity}"
        page_params: dict[str, Any] | None = params
        while path is not None:
            body = self.http.json("GET", path, params=page_params)
            if body is None:  # 204: nothing (more)
                return
            yield from body.get("_embedded", {}).get(entity, [])
            path = body.get("_links", {}).get("next", {}).get("href")
            page_params = None  # the next link carries the query

    # --- the contract ----------------------------------------------------------------------

    def access(self, identity: Identity) -> list[Found]:
        found: list[Found] = []
        for contact in self.contacts(identity):
            where = f"{self.key}.contacts.{contact['id']}"
            found.append(Found(where, "name", self.name_category, str(contact.get("name", ""))))
            for code, category in self.fields.items():
                found += [Found(where, code, category, v) for v in _values(contact, code)]
            for note in self._notes(contact["id"]):
                text = str(note.get("params", {}).get("text", ""))
                found.append(Found(where, f"note {note['id']}", self.notes_category, text))
            for lead_id in self._leads(contact["id"]):
                found += self._lead(lead_id)
        return found

    def _lead(self, lead_id: int) -> list[Found]:
        """A deal linked to the contact: its name and custom field values (what the person
        ordered or asked for), under the notes' category."""
        lead = self.http.json("GET", f"{API}/leads/{lead_id}")
        if not lead:
            return []
        where = f"{self.key}.leads.{lead_id}"
        found = [Found(where, "name", self.notes_category, str(lead.get("name", "")))]
        for custom in lead.get("custom_fields_values") or []:
            code = str(custom.get("field_code") or custom.get("field_id"))
            for value in custom.get("values") or []:
                found.append(Found(where, code, self.notes_category, str(value.get("value"))))
        return found

    def _notes(self, contact_id: int) -> list[dict[str, Any]]:
        body = self.http.json("GET", f"{API}/contacts/{contact_id}/notes", params={"limit": 250})
        return list(body.get("_embedded", {}).get("notes", [])) if body else []

    def rectify(self, identity: Identity, changes: Mapping[str, str]) -> Result:
        result = Result(method="PATCH of the contact's fields")
        for contact in self.contacts(identity):
            patch: dict[str, Any] = {"custom_fields_values": []}
            if self.name_category in changes:
                patch["name"] = changes[self.name_category]
            for code, category in self.fields.items():
                if category in changes:
                    value = [{"value": changes[category]}]
                    patch["custom_fields_values"].append({"field_code": code, "values": value})
            self.http.call("PATCH", f"{API}/contacts/{contact['id']}", json=patch)
            result.counts["contacts"] = result.counts.get("contacts", 0) + 1
        return result

    def erase(self, identity: Identity) -> Result:
        ids = [int(c["id"]) for c in self.contacts(identity)]
        result = Result(
            method="anonymised by PATCH, notes redacted, leads unlinked, task to delete"
        )
        for contact_id in ids:
            self._anonymise(contact_id, result)
        if ids:
            self._task(ids)
            listed = ", ".join(f"#{i}" for i in ids)
            result.manual = (
                f"Kommo has no API to delete contacts: delete contact(s) {listed} in Kommo "
                "(a task was created); the delete_contact webhook or a person confirms"
            )
            result.pending = [str(i) for i in ids]
        return result

    def _anonymise(self, contact_id: int, result: Result) -> None:
        cleared = [{"field_code": code, "values": None} for code in self.fields]
        patch = {
            "name": f"Deleted #{contact_id}",
            "first_name": "",
            "last_name": "",
            "custom_fields_values": cleared,
        }
        self.http.call("PATCH", f"{API}/contacts/{contact_id}", json=patch)
        notes = [n for n in self._notes(contact_id) if n.get("note_type") == "common"]
        if notes:
            redacted = [
                {"id": n["id"], "note_type": "common", "params": {"text": REDACTED}} for n in notes
            ]
            self.http.call("PATCH", f"{API}/contacts/notes", json=redacted)
        leads = self._leads(contact_id)
        if leads:
            unlink = [{"to_entity_id": lead, "to_entity_type": "leads"} for lead in leads]
            self.http.call("POST", f"{API}/contacts/{contact_id}/unlink", json=unlink)
        for name, count in (("contacts", 1), ("notes", len(notes)), ("leads unlinked", len(leads))):
            result.counts[name] = result.counts.get(name, 0) + count

    def _leads(self, contact_id: int) -> list[int]:
        body = self.http.json("GET", f"{API}/contacts/{contact_id}", params={"with": "leads"})
        leads = (body or {}).get("_embedded", {}).get("leads", [])
        return [int(lead["id"]) for lead in leads]

    def _task(self, ids: list[int]) -> None:
        due = int((datetime.now(UTC) + timedelta(days=3)).timestamp())
        tasks = [
            {
                "text": "Data-subject erasure: delete this contact (the API cannot)",
                "complete_till": due,
                "entity_id": contact_id,
                "entity_type": "contacts",
                "task_type_id": 1,
                **(
                    {"responsible_user_id": self.responsible_user_id}
                    if self.responsible_user_id
                    else {}
                ),
            }
            for contact_id in ids
        ]
        self.http.call("POST", f"{API}/tasks", json=tasks)

    def block(self, identity: Identity) -> Result:
        return self._tag(identity, "tags_to_add")

    def unblock(self, identity: Identity) -> Result:
        return self._tag(identity, "tags_to_delete")

    def _tag(self, identity: Identity, change: str) -> Result:
        result = Result(method=f"tag {self.block_tag}")
        for contact in self.contacts(identity):
            patch = {change: [{"name": self.block_tag}]}
            self.http.call("PATCH", f"{API}/contacts/{contact['id']}", json=patch)
            result.counts["contacts"] = result.counts.get("contacts", 0) + 1
        return result

    def close(self) -> None:
        self.http.close()


def _values(contact: Mapping[str, Any], code: str) -> list[str]:
    return [
        str(v.get("value", ""))
        for f in contact.get("custom_fields_values") or []
        if f.get("field_code") == code
        for v in f.get("values") or []
    ]


def _comparable(kind: str, value: str) -> str:
    """E-mails compare case-insensitively, phones by their digits (+7 912… = 8912… aside)."""
    return value.strip().lower() if kind == "email" else re.sub(r"\D", "", value)
