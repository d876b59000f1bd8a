"""The panel survey in a real browser, at phone width, keyboard only, in English, in Easy Read,
in Polish switching to Arabic (right to left) and Romanian switching to Panjabi mid-survey: nothing is lost on the switch, axe
finds nothing serious in any of them, and the answers stored are the same, so they score the
same. On a phone the menu closes once a page is chosen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ocf.access import SYSTEM, issue_invitations
from ocf.languages import in_language
from ocf.store import Store

from .helpers import (
    check_accessibility,
    focused_button,
    focused_in_group,
    loads_a_page,
    no_exception,
    open_app,
    screenshot,
    settle,
    tab_to,
)

pytestmark = pytest.mark.browser
ROUND = "2025-26"
PHONE = {"width": 390, "height": 844}


def choose_language(page, name: str) -> None:
    tab_to(page, "el.getAttribute('aria-label')?.startsWith('Language')")
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    settle(page)
    no_exception(page)


def take_the_survey(browser, server, axe_log, languages: list[str | None]) -> dict[str, str]:
    """A new member signs in with a code and answers every required question "Agree" (the
    fourth option, in any language), part by part in `languages` (None: English), by keyboard
    at phone width. Returns the answers stored: item → value."""
    url, db = server
    store = Store.open(db)
    code = issue_invitations(store, SYSTEM, "XTA1", ROUND, 1)[0]
    survey = store.rounds.round_surveys(ROUND)["ocf-panel"]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    open_app(page, url, "panel_survey")
    tab_to(page, "el.getAttribute('aria-label') === 'Your invitation code'")
    page.keyboard.type(code)
    loads_a_page(page, lambda: page.keyboard.press("Enter"))
    name = " then ".join(dict.fromkeys(code or "en" for code in languages))
    for number, section in enumerate(survey.sections):
        language = languages[number]
        translation = survey.translations.get(language) if language else None
        if number > 0:  # a new part: its heading has the focus (before anything else is chosen)
            page.wait_for_function(
                "(() => { const h = document.querySelector('.stMain h2');"
                " return h !== null && document.activeElement === h; })()"
            )
        if language != (languages[number - 1] if number else None):
            choose_language(page, translation.name if translation else "English")
        shown = in_language(survey, translation).sections[number]
        expect(page.get_by_role("heading", name=shown.title)).to_be_visible()
        lang = (translation.lang or translation.code) if translation else "en"
        page.wait_for_function(f"document.documentElement.lang === {lang!r}")  # for screen readers
        direction = page.evaluate(
            "getComputedStyle(document.querySelector('.stMain .block-container')).direction"
        )
        assert direction == ("rtl" if translation and translation.direction == "rtl" else "ltr")
        if translation is not None and translation.easy_read and section.items:
            pictures = page.locator(".stMain img[src^='data:image/svg+xml']")
            expect(pictures.first).to_be_visible()
            assert pictures.count() >= 1
        if number in (1, 4):  # a part with many questions, and the one with support after it
            check_accessibility(
                page, f"panel survey ({name}): part {number + 1}", axe_log, strict=True
            )
            screenshot(page, f"panel-{name.replace(' ', '-')}-part-{number + 1}")
        for item, local in zip(section.items, shown.items, strict=True):
            if not item.required:
                continue
            tab_to(page, focused_in_group(local.text))
            page.keyboard.press("Space")
            for _ in range(3):
                page.keyboard.press("ArrowDown")  # the fourth option, "Agree", in any language
            settle(page)
        last = number == len(survey.sections) - 1
        button = (translation.texts if translation else {}).get(
            "interface.send" if last else "interface.continue"
        ) or ("Send my answers" if last else "Save and continue")
        tab_to(page, focused_button(button))
        page.keyboard.press("Enter")
        settle(page)
        no_exception(page)
    thanks = translation.texts["interface.thanks_title"] if translation else "Thank you"
    expect(page.get_by_role("heading", name=thanks)).to_be_visible()
    check_accessibility(page, f"panel survey ({name}): sent", axe_log, strict=True)
    context.close()
    rows = store.submissions.list_submissions(ROUND)
    mine = rows[rows["respondent"].str.startswith("panel-")].sort_values("id").iloc[-1]
    assert mine["status"] == "submitted"
    return {k: a.value for k, a in store.submissions.submission_answers(int(mine["id"])).items()}


def test_the_same_answers_in_english_easy_read_and_polish_then_arabic(
    browser, server, axe_log
) -> None:
    parts = len(Store.open(server[1]).rounds.round_surveys(ROUND)["ocf-panel"].sections)
    english = take_the_survey(browser, server, axe_log, [None] * parts)
    easy = take_the_survey(browser, server, axe_log, ["easy"] * parts)
    switched = take_the_survey(browser, server, axe_log, ["pl"] * 2 + ["ar"] * (parts - 2))
    assert english == easy == switched  # stored alike, so scored alike
    assert set(english.values()) == {"4"}  # "Agree" to every required question


def test_romanian_then_panjabi_store_the_same_answers_and_pass_axe(
    browser, server, axe_log
) -> None:
    """Issue 33: the two languages added in version 5, each named on the document for screen
    readers, axe strict on a long part, the part on force and the thank-you page."""
    parts = len(Store.open(server[1]).rounds.round_surveys(ROUND)["ocf-panel"].sections)
    answers = take_the_survey(browser, server, axe_log, ["ro"] * 3 + ["pa"] * (parts - 3))
    assert set(answers.values()) == {"4"}  # "Agree" to every required question, as in English


def test_on_a_phone_the_menu_closes_once_a_page_is_chosen(browser, server) -> None:
    url, db = server
    code = issue_invitations(Store.open(db), SYSTEM, "XTA1", ROUND, 1)[0]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    open_app(page, url, "panel_survey")
    page.get_by_role("textbox", name="Your invitation code").fill(code)
    loads_a_page(page, page.get_by_role("button", name="Start").click)
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    page.locator("[data-testid=stExpandSidebarButton]").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    sidebar.get_by_role("link", name="Panel privacy notice").click()
    settle(page)
    expect(page.get_by_role("heading", name="Your privacy", exact=True)).to_be_visible()
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    # Back to the survey from the notice, where the member left it.
    page.get_by_role("link", name="Back").click()
    settle(page)
    no_exception(page)
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    context.close()
