"""Markdown parsed a top-level section at a time, the sections many documents share parsed once.

Access reports for different people share most of their text (the purposes, the rights): only
the date line and the data tables are the person's. Parsing a report whole cost ~0.45 ms, as
much as laying out its PDF, and was done twice (HTML and PDF). Here a document is cut before
each ATX heading that follows a blank line; a section the caller calls ``shared`` is parsed
once and kept, with its HTML, in a small LRU cache keyed by its text; the others are parsed
each time and kept nowhere. The caller decides which sections are shared: never one with
personal data in it, which would otherwise stay in memory after its document is done.

Parsing the sections one by one gives the same tokens as parsing the document whole (but for
their source line numbers, ``Token.map``, which count from the section's start and which no
renderer reads) because a blank line ends every open block but a fence or a list, and a
heading at the line's start ends a list. Documents where that could fail are parsed whole:
ones with a fence (a heading-like line may be inside it), with a carriage return (another
line ending), or with link reference definitions (they are global to the document).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

#: Does this section's text hold nothing personal, so that it may stay cached?
Shared = Callable[[str], bool]

#: Sections kept: a report in one language has ~2 + one per purpose.
CACHE_SIZE = 256

#: Where a section starts: an ATX heading at the line's start, after a blank line.
_SECTION_START = re.compile(r"\n[ \t]*\n(?=#{1,6}(?:[ \t\n]|$))")
_PARSE_WHOLE = ("```", "~~~", "\r")


@dataclass(frozen=True, eq=False)
class Section:
    """One section's tokens (never changed once made: a cached section's are read by many
    documents and threads) and, for a cached section, its HTML and its layout memo."""

    tokens: tuple[Token, ...]
    html: str | None = None
    #: What the PDF layout worked out for a cached section's tokens (see pdf_layout): it lives
    #: and goes with the section, so no memo outlives its text. None: the section is not kept.
    layout: dict[Any, Any] | None = None


class _Cache:
    """A bounded LRU of sections by their text, safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._sections: OrderedDict[str, Section] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> Section | None:
        with self._lock:
            section = self._sections.get(text)
            if section is not None:
                self._sections.move_to_end(text)
            return section

    def put(self, text: str, section: Section) -> None:
        with self._lock:
            self._sections[text] = section
            self._sections.move_to_end(text)
            while len(self._sections) > self.size:
                self._sections.popitem(last=False)

    def texts(self) -> list[str]:
        with self._lock:
            return list(self._sections)

    def clear(self) -> None:
        with self._lock:
            self._sections.clear()


kept = _Cache(CACHE_SIZE)


@cache
def markdown_parser() -> MarkdownIt:
    """CommonMark with tables and without raw HTML; built once (its rules take a while)."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    parser.core.ruler.at("inline", _inline)
    return parser


#: What may make inline text more than one text token: a line break, an escape, a code span,
#: emphasis (``_`` but after a letter or digit, where CommonMark never lets it open emphasis), a
#: link or image, an autolink, an entity. Other characters have no inline rule (no linkify,
#: no strikethrough, no typographer in this parser).
_MARKUP = re.compile(r"[\n\\`*\[<&]|(?<![^\W_])_")


def _inline(state: StateCore) -> None:
    """markdown-it's inline rule, with text free of markup as the one text token its full
    parse makes: a report's table cells and list items are mostly such text, and parsing
    them one rule at a time was a third of a report's parse."""
    for token in state.tokens:
        if token.type != "inline":
            continue
        if token.children is None:
            token.children = []
        if _MARKUP.search(token.content):
            state.md.inline.parse(token.content, state.md, state.env, token.children)
        elif token.content:
            token.children.append(Token("text", "", 0, content=token.content))


def split(markdown: str) -> list[str]:
    """The document's sections, in order; joined they are the document."""
    if any(mark in markdown for mark in _PARSE_WHOLE):
        return [markdown]
    cuts = [match.end() for match in _SECTION_START.finditer(markdown)]
    bounds = [0, *cuts, len(markdown)]
    return [markdown[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def parse(markdown: str, shared: Shared) -> list[Section]:
    """The document's sections, the ``shared`` ones from (and into) the cache."""
    sections = []
    for text in split(markdown):
        section = _cached(text) if shared(text) else _parsed(text)
        if section is None:  # the document has link reference definitions: parse it whole
            return [Section(tuple(markdown_parser().parse(markdown)))]
        sections.append(section)
    return sections


def html_of(sections: Sequence[Section]) -> str:
    """The sections' HTML: the same as the whole document's, since the renderer looks at a
    token's neighbours only inside its block, and blocks do not cross sections."""
    parser = markdown_parser()
    return "".join(
        section.html
        if section.html is not None
        else parser.renderer.render(section.tokens, parser.options, {})
        for section in sections
    )


def _cached(text: str) -> Section | None:
    section = kept.get(text)
    if section is None:
        parsed = _parsed(text)
        if parsed is None:
            return None
        # Rendered now, before the tokens are shared: the renderer sets an image's alt
        # attribute on its token (the same value each time), and nothing else may touch them.
        parser = markdown_parser()
        html = parser.renderer.render(parsed.tokens, parser.options, {})
        section = Section(parsed.tokens, html, {})
        kept.put(text, section)
    return section


def _parsed(text: str) -> Section | None:
    """The section's tokens; None when it defines link references (global to the document)."""
    env: dict[str, Any] = {}
    tokens = markdown_parser().parse(text, env)
    return None if env.get("references") else Section(tuple(tokens))
