"""Medians, quartiles, median intervals and Krippendorff's alpha: the vectorised forms in
ocf.stats against published values and against independent implementations (numpy's
percentiles, the plain reference's binomial sum and the `krippendorff` package)."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocf.stats import median_ci, ordinal_alpha, ordinal_alpha_from_counts, row_medians

from .scoring_reference import median_interval

NA = np.nan
# Krippendorff K. Computing Krippendorff's alpha-reliability (2011), the worked example with
# 4 observers, 12 units and missing values: nominal 0.743, ordinal 0.815, interval 0.849.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    ]
)


def test_ordinal_alpha_matches_krippendorffs_worked_example() -> None:
    assert round(ordinal_alpha(KRIPPENDORFF_2011, [1, 2, 3, 4, 5]), 3) == 0.815


def test_ordinal_alpha_is_undefined_without_pairs_or_variation() -> None:
    assert ordinal_alpha(np.array([[1.0, 2.0]]), [1, 2]) is None  # one rater
    assert ordinal_alpha(np.array([[1.0, NA], [NA, 2.0]]), [1, 2]) is None  # no pairs
    assert ordinal_alpha(np.array([[2.0, 2.0], [2.0, 2.0]]), [1, 2]) is None  # no variation
    with pytest.raises(ValueError, match="outside the value domain"):
        ordinal_alpha(np.array([[1.0, 7.0], [1.0, 2.0]]), [1, 2])


DOMAIN = [0.0, 1.0, 1.5, 2.0, 3.0]
ratings = st.integers(2, 7).flatmap(
    lambda raters: st.integers(1, 8).flatmap(
        lambda units: st.lists(
            st.lists(st.sampled_from([*DOMAIN, NA]), min_size=units, max_size=units),
            min_size=raters,
            max_size=raters,
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(ratings)
def test_ordinal_alpha_equals_the_krippendorff_package(matrix: list[list[float]]) -> None:
    data = np.array(matrix, dtype=float)
    ours = ordinal_alpha(data, DOMAIN)
    try:
        with np.errstate(all="ignore"):
            theirs = krippendorff.alpha(
                reliability_data=data, value_domain=DOMAIN, level_of_measurement="ordinal"
            )
    except ValueError:  # the package refuses data with no unit rated twice
        theirs = math.nan
    if ours is None:
        assert not np.isfinite(theirs)  # undefined for both
    else:
        assert ours == pytest.approx(theirs, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(ratings, min_size=1, max_size=4))
def test_alpha_for_many_groups_at_once_equals_one_at_a_time(groups: list) -> None:
    units = max(len(g[0]) for g in groups)
    counts = np.zeros((len(groups), units, len(DOMAIN)))
    for g, matrix in enumerate(groups):
        for row in matrix:
            for u, value in enumerate(row):
                if not math.isnan(value):
                    counts[g, u, DOMAIN.index(value)] += 1
    together = ordinal_alpha_from_counts(counts)
    for g, matrix in enumerate(groups):
        alone = ordinal_alpha(np.array(matrix, dtype=float), DOMAIN)
        assert (alone is None and math.isnan(together[g])) or together[g] == pytest.approx(alone)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]), st.just(NA)), max_size=30),
        min_size=1,
        max_size=6,
    )
)
def test_row_medians_equal_numpy_and_the_written_out_interval(rows: list[list[float]]) -> None:
    width = max(len(r) for r in rows)
    table = np.array([r + [NA] * (width - len(r)) for r in rows], dtype=float).reshape(
        len(rows), width
    )
    summary = row_medians(table)
    for i, row in enumerate(table):
        values = sorted(row[~np.isnan(row)])
        assert summary.n[i] == len(values)
        if not values:
            assert np.isnan([summary.median[i], summary.q1[i], summary.lower[i]]).all()
            continue
        assert summary.median[i] == pytest.approx(np.median(values))
        assert summary.q1[i] == pytest.approx(np.percentile(values, 25))  # linear, type 7
        assert summary.q3[i] == pytest.approx(np.percentile(values, 75))
        lower, upper, coverage = median_interval(values)
        assert (summary.lower[i], summary.upper[i]) == (lower, upper)
        assert summary.coverage[i] == pytest.approx(coverage)


def test_median_interval_published_ranks() -> None:
    # docs/methods.md: n = 10 → j = 2 (97.9%), n = 20 → j = 6 (95.9%), n = 25 → j = 8 (95.7%).
    for n, j, coverage in [(10, 2, 0.9785), (20, 6, 0.9586), (25, 8, 0.9567)]:
        ci = median_ci(range(1, n + 1))
        assert (ci.lower, ci.upper) == (j, n - j + 1)
        assert ci.coverage == pytest.approx(coverage, abs=5e-5)
