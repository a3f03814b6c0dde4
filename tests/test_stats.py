"""benchstat-style statistics against known values (scipy.stats.mannwhitneyu exact / asymptotic results)."""

from __future__ import annotations

import pytest

from gokernel import stats


def test_median_odd_even_and_empty() -> None:
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, 3, 2]) == 2.5
    with pytest.raises(ValueError):
        stats.median([])


def test_order_statistic_confidence_interval() -> None:
    # n=10: (x(2), x(9)) covers the median with 1 - 2*11/1024 = 97.9%; (x(3), x(8)) only 89%.
    assert stats.confidence_interval(list(range(10))) == (1.0, 8.0)
    # n=6: coverage of (x(1), x(6)) is 1 - 2/64 = 96.9%, the best available.
    assert stats.confidence_interval([5, 0, 4, 1, 3, 2]) == (0.0, 5.0)
    # n=5 cannot reach 95% (max 93.75%): the whole range.
    assert stats.confidence_interval([1, 2, 3, 4, 5]) == (1.0, 5.0)
    # n=20: k=5 gives 1 - 2*P(X<=5) = 0.9586, k=6 only 0.8847.
    assert stats.confidence_interval(list(range(20))) == (5.0, 14.0)
    assert stats.confidence_interval(list(range(20)), confidence=0.8) == (6.0, 13.0)


@pytest.mark.parametrize(
    ("xs", "ys", "expected"),
    [
        # scipy.stats.mannwhitneyu(xs, ys, method="exact").pvalue
        ([1, 2, 3], [4, 5, 6], 0.1),
        ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 0.007936507936507936),
        ([1, 3, 5, 7, 9], [2, 4, 6, 8, 10], 0.6904761904761905),
        ([1.1, 2.2, 3.3, 4.4], [0.5, 5.5, 6.6, 7.7, 8.8], 0.19047619047619047),
        ([10, 20], [30, 40, 50], 0.2),
    ],
)
def test_mann_whitney_exact_small_samples(xs: list[float], ys: list[float], expected: float) -> None:
    assert stats.mann_whitney_u(xs, ys) == pytest.approx(expected, rel=1e-9)
    assert stats.mann_whitney_u(ys, xs) == pytest.approx(expected, rel=1e-9)


def test_mann_whitney_ties_use_normal_approximation_with_tie_correction() -> None:
    # U=0.5, tie-corrected variance 11.571, continuity-corrected z=2.0578 (scipy method="asymptotic")
    assert stats.mann_whitney_u([1, 2, 2, 3], [3, 4, 5, 5]) == pytest.approx(0.03960870463975974, rel=1e-9)
    # All equal: no evidence of a difference.
    assert stats.mann_whitney_u([5, 5, 5], [5, 5, 5]) == 1.0


def test_summarize_and_compare() -> None:
    s = stats.summarize([100, 102, 98, 101, 99])
    assert (s.median, s.lo, s.hi, s.n) == (100, 98, 102, 5)
    assert s.spread_pct == pytest.approx(2.0)
    faster = stats.compare([100, 102, 98, 101, 99], [50, 51, 49, 52, 48])
    assert faster.significant and faster.p < 0.05
    assert faster.delta_pct == pytest.approx(-50.0)
    assert faster.delta_text == "-50.00%"
    same = stats.compare([100, 102, 98], [101, 99, 100])
    assert not same.significant and same.delta_pct is None and same.delta_text == "~"
