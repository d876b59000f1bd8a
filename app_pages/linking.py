"""Maturity and disparity: each site's maturity against its detention rate ratio."""

import pandas as pd
import streamlit as st

from app_pages.common import choose_round, require_actor, show_chart, show_error, store
from ocf import ethnicity
from ocf.access import visible_rounds
from ocf.charts import link_chart
from ocf.disparity import detention_choices, rated_measures
from ocf.display import correlation_words, interval, number
from ocf.errors import OcfError
from ocf.linking import CAVEAT, link, standardised_available
from ocf.measures import measure_name

actor = require_actor("link-disparity")
db = store()
st.title("Maturity and disparity")
st.warning(CAVEAT, icon=":material/info:")

rounds = [r for r in visible_rounds(db, actor) if r.period]
if not rounds:
    st.info("No round with a linked data period is visible to you yet.")
    st.stop()
groups = list(ethnicity.HIGHER_GROUPS)
a, b, c, d = st.columns(4)
round_ = choose_round(rounds, where=a)
choices = detention_choices(db)
measures = rated_measures(choices[choices["period"] == round_.period])
if not measures:
    st.info(f"No detention data for {round_.period}, the period this round links to.")
    st.stop()
measure = b.selectbox("Measure", measures, format_func=measure_name)
focus = c.selectbox("Focus group", groups, index=groups.index(ethnicity.BLACK))
reference = d.selectbox("Reference group", groups, index=groups.index(ethnicity.WHITE))

method = "crude"
if standardised_available(db, round_.id, measure):
    method = st.radio(
        "Rate ratio",
        ["standardised", "crude"],
        format_func={"standardised": "Age-standardised", "crude": "Crude"}.get,
        horizontal=True,
        help="Age-standardised where the data allow: groups with younger populations are not "
        "made to look less detained than they are.",
    )
try:
    result = link(db, round_.id, measure, focus, reference, actor=actor, method=method)
except OcfError as error:
    show_error(error)
    st.stop()
framework = db.rounds.round_framework(round_.id)
names = {s.code: s.name for s in db.sites.list_sites(include_retired=True)}


def names_of(codes: list[str]) -> list[str]:
    return [names.get(code, code) for code in codes]


options = {
    "final": "Overall (final rating)",
    "panel": "Overall, the panel's own view",
    **{f"domain:{dom.id}": dom.title for dom in framework.domains},
}
column = st.selectbox("Maturity", list(options), format_func=options.get)

correlation = result.correlation_for(column)
if correlation.value is None:
    st.metric(
        "Spearman correlation", "not enough sites", help="Needs at least 4 sites with both figures."
    )
else:
    st.metric("Spearman correlation", number(correlation.value))
    st.caption(f"Spearman correlation {correlation_words(correlation)}.")
    if (spread := result.ratio_uncertainty(column)) is not None:
        st.caption(
            "Each site's ratio is itself uncertain: drawn again and again within its own "
            f"interval, the correlation ranged from {number(spread[0])} to {number(spread[1])} "
            "(the middle 95% of 2,000 draws)."
        )
if result.unlinked:
    st.caption(
        f"Left out: {', '.join(names_of(result.unlinked))} — no rate ratio of their own for "
        f"{round_.period} (no population defined for them, or a count too small to show). "
        "A trust is never given its ICB's ratio."
    )
if db.is_demo:
    st.info(
        "Demo: the trusts' detention figures were generated from their maturity, so any "
        "association here is built into the synthetic data, not found.",
        icon=":material/science:",
    )
sites = result.sites.assign(
    name=result.sites["site"].map(lambda code: names.get(code, code)),
    key=range(1, len(result.sites) + 1),
)
show_chart(
    link_chart,
    sites,
    column,
    alt="Each site's maturity against its rate ratio with the ratio's 95% interval; the same figures are in the table below.",
)
st.table(
    pd.DataFrame(
        {
            "Site": sites["name"],
            "On the chart": sites["key"],
            options[column]: result.sites[column].map(number),
            "Rate ratio": result.sites["rate_ratio"].map(number),
            "95% interval": [
                interval(lo, hi)
                for lo, hi in zip(
                    result.sites["ratio_lower"], result.sites["ratio_upper"], strict=True
                )
            ],
        }
    ).set_index("Site")
)

st.header("Change between rounds")
if result.changes.empty:
    st.write("No earlier round to compare with.")
else:
    change = result.change_correlation
    summary = correlation_words(change)
    st.write(
        f"Change in overall maturity against change in the log rate ratio, Spearman: {summary}."
    )
    rtm = result.regression_to_the_mean()
    st.caption(
        "Regression to the mean: ratios that were high by chance tend to fall next time, and "
        "low ones to rise, with no change in practice. "
        + (
            f"Here the earlier log ratio and its change correlate at {number(rtm.value)}; "
            "a fall in a high ratio is not by itself evidence of progress."
            if rtm.value is not None
            else "Too few sites to measure it here; read any fall in a high ratio with care."
        )
    )
    st.table(
        result.changes.assign(site=result.changes["site"].map(lambda c: names.get(c, c)))
        .drop(columns="log_ratio_before")
        .rename(
            columns={
                "site": "Site",
                "from_round": "From",
                "to_round": "To",
                "maturity_change": "Maturity change",
                "log_ratio_change": "Change in log ratio",
            }
        )
        .set_index("Site")
        .round(2)
    )
