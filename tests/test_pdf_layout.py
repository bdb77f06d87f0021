"""lawful's own PDF layout: every fact of a document reaches the page, in any script, on as
many pages as it needs, in a file that PDF readers accept."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from importlib.resources import files

import pypdf
import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from lawful.config.loader import load_policy_text
from lawful.documents.pdf import markdown_to_pdf
from lawful.requests import report
from lawful.subjects.service import ExportedValue, SubjectExport


def _reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf), strict=True)


def _text(pdf: bytes) -> str:
    """The document's text with every run of white space (line and cell breaks) as one space."""
    text = " ".join(page.extract_text() for page in _reader(pdf).pages)
    return re.sub(r"\s+", " ", text)


def _russian_report() -> report.Report:
    text = files("lawful.config").joinpath("templates", "ru-design-studio.yaml").read_text()
    policy = load_policy_text(text).policy
    collected = datetime(2026, 3, 1, tzinfo=UTC)
    values = [
        ("user.name", "Ольга Сергеевна Петрова"),
        ("user.contact.email", "olga.petrova@example.ru"),
        ("user.contact.phone_number", "+7 916 123-45-67"),
        ("user.content.private", "Логотип для кофейни «Зёрна», правки от 12.03"),
    ]
    export = SubjectExport(
        subject_id="s-1",
        created_at=collected,
        blocked=False,
        values=[ExportedValue("order_details", c, v, collected) for c, v in values],
    )
    return report.build(policy, export, "ru", datetime(2026, 3, 10, tzinfo=UTC))


def test_every_fact_of_a_russian_access_report_is_in_its_pdf() -> None:
    built = _russian_report()
    text = _text(markdown_to_pdf(built.markdown, title="Отчёт"))
    facts = [built.data["operator"], built.data["prepared_at"]]
    facts += [v[key] for v in built.data["values"] for key in ("category", "value", "purpose")]
    for purpose in built.data["purposes"]:
        facts += [purpose["name"], purpose["legal_basis"], purpose["retention"]]
        facts += purpose["categories"] + purpose["sources"]
        facts += [f"{r['name']} ({r['country']})" for r in purpose["recipients"]]
    facts += ["Ваши права", "Роскомнадзор", "Правовое основание", "Срок хранения"]
    missing = [fact for fact in facts if fact not in text]
    assert not missing


def test_the_pdf_is_well_formed_names_its_title_and_embeds_its_font() -> None:
    pdf = markdown_to_pdf("# Отчёт\n\nАнна **Смирнова**\n", title="Отчёт для Анны")
    reader = _reader(pdf)
    assert reader.metadata is not None and reader.metadata.title == "Отчёт для Анны"
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]
    assert len(fonts) == 2  # regular and bold


def test_a_table_wider_than_the_page_wraps_and_breaks_words_longer_than_a_column() -> None:
    token = "ключ" + "0123456789abcdef" * 12  # ~200 letters with no space to break at
    words = " ".join(f"слово{n}" for n in range(60))
    markdown = f"| a | b | c |\n|---|---|---|\n| {words} | {token} | Иван |\n"
    text = _text(markdown_to_pdf(markdown, title="t"))
    assert all(f"слово{n}" in text for n in range(60))
    assert token in text.replace(" ", "")
    assert "Иван" in text


def test_a_long_table_flows_onto_more_pages_and_keeps_every_row() -> None:
    rows = "\n".join(f"| Строка {n} | Значение {n} |" for n in range(150))
    pdf = markdown_to_pdf(f"| | |\n|---|---|\n{rows}\n", title="t")
    assert len(_reader(pdf).pages) > 2
    text = _text(pdf)
    assert all(f"Строка {n} Значение {n}" in text for n in range(150))


def test_a_table_row_taller_than_a_page_goes_on_over_the_next_pages() -> None:
    words = " ".join(f"слово{n}" for n in range(1500))
    pdf = markdown_to_pdf(f"Начало\n\n| | |\n|---|---|\n| {words} | Иван |\n", title="t")
    assert len(_reader(pdf).pages) >= 3
    text = _text(pdf)
    assert all(f"слово{n}" in text for n in range(1500)) and "Иван" in text


def test_raw_html_in_a_value_is_printed_as_it_is() -> None:
    text = _text(markdown_to_pdf("| | |\n|---|---|\n| имя | <b>Иван</b> <i>x</i> |\n", title="t"))
    assert "<b>Иван</b> <i>x</i>" in text


def test_lists_code_quotes_rules_and_breaks_keep_their_text() -> None:
    markdown = (
        "3. третий\n4. четвёртый\n   - вложенный пункт\n\n"
        "> цитата Nguyễn\n\n---\n\n```\nкод  с пробелами\n```\n\nстрока\\\nпосле разрыва\n"
    )
    text = _text(markdown_to_pdf(markdown, title="t"))
    for expected in (
        "3. третий",
        "4. четвёртый",
        "вложенный пункт",
        "цитата Nguyễn",
        "код с пробелами",
        "строка после разрыва",
    ):
        assert expected in text


@pytest.mark.parametrize("letters", ["漢字", "\U0001f600"])
def test_a_letter_the_font_lacks_does_not_stop_the_document(letters: str) -> None:
    text = _text(markdown_to_pdf(f"Иван {letters} Петров\n", title="t"))
    assert "Иван" in text and "Петров" in text


def _embedded_regular_font(pdf: bytes) -> TTFont:
    for font in _reader(pdf).pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        if "Bold" not in str(font["/BaseFont"]):
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            return TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    raise AssertionError("no regular face embedded")


def test_each_document_embeds_only_the_glyphs_it_uses_and_their_parts() -> None:
    pdf = markdown_to_pdf("Nguyễn Иван\n", title="t")
    font = _embedded_regular_font(pdf)
    glyphs, cmap = font["glyf"], font.getBestCmap()
    assert glyphs[cmap[ord("И")]].numberOfContours > 0
    assert glyphs[cmap[ord("Ж")]].numberOfContours == 0  # same Unicode block, not used
    accented = glyphs[cmap[ord("ễ")]]
    assert accented.isComposite()  # built from "e" and its marks (composite themselves)
    parts, seen = [part.glyphName for part in accented.components], 0
    while parts:
        glyph = glyphs[parts.pop()]
        assert glyph.numberOfContours != 0  # kept: outlines (> 0) or parts of its own (< 0)
        parts += [part.glyphName for part in getattr(glyph, "components", [])]
        seen += 1
    assert seen >= 3
    assert glyphs[cmap[ord("e")]].numberOfContours > 0 and "e" not in "Nguyn Иван"


def test_documents_with_other_letters_never_share_a_cut_font_and_the_same_letters_do() -> None:
    # The cut, compressed program is kept per set of glyphs (pdf_writer._embedded): a second
    # document with other letters must get its own cut, the same letters the same bytes.
    first = markdown_to_pdf("Иван\n", title="t")
    other = markdown_to_pdf("Жанна\n", title="t")
    again = markdown_to_pdf("Иван\n", title="t")
    font = _embedded_regular_font(other)
    glyphs, cmap = font["glyf"], font.getBestCmap()
    assert glyphs[cmap[ord("Ж")]].numberOfContours > 0
    assert glyphs[cmap[ord("И")]].numberOfContours == 0
    assert _embedded_regular_font(first)["glyf"][cmap[ord("Ж")]].numberOfContours == 0
    assert first == again
