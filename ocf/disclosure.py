"""The disclosure rule: what staff may see of a panel (DESIGN §7, docs/methods.md §Disclosure).

No figure shown to staff, alone or compared with another view, may let anyone deduce or
narrow one panel member's answer. Three parts, each defined here once:

1. **Only frozen panels.** A panel's answers reach staff figures only once the panel has
   closed, after which nothing can be added to it (`withhold_open_panels`). There is then no
   "before" and "after" one member's answer to compare: not a late answer, not a reopen,
   not an earlier round still collecting.
2. **Enough members.** No panel figure from fewer than `min_panel` members (never below
   MIN_PANEL_FLOOR): the median and n alone.
3. **No extremes.** Quartiles and the median's interval only from SPREAD_MIN_N members, the
   smallest panel whose 95% interval is bounded by the 2nd lowest and 2nd highest values: below
   it the "interval" is the range, which names the lowest and highest member's answer (and
   with three members, median + range is every answer).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import numpy as np
import pandas as pd

from ocf.stats import RowMedians, median_ci_ranks

__all__ = [
    "CONFIDENCE",
    "MIN_PANEL_FLOOR",
    "SPREAD_MIN_N",
    "disclose",
    "effective_min_panel",
    "withhold_open_panels",
]


MIN_PANEL_FLOOR = 3  # the loader refuses a framework's min_panel below this
CONFIDENCE = 0.95


def _spread_min_n(confidence: float = CONFIDENCE) -> int:
    """The smallest n whose median interval leaves out the lowest and highest value."""
    n = 1
    while (ranks := median_ci_ranks(n, confidence)) is None or ranks[0] < 2:
        n += 1
    return n


SPREAD_MIN_N = _spread_min_n()  # 9 at 95%: P(Binomial(9, ½) ≤ 1) = 0.0195 ≤ 0.025


def effective_min_panel(min_panel: int) -> int:
    """The framework's threshold, never below the floor (an old round's snapshot may be lower)."""
    return max(int(min_panel), MIN_PANEL_FLOOR)


def disclose(figures: RowMedians, min_panel: int) -> RowMedians:
    """Panel figures per row with the rule applied: NaN wherever a figure may not be shown.

    `n` is kept (it is the number of members, shown as "fewer than …" when suppressed).
    """
    hidden = figures.n < effective_min_panel(min_panel)
    no_spread = hidden | (figures.n < SPREAD_MIN_N)

    def keep(values: np.ndarray, withheld: np.ndarray) -> np.ndarray:
        return np.where(withheld, np.nan, values)

    return replace(
        figures,
        median=keep(figures.median, hidden),
        q1=keep(figures.q1, no_spread),
        q3=keep(figures.q3, no_spread),
        lower=keep(figures.lower, no_spread),
        upper=keep(figures.upper, no_spread),
        coverage=keep(figures.coverage, no_spread),
    )


def withhold_open_panels(answers: pd.DataFrame, frozen_sites: Collection[str]) -> pd.DataFrame:
    """The answers staff figures may use: everything but panels that are still open.

    `answers` as `store.submissions.answers_frame` gives them (with `audience`); `frozen_sites` are the
    sites whose panel has closed in that round.
    """
    panel = (answers["audience"] == "panel").to_numpy()
    if not panel.any():
        return answers
    frozen = answers["site"].isin(list(frozen_sites)).to_numpy()
    keep = ~panel | frozen
    if keep.all():
        return answers
    return answers[keep].reset_index(drop=True)
