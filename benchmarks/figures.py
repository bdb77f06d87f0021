"""Formatting shared by the benchmarks' reports: numbers for a table, interpolated percentiles."""

from __future__ import annotations

from collections.abc import Sequence


def fmt(value: float) -> str:
    """A figure with as many digits as it deserves (12,345 · 123 · 12.3 · 1.23)."""
    if value >= 10_000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation; NaN for no samples."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
