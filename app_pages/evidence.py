"""Evidence behind each rating: files (downloaded as stored, their SHA-256 shown) and links."""

import streamlit as st

from app_pages.common import choose_round_and_site, require_actor, show_error, store
from app_pages.evidence_parts import evidence_list
from ocf.display import plain
from ocf.errors import OcfError
from ocf.evidence import MAX_BYTES, NO_EVIDENCE, WHAT_IS_ACCEPTED, listing, size_words
from ocf.permissions import allowed_rounds

actor = require_actor("view-evidence")
db = store()
st.title("Evidence")
st.write(
    "The files and links a trust gave for its self-assessment ratings, by competency. Files are "
    f"checked by their content ({WHAT_IS_ACCEPTED}, at most {size_words(MAX_BYTES)}) and kept "
    "with their SHA-256, so a copy can be checked against it. A rating above the lowest level "
    f"without a file or link reads “{NO_EVIDENCE}” on the results and in the board report."
)
rounds = allowed_rounds(actor, "view-evidence", db.rounds.list_rounds())
if not rounds:
    st.info("No rounds to show yet: regulators see a round's evidence once it is published.")
    st.stop()
round_, site = choose_round_and_site(db, actor, rounds)
try:
    evidence = listing(db, actor, site.code, round_.id)
except OcfError as error:
    show_error(error)
    st.stop()
framework = db.rounds.round_framework(round_.id)
if evidence.empty:
    st.info(f"{plain(site.name)} has given no files or links in round {round_.id}.")
    st.stop()
for domain in framework.domains:
    inside = [c for c in domain.competencies if c.id in set(evidence["competency"])]
    if not inside:
        continue
    st.header(domain.title)
    for competency in inside:
        st.subheader(competency.title)
        rows = evidence[evidence["competency"] == competency.id]
        evidence_list(db, actor, rows, key=f"evidence:{competency.id}")
