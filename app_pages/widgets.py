"""One widget per survey item type, shared by the panel survey, self-assessment and paper entry.

Each returns the raw (value, text) pair that `ocf.submissions.save` expects. Radio buttons, not
sliders, for every choice: they work with a keyboard, a screen reader and a thumb.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from ocf.answers import LONGEST_ANSWER_TEXT
from ocf.models import Answer, Item, Scale

NO_ANSWER = ""  # the "No answer" choice of a clearable radio


def render_item(
    item: Item,
    scale: Scale,
    current: Answer | None,
    key: str,
    disabled: bool = False,
    optional_mark: bool = True,
    clearable: bool = False,
) -> tuple[str | None, str | None]:
    """`optional_mark`: add "(optional)" to a question that may be skipped (the panel survey
    says once, instead, that any question may be skipped). `clearable`: a choice offers "No
    answer" first, since a radio button, once chosen, cannot otherwise be cleared (paper entry:
    a tick keyed by mistake would block the form)."""
    label = item.text + ("" if item.required or not optional_mark else " (optional)")
    helptext = item.help or None
    value = current.value if current else None
    if item.type == "level":
        options = [str(v) for v in scale.values]
        labels = {str(lv.value): f"{lv.value} · {lv.label}" for lv in scale.levels}
        chosen = st.radio(
            label, options, index=_index(options, value), format_func=labels.get,
            horizontal=True, key=key, help=helptext, disabled=disabled,
        )  # fmt: skip
        return chosen, None
    if item.type in ("likert", "yes_no", "choice", "obligation"):
        options = [o.value for o in item.options]
        labels = {o.value: o.label for o in item.options}
        if clearable:
            options, labels = [NO_ANSWER, *options], {NO_ANSWER: "No answer", **labels}
            value = value or NO_ANSWER
        chosen = st.radio(
            label, options, index=_index(options, value), format_func=labels.get,
            key=key, help=helptext, disabled=disabled,
        )  # fmt: skip
        return (None if chosen == NO_ANSWER else chosen), None
    if item.type == "multi":
        labels = {o.value: o.label for o in item.options}
        default = [v for v in (value or "").split(";") if v in labels]
        chosen = st.multiselect(
            label, list(labels), default=default, format_func=labels.get,
            key=key, help=helptext, disabled=disabled,
        )  # fmt: skip
        return raw_answer(item, chosen)
    if item.type == "number":
        number = st.number_input(
            label, value=float(value) if value else None, key=key, help=helptext, disabled=disabled
        )
        return raw_answer(item, number)
    if item.type == "date":
        day = st.date_input(
            label, value=date.fromisoformat(value) if value else None, key=key,
            help=helptext, disabled=disabled, format="DD/MM/YYYY",
        )  # fmt: skip
        return raw_answer(item, day)
    text = st.text_area(
        label,
        value=(current.text if current else "") or "",
        key=key,
        help=helptext,
        disabled=disabled,
        max_chars=LONGEST_ANSWER_TEXT,
    )
    return None, text


def raw_answer(item: Item, widget_value: object) -> tuple[str | None, str | None]:
    """A widget's value as the raw (value, text) pair `ocf.submissions.save` expects."""
    if item.type in ("level", "likert", "yes_no", "choice", "obligation"):
        return widget_value, None  # type: ignore[return-value]
    if item.type == "multi":
        return ";".join(widget_value or []) or None, None  # type: ignore[arg-type]
    if item.type == "number":
        return (None if widget_value is None else repr(widget_value)), None
    if item.type == "date":
        return (widget_value.isoformat() if widget_value else None), None  # type: ignore[union-attr]
    return None, widget_value  # type: ignore[return-value]


def answers_on_screen(items: list[Item], key_of) -> dict[str, tuple[str | None, str | None]]:
    """The raw answers of items whose widgets were drawn, read from the session (`key_of(item)`
    is each widget's key): what a person typed, saved or not."""
    typed = {}
    for item in items:
        try:
            typed[item.id] = raw_answer(item, st.session_state[key_of(item)])
        except KeyError:  # never drawn in this session: nothing typed
            continue
    return typed


def changed(
    typed: dict[str, tuple[str | None, str | None]], saved: dict[str, Answer], items: list[Item]
) -> bool:
    """Whether anything typed differs from what is saved (an empty widget equals no answer)."""

    def plain(pair: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
        return pair[0] or None, (pair[1] or "").strip() or None

    def stored(item: Item) -> tuple[str | None, str | None]:
        answer = saved.get(item.id)
        if answer is None:
            return None, None
        if item.type == "number" and answer.value:
            return repr(float(answer.value)), None
        return answer.value, answer.text

    return any(plain(typed[item.id]) != plain(stored(item)) for item in items if item.id in typed)


def _index(options: list[str], value: str | None) -> int | None:
    return options.index(value) if value in options else None
