"""A phone's keyboard (issue 35): the menu, collapsed off screen, took the first Tab stops, and
the code box was the 16th. Hidden links take no focus; the scripts' frames none either."""

from __future__ import annotations

import pytest

from .helpers import check_accessibility, screenshot, settle

pytestmark = pytest.mark.browser


def test_on_a_phone_the_code_box_comes_within_a_few_tab_stops(browser, server) -> None:
    url, _ = server
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{url}/panel_survey")
    page.get_by_test_id("stTextInputField").first.wait_for()
    settle(page)
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        stops.append(
            page.evaluate(
                """(() => { const el = document.activeElement;
                return { label: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30),
                         tag: el.tagName,
                         inMenu: Boolean(el.closest('[data-testid=stSidebar]')) }; })()"""
            )
        )
        if stops[-1]["label"] == "Your invitation code":
            break
    assert stops[0]["label"] == "Skip to main content"  # the first stop skips to the page
    assert not any(stop["inMenu"] for stop in stops)  # nothing in the collapsed menu
    assert not any(stop["tag"] == "IFRAME" for stop in stops)  # no script frame either
    assert stops[-1]["label"] == "Your invitation code" and len(stops) <= 8
    screenshot(page, "phone-code-screen-focused")
    context.close()


def test_the_accessibility_statement_passes_axe_strictly(browser, server, axe_log) -> None:
    url, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{url}/accessibility")
    page.get_by_role("heading", name="Accessibility statement").wait_for()
    settle(page)
    check_accessibility(page, "accessibility statement", axe_log, strict=True)
    context.close()
