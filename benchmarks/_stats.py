"""Statistics and target checks for the benchmark tables (pure functions, no I/O)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    n: int
    min: float
    median: float
    max: float


def summarize(samples: Sequence[float]) -> Summary:
    if not samples:
        raise ValueError("no samples to summarize")
    return Summary(n=len(samples), min=min(samples), median=statistics.median(samples), max=max(samples))


def ratio(value: float | None, reference: float | None) -> float | None:
    """value / reference, or None when either is missing or the reference is not positive."""
    if value is None or reference is None or reference <= 0:
        return None
    return value / reference


@dataclass(frozen=True)
class Check:
    """A target: `value` must be ≤ `limit`. Printed next to the figures, never asserted."""

    label: str  # what is compared, e.g. "×floor" or "first line ms"
    value: float | None
    limit: float

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        return "PASS" if self.value <= self.limit else "MISS"

    def describe(self) -> str:
        shown = "n/a" if self.value is None else f"{self.value:.3g}"
        return f"{self.label} {shown} ≤ {self.limit:g} {self.verdict}"
