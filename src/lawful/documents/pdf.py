"""PDF copies of lawful's Markdown documents (access reports, registers, destruction acts).

Needs the ``pdf`` extra (fpdf2). Markdown is turned into HTML by markdown-it (raw HTML off, as
for the web pages) and laid out by fpdf2's HTML subset. fpdf2 ships no font with Cyrillic or
Vietnamese letters, so a Unicode TrueType font is taken from the system: DejaVu Sans (Debian's
``fonts-dejavu-core``) unless ``LAWFUL_PDF_FONT`` names another ``.ttf``. A missing font is a
clear :class:`~lawful.errors.ConfigError`, never a PDF with blank letters.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import io
import os
from pathlib import Path
from typing import Any, cast

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
    bold = _bold_variant(regular) or regular
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("lawful")
    blocks = _blocks(html)
    faces = {"": regular, "B": bold}
    if "<em>" in html:
        # Italic falls back to the upright faces: the documents use emphasis sparingly.
        faces |= {"I": regular, "BI": bold}
    for style, path in faces.items():
        pdf.fonts[f"{FAMILY}{style}"] = _font(pdf, path, style, blocks)
    pdf.set_font(FAMILY, size=10)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.write_html(html, font_family=FAMILY)
    return bytes(pdf.output())


# --- fonts, parsed once per process ---------------------------------------------------------
#
# fpdf2 parses the whole TrueType file for every ``add_font`` (DejaVu Sans: 6,000 glyphs,
# ~35 ms a face) and subsets it with fontTools when the PDF is written, which also parses what
# it needs. Both costs grow with the size of the font, so each document gets a *face* cut down
# to the Unicode blocks (128 code points) its text touches — every glyph of the full font in
# those blocks, so no letter is ever lost — made once per process and block set; fpdf2's font
# object is also built once per face and cloned for each document with a fresh, unparsed copy
# of the face (fpdf2 subsets that copy in place when it writes the PDF).

#: Characters fpdf2 adds itself: list bullets (U+2022, U+2218).
_LAYOUT_CHARS = " \u2022\u2218"
_DROPPED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "kern", "meta")


def _blocks(html: str) -> frozenset[int]:
    return frozenset(ord(c) >> 7 for c in set(html) | set(_LAYOUT_CHARS))


@functools.lru_cache(maxsize=64)
def _face(path: Path, blocks: frozenset[int]) -> bytes:
    """The font at ``path`` cut down to the code points in ``blocks`` (TrueType bytes)."""
    from fontTools import subset, ttLib  # type: ignore[import-untyped]

    font = ttLib.TTFont(path, recalcTimestamp=False)
    keep = [c for c in font.getBestCmap() if c >> 7 in blocks]
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, hinting=False)
    options.drop_tables += list(_DROPPED_TABLES)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@functools.lru_cache(maxsize=128)
def _template(path: Path, style: str, blocks: frozenset[int]) -> Any:
    """fpdf2's font object for the face, built (parsed) once."""
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

    # fontTools reads a file object as well as a path (fpdf2 passes it on as it is).
    data = cast(Path, io.BytesIO(_face(path, blocks)))
    return TTFFont(FPDF(), data, f"{FAMILY}{style}", style)


def _font(pdf: Any, path: Path, style: str, blocks: frozenset[int]) -> Any:
    """A copy of the face's font object for one document: the parsed metrics are shared (read
    only), the glyph subset and the TrueType data that fpdf2 will subset are its own."""
    from fontTools import ttLib
    from fpdf.fonts import SubsetMap, TTFFont

    template = _template(path, style, blocks)
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(template, name):
            setattr(font, name, getattr(template, name))
    font.i = len(pdf.fonts) + 1
    font.cw = copy.copy(template.cw)
    font.glyph_ids = dict(template.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.ttfont = ttLib.TTFont(
        io.BytesIO(_face(path, blocks)), recalcTimestamp=False, recalcBBoxes=False, lazy=True
    )
    font.subset = SubsetMap(font)
    return font
