"""The panel member's language, shared by the panel survey and the privacy notice.

The choice is kept in the session under its own key as well as the widget's: Streamlit drops a
widget's state on a page that does not draw it, so the privacy notice and the survey would
otherwise forget it between them.
"""

from __future__ import annotations

import base64
from functools import cache

import streamlit as st

from app_pages.scripts import set_page_language
from ocf.languages import ENGLISH, SYMBOLS, Translation, interface, sentences
from ocf.models import Survey

CHOSEN = "member-language"


def choose_language(survey: Survey, key: str, keep=None) -> Translation | None:
    """A selectbox of English and the survey's translations; the page is set to read in the
    chosen language (right to left where it is written so, with the language named for screen
    readers) and a draft translation says so. `keep` runs before the change (on_change)."""
    names = {ENGLISH: "English", **{c: t.name for c, t in survey.translations.items()}}
    if len(names) == 1:
        return None
    words = dict.fromkeys(interface(survey.translations.get(c), "language") for c in names)

    def remember() -> None:
        if keep is not None:
            keep()
        st.session_state[CHOSEN] = st.session_state[key]

    # Kept in the session; after signing in (a new page load), from the address (?lang=pl).
    held = st.session_state.get(CHOSEN) or st.query_params.get("lang", ENGLISH)
    chosen = st.selectbox(
        " · ".join(words),
        list(names),
        index=list(names).index(held) if held in names else 0,
        format_func=lambda code: names.get(code, code),
        key=key,
        on_change=remember,
    )
    st.session_state[CHOSEN] = chosen
    translation = survey.translations.get(chosen)
    _read_in(translation)
    if translation is not None and translation.review == "draft":
        st.caption(interface(translation, "draft"))
    return translation


def _read_in(translation: Translation | None) -> None:
    rtl = translation is not None and translation.direction == "rtl"
    # A link's words wrap on a phone rather than being cut off ("Your privacy: what hap…").
    st.html(
        "<style>.stMain [data-testid^=stPageLink] * {white-space: normal !important;"
        " overflow: visible !important; text-overflow: clip !important;}</style>"
    )
    if rtl:  # the whole page reads right to left: questions, answers and buttons
        st.html(
            "<style>.stMain .block-container {direction: rtl; text-align: right;}"
            " .stMain .block-container :is(h1, h2, h3, p) {text-align: right;}</style>"
        )
    if translation is not None and translation.easy_read:
        # Easy Read: large text (at least 14 point) with plenty of space.
        st.html(
            "<style>.stMain .block-container :is(p, li, label) {font-size: 1.3rem !important;"
            " line-height: 1.7 !important;}</style>"
        )
    lang = (translation.lang or translation.code) if translation is not None else ENGLISH
    # Screen readers pronounce the page in its language (WCAG 3.1.1). The tag (validated by
    # the loader) reaches the fixed script as data only.
    set_page_language(lang)


@cache
def symbol(name: str) -> str:
    """An Easy Read symbol as an <img> beside its question. It shows the question's idea;
    the question itself is read out, so the picture has empty alt text (WCAG H67)."""
    data = base64.b64encode((SYMBOLS / f"{name}.svg").read_bytes()).decode()
    return f'<img src="data:image/svg+xml;base64,{data}" alt="" width="72" height="72">'


def easy_read_lines(text: str) -> str:
    """Easy Read puts each sentence on its own line."""
    return "  \n".join(sentences(text))
