"""The TrueType faces lawful's PDFs are set in, prepared once per process.

A face is the system font (DejaVu Sans by default) cut down to the Unicode blocks (128 code
points each) a document's text touches — every glyph of the full font in those blocks, so no
letter is ever lost. Everything a PDF needs from it is computed when the face is first used
and shared by every later document with the same blocks: the advance widths for the layout,
the glyph id of each character, the finished PDF objects (the widths array, the ToUnicode map
that lets readers copy and search the text), and the font program split into its glyphs. A
document's only font work is then to join the glyphs it uses into its own program
(:mod:`lawful.documents.pdf_subset`), with the glyph ids unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zlib
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from lawful.documents.pdf_subset import Glyphs, split

#: Tables a PDF reader never uses for the embedded face (layout tables, metadata).
_DROPPED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "kern", "meta")


@dataclass(frozen=True)
class Face:
    """One cut face: metrics for the layout, and its PDF objects made once."""

    advances: dict[str, int]  # character → advance width in 1/1000 of the font size
    glyph_ids: dict[str, int]  # character → glyph id
    codes: dict[str, str]  # character → glyph id as 4 hex digits (the text's encoding)
    notdef_advance: int
    ascent: float  # above the baseline, in 1/1000 of the font size
    descent: float  # below it (negative)
    base_font: str
    descriptor: str  # the FontDescriptor dictionary without its /FontFile2 entry
    widths: str  # the CIDFont's /W array
    glyphs: Glyphs  # the TrueType program, split to be cut for each document
    to_unicode: bytes  # the ToUnicode CMap, zlib-compressed

    # map() over dict.get keeps these loops in C: a report measures and encodes ~2,000 words.
    def width(self, text: str, size: float) -> float:
        advances = map(self.advances.get, text, repeat(self.notdef_advance, len(text)))
        return sum(advances) * size / 1000

    def encode(self, text: str) -> str:
        return "".join(map(self.codes.get, text, repeat("0000", len(text))))


def blocks_of(text: str) -> frozenset[int]:
    """The Unicode blocks (code point // 128) that ``text`` touches."""
    return frozenset(ord(c) >> 7 for c in set(text))


@functools.lru_cache(maxsize=64)
def face(path: Path, blocks: frozenset[int]) -> Face:
    """The font at ``path`` cut down to ``blocks``, with its PDF objects (made once)."""
    from fontTools import ttLib  # type: ignore[import-untyped]

    program = _cut(path, blocks)
    font = ttLib.TTFont(io.BytesIO(program), recalcTimestamp=False)
    scale = 1000 / font["head"].unitsPerEm
    order = font.getGlyphOrder()
    glyph_id = {name: gid for gid, name in enumerate(order)}
    characters = {chr(code): glyph_id[name] for code, name in font.getBestCmap().items()}
    advances = [round(font["hmtx"][name][0] * scale) for name in order]
    ascent = font["hhea"].ascent * scale
    descent = font["hhea"].descent * scale
    base_font = _subset_tag(path, blocks) + "+" + _postscript_name(font, path)
    return Face(
        advances={c: advances[gid] for c, gid in characters.items()},
        glyph_ids=characters,
        codes={c: f"{gid:04X}" for c, gid in characters.items()},
        notdef_advance=advances[0],
        ascent=ascent,
        descent=descent,
        base_font=base_font,
        descriptor=_descriptor(font, base_font, scale, ascent, descent),
        widths="[0 [" + " ".join(map(str, advances)) + "]]",
        glyphs=split(program),
        to_unicode=zlib.compress(_to_unicode(characters).encode("ascii"), 9),
    )


@functools.lru_cache(maxsize=64)
def _cut(path: Path, blocks: frozenset[int]) -> bytes:
    """The font at ``path`` cut down to the code points in ``blocks`` (TrueType bytes)."""
    from fontTools import subset, ttLib

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


def _subset_tag(path: Path, blocks: frozenset[int]) -> str:
    """Six capital letters naming this cut (PDF's convention for an embedded subset)."""
    digest = hashlib.sha256(f"{path}{sorted(blocks)}".encode()).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _postscript_name(font: Any, path: Path) -> str:
    name = font["name"].getDebugName(6) or path.stem
    return "".join(c for c in name if c.isalnum() or c == "-")


def _descriptor(font: Any, base_font: str, scale: float, ascent: float, descent: float) -> str:
    head = font["head"]
    bbox = " ".join(str(round(v * scale)) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
    os2 = font["OS/2"] if "OS/2" in font else None
    cap_height = getattr(os2, "sCapHeight", 0) * scale or ascent
    return (
        f"/Type /FontDescriptor /FontName /{base_font} /Flags 32 /FontBBox [{bbox}]"
        f" /ItalicAngle 0 /Ascent {round(ascent)} /Descent {round(descent)}"
        f" /CapHeight {round(cap_height)} /StemV 80"
    )


def _to_unicode(characters: dict[str, int]) -> str:
    """The CMap from glyph ids back to text (the lowest code point where a glyph has several)."""
    text_of: dict[int, str] = {}
    for character, gid in sorted(characters.items(), reverse=True):
        text_of[gid] = character
    entries = [
        f"<{gid:04X}> <{text.encode('utf-16-be').hex().upper()}>"
        for gid, text in sorted(text_of.items())
    ]
    chunks = [entries[i : i + 100] for i in range(0, len(entries), 100)]
    body = "".join(
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar\n" for chunk in chunks
    )
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{body}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
