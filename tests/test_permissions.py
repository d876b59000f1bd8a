"""The action table (issue 32): each role's reach declared once, and what it decides."""

from __future__ import annotations

import pytest

from ocf.access import Actor
from ocf.errors import PermissionDenied
from ocf.models import Round
from ocf.permissions import ACTIONS, ROLES, allowed, allowed_rounds, ensure, held_to_site, who_may

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
        assert action.roles <= {*ROLES, "public"}, action.name
        assert action.own_site <= action.roles and action.published <= action.roles, action.name
        assert action.description and action.resource
