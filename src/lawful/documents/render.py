"""Render the published documents (Markdown) from the policy, one text per kind and language.

The words live in Jinja2 templates, one folder per language (``templates/<lang>/``), so a
translator edits text without touching code; the facts come from :mod:`lawful.documents.view`.
A language without its own templates gets the English ones, with a note saying so, rather than
no document at all. The output is deterministic: no dates, no clocks — the version, the
effective date and the hash belong to the stored ``DocumentVersion`` and are shown around the
text by whoever serves it.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from importlib import resources

import pycountry
from jinja2 import Environment, PackageLoader, StrictUndefined

from lawful.config.models import Policy
from lawful.documents.view import DocumentFacts, facts, md

PRIVACY_POLICY = "privacy-policy"
CROSS_BORDER_POLICY = "cross-border-policy"
DISTRIBUTION_CONDITIONS = "distribution-conditions"
USER_AGREEMENT = "user-agreement"
CONSENT_PREFIX = "consent-"
FALLBACK_LANGUAGE = "en"

_SAFE_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
_SAFE_URL = re.compile(r"^https?://[^\s<>\\`]+$")


def kinds(policy: Policy) -> list[str]:
    """The generated document kinds this policy needs (see docs/contracts-issue3.md)."""
    found = [PRIVACY_POLICY]
    if any(r.country != policy.operator.country for r in policy.recipients.values()):
        found.append(CROSS_BORDER_POLICY)
    found += [f"{CONSENT_PREFIX}{key}" for key, p in policy.purposes.items() if p.consent]
    if any(p.is_distribution for p in policy.purposes.values()):
        found.append(DISTRIBUTION_CONDITIONS)
    return found


def render_all(policy: Policy) -> dict[tuple[str, str], str]:
    """Every generated document of ``policy`` in every language the operator publishes in."""
    rendered: dict[tuple[str, str], str] = {}
    for language in policy.operator.languages:
        known = facts(policy, language)
        for kind in kinds(policy):
            rendered[(kind, language)] = _render(known, kind)
    return rendered


def render(policy: Policy, kind: str, language: str) -> str:
    """One document; ``kind`` must be one of :func:`kinds`."""
    if kind not in kinds(policy):
        raise ValueError(f"this policy has no document {kind!r}")
    return _render(facts(policy, language), kind)


def _render(known: DocumentFacts, kind: str) -> str:
    words = template_language(known.language)
    name, extra = _template_for(known, kind)
    template = _environment().get_template(f"{words}/{name}.md.j2")
    text = template.render(
        f=known,
        op=known.operator,
        lang=words,
        doc_lang=known.language,
        kind=kind,
        fallback_note=_fallback_note(known.language) if words != known.language else "",
        **extra,
    )
    return normalise(text)


def _template_for(known: DocumentFacts, kind: str) -> tuple[str, dict[str, object]]:
    if kind.startswith(CONSENT_PREFIX):
        key = kind.removeprefix(CONSENT_PREFIX)
        purpose = next(p for p in known.purposes if p.key == key)
        return "consent", {"purpose": purpose}
    return kind, {}


def normalise(text: str) -> str:
    """One blank line between blocks, no trailing spaces, one final newline: the same policy
    gives byte-identical text whatever the template's whitespace."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


@cache
def template_languages() -> frozenset[str]:
    """Languages that have their own templates."""
    root = resources.files("lawful.documents").joinpath("templates")
    return frozenset(entry.name for entry in root.iterdir() if entry.is_dir())


def template_language(language: str) -> str:
    return language if language in template_languages() else FALLBACK_LANGUAGE


def language_name(code: str) -> str:
    found = pycountry.languages.get(alpha_2=code)
    return str(found.name) if found is not None else code


def _fallback_note(language: str) -> str:
    return md(
        f"This document is not yet written in {language_name(language)}: the English text "
        f"follows, with names and consent wording in {language_name(language)} where the "
        "operator provided them."
    )


# --- the template environment --------------------------------------------------------------


@cache
def _environment() -> Environment:
    # Markdown, not HTML: HTML escaping would corrupt the text. Values from lawful.yaml are
    # escaped for Markdown in ``view`` instead, and pages render the Markdown with raw HTML
    # disabled (``lawful.documents.html``).
    env = Environment(
        loader=PackageLoader("lawful.documents", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 (Markdown; see above)
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(country=country_name, plural=plural, mail=mail, link=link, address=address)
    return env


def country_name(code: str, language: str) -> str:
    """The country's name in ``language`` (ISO 3166 names and their translations)."""
    found = pycountry.countries.get(alpha_2=code.upper())
    if found is None:
        return md(code)
    name = str(getattr(found, "common_name", None) or found.name)
    if language != "en":
        name = _translations(language).gettext(str(found.name))
    return md(name)


@cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def plural(n: int, *forms: str) -> str:
    """``n`` with its noun: two forms follow English, three the East Slavic rule
    (1 день, 2 дня, 5 дней)."""
    if len(forms) == 2:
        return f"{n} {forms[0] if n == 1 else forms[1]}"
    one, few, many = forms
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} {one}"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} {few}"
    return f"{n} {many}"


def mail(address: str | None) -> str:
    """An e-mail address as a Markdown autolink, or as escaped text if it is not plain."""
    if not address:
        return ""
    return f"<{address}>" if _SAFE_EMAIL.match(address) else md(address)


def link(url: str | None) -> str:
    """A web address as a Markdown autolink, or as escaped text if it is not plain."""
    if not url:
        return ""
    return f"<{url}>" if _SAFE_URL.match(url) else md(url)


def address(value: str) -> str:
    """A channel's address: an e-mail or web address as a link, anything else as text."""
    if _SAFE_EMAIL.match(value):
        return mail(value)
    return link(value) if _SAFE_URL.match(value) else md(value)
