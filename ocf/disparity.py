"""Detention data → rates by ethnic group, rate ratios, funnels, and the link to maturity.

Rules (docs/methods.md): groups are the NHS higher ethnic groups, each shown separately, and
any detailed category the data hold (a focus or reference group may be either); a higher
group's figure is its own row where the source gives one, else the sum of its detailed
categories (never both); unknown ethnicity is excluded from rates and reported as a share;
below national level every count is rounded to the nearest 5 and counts of 1–4 suppressed, with
secondary suppression, before any rate is worked out (`disclose_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ocf import ethnicity
from ocf.cache import cached
from ocf.denominators import PEOPLE, denominator, rate_limits, ratio_limits
from ocf.stats import (
    Heterogeneity,
    dersimonian_laird_tau2,
    heterogeneity,
    mantel_haenszel_rate_ratio,
    proportion_ci,
    ratio_funnel,
    standardised_ratio,
)
from ocf.store import Store

__all__ = [
    "ANY_OTHER_CAVEAT",
    "CENSUS_CAVEAT",
    "DEFAULT_FOCUS",
    "DEFAULT_MEASURE",
    "DEFAULT_REFERENCE",
    "DISPARITY_COLUMNS",
    "EPISODES_CAVEAT",
    "LEVEL_NAMES",
    "METHODS",
    "NATIONAL_KINDS",
    "ROUND_TO",
    "SMALL_COUNTS",
    "STANDARDISED",
    "caveats",
    "default_period",
    "detention_choices",
    "detention_rows",
    "disclose_counts",
    "disparity_table",
    "funnel",
    "funnel_heterogeneity",
    "funnel_points",
    "group_figures",
    "group_totals",
    "groups_held",
    "levels_held",
    "one_level",
    "rated_measures",
    "rates_by_group",
    "stored_disparity",
    "trend",
    "unrated_measures",
    "within_area_target",
]


DEFAULT_FOCUS = ethnicity.BLACK
DEFAULT_REFERENCE = ethnicity.WHITE
DEFAULT_MEASURE = "all-detentions"
NATIONAL_KINDS = ("national",)
METHODS = ("crude", "standardised")
STANDARDISED = ("std_rate", "std_lower", "std_upper")
SMALL_COUNTS = range(1, 5)  # 1–4: suppressed below national level
ROUND_TO = 5  # every other count below national level is rounded to the nearest 5
DISPARITY_COLUMNS = [
    "geography", "period", "measure",
    "focus_group", "focus_count", "focus_population", "focus_rate", "focus_lower", "focus_upper",
    "reference_group", "reference_count", "reference_population", "reference_rate", "reference_lower", "reference_upper",
    "rate_ratio", "ratio_lower", "ratio_upper",
    # Added (issue 33): what the populations count, so what the rates are per
    # (ocf.denominators: people per 100,000, occupied bed days per 1,000, admissions per 100).
    "denominator",
]  # fmt: skip


def detention_rows(store: Store, period: str | None, measure: str | None) -> pd.DataFrame:
    """The stored detention rows for a period (None: all) and measure, reused until data change."""
    return cached(
        store,
        "detentions",
        f"{period}|{measure}",
        lambda: store.detentions.detentions_frame(period, measure),
    )


def stored_disparity(
    store: Store,
    period: str,
    measure: str,
    focus: str = DEFAULT_FOCUS,
    reference: str = DEFAULT_REFERENCE,
) -> pd.DataFrame:
    """`disparity_table` of every stored area for a period and measure, reused until the data
    change (the disparity page reruns on every click; shared: never mutate it)."""
    return cached(
        store,
        "disparity",
        f"{period}|{measure}|{focus}|{reference}",
        lambda: disparity_table(detention_rows(store, period, measure), focus, reference),
    )


def detention_choices(store: Store) -> pd.DataFrame:
    """The periods and measures that have data (reused until the data change)."""
    return cached(store, "detention-choices", "", store.detentions.detention_choices)


def rated_measures(choices: pd.DataFrame) -> list[str]:
    """Measures with a population in some period (all detentions first), which can be rated."""
    rated = choices[choices["rated"].astype(bool)]["measure"].unique()
    return sorted(rated, key=lambda m: (m != "all-detentions", m))


def unrated_measures(choices: pd.DataFrame) -> list[str]:
    """Measures held only as counts, with no population: no rate can be worked out."""
    return sorted(set(choices["measure"]) - set(rated_measures(choices)))


def default_period(choices: pd.DataFrame, measure: str) -> str:
    """The latest period of `measure` with both England and ICB figures to compare with (a
    trust-only period alone has nothing to set its figures against); else the latest."""
    mine = choices[choices["measure"] == measure].sort_values("period")
    compared = mine[mine["has_england"].astype(bool) & mine["has_icb"].astype(bool)]
    return (compared if len(compared) else mine)["period"].iloc[-1]


def trend(
    store: Store,
    geography: str,
    measure: str,
    focus: str = DEFAULT_FOCUS,
    reference: str = DEFAULT_REFERENCE,
) -> pd.DataFrame:
    """One geography's disparity table across every period with data, reused until the data
    change (shared: never mutate it)."""

    def compute() -> pd.DataFrame:
        rows = detention_rows(store, None, measure)
        return disparity_table(rows[rows["geography"] == geography], focus, reference)

    return cached(store, "trend", f"{geography}|{measure}|{focus}|{reference}", compute)


def group_totals(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per geography, period, measure and higher group: count, population, flags.

    A suppressed part makes the total suppressed; a missing population makes it missing.
    """
    if rows.empty:
        return pd.DataFrame(
            columns=[
                "geography",
                "geography_name",
                "geography_kind",
                "period",
                "measure",
                "group",
                "count",
                "population",
                "suppressed",
                "population_derived",
                "std_rate",
                "std_lower",
                "std_upper",
                "denominator_kind",
            ]
        )
    rows = _with_standardised(rows)
    frame = rows.assign(group=_higher_groups(rows["ethnic_group"]))
    frame["is_group_row"] = frame["ethnic_group"] == frame["group"]
    keys = ["geography", "period", "measure", "group"]
    frame["source_has_group_row"] = frame.groupby(keys)["is_group_row"].transform("any")
    frame = frame[frame["is_group_row"] == frame["source_has_group_row"]]
    grouped = frame.groupby(keys, as_index=False).agg(
        geography_name=("geography_name", "first"),
        geography_kind=("geography_kind", "first"),
        count=("count", "sum"),
        counted=("count", "count"),
        population=("population", "sum"),
        populated=("population", "count"),
        parts=("ethnic_group", "size"),
        categories=("ethnic_group", "nunique"),
        suppressed=("suppressed", "max"),
        population_derived=("population_derived", "max"),
        std_rate=("std_rate", "first"),
        std_lower=("std_lower", "first"),
        std_upper=("std_upper", "first"),
        denominator_kind=("denominator_kind", "first"),
    )
    # A standardised rate is the source's own, for a group's own row: one summed from detailed
    # categories has none (standardised rates do not add up).
    grouped.loc[grouped["categories"] > 1, ["std_rate", "std_lower", "std_upper"]] = np.nan
    # A total with a missing part is missing, not a smaller number.
    grouped.loc[grouped["counted"] < grouped["parts"], "count"] = np.nan
    grouped.loc[grouped["populated"] < grouped["parts"], "population"] = np.nan
    grouped["suppressed"] = grouped["suppressed"].astype(bool) | grouped["count"].isna()
    grouped = grouped.drop(columns=["counted", "populated", "parts", "categories"])
    return disclose_counts(grouped)


def disclose_counts(totals: pd.DataFrame) -> pd.DataFrame:
    """The publication's rule on every count below national level (docs/methods.md,
    Disclosure of counts): a count of 1 to 4 is suppressed, every other count is rounded to the
    nearest 5. Applied to the totals, before any rate is worked out, so no rate, ratio or
    share can give back an exact count. England's counts are shown exactly, as published.

    A denominator that counts people (admissions: `Denominator.counted`) is a count too and
    obeys the same rule: 1 to 4 admissions suppress the figure, others are rounded. Rounding
    keeps order, so a rounded count never exceeds its rounded admissions (a share is at most
    100 per 100)."""
    totals = totals.copy()
    below = ~totals["geography_kind"].isin(NATIONAL_KINDS)
    small = below & totals["count"].isin(list(SMALL_COUNTS))
    counted = below & _counted_denominator(totals)
    few = counted & totals["population"].isin(list(SMALL_COUNTS))
    totals.loc[few, "population"] = np.nan
    small |= few
    totals.loc[small, "suppressed"] = True
    totals.loc[counted, "population"] = _round_to_five(totals.loc[counted, "population"])
    totals.loc[below & totals["suppressed"].astype(bool), "count"] = np.nan
    rounded = below & totals["count"].notna()
    totals.loc[rounded, "count"] = _round_to_five(totals.loc[rounded, "count"])
    return totals


def _round_to_five(values: pd.Series) -> pd.Series:
    """To the nearest 5, halves up (7.5 → 10), as the publication rounds; NaN stays NaN."""
    return np.floor(values.astype(float) / ROUND_TO + 0.5) * ROUND_TO


def _counted_denominator(frame: pd.DataFrame) -> pd.Series:
    """Rows whose denominator counts people (admissions), which are disclosed as counts."""
    kinds = frame.get("denominator_kind", pd.Series(PEOPLE, index=frame.index))
    counted = {k: isinstance(k, str) and denominator(k).counted for k in kinds.unique()}
    return kinds.map(counted).astype(bool)


def _higher_groups(names: pd.Series) -> pd.Series:
    """Each category's higher group, worked out once per distinct name: a national table has
    tens of thousands of rows and a dozen names (mapped row by row, a third of a page's time)."""
    return names.map({name: ethnicity.higher_group(name) for name in names.unique()})


def group_figures(rows: pd.DataFrame) -> pd.DataFrame:
    """`group_totals` (the higher groups) plus every detailed category the data hold as its own
    group (African, Caribbean, Any Other Black background, …), so any of them can be a focus
    or reference group. Never summed across: a detailed category is part of its higher group."""
    totals = group_totals(rows)
    if rows.empty:
        return totals
    higher = _higher_groups(rows["ethnic_group"])
    detailed = rows[(rows["ethnic_group"] != higher) & (higher != ethnicity.UNKNOWN)]
    if detailed.empty:
        return totals
    parts = (
        _with_standardised(detailed)
        .assign(group=detailed["ethnic_group"])
        .groupby(["geography", "period", "measure", "group"], as_index=False)
        .agg(
            geography_name=("geography_name", "first"),
            geography_kind=("geography_kind", "first"),
            # A template may split a category by age band or sex: its figure is the sum of
            # its rows (the first row alone read African as 5 of 10,000 for 31 of 28,000).
            count=("count", "sum"),
            counted=("count", "count"),
            population=("population", "sum"),
            populated=("population", "count"),
            rows=("ethnic_group", "size"),
            suppressed=("suppressed", "max"),
            population_derived=("population_derived", "max"),
            std_rate=("std_rate", "first"),
            std_lower=("std_lower", "first"),
            std_upper=("std_upper", "first"),
            denominator_kind=("denominator_kind", "first"),
        )
    )
    # A sum with a missing part is missing, not a smaller number.
    parts.loc[parts["counted"] < parts["rows"], "count"] = np.nan
    parts.loc[parts["populated"] < parts["rows"], "population"] = np.nan
    parts = parts.drop(columns=["counted", "populated", "rows"])
    parts["suppressed"] = parts["suppressed"].astype(bool) | parts["count"].isna()
    parts = disclose_counts(parts)
    # Secondary suppression: with its higher group's total shown, one suppressed category could
    # be worked out from the others, so a suppressed category hides its siblings too.
    parts["higher"] = _higher_groups(parts["group"])
    siblings = ["geography", "period", "measure", "higher"]
    hidden = parts.groupby(siblings)["suppressed"].transform("any")
    below = ~parts["geography_kind"].isin(NATIONAL_KINDS)
    parts.loc[hidden & below, "suppressed"] = True
    parts.loc[hidden & below, "count"] = np.nan
    # Admissions are counts: a suppressed category's would come back the same way.
    parts.loc[hidden & below & _counted_denominator(parts), "population"] = np.nan
    # A standardised rate and its interval carry the count too (Dobson's interval inverts to
    # it): a hidden sibling's are hidden with it.
    parts.loc[hidden & below, list(STANDARDISED)] = np.nan
    return pd.concat([totals, parts[totals.columns]], ignore_index=True)


def _with_standardised(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with the standardised columns (NaN where a source gave none) and the kind of
    denominator (people, where rows from before kinds existed name none)."""
    missing: dict[str, object] = {c: np.nan for c in STANDARDISED if c not in rows.columns}
    if "denominator_kind" not in rows.columns:
        missing["denominator_kind"] = PEOPLE
    return rows.assign(**missing) if missing else rows


def groups_held(rows: pd.DataFrame) -> list[str]:
    """Every group the data can rate: the higher groups first, then each detailed category
    under its higher group, in the NHS order."""
    present = set(rows["ethnic_group"]) if len(rows) else set()
    order = []
    for higher in ethnicity.HIGHER_GROUPS:
        order.append(higher)
        order += [
            name for name, group in ethnicity.CODES.values() if group == higher and name in present
        ]
    return order


def _interval_row(
    count: float | None, population: float | None, kind: str = PEOPLE
) -> tuple[float | None, float | None, float | None]:
    if (
        count is None
        or population is None
        or pd.isna(count)
        or pd.isna(population)
        or population <= 0
    ):
        return None, None, None
    rate, lower, upper = rate_limits([count], [population], [kind])
    return float(rate[0]), float(lower[0]), float(upper[0])


def disparity_table(
    rows: pd.DataFrame,
    focus: str = DEFAULT_FOCUS,
    reference: str = DEFAULT_REFERENCE,
    method: str = "crude",
) -> pd.DataFrame:
    """The `ocf disparity` table: one row per geography, period and measure (DESIGN §8).

    `method` "crude" (the default, as ever) or "standardised": the same columns then hold the
    source's age- and sex-standardised rates with their 95% intervals, and their ratio with an
    interval on the log scale (`standardised_ratio`); empty where a geography has no
    standardised figure (never the crude one instead). Computed column-wise over every
    geography at once (a national table has thousands of rows).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected {' or '.join(METHODS)}")
    keys = ["geography", "period", "measure"]
    totals = group_figures(rows)
    if totals.empty:
        return pd.DataFrame(columns=DISPARITY_COLUMNS)
    totals.loc[totals["suppressed"].astype(bool), "count"] = np.nan
    table = (
        totals[[*keys, "denominator_kind"]]
        .drop_duplicates(keys)
        .sort_values(keys)
        .reset_index(drop=True)
        .rename(columns={"denominator_kind": "denominator"})
    )
    table["denominator"] = table["denominator"].fillna(PEOPLE)
    kinds = table["denominator"].to_numpy()
    for role, group in (("focus", focus), ("reference", reference)):
        part = totals.loc[totals["group"] == group, [*keys, "count", "population"]]
        table = table.merge(
            part.rename(columns={"count": f"{role}_count", "population": f"{role}_population"}),
            on=keys,
            how="left",
        )
        # Per each measure's unit, with the interval its kind of denominator calls for.
        rate, lower, upper = rate_limits(table[f"{role}_count"], table[f"{role}_population"], kinds)
        table[f"{role}_group"] = group
        table[f"{role}_rate"], table[f"{role}_lower"], table[f"{role}_upper"] = rate, lower, upper
    ratio, lower, upper = ratio_limits(
        table["focus_count"],
        table["focus_population"],
        table["reference_count"],
        table["reference_population"],
        kinds,
    )
    usable = (
        table[["focus_count", "focus_population", "reference_count", "reference_population"]]
        .notna()
        .all(axis=1)
    )
    table["rate_ratio"] = np.where(usable, ratio, np.nan)
    table["ratio_lower"] = np.where(usable, lower, np.nan)
    table["ratio_upper"] = np.where(usable, upper, np.nan)
    if method == "standardised":
        table = _standardised(table, totals, keys, focus, reference)
    table = table.astype(
        {
            c: float
            for c in DISPARITY_COLUMNS
            if c.endswith(("_count", "_population", "_rate", "_lower", "_upper", "ratio"))
        }
    )
    return table[DISPARITY_COLUMNS]


def _standardised(
    table: pd.DataFrame, totals: pd.DataFrame, keys: list[str], focus: str, reference: str
) -> pd.DataFrame:
    """The rate and ratio columns replaced by the standardised figures the data hold."""
    for role, group in (("focus", focus), ("reference", reference)):
        part = totals.loc[totals["group"] == group, [*keys, *STANDARDISED]]
        merged = table[keys].merge(part, on=keys, how="left")
        table[f"{role}_rate"] = merged["std_rate"].to_numpy(float)
        table[f"{role}_lower"] = merged["std_lower"].to_numpy(float)
        table[f"{role}_upper"] = merged["std_upper"].to_numpy(float)
    ratio, lower, upper = standardised_ratio(
        *(table[f"focus_{c}"] for c in ("rate", "lower", "upper")),
        *(table[f"reference_{c}"] for c in ("rate", "lower", "upper")),
    )
    table["rate_ratio"], table["ratio_lower"], table["ratio_upper"] = ratio, lower, upper
    return table


def _figures(by_group: pd.DataFrame, group: str, kind: str) -> tuple[float | None, float | None]:
    """A group's count and population, with small counts suppressed below national level."""
    if group not in by_group.index:
        return None, None
    row = by_group.loc[group]
    count = None if row["suppressed"] or pd.isna(row["count"]) else float(row["count"])
    population = None if pd.isna(row["population"]) else float(row["population"])
    return count, population


def rates_by_group(
    rows: pd.DataFrame, geography: str, total: dict | None = None
) -> tuple[pd.DataFrame, dict]:
    """Every higher group's rate with its interval at one geography, and the unknown share.

    With `total` (`store.detentions.detention_total`: every detention of the area, ethnicity known or not,
    acute hospitals included), the share is of all detentions, in its parts: recorded as not
    known, missing from the ethnicity breakdown, and in acute hospitals (which record none).
    Without it, of the detentions broken down by ethnicity (docs/methods.md)."""
    totals = group_totals(rows[rows["geography"] == geography])
    records = []
    kind = totals["geography_kind"].iloc[0] if len(totals) else ""
    per = denominator(totals["denominator_kind"].iloc[0] if len(totals) else PEOPLE)
    by_group = totals.set_index("group")
    for group in ethnicity.HIGHER_GROUPS:
        count, population = _figures(by_group, group, kind)
        rate, lower, upper = _interval_row(count, population, per.kind)
        suppressed = group in by_group.index and count is None
        records.append(
            {
                "group": group,
                "count": count,
                "population": population,
                "rate": rate,
                "lower": lower,
                "upper": upper,
                "suppressed": suppressed,
            }
        )
    known = totals[totals["group"] != ethnicity.UNKNOWN]["count"].sum(min_count=1)
    unknown_rows = totals[totals["group"] == ethnicity.UNKNOWN]
    unknown = (
        float(unknown_rows["count"].sum())
        if len(unknown_rows) and not unknown_rows["suppressed"].any()
        else None
    )
    share, parts, everyone = None, [], None
    # Secondary suppression: the share gives the known total, and the known total less the
    # groups shown gives back a suppressed one; with any group suppressed, no share.
    hidden = bool(totals.loc[totals["group"] != ethnicity.UNKNOWN, "suppressed"].any())
    if unknown is not None and not pd.isna(known) and known + unknown > 0 and not hidden:
        share = proportion_ci(unknown, known + unknown)
        parts = [("recorded as not known", unknown)]
        if total is not None and total["total"] >= known + unknown:
            everyone = float(total["total"])
            acute = float(total["acute"] or 0)
            recorded = (
                float(total["recorded"]) if total["recorded"] is not None else everyone - acute
            )
            parts += [("missing from the ethnicity breakdown", max(recorded - known - unknown, 0))]
            if acute:
                parts += [("in acute hospitals, which record no ethnicity", acute)]
            unknown = everyone - known
            share = proportion_ci(unknown, everyone)
    derived = bool(totals["population_derived"].any()) if len(totals) else False
    return pd.DataFrame(records), {
        "unknown_count": unknown,
        "unknown_share": share,
        "unknown_parts": [(label, n) for label, n in parts if n],
        "all_detentions": everyone,
        "population_derived": derived,
        "denominator": per,
    }


LEVEL_NAMES = {"icb": "ICBs", "sub-icb": "sub-ICBs", "trust": "trusts", "place": "places"}


def one_level(table: pd.DataFrame, rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """The disparity table's areas of one kind (ICBs, sub-ICBs, trusts, …): a funnel never mixes
    levels, since an ICB and the sub-ICBs inside it would count the same people twice."""
    kinds = rows.drop_duplicates("geography").set_index("geography")["geography_kind"]
    return table[table["geography"].map(kinds) == level]


def levels_held(rows: pd.DataFrame) -> list[str]:
    """The kinds of area below national level the rows hold, ICBs first."""
    present = set(rows["geography_kind"]) - set(NATIONAL_KINDS) if len(rows) else set()
    return [k for k in LEVEL_NAMES if k in present] + sorted(present - set(LEVEL_NAMES))


def funnel_points(table: pd.DataFrame) -> pd.DataFrame:
    """The areas a funnel plots: a ratio, and counts above 0 in both groups; with `precision`,
    the inverse variance of ln(ratio): 1/(1/a + 1/b) for rates, 1/(1/a − 1/n_a + 1/b − 1/n_b)
    for shares of admissions (Katz)."""
    points = table.dropna(subset=["rate_ratio", "focus_count", "reference_count"])
    points = points[(points["focus_count"] > 0) & (points["reference_count"] > 0)].copy()
    variance = 1 / points["focus_count"] + 1 / points["reference_count"]
    if "denominator" in points.columns:
        # A ratio of shares of admissions (Katz): less the reciprocals of the denominators.
        share = points["denominator"].map(lambda k: denominator(k).proportion).astype(bool)
        variance = variance.where(
            ~share,
            variance - 1 / points["focus_population"] - 1 / points["reference_population"],
        )
    points["precision"] = 1 / variance
    return points[variance > 0]  # every admission detained in both groups: no spread to plot


def within_area_target(points: pd.DataFrame) -> float:
    """The Mantel–Haenszel ratio of the areas shown (1.0 when there is none)."""
    target = (
        mantel_haenszel_rate_ratio(
            points["focus_count"],
            points["focus_population"],
            points["reference_count"],
            points["reference_population"],
        )
        if len(points)
        else float("nan")
    )
    return target if target and np.isfinite(target) else 1.0


def funnel_heterogeneity(table: pd.DataFrame, target: float | None = None) -> Heterogeneity | None:
    """Cochran's Q, φ and I² of the areas' log ratios around the funnel's target: whether the
    areas vary more than chance would make them (docs/methods.md, Funnel plots)."""
    points = funnel_points(table)
    centre = target if target else within_area_target(points)
    return heterogeneity(
        np.log(points["rate_ratio"]), 1 / np.sqrt(points["precision"]), np.log(centre)
    )


def funnel(
    table: pd.DataFrame,
    target: float | None = None,
    overdispersion: bool | None = None,
    confidences: Sequence[float] = (0.95, 0.998),
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Rate ratios against their precision with control limits around `target`.

    `overdispersion`: True widens the limits by the between-area variance (DerSimonian and
    Laird, winsorised); None (the default) does so when the areas vary significantly more than
    chance (`funnel_heterogeneity`), as PHE's guidance advises; False never.

    Precision is 1/(1/a + 1/b), the inverse variance of ln(ratio). The target defaults to the
    Mantel–Haenszel ratio of the geographies shown: the groups compared within each area, not
    the ratio of pooled counts, which is confounded where the focus group lives mostly in
    high-rate areas (docs/methods.md, Funnel plots). Show one level of geography at a time
    (`one_level`). Returns the points (with `signal`: within, or above/below the widest limit it
    crosses), the limits on a grid of precisions, and the target.
    """
    points = funnel_points(table)
    target = target if target and np.isfinite(target) else within_area_target(points)
    if overdispersion is None:
        spread = funnel_heterogeneity(table, target)
        overdispersion = spread is not None and spread.significant
    tau2 = 0.0
    if overdispersion and len(points) >= 3:
        tau2 = dersimonian_laird_tau2(
            np.log(points["rate_ratio"]), 1 / np.sqrt(points["precision"]), np.log(target)
        )
    # Each point against the limits at its own precision: the widest level it falls outside.
    points["signal"] = "within"
    for confidence in sorted(confidences):
        low, high = ratio_funnel(target, points["precision"].to_numpy(), confidence, tau2)
        label = f"{confidence * 100:g}%"
        points.loc[points["rate_ratio"] > high, "signal"] = f"above {label}"
        points.loc[points["rate_ratio"] < low, "signal"] = f"below {label}"
    top = float(points["precision"].max()) * 1.1 if len(points) else 100.0
    grid = np.geomspace(
        max(1.0, float(points["precision"].min()) * 0.9) if len(points) else 1.0, top, 120
    )
    limits = pd.DataFrame({"precision": grid})
    for confidence in confidences:
        lower, upper = ratio_funnel(target, grid, confidence, tau2)
        label = f"{confidence * 100:g}%"
        limits[f"lower {label}"], limits[f"upper {label}"] = lower, upper
    return points, limits, target


EPISODES_CAVEAT = (
    "Detentions are episodes, not people: one person detained three times counts three times."
)
ANY_OTHER_CAVEAT = (
    'Providers also record "Any other Black background" when a person\'s Black group is not '
    "known, so it over-counts that group and under-counts African and Caribbean."
)
CENSUS_CAVEAT = (
    "From 2022-23 the populations behind these rates are the 2021 Census's; earlier years use "
    "2011 estimates, so a change across that line is partly a change of denominator."
)


def caveats(focus: str, periods: list[str] | None = None) -> list[str]:
    """What a reader must know to read these figures (docs/methods.md, Caveats): always that
    detentions are episodes; the over-count of "Any other Black background" when it is the
    focus; the change of census when the `periods` shown cross 2022-23."""
    said = [EPISODES_CAVEAT]
    if focus == "Any Other Black background":
        said.append(ANY_OTHER_CAVEAT)
    if periods and min(periods) < "2022-23" <= max(periods):
        said.append(CENSUS_CAVEAT)
    return said
