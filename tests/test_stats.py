"""Public-health statistics against published reference values and closed-form identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from ocf.stats import (
    dersimonian_laird_tau2,
    dsr,
    poisson_count_limits,
    proportion_ci,
    proportion_funnel,
    rate_ci,
    rate_funnel,
    rate_ratio,
    ratio_funnel,
)

# Exact Poisson 95% limits for a count (Daly L. Comput Biol Med 1992;22:351–61, table 2).
DALY = [(1, 0.0253, 5.5716), (5, 1.6235, 11.6683), (9, 4.1154, 17.0848)]
# Wilson score intervals (Newcombe RG. Stat Med 1998;17:857–72, table II, method 3).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("count", "lower", "upper"), DALY)
def test_exact_poisson_limits_match_daly(count: int, lower: float, upper: float) -> None:
    low, high, method = poisson_count_limits(count)
    assert method == "exact Poisson"
    assert (round(low, 4), round(high, 4)) == (lower, upper)


def test_byars_method_from_ten_events_and_within_a_fifth_of_a_percent_of_exact() -> None:
    """PHE: for 10 or more events Byar's is within 0.2% of the exact limits (95%)."""
    for count in (10, 65, 389, 1045, 31735):
        low, high, method = poisson_count_limits(count)
        assert method == "Byar's"
        assert low == pytest.approx(sps.chi2.ppf(0.025, 2 * count) / 2, rel=2e-3)
        assert high == pytest.approx(sps.chi2.ppf(0.975, 2 * count + 2) / 2, rel=2e-3)


def test_byars_formula() -> None:
    """O(1 − 1/9O − z/3√O)³ and (O+1)(1 − 1/9(O+1) + z/3√(O+1))³ for O = 65."""
    z = sps.norm.ppf(0.975)
    low, high, _ = poisson_count_limits(65)
    assert low == pytest.approx(65 * (1 - 1 / 585 - z / (3 * np.sqrt(65))) ** 3, rel=1e-12)
    assert high == pytest.approx(66 * (1 - 1 / 594 + z / (3 * np.sqrt(66))) ** 3, rel=1e-12)


def test_crude_rate_scales_count_limits() -> None:
    rate = rate_ci(9, 45_000)
    assert rate.value == pytest.approx(20.0)
    assert (rate.lower, rate.upper) == pytest.approx(
        (4.1154 / 45_000 * 1e5, 17.0848 / 45_000 * 1e5), rel=1e-4
    )
    zero = rate_ci(0, 1000)
    assert (zero.value, zero.lower) == (0, 0) and zero.upper == pytest.approx(
        -np.log(0.025) / 1000 * 1e5, rel=1e-9
    )


@pytest.mark.parametrize(("x", "n", "lower", "upper"), NEWCOMBE)
def test_wilson_matches_newcombe(x: int, n: int, lower: float, upper: float) -> None:
    ci = proportion_ci(x, n)
    assert (round(ci.lower, 4), round(ci.upper, 4)) == (lower, upper)


def test_england_black_to_white_detention_ratio() -> None:
    """NHS England 2023-24: 5,693 detentions at 239.0 per 100,000 vs 31,735 at 69.5 (issue #4)."""
    ratio = rate_ratio(5693, 5693 / 239.0e-5, 31735, 31735 / 69.5e-5)
    assert (round(ratio.value, 2), round(ratio.lower, 2), round(ratio.upper, 2)) == (
        3.44,
        3.34,
        3.54,
    )
    assert ratio.method == "log method"


def test_rate_ratio_edge_cases_are_explicit() -> None:
    assert rate_ratio(0, 100, 5, 100).value == 0 and rate_ratio(0, 100, 5, 100).lower is None
    assert rate_ratio(5, 100, 0, 100).value is None
    with pytest.raises(ValueError, match="population must be greater than 0"):
        rate_ratio(5, 0, 5, 100)


def test_dsr_worked_example() -> None:
    """Three bands, standard weights 1:1:1: DSR = mean of band rates; Dobson interval."""
    result = dsr([5, 10, 20], [1000, 2000, 3000], [1, 1, 1])
    rates = np.array([5 / 1000, 10 / 2000, 20 / 3000])
    assert result.value == pytest.approx(rates.mean() * 1e5)
    variance = (np.array([5, 10, 20]) / np.array([1000, 2000, 3000]) ** 2).sum() / 9
    low, high, _ = poisson_count_limits(35)
    assert result.lower == pytest.approx((rates.mean() + np.sqrt(variance / 35) * (low - 35)) * 1e5)
    assert result.upper == pytest.approx(
        (rates.mean() + np.sqrt(variance / 35) * (high - 35)) * 1e5
    )


def test_dsr_of_one_band_is_the_crude_rate_and_interval() -> None:
    result, crude = dsr([40], [20_000], [5000]), rate_ci(40, 20_000)
    assert (result.value, result.lower, result.upper) == pytest.approx(
        (crude.value, crude.lower, crude.upper)
    )


def test_dsr_below_ten_events_is_not_given_and_non_independence_widens() -> None:
    assert dsr([3, 4], [1000, 1000], [1, 1]).value is None
    plain = dsr([30, 40], [1000, 1000], [1, 1])
    repeated = dsr(
        [30, 40], [1000, 1000], [1, 1], event_variances=[60, 90]
    )  # some people detained twice or more
    assert repeated.value == plain.value
    assert repeated.lower < plain.lower and repeated.upper > plain.upper
    with pytest.raises(ValueError, match="at least the band's count"):
        dsr([30, 40], [1000, 1000], [1, 1], event_variances=[10, 90])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rate_ci(-1, 100), "a count must be 0 or more"),
        (lambda: rate_ci(1, 0), "population must be greater than 0"),
        (lambda: proportion_ci(5, 4), "numerator must be between 0 and the denominator"),
        (lambda: dsr([1, 2], [10], [1, 1]), "one value per band"),
        (lambda: dsr([1, 2], [10, 0], [1, 1]), "populations must all be greater than 0"),
    ],
)
def test_impossible_input_is_refused_clearly(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_proportion_funnel_equals_phe_closed_form() -> None:
    """PHEindicatormethods' sigma_adjustment, written out, gives the same limits."""

    def phe(p: float, n: float, t: float, side: str) -> float:
        q = sps.norm.ppf(p) ** 2
        first = t * (n / q + 1)
        adj = np.sqrt(
            (-8 * t * (n / q + 1)) ** 2
            - 64 * (1 / q + 1 / n) * t * (n * (t * (n / q + 2) - 1) + q * (t - 1))
        )
        last = 1 / q + 1 / n
        return ((first - adj / 8) / last if side == "low" else (first + adj / 8) / last) / n

    for n in (50, 100, 1000, 25_000):
        low, high = proportion_funnel(0.2, [n], 0.95)
        assert low[0] == pytest.approx(phe(0.975, n, 0.2, "low"), rel=1e-9)
        assert high[0] == pytest.approx(phe(0.975, n, 0.2, "high"), rel=1e-9)
    low, high = proportion_funnel(0.2, [100], 0.95)
    assert (round(low[0], 4), round(high[0], 4)) == (0.1216, 0.2784)


def test_rate_funnel_limits_are_poisson_limits_of_the_expected_count() -> None:
    low, high = rate_funnel(100.0, [10_000, 1_000_000], 0.998)
    expected = 0.001 * np.array([10_000, 1_000_000])
    assert low == pytest.approx(
        sps.chi2.ppf(0.001, 2 * expected) / 2 / np.array([10_000, 1_000_000]) * 1e5
    )
    assert high == pytest.approx(
        sps.chi2.ppf(0.999, 2 * expected + 2) / 2 / np.array([10_000, 1_000_000]) * 1e5
    )
    assert (high - low)[1] < (high - low)[0]  # the funnel narrows


def test_ratio_funnel_is_symmetric_on_the_log_scale() -> None:
    low, high = ratio_funnel(2.0, [100.0], 0.95)
    assert (
        np.log(high[0] / 2)
        == pytest.approx(-np.log(low[0] / 2))
        == pytest.approx(1.959964 / 10, rel=1e-6)
    )


def test_dersimonian_laird_detects_overdispersion_and_ignores_its_absence() -> None:
    rng = np.random.default_rng(1)
    se = np.full(400, 0.1)
    assert dersimonian_laird_tau2(rng.normal(1, 0.1, 400), se, 1.0) < 0.002
    spread = rng.normal(1, np.sqrt(0.1**2 + 0.3**2), 400)  # true tau² = 0.09
    assert dersimonian_laird_tau2(spread, se, 1.0, winsorise=0) == pytest.approx(0.09, rel=0.2)
    # Winsorising (10%/90%) keeps outliers from widening the limits: a smaller, positive tau².
    assert (
        0.02
        < dersimonian_laird_tau2(spread, se, 1.0)
        < dersimonian_laird_tau2(spread, se, 1.0, winsorise=0)
    )
    assert dersimonian_laird_tau2([1.0, 2.0], [0.1, 0.1], 1.0) == 0.0  # too few units


@given(count=st.integers(0, 5000), population=st.floats(1, 1e8))
def test_rate_interval_always_contains_the_rate(count: int, population: float) -> None:
    ci = rate_ci(count, population)
    assert 0 <= ci.lower <= ci.value <= ci.upper


@given(x=st.integers(0, 500), extra=st.integers(0, 500))
def test_wilson_interval_stays_in_zero_one(x: int, extra: int) -> None:
    if x + extra == 0:
        return
    ci = proportion_ci(x, x + extra)
    assert 0 <= ci.lower <= ci.value <= ci.upper <= 1
