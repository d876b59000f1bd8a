"""Works offline (issue 20, item 12): no page asks any host but the app's own for anything, a
favicon or a font included (NHS networks and these machines block outside hosts)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .helpers import demo_sign_in, go, no_exception, sign_out

pytestmark = pytest.mark.browser

EVERY_PAGE = {
    "Administrator": [
        "Self-assessment",
        "Results",
        "Compare sites",
        "Systems",
        "Detention disparity",
        "Maturity and disparity",
        "Panel facilitation",
        "Submissions",
        "Sites",
        "Rounds",
        "Publish versions",
        "Accounts",
        "Data imports",
        "Audit log",
        "Frameworks",
    ],
    "Panel member (a new invitation)": [],
}


def test_no_page_asks_another_host_for_anything(page, server) -> None:
    url, _ = server
    ours = urlsplit(url).netloc
    elsewhere: list[str] = []

    def refuse_outside(route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:  # as an NHS network would: the request fails
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", refuse_outside)
    for who, links in EVERY_PAGE.items():
        demo_sign_in(page, url, who)
        for link in links:
            go(page, link)
            no_exception(page)
        sign_out(page)
    assert elsewhere == []
