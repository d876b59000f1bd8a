"""What counts as an answer, per item type."""

from __future__ import annotations

import re

import pytest

from ocf.answers import hidden_but_answered, missing_required, parse_answer, visible_items
from ocf.loading import load_shipped
from ocf.models import Answer

LIBRARY = load_shipped()
PANEL = LIBRARY.surveys["ocf-panel"]
SELF = LIBRARY.surveys["ocf-self-assessment"]
SCALE = LIBRARY.frameworks["ocf-race-equality"].scale


@pytest.mark.parametrize(
    ("survey", "item_id", "value", "expected"),
    [
        (SELF, "awareness-community-needs-level", "2", "2"),
        (PANEL, "understood-culture", " 4 ", "4"),
        (PANEL, "needed-interpreter", "dont_know", "dont_know"),
        (SELF, "awareness-community-needs-action-due", "2026-03-31", "2026-03-31"),
    ],
)
def test_valid_answers_are_normalised(survey, item_id, value, expected) -> None:
    assert parse_answer(survey.item(item_id), value, None, SCALE).value == expected


@pytest.mark.parametrize(
    ("survey", "item_id", "value", "message"),
    [
        (
            SELF,
            "awareness-community-needs-level",
            "4",
            "'4' is not a level of the scale; expected 0, 1, 2, 3",
        ),
        (SELF, "awareness-community-needs-level", "1.5", "'1.5' is not a level"),
        (
            PANEL,
            "understood-culture",
            "Agree",
            "'Agree' is not an option; expected 1 (Strongly disagree)",
        ),
        (PANEL, "understood-culture", "", "no value; leave unanswered items out"),
        (
            SELF,
            "awareness-community-needs-action-due",
            "31/03/2026",
            "not a date; expected YYYY-MM-DD",
        ),
    ],
)
def test_invalid_answers_say_what_is_expected(survey, item_id, value, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_answer(survey.item(item_id), value, None, SCALE)


def test_text_answers_are_stored_as_text_from_either_column() -> None:
    item = PANEL.item("one-change")
    assert parse_answer(item, "More staff", None, SCALE) == Answer("one-change", None, "More staff")
    assert parse_answer(item, "", "More staff", SCALE) == Answer("one-change", None, "More staff")


def test_show_if_hides_and_shows_items() -> None:
    """The interpreter question appears only after 'yes' to needing one."""
    assert "interpreter-provided" not in {i.id for i in visible_items(PANEL, {})}
    assert "interpreter-provided" not in {
        i.id for i in visible_items(PANEL, {"needed-interpreter": "no"})
    }
    assert "interpreter-provided" in {
        i.id for i in visible_items(PANEL, {"needed-interpreter": "yes"})
    }


def test_required_and_hidden_checks() -> None:
    answers = {"interpreter-provided": Answer("interpreter-provided", "4")}
    assert {i.id for i in missing_required(PANEL, answers)} == {
        "understood-culture",
        "help-early",
        "easy-feedback",
    }
    assert [i.id for i in hidden_but_answered(PANEL, answers)] == ["interpreter-provided"]
