"""The Kommo connector against a local fake Kommo with the documented shapes and limits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from lawful.connectors.contract import Identity
from lawful.connectors.http import Http, RateLimiter
from lawful.connectors.kommo import REDACTED, KommoConnector
from lawful.errors import ConnectorFailure
from tests.kommo_fake import TOKEN, Kommo, kommo_server

ANN = Identity("email", "ann@example.org")
FIELDS = {"EMAIL": "user.contact.email", "PHONE": "user.contact.phone_number"}


@pytest.fixture
def kommo() -> Iterator[tuple[Kommo, str]]:
    with kommo_server() as (fake, url):
        fake.add_contact(11, "Ann Smith", "Ann@Example.org", "+79120000001", leads=[501])
        fake.add_contact(12, "Annette", "ann@example.org.evil", "+79120000002", leads=[])
        fake.add_contact(13, "Joanne", "joanne@example.org", "+79120000003", leads=[])
        fake.add_note(901, 11, "called Ann about her order")
        fake.add_lead(501, "Logo for Ann's coffee shop", {"DELIVERY": "12 Rose St"})
        fake.add_note(902, 11, "incoming call", kind="call_in")
        yield fake, url


@pytest.fixture
def connect() -> Iterator[Callable[..., KommoConnector]]:
    """Make a connector to the fake (closed after the test)."""
    made: list[KommoConnector] = []

    def make(url: str, token: str = TOKEN) -> KommoConnector:
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
        made.append(
            KommoConnector(
                "crm",
                "kommo",
                "order_details",
                Http("crm", client, RateLimiter(7), backoff=0.01),
                FIELDS,
            )
        )
        return made[-1]

    yield make
    for crm in made:
        crm.close()


def test_fuzzy_query_hits_are_narrowed_to_the_exact_identity(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    crm = connect(url)
    assert [c["id"] for c in crm.contacts(ANN)] == [11]  # "ann" also matches 12 and 13
    assert [c["id"] for c in crm.contacts(Identity("phone", "+7 912 000-00-01"))] == []  # fuzzy
    assert [c["id"] for c in crm.contacts(Identity("phone", "+79120000001"))] == [11]
    assert crm.contacts(Identity("email", "nobody@example.org")) == []  # 204, no body


def test_access_reads_fields_and_notes_across_pages(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    fake.page_size = 1  # three "ann" hits: three pages, the last without _links.next
    crm = connect(url)
    found = crm.access(ANN)
    values = {(f.field, f.value) for f in found}
    assert ("name", "Ann Smith") in values and ("PHONE", "+79120000001") in values
    assert ("note 901", "called Ann about her order") in values
    assert ("name", "Logo for Ann's coffee shop") in values  # the linked deal is read too
    assert ("DELIVERY", "12 Rose St") in values
    assert {f.location for f in found} == {"crm.contacts.11", "crm.leads.501"}


def test_erasure_anonymises_redacts_unlinks_and_asks_a_person_to_delete(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    crm = connect(url)
    result = crm.erase(ANN)
    contact = fake.contacts[11]
    assert contact["name"] == "Deleted #11" and contact["first_name"] == ""
    assert contact["custom_fields_values"] == []
    assert fake.notes[901]["params"]["text"] == REDACTED
    assert fake.notes[902]["params"]["text"] == "incoming call"  # not a common note
    assert contact["_embedded"]["leads"] == []
    assert [t["entity_id"] for t in fake.tasks] == [11]
    assert result.pending == ["11"] and "delete contact(s) #11" in result.manual
    assert result.counts == {"contacts": 1, "notes": 1, "leads unlinked": 1}
    assert fake.contacts[12]["name"] == "Annette"


def test_rectify_and_block_by_tag(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    crm = connect(url)
    crm.rectify(ANN, {"user.name": "Anna Smith", "user.contact.phone_number": "+79129999999"})
    assert fake.contacts[11]["name"] == "Anna Smith"
    phone = [f for f in fake.contacts[11]["custom_fields_values"] if f["field_code"] == "PHONE"]
    assert phone[0]["values"] == [{"value": "+79129999999"}]
    crm.block(ANN)
    assert fake.contacts[11]["_embedded"]["tags"] == [{"name": "DSR-BLOCKED"}]
    crm.unblock(ANN)
    assert fake.contacts[11]["_embedded"]["tags"] == []


def test_429_and_5xx_are_retried(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    fake.fail_next = [429, 503]
    crm = connect(url)
    assert "account 30000001" in crm.test()


def test_failures_are_classified_without_the_identity(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    with pytest.raises(ConnectorFailure) as wrong_token:
        connect(url, token="wrong").access(ANN)
    assert wrong_token.value.permanent and "401" in wrong_token.value.message
    assert "ann" not in wrong_token.value.message.lower()
    fake.fail_next = [502] * 3
    with pytest.raises(ConnectorFailure) as down:
        connect(url).access(ANN)
    assert not down.value.permanent
    assert down.value.message == "crm: GET /api/v4/contacts failed: 502 (temporary)"


def test_the_client_keeps_under_kommos_rate_without_being_refused(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    crm = connect(url)
    fake.arrivals.clear()
    started = time.monotonic()
    for _ in range(21):
        crm.test()
    took = time.monotonic() - started
    assert fake.refused == 0
    assert took >= 20 / 7  # 21 calls spaced (a hair more than) 1/7 s apart


def test_an_unlimited_client_is_refused_by_the_fake(
    kommo: tuple[Kommo, str], connect: Callable[..., KommoConnector]
) -> None:
    fake, url = kommo
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        codes = [client.get("/api/v4/account").status_code for _ in range(12)]
    assert 429 in codes and fake.refused > 0


def test_the_limiter_spaces_calls_evenly() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(7, clock=lambda: now[0], sleep=sleep)
    for _ in range(8):
        limiter.wait()
    assert slept == pytest.approx([i * 1.02 / 7 for i in range(1, 8)])
