"""Panel facilitation: codes, completion counts (never answers), what the panel is told, paper
forms and responses, closing."""

from dataclasses import replace

import streamlit as st

from app_pages.common import (
    choose_round_and_site,
    flash,
    keep_paper_draft,
    open_rounds_or_stop,
    paper_draft,
    reader_zone,
    require_actor,
    show_error,
    show_flash,
    store,
)
from app_pages.widgets import render_item
from ocf.access import issue_invitations
from ocf.disclosure import effective_min_panel
from ocf.display import counted, plain
from ocf.errors import OcfError
from ocf.languages import ENGLISH, interface
from ocf.models import Answer
from ocf.panel_info import kept_text, set_site_text, site_text
from ocf.paper import paper_form, question_numbers
from ocf.permissions import allowed
from ocf.submissions import (
    add_paper_response,
    close_panel,
    completion,
    invitations,
    paper_waiting,
    revoke_invitation,
    settle_paper_response,
)
from ocf.tables import invitations_table

actor = require_actor("see-panel-status")
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
closed = db.panels.panel_closed(site.code, round_.id)
st.metric(
    "Responses counted",
    counts["responses"],
    help="Every submitted response the panel's figures count: online, on paper (confirmed) or "
    "imported. The same number as the results' panel size.",
)
columns = st.columns(5)
for column, (label, key) in zip(
    columns,
    [
        ("Codes issued", "issued"),
        ("Not started", "unused"),
        ("In progress", "started"),
        ("Submitted online", "submitted"),
        ("Paper responses (confirmed)", "paper"),
    ],
    strict=True,
):
    column.metric(label, counts[key])
if counts["paper_waiting"]:
    st.warning(
        f"{counted(counts['paper_waiting'], 'keyed paper form')} waiting for a second person to "
        "confirm "
        "them (below). They do not count until confirmed, and not at all once the panel closes."
    )
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
    titles = {s.id: s.title for s in db.rounds.round_surveys(round_.id).values()}
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

survey = next(s for s in db.rounds.round_surveys(round_.id).values() if s.audience == "panel")
framework = db.rounds.round_framework(round_.id)

st.header("What your panel is told")
st.write(
    "After the questions on force and restraint, the survey says where to get support; the "
    "privacy notice says how long the answers are kept. Each has a national wording in every "
    "language. Write your own to replace it (in English; leave it empty to use the national one)."
)
for which, label, default in (
    ("support", "Where to get support", "support"),
    ("kept", "How long the answers are kept (your records policy)", "kept"),
):
    own = site_text(db, site.code, which)
    with st.expander(f"{label}: {'your own words' if own else 'the national wording'}"):
        if not own:
            st.caption(kept_text(db, None, None) if which == "kept" else interface(None, default))
        with st.form(f"panel-text-{which}"):
            text = st.text_area(label, value=own or "", max_chars=4000)
            if st.form_submit_button("Save"):
                try:
                    set_site_text(db, actor, site.code, which, text)
                except OcfError as error:
                    show_error(error)
                else:
                    flash(f"Saved: {label.lower()}.")
                    st.rerun()

st.header("Paper forms")
st.write(
    "For members who prefer paper: large print (18 point), in any language the survey has, or "
    "Easy Read with a picture beside each question. Open the file in a browser and print it. "
    "Questions are numbered as on the paper-entry form below."
)
names = {ENGLISH: "English", **{c: t.name for c, t in survey.translations.items()}}
language = st.selectbox(
    "Language of the paper form", list(names), format_func=lambda c: names.get(c, c)
)
st.download_button(
    "Download the paper form",
    # Built when pressed, not on every rerun (Easy Read carries its pictures: about 160 kB).
    lambda: paper_form(
        survey,
        survey.translations.get(language),
        site.name,
        effective_min_panel(framework.min_panel),
        support=site_text(store(), site.code, "support"),
        kept=kept_text(store(), site.code, survey.translations.get(language)),
    ),
    file_name=f"panel-form-{site.code}-{round_.id}-{language}.html",
    mime="text/html",
    icon=":material/print:",
)

st.header("Key in a paper response")
if not allowed(actor, "key-paper-forms", site=site.code):
    st.info(
        "Paper forms are keyed in by the site's facilitator and confirmed by a second "
        "facilitator (or the panel chair, with a facilitator account). An administrator, who "
        "can read every result, never enters panel answers."
    )
else:
    st.write(
        "Each keyed form waits until a second person, another facilitator of this site or the "
        "panel chair, checks it against the paper and confirms it. It counts only then."
    )
    scale = framework.scale
    numbers = question_numbers(survey)
    draft_key = (db.identity, actor.account_id, site.code, round_.id)
    draft = paper_draft(draft_key)  # what was keyed before a reload
    with st.expander(
        "Enter the answers from a paper form (marked as assisted)", expanded=bool(draft)
    ):
        if draft:
            st.caption("The answers keyed before are back: carry on, or choose No answer.")
        raw = {}
        for section in survey.sections:
            st.subheader(section.title)
            for item in section.items:
                numbered = replace(item, text=f"{numbers[item.id]}. {item.text}")
                before = draft.get(item.id)
                current = Answer(item.id, before[0], before[1]) if before else None
                raw[item.id] = render_item(
                    numbered, scale, current, key=f"paper:{item.id}", clearable=True
                )
        keep_paper_draft(draft_key, raw)
        if st.button("Save the paper response", type="primary"):
            try:
                number = add_paper_response(db, actor, site.code, round_.id, raw)
            except OcfError as error:
                show_error(error)
            else:
                keep_paper_draft(draft_key, {})
                for item in survey.items:
                    st.session_state.pop(f"paper:{item.id}", None)
                flash(f"Paper form {number} saved; it counts once a second person confirms it.")
                st.rerun()

    st.subheader("Paper forms waiting for a second person", anchor=False)
    try:
        waiting = paper_waiting(db, actor, site.code, round_.id)
    except OcfError as error:
        show_error(error)
        waiting = []
    if not waiting:
        st.write("None.")
    for form in waiting:
        with st.expander(f"Paper form {form.number}, keyed by {plain(form.keyed_by)}"):
            st.table(form.answers.set_index("Question"))
            confirm, discard = st.columns(2)
            for column, yes, label in (
                (confirm, True, "Confirm: it matches the paper form"),
                (discard, False, "Discard this entry"),
            ):
                if column.button(label, key=f"paper-{form.id}-{yes}"):
                    try:
                        settle_paper_response(db, actor, site.code, round_.id, form.id, yes)
                    except OcfError as error:
                        show_error(error)
                    else:
                        done = "confirmed" if yes else "discarded"
                        flash(f"Paper form {form.number} {done}.")
                        st.rerun()

st.header("Close the panel")
sure = st.checkbox("I understand: no more answers will be accepted and unused codes stop working")
if st.button("Close the panel", disabled=not sure):
    try:
        revoked = close_panel(db, actor, site.code, round_.id)
    except OcfError as error:
        show_error(error)
    else:
        flash(f"Panel closed; {counted(revoked, 'unused code')} revoked.")
        st.rerun()
