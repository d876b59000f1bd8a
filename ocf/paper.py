"""Paper versions of a panel survey: large print in any of its languages, and Easy Read.

One HTML page to print from a browser (every browser prints HTML; no PDF library needed).
Questions are numbered in the survey's order, as the facilitator's paper-entry page numbers
them, so a returned form is keyed in question by question (`question_numbers`).
Large print follows RNIB's clear print guidance: 18 point text, a plain sans-serif typeface,
left aligned (right aligned for right-to-left scripts), strong contrast, nothing in italics,
and each question kept whole on one page.
"""

from __future__ import annotations

import base64

from markupsafe import Markup

from ocf.languages import (
    SYMBOLS,
    Translation,
    as_answered,
    in_language,
    interface,
    sentences,
)
from ocf.models import Item, Survey
from ocf.templates import TEMPLATES

__all__ = [
    "STYLE",
    "paper_form",
    "question_numbers",
]


STYLE = """
  body {font-family: Arial, Helvetica, sans-serif; font-size: 18pt; line-height: 1.5;
        color: #000; background: #fff; max-width: 40em; margin: 1em auto; padding: 0 1em;}
  h1 {font-size: 26pt;} h2 {font-size: 22pt; margin-top: 1.5em;}
  .question {break-inside: avoid; page-break-inside: avoid; margin: 1.2em 0;
             padding-top: 0.6em; border-top: 2pt solid #000;}
  .number {font-weight: bold;}
  .note {font-weight: bold;}
  ul.options {list-style: none; padding: 0; margin: 0.4em 0;}
  ul.options li {margin: 0.3em 0;}
  .box {display: inline-block; width: 1.1em; height: 1.1em; border: 2pt solid #000;
        vertical-align: middle; margin-inline-end: 0.6em;}
  .write {border: 2pt solid #000; height: 8em;}
  .support, .promise {border: 3pt solid #000; padding: 0.6em 1em; break-inside: avoid;}
  .easy {display: flex; gap: 1em; align-items: flex-start;}
  .easy img {width: 3.5em; height: 3.5em; flex: none;}
  :lang(ur) {font-family: "Noto Nastaliq Urdu", "Urdu Typesetting", "Jameel Noori Nastaleeq",
             serif; line-height: 2.2;}
  :lang(pa) {font-family: "Noto Sans Gurmukhi", "Raavi", "Mukta Mahee", sans-serif;}
  @media print {body {margin: 0; max-width: none;} a {color: #000;}}
"""


def question_numbers(survey: Survey) -> dict[str, int]:
    """Each item's number on paper: its place in the survey, from 1."""
    return {item.id: n for n, item in enumerate(survey.items, start=1)}


def paper_form(
    survey: Survey,
    translation: Translation | None,
    trust: str,
    least: int,
    support: str | None = None,
    kept: str | None = None,
) -> str:
    """The survey on paper, in `translation` (None: English). `support` and `kept` are the
    site's own words (ocf.panel_info), or None for the defaults every language carries."""
    shown = in_language(survey, translation)
    carers = shown.carers
    as_carer = as_answered(shown, {carers.item: carers.values[0]}) if carers is not None else shown
    numbers = question_numbers(survey)
    easy = translation is not None and translation.easy_read

    def question(item: Item) -> dict:
        carer_text = as_carer.item(item.id).text
        only_if = None
        if item.show_if is not None and item.show_if.operator != "!=":
            earlier = shown.item(item.show_if.item)
            answer = " / ".join(o.label for o in earlier.options if o.value in item.show_if.values)
            only_if = interface(translation, "only_if", answer=answer, n=numbers[earlier.id])
        return {
            "number": numbers[item.id],
            "text": item.text,
            "help": item.help,
            "as_carer": carer_text if carer_text != item.text else None,
            "only_if": only_if,
            "options": [o.label for o in item.options],
            "symbol": _symbol(translation.symbols[item.id])
            if easy and translation is not None
            else None,
        }

    sections = [
        {
            "title": section.title,
            "intro": section.intro,
            "questions": [question(item) for item in section.items],
            "support": section.support,
        }
        for section in shown.sections
    ]
    return TEMPLATES.get_template("paper_form.html").render(
        lang=(translation.lang or translation.code) if translation is not None else "en",
        direction=translation.direction if translation is not None else "ltr",
        title=shown.title,
        style=Markup(STYLE),
        sections=sections,
        thanks=shown.thanks,
        trust=trust,
        least=least,
        support=support,
        kept=kept,
        # Easy Read puts one sentence to a line.
        lines=(lambda text: sentences(text)) if easy else (lambda text: [text]),
        words=lambda key, **values: interface(translation, key, **values),
    )


def _symbol(name: str) -> str:
    """An Easy Read symbol as a data address for an <img>."""
    data = base64.b64encode((SYMBOLS / f"{name}.svg").read_bytes()).decode()
    return f"data:image/svg+xml;base64,{data}"
