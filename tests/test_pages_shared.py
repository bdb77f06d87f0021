"""What the portal and the admin pages share: language, translations, CSRF, stylesheets."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import Form, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import StarletteDeprecationWarning

from lawful.config.init import write_starter_config
from lawful.context import Lawful, open_lawful
from lawful.crypto.keyfile import generate_master_key_file
from lawful.settings import Settings
from lawful.web import create_app
from lawful.web.pages.i18n import negotiate, page_languages, translations
from lawful.web.pages.rendering import CSRF_COOKIE, LANGUAGE_COOKIE, check_csrf, csrf_token, render

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def lawful(tmp_path: Path) -> Iterator[Lawful]:
    config = write_starter_config(tmp_path / "lawful.yaml", "ru-design-studio")
    settings = replace(Settings.from_env({}, data_dir=tmp_path), config_path=config)
    generate_master_key_file(settings.master_key_path)
    opened = open_lawful(settings)
    yield opened
    opened.close()


@pytest.fixture
def client(lawful: Lawful) -> Iterator[TestClient]:
    app = create_app(lawful)

    @app.get("/test-page")
    def page(request: Request) -> HTMLResponse:
        response = render(request, "base.html")
        response.headers["x-test-csrf"] = csrf_token(request)  # what a form on it would carry
        return response

    @app.post("/test-form")
    def form(request: Request, csrf: str = Form("")) -> HTMLResponse:
        check_csrf(request, csrf)
        return HTMLResponse("accepted")

    with TestClient(app) as test_client:
        yield test_client


def test_negotiate_takes_the_best_quality_and_the_primary_subtag() -> None:
    available = ("en", "ru")
    assert negotiate("ru-RU,ru;q=0.9,en;q=0.8", available, "en") == "ru"
    assert negotiate("de;q=1, en;q=0.5, ru;q=0.7", available, "en") == "ru"
    assert negotiate("ru;q=0, en;q=0.1", available, "ru") == "en"
    assert negotiate("ru;q=oops, fr", available, "en") == "en"
    assert negotiate(None, available, "ru") == "ru"


def test_russian_catalog_translates_and_english_is_the_source() -> None:
    assert {"en", "ru"} <= set(page_languages())
    assert translations("ru").gettext("Language") == "Язык"
    assert translations("en").gettext("Language") == "Language"
    assert translations("xx").gettext("Language") == "Language"


def test_page_language_follows_header_then_switcher_cookie(client: TestClient) -> None:
    english = client.get("/test-page", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text
    assert 'href="?lang=ru"' in english.text  # the switcher offers the other language
    switched = client.get("/test-page?lang=ru", headers={"Accept-Language": "en"})
    assert '<html lang="ru">' in switched.text
    assert switched.cookies.get(LANGUAGE_COOKIE) == "ru"
    remembered = client.get("/test-page", headers={"Accept-Language": "en"})
    assert '<html lang="ru">' in remembered.text
    assert "Перейти к содержанию" in remembered.text


def test_pages_carry_security_headers_and_no_store(client: TestClient) -> None:
    response = client.get("/test-page")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def test_csrf_token_must_match_the_cookie(client: TestClient) -> None:
    page = client.get("/test-page")
    assert CSRF_COOKIE in page.cookies
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    token = page.headers["x-test-csrf"]
    assert client.post("/test-form", data={"csrf": token}).text == "accepted"
    refused = client.post("/test-form", data={"csrf": "0" * 64})
    assert refused.status_code == 401
    client.cookies.clear()
    assert client.post("/test-form", data={"csrf": token}).status_code == 401


def test_brand_stylesheet_carries_the_operators_colour(client: TestClient) -> None:
    brand = client.get("/pages/brand.css")
    assert brand.headers["content-type"].startswith("text/css")
    assert "--brand: #1A5FB4" in brand.text
    assert "font-family" in client.get("/pages/lawful.css").text
