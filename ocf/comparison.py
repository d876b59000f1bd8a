"""The regulator's views: sites compared in a round, trends, the system (ICB) roll-up, and the
same assessment reported against PCREF through competency tags.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ocf import ethnicity
from ocf.access import Actor, check_active, visible_rounds
from ocf.cache import cached
from ocf.crosswalk import crosswalk
from ocf.denominators import ratio_limits
from ocf.disclosure import disclose
from ocf.disparity import (
    DEFAULT_FOCUS,
    DEFAULT_MEASURE,
    DEFAULT_REFERENCE,
    detention_rows,
    group_totals,
    stored_disparity,
)
from ocf.models import Framework
from ocf.permissions import allowed_rounds, ensure
from ocf.results import disclosed_answers, round_scores
from ocf.scoring import item_scores, scores_by_group
from ocf.stats import Interval, row_medians
from ocf.store import Store

__all__ = [
    "COMPARE_COLUMNS",
    "compare_sites",
    "crosswalk_scores",
    "domain_grid",
    "require_oversight",
    "system_competencies",
    "system_round_for",
    "system_view",
    "trends",
]


COMPARE_COLUMNS = [
    "site", "name", "parent", "cohort", "self", "panel", "final", "gap", "flag", "panel_n",
    "suppressed_competencies", "panel_median", "panel_lower", "panel_upper", "panel_coverage",
    "coverage",
]  # fmt: skip


def require_oversight(store: Store, actor: Actor, round_id: str) -> None:
    """Regulators see published rounds; admins every round (ocf.permissions, compare-sites)."""
    check_active(store, actor)
    ensure(actor, "compare-sites")
    ensure(actor, "compare-sites", round_=store.rounds.require_round(round_id))


def compare_sites(store: Store, actor: Actor, round_id: str) -> pd.DataFrame:
    """One row per assessed site: overall self, panel, final, gap, flag, the panel's overall
    view as a median of members with a distribution-free interval (`panel_coverage` is that
    interval's confidence), and `coverage`, the share of the final the panel checked.

    The interval describes the panel members' spread; sites whose intervals overlap cannot be
    told apart, so no rank numbers are given.
    """
    require_oversight(store, actor, round_id)
    return cached(store, "compare-sites", round_id, lambda: _compare_sites(store, round_id))


def _compare_sites(store: Store, round_id: str) -> pd.DataFrame:
    scores = round_scores(store, round_id)
    framework = store.rounds.round_framework(round_id)
    overall = scores.overall[
        ["site", "self", "panel", "final", "gap", "flag", "panel_n", "coverage"]
    ]
    suppressed = (
        scores.competencies.groupby("site")["suppressed"].sum().rename("suppressed_competencies")
    )
    members = _panel_member_overall(store, round_id, framework)
    rows = overall.merge(suppressed, left_on="site", right_index=True, how="left")
    rows = rows.merge(_panel_intervals(members, framework.min_panel), on="site", how="left")
    sites = {s.code: s for s in store.sites.list_sites(include_retired=True)}
    rows["name"] = rows["site"].map(lambda c: sites[c].name)
    rows["parent"] = rows["site"].map(lambda c: sites[c].parent)
    rows["cohort"] = rows["site"].map(lambda c: sites[c].cohort)
    return (
        rows[COMPARE_COLUMNS]
        .sort_values("final", ascending=False, na_position="last")
        .reset_index(drop=True)
    )


def _panel_member_overall(store: Store, round_id: str, framework: Framework) -> pd.DataFrame:
    """Each panel member's overall view: the mean of their scored answers (cached like scores)."""
    return cached(
        store, "panel-member-overall", round_id, lambda: _member_overall(store, round_id, framework)
    )


def _member_overall(store: Store, round_id: str, framework: Framework) -> pd.DataFrame:
    answers = disclosed_answers(store, round_id)
    scored = item_scores(answers, framework.maturity_view(), store.rounds.round_surveys(round_id))
    panel = scored[scored["audience"] == "panel"]
    return panel.groupby(["site", "submission_id"], as_index=False)["score"].mean()


def _panel_intervals(members: pd.DataFrame, min_panel: int) -> pd.DataFrame:
    """Per site, the median of its members' overall views with its interval (`median_ci`).

    The disclosure rule applies (`ocf.disclosure.disclose`): nothing from fewer than
    `min_panel` members, no interval below SPREAD_MIN_N. All sites at once: members side by
    side in one NaN-padded table, then `row_medians`.
    """
    site, sites = pd.factorize(members["site"], sort=True)
    counts = np.bincount(site, minlength=len(sites))
    order = np.argsort(site, kind="stable")
    slot = np.arange(len(site)) - (np.cumsum(counts) - counts)[site[order]]
    table = np.full((len(sites), counts.max(initial=0)), np.nan)
    table[site[order], slot] = members["score"].to_numpy(dtype=float)[order]
    figures = disclose(row_medians(table), min_panel)
    return pd.DataFrame(
        {
            "site": sites,
            "panel_median": figures.median,
            "panel_lower": figures.lower,
            "panel_upper": figures.upper,
            "panel_coverage": figures.coverage,
        }
    )


def domain_grid(store: Store, actor: Actor, round_id: str) -> pd.DataFrame:
    """Sites × domains in long form (for the heatmap): final, self, panel, panel_n."""
    require_oversight(store, actor, round_id)
    framework = store.rounds.round_framework(round_id)
    domains = round_scores(store, round_id).domains.copy()
    domains["title"] = domains["domain"].map({d.id: d.title for d in framework.domains})
    return domains[
        ["site", "domain", "title", "self", "panel", "final", "panel_n", "flag", "coverage"]
    ]


def trends(store: Store, actor: Actor, framework_id: str) -> pd.DataFrame:
    """Final overall per site for every round of a framework this actor may see."""
    check_active(store, actor)  # a revoked regulator is refused here as everywhere
    ensure(actor, "compare-sites")
    frames = []
    for round_ in allowed_rounds(actor, "compare-sites", store.rounds.list_rounds()):
        if round_.framework_id != framework_id:
            continue
        overall = round_scores(store, round_.id).overall[
            ["site", "final", "self", "panel", "coverage"]
        ]
        frames.append(overall.assign(round=round_.id))
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["site", "final", "self", "panel", "coverage", "round"])
    )


def crosswalk_scores(
    store: Store, actor: Actor, round_id: str, site: str | None = None, prefix: str = "pcref-"
) -> pd.DataFrame:
    """The assessment reported against another framework's areas through competency tags
    (`ocf.crosswalk`), each area rolled up as a domain is (`ocf.scoring.scores_by_group`: the
    final capped at the area's panel figure plus the tolerance). Columns site, tag, area,
    competencies, self, panel, final."""
    require_oversight(store, actor, round_id)
    framework = store.rounds.round_framework(round_id)
    competencies = round_scores(store, round_id).competencies
    if site is not None:
        competencies = competencies[competencies["site"] == site]
    tags = crosswalk(framework, prefix)
    rolled = scores_by_group(
        competencies, framework, tags.rename(columns={"tag": "group"})[["competency", "group"]]
    ).rename(columns={"group": "tag"})
    areas = dict(zip(tags["tag"], tags["tag_title"], strict=False))
    rolled.insert(2, "area", rolled["tag"].map(areas))
    return rolled[["site", "tag", "area", "competencies", "self", "panel", "final"]]


def system_view(
    store: Store,
    actor: Actor,
    round_id: str,
    measure: str = DEFAULT_MEASURE,
    focus: str = DEFAULT_FOCUS,
    reference: str = DEFAULT_REFERENCE,
) -> pd.DataFrame:
    """Organisations rolled up to their ICB or place, beside the system's detention rate ratio.

    The system's maturity is the population-weighted mean of its organisations' final overall
    ratings where every organisation's population is known (from detention data for the round's
    period), otherwise the plain mean; `weighting` says which. The rate ratio is the ICB's own
    where the data have one, else computed from its organisations' pooled counts.
    """
    require_oversight(store, actor, round_id)
    round_ = store.rounds.require_round(round_id)
    own_round = system_round_for(store, actor, round_id)
    own = (
        round_scores(store, own_round).overall.set_index("site")
        if own_round
        else pd.DataFrame(columns=["final", "coverage"])
    )
    overall = round_scores(store, round_id).overall[["site", "final", "panel_n"]]
    sites = {s.code: s for s in store.sites.list_sites(include_retired=True)}
    overall["system"] = overall["site"].map(lambda c: sites[c].parent)
    overall = overall.dropna(subset=["system"])
    period = round_.period
    detentions = detention_rows(store, period, measure) if period else pd.DataFrame()
    # An organisation's population: the sum over its known ethnic groups (unknown has none).
    if len(detentions):
        totals = group_totals(detentions)
        known = totals[totals["group"] != ethnicity.UNKNOWN]
        populations = known.groupby("geography")["population"].sum(min_count=1)
    else:
        populations = pd.Series(dtype=float)
    table = (
        stored_disparity(store, period, measure, focus, reference).set_index("geography")
        if period and len(detentions)
        else pd.DataFrame()
    )
    rows = []
    for system, part in overall.groupby("system"):
        rated = part.dropna(subset=["final"])
        weights = (
            rated["site"].map(populations)
            if len(populations)
            else pd.Series(np.nan, index=rated.index)
        )
        weighted = len(rated) > 0 and weights.notna().all() and weights.sum() > 0
        final = (
            float((rated["final"] * weights).sum() / weights.sum())
            if weighted
            else (float(rated["final"].mean()) if len(rated) else np.nan)
        )
        ratio, source = _system_ratio(system, part["site"].tolist(), table)
        rows.append({
            "system": system, "name": sites[system].name if system in sites else system,
            "organisations": len(part), "rated": len(rated), "final": final,
            "weighting": "population-weighted" if weighted else "equal weights (populations not known)",
            "rate_ratio": ratio.value if ratio else np.nan, "ratio_lower": ratio.lower if ratio else np.nan,
            "ratio_upper": ratio.upper if ratio else np.nan, "ratio_source": source,
            "own_final": float(own.at[system, "final"]) if system in own.index else np.nan,
            "own_coverage": float(own.at[system, "coverage"]) if system in own.index else np.nan,
            "own_round": own_round or "",
        })  # fmt: skip
    return pd.DataFrame(rows)


def system_round_for(store: Store, actor: Actor, round_id: str) -> str | None:
    """The latest round this actor may see that assesses systems (ICBs or places, not trusts)
    for the same data period as `round_id`: the systems' own assessment beside their trusts."""
    period = store.rounds.require_round(round_id).period
    candidates = [
        r.id
        for r in visible_rounds(store, actor)
        if r.period == period and "trust" not in store.rounds.round_framework(r.id).assessed_at
    ]
    return candidates[-1] if candidates else None


def system_competencies(store: Store, actor: Actor, round_id: str) -> pd.DataFrame:
    """Each system's own rating of each system competency (the round `system_round_for` finds):
    system, competency, title, self, panel, panel_n, final, flag. Panel figures under the
    disclosure rule, as everywhere."""
    require_oversight(store, actor, round_id)
    own_round = system_round_for(store, actor, round_id)
    columns = ["system", "competency", "title", "self", "panel", "panel_n", "final", "flag"]
    if own_round is None:
        return pd.DataFrame(columns=columns)
    titles = {c.id: c.title for c in store.rounds.round_framework(own_round).competencies}
    scores = round_scores(store, own_round).competencies.rename(columns={"site": "system"})
    scores["title"] = scores["competency"].map(titles)
    return scores[columns].reset_index(drop=True)


def _system_ratio(
    system: str, members: list[str], table: pd.DataFrame
) -> tuple[Interval | None, str]:
    """The system's rate ratio: its own row of the disparity table where the data have one,
    else its organisations' counts pooled, by the method the measure's denominator calls for
    (`ocf.denominators.ratio_limits`: Katz's for shares of admissions)."""
    if len(table) and system in table.index and pd.notna(table.loc[system, "rate_ratio"]):
        own = table.loc[system]
        return _interval(own["rate_ratio"], own["ratio_lower"], own["ratio_upper"]), (
            "the system's own figures"
        )
    present = table.loc[[m for m in members if m in table.index]] if len(table) else table
    counts = ["focus_count", "focus_population", "reference_count", "reference_population"]
    complete = present.dropna(subset=counts) if len(present) else present
    if len(complete) == 0 or len(complete) < len(members):
        return None, "not available"
    a, n_a, b, n_b = ([float(complete[column].sum())] for column in counts)
    ratio, lower, upper = ratio_limits(a, n_a, b, n_b, [complete["denominator"].iloc[0]])
    return _interval(ratio[0], lower[0], upper[0]), "pooled from its organisations"


def _interval(ratio: float, lower: float, upper: float) -> Interval | None:
    """A ratio with its interval as the disparity table gives them (None: no ratio; no
    interval where NaN)."""
    if pd.isna(ratio):
        return None
    low, high = (None if pd.isna(v) else float(v) for v in (lower, upper))
    return Interval(float(ratio), low, high, "the disparity table's (ocf.denominators)")
