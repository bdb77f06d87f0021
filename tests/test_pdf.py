"""PDF output keeps every letter of Russian and Vietnamese text and refuses without a font."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from lawful.documents.pdf import FONT_ENV, markdown_to_pdf
from lawful.errors import ConfigError


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_markdown_becomes_a_pdf_with_cyrillic_and_vietnamese_text() -> None:
    markdown = (
        "# Акт об уничтожении\n\nNguyễn Văn An, **категории**: e-mail.\n\n"
        "| a | b |\n|---|---|\n| Иван | 1 |\n"
    )
    pdf = markdown_to_pdf(markdown, title="act")
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert "Акт об уничтожении" in text
    assert "Nguyễn Văn An" in text
    assert "Иван" in text


def test_long_documents_flow_onto_more_pages() -> None:
    markdown = "\n\n".join(f"Строка {n}" for n in range(200))
    reader = pypdf.PdfReader(io.BytesIO(markdown_to_pdf(markdown, title="long")))
    assert len(reader.pages) > 1


def test_a_missing_font_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "absent.ttf"))
    with pytest.raises(ConfigError, match=FONT_ENV):
        markdown_to_pdf("text", title="t")
