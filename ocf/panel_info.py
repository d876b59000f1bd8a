"""What a site tells its panel in its own words: where to get support after the questions on
force and restraint, and how long the trust keeps the answers (its records policy).

Each has a national default in every language (ocf.languages.INTERFACE `support`, `kept`; once
the trust has set its records policy's period, `kept_for` says it); a site's own text, written
by its facilitator or an administrator, replaces it.
"""

from __future__ import annotations

from typing import Literal

from ocf.access import Actor, check_active
from ocf.accountability import LONGEST_TEXT
from ocf.errors import DataError, Problem
from ocf.languages import Translation, interface
from ocf.permissions import ensure
from ocf.retention import period_words, policy
from ocf.store import Store

__all__ = [
    "KEYS",
    "WHAT",
    "PanelText",
    "kept_text",
    "set_site_text",
    "site_text",
]


PanelText = Literal["support", "kept"]
KEYS: dict[str, str] = {"support": "panel-support:{site}", "kept": "panel-kept:{site}"}
WHAT = {"support": "panel support information", "kept": "panel answers kept"}


def site_text(store: Store, site: str, which: PanelText) -> str | None:
    """The site's own text, or None where it uses the default."""
    return store.get_meta(KEYS[which].format(site=site))


def set_site_text(store: Store, actor: Actor, site: str, which: PanelText, text: str) -> None:
    """The site's facilitator or an administrator sets the text; blank goes back to the default."""
    check_active(store, actor)
    ensure(actor, "run-panel", site=site)
    store.sites.require_site(site)
    if which not in KEYS:
        raise DataError([Problem("panel text", f"unknown {which!r}; expected support or kept")])
    text = text.strip()
    if len(text) > LONGEST_TEXT:
        raise DataError([Problem(WHAT[which], f"at most {LONGEST_TEXT} characters")])
    store.sites.set_site_text(
        KEYS[which].format(site=site), text or None, actor.label, site, WHAT[which]
    )


def kept_text(store: Store, site: str | None, translation: Translation | None) -> str:
    """What members read about how long their answers are kept: the site's own words, else the
    trust's records policy period (`ocf retention policy`) in the member's language, else the
    national wording (ask the facilitator)."""
    own = site_text(store, site, "kept") if site else None
    if own:
        return own
    period = policy(store)
    # A round opened before this wording existed has no `kept_for` in its translations: the
    # member's own language says "ask the facilitator" rather than English says the period.
    said = translation is None or "interface.kept_for" in translation.texts
    if period is None or not said:
        return interface(translation, "kept")
    locale = (translation.lang or translation.code) if translation is not None else "en"
    return interface(translation, "kept_for", period=period_words(period, locale))
