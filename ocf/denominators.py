"""What a rate is counted against: people, occupied bed days or admissions (issue 33).

A detention rate is per 100,000 people; restraint and other events on the wards are counted per
1,000 occupied bed days (the NHS Benchmarking Network's and the CQC's convention); a share of
admissions (people detained among those admitted) is per 100 admissions. The template says
which with `denominator_kind`, one kind per measure and period. The kind decides the method
(docs/methods.md, Denominators):

- people and occupied bed days: events over exposure, a Poisson count (exact below 10 events,
  Byar's from 10), rate ratios by the log method;
- admissions: each admission detained or not, a proportion (Wilson score interval), ratios of
  proportions by Katz's log method; a count can never exceed its admissions.

Only rates per person are age-standardised (the European Standard Population is of people).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ocf.stats import poisson_limits, rate_ratios, risk_ratios, wilson_limits

__all__ = [
    "DENOMINATORS",
    "PEOPLE",
    "Denominator",
    "denominator",
    "parse_kind",
    "rate_limits",
    "ratio_limits",
]


@dataclass(frozen=True)
class Denominator:
    kind: str  # as stored and written in the template's denominator_kind column
    noun: str  # what the denominator column counts, in words
    per: float  # rates are per this many of them
    unit: str  # "per 100,000 people"
    proportion: bool  # a share of the denominator (Wilson, Katz) rather than events per exposure
    # The denominator counts people (admissions), so below national level it is disclosed as
    # a count is (ocf.disparity.disclose_counts); populations and bed days are not counts of
    # events about people and are shown as held.
    counted: bool = False

    @property
    def standardised(self) -> bool:
        """Whether age-standardised rates apply (people only)."""
        return self.kind == PEOPLE


PEOPLE = "people"
DENOMINATORS = {
    d.kind: d
    for d in (
        Denominator(PEOPLE, "people", 100_000, "per 100,000 people", proportion=False),
        Denominator(
            "occupied-bed-days",
            "occupied bed days",
            1_000,
            "per 1,000 occupied bed days",
            proportion=False,
        ),
        Denominator(
            "admissions", "admissions", 100, "per 100 admissions", proportion=True, counted=True
        ),
    )
}
# What people write in the column, beside the kinds themselves.
_ALIASES = {
    "": PEOPLE,
    "population": PEOPLE,
    "persons": PEOPLE,
    "bed-days": "occupied-bed-days",
    "obd": "occupied-bed-days",
    "occupied-bed-day": "occupied-bed-days",
    "admission": "admissions",
}


def parse_kind(text: str | None) -> str | None:
    """The kind a template cell names ('Occupied bed days' → occupied-bed-days; empty: people),
    or None when it names none."""
    said = re.sub(r"[^a-z]+", "-", (text or "").lower()).strip("-")
    kind = _ALIASES.get(said, said)
    return kind if kind in DENOMINATORS else None


def denominator(kind: str | None) -> Denominator:
    """The denominator of `kind` (None, as in rows stored before kinds existed: people)."""
    return DENOMINATORS[kind or PEOPLE]


def rate_limits(counts, denominators, kinds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rates per each row's unit with their 95% intervals (arrays; `kinds` one per row):
    Poisson for events over exposure, Wilson for a share of admissions. NaN where there is no
    count or no denominator above 0."""
    count, n = (np.asarray(v, dtype=float) for v in (counts, denominators))
    kinds = np.asarray([k or PEOPLE for k in kinds], dtype=object)
    per = np.array([DENOMINATORS[k].per for k in kinds], dtype=float)
    share = np.array([DENOMINATORS[k].proportion for k in kinds], dtype=bool)
    usable = ~np.isnan(count) & (n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = poisson_limits(np.where(usable, count, 0))
        rate = np.where(usable, count / n * per, np.nan)
        lower = np.where(usable, low / n * per, np.nan)
        upper = np.where(usable, high / n * per, np.nan)
        if share.any():
            w_low, w_high = wilson_limits(np.where(usable, count, 0), np.where(usable, n, 1))
            lower = np.where(share & usable, w_low * per, lower)
            upper = np.where(share & usable, w_high * per, upper)
    return rate, lower, upper


def ratio_limits(a, n_a, b, n_b, kinds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratios of a's rate to b's with 95% intervals (arrays): the log method for rates, Katz's
    for shares of admissions."""
    ratio, lower, upper = rate_ratios(a, n_a, b, n_b)
    share = np.array([DENOMINATORS[k or PEOPLE].proportion for k in kinds], dtype=bool)
    if share.any():
        _, k_low, k_high = risk_ratios(a, n_a, b, n_b)
        lower, upper = np.where(share, k_low, lower), np.where(share, k_high, upper)
    return ratio, lower, upper
