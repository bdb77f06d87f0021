"""The PDF file itself: pages of drawing operators and the faces they use, as PDF 1.4 bytes.

Each face is a Type0 font with Identity-H encoding over a CIDFontType2 (TrueType) font whose
CIDs are the face's glyph ids, with a ToUnicode map so that text can be copied and searched.
Page contents are Flate-compressed; the faces' objects come ready-made from
:mod:`lawful.documents.pdf_faces`.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Mapping, Sequence

from lawful.documents import pdf_subset
from lawful.documents.pdf_faces import Face

A4 = (595.28, 841.89)  # points


class _Objects:
    """Numbered PDF objects; number n is ``bodies[n - 1]``."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def add(self, body: bytes | str) -> int:
        self.bodies.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(self.bodies)

    def stream(self, data: bytes, extra: str = "") -> int:
        head = f"<< /Length {len(data)} /Filter /FlateDecode{extra} >>\nstream\n"
        return self.add(head.encode("latin-1") + data + b"\nendstream")

    def serialise(self, root: int, info: int) -> bytes:
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.bodies, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
        out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
        out += (
            f"trailer\n<< /Size {len(offsets) + 1} /Root {root} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)


def write(
    pages: Sequence[str],
    faces: Mapping[str, Face],
    used: Mapping[str, set[str]],
    *,
    title: str,
) -> bytes:
    """The PDF of ``pages`` (content streams on A4) using ``faces`` (resource name → face),
    each embedding the glyphs of the characters ``used`` in it."""
    objects = _Objects()
    catalog = objects.add("<< /Type /Catalog /Pages 2 0 R >>")
    tree = objects.add(b"")  # the page tree, filled in once the pages have numbers
    info = objects.add(f"<< /Title {_text_string(title)} /Creator (lawful) /Producer (lawful) >>")
    fonts = " ".join(
        f"/{name} {_font(objects, face, used.get(name, set()))} 0 R" for name, face in faces.items()
    )
    resources = f"<< /Font << {fonts} >> >>"
    kids = []
    for content in pages:
        stream = objects.stream(zlib.compress(content.encode("latin-1"), 6))
        kids.append(
            objects.add(
                f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {A4[0]} {A4[1]}]"
                f" /Resources {resources} /Contents {stream} 0 R >>"
            )
        )
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    objects.bodies[tree - 1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    return objects.serialise(catalog, info)


def _font(objects: _Objects, face: Face, characters: set[str]) -> int:
    ids = face.glyph_ids
    compressed, length = _embedded(face.glyphs, frozenset(ids[c] for c in characters if c in ids))
    program = objects.stream(compressed, f" /Length1 {length}")
    descriptor = objects.add(f"<< {face.descriptor} /FontFile2 {program} 0 R >>")
    cid_font = objects.add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{face.base_font}"
        " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
        f" /FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /W {face.widths} >>"
    )
    to_unicode = objects.stream(face.to_unicode)
    return objects.add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{face.base_font} /Encoding /Identity-H"
        f" /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
    )


@functools.lru_cache(maxsize=256)
def _embedded(glyphs: pdf_subset.Glyphs, used: frozenset[int]) -> tuple[bytes, int]:
    """The cut program, compressed, and its length: the same for every document that uses
    the same glyphs of a face (reports in one language share most of their letters), and
    cutting plus compressing it was a fifth of a report's PDF."""
    font_program = pdf_subset.program(glyphs, used)
    return zlib.compress(font_program, 6), len(font_program)


def _text_string(text: str) -> str:
    """A PDF text string in UTF-16 (any script), as hex."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
