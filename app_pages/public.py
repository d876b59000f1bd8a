"""The public summary: anyone, signed in or not, reads what a trust published for a round."""

import streamlit as st

from app_pages.common import choose_round, show_error, store
from ocf.errors import OcfError
from ocf.public import public_summary, published_rounds, sites_in

db = store()
st.title("Public summary")
st.write(
    "How each NHS trust in the programme is tackling racial disparity in mental health care, as "
    "it has published it: how it rated itself, how its service user and carer panel rated it, "
    "what it said to its panel, and what it is doing."
)
rounds = published_rounds(db)
if not rounds:
    st.info("Nothing has been published yet.")
    st.stop()
left, right = st.columns(2)
round_ = choose_round(rounds, where=left)
trusts = sites_in(db, round_.id)
if not trusts:
    st.info(f"No trust took part in round {round_.id}.")
    st.stop()
site = right.selectbox("Trust", trusts, format_func=lambda s: s.name)
try:
    summary = public_summary(db, site.code, round_.id)
except OcfError as error:
    show_error(error)
    st.stop()

if summary.published_over:
    st.warning(summary.published_over, icon=":material/report:")

st.header("Detentions under the Mental Health Act")
figures = summary.detentions
if figures is None:
    st.write("No detention figures are held for this trust or its area for this round.")
else:
    st.write(figures.sentence)
    if not figures.own:
        st.caption(
            f"These are the figures for {figures.place}: the data held are for areas, not for "
            "each trust."
        )
    st.table(figures.trend.set_index("Year"))
    st.caption(
        "A detention is counted each time someone is detained, so one person can be counted more "
        "than once. The 95% interval shows how far the figure could differ by chance. Figures from "
        "very small numbers are not shown."
    )

st.header("Each area")
st.write(
    "Each figure is on a scale from 0 to 3, with its level in words: 0 Undeveloped, "
    "1 Developing, 2 Achieving, 3 Excelling. – where there is no figure (no self-assessment "
    f"submitted, or nothing to check). Panel figures from fewer than {summary.min_panel} "
    "members are never shown."
)
st.table(summary.areas.set_index("Area"))
st.header("The panel")
st.write(summary.panel_size or "The panel's answers are shown once the panel has closed.")
if not summary.duties.empty:
    st.header("Legal duties")
    st.write("What the trust says about each duty the framework checks.")
    st.table(summary.duties.set_index("Duty"))
st.header("What the trust said to its panel")
if summary.responses.empty:
    st.write("No response published.")
else:
    st.table(summary.responses.set_index("Competency"))
st.header("What the trust is doing")
if summary.actions.empty:
    st.write("No actions published.")
else:
    st.table(summary.actions.set_index("Competency"))
if summary.plan:
    st.link_button("Read the trust's published plan", summary.plan, icon=":material/open_in_new:")
else:
    st.write("The trust has not given an address for its published plan.")
st.header("What happens next")
st.write(summary.next_round)
