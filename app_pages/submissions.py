"""Administration of submissions: reopen a submitted self-assessment, with a reason."""

import streamlit as st

from app_pages.common import (
    choose_round,
    flash,
    reader_zone,
    require_actor,
    show_error,
    show_flash,
    store,
)
from ocf.admin import self_assessments
from ocf.errors import OcfError
from ocf.submissions import reopen
from ocf.tables import submissions_table

actor = require_actor("manage-submissions")
db = store()
st.title("Submissions")
show_flash()

rounds = db.rounds.list_rounds()
if not rounds:
    st.info("No rounds yet.")
    st.stop()
round_ = choose_round(rounds)
own = self_assessments(db, actor, round_.id)
st.dataframe(submissions_table(own, reader_zone()), hide_index=True)

st.header("Reopen a self-assessment")
submitted = own[own["status"] == "submitted"]
if submitted.empty:
    st.write("No submitted self-assessment in this round.")
    st.stop()
choice = st.selectbox(
    "Self-assessment",
    submitted["id"].tolist(),
    format_func=lambda i: f"{i}: {submitted.set_index('id').loc[i, 'site']}",
)
reason = st.text_input("Reason (kept in the audit log)")
if st.button("Reopen", disabled=not reason.strip()):
    try:
        reopen(db, actor, int(choice), reason)
    except OcfError as error:
        show_error(error)
    else:
        flash("Reopened: the lead can change it and submit again.")
        st.rerun()
