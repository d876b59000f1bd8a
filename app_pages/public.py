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

st.header("Each area")
st.write(
    "0 Undeveloped, 1 Developing, 2 Achieving, 3 Excelling; – where there is no figure (no "
    "self-assessment submitted, or nothing to check). Panel figures from fewer than "
    f"{summary.min_panel} members are never shown."
)
st.table(summary.areas.set_index("Area"))
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
