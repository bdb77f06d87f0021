"""Markdown parsed a section at a time, shared sections parsed once: the same tokens, HTML and
PDF bytes as a whole-document parse, cached tokens never changed, no personal value kept."""

from __future__ import annotations

import dataclasses
import io
import itertools
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from lawful.config.init import available_templates, template_text
from lawful.config.loader import load_policy_text
from lawful.config.models import Policy
from lawful.documents import render, sections
from lawful.documents.html import to_html
from lawful.documents.pdf import markdown_to_pdf
from lawful.documents.sections import markdown_parser
from lawful.requests import report
from lawful.subjects.service import ExportedValue, SubjectExport

COLLECTED = datetime(2026, 3, 1, tzinfo=UTC)

#: Values of one person, each unlike any text of the policy.
PERSON = {
    "user.name": "Ольга Сергеевна Петрова",
    "user.contact.email": "olga.petrova@example.ru",
    "user.contact.phone_number": "+7 916 123-45-67",
    "user.content.private": "Логотип | «Зёрна» \\ правки",  # a pipe and a backslash: escaped
}

MIXED = (
    "# Заголовок\n\nАбзац с **жирным** и `кодом`.\n\n"
    "## Таблица\n\n| a | b \\| c |\n|---|---|\n| Иван | x\\|y |\n| 1 | 2 |\n\n"
    "## Списки\n\n- один\n- два\n  - вложенный\n\n1. first\n2. second\n\n   para in item\n\n"
    "#hashtag is a paragraph\n\n> цитата\n> ещё\n\n---\n\n### Картинка\n\n![alt *em*](x.png)\n"
    "\n######\n\n## Last, no newline at the end"
)
PARSED_WHOLE = (
    "# Fence\n\n```\ntext\n\n# not a heading\n```\n",
    "# Refs\n\nSee [the law][law].\n\n## Definitions\n\n[law]: https://example.org/law\n",
    "# Carriage\r\n\r\n## returns\r\n\r\ntext\r\n",
)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    sections.kept.clear()
    yield
    sections.kept.clear()


def _policy(template: str = "ru-design-studio") -> Policy:
    return load_policy_text(template_text(template)).policy


def _report(language: str = "ru", *, elsewhere: bool = False) -> report.Report:
    values = [ExportedValue("order_details", c, v, COLLECTED) for c, v in PERSON.items()]
    email = PERSON["user.contact.email"]
    values.append(ExportedValue("newsletters", "user.contact.email", email, COLLECTED))
    export = SubjectExport("s-1", COLLECTED, blocked=False, values=values)
    found = [
        {
            "location": "crm.leads",
            "field": "phone",
            "category": "user.contact.phone_number",
            "value": "+7 999 000-11-22",
        }
    ]
    now = datetime(2026, 3, 10, tzinfo=UTC)
    return report.build(_policy(), export, language, now, elsewhere=found if elsewhere else ())


def _documents() -> list[str]:
    policies = [render.render_all(_policy(name)).values() for name in available_templates()]
    reports = [_report("ru").markdown, _report("en", elsewhere=True).markdown]
    empty = report.build(_policy(), None, "ru", datetime(2026, 3, 10, tzinfo=UTC)).markdown
    return [MIXED, *PARSED_WHOLE, *reports, empty, *(text for kind in policies for text in kind)]


def _everything(section: str) -> bool:
    return True


def _snapshot(tokens: list[Token], offsets: list[int]) -> list[dict[str, Any]]:
    """The tokens as dicts, each top-level source map moved by its section's first line."""
    shown = []
    for token, offset in zip(tokens, offsets, strict=True):
        fields = dataclasses.asdict(token)
        if token.map is not None:
            fields["map"] = [line + offset for line in token.map]
        shown.append(fields)
    return shown


def _sectioned(markdown: str) -> tuple[list[Token], list[int]]:
    tokens, offsets = [], []
    parsed = sections.parse(markdown, _everything)
    if len(parsed) == 1:  # parsed whole
        return list(parsed[0].tokens), [0] * len(parsed[0].tokens)
    first_line = 0
    for text, section in zip(sections.split(markdown), parsed, strict=True):
        tokens += section.tokens
        offsets += [first_line] * len(section.tokens)
        first_line += text.count("\n")
    return tokens, offsets


def test_sections_joined_are_the_document_and_split_at_headings_after_a_blank_line() -> None:
    for markdown in _documents():
        assert "".join(sections.split(markdown)) == markdown
    starts = [text.split("\n")[0] for text in sections.split(MIXED)]
    assert starts == [
        "# Заголовок", "## Таблица", "## Списки", "### Картинка", "######",
        "## Last, no newline at the end",
    ]  # fmt: skip
    fence, references, returns = PARSED_WHOLE
    assert len(sections.split(fence)) == len(sections.split(returns)) == 1
    assert len(sections.split(references)) == 2
    assert len(sections.parse(references, _everything)) == 1  # the definitions are global


@pytest.mark.parametrize("markdown", _documents())
def test_the_sections_tokens_are_the_whole_documents(markdown: str) -> None:
    parser = markdown_parser()
    whole = parser.parse(markdown)
    parser.renderer.render(whole, parser.options, {})  # it sets an image's alt, as on caching
    for _ in range(2):  # parsed, then from the cache
        tokens, offsets = _sectioned(markdown)
        assert _snapshot(tokens, offsets) == _snapshot(whole, [0] * len(whole))


@pytest.mark.parametrize("markdown", _documents())
def test_html_and_pdf_are_byte_for_byte_the_whole_documents(markdown: str) -> None:
    html, pdf = to_html(markdown), markdown_to_pdf(markdown, title="t")
    for _ in range(2):  # parsed and laid out, then from the cache and the layout's memo
        assert to_html(markdown, shared=_everything) == html
        assert markdown_to_pdf(markdown, title="t", shared=_everything) == pdf


def test_a_shared_section_laid_out_with_other_cuts_of_the_font_keeps_their_letters() -> None:
    shared = "\n\n## Права\n\nВы вправе получить сведения о ваших данных.\n"
    documents = ["# Отчёт\n\nИван" + shared, "# Báo cáo\n\nNguyễn Văn An" + shared]
    for markdown in documents * 2:
        expected = markdown_to_pdf(markdown, title="t")
        assert markdown_to_pdf(markdown, title="t", shared=_everything) == expected


#: Characters with and without an inline rule, a letter, a digit and a space; the pieces of
#: markup that need more letters than three.
INLINE_ALPHABET = "a9 _.!~*`\\[<&"
INLINE_MARKUP = (
    "&amp;", "&#1;", "&#x41;", "&copy", "<a@b.ru>", "<https://x.ru>", "_a_", "a_b_c", "a__b",
    "Иван_Петров", "__a__", "*a*", "`a`", "\\*", "[a](b)", "![a](b)", "[a]", "a  b", "a\\",
)  # fmt: skip


def _fields(tokens: list[Token]) -> list[tuple[Any, ...]]:
    """The tokens' fields, their children's too (``dataclasses.asdict`` is 20 times slower)."""
    return [
        (t.type, t.tag, t.nesting, t.attrs, t.map, t.level, t.content, t.markup, t.info, t.meta)
        + (t.block, t.hidden, _fields(t.children) if t.children is not None else None)
        for t in tokens
    ]


def _stock_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def test_text_without_markup_gets_the_tokens_of_markdown_its_own_inline_rules() -> None:
    stock, ours = _stock_parser(), markdown_parser()
    pieces = [
        "".join(letters)
        for length in range(1, 4)
        for letters in itertools.product(INLINE_ALPHABET, repeat=length)
    ] + list(INLINE_MARKUP)
    blocks = [
        f"# {text}\n\n| {text} | a{text}b |\n|---|---|\n| б{text} | {text}9 |\n\n"
        f"- {text}\n- x{text}_y\n\n{text} и{text}\n\n"
        for text in pieces
    ]
    documents = ["".join(blocks[start : start + 100]) for start in range(0, len(blocks), 100)]
    for markdown in documents + _documents():
        assert _fields(ours.parse(markdown)) == _fields(stock.parse(markdown))


def test_rendering_never_changes_a_cached_sections_tokens() -> None:
    sections.parse(MIXED, _everything)
    kept = [sections.parse(text, _everything)[0] for text in sections.kept.texts()]
    before = [[dataclasses.asdict(t) for t in section.tokens] for section in kept]
    for _ in range(2):
        to_html(MIXED, shared=_everything)
        markdown_to_pdf(MIXED, title="t", shared=_everything)
    assert [[dataclasses.asdict(t) for t in section.tokens] for section in kept] == before
    assert all(isinstance(section.tokens, tuple) for section in kept)


def test_link_reference_definitions_are_used_across_sections_and_never_cached() -> None:
    for _ in range(2):
        html = to_html(PARSED_WHOLE[1], shared=_everything)
        assert '<a href="https://example.org/law">the law</a>' in html
    assert not any("[law]:" in text for text in sections.kept.texts())


def test_a_report_keeps_its_shared_sections_and_none_of_the_persons_values() -> None:
    built = _report("ru", elsewhere=True)
    data = report.finish(report.package(built, "ru", defer_pdf=True))
    kept = sections.kept.texts()
    assert any(text.startswith("## Ваши права") for text in kept)
    assert any(text.startswith("### ") for text in kept)
    personal = [*PERSON.values(), "+7 999 000-11-22", built.data["prepared_at"]]
    escaped = [value.replace("\\", "\\\\").replace("|", "\\|") for value in personal]
    for text in kept:
        assert not any(value in text for value in personal + escaped)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the same files as without the cache
        sections.kept.clear()
        title = built.markdown.splitlines()[0].lstrip("# ")
        assert archive.read("report.pdf") == markdown_to_pdf(built.markdown, title=title)
        assert to_html(built.markdown) in archive.read("report.html").decode()


def test_a_report_parsed_once_for_its_page_and_pdf_is_the_same_as_parsed_for_each() -> None:
    built = _report("en", elsewhere=True)
    title = built.markdown.splitlines()[0].lstrip("# ")
    for _ in range(2):  # the shared sections parsed afresh, then from the cache
        with zipfile.ZipFile(io.BytesIO(report.package(built, "en"))) as archive:
            assert archive.read("report.pdf") == markdown_to_pdf(built.markdown, title=title)
            assert to_html(built.markdown) in archive.read("report.html").decode()
            assert archive.comment == b""


def test_the_cache_keeps_the_sections_used_last() -> None:
    small = sections._Cache(2)
    for name in ("a", "b", "c"):
        small.put(name, sections.Section(()))
    assert small.get("b") is not None
    small.put("d", sections.Section(()))
    assert small.texts() == ["b", "d"]
