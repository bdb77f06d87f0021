"""Published documents: rendered from lawful.yaml, versioned by content, served at stable URLs."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from starlette.exceptions import StarletteDeprecationWarning

import lawful.consent.service as consent_service
from lawful.audit.models import AuditEvent
from lawful.config.init import template_text
from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.context import Lawful
from lawful.documents import flows, html, render, service
from lawful.documents.changes import MaterialChange
from lawful.documents.models import DocumentRef
from lawful.errors import NotFound, PolicyViolation
from lawful.store.db import Base
from lawful.web import create_app
from tests.conftest import open_template

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)

#: A second recipient, in Germany, for the newsletters of the ru-design-studio template.
MAILER = """recipients:
  mailer:
    name: Mail delivery service
    role: processor
    country: DE
    purposes: [newsletters]
    categories: [user.name, user.contact.email]
    transfer_basis: contract
"""
ANALYTICS_12_MONTHS = "      months: 12\n      on_expiry: anonymise"


def policy_of(template: str, *edits: tuple[str, str]) -> Policy:
    """A shipped template, optionally with text edits (old, new) applied to its YAML."""
    text = template_text(template)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return load_policy_text(text).policy


@pytest.fixture
def studio() -> Policy:
    return policy_of("ru-design-studio")


def publish(sessions, policy: Policy, now: datetime = NOW) -> service.PublishResult:
    with sessions.begin() as session:
        return service.publish(session=session, policy=policy, now=now, actor="test")


# --- rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "country", "operator"),
    [("en", "Georgia", "Liniya i Tsvet LLC"), ("ru", "Грузия", "ООО «Линия и Цвет»")],
)
def test_the_privacy_policy_names_operator_purposes_countries_and_how_to_ask(
    studio, language, country, operator
):
    text = render.render(studio, "privacy-policy", language)

    assert operator in text
    for purpose in studio.purposes.values():
        assert purpose.name[language] in text
    assert country in text
    assert "privacy@liniya-i-tsvet.example" in text
    for phrases in studio.request_phrases.values():
        for phrase in phrases:
            assert phrase in text
    assert "7700000000" in text and "152-FZ Art. 14(3), 20(1)" in text


def test_every_document_kind_is_rendered_in_every_language(studio):
    rendered = render.render_all(studio)

    kinds = {kind for kind, _ in rendered}
    assert kinds == {
        "privacy-policy",
        "cross-border-policy",
        "consent-newsletters",
        "consent-portfolio_publication",
        "consent-site_analytics",
        "distribution-conditions",
    }
    assert {language for _, language in rendered} == {"ru", "en"}


def test_rendering_is_deterministic(studio):
    assert render.render_all(studio) == render.render_all(policy_of("ru-design-studio"))


def test_the_cross_border_policy_gives_each_country_an_adequacy_verdict():
    policy = policy_of("kz-messaging-saas")

    text = render.render(policy, "cross-border-policy", "en")

    for country in ("United Arab Emirates", "Ireland", "United States"):
        assert country in text
    assert "to be assessed" in text


def test_a_distribution_consent_carries_the_per_category_terms_and_the_operator_ids(studio):
    text = render.render(studio, "consent-portfolio_publication", "ru")

    assert "ОГРН 1207700000000" in text and "ИНН 7700000000" in text
    assert "| Текст отзыва | да | да | нет | Только на сайте оператора |" in text
    assert "Приказу Роскомнадзора от 24.02.2021 № 18" in text
    assert "Требование о прекращении распространения персональных данных" in text


def test_a_kazakh_consent_states_third_party_cross_border_and_public_flags():
    text = render.render(policy_of("kz-messaging-saas"), "consent-cross_border_transfer", "ru")

    assert "**Передача третьим лицам:** да" in text
    assert "**Трансграничная передача:** да" in text
    assert "**Распространение (общедоступность):** нет" in text
    assert "п. 4 ст. 8" in text


def test_a_language_without_templates_gets_the_english_text_with_a_note():
    text = render.render(policy_of("vn-crm-integrator"), "privacy-policy", "vi")

    assert "not yet written in Vietnamese" in text
    assert "Công ty TNHH Biển Xanh Digital" in text


def test_operator_text_cannot_inject_markup_into_the_markdown():
    policy = policy_of(
        "ru-design-studio",
        ("en: Liniya i Tsvet LLC", "en: '<script>x</script> [a](javascript:y) | *b*'"),
    )

    text = render.render(policy, "privacy-policy", "en")
    page = html.to_html(text)

    assert r"\<script\>x\</script\>" in text
    assert "<script>" not in page and "javascript:" not in page.split('href="')[-1][:20]
    assert "<em>" not in page and "&lt;script&gt;x&lt;/script&gt; [a](javascript:y) | *b*" in page


# --- versioning ----------------------------------------------------------------------------


def test_publishing_twice_without_change_makes_no_new_version(sessions, studio):
    first = publish(sessions, studio)
    second = publish(sessions, studio, LATER)

    assert len(first.published) == 12 and not first.unchanged
    assert not second.published and len(second.unchanged) == 12
    with sessions.begin() as session:
        assert len(service.versions(session=session)) == 12


def test_a_published_version_is_numbered_hashed_and_dated(sessions, studio):
    publish(sessions, studio)

    with sessions.begin() as session:
        found = service.current(session=session, kind="privacy-policy", language="ru")
        assert found is not None
        assert (found.version, found.effective_at, found.published_at) == (1, NOW, NOW)
        assert found.content_hash == hashlib.sha256(found.markdown.encode()).hexdigest()
        assert found.markdown == render.render(studio, "privacy-policy", "ru")


@pytest.mark.parametrize(
    ("edit", "changes"),
    [
        (
            (
                "categories: [user.name, user.contact.email]\n    consent:\n      kind: marketing",
                "categories: [user.name, user.contact.email, user.contact.phone_number]\n"
                "    consent:\n      kind: marketing",
            ),
            [MaterialChange("newsletters", "new category user.contact.phone_number")],
        ),
        (
            ("recipients:\n", MAILER),
            [
                MaterialChange("newsletters", "new recipient mailer"),
                MaterialChange("newsletters", "new country DE"),
            ],
        ),
        (
            (
                "      months: 12\n      on_expiry: anonymise",
                "      months: 24\n      on_expiry: anonymise",
            ),
            [MaterialChange("site_analytics", "longer retention")],
        ),
    ],
    ids=["category", "recipient-and-country", "retention"],
)
def test_a_material_change_makes_new_versions_and_names_the_purpose(
    sessions, studio, edit, changes
):
    publish(sessions, studio)

    result = publish(sessions, policy_of("ru-design-studio", edit), LATER)

    assert list(result.material) == changes
    purpose = changes[0].purpose
    new = {(r.kind, r.language): r.version for r in result.published}
    assert new[(f"consent-{purpose}", "ru")] == 2 and new[("privacy-policy", "en")] == 2
    with sessions.begin() as session:
        stored = service.current(session=session, kind=f"consent-{purpose}", language="en")
        assert stored is not None
        assert stored.material == [c.as_json() for c in changes]


def test_a_shorter_retention_is_not_a_material_change(sessions, studio):
    publish(sessions, studio)
    shorter = (
        "      months: 12\n      on_expiry: anonymise",
        "      months: 6\n      on_expiry: anonymise",
    )

    result = publish(sessions, policy_of("ru-design-studio", shorter), LATER)

    assert result.published and not result.material


def test_each_publication_that_changes_something_is_journalled_once(sessions, studio):
    publish(sessions, studio)
    publish(sessions, studio, LATER)

    with sessions.begin() as session:
        actions = session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert actions.count("policy_publish") == 1


def test_the_user_agreement_is_versioned_from_the_operators_file(sessions):
    def imported(markdown: str) -> service.PublishResult:
        with sessions.begin() as session:
            return service.import_document(
                session=session,
                kind="user-agreement",
                language="en",
                markdown=markdown,
                now=NOW,
                actor="test",
            )

    first = imported("# Offer\n\nTerms.\n")
    same = imported("# Offer\r\n\r\nTerms.\r\n")
    changed = imported("# Offer\n\nNew terms.\n")

    assert [r.version for r in first.published + same.unchanged + changed.published] == [1, 1, 2]


def test_only_the_user_agreement_can_be_imported(sessions):
    with sessions.begin() as session, pytest.raises(PolicyViolation):
        service.import_document(
            session=session, kind="privacy-policy", language="en", markdown="x", now=NOW, actor="t"
        )


def test_ensure_current_refuses_an_older_version_or_another_text(sessions, studio):
    publish(sessions, studio)
    publish(sessions, policy_of("ru-design-studio", ("recipients:\n", MAILER)), LATER)

    with sessions.begin() as session:
        now = service.current(session=session, kind="consent-newsletters", language="ru")
        assert now is not None
        assert service.ensure_current(session=session, ref=now.ref, field="f") is not None
        for stale in (replace(now.ref, version=1), replace(now.ref, content_hash="0" * 64)):
            with pytest.raises(PolicyViolation) as refused:
                service.ensure_current(session=session, ref=stale, field="consent.version")
            assert refused.value.field == "consent.version"


def test_an_unknown_version_is_not_found(sessions, studio):
    publish(sessions, studio)

    with sessions.begin() as session, pytest.raises(NotFound):
        service.get_version(session=session, kind="privacy-policy", language="ru", version=9)


def test_the_documents_migration_matches_the_model(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert [d for d in differences if "document_versions" in repr(d)] == []


# --- publication flow ----------------------------------------------------------------------


@pytest.fixture
def lawful(tmp_path: Path, database_url: str) -> Iterator[Lawful]:
    """A lawful over the ru-design-studio template, on each backend."""
    opened = open_template(tmp_path, database_url, "ru-design-studio")
    yield opened
    opened.close()


def test_publish_and_flag_asks_for_renewal_of_materially_changed_consents(lawful, monkeypatch):
    calls: list[dict[str, object]] = []

    def mark(**kwargs: object) -> int:
        calls.append({k: v for k, v in kwargs.items() if k not in ("session", "now")})
        return 3

    monkeypatch.setattr(consent_service, "mark_renewal_needed", mark)
    flows.publish_and_flag(lawful, actor="test", now=NOW)
    changed = policy_of("ru-design-studio", ("recipients:\n", MAILER))

    result = flows.publish_and_flag(replace(lawful, policy=changed), actor="test", now=LATER)

    assert result.renewals == {"newsletters": 3}
    assert calls == [
        {
            "purpose": "newsletters",
            "before_version": 2,
            "reason": "new recipient mailer; new country DE",
            "actor": "test",
        }
    ]


# --- web -----------------------------------------------------------------------------------


@pytest.fixture
def client(lawful: Lawful) -> TestClient:
    flows.publish_and_flag(lawful, actor="test", now=NOW)
    changed = policy_of("ru-design-studio", ("recipients:\n", MAILER))
    flows.publish_and_flag(replace(lawful, policy=changed), actor="test", now=LATER)
    return TestClient(create_app(lawful))


def test_the_current_version_is_served_as_html_and_markdown_with_matching_hashes(client):
    page = client.get("/documents/privacy-policy/ru")
    text = client.get("/documents/privacy-policy/ru.md")
    api = client.get("/api/v1/documents/privacy-policy/ru/current").json()

    assert page.status_code == 200 and '<html lang="ru">' in page.text
    assert text.headers["content-type"] == "text/markdown; charset=utf-8"
    digest = hashlib.sha256(text.content).hexdigest()
    assert digest == api["content_hash"] and digest in page.text
    assert api["version"] == 2 and api["url"] == "/documents/privacy-policy/ru/v2"
    assert api["markdown"] == text.text


def test_a_past_version_stays_at_its_own_address(client):
    old = client.get("/documents/privacy-policy/en/v1.md")
    page = client.get("/documents/privacy-policy/en/v1")

    assert "Mail delivery service" not in old.text
    assert hashlib.sha256(old.content).hexdigest() in page.text
    assert 'href="/documents/privacy-policy/en/v2"' in page.text


def test_the_index_lists_every_document_and_its_versions(client):
    index = client.get("/documents").text

    assert 'href="/documents/consent-newsletters/ru/v1"' in index
    assert 'href="/documents/cross-border-policy/en"' in index


@pytest.mark.parametrize(
    "path",
    [
        "/documents/privacy-policy/ru/v9",
        "/documents/privacy-policy/ru/v9.md",
        "/documents/no-such-kind/ru",
        "/api/v1/documents/privacy-policy/xx/current",
    ],
)
def test_an_unknown_document_or_version_is_a_404_problem(client, path):
    answer = client.get(path)

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_page_shows_markdown_html_as_text(client, lawful):
    flows.publish_and_flag(
        lawful, actor="test", user_agreements={"en": "# Offer\n\n<script>alert(1)</script>\n"}
    )

    page = client.get("/documents/user-agreement/en").text

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pages_keep_the_strict_content_security_policy(client):
    page = client.get("/documents/privacy-policy/en")
    style = client.get("/documents/style.css")

    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert style.headers["content-type"].startswith("text/css")
    assert 'href="/documents/style.css"' in page.text


def test_a_document_ref_names_its_permanent_path():
    assert DocumentRef("consent-x", "ru", 3, "h").path == "/documents/consent-x/ru/v3"
