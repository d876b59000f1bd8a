"""The system view: organisations rolled up to their ICB or place, beside its disparity."""

import pandas as pd
import streamlit as st

from app_pages.common import require_actor, show_error, store
from ocf.access import visible_rounds
from ocf.comparison import system_view
from ocf.display import interval, number
from ocf.errors import OcfError

actor = require_actor("regulator", "admin")
db = store()
st.title("Systems (ICBs and places)")
st.write(
    "Competency is a property of the system as well as of each organisation. Each ICB or place "
    "here combines the final overall ratings of its organisations, beside its detention rate ratio."
)
rounds = visible_rounds(db, actor)
if not rounds:
    st.info("No round to show yet: regulators see a round once it is published.")
    st.stop()
round_ = st.selectbox(
    "Round",
    rounds,
    index=len(rounds) - 1,
    format_func=lambda r: f"{r.id} ({r.status}, data {r.period or 'none'})",
)
try:
    systems = system_view(db, actor, round_.id)
except OcfError as error:
    show_error(error)
    st.stop()
if systems.empty:
    st.info("No assessed organisation belongs to an ICB or place in this round.")
    st.stop()
st.table(
    pd.DataFrame(
        {
            "System": systems["name"],
            "Organisations (rated)": [
                f"{o} ({r})"
                for o, r in zip(systems["organisations"], systems["rated"], strict=True)
            ],
            "Maturity": systems["final"].map(number),
            "How combined": systems["weighting"],
            "Rate ratio, Black to White": systems["rate_ratio"].map(number),
            "95% interval": [
                interval(lo, hi)
                for lo, hi in zip(systems["ratio_lower"], systems["ratio_upper"], strict=True)
            ],
            "Ratio from": systems["ratio_source"],
        }
    ).set_index("System")
)
st.caption(
    "Population-weighted: each organisation counts by the population its detention data cover, "
    "for the round's data period. Equal weights where any population is unknown."
)
