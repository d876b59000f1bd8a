"""The service user and carer panel survey: one section per screen, plain language."""

from dataclasses import replace

import streamlit as st

from app_pages.common import (
    browser_id,
    client_id,
    current_actor,
    shipped,
    show_error,
    sign_in_as,
    sign_out,
    store,
)
from app_pages.panel_language import choose_language, easy_read_lines, symbol
from app_pages.scripts import focus_part_heading
from app_pages.widgets import answers_on_screen, render_item
from ocf.access import UsedElsewhere, has_return_word, set_return_word, sign_in
from ocf.accountability import for_the_panel
from ocf.answers import missing_required, visible_items
from ocf.disclosure import effective_min_panel
from ocf.errors import DataError, OcfError
from ocf.languages import as_answered, in_language, interface
from ocf.panel_info import site_text
from ocf.submissions import open_panel_survey, save, submit, withdraw

PRIVACY = "app_pages/privacy.py"

# Larger question text: many panel members read on phones, some with low vision.
st.html(
    "<style>[data-testid='stWidgetLabel'] p {font-size: 1.2rem; line-height: 1.5;}"
    " [data-testid='stRadio'] label p {font-size: 1.1rem;}</style>"
)
db = store()
actor = current_actor()

if actor is None or actor.kind != "panel":
    # Before the code is known, the languages are those of the shipped panel survey.
    welcome = shipped().surveys["ocf-panel"]
    said = choose_language(welcome, "code-language")

    def words(key: str, **values: object) -> str:
        return interface(said, key, **values)

    if st.query_params.get("ended") == "withdrawn":
        st.success(words("withdrawn"), icon=":material/check_circle:")
    st.title(words("have_your_say"), anchor=False)  # no "link to heading" Tab stop
    st.write(words("welcome"))
    with st.form("invitation"):
        code = st.text_input(words("code_label"), help=words("code_help"))
        # A used code opens again only in the browser that used it, or with this word.
        word = ""
        if st.session_state.get("panel-used-elsewhere"):
            st.warning(words("code_elsewhere"))
            word = st.text_input(
                words("return_word_label"), type="password", help=words("return_word_help")
            )
        pressed = st.form_submit_button(words("start"), type="primary")
    st.page_link(PRIVACY, label=words("privacy_link"), icon=":material/lock:")
    if pressed:
        try:
            found = sign_in(db, code, client_id(), browser=browser_id(), return_word=word)
        except UsedElsewhere:
            if not st.session_state.get("panel-used-elsewhere"):
                st.session_state["panel-used-elsewhere"] = True
                st.rerun()  # asks for the return word
            st.error(words("code_elsewhere"))
            found = None
        except OcfError as error:
            show_error(error)
            found = None
        else:
            if found is None or found.kind != "panel":
                st.error(words("code_unknown"))
                found = None
        if found is not None:  # the survey opens in the language chosen here
            sign_in_as(found, next_page="panel_survey", language=said.code if said else "")
            st.rerun()
    st.stop()

if (round_ := db.rounds.get_round(actor.round)) is not None and round_.status == "published":
    # A member who answered comes back with their code to read what the trust said.
    panel = next(s for s in db.rounds.round_surveys(actor.round).values() if s.audience == "panel")
    said = choose_language(panel, "said-language")
    site_name = db.sites.require_site(actor.site).name
    st.title(interface(said, "said_title"))
    try:
        answers, doing = for_the_panel(db, actor)
    except OcfError as error:
        show_error(error)
        st.stop()
    st.write(interface(said, "said_intro", trust=site_name))
    if answers.empty:
        st.write(interface(said, "no_response"))
    else:
        st.table(answers.set_index("About"))
    st.header(interface(said, "doing_title"))
    if doing.empty:
        st.write(interface(said, "no_actions"))
    else:
        st.table(doing.set_index("About"))
    st.stop()

try:
    draft = open_panel_survey(db, actor)
except OcfError as error:
    show_error(error)
    st.stop()
framework = db.rounds.round_framework(draft.round)

# The version this person opened: a save from another tab or device in between is refused.
version_key = "panel-version"
st.session_state.setdefault(version_key, draft.version)
held = replace(draft, version=st.session_state[version_key])


def widget_key(item) -> str:
    return f"panel-{item.id}"


def keep_answers_on_screen() -> None:
    """Switching language saves what is on screen first, so no answer is lost."""
    section = draft.survey.sections[st.session_state.get("panel-section", 0)]
    typed = answers_on_screen(list(section.items), widget_key)
    if typed and not draft.submitted:
        try:  # a callback runs on the next run's thread: it opens its own store
            saved = save(store(), actor, held, typed)
        except OcfError:
            return  # the answers stay on screen; the next save reports what is wrong
        st.session_state[version_key] = saved.version


# Languages and Easy Read: English and each translation the survey carries, chosen at any time.
translation = choose_language(draft.survey, "panel-language", keep=keep_answers_on_screen)
easy_read = translation is not None and translation.easy_read
# A carer reads each question as a carer ("me or the person I care for").
given = {k: a.value for k, a in draft.answers.items()}
survey = as_answered(in_language(draft.survey, translation), given)
carers = draft.survey.carers
carer = carers is not None and given.get(carers.item) in carers.values


def words(key: str, **values: object) -> str:
    return interface(translation, key, **values)


def say(text: str) -> None:
    """A paragraph; in Easy Read, one sentence to a line."""
    st.markdown(easy_read_lines(text) if easy_read else text)


def offer_withdrawal() -> None:
    """Take my answers back: deleted, the code stops working, and the member is signed out."""
    with st.expander(words("withdraw_title")):
        say(words("withdraw"))
        sure = st.checkbox(words("withdraw_sure"), key="panel-withdraw-sure")
        if st.button(words("withdraw_button"), disabled=not sure, key="panel-withdraw"):
            try:
                withdraw(db, actor)
            except OcfError as error:
                show_error(error)
            else:
                sign_out("withdrawn", language=translation.code if translation else "")
                st.rerun()


def offer_return_word() -> None:
    """A word to come back with on another phone or computer: a used code opens nowhere else
    without it, so nobody who saw the code (a facilitator) can open these answers."""
    if has_return_word(db, actor):
        return
    with st.expander(words("return_word_label")):
        say(words("return_word_offer"))
        with st.form("return-word", clear_on_submit=True):
            word = st.text_input(words("return_word_label"), type="password")
            chosen = st.form_submit_button(words("return_word_save"))
        if chosen:
            try:
                set_return_word(db, actor, word)
            except DataError:
                st.error(words("return_word_offer"))
            except OcfError as error:
                show_error(error)
            else:
                st.success(words("return_word_saved"), icon=":material/check_circle:")


def privacy_link() -> None:
    st.page_link(PRIVACY, label=words("privacy_link"), icon=":material/lock:")


if draft.submitted:
    st.title(words("thanks_title"))
    say(survey.thanks)  # says the answers are saved (a "sent" above it said otherwise)
    if st.button(words("finish")):
        sign_out()
        st.rerun()
    privacy_link()
    offer_return_word()
    offer_withdrawal()
    st.stop()

sections = survey.sections
if "panel-section" not in st.session_state:
    # Come back to the part after the furthest one answered (optional parts may be blank).
    answered = [i for i, s in enumerate(sections) if any(it.id in draft.answers for it in s.items)]
    st.session_state["panel-section"] = min(max(answered) + 1, len(sections) - 1) if answered else 0
index = st.session_state["panel-section"]
section = sections[index]

if index == 0:
    st.title(survey.title)
else:  # after the first part the survey's title steps back and the part leads
    st.caption(survey.title)
least = effective_min_panel(framework.min_panel)
if index == 0:
    say(words("about", trust=db.sites.require_site(actor.site).name))
    say(survey.intro)
    st.subheader(words("promise_title"), anchor=False)
    say(words("promise", least=least))
    say(words("skip"))
privacy_link()
st.progress(index / len(sections), text=words("part", n=index + 1, total=len(sections)))
st.header(section.title, anchor=False)
if st.session_state.get("panel-moved") == index:
    # A new part: back to the top and focus on its heading (app_pages/scripts.py).
    focus_part_heading(index)
if section.intro:
    say(section.intro)
if carer and index > 0:
    st.caption(words("carer_note"))

# Widgets rerun the page on every change, so a question that depends on an earlier answer
# appears as soon as that answer is given.
current = dict(draft.answers)
values: dict[str, str | None] = {k: a.value for k, a in current.items()}
raw = {}
shown = {item.id for item in visible_items(survey, values)}
for item in section.items:
    if item.id not in shown:
        raw[item.id] = (None, None)
        continue
    if easy_read:
        # Easy Read: the symbol on the left of its question, the help as words, not a tooltip.
        picture, question = st.columns([1, 5], vertical_alignment="top")
        picture.html(symbol(translation.symbols[item.id]))
        with question:
            value, text = render_item(
                replace(item, help=""), framework.scale, current.get(item.id),
                key=widget_key(item), optional_mark=False,
            )  # fmt: skip
            if item.help:
                st.markdown(item.help)
    else:
        value, text = render_item(
            item, framework.scale, current.get(item.id), key=widget_key(item), optional_mark=False
        )
    raw[item.id] = (value, text)
    values[item.id] = value
    shown = {i.id for i in visible_items(survey, values)}
if section.support:
    # These questions may bring up something hard: where to get support, said by the site.
    st.subheader(words("support_title"), anchor=False)
    st.info(site_text(db, actor.site, "support") or words("support"), icon=":material/support:")

last = index == len(sections) - 1
back, forward = st.columns(2)
if index > 0 and back.button(words("back"), icon=":material/arrow_back:"):
    st.session_state["panel-section"] = st.session_state["panel-moved"] = index - 1
    st.rerun()
label = words("send") if last else words("continue")
if forward.button(
    label, type="primary", icon=":material/send:" if last else ":material/arrow_forward:"
):
    try:
        saved = save(db, actor, held, raw)
        st.session_state[version_key] = saved.version
        if last:
            submit(db, actor, saved)
        else:
            st.session_state["panel-section"] = st.session_state["panel-moved"] = index + 1
    except DataError as error:
        # What is still unanswered, in the member's language (the core's message is English).
        missing = missing_required(survey, open_panel_survey(db, actor).answers) if last else []
        if translation is None or not missing:
            show_error(error)
        else:
            for item in missing:
                st.error(words("required", question=item.text))
    except OcfError as error:
        show_error(error)
    else:
        st.rerun()
st.caption(words("saved"))
offer_return_word()
offer_withdrawal()
