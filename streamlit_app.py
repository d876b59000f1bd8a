"""Router only: page config, the navigation, and the demo notice. Pages live in app_pages/."""

import streamlit as st

from app_pages.common import show_demo_notice

st.set_page_config(
    page_title="OCF assessment platform", page_icon=":material/diversity_3:", layout="wide"
)

navigation = st.navigation(
    [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/frameworks.py", title="Frameworks", icon=":material/account_tree:"),
    ]
)
show_demo_notice()
navigation.run()
