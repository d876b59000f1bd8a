"""The accountability loop in a real browser (issue 17): the lead answers the panel and records
progress, the admin publishes after seeing what is unanswered, and a panel member reads the
trust's response with their invitation code. Its own server: it closes and publishes a round."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ocf.access import SYSTEM, issue_invitations, sign_in
from ocf.admin import set_round_status
from ocf.store import Store
from ocf.submissions import open_panel_survey, save, submit

from .conftest import running_app
from .helpers import (
    check_accessibility,
    demo_sign_in,
    expand,
    go,
    loads_a_page,
    open_app,
    screenshot,
    settle,
    sign_out,
    tab_to,
)

pytestmark = pytest.mark.browser
ROUND = "2025-26"


@pytest.fixture(scope="module")
def loop_app(tmp_path_factory: pytest.TempPathFactory):
    with running_app(tmp_path_factory.mktemp("loop")) as (url, db):
        store = Store.open(db)
        code = issue_invitations(store, SYSTEM, "XTA1", ROUND, 1)[0]
        member = sign_in(store, code)
        draft = open_panel_survey(store, member)
        raw = {i.id: (i.options[0].value, None) for i in draft.survey.items if i.required}
        submit(store, member, save(store, member, draft, raw))
        set_round_status(store, SYSTEM, ROUND, "close")
        store.close()
        yield url, db, code


def test_the_loop_from_the_leads_answer_to_the_panel_reading_it(browser, loop_app, axe_log) -> None:
    url, db, code = loop_app
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)  # a busy machine: every wait is for a condition
    page = context.new_page()

    demo_sign_in(page, url, "Equality lead")
    go(page, "Results")
    expect(page.get_by_role("heading", name="You said, we did")).to_be_visible()
    expand(page, "Write or change a response")
    page.get_by_label("What the panel said").fill("Staff did not explain our rights")
    page.get_by_label("What the trust accepts").fill("Rights were not explained well enough")
    page.get_by_label("What the trust will do").fill("Explain rights in each person's language")
    settle(page)
    page.get_by_role("button", name="Save the response").click()
    settle(page)
    expect(page.get_by_text("Saved the response on")).to_be_visible()
    expect(page.get_by_text("Explain rights in each person's language").first).to_be_visible()
    expand(page, "Add an action or record progress")
    page.get_by_label("What will be done").fill("Rights leaflet in twelve languages")
    page.get_by_label("Owner").fill("Head of patient experience")
    page.get_by_label("Progress note (dated today)").fill("Drafted with the panel")
    settle(page)
    page.get_by_role("button", name="Save the action").click()
    settle(page)
    expect(page.get_by_text("Saved the action.")).to_be_visible()
    expect(page.get_by_text("Drafted with the panel").first).to_be_visible()
    check_accessibility(page, "results: the loop", axe_log)
    sign_out(page)

    demo_sign_in(page, url, "Administrator")
    go(page, "Rounds")
    page.get_by_label("Reason (needed to reopen").fill("Board meets tomorrow; the rest follow")
    page.get_by_role("button", name="Publish").click()
    settle(page)
    expect(page.get_by_text("Accountability gaps without the trust's response")).to_be_visible()
    page.get_by_role("button", name=f"Yes, publish round {ROUND}").click()
    settle(page)
    expect(page.get_by_text(f"Round {ROUND} is now published.")).to_be_visible()
    assert Store.open(db).rounds.get_round(ROUND).status == "published"
    sign_out(page)

    member = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    member.set_default_timeout(60_000)
    phone = member.new_page()
    phone.goto(f"{url}/panel_survey")
    phone.wait_for_selector("h1")
    settle(phone)
    tab_to(phone, "el.getAttribute('aria-label') === 'Your invitation code'")
    phone.keyboard.type(code)
    loads_a_page(phone, lambda: phone.keyboard.press("Enter"))
    expect(phone.get_by_role("heading", name="What the trust said")).to_be_visible()
    expect(phone.get_by_text("Explain rights in each person's language")).to_be_visible()
    check_accessibility(phone, "panel: what the trust said", axe_log, strict=True)
    member.close()

    visitor = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor.set_default_timeout(60_000)
    anyone = visitor.new_page()  # signed out, no code
    open_app(anyone, url, "public")
    expect(anyone.get_by_role("heading", name="What the trust said to its panel")).to_be_visible()
    expect(anyone.get_by_text("Explain rights in each person's language")).to_be_visible()
    expect(anyone.get_by_text("Rights leaflet in twelve languages")).to_be_visible()
    # The detention figures (a sentence and a table by year) are on the page axe checks.
    expect(anyone.get_by_text("times as often as White people").first).to_be_visible()
    check_accessibility(anyone, "public summary", axe_log, strict=True)
    screenshot(anyone, "public-summary")
    visitor.close()
    context.close()
