"""Scoring (DESIGN §4, docs/methods.md): long-format answers → competency, domain and overall.

Everything is computed from the answers on demand, never stored, so scores always agree with
them. The work is done with pandas group-bys over the whole round at once: there is no Python
loop per answer (the only loops are per site, for agreement, and per distinct panel size).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ocf.models import Framework, Survey
from ocf.stats import median_ci_ranks, ordinal_alpha

SCORE_COLUMNS = ["site", "round", "level", "id", "self", "panel", "panel_n", "final", "gap", "flag"]
NOT_VERIFIED = "not_verified"
ACCOUNTABILITY_GAP = "accountability_gap"
_EPSILON = 1e-9  # so that 2.0 − 1.0 ≥ 1 holds despite floating point


@dataclass(frozen=True)
class RoundScores:
    """All scores of one round. Suppressed panel values are NaN with `suppressed` True."""

    competencies: pd.DataFrame
    domains: pd.DataFrame
    overall: pd.DataFrame
    agreement: pd.DataFrame
    min_panel: int


def score_lookup(framework: Framework, surveys: Mapping[str, Survey]) -> pd.DataFrame:
    """Every scoring answer as a row: (survey, item_id, value) → (competency, score).

    A level item's answer is the scale value itself; another scored item's answer maps through
    its option's score; options without a score ("don't know") are absent, so never scored.
    """
    rows = []
    for survey in surveys.values():
        for item in survey.items:
            if not item.scored:
                continue
            if item.type == "level":
                pairs = [(str(v), float(v)) for v in framework.scale.values]
            else:
                pairs = [(o.value, float(o.score)) for o in item.options if o.score is not None]
            rows.extend(
                (survey.id, item.id, value, item.competency, score) for value, score in pairs
            )
    return pd.DataFrame(rows, columns=["survey", "item_id", "value", "competency", "score"])


def item_scores(
    answers: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey]
) -> pd.DataFrame:
    """Scored answers only: site, audience, submission_id, item_id, competency, score."""
    lookup = score_lookup(framework, surveys)
    scored = answers[["site", "survey", "audience", "submission_id", "item_id", "value"]].merge(
        lookup, on=["survey", "item_id", "value"], how="inner"
    )
    return scored[["site", "audience", "submission_id", "item_id", "competency", "score"]]


def score_round(
    answers: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey]
) -> RoundScores:
    """Score every site with answers in a round (answers as `Store.answers_frame` gives them)."""
    scored = item_scores(answers, framework, surveys)
    sites = sorted(answers["site"].unique())
    structure = _structure(framework)
    grid = pd.MultiIndex.from_product([sites, structure.index], names=["site", "competency"])

    # A respondent's value for a competency is the mean of their item scores for it.
    per_respondent = scored.groupby(
        ["site", "audience", "submission_id", "competency"], as_index=False
    )["score"].mean()
    self_rows = per_respondent[per_respondent["audience"] == "self"]
    panel_rows = per_respondent[per_respondent["audience"] == "panel"]

    competencies = pd.DataFrame(index=grid)
    competencies["self"] = self_rows.groupby(["site", "competency"])["score"].median()
    competencies = competencies.join(_panel_summary(panel_rows, framework.min_panel))
    competencies["panel_n"] = competencies["panel_n"].fillna(0).astype(int)
    competencies["suppressed"] = competencies["suppressed"].fillna(False).astype(bool)
    competencies = competencies.reset_index().merge(
        structure, left_on="competency", right_index=True
    )

    if framework.moderation.rule == "panel_cap":
        capped = np.fmin(
            competencies["self"], competencies["panel"] + framework.moderation.tolerance
        )
        competencies["final"] = capped.where(competencies["panel"].notna(), competencies["self"])
        competencies.loc[competencies["self"].isna(), "final"] = np.nan
    else:
        competencies["final"] = competencies["self"]
    competencies["gap"] = competencies["self"] - competencies["panel"]
    competencies["flag"] = _flags(competencies, framework.gap_flag)

    domains = _roll_up(competencies, ["site", "domain"], "weight", framework.gap_flag)
    domain_weights = pd.Series(
        {d.id: float(d.weight) for d in framework.domains}, name="domain_weight"
    )
    domains = domains.merge(domain_weights, left_on="domain", right_index=True)
    domains["order"] = domains["domain"].map({d.id: i for i, d in enumerate(framework.domains)})
    domains = domains.sort_values(["site", "order"]).drop(columns="order").reset_index(drop=True)
    overall = _roll_up(domains, ["site"], "domain_weight", framework.gap_flag)
    overall = overall.merge(_weakest(domains), on="site", how="left")

    agreement = _agreement(scored[scored["audience"] == "panel"], framework, surveys, sites)
    return RoundScores(competencies, domains, overall, agreement, framework.min_panel)


def _structure(framework: Framework) -> pd.DataFrame:
    return pd.DataFrame(
        [(c.id, d.id, float(c.weight)) for d in framework.domains for c in d.competencies],
        columns=["competency", "domain", "weight"],
    ).set_index("competency")


def _panel_summary(rows: pd.DataFrame, min_panel: int) -> pd.DataFrame:
    """Median, n, quartiles and a distribution-free 95% CI per (site, competency).

    Groups with fewer than `min_panel` members are suppressed: every figure but n is NaN.
    """
    keys = ["site", "competency"]
    grouped = rows.groupby(keys)["score"]
    summary = pd.DataFrame(
        {
            "panel": grouped.median(),
            "panel_n": grouped.size(),
            "panel_q1": grouped.quantile(0.25),
            "panel_q3": grouped.quantile(0.75),
        }
    )
    # The CI bounds are order statistics: rank values within each group, then pick the ranks.
    ordered = rows.sort_values([*keys, "score"]).assign(
        rank=lambda f: f.groupby(keys).cumcount() + 1
    )
    ordered["n"] = ordered.groupby(keys)["score"].transform("size")
    ranks = {n: median_ci_ranks(n) for n in ordered["n"].unique()}
    ordered["low_rank"] = ordered["n"].map(lambda n: ranks[n][0])
    ordered["high_rank"] = ordered["n"].map(lambda n: ranks[n][1])
    summary["panel_lower"] = ordered[ordered["rank"] == ordered["low_rank"]].set_index(keys)[
        "score"
    ]
    summary["panel_upper"] = ordered[ordered["rank"] == ordered["high_rank"]].set_index(keys)[
        "score"
    ]
    summary["panel_coverage"] = summary["panel_n"].map(lambda n: ranks[n][2])
    summary["suppressed"] = summary["panel_n"] < min_panel
    figures = ["panel", "panel_q1", "panel_q3", "panel_lower", "panel_upper", "panel_coverage"]
    summary.loc[summary["suppressed"], figures] = np.nan
    return summary


def _flags(frame: pd.DataFrame, gap_flag: float) -> pd.Series:
    flags = np.where(
        frame["self"].notna() & frame["panel"].isna(),
        NOT_VERIFIED,
        np.where(frame["gap"] >= gap_flag - _EPSILON, ACCOUNTABILITY_GAP, ""),
    )
    return pd.Series(flags, index=frame.index)


def _roll_up(frame: pd.DataFrame, keys: list[str], weight: str, gap_flag: float) -> pd.DataFrame:
    """Weighted means of the values that exist; panel_n is the smallest n behind a panel value.

    The gap is the weighted mean of the gaps below it (only where both self and panel exist),
    so it compares like with like when the panel could not judge every competency.
    """
    columns = ["self", "panel", "final", "gap"]
    values = frame[columns].to_numpy(dtype=float)
    present = ~np.isnan(values)
    weights = frame[weight].to_numpy(dtype=float)[:, None] * present
    parts = pd.DataFrame(
        np.hstack([np.where(present, values, 0) * weights, weights]),
        columns=[*columns, *(f"{c}_weight" for c in columns)],
        index=frame.index,
    )
    parts["panel_n"] = frame["panel_n"].where(frame["panel"].notna())
    grouped = pd.concat([frame[keys], parts], axis=1).groupby(keys, sort=False)
    sums = grouped[parts.columns[:-1]].sum()
    totals = sums[[f"{c}_weight" for c in columns]].to_numpy()
    result = pd.DataFrame(
        sums[columns].to_numpy() / np.where(totals > 0, totals, np.nan),
        columns=columns,
        index=sums.index,
    )
    result["panel_n"] = grouped["panel_n"].min().fillna(0).astype(int)
    result = result.reset_index()
    result["flag"] = _flags(result, gap_flag)
    return result


def _weakest(domains: pd.DataFrame) -> pd.DataFrame:
    """The domain with the lowest final value per site (the first in framework order on a tie)."""
    rated = domains[domains["final"].notna()]
    index = rated.groupby("site", sort=False)["final"].idxmin()
    return rated.loc[index, ["site", "domain"]].rename(columns={"domain": "weakest_domain"})


def _agreement(
    scored: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey], sites: list[str]
) -> pd.DataFrame:
    """Krippendorff's alpha (ordinal) per site, members × panel items; None below min_panel."""
    lookup = score_lookup(framework, surveys)
    domain = sorted(lookup["score"].unique())
    # One grouping, then a members × items matrix per site with numpy (no per-site filtering or
    # pivot: those made this the slowest step at national scale).
    member_codes = pd.factorize(scored["submission_id"])[0]
    item_codes = pd.factorize(scored["item_id"])[0]
    scores = scored["score"].to_numpy(dtype=float)
    positions = pd.Series(np.arange(len(scored))).groupby(scored["site"].to_numpy()).indices
    rows = []
    for site in sites:
        where = positions.get(site, np.array([], dtype=int))
        members, member_rows = np.unique(member_codes[where], return_inverse=True)
        columns, item_columns = np.unique(item_codes[where], return_inverse=True)
        matrix = np.full((len(members), len(columns)), np.nan)
        matrix[member_rows, item_columns] = scores[where]
        alpha = ordinal_alpha(matrix, domain) if len(members) >= framework.min_panel else None
        rows.append({"site": site, "alpha": alpha, "members": len(members), "items": len(columns)})
    return pd.DataFrame(rows, columns=["site", "alpha", "members", "items"])


def score_table(scores: RoundScores, round_id: str, site: str | None = None) -> pd.DataFrame:
    """The `ocf score` table (DESIGN §8): one row per competency, domain and overall per site."""
    parts = [
        scores.competencies.assign(level="competency", id=scores.competencies["competency"]),
        scores.domains.assign(level="domain", id=scores.domains["domain"]),
        scores.overall.assign(level="overall", id="overall"),
    ]
    order = {s: i for i, s in enumerate(scores.overall["site"])}
    table = pd.concat([p.assign(part=i) for i, p in enumerate(parts)], ignore_index=True)
    table["round"] = round_id
    table = table.sort_values(
        ["site", "part"], key=lambda s: s.map(order) if s.name == "site" else s, kind="stable"
    )
    if site is not None:
        table = table[table["site"] == site]
    return table[SCORE_COLUMNS].reset_index(drop=True)
