"""The panel's privacy notice: what happens to a member's answers, in their language.

Linked from the code screen and every part of the panel survey; open to everyone, signed in or
not, so that anyone can read the promise before taking part.
"""

import streamlit as st

from app_pages.common import current_actor, shipped, store
from app_pages.panel_language import choose_language, easy_read_lines
from ocf.disclosure import effective_min_panel
from ocf.languages import interface
from ocf.panel_info import kept_text, site_text
from ocf.submissions import open_panel_survey

db = store()
actor = current_actor()
member = actor is not None and actor.kind == "panel"
if member:  # the member's own survey and framework, as their round holds them
    survey = open_panel_survey(db, actor).survey
    framework = db.rounds.round_framework(actor.round)
else:
    survey = shipped().surveys["ocf-panel"]
    framework = shipped().frameworks[survey.framework]
translation = choose_language(survey, "privacy-language")
easy_read = translation is not None and translation.easy_read


def words(key: str, **values: object) -> str:
    return interface(translation, key, **values)


def say(text: str) -> None:
    st.markdown(easy_read_lines(text) if easy_read else text)


st.title(words("privacy_title"))
say(words("privacy_intro"))
if member:
    say(words("about", trust=db.sites.require_site(actor.site).name))
least = effective_min_panel(framework.min_panel)
st.header(words("who_sees_title"), anchor=False)
say(words("who_sees", least=least))
say(words("facilitator"))
st.header(words("words_title"), anchor=False)
say(words("words"))
st.header(words("kept_title"), anchor=False)
say(kept_text(db, actor.site if member else None, translation))
st.header(words("withdraw_title"), anchor=False)
say(words("withdraw"))
st.header(words("support_title"), anchor=False)
say((site_text(db, actor.site, "support") if member else None) or words("support"))
if actor is None or member:  # staff read the notice from their own menu: no survey to go back to
    st.page_link("app_pages/panel_survey.py", label=words("back"), icon=":material/arrow_back:")
