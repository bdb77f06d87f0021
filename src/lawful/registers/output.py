"""What every generated register, dossier and notification shares: the config version it
states, the Jinja2 environment of its Markdown templates, and its HTML and PDF forms."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any, Literal

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import escape

from lawful.config.models import Policy
from lawful.documents.html import STYLESHEET, title_of, to_html
from lawful.documents.render import address, country_name, link, mail, normalise, plural
from lawful.documents.view import md

Format = Literal["md", "html", "pdf"]
FORMATS: tuple[str, ...] = ("md", "html", "pdf")
#: Languages with their own templates; any other gets the English ones.
LANGUAGES: tuple[str, ...] = ("en", "ru")


def config_version(policy: Policy) -> str:
    """SHA-256 of the policy's canonical JSON: the same for the same content, whatever the
    comments, key order or layout of lawful.yaml."""
    canonical = json.dumps(
        policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@cache
def environment(package: str) -> Environment:
    """Markdown templates of ``package`` (``templates/<lang>/*.md.j2``), which may import the
    published documents' words (``en/_words.md.j2``) and use their filters. No HTML
    autoescape, since the text is Markdown: values are escaped for Markdown (the ``md``
    filter, or already in :mod:`lawful.documents.view`), and the Markdown renderer never
    passes raw HTML through."""
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader(package, "templates"), PackageLoader("lawful.documents", "templates")]
        ),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 (Markdown; HTML comes from markdown-it with html off)
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(country=country_name, plural=plural, mail=mail, link=link, address=address)
    env.filters["md"] = lambda value: md(None if value is None else str(value))
    return env


def render_markdown(package: str, name: str, language: str, **facts: Any) -> str:
    folder = language if language in LANGUAGES else "en"
    template = environment(package).get_template(f"{folder}/{name}.md.j2")
    return normalise(template.render(lang=folder, doc_lang=language, **facts))


def html_page(markdown: str, language: str) -> str:
    """A standalone HTML page (inline stylesheet) for the Markdown."""
    title = escape(title_of(markdown, "lawful"))
    return (
        f'<!doctype html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLESHEET}</style></head>"
        f"<body><main>{to_html(markdown)}</main></body></html>\n"
    )


def in_format(markdown: str, fmt: str, language: str) -> bytes:
    """The document as Markdown, HTML or PDF bytes."""
    if fmt == "md":
        return markdown.encode("utf-8")
    if fmt == "html":
        return html_page(markdown, language).encode("utf-8")
    if fmt == "pdf":
        from lawful.documents.pdf import markdown_to_pdf

        return markdown_to_pdf(markdown, title=title_of(markdown, "lawful"))
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
