"""Helpers shared by pages: the store for this run, the shipped content, the demo notice."""

from __future__ import annotations

import streamlit as st

from ocf.loading import Library, load_shipped
from ocf.store import Store


def store() -> Store:
    """A store for this script run: Streamlit runs each rerun on its own thread."""
    return Store.open()


@st.cache_resource
def shipped() -> Library:
    """The shipped frameworks and surveys (frozen models, never mutated)."""
    return load_shipped()


def show_demo_notice() -> None:
    if store().is_demo:
        st.info(
            "**Demo.** All assessment data here are synthetic: the trusts, ICBs, ratings and "
            "panel answers are made up.",
            icon=":material/science:",
        )
