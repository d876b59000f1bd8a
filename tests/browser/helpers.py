"""What a person does in the app, written once for the browser tests."""

from __future__ import annotations

import json
import time
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

from .conftest import ARTIFACTS, SERIOUS, WCAG

_axe = Axe()
KNOWN = {}  # page name → axe rule ids accepted for now (the recorded list; keep it shrinking)


def settle(page) -> None:
    """Wait until Streamlit has finished running the script and nothing on the page is stale.

    Conditions only, no fixed sleep: a check that follows an action must still wait for what it
    expects (`expect(...)`), since the rerun an action starts may not have begun yet.
    """
    page.wait_for_function(
        "document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state')"
        " === 'notRunning' && !document.querySelector('[data-stale=true]')",
        timeout=60_000,
    )


def no_exception(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0, page.locator(
        "[data-testid=stException]"
    ).first.inner_text()


def open_app(page, url: str, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.wait_for_selector("h1", timeout=30_000)
    settle(page)


def go(page, link: str) -> None:
    page.get_by_role("link", name=link).first.click()
    settle(page)
    no_exception(page)


def loads_a_page(page, act) -> None:
    """Do `act` (signing in or out) and wait for the whole page load it leads to: the browser
    fetches or clears its session cookie (ocf/sessions.py) and comes back to a page."""
    # Streamlit changes the address in place before the redirect arrives, so a navigation
    # event proves nothing: mark this document, and wait for one without the mark.
    page.evaluate("window.__before_sign_in = true")
    act()
    page.wait_for_function(
        "!window.__before_sign_in && document.readyState === 'complete'"
        " && document.querySelector('h1') !== null",
        timeout=60_000,
    )
    settle(page)


def demo_sign_in(page, url: str, button: str, path: str = "sign_in") -> None:
    if path:
        open_app(page, url, path)
    loads_a_page(page, page.get_by_role("button", name=button).click)


def expand(page, label: str) -> None:
    """Open a collapsed section (st.expander) and make sure it stays open: a rerun that starts
    as it is clicked can draw it closed again, so click until it is open with nothing running."""
    details = page.locator(
        "[data-testid=stExpander] details", has=page.locator("summary", has_text=label)
    )
    summary = details.locator("summary")
    deadline = time.monotonic() + 60
    while True:
        settle(page)
        if details.get_attribute("open") is not None:
            return
        assert time.monotonic() < deadline, f"the section {label!r} never opened"
        summary.click()


def sign_out(page) -> None:
    loads_a_page(page, page.get_by_role("button", name="Sign out").click)


def check_accessibility(page, name: str, log: dict, strict: bool = False) -> list[dict]:
    """Run axe (WCAG 2.2 A/AA); strict pages allow no serious or critical violation, others
    none beyond the recorded list. It waits for the page to settle first: while Streamlit reruns,
    stale elements are drawn faded, and their contrast would fail."""
    settle(page)
    result = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": len(v["nodes"]),
            "help": v["help"],
            "where": [n.get("html", "")[:160] for n in v["nodes"][:3]],
        }
        for v in result.response["violations"]
    ]
    log[name] = violations
    serious = [v for v in violations if v["impact"] in SERIOUS]
    allowed = set() if strict else set(KNOWN.get(name, ()))
    assert [v for v in serious if v["id"] not in allowed] == [], f"{name}: {serious}"
    return violations


# Streamlit scrolls inside its main section, not the document, so a "full page" screenshot of
# the document stops at the first screen. The whole page is the section's scroll height.
_CONTENT_HEIGHT = """() => {
    const main = document.querySelector('[data-testid=stMain]') || document.body;
    return Math.max(main.scrollHeight, document.documentElement.scrollHeight);
}"""


def screenshot(page, name: str) -> Path:
    """Save the whole page at its current width to test-artifacts/screenshots/ for a person to
    look at: the viewport is stretched to the content's height for the picture, then restored."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    path = folder / f"{name}-{viewport['width']}.png"
    height = min(int(page.evaluate(_CONTENT_HEIGHT)), 20_000)
    if height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": height})
        settle(page)
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(viewport)
    return path


def tab_to(page, script: str, limit: int = 80) -> None:
    """Press Tab until `script` (a JS expression over `el`, the focused element) is true."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"(() => {{ const el = document.activeElement; return Boolean({script}); }})()"
        ):
            return
    raise AssertionError(f"Tab never reached: {script}")


def focused_in_group(label: str) -> str:
    return f"el.closest('[role=radiogroup]')?.getAttribute('aria-label') === {json.dumps(label)}"


def focused_button(text: str) -> str:
    return f"el.tagName === 'BUTTON' && el.innerText.trim().endsWith({json.dumps(text)})"


def download(page, button):
    """Press a download button and return the download. A file made when the button is pressed
    can miss a press that lands while the page reruns under load (Streamlit then shows an error
    under the button, and a person presses again): up to three presses, each waiting on the
    download itself."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        settle(page)
        try:
            with page.expect_download(timeout=30_000) as pressed:
                button.click()
            return pressed.value
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
