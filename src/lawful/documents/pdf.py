"""PDF copies of lawful's Markdown documents (access reports, registers, destruction acts).

Needs the ``pdf`` extra (fpdf2). Markdown is turned into HTML by markdown-it (raw HTML off, as
for the web pages) and laid out by fpdf2's HTML subset. fpdf2 ships no font with Cyrillic or
Vietnamese letters, so a Unicode TrueType font is taken from the system: DejaVu Sans (Debian's
``fonts-dejavu-core``) unless ``LAWFUL_PDF_FONT`` names another ``.ttf``. A missing font is a
clear :class:`~lawful.errors.ConfigError`, never a PDF with blank letters.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from markdown_it import MarkdownIt

from lawful.errors import ConfigError

FONT_ENV = "LAWFUL_PDF_FONT"
DEFAULT_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)
FAMILY = "lawful-sans"


def find_font() -> Path:
    """The Unicode TrueType font the PDFs are set in."""
    configured = os.environ.get(FONT_ENV)
    candidates = (Path(configured),) if configured else DEFAULT_FONTS
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no Unicode font for PDF output: set {FONT_ENV} to a .ttf file"
        " or install Debian's fonts-dejavu-core"
    )


def available() -> bool:
    """Can this install write PDFs (the ``pdf`` extra and a Unicode font are there)?"""
    if importlib.util.find_spec("fpdf") is None:
        return False
    try:
        find_font()
    except ConfigError:
        return False
    return True


def _bold_variant(regular: Path) -> Path | None:
    bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
    return bold if bold.is_file() else None


def markdown_to_pdf(markdown: str, *, title: str) -> bytes:
    """Lay out a Markdown document as an A4 PDF and return its bytes."""
    try:
        from fpdf import FPDF
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError("PDF output needs the pdf extra: pip install 'lawful[pdf]'") from exc

    regular = find_font()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("lawful")
    pdf.add_font(FAMILY, "", str(regular))
    bold = _bold_variant(regular) or regular
    pdf.add_font(FAMILY, "B", str(bold))
    # Italic falls back to the upright faces: the documents use emphasis sparingly.
    pdf.add_font(FAMILY, "I", str(regular))
    pdf.add_font(FAMILY, "BI", str(bold))
    pdf.set_font(FAMILY, size=10)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    pdf.write_html(html, font_family=FAMILY)
    return bytes(pdf.output())
