"""The action table (issue 32): each role's reach declared once, and what it decides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ocf.access import Actor
from ocf.errors import PermissionDenied
from ocf.models import Round
from ocf.permissions import (
    ACTIONS,
    ACTORS,
    Role,
    allowed,
    allowed_rounds,
    ensure,
    held_to_site,
    who_may,
)

PROJECT = Path(__file__).resolve().parents[1]
OPEN, PUBLISHED = Round("r-open", "ocf", 1, "open"), Round("r-pub", "ocf", 1, "published")
LEAD = Actor("account", "lead", site="RX1")
FACILITATOR = Actor("account", "facilitator", site="RX1")
REGULATOR = Actor("account", "regulator")
ADMIN = Actor("account", "admin")
PUBLIC = Actor("public", "public")


def test_regulators_and_the_public_see_a_round_only_once_it_is_published() -> None:
    for actor in (REGULATOR, PUBLIC):
        assert allowed(actor, "view-results", "RX1", PUBLISHED)
        assert not allowed(actor, "view-results", "RX1", OPEN)
    assert allowed_rounds(REGULATOR, "compare-sites", [OPEN, PUBLISHED]) == [PUBLISHED]
    assert allowed_rounds(ADMIN, "compare-sites", [OPEN, PUBLISHED]) == [OPEN, PUBLISHED]
    assert allowed_rounds(LEAD, "compare-sites", [OPEN, PUBLISHED]) == []
    with pytest.raises(PermissionDenied, match="round r-open is not published yet"):
        ensure(REGULATOR, "link-disparity", round_=OPEN)


def test_site_roles_act_only_for_their_own_site() -> None:
    assert allowed(LEAD, "view-results", "RX1", OPEN)
    assert not allowed(LEAD, "view-results", "RX2", OPEN)
    assert (
        held_to_site(LEAD, "view-actions") == "RX1" and held_to_site(ADMIN, "view-actions") is None
    )
    with pytest.raises(PermissionDenied, match="your account is for site RX1, not RX2"):
        ensure(FACILITATOR, "key-paper-forms", site="RX2")


def test_an_administrator_never_keys_panel_forms_and_says_who_does() -> None:
    with pytest.raises(PermissionDenied, match=r"an admin cannot key in.*that is for: facilitator"):
        ensure(ADMIN, "key-paper-forms", site="RX1")
    assert who_may("key-paper-forms") == ["facilitator"]


def test_every_action_names_only_known_roles_and_limits_only_roles_it_allows() -> None:
    for action in ACTIONS.values():
        assert action.roles <= set(ACTORS), action.name
        assert action.own_site <= action.roles and action.published <= action.roles, action.name
        assert action.description and action.resource


# What each role found in its menu when the menus were lists per role (before issue 32): the
# menus are now built from the action table, and must give everyone the same pages.
MENUS = {
    "public": {
        "home",
        "sign_in",
        "public",
        "panel_survey",
        "privacy",
        "frameworks",
        "accessibility",
    },
    "panel": {"panel_survey", "privacy", "accessibility"},
    "lead": {
        *("home", "self_assessment", "results", "evidence", "disparity"),
        *("public", "frameworks", "accessibility"),
    },
    "facilitator": {
        *("home", "facilitation", "comments", "privacy", "evidence"),
        *("public", "frameworks", "accessibility"),
    },
    "regulator": {
        *("home", "compare", "system", "results", "evidence", "disparity", "linking"),
        *("public", "frameworks", "accessibility"),
    },
}


def test_each_roles_menu_comes_from_the_action_table_unchanged() -> None:
    source = (PROJECT / "app_router.py").read_text()
    table = source[
        source.index("PAGE_ACTIONS = {") : source.index("}", source.index("PAGE_ACTIONS"))
    ]
    page_actions = dict(re.findall(r"(\w+): \"([\w-]+)\"", table))
    page_actions["system"] = page_actions.pop("systems")  # its variable's name, not its file's
    every_page = {p.stem for p in (PROJECT / "app_pages").glob("*.py")}
    assert set(page_actions) <= every_page
    for role in ACTORS:
        menu = {page for page, action in page_actions.items() if allowed(Role(role), action)}
        if role == "admin":  # everything but signing in and answering as a panel member
            assert menu == set(page_actions) - {"sign_in", "panel_survey"}
        else:
            assert menu == MENUS[role], role
