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


def test_pdf_output_is_available_only_with_a_font(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lawful.documents.pdf import available

    assert available()
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "absent.ttf"))
    assert not available()


def test_an_access_report_without_pdf_support_still_has_every_other_format(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import zipfile
    from datetime import UTC, datetime
    from importlib.resources import files

    from lawful.config.loader import load_policy_text
    from lawful.requests import report

    text = files("lawful.config").joinpath("templates", "ru-design-studio.yaml").read_text()
    built = report.build(load_policy_text(text).policy, None, "ru", datetime.now(UTC))
    with_pdf = zipfile.ZipFile(io.BytesIO(report.package(built, "ru")))
    assert "report.pdf" in with_pdf.namelist()
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "absent.ttf"))
    lean = zipfile.ZipFile(io.BytesIO(report.package(built, "ru")))
    assert set(lean.namelist()) == {"report.md", "report.html", "data.json", "data.csv"}
