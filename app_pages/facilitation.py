"""Panel facilitation: codes, completion counts (never answers), paper responses, closing."""

import streamlit as st

from app_pages.common import (
    choose_round_and_site,
    flash,
    open_rounds_or_stop,
    reader_zone,
    require_actor,
    show_error,
    show_flash,
    store,
)
from app_pages.widgets import render_item
from ocf.access import issue_invitations
from ocf.errors import OcfError
from ocf.submissions import (
    add_paper_response,
    close_panel,
    completion,
    invitations,
    revoke_invitation,
)
from ocf.tables import invitations_table

actor = require_actor("facilitator", "admin")
db = store()
st.title("Panel facilitation")
show_flash()
st.write("You can see how many people have answered, never what anyone answered.")

round_, site = choose_round_and_site(db, actor, open_rounds_or_stop(db))

try:
    counts = completion(db, actor, site.code, round_.id)
except OcfError as error:
    show_error(error)
    st.stop()
closed = db.panel_closed(site.code, round_.id)
columns = st.columns(5)
for column, (label, key) in zip(
    columns,
    [
        ("Codes issued", "issued"),
        ("Not started", "unused"),
        ("In progress", "started"),
        ("Submitted online", "submitted"),
        ("Paper responses", "paper"),
    ],
    strict=True,
):
    column.metric(label, counts[key])
if closed:
    st.info("This panel is closed: no more answers are accepted and unused codes were revoked.")
    st.stop()

st.header("Invitation codes")
with st.form("issue"):
    how_many = st.number_input("How many codes", min_value=1, max_value=100, value=5)
    issue = st.form_submit_button("Issue codes", type="primary")
if issue:
    try:
        codes = issue_invitations(db, actor, site.code, round_.id, int(how_many))
    except OcfError as error:
        show_error(error)
    else:
        # Kept for this session until dismissed, so the counters above update (rerun) and a
        # download does not wipe them from the screen.
        st.session_state["issued_codes"] = (site.code, round_.id, codes)
        st.rerun()
issued = st.session_state.get("issued_codes")
if issued and issued[:2] == (site.code, round_.id):
    codes = issued[2]
    st.success(
        f"{len(codes)} new code(s). Give one to each panel member. They are shown only until "
        "you press Done: print, download or copy them now."
    )
    st.code("\n".join(codes), language=None)
    left, right = st.columns(2)
    left.download_button(
        "Download the codes",
        "\n".join(codes) + "\n",
        file_name=f"codes-{site.code}-{round_.id}.txt",
    )
    if right.button("Done: I have kept the codes"):
        st.session_state.pop("issued_codes", None)
        st.rerun()

table = invitations(db, actor, site.code, round_.id)
if not table.empty:
    titles = {s.id: s.title for s in db.round_surveys(round_.id).values()}
    st.dataframe(invitations_table(table, titles, reader_zone()), hide_index=True)
    revocable = table[table["status"].isin(["unused", "started"])]["id"].tolist()
    if revocable:
        chosen = st.selectbox(
            "Revoke a lost or unused code", revocable, index=None, placeholder="Code number"
        )
        if chosen is not None and st.button("Revoke this code"):
            try:
                revoke_invitation(db, actor, int(chosen))
            except OcfError as error:
                show_error(error)
            else:
                st.rerun()

st.header("Key in a paper response")
survey = next(s for s in db.round_surveys(round_.id).values() if s.audience == "panel")
scale = db.round_framework(round_.id).scale
with st.expander("Enter the answers from a paper form (marked as assisted)"):
    raw = {}
    for section in survey.sections:
        st.subheader(section.title)
        for item in section.items:
            raw[item.id] = render_item(item, scale, None, key=f"paper:{item.id}")
    if st.button("Save the paper response", type="primary"):
        try:
            number = add_paper_response(db, actor, site.code, round_.id, raw)
        except OcfError as error:
            show_error(error)
        else:
            for item in survey.items:
                st.session_state.pop(f"paper:{item.id}", None)
            flash(f"Paper response {number} saved.")
            st.rerun()

st.header("Close the panel")
sure = st.checkbox("I understand: no more answers will be accepted and unused codes stop working")
if st.button("Close the panel", disabled=not sure):
    try:
        revoked = close_panel(db, actor, site.code, round_.id)
    except OcfError as error:
        show_error(error)
    else:
        flash(f"Panel closed; {revoked} unused code(s) revoked.")
        st.rerun()
