"""Promises that hold against insiders (issue 30): a facilitator who saw a member's code, a
padded panel, a comment read while its writer is still answering."""

from __future__ import annotations

import pytest

from ocf import sessions
from ocf.access import (
    SYSTEM,
    UsedElsewhere,
    has_return_word,
    issue_invitations,
    set_return_word,
    sign_in,
)
from ocf.demo import demo_actor
from ocf.errors import DataError, PermissionDenied
from ocf.store import Store
from ocf.submissions import open_panel_survey, save

ROUND = "2025-26"


@pytest.fixture
def code(demo_store: Store) -> str:
    """A new code for the demo lead's site, as a facilitator issues it (and sees it)."""
    return issue_invitations(demo_store, SYSTEM, "XTA1", ROUND, 1)[0]


def test_a_facilitator_who_saw_the_code_cannot_open_the_members_started_draft(
    demo_store: Store, code: str
) -> None:
    member = sign_in(demo_store, code, browser="member-phone")
    draft = open_panel_survey(demo_store, member)
    save(demo_store, member, draft, {"understood-culture": ("1", None)})
    # The facilitator signs in on their laptop, signs out, then tries the member's code there.
    facilitator = demo_actor(demo_store, "facilitator")
    sessions.start(demo_store, facilitator, "facilitator-laptop")
    with pytest.raises(UsedElsewhere, match="another phone or computer"):
        sign_in(demo_store, code, browser="facilitator-laptop")
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="any-other-browser")
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="")  # no browser cookie at all
    assert sign_in(demo_store, code, browser="member-phone") == member  # the member's own


def test_the_member_comes_back_elsewhere_with_their_return_word(
    demo_store: Store, code: str
) -> None:
    member = sign_in(demo_store, code, browser="member-phone")
    assert not has_return_word(demo_store, member)
    with pytest.raises(DataError, match="at least 6"):
        set_return_word(demo_store, member, "abc")
    set_return_word(demo_store, member, "Blue Kettle")
    assert has_return_word(demo_store, member)
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="new-phone", return_word="green kettle")
    assert sign_in(demo_store, code, browser="new-phone", return_word="blue  KETTLE") == member
    with pytest.raises(PermissionDenied):
        set_return_word(demo_store, demo_actor(demo_store, "facilitator"), "facilitator-word")


def test_a_code_first_used_on_a_staff_browser_is_nobodys_own(demo_store: Store, code: str) -> None:
    """A member answering on the facilitator's tablet: the tablet never reopens the draft; the
    member's return word does."""
    sessions.start(demo_store, demo_actor(demo_store, "facilitator"), "facilitator-tablet")
    member = sign_in(demo_store, code, browser="facilitator-tablet")
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="facilitator-tablet")
    set_return_word(demo_store, member, "river stone")
    assert sign_in(demo_store, code, browser="facilitator-tablet", return_word="river stone")


def test_the_return_word_is_kept_only_as_a_hash(demo_store: Store, code: str) -> None:
    member = sign_in(demo_store, code, browser="member-phone")
    set_return_word(demo_store, member, "Blue Kettle")
    from .conftest import dump

    assert not any("kettle" in line.lower() for line in dump(demo_store))
