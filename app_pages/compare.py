"""Compare sites (regulators, admins): a round's sites by area, with uncertainty and gaps."""

import pandas as pd
import streamlit as st

from app_pages.common import (
    choose_round,
    require_actor,
    show_chart,
    show_error,
    store,
)
from ocf.access import visible_rounds
from ocf.charts import caterpillar_chart, heatmap_chart
from ocf.comparison import compare_sites, crosswalk_scores, domain_grid, trends
from ocf.display import fewer_than, number, panel_interval, share
from ocf.errors import OcfError
from ocf.reports import export_table, xlsx_bytes
from ocf.spreadsheet import csv_text

actor = require_actor("compare-sites")
db = store()
st.title("Compare sites")

rounds = visible_rounds(db, actor)
if not rounds:
    st.info("No round to compare yet: regulators see a round once it is published.")
    st.stop()
round_ = choose_round(rounds)
try:
    # The first look at a national round scores every site (seconds); later ones are cached.
    with st.spinner(f"Working out every site's scores for round {round_.id}…"):
        sites = compare_sites(db, actor, round_.id)
        grid = domain_grid(db, actor, round_.id)
except OcfError as error:
    show_error(error)
    st.stop()
framework = db.rounds.round_framework(round_.id)
scale = framework.scale
everyone = {s.code: s for s in db.sites.list_sites(include_retired=True)}

a, b = st.columns(2)
cohorts = sorted({c for c in sites["cohort"].dropna()})
systems = sorted({p for p in sites["parent"].dropna()})
chosen_cohorts = a.multiselect("Pilot cohort", cohorts, default=cohorts)
chosen_systems = b.multiselect(
    "ICB or place",
    systems,
    default=systems,
    format_func=lambda c: everyone[c].name if c in everyone else c,
)
shown = sites[sites["cohort"].isin(chosen_cohorts) & sites["parent"].isin(chosen_systems)]
if shown.empty:
    st.info("No site matches these filters.")
    st.stop()
names = dict(zip(shown["site"], shown["name"], strict=True))

st.header("By area")
show_chart(
    heatmap_chart,
    grid[grid["site"].isin(shown["site"])],
    scale,
    names,
    alt="Heatmap of final maturity by site and area; the same figures are in the table below.",
)
table = grid[grid["site"].isin(shown["site"])].pivot_table(
    index="site", columns="title", values="final", sort=False
)
st.table(table.rename(index=names).map(number))

st.header("Overall, with the panel's uncertainty")
show_chart(
    caterpillar_chart,
    shown.assign(name=shown["site"].map(names)),
    scale,
    alt="Each site's final maturity with its panel's overall median and interval; the same figures are in the table below.",
)
st.caption(
    "Square: final rating. Diamond and line: the panel's overall view (median of members, with a "
    "distribution-free 95% interval). Sites whose panel intervals overlap cannot be told apart, so "
    "no rank numbers are shown. Panel n is the fewest members who rated any one competency "
    '("don\'t know" is not a rating), so it can be lower than the number who responded, which '
    "Results gives."
)
st.table(
    pd.DataFrame(
        {
            "Site": shown["name"],
            "Final": shown["final"].map(number),
            "Self": shown["self"].map(number),
            "Panel": shown["panel"].map(number),
            "Gap": shown["gap"].map(number),
            "Flag": shown["flag"].str.replace("_", " "),
            "Checked by panel": shown["coverage"].map(share),
            "Panel n (fewest on a competency)": shown["panel_n"],
            "Competencies suppressed": shown["suppressed_competencies"],
            "Panel interval": [
                panel_interval(m, lo, hi, framework.min_panel)
                for m, lo, hi in zip(
                    shown["panel_median"], shown["panel_lower"], shown["panel_upper"], strict=True
                )
            ],
        }
    ).set_index("Site")
)

st.header("Against PCREF")
crosswalk = crosswalk_scores(db, actor, round_.id)
crosswalk = crosswalk[crosswalk["site"].isin(shown["site"])]
if crosswalk.empty:
    st.write("This framework's competencies carry no PCREF tags.")
else:
    st.write(
        "The same assessment reported against PCREF's areas through the competencies tagged with each."
    )
    st.table(
        crosswalk.pivot_table(index="site", columns="area", values="final", sort=False)
        .rename(index=names)
        .map(number)
    )

st.header("Trend across rounds")
history = trends(db, actor, round_.framework_id)
history = history[history["site"].isin(shown["site"])]
st.table(
    history.pivot_table(index="site", columns="round", values="final")
    .rename(index=names)
    .map(number)
)

st.header("Download")
left, right = st.columns(2)


def scores_csv() -> str:
    return csv_text(export_table(store(), actor, round_.id))


def scores_xlsx() -> bytes:
    return xlsx_bytes(store(), actor, round_.id)


# Files are made when the button is pressed, not on every rerun of the page.
left.download_button(
    "Scores (CSV)", scores_csv, file_name=f"ocf-scores-{round_.id}.csv", mime="text/csv"
)
right.download_button(
    "Scores (Excel)",
    scores_xlsx,
    file_name=f"ocf-scores-{round_.id}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
st.caption(f"Panel figures from {fewer_than(framework.min_panel)} are never included.")
