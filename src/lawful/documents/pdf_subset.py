"""A face's TrueType program cut down to the glyphs one document uses.

Glyph ids stay as they are — the glyphs a document does not use are left empty — so the face's
widths, ToUnicode map and text encoding, made once per process, stay valid for every document;
only ``glyf`` and ``loca`` are rebuilt, from glyph data split once per face. A report embeds
~100 glyphs of a face's ~500 (Latin and Cyrillic), a few KB instead of ~20 KB per face.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

_ARGS_ARE_WORDS, _SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x1, 0x8, 0x20, 0x40, 0x80


@dataclass(frozen=True, eq=False)  # hashed by identity: one per face, a cache key
class Glyphs:
    """A TrueType program split for cutting: its other tables and each glyph's data."""

    version: bytes
    tables: dict[str, bytes]  # all but glyf and loca; head set for long loca offsets
    outlines: tuple[bytes, ...]  # glyph id → its data, padded to 4 bytes
    components: dict[int, tuple[int, ...]]  # composite glyph id → the glyphs it is made of


def split(program: bytes) -> Glyphs:
    """Read a TrueType program's tables and glyphs (once per face)."""
    count = struct.unpack_from(">H", program, 4)[0]
    tables = {}
    for entry in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", program, 12 + 16 * entry)
        tables[tag.decode("latin-1")] = program[offset : offset + length]
    head = tables["head"]
    offsets = _loca(tables.pop("loca"), short=struct.unpack_from(">h", head, 50)[0] == 0)
    glyf = tables.pop("glyf")
    outlines = tuple(_padded(glyf[a:b]) for a, b in zip(offsets, offsets[1:], strict=False))
    # checkSumAdjustment is set again for each document; loca is always written long.
    tables["head"] = head[:8] + bytes(4) + head[12:50] + struct.pack(">h", 1) + head[52:]
    components = {gid: found for gid, data in enumerate(outlines) if (found := _components(data))}
    return Glyphs(program[:4], tables, outlines, components)


def program(glyphs: Glyphs, used: Iterable[int]) -> bytes:
    """The TrueType program with only ``used`` glyphs (and .notdef and their components)."""
    keep = _closure(glyphs, {0, *used})
    empty = b""
    outlines = [data if gid in keep else empty for gid, data in enumerate(glyphs.outlines)]
    offsets = array("I", [0])
    for data in outlines:
        offsets.append(offsets[-1] + len(data))
    return _sfnt(glyphs, {"glyf": b"".join(outlines), "loca": _big_endian(offsets)})


def _closure(glyphs: Glyphs, used: set[int]) -> set[int]:
    keep, todo = set(), list(used)
    while todo:
        gid = todo.pop()
        if gid not in keep and gid < len(glyphs.outlines):
            keep.add(gid)
            todo += glyphs.components.get(gid, ())
    return keep


def _components(data: bytes) -> tuple[int, ...]:
    """The glyph ids a composite glyph is built from (none for a simple glyph)."""
    if len(data) < 10 or struct.unpack_from(">h", data, 0)[0] >= 0:
        return ()
    found, position = [], 10
    while True:
        flags, gid = struct.unpack_from(">HH", data, position)
        found.append(gid)
        position += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        position += (
            2 if flags & _SCALE else 4 if flags & _XY_SCALE else 8 if flags & _TWO_BY_TWO else 0
        )
        if not flags & _MORE:
            return tuple(found)


def _sfnt(glyphs: Glyphs, rebuilt: dict[str, bytes]) -> bytes:
    tables = {**glyphs.tables, **rebuilt}
    tags = sorted(tables)
    selector = int(math.log2(len(tags)))
    search_range = 16 * 2**selector
    header = glyphs.version + struct.pack(
        ">HHHH", len(tags), search_range, selector, 16 * len(tags) - search_range
    )
    directory, body = [], []
    offset = 12 + 16 * len(tags)
    head_at = 0
    for tag in tags:
        data = _padded(tables[tag])
        if tag == "head":
            head_at = offset
        directory.append(
            struct.pack(">4sIII", tag.encode(), _checksum(data), offset, len(tables[tag]))
        )
        body.append(data)
        offset += len(data)
    font = bytearray(header + b"".join(directory) + b"".join(body))
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    font[head_at + 8 : head_at + 12] = struct.pack(">I", adjustment)
    return bytes(font)


def _loca(data: bytes, *, short: bool) -> list[int]:
    numbers = array("H" if short else "I")
    numbers.frombytes(data)
    if sys.byteorder == "little":
        numbers.byteswap()
    return [n * 2 for n in numbers] if short else list(numbers)


def _big_endian(numbers: array[int]) -> bytes:
    if sys.byteorder == "little":
        numbers.byteswap()
    return numbers.tobytes()


def _checksum(data: bytes) -> int:
    words = array("I")
    words.frombytes(data)
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)
