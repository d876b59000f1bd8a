"""Administration: imports with a preview — nothing is written before you confirm."""

from pathlib import PurePath

import pandas as pd
import streamlit as st

from app_pages.common import flash, require_actor, show_error, show_flash, store
from ocf.admin import confirm_detentions, confirm_responses, preview_detentions, preview_responses
from ocf.errors import OcfError

actor = require_actor("admin")
db = store()
st.title("Data imports")
show_flash()
if db.is_demo:
    st.info(
        "This is the demo database: you can preview a file here, but imports go into a real "
        "database only (docs/deployment.md).",
        icon=":material/science:",
    )

st.header("Detention data")
st.caption(
    "NHS England's Mental Health Act annual statistics CSV, or the template: site,period,measure,ethnic_group,count,population."
)
upload = st.file_uploader("Detention CSV", type=["csv"], key="detentions")
if upload is not None:
    # The uploaded bytes are parsed as they are: the client's file name names it in messages
    # and is never used as a path.
    name = PurePath(upload.name).name
    try:
        # Read as it comes, with a progress bar, and checked once per file (not on each rerun).
        checked = st.session_state.get("detentions-preview")
        if checked is None or checked[0] != upload.file_id:
            bar = st.progress(0.0, text=f"Reading {name}")
            try:
                found = preview_detentions(
                    db, actor, upload, name,
                    progress=lambda words, done: bar.progress(min(done, 1.0), text=words),
                )  # fmt: skip
            finally:
                bar.empty()
            checked = (upload.file_id, found)
            st.session_state["detentions-preview"] = checked
        preview = checked[1]
    except OcfError as error:
        show_error(error)
        preview = None
    if preview is not None:
        st.write(f"**{preview.adding}** row(s) will be added and **{preview.replacing}** replaced.")
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
        if st.button("Confirm the import", type="primary", key="confirm-detentions"):
            with st.spinner(f"Saving {preview.adding + preview.replacing:,} rows…"):
                added, replaced = confirm_detentions(db, actor, preview)
            st.session_state.pop("detentions-preview", None)
            flash(f"Imported {name}: {added} added, {replaced} replaced.")
            st.rerun()

st.header("Paper responses")
st.caption(
    "Long format: site,round,survey,respondent,item,value[,text]. Each respondent becomes one submitted, assisted response."
)
responses_file = st.file_uploader("Responses CSV", type=["csv"], key="responses")
if responses_file is not None:
    # Read as it comes, in bounded memory, with a progress bar; checked once per file (a
    # rerun, such as pressing Confirm, reuses the check rather than reading the file again).
    checked = st.session_state.get("responses-preview")
    if checked is None or checked[0] != responses_file.file_id:
        bar = st.progress(0.0, text=f"Reading {responses_file.name}")
        try:
            batch = preview_responses(
                db,
                actor,
                responses_file,
                PurePath(responses_file.name).name,
                lambda words, done: bar.progress(min(done, 1.0), text=words),
            )
        except OcfError as error:
            bar.empty()
            show_error(error)
            st.stop()
        bar.empty()
        checked = (responses_file.file_id, batch)
        st.session_state["responses-preview"] = checked
    batch = checked[1]
    st.write(f"**{len(batch):,}** response(s), **{batch.answers:,}** answers, will be added:")
    st.dataframe(batch.summary(), hide_index=True)
    if st.button("Confirm the import", type="primary", key="confirm-responses"):
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
            flash(f"Imported {count} response(s) from {responses_file.name}.")
            st.rerun()
