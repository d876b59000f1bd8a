"""Administration: sites (trusts, ICBs, places), one at a time or many from a CSV."""

import streamlit as st

from app_pages.common import (
    decoded,
    flash,
    reader_zone,
    require_actor,
    show_error,
    show_flash,
    store,
)
from ocf.admin import add_site, add_sites, edit_site, preview_sites, retire_site
from ocf.display import counted, plain
from ocf.errors import OcfError
from ocf.models import SITE_KINDS
from ocf.tables import SITE_KINDS as KIND_WORDS
from ocf.tables import sites_table

actor = require_actor("manage-sites")
db = store()
st.title("Sites")
show_flash()

show_retired = st.checkbox("Show retired sites")
sites = db.sites.list_sites(include_retired=show_retired)
st.dataframe(sites_table(sites, reader_zone()), hide_index=True)
parents = [s.code for s in sites if s.kind in ("icb", "place") and not s.retired_at]
names = {s.code: s.name for s in sites}


def named(code: str | None) -> str:
    """A site as people know it: 'NHS North East ICB (QHM)'; '' for none."""
    return f"{names.get(code, code)} ({code})" if code else ""


st.header("Add a site")
with st.form("add-site", clear_on_submit=True):
    a, b, c = st.columns(3)
    code = a.text_input("Code (ODS style, e.g. RX4)")
    name = b.text_input("Name")
    kind = c.selectbox("Kind", SITE_KINDS, format_func=KIND_WORDS.get)
    d, e = st.columns(2)
    parent = d.selectbox(
        "Part of (ICB or place)", [None, *parents], format_func=lambda p: named(p) or "none"
    )
    cohort = e.text_input("Pilot cohort (optional)")
    if st.form_submit_button("Add the site", type="primary"):
        try:
            site = add_site(db, actor, code, name, kind, parent, cohort)
        except OcfError as error:
            show_error(error)
        else:
            flash(f"Added {plain(site.name)} ({plain(site.code)}).")
            st.rerun()

st.header("Edit or retire a site")
active = [s for s in sites if not s.retired_at]
if active:
    chosen = st.selectbox("Site", active, format_func=lambda s: f"{s.name} ({s.code})")
    with st.form("edit-site"):
        a, b, c, d = st.columns(4)
        name = a.text_input("Name", chosen.name)
        kind = b.selectbox(
            "Kind", SITE_KINDS, index=SITE_KINDS.index(chosen.kind), format_func=KIND_WORDS.get
        )
        options = [None, *[p for p in parents if p != chosen.code]]
        parent = c.selectbox(
            "Part of",
            options,
            index=options.index(chosen.parent) if chosen.parent in options else 0,
            format_func=lambda p: named(p) or "none",
        )
        cohort = d.text_input("Cohort", chosen.cohort or "")
        if st.form_submit_button("Save changes"):
            try:
                edit_site(db, actor, chosen.code, name, kind, parent, cohort)
            except OcfError as error:
                show_error(error)
            else:
                flash(f"Saved {chosen.code}.")
                st.rerun()
    st.caption(
        "Retiring keeps the site's history and results; sites that have been assessed are never deleted."
    )
    sure = st.checkbox(
        f"I understand: {chosen.name} leaves the lists of sites (its history and results stay)",
        key=f"retire-{chosen.code}",
    )
    if st.button(f"Retire {chosen.code}", disabled=not sure):
        retire_site(db, actor, chosen.code)
        flash(f"Retired {chosen.code}.")
        st.rerun()

st.header("Add many sites from a CSV")
st.caption("Columns: code,name[,kind,parent,cohort]. Nothing is added until you confirm.")
upload = st.file_uploader("Sites CSV", type=["csv"])
if upload is not None:
    try:
        new_sites = preview_sites(db, actor, decoded(upload), upload.name)
    except OcfError as error:
        show_error(error)
    else:
        st.write(f"{counted(len(new_sites), 'site')} will be added:")
        st.dataframe(sites_table(new_sites).drop(columns="Retired"), hide_index=True)
        if st.button("Confirm: add these sites", type="primary"):
            added = add_sites(db, actor, new_sites)
            flash(f"Added {counted(added, 'site')}.")
            st.rerun()
