"""The panel survey in another language, in a real browser, at phone width, keyboard only:
a member starts in Polish, switches to Arabic (right to left) mid-survey without losing an
answer, and sends; axe finds nothing serious in either language; the answers are the same
values an English member's would be."""

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


def test_a_member_takes_the_survey_in_polish_then_arabic(browser, server, axe_log) -> None:
    url, db = server
    store = Store.open(db)
    code = issue_invitations(store, SYSTEM, "XTA1", ROUND, 1)[0]
    survey = store.round_surveys(ROUND)["ocf-panel"]
    earlier = set(store.list_submissions(ROUND)["id"])  # other journeys share this server
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    open_app(page, url, "panel_survey")
    tab_to(page, "el.getAttribute('aria-label') === 'Your invitation code'")
    page.keyboard.type(code)
    loads_a_page(page, lambda: page.keyboard.press("Enter"))

    for number, section in enumerate(survey.sections):
        language = "pl" if number < 2 else "ar"
        if number > 0:  # a new part: its heading has the focus (before anything else is chosen)
            page.wait_for_function(
                "(() => { const h = document.querySelector('.stMain h2');"
                " return h !== null && document.activeElement === h; })()"
            )
        if number in (0, 2):
            choose_language(page, survey.translations[language].name)
        shown = in_language(survey, survey.translations[language]).sections[number]
        expect(page.get_by_role("heading", name=shown.title)).to_be_visible()
        if language == "ar":
            direction = page.evaluate(
                "getComputedStyle(document.querySelector('.stMain .block-container')).direction"
            )
            assert direction == "rtl"
        if number in (1, 2):
            check_accessibility(
                page, f"panel survey ({language}): part {number + 1}", axe_log, strict=True
            )
            screenshot(page, f"panel-{language}-part-{number + 1}")
        for item, local in zip(section.items, shown.items, strict=True):
            if not item.required:
                continue
            tab_to(page, focused_in_group(local.text))
            page.keyboard.press("Space")
            for _ in range(3):
                page.keyboard.press("ArrowDown")  # the fourth option, "Agree", in any language
            settle(page)
        words = survey.translations[language].texts
        last = number == len(survey.sections) - 1
        tab_to(page, focused_button(words["interface.send" if last else "interface.continue"]))
        page.keyboard.press("Enter")
        settle(page)
        no_exception(page)
    expect(
        page.get_by_role("heading", name=survey.translations["ar"].texts["interface.thanks_title"])
    ).to_be_visible()
    rows = store.list_submissions(ROUND)
    submitted = rows[rows["respondent"].str.startswith("panel-") & ~rows["id"].isin(earlier)]
    assert list(submitted["status"]) == ["submitted"]
    answers = store.submission_answers(int(submitted["id"].iloc[0]))
    # The same stored values as in English: "4" (Agree) for every required question.
    assert {a.value for item, a in answers.items() if survey.item(item).required} == {"4"}
    context.close()
