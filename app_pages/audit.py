"""The audit log (admins): every change, who made it, when, and what it was before and after."""

import streamlit as st

from app_pages.common import reader_zone, require_actor, store
from ocf.admin import audit_check, audit_filters, audit_log
from ocf.display import counted
from ocf.spreadsheet import csv_text
from ocf.tables import audit_table

actor = require_actor("read-audit-log")
db = store()
st.title("Audit log")
check = audit_check(db, actor)
if check.intact:
    st.success(
        f"Verified: the hash chain of all {check.entries} entries is intact. The database also "
        "refuses to change or delete an entry.",
        icon=":material/verified:",
    )
else:
    st.error(
        f"**Broken.** {check.summary()}. Restore the last good backup and investigate.",
        icon=":material/gpp_bad:",
    )
entities, actions = audit_filters(db, actor)
a, b, c, d = st.columns(4)
entity = a.selectbox("About", ["", *entities], format_func=lambda e: e or "anything")
by = b.text_input("By (start of the name)")
action = c.selectbox("Action", ["", *actions], format_func=lambda e: e or "any")
limit = d.number_input("Most recent", min_value=10, max_value=5000, value=200, step=50)
events = audit_log(db, actor, entity or None, int(limit), by or None, action or None)
st.caption(f"{counted(len(events), 'event')}, newest first.")
st.dataframe(audit_table(events, reader_zone()), hide_index=True)
# The download keeps the raw log (UTC timestamps, actor labels, JSON), as `ocf audit` does.
st.download_button("Download as CSV", csv_text(events), file_name="ocf-audit.csv", mime="text/csv")
