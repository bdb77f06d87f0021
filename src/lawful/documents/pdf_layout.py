"""Markdown laid out on A4 pages: headings, paragraphs, lists, tables, code, rules.

markdown-it's tokens (CommonMark and tables, raw HTML off) are set line by line: words are
measured with the face's advance widths and broken greedily, table columns get their natural
width (shrunk in proportion when the table is wider than the page, a word longer than its
column is broken between letters), and a line or table row that does not fit goes onto a new
page. Emphasis keeps the upright face (the documents use it sparingly); strong text is bold.
The output is one content stream (drawing operators) per page for
:mod:`lawful.documents.pdf_writer`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from lawful.documents.pdf_faces import Face
from lawful.documents.pdf_writer import A4
from lawful.documents.sections import Section

MARGIN = 28.35  # 10 mm
BOTTOM_MARGIN = 42.52  # 15 mm
BODY = 10.0  # points
HEADING = {1: 16.0, 2: 13.0, 3: 11.5}
LEADING = 1.3  # line height / font size
CELL_PADDING = 3.0
INDENT = 14.0
BULLETS = ("\u2022", "\u2013")
RULE = "0.6 G 0.5 w"  # table borders and rules: thin, grey
#: Paragraphs a cached section's memo keeps (one per paragraph and cut of the faces).
MEMO_SIZE = 256

#: Resource names of the two faces: regular and bold.
REGULAR, BOLD = "F1", "F2"
#: Characters the layout adds itself (list markers, the space between words).
LAYOUT_CHARS = " 0123456789." + "".join(BULLETS)

Run = tuple[str, str]  # (face name, text)
Word = list[Run]
_SPACES = re.compile(r"(\s+)")


@dataclass
class _Table:
    rows: list[list[tuple[bool, list[Run]]]] = field(default_factory=list)


class Typesetter:
    """Lays tokens out on pages; ``pages`` holds each page's content stream when done."""

    def __init__(self, faces: Mapping[str, Face]) -> None:
        self.faces = faces
        self.used: dict[str, set[str]] = {name: set() for name in faces}  # characters set
        self.pages: list[list[str]] = []
        self.y = 0.0  # from the top of the page
        self.indent = 0.0
        self.lists: list[list[int]] = []  # per open list: [ordered (0/1), items so far]
        self.marker: str | None = None  # the pending list item's marker
        self.heading = 0
        self.table: _Table | None = None
        self.header_cell = False
        self.memo: dict[Any, Any] | None = None  # the cached section's, while it is laid out
        self.faces_key = tuple((name, face.base_font) for name, face in faces.items())
        self._new_page()

    def content(self) -> list[str]:
        return ["\n".join(ops) for ops in self.pages]

    # --- tokens ---------------------------------------------------------------------------

    def run_sections(self, sections: Sequence[Section]) -> None:
        """Lay out the sections' tokens, with the memo of each cached one."""
        for section in sections:
            self.memo = section.layout
            self.run(section.tokens)
        self.memo = None

    def run(self, tokens: Sequence[Token]) -> None:
        for token in tokens:
            handler = getattr(self, "_on_" + token.type, None)
            if handler is not None:
                handler(token)

    def _on_heading_open(self, token: Token) -> None:
        self.heading = int(token.tag[1:])

    def _on_heading_close(self, token: Token) -> None:
        self.heading = 0

    def _on_inline(self, token: Token) -> None:
        runs = _runs(token.children or [])
        if self.table is not None:
            self.table.rows[-1].append((self.header_cell, runs))
        elif self.heading:
            size = HEADING.get(self.heading, BODY + 0.5)
            self.y += size * 0.5
            self._paragraph([(BOLD, text) for _, text in runs], size, token)
            self.y += size * 0.3
        else:
            self._paragraph(runs, BODY, token)
            if not self.lists:
                self.y += BODY * 0.6

    def _on_bullet_list_open(self, token: Token) -> None:
        self.lists.append([0, 0])
        self.indent += INDENT

    def _on_ordered_list_open(self, token: Token) -> None:
        start = int(str(token.attrGet("start") or 1))
        self.lists.append([1, start - 1])
        self.indent += INDENT

    def _on_bullet_list_close(self, token: Token) -> None:
        self.lists.pop()
        self.indent -= INDENT
        if not self.lists:
            self.y += BODY * 0.6

    _on_ordered_list_close = _on_bullet_list_close

    def _on_list_item_open(self, token: Token) -> None:
        current = self.lists[-1]
        current[1] += 1
        depth = min(len(self.lists), len(BULLETS)) - 1
        self.marker = f"{current[1]}." if current[0] else BULLETS[depth]

    def _on_blockquote_open(self, token: Token) -> None:
        self.indent += INDENT

    def _on_blockquote_close(self, token: Token) -> None:
        self.indent -= INDENT

    def _on_fence(self, token: Token) -> None:
        for line in token.content.rstrip("\n").split("\n"):
            self._paragraph([(REGULAR, line)], BODY)
        self.y += BODY * 0.6

    _on_code_block = _on_fence

    def _on_hr(self, token: Token) -> None:
        self._need(BODY)
        y = A4[1] - self.y - BODY / 2
        self._draw(f"{RULE} {MARGIN:.2f} {y:.2f} m {A4[0] - MARGIN:.2f} {y:.2f} l S 0 G")
        self.y += BODY

    def _on_table_open(self, token: Token) -> None:
        self.table = _Table()

    def _on_tr_open(self, token: Token) -> None:
        if self.table is not None:
            self.table.rows.append([])

    def _on_th_open(self, token: Token) -> None:
        self.header_cell = True

    def _on_td_open(self, token: Token) -> None:
        self.header_cell = False

    def _on_table_close(self, token: Token) -> None:
        # An empty header row (the reports' tables have none) is left out.
        table, self.table = self.table, None
        rows = (
            [row for row in table.rows if any(t for _, runs in row for _, t in runs)]
            if table
            else []
        )
        if rows:
            self._table(rows)
        self.y += BODY * 0.6

    # --- paragraphs -----------------------------------------------------------------------

    def _paragraph(self, runs: list[Run], size: float, token: Token | None = None) -> None:
        left = MARGIN + self.indent
        for line in self._lines(runs, A4[0] - MARGIN - left, size, token):
            self._need(size * LEADING)
            if self.marker is not None:
                marker_x = left - self.faces[REGULAR].width(self.marker + " ", size)
                self._text(marker_x, size, [[(REGULAR, self.marker)]])
                self.marker = None
            if line:
                self._place(left, size, line)
            self.y += size * LEADING

    def _lines(self, runs: list[Run], width: float, size: float, token: Token | None) -> list[str]:
        """The paragraph's lines as text operators ("" for an empty one), from the memo of
        the cached section that ``token`` is in, when it is: wrapping and encoding the same
        paragraph was most of the layout of the text all reports share."""
        memo = self.memo if token is not None else None
        key = (id(token), width, size, self.faces_key)  # the token lives as long as the memo
        found = memo.get(key) if memo is not None else None
        if found is None:
            used: dict[str, set[str]] = {name: set() for name in self.faces}
            lines = [
                self._encoded(line, size, used) if line else ""
                for line in self._wrap(_words(runs), width, size)
            ]
            found = lines, {name: frozenset(chars) for name, chars in used.items()}
            if memo is not None:
                if len(memo) >= MEMO_SIZE:  # other cuts of the faces: start again
                    memo.clear()
                memo[key] = found
        for name, chars in found[1].items():
            self.used[name] |= chars
        return found[0]

    def _wrap(self, words: list[Word | None], width: float, size: float) -> list[list[Word]]:
        """Greedy line breaking; ``None`` among the words is a forced break."""
        space = self.faces[REGULAR].width(" ", size)
        lines: list[list[Word]] = [[]]
        used = 0.0
        for word in words:
            if word is None:
                lines.append([])
                used = 0.0
                continue
            for piece, piece_width in self._fit(word, width, size):
                needed = piece_width + (space if lines[-1] else 0.0)
                if lines[-1] and used + needed > width:
                    lines.append([])
                    needed -= space
                    used = 0.0
                lines[-1].append(piece)
                used += needed
        return lines

    def _fit(self, word: Word, width: float, size: float) -> list[tuple[Word, float]]:
        """The word, broken between letters where it is wider than the line, with the width
        of each piece."""
        whole = self._width(word, size)
        if whole <= width:
            return [(word, whole)]
        pieces: list[Word] = [[]]
        used = 0.0
        for name, text in word:
            for char in text:
                advance = self.faces[name].width(char, size)
                if pieces[-1] and used + advance > width:
                    pieces.append([])
                    used = 0.0
                pieces[-1].append((name, char))
                used += advance
        return [(piece, self._width(piece, size)) for piece in pieces]

    def _width(self, word: Word, size: float) -> float:
        if len(word) == 1:  # most words are in one face: no generator (the same sum)
            name, text = word[0]
            return self.faces[name].width(text, size)
        return sum(self.faces[name].width(text, size) for name, text in word)

    # --- tables ---------------------------------------------------------------------------

    def _table(self, rows: list[list[tuple[bool, list[Run]]]]) -> None:
        columns = max(len(row) for row in rows)
        cells = [
            [[(BOLD if header else name, t) for name, t in runs] for header, runs in row]
            + [[] for _ in range(columns - len(row))]
            for row in rows
        ]
        words = [[_words(runs) for runs in row] for row in cells]  # split once for both
        widths = self._column_widths(cells, words, A4[0] - 2 * MARGIN - self.indent)
        for row in words:
            self._table_row(row, widths)

    def _column_widths(
        self, cells: list[list[list[Run]]], words: list[list[list[Word | None]]], available: float
    ) -> list[float]:
        """Between each column's longest word (at most an equal share of the width: longer
        words are broken) and its unbroken content, the slack shared in proportion."""
        padding = 2 * CELL_PADDING
        by_column = list(zip(*cells, strict=True))
        share = available / len(by_column)
        natural = [max(self._width(runs, BODY) for runs in col) + padding for col in by_column]
        least = [
            min(max((self._width(w, BODY) for c in col for w in c if w), default=0), share)
            + padding
            for col in zip(*words, strict=True)
        ]
        least = [min(low, high) for low, high in zip(least, natural, strict=True)]
        if sum(natural) <= available:  # the page's width, in proportion to the content
            return [w * available / sum(natural) for w in natural]
        stretch = (available - sum(least)) / (sum(natural) - sum(least))
        return [low + (high - low) * stretch for low, high in zip(least, natural, strict=True)]

    def _table_row(self, row: list[list[Word | None]], widths: list[float]) -> None:
        """One row (each cell's words): on a new page when it does not fit here but would on
        a page of its own, across pages (its cells cut at the same line) when it is taller
        than a page."""
        line_height = BODY * LEADING
        cells = [
            self._wrap(words, w - 2 * CELL_PADDING, BODY)
            for words, w in zip(row, widths, strict=True)
        ]
        tallest = max(len(cell) for cell in cells)
        if tallest * line_height + 2 * CELL_PADDING <= A4[1] - BOTTOM_MARGIN - MARGIN:
            self._need(tallest * line_height + 2 * CELL_PADDING)
        while True:
            room = int((A4[1] - BOTTOM_MARGIN - self.y - 2 * CELL_PADDING) // line_height)
            if room < 1:
                self._new_page()
                continue
            lines = min(tallest, room)
            self._row_part([cell[:lines] for cell in cells], widths, lines * line_height)
            cells, tallest = [cell[lines:] for cell in cells], tallest - lines
            if tallest <= 0:
                return
            self._new_page()

    def _row_part(self, cells: list[list[list[Word]]], widths: list[float], body: float) -> None:
        height = body + 2 * CELL_PADDING
        x = MARGIN + self.indent
        top = self.y
        for cell, width in zip(cells, widths, strict=True):
            self.y = top + CELL_PADDING
            for line in cell:
                self._text(x + CELL_PADDING, BODY, line)
                self.y += BODY * LEADING
            bottom = A4[1] - top - height
            self._draw(f"{RULE} {x:.2f} {bottom:.2f} {width:.2f} {height:.2f} re S 0 G")
            x += width
        self.y = top + height

    # --- drawing --------------------------------------------------------------------------

    def _need(self, height: float) -> None:
        if self.y + height > A4[1] - BOTTOM_MARGIN and self.y > MARGIN:
            self._new_page()

    def _new_page(self) -> None:
        self.pages.append([])
        self.y = MARGIN

    def _draw(self, operators: str) -> None:
        self.pages[-1].append(operators)

    def _text(self, x: float, size: float, line: list[Word]) -> None:
        """One line of words at ``x`` on the current line box (top at ``self.y``)."""
        if line:
            self._place(x, size, self._encoded(line, size, self.used))

    def _place(self, x: float, size: float, encoded: str) -> None:
        """A line's text operators at ``x`` on the current line box (top at ``self.y``)."""
        regular = self.faces[REGULAR]
        baseline = self.y + (size * LEADING - (regular.ascent - regular.descent) * size / 1000) / 2
        baseline += regular.ascent * size / 1000
        self._draw(f"BT {x:.2f} {A4[1] - baseline:.2f} Td {encoded} ET")

    def _encoded(self, line: list[Word], size: float, used: dict[str, set[str]]) -> str:
        """The operators that show a line's words, wherever it is; its characters go to
        ``used`` (by face)."""
        ops = []
        current = ""
        for index, word in enumerate(line):
            runs = ([(current or REGULAR, " ")] if index else []) + word
            for name, text in runs:
                if name != current:
                    ops.append(f"/{name} {size:g} Tf")
                    current = name
                ops.append(f"<{self.faces[name].encode(text)}> Tj")
                used[name].update(text)
        return " ".join(ops)


def _runs(children: Sequence[Token]) -> list[Run]:
    """Inline tokens as text runs in a face; a hard break is a lone newline run."""
    runs: list[Run] = []
    strong = 0
    for child in children:
        kind = child.type
        if kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong -= 1
        elif kind in ("text", "code_inline"):
            runs.append((BOLD if strong else REGULAR, child.content))
        elif kind == "softbreak":
            runs.append((REGULAR, " "))
        elif kind == "hardbreak":
            runs.append((REGULAR, "\n"))
        elif kind == "image":
            runs.append((BOLD if strong else REGULAR, child.content))
    return runs


def _words(runs: list[Run]) -> list[Word | None]:
    """Runs split at white space into words (each a list of runs); None for a hard break."""
    words: list[Word | None] = []
    current: Word = []
    for name, text in runs:
        if text == "\n":
            words += [current, None] if current else [None]
            current = []
            continue
        for part in _SPACES.split(text):
            if not part:
                continue
            if part.isspace():
                if current:
                    words.append(current)
                current = []
            else:
                current.append((name, part))
    if current:
        words.append(current)
    return words
