"""The app's four small scripts, as Streamlit components (version 2).

Each script is fixed text registered once; what varies (a language tag, a part's number)
reaches it only as data, never as markup, so no translation or answer can put script into the
page. Version 2 components run in the app's own page (no iframe, no `window.parent`) and
replace `st.components.v1.html`, whose removal Streamlit announced.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["close_menu_on_choice", "focus_part_heading", "load_address", "set_page_language"]

# Screen readers pronounce the page in its language (WCAG 3.1.1): set it on the document.
_LANGUAGE = st.components.v2.component(
    "ocf.page_language",
    js="""
export default function ({ data }) {
  if (data && typeof data.lang === "string") document.documentElement.lang = data.lang;
}
""",
)

# A new part of a survey: back to the top, and focus on its heading, so that a screen reader
# reads it and a phone shows it (Streamlit keeps the scroll position and focus of the last
# part). The heading may be drawn after the script runs: it is looked for over a few frames.
_FOCUS = st.components.v2.component(
    "ocf.focus_part_heading",
    js="""
export default function () {
  let tries = 0;
  const go = () => {
    const heading = document.querySelector(".stMain h2");
    if (!heading) { if (tries++ < 50) requestAnimationFrame(go); return; }
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    (document.querySelector(".stMain") || document.documentElement).scrollTo(0, 0);
    window.scrollTo(0, 0);
  };
  go();
}
""",
)

# On a phone the menu covers the page: close it once a page is chosen (Streamlit leaves it
# open). One listener per browser tab, kept on the window across reruns.
_MENU = st.components.v2.component(
    "ocf.close_menu_on_choice",
    js="""
export default function () {
  if (window.__ocfMenuCloses) return;
  window.__ocfMenuCloses = true;
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-testid=stSidebar] a")) return;
    if (!window.matchMedia("(max-width: 767px)").matches) return;
    document.querySelector("[data-testid=stSidebarCollapseButton] button")?.click();
  }, true);
}
""",
)


# A whole page load of one of this server's own addresses (sign-in and sign-out: only a response
# of the server can set or clear the HttpOnly session cookie). Only a path on this server is
# followed: never another site, never a scheme-relative `//host` address.
_LOAD = st.components.v2.component(
    "ocf.load_address",
    js="""
export default function ({ data }) {
  const url = data && data.url;
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//")) return;
  window.location.assign(url);
}
""",
)


def load_address(url: str) -> None:
    """Send the browser to `url`, a path on this server such as '/_ocf/session?ticket=…'."""
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError(f"{url!r} is not a path on this server")
    _LOAD(key="ocf-load-address", data={"url": url}, height=0)


def set_page_language(lang: str) -> None:
    """Name the page's language on the document (`<html lang>`)."""
    _LANGUAGE(key="ocf-page-language", data={"lang": lang}, height=0)


def focus_part_heading(part: int) -> None:
    """Move focus to the heading of survey part `part` (drawn on each run of a new part: a run
    cut short by another never delivered it; an unchanged one does not run again, so answering
    never moves the focus)."""
    _FOCUS(key=f"ocf-focus-part-{part}", data={"part": part}, height=0)


def close_menu_on_choice() -> None:
    """On a phone, close the menu when one of its pages is chosen."""
    _MENU(key="ocf-close-menu", height=0)
