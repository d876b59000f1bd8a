"""Panel comments: the facilitator reviews each free-text answer before any staff member reads it."""

import streamlit as st

from app_pages.common import (
    choose_round_and_site,
    flash,
    require_actor,
    show_error,
    show_flash,
    store,
)
from ocf.comments import (
    DECISIONS,
    for_review,
    review,
    safeguarding_procedure,
    set_safeguarding_procedure,
    themes,
)
from ocf.display import plain
from ocf.errors import ConflictError, OcfError
from ocf.permissions import allowed

actor = require_actor("review-comments")
db = store()
st.title("Panel comments")
show_flash()
st.write(
    "Each comment is shown on its own: never who wrote it, when, or their other answers. Remove "
    "anything that could identify someone (names, places, dates, rare details), give it a theme, "
    "and approve it for the equality lead to read, or withhold it. Staff see only approved, "
    "redacted words, grouped by theme, and only from a closed panel large enough that no "
    "comment can be traced to its writer. The words are never exported or written to the "
    "audit log."
)
rounds = db.rounds.list_rounds()
if not rounds:
    st.info("No rounds yet.")
    st.stop()
round_, site = choose_round_and_site(db, actor, rounds)

st.subheader("If a comment raises a safeguarding concern")
st.info(safeguarding_procedure(db, site.code), icon=":material/health_and_safety:")
st.caption(
    "Marking a concern records it here for the facilitator and the administrator; nothing is "
    "sent automatically. Follow the procedure above."
)
if allowed(actor, "set-safeguarding-procedure", site=site.code):
    with st.expander("Change this trust's safeguarding procedure"), st.form("procedure"):
        text = st.text_area("What facilitators do about a safeguarding concern", max_chars=4000)
        if st.form_submit_button("Save the procedure"):
            try:
                set_safeguarding_procedure(db, actor, site.code, text)
            except OcfError as error:
                show_error(error)
            else:
                flash("Saved the safeguarding procedure.")
                st.rerun()

try:
    comments = for_review(db, actor, site.code, round_.id)
except ConflictError as error:  # the panel is still open: nothing to review yet
    st.info(str(error), icon=":material/hourglass_top:")
    st.stop()
except OcfError as error:
    show_error(error)
    st.stop()
if not comments:
    st.info(f"{plain(site.name)}'s panel has written no comments in round {round_.id} yet.")
    st.stop()

waiting = [c for c in comments if not c.decision]
a, b, c, d = st.columns(4)
a.metric("Waiting for review", len(waiting))
b.metric("Approved", sum(x.decision == "approved" for x in comments))
c.metric("Withheld", sum(x.decision == "withheld" for x in comments))
d.metric("Safeguarding marks", sum(x.safeguarding for x in comments))

show = st.radio("Show", ["Waiting for review", "Every comment"], horizontal=True)
known = themes(comments)
shown = waiting if show == "Waiting for review" else comments
if not shown:
    st.success("Every comment has been reviewed.")
for comment in shown:
    with st.container(border=True):
        state = DECISIONS.get(comment.decision, "Waiting for review").split(" for")[0]
        st.markdown(f"**Comment {comment.number}** · {plain(comment.question)} · {state}")
        st.markdown(f"> {plain(comment.text)}")
        with st.form(f"review:{comment.number}"):
            words = st.text_area(
                "Words staff may read (remove names, places, dates and anything else that could "
                "identify someone)",
                value=comment.redacted,
                max_chars=4000,
            )
            theme = st.text_input(
                "Theme",
                value=comment.theme,
                max_chars=80,
                help="Themes so far: " + ("; ".join(known) if known else "none yet"),
            )
            concern = st.checkbox(
                "Safeguarding concern (follow the procedure above)", value=comment.safeguarding
            )
            decision = st.radio(
                "Decision",
                list(DECISIONS),
                index=list(DECISIONS).index(comment.decision) if comment.decision else None,
                format_func=DECISIONS.get,
                horizontal=True,
            )
            if st.form_submit_button(f"Save the review of comment {comment.number}"):
                try:
                    review(
                        db, actor, site.code, round_.id, comment.key,
                        words, theme, concern, decision or "",
                    )  # fmt: skip
                except OcfError as error:
                    show_error(error)
                else:
                    flash(f"Saved the review of comment {comment.number}.")
                    st.rerun()
