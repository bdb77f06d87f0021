"""The consent widget's routes: ``/widget.js``, ``/api/v1/widget/config`` and the CORS answer
for the operator's website (the browser test is tests/e2e/test_widget_browser.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from lawful.context import Lawful
from lawful.documents import flows
from lawful.web.app import create_app
from lawful.web.routes import widget
from tests.conftest import open_template

SITE = "https://liniya-i-tsvet.example"  # operator.website in the ru-design-studio template


@pytest.fixture
def studio(published_studio: Lawful) -> Lawful:
    return published_studio


@pytest.fixture
def client(studio: Lawful) -> TestClient:
    return TestClient(create_app(studio))


def _current(client: TestClient, kind: str, language: str = "ru") -> dict[str, object]:
    document = client.get(f"/api/v1/documents/{kind}/{language}/current").json()
    return {
        "kind": kind,
        "version": document["version"],
        "content_hash": document["content_hash"],
        "url": document["url"],
    }


def test_config_lists_each_purpose_with_its_basis_and_current_consent_text(client, studio):
    answer = client.get("/api/v1/widget/config", params={"language": "ru"})
    assert answer.status_code == 200, answer.text
    config = answer.json()
    assert config["language"] == "ru" and config["languages"] == ["ru", "en"]
    purposes = {p["key"]: p for p in config["purposes"]}
    assert list(purposes) == list(studio.require_policy().purposes)
    order = purposes["order_details"]
    assert order["name"] == "Уточнение деталей заказа и исполнение договора"
    assert order["legal_basis"] == "contract" and order["consent"] is None
    newsletters = purposes["newsletters"]
    assert newsletters["name"] == "Рассылка о новых услугах и акциях"
    assert newsletters["legal_basis"] == "consent"
    assert newsletters["categories"] == ["user.name", "user.contact.email"]
    assert newsletters["consent"] == {
        "kind": "marketing",
        "obtained_by": "checkbox",
        "required": False,  # promotion may never be a condition of the order
        "document": _current(client, "consent-newsletters"),
    }
    assert newsletters["consent"]["document"]["url"] == "/documents/consent-newsletters/ru/v1"
    assert purposes["site_analytics"]["consent"]["required"] is True  # kind: processing
    assert purposes["portfolio_publication"]["consent"]["required"] is False  # distribution
    assert config["privacy_policy"] == _current(client, "privacy-policy")
    assert config["user_agreement"] is None
    assert config["texts"]["legend"] == "Ваше согласие"
    assert answer.headers["cache-control"] == "no-cache"


def test_config_quotes_the_user_agreement_once_published(client, studio):
    flows.publish_and_flag(studio, actor="test", user_agreements={"ru": "# Соглашение\n\nТекст."})
    config = client.get("/api/v1/widget/config", params={"language": "ru"}).json()
    assert config["user_agreement"] == _current(client, "user-agreement")
    english = client.get("/api/v1/widget/config", params={"language": "en"}).json()
    assert english["user_agreement"] is None


@pytest.mark.parametrize(
    ("asked", "chosen"),
    [("en", "en"), ("en-GB", "en"), ("RU_ru", "ru"), ("de", "ru"), (None, "ru")],
)
def test_config_matches_the_page_language_to_a_published_one(client, asked, chosen):
    params = {"language": asked} if asked else {}
    config = client.get("/api/v1/widget/config", params=params).json()
    assert config["language"] == chosen
    newsletters = next(p for p in config["purposes"] if p["key"] == "newsletters")
    assert newsletters["consent"]["document"]["url"].startswith(
        f"/documents/consent-newsletters/{chosen}/"
    )
    if chosen == "en":
        assert newsletters["name"] == "News and special offers"
        assert config["texts"]["legend"] == "Your consent"


def test_config_refuses_before_the_documents_are_published(tmp_path, database_url):
    lawful = open_template(tmp_path, database_url, "ru-design-studio")
    try:
        answer = TestClient(create_app(lawful)).get("/api/v1/widget/config")
    finally:
        lawful.close()
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_script_is_served_as_javascript_with_a_cache_header_and_etag(client):
    answer = client.get("/widget.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/javascript; charset=utf-8"
    assert answer.headers["cache-control"] == widget.SCRIPT_CACHE
    assert "data-lawful-form" in answer.text
    # Never a value in the console, never markup from strings, never an inline style.
    assert not re.search(r"console\.\w+\(|\.innerHTML|\.style\b|style=", answer.text)
    again = client.get("/widget.js", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_cors_preflight_allows_the_operators_website_to_post_a_submission(client):
    answer = client.options(
        "/api/v1/submissions",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,idempotency-key",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == SITE
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "idempotency-key" in allowed and "content-type" in allowed
    assert "access-control-allow-credentials" not in answer.headers


def test_cors_answers_the_widgets_reads_for_the_operators_website_only(client):
    for path in ("/api/v1/widget/config", "/api/v1/documents/privacy-policy/ru/current"):
        mine = client.get(path, headers={"Origin": SITE})
        assert mine.headers["access-control-allow-origin"] == SITE, path
        other = client.get(path, headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers, path
    refused = client.options(
        "/api/v1/submissions",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_cors_is_not_offered_on_other_routes(client):
    answer = client.get("/api/v1/audit/verify", headers={"Origin": SITE})
    assert "access-control-allow-origin" not in answer.headers


def test_a_refused_submission_carries_cors_headers_so_the_widget_can_read_it(client):
    answer = client.post("/api/v1/submissions", json={"form_id": "x"}, headers={"Origin": SITE})
    assert answer.status_code == 422
    assert answer.headers["access-control-allow-origin"] == SITE


@pytest.mark.parametrize(
    ("website", "origin"),
    [
        ("https://Example.ru/contacts/", "https://example.ru"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("example.ru", None),
        (None, None),
    ],
)
def test_the_allowed_origin_is_the_website_origin(studio, website, origin):
    policy = studio.require_policy()
    changed = policy.model_copy(
        update={"operator": policy.operator.model_copy(update={"website": website})}
    )
    assert widget.website_origin(changed) == origin


def test_every_field_refusal_code_has_words_in_every_widget_language():
    """Every ``reason=`` lawful raises is a code the widget can say in each of its languages."""
    import re
    from pathlib import Path

    import lawful
    from lawful.web.routes.widget import TEXTS

    source = Path(lawful.__file__).parent
    codes = {
        code
        for path in source.rglob("*.py")
        for code in re.findall(r'reason="([a-z]+-[a-z-]+)"', path.read_text("utf-8"))
    }
    assert {"invalid-email", "invalid-phone", "document-not-current"} <= codes
    for language, texts in TEXTS.items():
        missing = {c for c in codes if f"error.{c}" not in texts}
        assert not missing, (language, missing)
