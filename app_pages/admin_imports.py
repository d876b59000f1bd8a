"""Administration: imports with a preview — nothing is written before you confirm."""

from pathlib import PurePath

import pandas as pd
import streamlit as st

from app_pages.common import flash, require_actor, show_error, show_flash, store
from ocf.admin import confirm_detentions, confirm_responses, preview_detentions, preview_responses
from ocf.display import counted, plain
from ocf.errors import OcfError

actor = require_actor("import-data")
db = store()
st.title("Data imports")
show_flash()
DEMO_ONLY_PREVIEW = (
    "This is the demo database: you can preview a file here, but imports go into a real "
    "database only (docs/deployment.md)."
)
if db.is_demo:
    st.info(DEMO_ONLY_PREVIEW, icon=":material/science:")


def checked_once(upload, key: str, check):
    """What `check(name, progress)` makes of an uploaded file, shown with a progress bar and
    made once per file: a rerun, such as pressing Confirm, reuses it rather than reading the
    file again. None, with the problems shown, when the file is refused. The client's file name
    only names the file in messages; it is never used as a path."""
    name = PurePath(upload.name).name
    held = st.session_state.get(key)
    if held is None or held[0] != upload.file_id:
        bar = st.progress(0.0, text=f"Reading {name}")
        try:
            found = check(name, lambda words, done: bar.progress(min(done, 1.0), text=words))
        except OcfError as error:
            show_error(error)
            return None
        finally:
            bar.empty()
        held = st.session_state[key] = (upload.file_id, found)
    return held[1]


st.header("Detention data")
st.caption(
    "NHS England's Mental Health Act annual statistics CSV, or the template: site,period,measure,ethnic_group,count,population, and optionally denominator_kind (people, occupied bed days or admissions: what the population column counts)."
)
upload = st.file_uploader("Detention CSV", type=["csv"], key="detentions")
preview = (
    None
    if upload is None
    else checked_once(
        upload,
        "detentions-preview",
        lambda name, progress: preview_detentions(db, actor, upload, name, progress=progress),
    )
)
if preview is not None:
    st.write(
        f"**{counted(preview.adding, 'row')}** will be added and **{preview.replacing}** replaced."
    )
    if preview.report.skipped:
        st.table(
            pd.DataFrame(
                {
                    "Skipped": list(preview.report.skipped),
                    "Rows": list(preview.report.skipped.values()),
                }
            ).set_index("Skipped")
        )
    for note in preview.report.notes:
        st.caption(note)
    if st.button(
        "Confirm the import",
        type="primary",
        key="confirm-detentions",
        disabled=db.is_demo,  # said at the top: it offered itself, then refused
        help=DEMO_ONLY_PREVIEW if db.is_demo else None,
    ):
        try:
            with st.spinner(f"Saving {preview.adding + preview.replacing:,} rows…"):
                added, replaced = confirm_detentions(db, actor, preview)
        except OcfError as error:
            show_error(error)
        else:
            st.session_state.pop("detentions-preview", None)
            flash(f"Imported {plain(preview.source)}: {added} added, {replaced} replaced.")
            st.rerun()

st.header("Paper responses")
st.caption(
    "Long format: site,round,survey,respondent,item,value[,text]. Each respondent becomes one submitted, assisted response."
)
responses_file = st.file_uploader("Responses CSV", type=["csv"], key="responses")
batch = (
    None
    if responses_file is None
    else checked_once(
        responses_file,
        "responses-preview",
        lambda name, progress: preview_responses(db, actor, responses_file, name, progress),
    )
)
if batch is not None:
    st.write(
        f"**{counted(len(batch), 'response')}**, **{counted(batch.answers, 'answer')}**, "
        "will be added:"
    )
    st.dataframe(batch.summary(), hide_index=True)
    if st.button(
        "Confirm the import",
        type="primary",
        key="confirm-responses",
        disabled=db.is_demo,
        help=DEMO_ONLY_PREVIEW if db.is_demo else None,
    ):
        bar = st.progress(0.0, text="Saving")
        try:
            count = confirm_responses(
                db, actor, batch, progress=lambda words, done: bar.progress(done, text=words)
            )
        except OcfError as error:
            bar.empty()
            show_error(error)
        else:
            st.session_state.pop("responses-preview", None)
            flash(f"Imported {counted(count, 'response')} from {plain(batch.source)}.")
            st.rerun()
