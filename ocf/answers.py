"""What counts as a valid answer to a survey item, defined once.

The CSV importer, the survey pages and the facilitator's paper entry all call these, so an
answer means the same wherever it came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from ocf.models import Answer, Item, Scale, Survey

__all__ = [
    "LONGEST_ANSWER_TEXT",
    "MULTI_SEPARATOR",
    "hidden_but_answered",
    "missing_required",
    "parse_answer",
    "visible_items",
]


MULTI_SEPARATOR = ";"
# The longest words one answer may hold: about 600 words, as much as a comment reviewer can
# approve (ocf.comments.LONGEST_TEXT); a megabyte pasted into a box is refused, not stored.
LONGEST_ANSWER_TEXT = 4000


def parse_answer(item: Item, value: str | None, text: str | None, scale: Scale) -> Answer:
    """Normalise one raw answer; ValueError says what is expected for this item."""
    value = (value or "").strip()
    text = (text or "").strip() or None
    for words in (text, value if item.type == "text" else None):
        if words is not None and len(words) > LONGEST_ANSWER_TEXT:
            raise ValueError(
                f"{len(words):,} characters; an answer holds at most {LONGEST_ANSWER_TEXT:,} "
                "(about 600 words)"
            )
    if item.type == "text":
        # Words may arrive in either column; they are stored as text.
        return Answer(item.id, None, text or value or None)
    if not value:
        raise ValueError("no value; leave unanswered items out")
    if item.type == "level":
        allowed = [str(v) for v in scale.values]
        if value not in allowed:
            raise ValueError(
                f"{value!r} is not a level of the scale; expected {', '.join(allowed)}"
            )
    elif item.type in ("likert", "yes_no", "choice", "obligation"):
        if item.option(value) is None:
            raise ValueError(f"{value!r} is not an option; expected {_options(item)}")
    elif item.type == "multi":
        chosen = [v.strip() for v in value.split(MULTI_SEPARATOR) if v.strip()]
        unknown = [v for v in chosen if item.option(v) is None]
        if unknown or not chosen:
            raise ValueError(
                f"{', '.join(map(repr, unknown)) or 'nothing'} is not an option; expected "
                f"{_options(item)} separated by '{MULTI_SEPARATOR}'"
            )
        value = MULTI_SEPARATOR.join(dict.fromkeys(chosen))
    elif item.type == "number":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
    elif item.type == "date":
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"{value!r} is not a date; expected YYYY-MM-DD") from None
    return Answer(item.id, value, text)


def _options(item: Item) -> str:
    return ", ".join(f"{o.value} ({o.label})" for o in item.options)


def visible_items(survey: Survey, values: Mapping[str, str | None]) -> list[Item]:
    """The items a respondent is shown, given their answers so far (`show_if` applied)."""
    return [
        item
        for item in survey.items
        if item.show_if is None or item.show_if.holds(values.get(item.show_if.item))
    ]


def missing_required(survey: Survey, answers: Mapping[str, Answer]) -> list[Item]:
    """Required items that are shown but not answered."""
    values = {item_id: a.value for item_id, a in answers.items()}
    return [
        item
        for item in visible_items(survey, values)
        if item.required and not _answered(answers.get(item.id))
    ]


def hidden_but_answered(survey: Survey, answers: Mapping[str, Answer]) -> list[Item]:
    """Items answered although their `show_if` hides them: contradictory input."""
    values = {item_id: a.value for item_id, a in answers.items()}
    shown = {item.id for item in visible_items(survey, values)}
    return [item for item in survey.items if item.id in answers and item.id not in shown]


def _answered(answer: Answer | None) -> bool:
    return answer is not None and bool(answer.value or answer.text)
