"""Helpers for the portal tests (HTTP and browser): a person with a consent, the CSRF field."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lawful.consent import service as consent
from lawful.context import Lawful
from lawful.documents import service as documents


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


def give_consent(lawful: Lawful, subject_id: str, purpose: str = "newsletters") -> str:
    """The subject consents to ``purpose`` on the current Russian text; returns the record id."""
    with lawful.sessions.begin() as session:
        shown = documents.current(session=session, kind=f"consent-{purpose}", language="ru")
        assert shown is not None, "publish the documents first"
        return consent.give(
            session=session,
            ring=lawful.ring,
            policy=lawful.require_policy(),
            subject_id=subject_id,
            purpose=purpose,
            document=shown.ref,
            method="checkbox",
            channel="web_form",
            evidence=consent.Evidence(ip="198.51.100.4", form_id="footer"),
            now=datetime.now(UTC),
            actor="test",
        ).id
