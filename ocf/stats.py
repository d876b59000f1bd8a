"""Statistical methods, each defined once with a typed result (see docs/methods.md).

Small and degenerate inputs (n = 0, n = 1, no variation) are handled here explicitly before any
scipy call, so callers get a clear result instead of a warning or a NaN from deep inside.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "DSR_MINIMUM_EVENTS",
    "SPEARMAN_INTERVAL_MIN_N",
    "Correlation",
    "Heterogeneity",
    "Interval",
    "MedianCI",
    "RowMedians",
    "dersimonian_laird_tau2",
    "dsr",
    "heterogeneity",
    "mantel_haenszel_rate_ratio",
    "median_ci",
    "median_ci_ranks",
    "ordinal_alpha",
    "ordinal_alpha_from_counts",
    "poisson_count_limits",
    "poisson_limits",
    "proportion_ci",
    "proportion_funnel",
    "rate_ci",
    "rate_funnel",
    "rate_ratio",
    "rate_ratios",
    "ratio_funnel",
    "risk_ratios",
    "row_medians",
    "spearman",
    "standardised_ratio",
    "wilson_limits",
]


@dataclass(frozen=True)
class MedianCI:
    """A median with its distribution-free interval and the interval's exact coverage."""

    value: float | None
    lower: float | None
    upper: float | None
    coverage: float | None
    method: str = "binomial order statistics"


@functools.lru_cache(maxsize=1024)
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


@dataclass(frozen=True)
class RowMedians:
    """Per-row n, median, quartiles and median interval (arrays; NaN where n = 0)."""

    n: np.ndarray
    median: np.ndarray
    q1: np.ndarray
    q3: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    coverage: np.ndarray


def row_medians(table: np.ndarray, confidence: float = 0.95) -> RowMedians:
    """Median (mean of the middle two for even n), quartiles and median interval of each row.

    `table` is 2-D with NaN where there is no value (rows may hold different numbers of
    values). Quartiles interpolate linearly between order statistics (Hyndman and Fan type 7,
    as pandas and R's default); the interval is the one `median_ci_ranks` defines. Sorting each
    row once gives every order statistic.
    """
    ordered = np.sort(np.asarray(table, dtype=float), axis=1)  # NaN sorts last
    rows, width = ordered.shape
    n = np.count_nonzero(~np.isnan(ordered), axis=1)
    has = n > 0
    last = np.maximum(n - 1, 0)
    row_start = np.arange(rows) * width

    def at(rank: np.ndarray) -> np.ndarray:
        """The 0-based order statistic `rank` of each row (NaN for empty rows, all NaN)."""
        if width == 0:
            return np.full(rows, np.nan)
        return ordered.ravel()[row_start + rank]

    def quantile(q: float) -> np.ndarray:
        position = last * q
        below = np.floor(position).astype(np.int64)
        low = at(below)
        return low + (position - below) * (at(np.minimum(below + 1, last)) - low)

    ranks = np.array(
        [median_ci_ranks(k, confidence) or (1, 1, np.nan) for k in range(ordered.shape[1] + 1)],
        dtype=float,
    )
    return RowMedians(
        n=n,
        median=(at(last // 2) + at(n // 2)) / 2,
        q1=quantile(0.25),
        q3=quantile(0.75),
        lower=at(ranks[n, 0].astype(np.int64) - 1),
        upper=at(ranks[n, 1].astype(np.int64) - 1),
        coverage=np.where(has, ranks[n, 2], np.nan),
    )


def median_ci(values: Sequence[float], confidence: float = 0.95) -> MedianCI:
    """The median (mean of the middle two for even n) with a distribution-free interval."""
    summary = row_medians(np.asarray(values, dtype=float).reshape(1, -1), confidence)
    if summary.n[0] == 0:
        return MedianCI(None, None, None, None)
    return MedianCI(
        float(summary.median[0]),
        float(summary.lower[0]),
        float(summary.upper[0]),
        float(summary.coverage[0]),
    )


def ordinal_alpha(reliability: np.ndarray, value_domain: Sequence[float]) -> float | None:
    """Krippendorff's alpha (ordinal) for a raters × units matrix with NaN for missing.

    None when it is undefined: fewer than two raters, no unit rated by two raters, or no
    variation at all (expected disagreement zero).
    """
    data = np.asarray(reliability, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2:
        return None
    domain = np.asarray(sorted(value_domain), dtype=float)
    if not np.isin(data[~np.isnan(data)], domain).all():
        raise ValueError("the reliability data hold values outside the value domain")
    counts = (data.T[:, :, None] == domain[None, None, :]).sum(axis=1)  # units × values
    alpha = ordinal_alpha_from_counts(counts[None])[0]
    return None if np.isnan(alpha) else float(alpha)


def ordinal_alpha_from_counts(value_counts: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal alpha for many groups at once (NaN where undefined).

    `value_counts[g, u, v]`: how many raters in group g gave unit u the v-th value of the
    ordered value domain. Each group's coincidence matrix is Σ over units rated at least twice
    of (n_u n_uᵀ − diag n_u)/(m_u − 1), with n_u the unit's value counts and m_u their sum; the
    ordinal distance of values c ≤ k is (Σ_{g=c..k} n_g − (n_c + n_k)/2)² with n_g the
    coincidence marginals (Krippendorff 2011). Undefined when fewer than two distinct values
    are pairable.
    """
    counts = np.asarray(value_counts, dtype=float)
    n_groups, _, n_values = counts.shape
    index, ones = np.arange(n_values), np.ones(n_values)
    # Sums over the short value axis as matrix products: much faster than .sum(axis=-1).
    pairable = counts @ ones  # m_u
    weight = np.divide(1.0, pairable - 1, out=np.zeros_like(pairable), where=pairable >= 2)
    observed = (counts * weight[:, :, None]).transpose(0, 2, 1) @ counts
    observed[:, index, index] -= (weight[:, None, :] @ counts)[:, 0, :]
    marginals = observed @ ones  # n_g per group
    total = marginals @ ones
    expected = marginals[:, :, None] * marginals[:, None, :]
    expected[:, index, index] -= marginals
    expected /= np.where(total > 1, total - 1, np.nan)[:, None, None]
    cumulative = np.cumsum(marginals, axis=1)
    low, high = np.minimum.outer(index, index), np.maximum.outer(index, index)
    between = cumulative[:, high] - cumulative[:, low] + marginals[:, low]
    flat = (n_groups, n_values * n_values)
    distance = ((between - (marginals[:, low] + marginals[:, high]) / 2) ** 2).reshape(flat)
    defined = np.count_nonzero(marginals > 0, axis=1) >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        disagreement = np.einsum("gk,gk->g", observed.reshape(flat), distance)
        alpha = 1 - disagreement / np.einsum("gk,gk->g", expected.reshape(flat), distance)
    return np.where(defined, alpha, np.nan)


# --------------------------------------------------------------------------- rates and ratios
#
# OHID/PHE Fingertips conventions (reference implementation: PHEindicatormethods); formulas in
# docs/methods.md. Each function refuses impossible input with ValueError and says why.


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval. `value` None: not calculable (see `method`)."""

    value: float | None
    lower: float | None
    upper: float | None
    method: str
    confidence: float = 0.95


def _z(confidence: float) -> float:
    if not 0.5 < confidence < 1:
        raise ValueError(f"confidence must be between 0.5 and 1, got {confidence}")
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def poisson_limits(counts, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Limits for observed Poisson counts (arrays): exact (χ²) below 10, Byar's from 10 up."""
    c = np.asarray(counts, dtype=float)
    alpha = 1 - confidence
    z = _z(confidence)
    safe = np.where(c > 0, c, 1.0)  # keeps the branch not taken finite
    exact_lower = np.where(c > 0, stats.chi2.ppf(alpha / 2, 2 * safe) / 2, 0.0)
    exact_upper = stats.chi2.ppf(1 - alpha / 2, 2 * c + 2) / 2
    byar_lower = safe * (1 - 1 / (9 * safe) - z / (3 * np.sqrt(safe))) ** 3
    byar_upper = (c + 1) * (1 - 1 / (9 * (c + 1)) + z / (3 * np.sqrt(c + 1))) ** 3
    small = c < 10
    return np.where(small, exact_lower, byar_lower), np.where(small, exact_upper, byar_upper)


def poisson_count_limits(count: float, confidence: float = 0.95) -> tuple[float, float, str]:
    """Limits for one observed Poisson count, with the method used."""
    if count < 0 or not np.isfinite(count):
        raise ValueError(f"a count must be 0 or more, got {count}")
    lower, upper = poisson_limits([count], confidence)
    return float(lower[0]), float(upper[0]), "exact Poisson" if count < 10 else "Byar's"


def rate_ratios(a, population_a, b, population_b, confidence: float = 0.95):
    """Rate ratios with log-method intervals (arrays): NaN where undefined (b = 0) and, for
    the interval, where either count is 0."""
    a, na, b, nb = (np.asarray(x, dtype=float) for x in (a, population_a, b, population_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, (a / na) / (b / nb), np.nan)
        half = _z(confidence) * np.sqrt(1 / a + 1 / b)
        both = (a > 0) & (b > 0)
        return (
            ratio,
            np.where(both, ratio * np.exp(-half), np.nan),
            np.where(both, ratio * np.exp(half), np.nan),
        )


def wilson_limits(counts, denominators, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits for proportions count/denominator (arrays, each 0–1): the interval
    `proportion_ci` gives, for many at once. NaN where the denominator is not above 0."""
    x, n = (np.asarray(v, dtype=float) for v in (counts, denominators))
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = 2 * x + z**2
        spread = z * np.sqrt(z**2 + 4 * x * (1 - p))
        bottom = 2 * (n + z**2)
        lower = np.minimum(np.maximum((centre - spread) / bottom, 0.0), p)
        upper = np.maximum(np.minimum((centre + spread) / bottom, 1.0), p)
    usable = n > 0
    return np.where(usable, lower, np.nan), np.where(usable, upper, np.nan)


def risk_ratios(a, n_a, b, n_b, confidence: float = 0.95):
    """Ratios of proportions (a/n_a)/(b/n_b) with Katz's log interval (arrays):
    SE(ln RR) = √(1/a − 1/n_a + 1/b − 1/n_b). NaN where undefined (b = 0) and, for the
    interval, where either count is 0 (as `rate_ratios`)."""
    a, na, b, nb = (np.asarray(x, dtype=float) for x in (a, n_a, b, n_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, (a / na) / (b / nb), np.nan)
        half = _z(confidence) * np.sqrt(np.maximum(1 / a - 1 / na + 1 / b - 1 / nb, 0))
        both = (a > 0) & (b > 0)
        return (
            ratio,
            np.where(both, ratio * np.exp(-half), np.nan),
            np.where(both, ratio * np.exp(half), np.nan),
        )


def _positive(population: float, what: str = "population") -> None:
    if not population > 0 or not np.isfinite(population):
        raise ValueError(f"{what} must be greater than 0, got {population}")


def rate_ci(
    count: float, population: float, multiplier: float = 100_000, confidence: float = 0.95
) -> Interval:
    """A crude rate per `multiplier` with its Poisson interval."""
    _positive(population)
    lower, upper, method = poisson_count_limits(count, confidence)
    scale = multiplier / population
    return Interval(count * scale, lower * scale, upper * scale, method, confidence)


def proportion_ci(numerator: float, denominator: float, confidence: float = 0.95) -> Interval:
    """A proportion (0–1) with the Wilson score interval."""
    _positive(denominator, "denominator")
    if not 0 <= numerator <= denominator:
        raise ValueError(
            f"numerator must be between 0 and the denominator, got {numerator} of {denominator}"
        )
    z = _z(confidence)
    p = numerator / denominator
    centre = 2 * numerator + z**2
    spread = z * np.sqrt(z**2 + 4 * numerator * (1 - p))
    bottom = 2 * (denominator + z**2)
    # Clipped: at x = 0 or x = n rounding can put a bound a hair outside 0–1.
    lower = min(max(float((centre - spread) / bottom), 0.0), p)
    upper = max(min(float((centre + spread) / bottom), 1.0), p)
    return Interval(p, lower, upper, "Wilson", confidence)


def rate_ratio(
    count_a: float,
    population_a: float,
    count_b: float,
    population_b: float,
    confidence: float = 0.95,
) -> Interval:
    """Rate of group a over rate of group b, with the log-method interval.

    SE(ln RR) = √(1/a + 1/b). With a zero count the log method has no interval: the ratio is
    returned (0, or None when b is 0) without one, and `method` says so.
    """
    _positive(population_a)
    _positive(population_b)
    for count in (count_a, count_b):
        if count < 0 or not np.isfinite(count):
            raise ValueError(f"a count must be 0 or more, got {count}")
    if count_b == 0:
        return Interval(
            None, None, None, "undefined: the reference group has no events", confidence
        )
    if count_a == 0:
        return Interval(0.0, None, None, "log method: no interval with zero events", confidence)
    ratio, lower, upper = rate_ratios(
        [count_a], [population_a], [count_b], [population_b], confidence
    )
    return Interval(float(ratio[0]), float(lower[0]), float(upper[0]), "log method", confidence)


def standardised_ratio(
    rate_a, lower_a, upper_a, rate_b, lower_b, upper_b, confidence: float = 0.95
):
    """The ratio of two directly standardised rates with its interval on the log scale.

    Each rate's standard error on the log scale comes from its own 95% interval,
    (ln upper − ln lower) / (2 × 1.96), and the two groups are independent, so
    var(ln ratio) = se_a² + se_b² (docs/methods.md, Standardised rates). NaN where either rate
    or interval is missing or not positive.
    """
    values = [np.asarray(v, float) for v in (rate_a, lower_a, upper_a, rate_b, lower_b, upper_b)]
    rate_a, lower_a, upper_a, rate_b, lower_b, upper_b = values
    z95 = _z(0.95)  # the published intervals are 95%
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (rate_a > 0) & (rate_b > 0) & (lower_a > 0) & (lower_b > 0)
        se = np.sqrt(
            ((np.log(upper_a) - np.log(lower_a)) / (2 * z95)) ** 2
            + ((np.log(upper_b) - np.log(lower_b)) / (2 * z95)) ** 2
        )
        z = _z(confidence)
        ratio = np.where(ok, rate_a / rate_b, np.nan)
        return ratio, ratio * np.exp(-z * se), ratio * np.exp(z * se)


DSR_MINIMUM_EVENTS = 10


def dsr(
    counts: Sequence[float],
    populations: Sequence[float],
    standard_populations: Sequence[float],
    multiplier: float = 100_000,
    confidence: float = 0.95,
    event_variances: Sequence[float] | None = None,
) -> Interval:
    """A directly standardised rate with Dobson's interval; not given below 10 events.

    `event_variances`, for non-independent events (detentions are episodes: one person can be
    detained several times), is per band the sum over people of the square of each person's
    number of events; it replaces the count in the variance. Left out, events are independent.
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(populations, dtype=float)
    w = np.asarray(standard_populations, dtype=float)
    if not (x.shape == n.shape == w.shape) or x.ndim != 1 or x.size == 0:
        raise ValueError(
            "counts, populations and standard populations need one value per band, in the same order"
        )
    if (x < 0).any() or not np.isfinite(x).all():
        raise ValueError("counts must all be 0 or more")
    if (n <= 0).any() or not np.isfinite(n).all():
        raise ValueError("populations must all be greater than 0")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("standard populations must be 0 or more, and not all 0")
    total = float(x.sum())
    independent = event_variances is None
    method = "Dobson" if independent else "Dobson, non-independent events"
    if total < DSR_MINIMUM_EVENTS:
        return Interval(
            None, None, None, f"not calculated: fewer than {DSR_MINIMUM_EVENTS} events", confidence
        )
    v = x if independent else np.asarray(event_variances, dtype=float)
    if v.shape != x.shape or (v < x).any():
        raise ValueError("event variances need one value per band, each at least the band's count")
    value = float((w * x / n).sum() / w.sum())
    variance = float((v * (w / n) ** 2).sum() / w.sum() ** 2)
    lower, upper, _ = poisson_count_limits(total, confidence)
    scale = np.sqrt(variance / total)
    return Interval(
        value * multiplier,
        float(value + scale * (lower - total)) * multiplier,
        float(value + scale * (upper - total)) * multiplier,
        method,
        confidence,
    )


# --------------------------------------------------------------------------- funnel plots


def rate_funnel(
    target: float,
    populations: Sequence[float],
    confidence: float,
    multiplier: float = 100_000,
    tau2: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Control limits for rates around `target` (per multiplier) at each population.

    Without overdispersion: exact Poisson limits for the expected count θn. With `tau2`
    (additive random effects, on the rate scale per unit), normal limits θ ± z√(θ/n + τ²).
    """
    n = np.asarray(populations, dtype=float)
    theta = target / multiplier
    if tau2 > 0:
        half = _z(confidence) * np.sqrt(theta / n + tau2)
        return np.maximum(theta - half, 0) * multiplier, (theta + half) * multiplier
    alpha = 1 - confidence
    expected = theta * n
    lower = np.where(expected > 0, stats.chi2.ppf(alpha / 2, 2 * expected) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * expected + 2) / 2
    return lower / n * multiplier, upper / n * multiplier


def proportion_funnel(
    target: float, denominators: Sequence[float], confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Control limits for a proportion around `target`: t ± z√(t(1 − t)/n), clipped to 0–1.

    These are the observed proportions whose Wilson interval just reaches the target (the
    Wilson bounds solve (p − t)² = z²t(1 − t)/n for t); PHEindicatormethods' closed form gives
    the same limits (tested).
    """
    n = np.asarray(denominators, dtype=float)
    half = _z(confidence) * np.sqrt(target * (1 - target) / n)
    return np.clip(target - half, 0, 1), np.clip(target + half, 0, 1)


def ratio_funnel(
    target: float, precisions: Sequence[float] | np.ndarray, confidence: float, tau2: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Control limits for a ratio on the log scale: target·exp(±z√(1/precision + τ²)).

    precision = 1/SE(ln ratio)², e.g. 1/(1/a + 1/b) for a rate ratio with counts a and b.
    """
    p = np.asarray(precisions, dtype=float)
    half = _z(confidence) * np.sqrt(1 / p + tau2)
    return target * np.exp(-half), target * np.exp(half)


def mantel_haenszel_rate_ratio(
    focus_counts: Sequence[float],
    focus_populations: Sequence[float],
    reference_counts: Sequence[float],
    reference_populations: Sequence[float],
) -> float:
    """The Mantel–Haenszel pooled rate ratio over strata (areas), for person counts a, b over
    populations n₁, n₀ with t = n₁ + n₀: Σ(a·n₀/t) / Σ(b·n₁/t) (Rothman, Greenland and Lash,
    Modern Epidemiology, 3rd ed., ch. 15).

    It compares the groups *within* each area, so unlike the ratio of pooled counts it is not
    confounded by where each group lives (docs/methods.md, Funnel plots). NaN without strata.
    """
    a, n1 = np.asarray(focus_counts, float), np.asarray(focus_populations, float)
    b, n0 = np.asarray(reference_counts, float), np.asarray(reference_populations, float)
    keep = np.isfinite(a) & np.isfinite(b) & (n1 > 0) & (n0 > 0)
    a, n1, b, n0 = a[keep], n1[keep], b[keep], n0[keep]
    t = n1 + n0
    denominator = float((b * n1 / t).sum())
    return float((a * n0 / t).sum() / denominator) if denominator > 0 else float("nan")


def dersimonian_laird_tau2(
    estimates: Sequence[float],
    standard_errors: Sequence[float],
    target: float,
    winsorise: float = 0.1,
) -> float:
    """Between-unit variance τ² for overdispersed funnel limits (Spiegelhalter 2005).

    z-scores against the target are winsorised at the `winsorise` and 1 − `winsorise` quantiles
    so that outliers do not widen the limits that should reveal them; φ is their mean square.
    τ² = max(0, (Iφ − (I − 1)) / (Σw − Σw²/Σw)) with w = 1/s². 0 when there is no overdispersion.
    """
    y = np.asarray(estimates, dtype=float)
    s = np.asarray(standard_errors, dtype=float)
    keep = np.isfinite(y) & np.isfinite(s) & (s > 0)
    y, s = y[keep], s[keep]
    units = y.size
    if units < 3:
        return 0.0
    z = (y - target) / s
    low, high = np.quantile(z, [winsorise, 1 - winsorise])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    w = 1 / s**2
    denominator = w.sum() - (w**2).sum() / w.sum()
    if units * phi <= units - 1 or denominator <= 0:
        return 0.0
    return float((units * phi - (units - 1)) / denominator)


@dataclass(frozen=True)
class Heterogeneity:
    """How much the units vary around a target beyond chance (Cochran's Q).

    `phi` = Q / df, the overdispersion factor (1 when the spread is what chance gives);
    `i_squared` = max(0, (Q − df) / Q), the share of the variation beyond chance; `p_value`
    from χ² on df degrees of freedom. `significant` at the 5% level."""

    q: float
    df: int
    phi: float
    i_squared: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.df > 0 and self.p_value < 0.05


def heterogeneity(
    estimates: Sequence[float], standard_errors: Sequence[float], target: float
) -> Heterogeneity | None:
    """Cochran's Q of the units' estimates (on the log scale for ratios) around `target`, with
    φ, I² and the χ² p-value; None with fewer than 3 usable units. Q = Σ((y − target)/s)²,
    df = I − 1 (the target is estimated from the same units)."""
    y = np.asarray(estimates, dtype=float)
    s = np.asarray(standard_errors, dtype=float)
    keep = np.isfinite(y) & np.isfinite(s) & (s > 0)
    y, s = y[keep], s[keep]
    if y.size < 3:
        return None
    q = float((((y - target) / s) ** 2).sum())
    df = int(y.size - 1)
    return Heterogeneity(
        q=q,
        df=df,
        phi=q / df,
        i_squared=max(0.0, (q - df) / q) if q > 0 else 0.0,
        p_value=float(stats.chi2.sf(q, df)),
    )


SPEARMAN_INTERVAL_MIN_N = 10  # Bonett and Wright (2000) find the interval sound from n = 10


@dataclass(frozen=True)
class Correlation:
    value: float | None
    lower: float | None
    upper: float | None
    n: int
    method: str = "Spearman, Fisher z with the Bonett–Wright standard error"
    p_value: float | None = None  # two-sided; exact (permutation) below SPEARMAN_INTERVAL_MIN_N


def spearman(x: Sequence[float], y: Sequence[float], confidence: float = 0.95) -> Correlation:
    """Spearman's rank correlation; an interval only where it is honest, else a p-value.

    None below 4 pairs or with no variation. From SPEARMAN_INTERVAL_MIN_N pairs, the interval
    is Fisher's z with SE of atanh(ρ) = √((1 + ρ²/2)/(n − 3)) (Bonett and Wright, Psychometrika
    2000), with scipy's p-value. Below that no interval is given (Fisher's z has zero width at
    ρ = ±1, which with 4 sites and no association happens one time in twelve); the exact
    permutation p-value over every ordering of y says how surprising ρ is. From 10 pairs at
    ρ = ±1, neither.
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = int(a.size)
    if n < 4 or np.unique(a).size < 2 or np.unique(b).size < 2:
        return Correlation(None, None, None, n)
    rho = float(stats.spearmanr(a, b).statistic)
    if n < SPEARMAN_INTERVAL_MIN_N:
        return Correlation(
            rho, None, None, n, method="Spearman, exact permutation p-value; no interval",
            p_value=_spearman_exact_p(a, b, rho),
        )  # fmt: skip
    if abs(rho) >= 1 - 1e-12:  # Fisher z is infinite: no interval, and no p-value offered
        return Correlation(rho, None, None, n, method="Spearman, perfect rank correlation")
    half = _z(confidence) * np.sqrt((1 + rho**2 / 2) / (n - 3))
    centre = np.arctanh(rho)
    p_value = float(stats.spearmanr(a, b).pvalue)
    return Correlation(
        rho, float(np.tanh(centre - half)), float(np.tanh(centre + half)), n, p_value=p_value
    )


def _spearman_exact_p(a: np.ndarray, b: np.ndarray, rho: float) -> float:
    """Two-sided exact p-value: the share of the n! orderings of b whose |ρ| is at least the
    observed |ρ| (ties within 10⁻¹²).

    Used below SPEARMAN_INTERVAL_MIN_N pairs (at most 9! = 362,880 orderings), all at once:
    ρ is Pearson's correlation of the ranks, whose denominator no reordering changes.
    """
    ranks_a = stats.rankdata(a) - (a.size + 1) / 2
    ranks_b = stats.rankdata(b) - (b.size + 1) / 2
    scale = np.sqrt((ranks_a**2).sum() * (ranks_b**2).sum())
    every = ranks_b[_orderings(b.size)] @ ranks_a / scale
    return float(np.mean(np.abs(every) >= abs(rho) - 1e-12))


@functools.cache
def _orderings(n: int) -> np.ndarray:
    """Every ordering of range(n), one per row (kept: 3.3 MB for n = 9)."""
    orderings = np.array(list(itertools.permutations(range(n))), dtype=np.int8)
    orderings.flags.writeable = False
    return orderings
