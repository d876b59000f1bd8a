"""The audit log (admins): every change, who made it, when, and what it was before and after."""

import pandas as pd
import streamlit as st

from app_pages.common import require_actor, store
from ocf.spreadsheet import csv_text
from ocf.store import AUDIT_COLUMNS

require_actor("admin")
db = store()
st.title("Audit log")
st.write("Append-only: the database itself refuses to change or delete an entry.")
a, b, c, d = st.columns(4)
entity = a.selectbox(
    "About",
    [
        "",
        "site",
        "round",
        "submission",
        "account",
        "invitation",
        "invitations",
        "panel",
        "detentions",
        "database",
    ],
    format_func=lambda e: e or "anything",
)
actor = b.text_input("By (start of the name)")
action = c.selectbox(
    "Action",
    [
        "",
        "add",
        "save",
        "submit",
        "reopen",
        "status",
        "issue",
        "revoke",
        "close",
        "import",
        "restore",
    ],
    format_func=lambda e: e or "any",
)
limit = d.number_input("Most recent", min_value=10, max_value=5000, value=200, step=50)
events = pd.DataFrame(
    db.audit_events(entity or None, int(limit), actor or None, action or None),
    columns=AUDIT_COLUMNS,
)
st.caption(f"{len(events)} event(s), newest first.")
st.dataframe(events, hide_index=True)
st.download_button("Download as CSV", csv_text(events), file_name="ocf-audit.csv", mime="text/csv")
