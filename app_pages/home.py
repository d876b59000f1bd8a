"""Home: what the platform is for and where things stand."""

import streamlit as st

from app_pages.common import framework_titles, shipped, store
from ocf.tables import rounds_table

st.title("Organisational Competency Framework assessment")
st.markdown(
    """
Black people in England are detained under the Mental Health Act about **3.5 times** as often
as White people once age and sex are allowed for (NHS England, 2023-24), and some detailed
groups far more. This platform helps NHS mental health trusts, their
service user and carer panels, and regulators see how well an organisation tackles that
disparity, and whether that maturity goes with change in the figures.

- **Equality leads** rate their organisation on each competency, with evidence and actions.
- **Service user and carer panels** rate the same organisation independently, in plain language.
- The platform shows both views side by side, and where the organisation rates itself above
  what its panel sees.
"""
)

db = store()
sites, rounds, library = db.sites.list_sites(), db.rounds.list_rounds(), shipped()
left, middle, right = st.columns(3)
left.metric("Sites", len(sites))
middle.metric("Assessment rounds", len(rounds))
right.metric("Frameworks", len(library.frameworks))

st.header("Rounds")
if rounds:
    st.dataframe(rounds_table(rounds, framework_titles()), hide_index=True)
else:
    st.write("No rounds yet. An administrator opens one on the Rounds page.")

st.page_link(
    "app_pages/frameworks.py", label="Browse the frameworks", icon=":material/account_tree:"
)
