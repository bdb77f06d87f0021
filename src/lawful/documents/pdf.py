"""PDF copies of lawful's Markdown documents (access reports, registers, destruction acts).

Needs the ``pdf`` extra (fontTools, to read and cut the font). Markdown is parsed by markdown-it
(raw HTML off, as for the web pages), laid out by :mod:`lawful.documents.pdf_layout` and
written by :mod:`lawful.documents.pdf_writer` — lawful's own few hundred lines instead of
fpdf2's general HTML layout, which cost ~25 ms per access report (its line breaking measures
every fragment again for every letter) plus a fontTools subset of each face per document.
The text is set in a Unicode TrueType font from the system: DejaVu Sans (Debian's
``fonts-dejavu-core``) unless ``LAWFUL_PDF_FONT`` names another ``.ttf``. A missing font is a
clear :class:`~lawful.errors.ConfigError`, never a PDF with blank letters.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

from lawful.documents import sections
from lawful.documents.sections import Section, Shared, markdown_parser
from lawful.errors import ConfigError

FONT_ENV = "LAWFUL_PDF_FONT"
DEFAULT_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


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
    if importlib.util.find_spec("fontTools") is None:
        return False
    try:
        find_font()
    except ConfigError:
        return False
    return True


def _bold_variant(regular: Path) -> Path | None:
    bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
    return bold if bold.is_file() else None


def markdown_to_pdf(
    markdown: str,
    *,
    title: str,
    shared: Shared | None = None,
    parsed: Sequence[Section] | None = None,
) -> bytes:
    """Lay out a Markdown document as an A4 PDF and return its bytes. The ``shared``
    sections (see :mod:`lawful.documents.sections`) are parsed once; ``parsed``: the
    document's sections as :func:`lawful.documents.sections.parse` gave them (for a caller
    that renders the same document as HTML too)."""
    if importlib.util.find_spec("fontTools") is None:  # pragma: no cover - depends on the install
        raise ConfigError("PDF output needs the pdf extra: pip install 'lawful[pdf]'")
    from lawful.documents import pdf_faces, pdf_layout, pdf_writer

    regular = find_font()
    bold = _bold_variant(regular) or regular
    blocks = pdf_faces.blocks_of(markdown + pdf_layout.LAYOUT_CHARS)
    faces = {
        pdf_layout.REGULAR: pdf_faces.face(regular, blocks),
        pdf_layout.BOLD: pdf_faces.face(bold, blocks),
    }
    typesetter = pdf_layout.Typesetter(faces)
    if parsed is not None:
        typesetter.run_sections(parsed)
    elif shared is None:
        typesetter.run(markdown_parser().parse(markdown))
    else:
        typesetter.run_sections(sections.parse(markdown, shared))
    return pdf_writer.write(typesetter.content(), faces, typesetter.used, title=title)
