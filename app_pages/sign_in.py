"""Sign in with an access code; in the demo, one click per role."""

import streamlit as st

from app_pages.common import (
    browser_id,
    client_id,
    show_error,
    sign_in_as,
    sign_on_problems,
    signed_on,
    single_sign_on,
    store,
)
from ocf.access import sign_in
from ocf.demo import DEMO_SITE, demo_actor
from ocf.errors import OcfError

db = store()
st.title("Sign in")
# The page a signed-out visitor asked for (a bookmark, a reload), opened once they are in.
next_page = st.session_state.get("_next", "")
if next_page:
    st.info("Please sign in to open that page.")

if problems := sign_on_problems():
    st.error(
        "Single sign-on is switched off: its settings in `.streamlit/secrets.toml` are "
        "incomplete. Use an access code, and ask your administrator to fix:\n\n"
        + "\n".join(f"- {problem}" for problem in problems)
    )
elif single_sign_on():
    person = signed_on()
    if person is not None and person.refusal:
        st.error(person.refusal)
    elif person is not None:
        st.warning(
            f"You are signed in with your organisation account as {person.email}, but no account "
            "here uses that email, so you cannot see any staff page. Ask your administrator to "
            "add one."
        )
    if person is not None:
        st.button("Sign out of your organisation account", on_click=st.logout)
    else:
        st.button("Sign in with your organisation account", type="primary", on_click=st.login)
    st.write("Or use an access code:")

with st.form("sign-in"):
    code = st.text_input(
        "Access code",
        type="password",
        help="The code you were given, like K7QX-M2PD-4HTN. Capitals and dashes do not matter.",
    )
    pressed = st.form_submit_button("Sign in", type="primary")
if pressed:
    try:
        actor = sign_in(db, code, client_id(), browser=browser_id())
    except OcfError as error:
        show_error(error)
    else:
        if actor is None:
            st.error(
                "That code is not recognised. Check it, or ask your administrator for a new one."
            )
        else:
            sign_in_as(actor, next_page=next_page)
            st.rerun()

st.markdown(
    "**Service users and carers on a panel:** use the **Panel survey** page with the invitation "
    "code on your slip."
)

if db.is_demo:
    st.header("Demo: sign in with one click")
    st.write("Each button signs you in as a fictional person, to see what that role sees.")
    site = db.sites.get_site(DEMO_SITE)
    choices = [
        ("lead", f"Equality lead, {site.name}"),
        ("facilitator", f"Panel facilitator, {site.name}"),
        ("panel", "Panel member (a new invitation)"),
        ("regulator", "Regulator"),
        ("admin", "Administrator"),
    ]
    for role, label in choices:
        if st.button(label, key=f"demo-{role}"):
            try:
                sign_in_as(demo_actor(db, role), next_page=next_page)
            except OcfError as error:
                show_error(error)
            else:
                st.rerun()
