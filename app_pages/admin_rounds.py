"""Administration: assessment rounds and their life cycle (open → closed → published)."""

import streamlit as st

from app_pages.common import (
    choose_round,
    flash,
    framework_titles,
    require_actor,
    show_error,
    show_flash,
    store,
)
from ocf.admin import content_library, open_new_round, round_summary, set_round_status
from ocf.demo import reset_demo
from ocf.display import counted
from ocf.errors import OcfError
from ocf.retention import due as retention_due
from ocf.retention import parse_period
from ocf.retention import policy as retention_policy
from ocf.rounds import TRANSITIONS
from ocf.tables import rounds_table, when_day

actor = require_actor("manage-rounds")
db = store()
st.title("Rounds")
show_flash()
st.write(
    "Answers and imports are accepted only while a round is **open**; regulators see a round "
    "once it is **published**. Each round keeps the framework and surveys it opened with."
)
rounds = db.rounds.list_rounds()
st.dataframe(rounds_table(rounds, framework_titles()), hide_index=True)

if rounds:
    st.header("Change a round's status")
    chosen = choose_round(rounds)
    actions = [a for a, (starts, _) in TRANSITIONS.items() if chosen.status in starts]
    reason = st.text_input(
        "Reason (needed to reopen, or to publish while an accountability gap has no response; "
        "kept in the audit log, and a reason for publishing over gaps is shown on the public "
        "summary and the board report)"
    )
    pending_key = "round-action"
    for column, action in zip(st.columns(max(len(actions), 1)), actions, strict=False):
        if column.button(action.capitalize(), key=f"status-{action}"):
            st.session_state[pending_key] = (chosen.id, action)
    pending = st.session_state.get(pending_key)
    if pending and pending[0] == chosen.id and pending[1] in actions:
        action = pending[1]
        summary = round_summary(db, actor, chosen.id)
        with st.container(border=True):
            st.markdown(f"**{action.capitalize()} round {chosen.id}?**")
            for line in summary.lines(action) or ["Nothing outstanding."]:
                st.markdown(f"- {line}")
            yes, no = st.columns(2)
            # Publishing over unanswered gaps needs the reason first: the button waits for it.
            waiting = action == "publish" and summary.needs_reason and not reason.strip()
            if waiting:
                st.warning("Give the reason above to publish while these gaps have no response.")
            if yes.button(f"Yes, {action} round {chosen.id}", type="primary", disabled=waiting):
                st.session_state.pop(pending_key, None)
                try:
                    status = set_round_status(db, actor, chosen.id, action, reason)
                except OcfError as error:
                    show_error(error)
                else:
                    flash(f"Round {chosen.id} is now {status}.")
                    st.rerun()
            if no.button("Cancel"):
                st.session_state.pop(pending_key, None)
                st.rerun()

st.header("Records policy")
period = retention_policy(db)
if period is None:
    st.write(
        "No records policy period is set: panel answers are kept until one is. An operator "
        "sets it with `ocf retention policy 3y` (docs/information-governance.md)."
    )
else:
    due_now = retention_due(db, actor, parse_period(period))
    st.write(f"Panel answers are kept for {period} after a round is published.")
    if due_now:
        st.warning(
            "Due for deletion under the policy (the figures each round disclosed are kept): "
            + "; ".join(
                f"round {d.round}, published {when_day(d.published[:10])}, "
                f"{counted(d.answers, 'panel answer')}"
                for d in due_now
            )
            + ". The operator runs `ocf retention apply`."
        )
    else:
        st.write("Nothing is due.")

st.header("Open a new round")
library = content_library(db)
with st.form("new-round"):
    a, b, c = st.columns(3)
    round_id = a.text_input("Round id, e.g. 2026-27")
    framework = b.selectbox(
        "Framework",
        list(library.frameworks),
        format_func=lambda f: f"{library.frameworks[f].title} (v{library.frameworks[f].version})",
    )
    period = c.text_input("Detention data period it links to, e.g. 2025-26")
    surveys = st.multiselect(
        "Surveys (empty: every survey of the framework)",
        list(library.surveys),
        format_func=lambda s: library.surveys[s].title,
    )
    if st.form_submit_button("Open the round", type="primary"):
        try:
            open_new_round(db, actor, round_id.strip(), framework, surveys, period.strip())
        except OcfError as error:
            show_error(error)
        else:
            flash(f"Opened round {round_id}.")
            st.rerun()

if db.is_demo:
    st.header("Demo")
    if st.checkbox("I want to throw away every change made in this demo") and st.button(
        "Reset the demo data"
    ):
        reset_demo(db, actor)
        flash("The demo data were reset.")
        st.rerun()
