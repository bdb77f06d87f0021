"""A copy of a message with its personal data masked, for analytics and for processors that
should not see it."""

from __future__ import annotations

from collections.abc import Iterable

from lawful.intake.detect.models import Finding


def redact(text: str, findings: Iterable[Finding], *, mask: str | None = None) -> str:
    """Replace each finding's span by ``<ENTITY>`` (or by ``mask``); overlapping spans are
    masked once, as their union, so no fragment of a value survives between them."""
    pieces: list[str] = []
    cursor = 0
    for start, end, entity in _merged(findings):
        pieces.append(text[cursor:start])
        pieces.append(mask if mask is not None else f"<{entity}>")
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _merged(findings: Iterable[Finding]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1][1]:
            start, end, entity = merged[-1]
            merged[-1] = (start, max(end, finding.end), entity)
        else:
            merged.append((finding.start, finding.end, finding.entity))
    return merged
