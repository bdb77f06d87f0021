"""HTML pages for published documents: the Markdown as HTML inside a small accessible page.

Raw HTML in the Markdown is never passed through (markdown-it's ``html`` option is off), so an
imported user agreement or an operator's name cannot inject markup or scripts into the page;
the page itself is a Jinja2 template with HTML autoescaping. The version, effective date and
hash are shown around the text, never inside it, so the text's hash stays the text's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from lawful.documents import sections
from lawful.documents.models import DocumentVersion
from lawful.documents.sections import Section, Shared, markdown_parser

STYLESHEET_PATH = "/documents/style.css"

STYLESHEET = """\
:root { color-scheme: light dark; --muted: #5f6368; }
body { font: 1rem/1.6 system-ui, sans-serif; max-width: 48rem; margin: 0 auto; padding: 1rem; }
header.meta { border-bottom: 1px solid #8884; margin-bottom: 1.5rem; color: var(--muted); }
header.meta dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
header.meta dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
th, td { border: 1px solid #8886; padding: .3rem .5rem; text-align: left; vertical-align: top; }
blockquote { border-left: .25rem solid #8888; margin: 1rem 0; padding: .1rem 1rem; }
code { font-size: .95em; }
a:focus { outline: 2px solid; }
input, textarea, button { font: inherit; }
form input:not([type=checkbox]), form textarea { width: 100%; max-width: 32rem;
  box-sizing: border-box; padding: .45rem .6rem; border: 1px solid #8889; border-radius: .3rem; }
form fieldset { border: 1px solid #8886; border-radius: .4rem; margin: 1rem 0; }
form button[type=submit] { padding: .5rem 1.4rem; border-radius: .3rem; border: 0;
  background: #1a5fb4; color: #fff; cursor: pointer; }
[aria-invalid=true] { border-color: #c01c28; }
[role=alert] { color: #c01c28; }
"""


def to_html(
    markdown: str, *, shared: Shared | None = None, parsed: Sequence[Section] | None = None
) -> Markup:
    """Markdown as safe HTML: raw HTML in the source comes out as text. The ``shared``
    sections (see :mod:`lawful.documents.sections`) are parsed and rendered once; ``parsed``:
    the document's sections as :func:`lawful.documents.sections.parse` gave them."""
    if parsed is not None:
        html = sections.html_of(parsed)
    elif shared is None:
        html = markdown_parser().render(markdown)
    else:
        html = sections.html_of(sections.parse(markdown, shared))
    return Markup(html)  # noqa: S704 (html disabled in the parser)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("lawful.documents", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class IndexRow:
    kind: str
    language: str
    current: DocumentVersion
    earlier: Sequence[DocumentVersion]


def title_of(markdown: str, fallback: str) -> str:
    """The text's first heading, for the page title."""
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip().replace("\\", "")
    return fallback


def document_page(
    shown: DocumentVersion, all_versions: Sequence[DocumentVersion], now: datetime
) -> str:
    """One version as an HTML page, with its facts and links to its other versions."""
    return (
        _environment()
        .get_template("page.html.j2")
        .render(
            doc=shown,
            title=title_of(shown.markdown, shown.kind),
            body=to_html(shown.markdown),
            versions=all_versions,
            upcoming=shown.effective_at > now,
            stylesheet=STYLESHEET_PATH,
        )
    )


def plain_page(markdown: str, *, language: str) -> str:
    """A page made from Markdown that is not a published version (e.g. a live register)."""
    return (
        _environment()
        .get_template("plain.html.j2")
        .render(
            language=language,
            title=title_of(markdown, "lawful"),
            body=to_html(markdown),
            stylesheet=STYLESHEET_PATH,
        )
    )


def index_page(rows: Sequence[IndexRow]) -> str:
    """Every published document with its current version and links to the earlier ones."""
    return (
        _environment().get_template("index.html.j2").render(rows=rows, stylesheet=STYLESHEET_PATH)
    )
