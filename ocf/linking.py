"""Linking maturity to disparity (DESIGN §5): an association between organisations, not a cause.

Per round, each site's final overall and domain scores, and the panel's own view (the final is
partly the trust's own rating), are joined with its rate ratio for the round's data period,
age-standardised where the data allow; Spearman's correlation with its interval and n; and, for
sites with two or more rounds, the change in maturity against the change in the log rate ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ocf.access import Actor, check_active
from ocf.disparity import DEFAULT_FOCUS, DEFAULT_MEASURE, DEFAULT_REFERENCE, disparity_table
from ocf.permissions import ensure
from ocf.results import round_scores
from ocf.stats import Correlation, spearman
from ocf.store import Store

__all__ = [
    "CAVEAT",
    "SEED",
    "SIMULATIONS",
    "Link",
    "link",
    "rho_with_ratio_uncertainty",
    "standardised_available",
]


CAVEAT = (
    "This shows an association between organisations, not a cause: organisations differ in "
    "many ways besides their maturity, and few sites make any pattern uncertain."
)


@dataclass(frozen=True)
class Link:
    round: str
    period: str | None
    sites: pd.DataFrame  # site, final, domain finals…, rate_ratio, ratio_lower, ratio_upper
    correlation: Correlation
    changes: pd.DataFrame  # site, from_round, to_round, maturity_change, log_ratio_change
    change_correlation: Correlation

    def correlation_for(self, column: str = "final") -> Correlation:
        """Spearman's correlation of the rate ratio with the overall final or a `domain:<id>` column."""
        paired = self.sites.dropna(subset=[column, "rate_ratio"])
        return spearman(paired[column], paired["rate_ratio"])

    def ratio_uncertainty(self, column: str = "final") -> tuple[float, float] | None:
        """How far Spearman's ρ moves when each site's ratio is taken as uncertain
        (`rho_with_ratio_uncertainty`): the 2.5th and 97.5th percentiles, or None."""
        return rho_with_ratio_uncertainty(self.sites, column)

    @property
    def unlinked(self) -> list[str]:
        """Sites with a maturity rating but no rate ratio of their own for the period (no
        population defined for them, or a suppressed count): left out, never matched to a
        parent area's ratio."""
        rows = self.sites
        return rows.loc[rows["final"].notna() & rows["rate_ratio"].isna(), "site"].tolist()

    def regression_to_the_mean(self) -> Correlation:
        """Spearman's ρ between each site's earlier log ratio and its change: negative by chance
        alone (regression to the mean), so a fall in high ratios is not by itself progress."""
        if self.changes.empty:
            return Correlation(None, None, None, 0)
        return spearman(self.changes["log_ratio_before"], self.changes["log_ratio_change"])


def link(
    store: Store,
    round_id: str,
    measure: str = DEFAULT_MEASURE,
    focus: str = DEFAULT_FOCUS,
    reference: str = DEFAULT_REFERENCE,
    actor: Actor | None = None,
    method: str = "crude",
) -> Link:
    """Join each site's maturity in a round with its rate ratio for the round's period (crude,
    or with `method` "standardised" the age-standardised ratio where a site has one:
    `standardised_available` says whether any does).

    With an actor, only regulators (published rounds) and admins may see every site's scores.
    """
    round_ = store.rounds.require_round(round_id)
    if actor is not None:
        check_active(store, actor)
        ensure(actor, "link-disparity")
        ensure(actor, "link-disparity", round_=round_)
    joined = _joined(store, round_id, measure, focus, reference, method)
    paired = joined.dropna(subset=["final", "rate_ratio"])
    correlation = spearman(paired["final"], paired["rate_ratio"])
    changes = _changes(store, round_, measure, focus, reference, joined, method)
    change_correlation = (
        spearman(changes["maturity_change"], changes["log_ratio_change"])
        if len(changes)
        else Correlation(None, None, None, 0)
    )
    return Link(round_id, round_.period, joined, correlation, changes, change_correlation)


SIMULATIONS = 2000
SEED = 16  # fixed: the same data always give the same range


def rho_with_ratio_uncertainty(
    sites: pd.DataFrame, column: str = "final", simulations: int = SIMULATIONS
) -> tuple[float, float] | None:
    """Spearman's ρ with each site's rate ratio drawn from its own sampling distribution
    (normal on the log scale, its standard error from its 95% interval), `simulations` times:
    the central 95% of those ρ. It shows how much of the pattern the ratios' own uncertainty
    could make or unmake; it is added to, not a replacement for, ρ's own interval
    (docs/methods.md, Linking). None with fewer than 4 sites."""
    paired = sites.dropna(subset=[column, "rate_ratio", "ratio_lower", "ratio_upper"])
    paired = paired[(paired["rate_ratio"] > 0) & (paired["ratio_lower"] > 0)]
    if len(paired) < 4:
        return None
    centre = np.log(paired["rate_ratio"].to_numpy(float))
    se = (np.log(paired["ratio_upper"]) - np.log(paired["ratio_lower"])).to_numpy(float) / (
        2 * 1.959963984540054
    )
    draws = np.random.default_rng(SEED).normal(centre, se, size=(simulations, len(paired)))
    maturity = pd.Series(paired[column].to_numpy(float)).rank().to_numpy()
    ranks = np.argsort(np.argsort(draws, axis=1), axis=1).astype(float)
    m = maturity - maturity.mean()
    r = ranks - ranks.mean(axis=1, keepdims=True)
    rho = (r @ m) / np.sqrt((r**2).sum(axis=1) * (m**2).sum())
    low, high = np.quantile(rho, [0.025, 0.975])
    return float(low), float(high)


def standardised_available(store: Store, round_id: str, measure: str = DEFAULT_MEASURE) -> bool:
    """Whether any site has an age-standardised ratio for the round's period and measure."""
    round_ = store.rounds.require_round(round_id)
    rows = store.detentions.detentions_frame(round_.period, measure)
    table = disparity_table(rows, method="standardised")
    sites = {s.code for s in store.sites.list_sites(include_retired=True)}
    return bool(table[table["geography"].isin(sites)]["rate_ratio"].notna().any())


def _joined(
    store: Store, round_id: str, measure: str, focus: str, reference: str, method: str = "crude"
) -> pd.DataFrame:
    round_ = store.rounds.require_round(round_id)
    scores = round_scores(store, round_id)
    # The panel's own view beside the final: the final is partly the trust's own rating.
    overall = scores.overall[["site", "final", "panel", "panel_n"]]
    domains = scores.domains.pivot_table(index="site", columns="domain", values="final").add_prefix(
        "domain:"
    )
    maturity = overall.merge(domains, left_on="site", right_index=True, how="left")
    rows = store.detentions.detentions_frame(round_.period, measure)
    ratios = disparity_table(rows, focus, reference, method=method)
    ratios = ratios[
        ["geography", "rate_ratio", "ratio_lower", "ratio_upper", "focus_count", "reference_count"]
    ]
    return maturity.merge(ratios, left_on="site", right_on="geography", how="left").drop(
        columns="geography"
    )


def _changes(
    store: Store,
    round_,
    measure: str,
    focus: str,
    reference: str,
    current: pd.DataFrame,
    method: str = "crude",
) -> pd.DataFrame:
    earlier = [
        r
        for r in store.rounds.list_rounds()
        if r.framework_id == round_.framework_id and r.id != round_.id
    ]
    earlier = [r for r in earlier if r.period and round_.period and r.period < round_.period]
    columns = [
        "site", "from_round", "to_round", "maturity_change", "log_ratio_change", "log_ratio_before",
    ]  # fmt: skip
    if not earlier:
        return pd.DataFrame(columns=columns)
    before = _joined(store, earlier[-1].id, measure, focus, reference, method)
    both = current.merge(before, on="site", suffixes=("", "_before")).dropna(
        subset=["final", "final_before", "rate_ratio", "rate_ratio_before"]
    )
    both = both[(both["rate_ratio"] > 0) & (both["rate_ratio_before"] > 0)]
    return pd.DataFrame(
        {
            "site": both["site"],
            "from_round": earlier[-1].id,
            "to_round": round_.id,
            "maturity_change": both["final"] - both["final_before"],
            "log_ratio_change": np.log(both["rate_ratio"]) - np.log(both["rate_ratio_before"]),
            "log_ratio_before": np.log(both["rate_ratio_before"]),
        },
        columns=columns,
    ).reset_index(drop=True)
