"""The panel's words and the trust's evidence in a real browser (issue 17): the facilitator
closes the panel, then reviews a comment (not before: issue 30), opens the trust's evidence,
and the equality lead reads the approved words. Its own server: it changes the demo database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ocf.store import Store

from .conftest import running_app
from .helpers import check_accessibility, demo_sign_in, download, go, screenshot, settle, sign_out

pytestmark = pytest.mark.browser
ROUND = "2025-26"


@pytest.fixture(scope="module")
def words_app(tmp_path_factory: pytest.TempPathFactory):
    with running_app(tmp_path_factory.mktemp("words")) as (url, db):
        yield url, db


def test_the_facilitator_reviews_comments_and_the_lead_reads_them(
    browser, words_app, axe_log
) -> None:
    url, db = words_app
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(60_000)
    page = context.new_page()

    demo_sign_in(page, url, "Panel facilitator")
    go(page, "Panel comments")
    # While members may still answer, no comment is shown: it would tie words to a moment.
    expect(page.get_by_text("can be reviewed once the panel has closed")).to_be_visible()

    go(page, "Panel facilitation")
    page.get_by_text("I understand: no more answers will be accepted").click()
    settle(page)
    page.get_by_role("button", name="Close the panel").click()
    settle(page)
    expect(page.get_by_text("This panel is closed")).to_be_visible()
    assert Store.open(db).panels.panel_closed("XTA1", ROUND)

    go(page, "Panel comments")
    expect(
        page.get_by_role("heading", name="If a comment raises a safeguarding concern")
    ).to_be_visible()
    # The demo panel's two comments: the first approved (redacted), the second withheld.
    words = page.get_by_label("Words staff may read").first
    expect(words).not_to_have_value("")  # the member's words, to redact
    words.fill("Stop calling the police first, before anyone else.")
    page.get_by_label("Theme", exact=True).first.fill("Police first")
    page.get_by_text("Approve for staff to read").first.click()
    settle(page)
    page.get_by_role("button", name="Save the review of comment").first.click()
    settle(page)
    expect(page.get_by_text("Saved the review of comment")).to_be_visible()
    page.get_by_text("Withhold from staff").first.click()
    settle(page)
    page.get_by_role("button", name="Save the review of comment").first.click()
    settle(page)
    expect(page.get_by_text("Every comment has been reviewed.")).to_be_visible()
    check_accessibility(page, "panel comments", axe_log, strict=True)
    screenshot(page, "panel-comments")

    go(page, "Evidence")
    expect(page.get_by_role("heading", name="Evidence", exact=True)).to_be_visible()
    pdf = download(page, page.get_by_role("button", name="Download").first)
    assert pdf.suggested_filename == f"board-paper-{ROUND}.pdf"
    assert pdf.path().read_bytes()[:5] == b"%PDF-"
    check_accessibility(page, "evidence", axe_log, strict=True)
    sign_out(page)

    demo_sign_in(page, url, "Equality lead")
    go(page, "Results")
    expect(page.get_by_role("heading", name="In the panel's own words")).to_be_visible()
    expect(page.get_by_role("heading", name="Police first")).to_be_visible()
    expect(page.get_by_text("Stop calling the police first, before anyone else.")).to_be_visible()
    check_accessibility(page, "results: the panel's words", axe_log)
    context.close()
