"""Charts drawn on the server as SVG (no script, no CDN): consents given and withdrawn per week.

This module computes the geometry; ``templates/admin/_chart.html`` draws it (autoescaped).
Colours are SVG presentation attributes, not styles, so the pages' CSP (no inline styles)
holds. Each chart carries a ``<title>``, and the figures are also in the table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GIVEN = "#0b6623"
WITHDRAWN = "#a4000f"
WIDTH, HEIGHT, GAP = 240, 64, 3


@dataclass(frozen=True)
class Week:
    label: str
    given: int
    withdrawn: int


@dataclass(frozen=True)
class Bar:
    """One week: a bar up from the middle line (given), one down (withdrawn)."""

    week: Week
    x: float
    width: float
    up: float
    down: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    given_colour: str = GIVEN
    withdrawn_colour: str = WITHDRAWN

    @property
    def middle(self) -> float:
        return self.height / 2


def consent_chart(weeks: Sequence[Week]) -> Chart:
    """Bars scaled to the busiest week (given or withdrawn) of this chart."""
    peak = max([1, *(w.given for w in weeks), *(w.withdrawn for w in weeks)])
    room = HEIGHT / 2 - 2
    slot = WIDTH / max(len(weeks), 1)
    return Chart(
        [
            Bar(
                week,
                round(index * slot + GAP / 2, 1),
                round(slot - GAP, 1),
                round(week.given / peak * room, 1),
                round(week.withdrawn / peak * room, 1),
            )
            for index, week in enumerate(weeks)
        ]
    )
