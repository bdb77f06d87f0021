"""A local Kommo API v4 with the documented shapes, limits and errors
(shared/research/integrations.md §1): Bearer check (401 problem+json), a token bucket of
7 requests/s answering 429, hal+json lists with ``_links.next`` and 204 when empty, fuzzy
``query`` over name and every field value, partial PATCH (``values: null`` clears,
``tags_to_add/delete``), notes, unlink (204), tasks, and no DELETE for contacts (405)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.local_server import serving

TOKEN = "kommo-long-lived-token"
HAL = "application/hal+json"


@dataclass
class Kommo:
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    leads: dict[int, dict[str, Any]] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    #: Arrival times of every accepted or refused call (for the rate-limit checks).
    arrivals: list[float] = field(default_factory=list)
    refused: int = 0
    #: Statuses to answer the next calls with, before serving normally (e.g. [503, 429]).
    fail_next: list[int] = field(default_factory=list)
    rate: float = 7.0
    page_size: int = 2
    _tokens: float = 7.0
    _last: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_contact(self, cid: int, name: str, email: str, phone: str, leads: list[int]) -> None:
        self.contacts[cid] = {
            "id": cid,
            "name": name,
            "first_name": name.split()[0],
            "last_name": name.split()[-1],
            "custom_fields_values": [
                {
                    "field_id": 1,
                    "field_code": "EMAIL",
                    "field_type": "multitext",
                    "values": [{"value": email, "enum_code": "WORK"}],
                },
                {
                    "field_id": 2,
                    "field_code": "PHONE",
                    "field_type": "multitext",
                    "values": [{"value": phone, "enum_code": "WORK"}],
                },
            ],
            "_embedded": {"tags": [], "leads": [{"id": lead} for lead in leads]},
        }

    def add_lead(self, lid: int, name: str, fields: dict[str, str]) -> None:
        self.leads[lid] = {
            "id": lid,
            "name": name,
            "price": 0,
            "custom_fields_values": [
                {"field_code": code, "values": [{"value": value}]} for code, value in fields.items()
            ],
        }

    def add_note(self, nid: int, contact: int, text: str, kind: str = "common") -> None:
        self.notes[nid] = {
            "id": nid,
            "entity_id": contact,
            "note_type": kind,
            "params": {"text": text},
        }

    def admit(self) -> bool:
        """The token bucket: ``rate`` per second, bursts of at most ``rate``."""
        with self._lock:
            now = time.monotonic()
            self.arrivals.append(now)
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                self.refused += 1
                return False
            self._tokens -= 1
            return True


def _problem(status: int, title: str) -> JSONResponse:
    body = {
        "title": title,
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": title,
    }
    return JSONResponse(body, status, media_type="application/problem+json")


def _matches(contact: dict[str, Any], query: str) -> bool:
    text = [contact["name"]] + [
        str(v["value"]) for f in contact["custom_fields_values"] or [] for v in f["values"] or []
    ]
    return any(query.lower() in t.lower() for t in text)


def app_for(kommo: Kommo) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if not kommo.admit():
            return Response("Too Many Requests", 429, media_type="text/html")
        if kommo.fail_next:
            return _problem(kommo.fail_next.pop(0), "failure on purpose")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _problem(401, "Unauthorized")
        response: Response = await call_next(request)
        return response

    @app.get("/api/v4/account")
    def account() -> JSONResponse:
        return JSONResponse(
            {"id": 30000001, "name": "Studio", "subdomain": "studio"}, media_type=HAL
        )

    @app.get("/api/v4/contacts", response_model=None)
    def contacts(request: Request, query: str = "", page: int = 1) -> Response:
        hits = [c for c in kommo.contacts.values() if _matches(c, query)]
        chunk = hits[(page - 1) * kommo.page_size : page * kommo.page_size]
        if not chunk:
            return Response(status_code=204)
        links: dict[str, Any] = {"self": {"href": str(request.url)}}
        if page * kommo.page_size < len(hits):
            links["next"] = {"href": f"/api/v4/contacts?query={query}&page={page + 1}&limit=250"}
        body = {"_page": page, "_links": links, "_embedded": {"contacts": chunk}}
        return JSONResponse(body, media_type=HAL)

    @app.get("/api/v4/contacts/{cid}", response_model=None)
    def contact(cid: int) -> Response:
        if cid not in kommo.contacts:
            return Response(status_code=204)
        return JSONResponse(kommo.contacts[cid], media_type=HAL)

    @app.get("/api/v4/leads/{lid}", response_model=None)
    def lead(lid: int) -> Response:
        if lid not in kommo.leads:
            return Response(status_code=204)
        return JSONResponse(kommo.leads[lid], media_type=HAL)

    @app.patch("/api/v4/contacts/notes")
    async def patch_notes(request: Request) -> JSONResponse:
        for change in await request.json():
            kommo.notes[change["id"]]["params"] = change["params"]
        return JSONResponse({"_embedded": {"notes": []}}, media_type=HAL)

    @app.patch("/api/v4/contacts/{cid}")
    async def patch_contact(cid: int, request: Request) -> JSONResponse:
        contact, change = kommo.contacts[cid], await request.json()
        for key in ("name", "first_name", "last_name"):
            if key in change:
                contact[key] = change[key]
        for value in change.get("custom_fields_values") or []:
            fields = [
                f for f in contact["custom_fields_values"] if f["field_code"] != value["field_code"]
            ]
            if value["values"] is not None:
                fields.append({"field_code": value["field_code"], "values": value["values"]})
            contact["custom_fields_values"] = fields
        tags = contact["_embedded"]["tags"]
        tags += [t for t in change.get("tags_to_add", []) if t not in tags]
        contact["_embedded"]["tags"] = [
            t for t in tags if t not in change.get("tags_to_delete", [])
        ]
        return JSONResponse({"id": cid, "updated_at": int(time.time())}, media_type=HAL)

    @app.delete("/api/v4/contacts/{cid}")
    def no_delete(cid: int) -> JSONResponse:
        return _problem(405, "Method Not Allowed")

    @app.get("/api/v4/contacts/{cid}/notes", response_model=None)
    def notes(cid: int) -> Response:
        found = [n for n in kommo.notes.values() if n["entity_id"] == cid]
        if not found:
            return Response(status_code=204)
        return JSONResponse(
            {"_page": 1, "_links": {}, "_embedded": {"notes": found}}, media_type=HAL
        )

    @app.post("/api/v4/contacts/{cid}/unlink", status_code=204)
    async def unlink(cid: int, request: Request) -> Response:
        gone = {link["to_entity_id"] for link in await request.json()}
        embedded = kommo.contacts[cid]["_embedded"]
        embedded["leads"] = [lead for lead in embedded["leads"] if lead["id"] not in gone]
        return Response(status_code=204)

    @app.post("/api/v4/tasks")
    async def tasks(request: Request) -> JSONResponse:
        kommo.tasks += await request.json()
        return JSONResponse({"_embedded": {"tasks": []}}, media_type=HAL)

    return app


@contextmanager
def kommo_server() -> Iterator[tuple[Kommo, str]]:
    kommo = Kommo()
    with serving(app_for(kommo)) as url:
        yield kommo, url
