"""One widget per survey item type, shared by the panel survey, self-assessment and paper entry.

Each returns the raw (value, text) pair that `ocf.submissions.save` expects. Radio buttons, not
sliders, for every choice: they work with a keyboard, a screen reader and a thumb.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from ocf.models import Answer, Item, Scale


def render_item(
    item: Item, scale: Scale, current: Answer | None, key: str, disabled: bool = False
) -> tuple[str | None, str | None]:
    label = item.text + ("" if item.required else " (optional)")
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
    if item.type in ("likert", "yes_no", "choice"):
        options = [o.value for o in item.options]
        labels = {o.value: o.label for o in item.options}
        chosen = st.radio(
            label, options, index=_index(options, value), format_func=labels.get,
            key=key, help=helptext, disabled=disabled,
        )  # fmt: skip
        return chosen, None
    if item.type == "multi":
        labels = {o.value: o.label for o in item.options}
        default = [v for v in (value or "").split(";") if v in labels]
        chosen = st.multiselect(
            label, list(labels), default=default, format_func=labels.get,
            key=key, help=helptext, disabled=disabled,
        )  # fmt: skip
        return ";".join(chosen) or None, None
    if item.type == "number":
        number = st.number_input(
            label, value=float(value) if value else None, key=key, help=helptext, disabled=disabled
        )
        return (None if number is None else repr(number)), None
    if item.type == "date":
        day = st.date_input(
            label, value=date.fromisoformat(value) if value else None, key=key,
            help=helptext, disabled=disabled, format="DD/MM/YYYY",
        )  # fmt: skip
        return (day.isoformat() if day else None), None
    text = st.text_area(
        label,
        value=(current.text if current else "") or "",
        key=key,
        help=helptext,
        disabled=disabled,
    )
    return None, text


def _index(options: list[str], value: str | None) -> int | None:
    return options.index(value) if value in options else None
