"""Staying signed in (issue 20, item 2): a reload, a bookmark and a new tab keep the session;
a signed-out visitor on a deep link signs in and comes back; signing out ends it everywhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import demo_sign_in, no_exception, open_app, settle, sign_out

pytestmark = pytest.mark.browser


def heading(page, name: str):
    return page.get_by_role("heading", name=name, level=1)


def test_a_reload_a_bookmark_and_a_new_tab_keep_you_signed_in(page, server) -> None:
    url, _ = server
    demo_sign_in(page, url, "Regulator")
    page.get_by_role("link", name="Compare sites").click()
    expect(heading(page, "Compare sites")).to_be_visible()
    settle(page)
    page.reload()
    page.wait_for_selector("h1")
    settle(page)
    expect(heading(page, "Compare sites")).to_be_visible()
    expect(page.get_by_text("(regulator)", exact=False)).to_be_visible()

    tab = page.context.new_page()  # a bookmark opened in a new tab
    open_app(tab, url, "system")
    no_exception(tab)
    expect(heading(tab, "Systems")).to_be_visible()
    expect(tab.get_by_text("Page not found")).to_have_count(0)

    sign_out(page)  # signing out in one tab ends the session in every tab
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    tab.reload()
    tab.wait_for_selector("h1")
    settle(tab)
    expect(tab.get_by_role("link", name="Sign in")).to_be_visible()
    expect(tab.get_by_text("Signed in:")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == "ocf_session"]


def test_a_signed_out_deep_link_signs_in_and_comes_back(page, server) -> None:
    url, _ = server
    open_app(page, url, "audit")
    expect(page.get_by_text("Please sign in to open that page.")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    demo_sign_in(page, url, "Administrator", path="")
    expect(heading(page, "Audit log")).to_be_visible()
    assert page.url.endswith("/audit")


def test_a_page_for_another_role_says_whose_it_is(page, server) -> None:
    url, _ = server
    demo_sign_in(page, url, "Equality lead")
    open_app(page, url, "compare")
    expect(page.get_by_text("This page is for regulators and administrators")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_the_session_cookie_is_out_of_reach_of_the_pages_scripts(page, server) -> None:
    url, _ = server
    demo_sign_in(page, url, "Panel facilitator")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ocf_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert "ocf_session" not in page.evaluate("document.cookie")
