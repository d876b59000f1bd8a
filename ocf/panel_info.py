"""What a site tells its panel in its own words: where to get support after the questions on
force and restraint, and how long the trust keeps the answers (its records policy).

Each has a national default in every language (ocf.languages.INTERFACE `support`, `kept`); a
site's own text, written by its facilitator or an administrator, replaces it.
"""

from __future__ import annotations

from typing import Literal

from ocf.access import Actor, check_active, require_site_role
from ocf.accountability import LONGEST_TEXT
from ocf.errors import DataError, Problem
from ocf.store import Store

PanelText = Literal["support", "kept"]
KEYS: dict[str, str] = {"support": "panel-support:{site}", "kept": "panel-kept:{site}"}
WHAT = {"support": "panel support information", "kept": "panel answers kept"}


def site_text(store: Store, site: str, which: PanelText) -> str | None:
    """The site's own text, or None where it uses the default."""
    return store.get_meta(KEYS[which].format(site=site))


def set_site_text(store: Store, actor: Actor, site: str, which: PanelText, text: str) -> None:
    """The site's facilitator or an administrator sets the text; blank goes back to the default."""
    check_active(store, actor)
    require_site_role(actor, ("facilitator", "admin"), site)
    store.require_site(site)
    if which not in KEYS:
        raise DataError([Problem("panel text", f"unknown {which!r}; expected support or kept")])
    text = text.strip()
    if len(text) > LONGEST_TEXT:
        raise DataError([Problem(WHAT[which], f"at most {LONGEST_TEXT} characters")])
    store.set_site_text(KEYS[which].format(site=site), text or None, actor.label, site, WHAT[which])
