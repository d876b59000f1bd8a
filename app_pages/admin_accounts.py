"""Administration: staff accounts, their codes, and printable panel invitation slips."""

import streamlit as st

from app_pages.common import (
    choose_round,
    flash,
    public_address,
    reader_zone,
    require_actor,
    show_error,
    show_flash,
    store,
)
from ocf.access import ROLES, issue_invitations
from ocf.admin import accounts, create_account, reset_code, revoke_account
from ocf.display import plain
from ocf.errors import OcfError
from ocf.reports import SLIP_ADDRESS_UNKNOWN, invitation_slips
from ocf.tables import ROLE_TITLES, accounts_table

actor = require_actor("manage-accounts")
db = store()
st.title("Accounts and invitations")
show_flash()

trusts = [s for s in db.sites.list_sites() if s.kind == "trust"]

st.header("Create an account")
if db.is_demo:
    st.info(
        "This is the demo database: anyone who opens it can sign in as any role, so it takes "
        "no real accounts. Create accounts in a real database (docs/deployment.md).",
        icon=":material/science:",
    )
with st.form("account", clear_on_submit=True):
    a, b, c, d = st.columns(4)
    name = a.text_input("Name")
    role = b.selectbox("Role", ROLES, format_func=ROLE_TITLES.get)
    site = c.selectbox(
        "Site (leads and facilitators)",
        [None, *trusts],
        format_func=lambda s: s.name if s else "none",
    )
    email = d.text_input("Email (for single sign-on; optional)")
    if st.form_submit_button("Create", type="primary"):
        try:
            code = create_account(db, actor, name, role, site.code if site else None, email)
        except OcfError as error:
            show_error(error)
        else:
            st.success(
                f"Account created. Give {plain(name)} this access code; it is shown only now:"
            )
            st.code(code, language=None)

# Read after the form above ran, so an account just created is listed.
listed = accounts(db, actor)
st.header("Accounts")
st.dataframe(accounts_table(listed, reader_zone()), hide_index=True)
if listed:
    st.subheader("Reset or revoke")
    chosen = st.selectbox(
        "Account",
        listed,
        format_func=lambda a: f"{a.name} ({a.role}{', ' + a.site if a.site else ''})",
    )
    left, right = st.columns(2)
    if left.button("Issue a new code (the old one stops working)"):
        try:
            code = reset_code(db, actor, chosen.id)
        except OcfError as error:
            show_error(error)
        else:
            st.success("New code, shown only now:")
            st.code(code, language=None)
    if right.button("Revoke this account"):
        revoke_account(db, actor, chosen.id)
        flash(f"Revoked {plain(chosen.name)}.")
        st.rerun()

st.header("Panel invitation slips")
open_rounds = [r for r in db.rounds.list_rounds() if r.status == "open"]
if not open_rounds or not trusts:
    st.write("Invitations need an open round and a trust.")
else:
    with st.form("slips"):
        a, b, c = st.columns(3)
        slip_site = a.selectbox("Site", trusts, format_func=lambda s: s.name)
        slip_round = choose_round(open_rounds, where=b)
        count = c.number_input("How many", min_value=1, max_value=100, value=10)
        make = st.form_submit_button("Make the slips", type="primary")
    address = public_address()
    if address is None:
        st.warning(
            "The platform's public address is not set (OCF_PUBLIC_URL, docs/deployment.md), so "
            "the slips tell members to use the address their facilitator gives them."
        )
    if make:
        try:
            codes = issue_invitations(db, actor, slip_site.code, slip_round.id, int(count))
        except OcfError as error:
            show_error(error)
        else:
            sheet = invitation_slips(
                codes, slip_site.name, slip_round.id, address or SLIP_ADDRESS_UNKNOWN
            )
            name = f"slips-{slip_site.code}-{slip_round.id}.html"
            st.session_state["slip_sheet"] = (len(codes), sheet, name)
    if slips := st.session_state.get("slip_sheet"):
        st.success(
            f"{slips[0]} codes issued. Download the sheet: the codes are not shown again once "
            "you press Done."
        )
        left, right = st.columns(2)
        left.download_button(
            "Printable slips (HTML)", slips[1], file_name=slips[2], mime="text/html"
        )
        if right.button("Done: I have the slips"):
            st.session_state.pop("slip_sheet", None)
            st.rerun()
