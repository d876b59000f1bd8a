"""The system view: organisations rolled up to their ICB or place, beside its disparity."""

import pandas as pd
import streamlit as st

from app_pages.common import choose_round, require_actor, show_error, store
from ocf.access import visible_rounds
from ocf.comparison import system_competencies, system_view
from ocf.display import interval, number
from ocf.errors import OcfError

actor = require_actor("compare-sites")
db = store()
st.title("Systems (ICBs and places)")
st.write(
    "Competency is a property of the system as well as of each organisation. Each ICB or place "
    "here combines the final overall ratings of its organisations, beside its detention rate ratio."
)
# Rounds of trusts; a round that assesses systems themselves is shown beside them.
rounds = [
    r for r in visible_rounds(db, actor) if "trust" in db.rounds.round_framework(r.id).assessed_at
]
if not rounds:
    st.info("No round to show yet: regulators see a round once it is published.")
    st.stop()
round_ = choose_round(rounds)
try:
    with st.spinner(f"Rolling up each system's trusts for round {round_.id}…"):
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
            "Maturity of its trusts": systems["final"].map(number),
            "System's own rating": systems["own_final"].map(number),
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

st.header("The system's own competencies")
own_round = systems["own_round"].iloc[0]
if not own_round:
    st.write(
        "No round for this data period assesses the systems themselves (police and section 136, "
        "approved mental health professionals, local authorities, primary care, voluntary and "
        "community organisations). An administrator opens one with the framework "
        "“OCF system competencies”."
    )
else:
    st.write(
        f"Round {own_round}: each system's lead rated the system's work with its partners; where "
        "the system has its own panel of service users and carers, the panel's view moderates it "
        "as for trusts."
    )
    own = system_competencies(db, actor, round_.id)
    names = dict(zip(systems["system"], systems["name"], strict=True))
    own = own[own["system"].isin(names)]
    if own.empty:
        st.write("None of these systems has rated itself in that round yet.")
    else:
        grid = own.pivot_table(
            index="title", columns="system", values="final", aggfunc="first", sort=False
        )
        st.table(grid.rename(columns=names).map(number))
        st.caption("Final rating per system competency (0 Undeveloped to 3 Excelling).")
