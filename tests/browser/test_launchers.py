"""One app however it is served (issue 32): `streamlit run streamlit_app.py` (Streamlit's
convention, and what hosting runs), `make run` and an ASGI server (`uvicorn
streamlit_app:app`) each sign someone in, keep them signed in over a reload, and sign them out.
Under `streamlit run` alone the browser once stayed on a blank /_ocf/session page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import LAUNCHERS, running_app
from .helpers import demo_sign_in, settle, sign_out

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_each_way_of_serving_signs_in_keeps_it_over_a_reload_and_signs_out(
    browser, tmp_path, launcher: str
) -> None:
    with running_app(tmp_path, launcher) as (url, _):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(60_000)
        page = context.new_page()
        try:
            demo_sign_in(page, url, "Equality lead")
            expect(page.get_by_text("Signed in: Demo equality lead")).to_be_visible()
            assert [c for c in context.cookies() if c["name"] == "ocf_session"]
            settle(page)
            page.reload()
            page.wait_for_selector("h1")
            settle(page)
            expect(page.get_by_text("Signed in: Demo equality lead")).to_be_visible()
            sign_out(page)
            expect(page.get_by_role("link", name="Sign in")).to_be_visible()
            assert not [c for c in context.cookies() if c["name"] == "ocf_session"]
        finally:
            context.close()
