"""Evidence on a page: the list with a download per file, and the form that adds a file or link.

Shared by the self-assessment (where the lead adds it) and the Evidence page (where the lead,
the facilitator, regulators and admins open it). The checks are in `ocf.evidence`.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from app_pages.common import Db, flash, show_error, store
from ocf.access import Actor
from ocf.display import plain
from ocf.errors import OcfError
from ocf.evidence import (
    ACCEPTED,
    MAX_BYTES,
    WHAT_IS_ACCEPTED,
    add_file,
    add_link,
    open_file,
    remove,
    size_words,
)
from ocf.tables import when


def describe(row: pd.Series) -> str:
    if row["kind"] == "link":
        return f"Link: {row['name']} ({row['url']})"
    return f"{row['name']} ({kind_and_size(row)})"


def kind_and_size(row: pd.Series) -> str:
    """'PDF, 12 kB': the file's kind and size, never its name (which may hold brackets)."""
    label = ACCEPTED.get(row["media_type"], (row["media_type"],))[0]
    return f"{label}, {size_words(int(row['size']))}"


def evidence_list(
    db: Db, actor: Actor, rows: pd.DataFrame, key: str, removable: bool = False
) -> None:
    """Each piece of evidence on its own line: a file to download (its SHA-256 shown, checked
    on the way out), a link to follow; with a Remove button where the reader may remove it."""
    for _, row in rows.iterrows():
        left, right = st.columns([4, 1])
        if row["kind"] == "link":
            # Someone's words and address, shown as typed: no markdown of theirs is run.
            address = row["url"].replace("(", "%28").replace(")", "%29")
            left.markdown(f"[{plain(row['name'])}]({address}) · link")
        else:
            left.markdown(f"**{plain(row['name'])}** · {kind_and_size(row)}")
            left.caption(
                f"SHA-256 {row['sha256']} · added {when(row['added_at'])} by "
                f"{plain(str(row['added_by']))}"
            )
            # The bytes are read (and checked against the SHA-256) only when the button is
            # pressed, never on each rerun: a page may list many files of up to 10 MB.
            right.download_button(
                "Download",
                partial(_file_bytes, actor, int(row["id"])),
                file_name=row["name"],
                mime=row["media_type"],
                key=f"{key}:get:{row['id']}",
                icon=":material/download:",
            )
        if removable and right.button("Remove", key=f"{key}:remove:{row['id']}"):
            try:
                remove(db, actor, int(row["id"]))
            except OcfError as error:
                show_error(error)
            else:
                flash(f"Removed {plain(row['name'])}.")
                st.rerun()


def _file_bytes(actor: Actor, evidence_id: int) -> bytes:
    """A file's bytes for a download, checked; runs on the click, with its own store."""
    return open_file(store(), actor, evidence_id).content


def evidence_form(db: Db, actor: Actor, site: str, round_id: str, competency: str) -> None:
    """Add a file or a link for one competency; a refused file is named with the reason."""
    with st.form(f"evidence:{site}:{round_id}:{competency}", clear_on_submit=True):
        upload = st.file_uploader(
            f"A file ({WHAT_IS_ACCEPTED}; at most {size_words(MAX_BYTES)})",
            key=f"evidence-file:{competency}",
        )
        url = st.text_input("Or a web address", placeholder="https://", key=f"url:{competency}")
        title = st.text_input("What the link is (optional)", key=f"title:{competency}")
        if st.form_submit_button("Add the evidence", icon=":material/attach_file:"):
            try:
                if upload is None and not url.strip():
                    st.warning("Choose a file or type a web address first.")
                    return
                if upload is not None:
                    add_file(db, actor, site, round_id, competency, upload.name, upload.getvalue())
                if url.strip():
                    add_link(db, actor, site, round_id, competency, url, title)
            except OcfError as error:
                show_error(error)
            else:
                flash("Added the evidence.")
                st.rerun()
