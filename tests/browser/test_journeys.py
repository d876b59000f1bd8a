"""Each role's journey in a real browser: what a person sees and what reaches the database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ocf.access import SYSTEM, issue_invitations
from ocf.store import Store

from .helpers import (
    check_accessibility,
    demo_sign_in,
    download,
    focused_button,
    focused_in_group,
    go,
    loads_a_page,
    no_exception,
    open_app,
    screenshot,
    settle,
    sign_out,
    tab_to,
)

pytestmark = pytest.mark.browser
ROUND = "2025-26"
PHONE = {"width": 390, "height": 844}


def fill_section(page, framework, domain, level: str = "2 · Achieving") -> None:
    page.get_by_role("radiogroup", name="Section").get_by_text(domain.title, exact=True).click()
    settle(page)
    for competency in domain.competencies:
        page.get_by_role("radiogroup", name=competency.title).get_by_text(level).click()
    page.get_by_role("button", name=f"Save {domain.title}").click()
    settle(page)
    no_exception(page)
    expect(page.get_by_text(f"Saved {domain.title}")).to_be_visible()


def test_lead_fills_part_reloads_resumes_and_submits(page, server, axe_log) -> None:
    url, db = server
    store = Store.open(db)
    framework = store.rounds.round_framework(ROUND)
    demo_sign_in(page, url, "Equality lead")
    check_accessibility(page, "home (lead)", axe_log)
    go(page, "Self-assessment")
    check_accessibility(page, "self-assessment", axe_log)
    screenshot(page, "self-assessment")
    fill_section(page, framework, framework.domains[2])

    page.reload()  # a reload keeps the session; the draft comes back from the database
    page.wait_for_selector("h1", timeout=30_000)
    settle(page)
    expect(page.get_by_role("heading", name="Self-assessment", level=1)).to_be_visible()
    page.get_by_role("radiogroup", name="Section").get_by_text(
        framework.domains[2].title, exact=True
    ).click()
    settle(page)
    first = framework.domains[2].competencies[0].title
    expect(
        page.get_by_role("radiogroup", name=first).get_by_role("radio", name="2 · Achieving")
    ).to_be_checked()

    for domain in framework.domains[3:]:
        fill_section(page, framework, domain, "1 · Developing")
    page.get_by_text("I have saved every section and checked the answers").click()
    settle(page)
    page.get_by_role("button", name="Submit the self-assessment").click()
    settle(page)
    no_exception(page)
    expect(page.get_by_text("Submitted. Only an administrator can reopen it.")).to_be_visible()
    row = store.submissions.get_submission("XTA1", ROUND, "ocf-self-assessment", "equality-lead")
    assert row.status == "submitted"
    answers = store.submissions.submission_answers(row.id)
    assert answers[f"{framework.domains[2].competencies[0].id}-level"].value == "2"


def test_panel_member_on_a_phone_uses_only_the_keyboard(browser, server, axe_log) -> None:
    url, db = server
    store = Store.open(db)
    code = issue_invitations(store, SYSTEM, "XTA1", ROUND, 1)[0]
    survey = store.rounds.round_surveys(ROUND)["ocf-panel"]
    earlier = set(
        store.submissions.list_submissions(ROUND)["id"]
    )  # other journeys share this server
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_app(page, url, "panel_survey")
    check_accessibility(page, "panel survey: code", axe_log, strict=True)
    screenshot(page, "panel-code")

    tab_to(page, "el.getAttribute('aria-label') === 'Your invitation code'")
    page.keyboard.type(code)
    loads_a_page(page, lambda: page.keyboard.press("Enter"))
    no_exception(page)
    for number, section in enumerate(survey.sections):
        expect(page.get_by_role("heading", name=section.title)).to_be_visible()
        check_accessibility(page, f"panel survey: part {number + 1}", axe_log, strict=True)
        screenshot(page, f"panel-part-{number + 1}")
        for item in section.items:
            if not item.required:
                continue
            label = item.text
            tab_to(page, focused_in_group(label))
            page.keyboard.press("Space")  # choose the focused option …
            for _ in range(3):
                page.keyboard.press("ArrowDown")  # … and move to "Agree"
            settle(page)
            expect(
                page.get_by_role("radiogroup", name=label).get_by_role(
                    "radio", name="Agree", exact=True
                )
            ).to_be_checked()
        last = number == len(survey.sections) - 1
        tab_to(page, focused_button("Send my answers" if last else "Save and continue"))
        page.keyboard.press("Enter")
        settle(page)
        no_exception(page)
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    check_accessibility(page, "panel survey: thank you", axe_log, strict=True)
    screenshot(page, "panel-thanks")
    rows = store.submissions.list_submissions(ROUND)
    submitted = rows[rows["respondent"].str.startswith("panel-") & ~rows["id"].isin(earlier)]
    assert list(submitted["status"]) == ["submitted"]
    answers = store.submissions.submission_answers(int(submitted["id"].iloc[0]))
    assert {a.value for item, a in answers.items() if survey.item(item).required} == {"4"}
    context.close()


def test_sign_in_page_is_accessible_at_both_widths(page, server, axe_log) -> None:
    url, _ = server
    open_app(page, url, "sign_in")
    check_accessibility(page, "sign in", axe_log, strict=True)
    screenshot(page, "sign-in")
    page.set_viewport_size(PHONE)
    settle(page)
    check_accessibility(page, "sign in (phone)", axe_log, strict=True)
    screenshot(page, "sign-in")


def test_regulator_compares_sites_and_downloads_a_board_report(page, server, axe_log) -> None:
    url, _ = server
    demo_sign_in(page, url, "Regulator")
    for link, name in [
        ("Compare sites", "compare"),
        ("Systems", "systems"),
        ("Detention disparity", "disparity"),
        ("Maturity and disparity", "linking"),
        ("Frameworks", "frameworks"),
    ]:
        go(page, link)
        if name == "disparity":  # England opens first: NHS England's standardised ratio
            expect(
                page.get_by_text("Standardised rate ratio, Black or Black British to White")
            ).to_be_visible()
            expect(page.get_by_text("Areas compared")).to_be_visible()
        check_accessibility(page, name, axe_log)
        screenshot(page, name)
    go(page, "Results")
    check_accessibility(page, "results", axe_log)
    shot = screenshot(page, "results")
    # The whole page, not its first screen: the results page is several screens long.
    assert int.from_bytes(shot.read_bytes()[20:24], "big") > 2 * page.viewport_size["height"]
    report = (
        download(
            page, page.get_by_role("button", name="Download the board report (HTML, printable)")
        )
        .path()
        .read_text()
    )
    assert "<h2>Summary</h2>" in report and "<h2>Action plan</h2>" in report
    page.set_viewport_size(PHONE)
    settle(page)
    screenshot(page, "results")


def test_facilitator_and_admin_pages_render_without_errors(page, server, axe_log) -> None:
    url, _ = server
    demo_sign_in(page, url, "Panel facilitator")
    go(page, "Panel facilitation")
    check_accessibility(page, "facilitation", axe_log)
    screenshot(page, "facilitation")
    sign_out(page)
    demo_sign_in(page, url, "Administrator")
    for link, name in [
        ("Submissions", "submissions"),
        ("Sites", "admin-sites"),
        ("Rounds", "admin-rounds"),
        ("Publish versions", "admin-content"),
        ("Accounts", "admin-accounts"),
        ("Data imports", "admin-imports"),
        ("Audit log", "audit"),
    ]:
        go(page, link)
        check_accessibility(page, name, axe_log)
        screenshot(page, name)
