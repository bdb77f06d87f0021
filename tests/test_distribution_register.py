"""The register of terms for data made public (152-FZ Art. 10.1(9)) is published by
construction: a distribution consent is listed the moment it is recorded, with the person's
terms per category and never who they are, and leaves the register when withdrawn."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.web.app import create_app

PURPOSE = "portfolio_publication"
TERMS = {
    "user.name": {"permitted": True, "conditions": {"ru": "Только имя | без фамилии"}},
    "user.content.public": {"permitted": True, "prohibit_transfer": True},
    "user.content.self_image": {"permitted": False},
}


@pytest.fixture
def client(published_studio: Lawful) -> TestClient:
    return TestClient(create_app(published_studio))


def _give(client: TestClient, email: str) -> str:
    current = client.get(f"/api/v1/documents/consent-{PURPOSE}/ru/current").json()
    body: dict[str, Any] = {
        "form_id": "testimonial",
        "language": "ru",
        "fields": {
            "user.name": "Ирина Волкова",
            "user.contact.email": email,
            "user.content.public": "Отличная студия",
        },
        "purposes": ["subject_requests", PURPOSE],
        "consents": {
            PURPOSE: {
                "given": True,
                "document_version": current["version"],
                "content_hash": current["content_hash"],
                "distribution_terms": TERMS,
            }
        },
    }
    answer = client.post("/api/v1/submissions", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["consents"][PURPOSE])


def test_a_distribution_consent_is_published_when_recorded_and_leaves_when_withdrawn(client):
    register = "/api/v1/documents/distribution-conditions/register"
    assert client.get(register).json() == []
    consent_id = _give(client, "irina.volkova@example.ru")
    (entry,) = client.get(register).json()
    assert entry["reference"] == consent_id
    assert entry["purpose"] == PURPOSE
    assert entry["terms"]["user.content.self_image"]["permitted"] is False
    assert entry["terms"]["user.content.public"]["prohibit_transfer"] is True
    page = client.get("/documents/distribution-conditions/ru/register")
    assert page.status_code == 200
    assert consent_id in page.text
    assert "Только имя / без фамилии" in page.text  # a pipe cannot break the table
    assert "irina.volkova" not in page.text and "Ирина" not in page.text
    withdrawn = client.post(f"/api/v1/consents/{consent_id}/withdraw", json={})
    assert withdrawn.status_code == 200, withdrawn.text
    assert client.get(register).json() == []
    assert consent_id not in client.get("/documents/distribution-conditions/en/register").text
