"""Router only: page config, sign-in state, the navigation for the actor's role, the notice."""

from pathlib import Path

import streamlit as st

from app_pages.common import (
    SIGNED_OUT,
    current_actor,
    current_page,
    flash_notice,
    follow_redirect,
    resume_session,
    session_token,
    show_demo_notice,
    show_notice,
    sign_in_as,
    sign_out,
    signed_on_email,
    store,
)
from app_pages.scripts import close_menu_on_choice
from ocf import sessions
from ocf.access import sign_in_email, still_active
from ocf.display import plain
from ocf.memory import keep_freed_memory
from ocf.permissions import Role, allowed
from ocf.tables import ROLE_TITLES

keep_freed_memory()  # once per process: scoring reuses its freed arrays instead of faulting

# The icon is the project's own file: a material icon as favicon is fetched from Google's
# servers, which NHS networks and these machines block (the app must work offline).
st.set_page_config(
    page_title="OCF assessment platform",
    page_icon=str(Path(__file__).parent / "assets" / "favicon.png"),
    layout="wide",
)


def page(path: str, title: str, icon: str, **options) -> st.Page:
    return st.Page(f"app_pages/{path}.py", title=title, icon=f":material/{icon}:", **options)


db = store()
actor = current_actor()
token = st.session_state.get("_token") or session_token()
if actor is not None and actor.kind == "account" and not still_active(db, actor):
    # A revoked account loses access at its next page load, whichever way it signed in.
    sign_out("closed")
    actor = None
elif token is not None and (resumed := sessions.resume(db, token)) is not None:
    if actor is None:  # a reload, a deep link, a new tab: the session cookie signs back in
        resume_session(resumed, token)
    actor = resumed
elif token is not None:
    # The session has ended (idle, too long, or signed out elsewhere): clear its cookie, and say
    # so on the page asked for, where signing in again leads back.
    sign_out("idle")
    actor = None
elif actor is None and (email := signed_on_email()):
    # Single sign-on verified the email; the account it maps to decides what this person sees.
    actor = sign_in_email(db, email)
    if actor is not None:
        sign_in_as(actor, next_page=current_page(), single_sign_on=True)
follow_redirect()
if (ended := st.query_params.get("ended")) in SIGNED_OUT:
    flash_notice(SIGNED_OUT[ended])
    del st.query_params["ended"]
role = actor.role if actor else None
home = page("home", "Home", "home")
frameworks = page("frameworks", "Frameworks", "account_tree")
panel_survey = page("panel_survey", "Panel survey", "forum")
self_assessment = page("self_assessment", "Self-assessment", "checklist")
results = page("results", "Results", "monitoring")
evidence = page("evidence", "Evidence", "attach_file")
facilitation = page("facilitation", "Panel facilitation", "groups")
comments = page("comments", "Panel comments", "rate_review")
submissions = page("submissions", "Submissions", "inventory")
disparity = page("disparity", "Detention disparity", "query_stats")
linking = page("linking", "Maturity and disparity", "scatter_plot")
compare = page("compare", "Compare sites", "leaderboard")
systems = page("system", "Systems", "hub")
audit = page("audit", "Audit log", "history")
admin_sites = page("admin_sites", "Sites", "domain")
admin_rounds = page("admin_rounds", "Rounds", "event")
admin_content = page("admin_content", "Publish versions", "edit_document")
admin_accounts = page("admin_accounts", "Accounts", "badge")
admin_imports = page("admin_imports", "Data imports", "upload_file")
sign_in = page("sign_in", "Sign in", "login")
public = page("public", "Public summary", "public")
privacy = page("privacy", "Panel privacy notice", "lock")
accessibility = page("accessibility", "Accessibility", "accessibility_new")

# The menu, grouped by task; each role sees the pages it may use. A page not given to
# st.navigation cannot be opened: this is how each role gets its menu. Permissions are checked
# again in ocf for every read and write.
SECTIONS = {
    "": [home, sign_in, public, frameworks, accessibility],
    "Assess": [self_assessment, results, evidence],
    "Panel": [panel_survey, facilitation, comments, privacy],
    "Compare": [compare, systems],
    "Data": [disparity, linking, admin_imports],
    "Administer": [admin_sites, admin_rounds, admin_accounts, submissions, admin_content, audit],
}
# The page each action opens: a role finds a page in its menu when ocf.permissions allows it
# the page's action ("public" is a visitor not signed in), so adding a role or changing what
# one may open is an edit to the action table alone.
PAGE_ACTIONS = {
    home: "open-home",
    panel_survey: "answer-panel-survey",  # a panel member's first page
    sign_in: "sign-in",
    public: "read-public-summary",
    frameworks: "read-frameworks",
    accessibility: "read-accessibility",
    self_assessment: "self-assess",
    results: "open-results",
    evidence: "view-evidence",
    facilitation: "see-panel-status",
    comments: "review-comments",
    privacy: "read-panel-privacy",
    compare: "compare-sites",
    systems: "compare-sites",
    disparity: "view-disparity",
    linking: "link-disparity",
    admin_imports: "import-data",
    admin_sites: "manage-sites",
    admin_rounds: "manage-rounds",
    admin_accounts: "manage-accounts",
    submissions: "manage-submissions",
    admin_content: "publish-content",
    audit: "read-audit-log",
}
ROLE_NAMES = {
    "lead": "equality leads",
    "facilitator": "panel facilitators",
    "regulator": "regulators",
    "admin": "administrators",
    "panel": "panel members",
}


def kept_at_its_address(target: st.Page) -> st.Page:
    """A page this person cannot use, kept at its address so that a bookmark or a reload never
    reads "Page not found": a signed-out visitor signs in there and then sees the page."""
    if actor is None:
        return st.Page(
            "app_pages/sign_in.py", title="Sign in", url_path=target.url_path, visibility="hidden"
        )

    def explain() -> None:
        st.title(target.title)
        if target is sign_in:
            st.info("You are signed in already. To use another account, sign out first.")
            return
        action = PAGE_ACTIONS[target]
        users = [ROLE_NAMES[r] for r in ROLE_NAMES if allowed(Role(r), action)]
        you = "a panel member" if actor.kind == "panel" else f"one of the {ROLE_NAMES[role]}"
        st.warning(
            f"This page is for {' and '.join(users)}; you are signed in as {you}. "
            "Choose a page from the menu, or sign out to use another account."
        )

    return st.Page(explain, title=target.title, url_path=target.url_path, visibility="hidden")


mine = [p for p, action in PAGE_ACTIONS.items() if allowed(Role(role or "public"), action)]
everyone = list(PAGE_ACTIONS)
elsewhere = [kept_at_its_address(p) for p in everyone if p not in mine]
# Streamlit serves a menu's first page at "/" and, by its name, nowhere: it answers to its
# name too (/home, /panel_survey) as a hidden page, for bookmarks, reloads and sign-in's return.
first, script = mine[0], f"app_pages/{mine[0].url_path}.py"
front = st.Page(script, title=first.title, icon=first.icon, url_path="start", default=True)
by_name = st.Page(script, title=first.title, url_path=first.url_path, visibility="hidden")
menu = {
    section: [front if p is first else p for p in pages if p in mine]
    for section, pages in SECTIONS.items()
}
menu = {section: pages for section, pages in menu.items() if pages}
if first not in SECTIONS[""]:  # a panel member's menu is their survey and its privacy notice
    menu = {"": [front, privacy, accessibility]}
menu[next(iter(menu))] += [*elsewhere, by_name]  # hidden: never shown in the menu
# Streamlit's own grouped menu puts each section's header and items in a <div> inside its <ul>,
# which fails WCAG 1.3.1 (axe: list, listitem); so it routes, hidden, and the menu is drawn
# below with page links under a heading per task.
navigation = st.navigation(menu, position="hidden")
# Where sign-in and sign-out come back to (a page not yet usable included: the one asked for).
st.session_state["_page"] = navigation.url_path
st.session_state["_next"] = navigation.url_path if navigation in elsewhere else ""

with st.sidebar:
    for section, pages in menu.items():
        if section:
            st.subheader(section, anchor=False)
        for item in pages:
            if item.visibility == "visible":
                st.page_link(item)
    if actor is not None:
        who = (
            "Panel member"
            if actor.kind == "panel"
            else f"{actor.name} ({ROLE_TITLES.get(role, role)}"
            + (f", {db.sites.get_site(actor.site).name})" if actor.site else ")")
        )
        st.caption(f"Signed in: {plain(who)}")
        if st.button("Sign out", icon=":material/logout:"):
            sign_out()  # ends single sign-on's session too, when that is how they signed in
            st.rerun()

# Streamlit's grey for captions and inline code (#828180) fails WCAG contrast (3.9:1); NHS
# secondary text colour passes (6.1:1).
st.html(
    "<style>[data-testid='stCaptionContainer'], [data-testid='stCaptionContainer'] *,"
    " .stMarkdown code {color: #4c6272 !important; opacity: 1 !important;}"
    # A collapsed menu is off screen, yet its links took the first Tab stops on a phone (the
    # code box was the 16th): hidden, they take none until the menu is opened.
    " [data-testid='stSidebar'][data-collapsed='true'] {visibility: hidden;}</style>"
)
# On a phone the menu covers the page: close it once a page is chosen (app_pages/scripts.py).
# Drawn in the menu, where it takes no room from the page.
with st.sidebar:
    close_menu_on_choice()
show_demo_notice()
show_notice()
navigation.run()
