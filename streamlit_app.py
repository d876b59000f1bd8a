"""Router only: page config, sign-in state, the navigation for the actor's role, the notice."""

import streamlit as st

from app_pages.common import (
    current_actor,
    flash_notice,
    show_demo_notice,
    show_notice,
    sign_in_as,
    sign_out,
    signed_on_email,
    store,
)
from ocf.access import sign_in_email, still_active
from ocf.memory import keep_freed_memory

keep_freed_memory()  # once per process: scoring reuses its freed arrays instead of faulting

st.set_page_config(
    page_title="OCF assessment platform", page_icon=":material/diversity_3:", layout="wide"
)


def page(path: str, title: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(f"app_pages/{path}.py", title=title, icon=f":material/{icon}:", default=default)


db = store()
actor = current_actor()
if actor is not None and actor.kind == "account" and not still_active(db, actor):
    # A revoked account loses access at its next page load, whichever way it signed in.
    sign_out()
    actor = None
    flash_notice("Your account has been closed, so you have been signed out.")
if actor is None and (email := signed_on_email()):
    # Single sign-on verified the email; the account it maps to decides what this person sees.
    actor = sign_in_email(db, email)
    if actor is not None:
        sign_in_as(actor)
role = actor.role if actor else None
home = page("home", "Home", "home", default=role != "panel")
frameworks = page("frameworks", "Frameworks", "account_tree")
panel_survey = page("panel_survey", "Panel survey", "forum", default=role == "panel")
self_assessment = page("self_assessment", "Self-assessment", "checklist")
results = page("results", "Results", "monitoring")
facilitation = page("facilitation", "Panel facilitation", "groups")
submissions = page("submissions", "Submissions", "inventory")
disparity = page("disparity", "Detention disparity", "query_stats")
linking = page("linking", "Maturity and disparity", "scatter_plot")
compare = page("compare", "Compare sites", "leaderboard")
systems = page("system", "Systems", "hub")
audit = page("audit", "Audit log", "history")
admin_sites = page("admin_sites", "Sites", "domain")
admin_rounds = page("admin_rounds", "Rounds", "event")
admin_content = page("admin_content", "Frameworks and surveys", "edit_document")
admin_accounts = page("admin_accounts", "Accounts", "badge")
admin_imports = page("admin_imports", "Data imports", "upload_file")
sign_in = page("sign_in", "Sign in", "login")

# A page not given to st.navigation cannot be opened: this is how each role gets its menu.
# Permissions are checked again in ocf for every read and write.
PAGES = {
    None: [home, sign_in, panel_survey, frameworks],
    "panel": [panel_survey],
    "lead": [home, self_assessment, results, disparity, frameworks],
    "facilitator": [home, facilitation, frameworks],
    "regulator": [home, compare, systems, results, disparity, linking, frameworks],
    # A flat menu: Streamlit's grouped navigation renders list markup that fails WCAG (axe).
    "admin": [
        home,
        self_assessment,
        results,
        compare,
        systems,
        disparity,
        linking,
        facilitation,
        submissions,
        admin_sites,
        admin_rounds,
        admin_content,
        admin_accounts,
        admin_imports,
        audit,
        frameworks,
    ],
}
navigation = st.navigation(PAGES[role], expanded=True)

with st.sidebar:
    if actor is not None:
        who = (
            "Panel member"
            if role == "panel"
            else f"{actor.name} ({role}{', ' + actor.site if actor.site else ''})"
        )
        st.caption(f"Signed in: {who}")
        if st.button("Sign out", icon=":material/logout:"):
            sign_out()
            if signed_on_email():
                # Ends the provider's session too, then returns to a fresh session. Stop here
                # rather than rerun, so that nothing overtakes the redirect.
                st.logout()
                st.stop()
            st.rerun()

# Streamlit's grey for captions and inline code (#828180) fails WCAG contrast (3.9:1); NHS
# secondary text colour passes (6.1:1).
st.html(
    "<style>[data-testid='stCaptionContainer'], [data-testid='stCaptionContainer'] *,"
    " .stMarkdown code {color: #4c6272 !important; opacity: 1 !important;}</style>"
)
show_demo_notice()
show_notice()
navigation.run()
