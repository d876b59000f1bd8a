"""Detention disparity: rates by ethnic group, the focus-to-reference ratio, trend and funnel."""

import pandas as pd
import streamlit as st

from app_pages.common import require_actor, show_chart, store
from ocf import ethnicity
from ocf.charts import funnel_chart, rates_chart
from ocf.denominators import denominator
from ocf.disparity import (
    LEVEL_NAMES,
    caveats,
    default_period,
    detention_choices,
    detention_rows,
    disparity_table,
    funnel,
    funnel_heterogeneity,
    groups_held,
    levels_held,
    one_level,
    rated_measures,
    rates_by_group,
    stored_disparity,
    trend,
    unrated_measures,
)
from ocf.display import interval, number, plain
from ocf.measures import UNRATED_REASON, measure_name, unrated_names

actor = require_actor("view-disparity")
db = store()
st.title("Detention disparity")

choices = detention_choices(db)
if choices.empty:
    st.info("No detention data yet. An administrator imports them with `ocf import detentions`.")
    st.stop()


a, b, c, d = st.columns(4)
measures = rated_measures(choices)
if not measures:
    st.info(f"No detention measure here has populations: {UNRATED_REASON}.")
    st.stop()
measure = a.selectbox("Measure", measures, format_func=measure_name)
periods = sorted(choices[choices["measure"] == measure]["period"].unique())
period = b.selectbox(
    "Period",
    periods,
    index=periods.index(default_period(choices, measure)),
    help="Opens on the latest period with figures for England and every ICB to compare with.",
)
with st.spinner(f"Reading the {period} detention figures…"):  # the first time: seconds
    rows = detention_rows(db, period, measure)
# Any group the data hold, higher or detailed (African, Caribbean, …), each kept separate.
groups = groups_held(rows)
focus = c.selectbox(
    "Focus group",
    groups,
    index=groups.index(ethnicity.BLACK),
    help="Each higher group, followed by the detailed categories the data hold within it.",
)
reference = d.selectbox("Reference group", groups, index=groups.index(ethnicity.WHITE))

if unrated := unrated_measures(choices):
    st.caption(f"Not offered: {'; '.join(unrated_names(unrated))}. {UNRATED_REASON}.")
table = stored_disparity(db, period, measure, focus, reference)
names = rows.drop_duplicates("geography").set_index("geography")["geography_name"].to_dict()
places = sorted(names, key=lambda g: (g != (actor.site or ""), g != "ENG", names[g]))
place = st.selectbox("Area", places, format_func=lambda g: f"{names[g]} ({g})")
row = table.set_index("geography").loc[place]
per = denominator(row["denominator"])  # what the rates are per: people, bed days, admissions

st.header(f"{plain(names[place])}, {plain(str(period))}")
# Standardised where the source publishes it (NHS England: England only), crude alongside.
standard = disparity_table(
    rows[rows["geography"] == place], focus, reference, "standardised"
).set_index("geography")
std = standard.loc[place] if place in standard.index else None
if std is not None and pd.notna(std["rate_ratio"]):
    a, b = st.columns(2)
    a.metric(f"Standardised rate ratio, {focus} to {reference}", number(std["rate_ratio"]))
    a.caption(
        f"Standardised (by age and sex in NHS England's figures; by age, to the European "
        f"Standard Population, from a file's age bands). 95% interval {number(std['ratio_lower'])} to "
        f"{number(std['ratio_upper'])}; {number(std['focus_rate'], 1)} vs "
        f"{number(std['reference_rate'], 1)} {per.unit}."
    )
    b.caption(
        "The crude rate ratio, below, is not adjusted for the groups' different ages; the "
        "standardised one is the fairer comparison."
    )
else:
    st.caption(
        f"Rates {per.unit}, not standardised: only rates per person are."
        if not per.standardised
        else "No standardised figures for this area and these groups in the data (NHS England "
        "publishes them for England only; a template file gives them when it has age bands): "
        "the figures below are crude, not adjusted for the groups' different ages."
    )
left, middle, right = st.columns(3)
ratio_text = number(row["rate_ratio"]) if pd.notna(row["rate_ratio"]) else "not available"
left.metric(f"Crude rate ratio, {focus} to {reference}", ratio_text)
if pd.notna(row["ratio_lower"]):
    left.caption(f"95% interval {number(row['ratio_lower'])} to {number(row['ratio_upper'])}")
middle.metric(
    f"{focus}, crude, {per.unit}",
    number(row["focus_rate"], 1) if pd.notna(row["focus_rate"]) else "suppressed or missing",
)
right.metric(
    f"{reference}, crude, {per.unit}",
    number(row["reference_rate"], 1)
    if pd.notna(row["reference_rate"])
    else "suppressed or missing",
)
if pd.notna(row["rate_ratio"]):
    st.write(
        f"In {names[place]} in {period}, the crude rate for {focus} people "
        f"({measure_name(measure)}) was {number(row['rate_ratio'])} times the rate for "
        f"{reference} people."
    )

st.subheader("Rates by ethnic group")
rates, meta = rates_by_group(rows, place, db.detentions.detention_total(period, place, measure))
show_chart(
    rates_chart,
    rates,
    unit=per.unit,
    alt=f"Rate {per.unit} for each ethnic group with its 95% interval; the same figures are in the table below.",
)
st.table(
    pd.DataFrame(
        {
            "Group": rates["group"],
            "Count": [
                ("suppressed" if s else "–") if pd.isna(c) else f"{c:,.0f}"
                for c, s in zip(rates["count"], rates["suppressed"], strict=True)
            ],
            f"Rate {per.unit}": rates["rate"].map(lambda v: number(v, 1)),
            "95% interval": [
                interval(lo, hi, 1) for lo, hi in zip(rates["lower"], rates["upper"], strict=True)
            ],
        }
    ).set_index("Group")
)
share = meta["unknown_share"]
if share is not None:
    of = (
        f"all {meta['all_detentions']:,.0f} detentions"
        if meta["all_detentions"]
        else "those broken down by ethnicity"
    )
    parts = "; ".join(f"{n:,.0f} {label}" for label, n in meta["unknown_parts"])
    st.write(
        f"Ethnicity was not known for {share.value:.1%} of {of} (95% interval "
        f"{share.lower:.1%} to {share.upper:.1%}): {parts}. They are left out of the rates above."
    )
notes = [
    "Below national level counts are rounded to the nearest 5 and counts of 1 to 4 suppressed, "
    "as NHS England publishes them; rates are worked out from the rounded counts."
]
if meta["population_derived"]:
    notes.append(
        "Populations here are derived from the published counts and crude rates; both are rounded, "
        "so rates and intervals are approximate."
    )
notes += caveats(focus, periods)
st.caption(" ".join(notes))

st.subheader("Trend")
history = trend(db, place, measure, focus, reference)
if len(history) < 2:
    st.write("Only one period of data so far: the trend appears when a later period is imported.")
st.table(
    pd.DataFrame(
        {
            "Period": history["period"],
            "Rate ratio": history["rate_ratio"].map(number),
            "95% interval": [
                interval(lo, hi)
                for lo, hi in zip(history["ratio_lower"], history["ratio_upper"], strict=True)
            ],
        }
    ).set_index("Period")
)

st.subheader("Compared with other areas")
levels = levels_held(rows)
if not levels:
    st.write("No areas below England to compare in these data.")
    st.stop()
kind = rows.drop_duplicates("geography").set_index("geography")["geography_kind"].get(place)
level = st.radio(
    "Areas compared",
    levels,
    index=levels.index(kind) if kind in levels else 0,
    format_func=lambda k: LEVEL_NAMES.get(k, k),
    horizontal=True,
    help="One level at a time: an ICB and the sub-ICBs inside it would count the same people twice.",
)
others = one_level(table, rows, level)
spread = funnel_heterogeneity(others)
overdispersed = st.checkbox(
    "Allow for variation between areas beyond chance (overdispersion)",
    value=spread is not None and spread.significant,
    key=f"overdispersion:{level}:{spread.significant if spread else False}",
    help="On by default when the areas vary significantly more than chance would make them.",
)
if spread is not None:
    verdict = (
        "more than chance would make them, so the limits allow for it"
        if spread.significant
        else "no more than chance would make them"
    )
    st.caption(
        f"The areas vary {verdict}: Cochran's Q = {spread.q:.0f} on {spread.df} degrees of "
        f"freedom (p {'< 0.001' if spread.p_value < 0.001 else f'= {spread.p_value:.3f}'}), "
        f"overdispersion φ = {spread.phi:.1f}, I² = {spread.i_squared:.0%} (the share of the "
        "variation beyond chance)."
    )
points, limits, target = funnel(others, overdispersion=overdispersed)
marker = (
    f"the red diamond is {names[place]}"
    if place in set(points["geography"])
    else f"{names[place]} is not among them (it is what they add up to, or has no ratio)"
)
show_chart(
    funnel_chart,
    points.assign(name=points["geography"].map(names)),
    limits,
    target,
    highlight=place,
    alt=f"Funnel plot of rate ratios for {len(points)} areas; {marker}.",
)
st.caption(
    f"Each blue dot is an area; {marker}. Up the chart, a higher "
    "ratio; to the right, a more precise one (more people detained, so less room for chance). "
    f"The middle line is the Mantel–Haenszel ratio of the {LEVEL_NAMES.get(level, level)} shown "
    f"({number(target)}): the groups compared within each area, so that where each group lives "
    "does not move it. Areas outside the dashed lines differ from it more than chance would "
    "explain 95% of the time; outside the solid lines, 99.8%."
)
for limit in ("99.8%", "95%"):
    for side in ("above", "below"):
        outside = points[points["signal"] == f"{side} {limit}"]
        if len(outside):
            listed = ", ".join(f"{names.get(g, g)} ({g})" for g in outside["geography"])
            st.write(f"Outside the {limit} limits, {side}: {listed}.")
