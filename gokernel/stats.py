"""Benchmark statistics following benchstat's conventions.

API:
    median(xs) -> float
    confidence_interval(xs, confidence=0.95) -> (lo, hi)
        distribution-free interval from order statistics (binomial), as benchstat does;
        with too few samples for the requested confidence the full range is returned.
    mann_whitney_u(xs, ys) -> float   two-sided p-value: exact (no ties, small n) or normal
        approximation with tie correction
    Summary(median, lo, hi, n, spread_pct); summarize(xs)
    Comparison(old, new, delta_pct, p, significant); compare(old_xs, new_xs, alpha=0.05)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    if not s:
        raise ValueError("median of no values")
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


def _binom_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n


def confidence_interval(xs: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        raise ValueError("confidence interval of no values")
    # Widest symmetric pair of order statistics (s[k], s[n-1-k]) still covering the median with
    # probability >= confidence: coverage = 1 - 2 * P(Binom(n, 1/2) <= k).
    best = 0
    for k in range(n // 2):
        if 1 - 2 * _binom_cdf(k, n) >= confidence:
            best = k
        else:
            break
    return float(s[best]), float(s[n - 1 - best])


@lru_cache(maxsize=256)
def _u_distribution(n1: int, n2: int) -> tuple[int, ...]:
    """Counts of rank configurations giving U = 0..n1*n2 (no ties)."""
    # counts[i][j][u]: ways to arrange i x's and j y's with statistic u; built by the recurrence
    # on whether the largest element is an x (adds j to U) or a y.
    prev_row: list[list[int]] = [[1] for _ in range(n2 + 1)]  # i = 0: U is always 0
    for i in range(1, n1 + 1):
        row: list[list[int]] = [[1]]  # j = 0
        for j in range(1, n2 + 1):
            size = i * j + 1
            dist = [0] * size
            for u, c in enumerate(prev_row[j]):  # largest is x: U grows by j
                dist[u + j] += c
            for u, c in enumerate(row[j - 1]):  # largest is y
                dist[u] += c
            row.append(dist)
        prev_row = row
    return tuple(prev_row[n2])


def mann_whitney_u(xs: Sequence[float], ys: Sequence[float]) -> float:
    n1, n2 = len(xs), len(ys)
    if n1 == 0 or n2 == 0:
        return 1.0
    combined = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys])
    ranks = [0.0] * len(combined)
    tie_term = 0.0
    i = 0
    while i < len(combined):
        j = i
        while j + 1 < len(combined) and combined[j + 1][0] == combined[i][0]:
            j += 1
        avg = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[k] = avg
        t = j - i + 1
        tie_term += t**3 - t
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, combined, strict=True) if g == 0)
    u1 = r1 - n1 * (n1 + 1) / 2.0
    mean_u = n1 * n2 / 2.0
    if tie_term == 0 and n1 * n2 <= 400:
        dist = _u_distribution(n1, n2)
        total = sum(dist)
        u_small = min(u1, n1 * n2 - u1)
        tail = sum(dist[: int(u_small) + 1]) / total
        return min(1.0, 2.0 * tail)
    n = n1 + n2
    var = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
    if var <= 0:
        return 1.0
    # Continuity correction, as scipy's default.
    z = (abs(u1 - mean_u) - 0.5) / math.sqrt(var)
    return min(1.0, 2.0 * (1.0 - NormalDist().cdf(max(z, 0.0))))


@dataclass
class Summary:
    median: float
    lo: float
    hi: float
    n: int
    spread_pct: float  # largest distance from the median to the CI bound, in % of the median


def summarize(xs: Sequence[float]) -> Summary:
    med = median(xs)
    lo, hi = confidence_interval(xs)
    spread = max(med - lo, hi - med) / med * 100.0 if med else 0.0
    return Summary(med, lo, hi, len(xs), spread)


@dataclass
class Comparison:
    old: Summary
    new: Summary
    delta_pct: float | None  # None when not significant (shown as "~")
    p: float
    significant: bool

    @property
    def delta_text(self) -> str:
        return "~" if self.delta_pct is None else f"{self.delta_pct:+.2f}%"


def compare(old_xs: Sequence[float], new_xs: Sequence[float], alpha: float = 0.05) -> Comparison:
    old, new = summarize(old_xs), summarize(new_xs)
    p = mann_whitney_u(old_xs, new_xs)
    significant = p < alpha
    delta = (new.median - old.median) / old.median * 100.0 if significant and old.median else None
    return Comparison(old, new, delta, p, significant)
