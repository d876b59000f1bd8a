"""Statistical methods, each defined once with a typed result (see docs/methods.md).

Small and degenerate inputs (n = 0, n = 1, no variation) are handled here explicitly before any
scipy call, so callers get a clear result instead of a warning or a NaN from deep inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np
from scipy import stats


@dataclass(frozen=True)
class MedianCI:
    """A median with its distribution-free interval and the interval's exact coverage."""

    value: float | None
    lower: float | None
    upper: float | None
    coverage: float | None
    method: str = "binomial order statistics"


def median_ci_ranks(n: int, confidence: float = 0.95) -> tuple[int, int, float] | None:
    """1-based ranks (j, n − j + 1) of the order statistics bounding the median, and coverage.

    j is the largest rank with P(Binomial(n, ½) ≤ j − 1) ≤ (1 − confidence)/2, so the coverage
    1 − 2·P(Binomial(n, ½) ≤ j − 1) is at least `confidence`. Below n = 6 no such j exists for
    95%; the range (min, max) is then returned with its smaller, stated coverage.
    """
    if n < 1:
        return None
    tail = (1 - confidence) / 2
    cdf = stats.binom.cdf(np.arange(n), n, 0.5)  # cdf[k] = P(X ≤ k)
    ok = np.flatnonzero(cdf <= tail + 1e-12)
    j = int(ok[-1]) + 1 if ok.size else 1
    coverage = float(1 - 2 * stats.binom.cdf(j - 1, n, 0.5))
    return j, n - j + 1, coverage


def median_ci(values: Sequence[float], confidence: float = 0.95) -> MedianCI:
    """The median (mean of the middle two for even n) with a distribution-free interval."""
    data = np.sort(np.asarray(values, dtype=float))
    data = data[~np.isnan(data)]
    ranks = median_ci_ranks(len(data), confidence)
    if ranks is None:
        return MedianCI(None, None, None, None)
    low, high, coverage = ranks
    return MedianCI(float(np.median(data)), float(data[low - 1]), float(data[high - 1]), coverage)


def ordinal_alpha(reliability: np.ndarray, value_domain: Sequence[float]) -> float | None:
    """Krippendorff's alpha (ordinal) for a raters × units matrix with NaN for missing.

    None when it is undefined: fewer than two raters, no unit rated by two raters, or no
    variation at all (expected disagreement zero).
    """
    data = np.asarray(reliability, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2:
        return None
    # Only units rated at least twice carry information; with no variation among them the
    # expected disagreement is zero and alpha is undefined.
    paired = data[:, np.sum(~np.isnan(data), axis=0) >= 2]
    if paired.size == 0 or np.unique(paired[~np.isnan(paired)]).size < 2:
        return None
    return float(
        krippendorff.alpha(
            reliability_data=data,
            value_domain=np.asarray(sorted(value_domain), dtype=float),
            level_of_measurement="ordinal",
        )
    )
