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
from html import escape

from ocf.languages import (
    SYMBOLS,
    Translation,
    as_answered,
    in_language,
    interface,
    sentences,
)
from ocf.models import Item, Survey

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

    def words(key: str, **values: object) -> str:
        return escape(interface(translation, key, **values))

    def para(text: str) -> str:
        if easy:  # one sentence to a line
            return "".join(f"<p>{escape(s)}</p>" for s in sentences(text))
        return f"<p>{escape(text)}</p>"

    def question(item: Item) -> str:
        parts = [f'<p><span class="number">{numbers[item.id]}.</span> {escape(item.text)}</p>']
        if item.help:
            parts.append(f"<p>{escape(item.help)}</p>")
        carer_text = as_carer.item(item.id).text
        if carer_text != item.text:
            parts.append(
                f'<p><span class="note">{words("as_carer")}</span> {escape(carer_text)}</p>'
            )
        if item.show_if is not None and item.show_if.operator != "!=":
            earlier = shown.item(item.show_if.item)
            answer = " / ".join(o.label for o in earlier.options if o.value in item.show_if.values)
            parts.append(
                f'<p class="note">{words("only_if", answer=answer, n=numbers[earlier.id])}</p>'
            )
        if item.options:
            boxes = "".join(
                f'<li><span class="box" aria-hidden="true"></span>{escape(o.label)}</li>'
                for o in item.options
            )
            parts.append(f'<ul class="options">{boxes}</ul>')
        else:
            parts.append('<div class="write"></div>')
        body = "".join(parts)
        if easy and translation is not None:
            picture = _symbol(translation.symbols[item.id])
            body = f'<div class="easy">{picture}<div>{body}</div></div>'
        return f'<div class="question">{body}</div>'

    sections = []
    for section in shown.sections:
        block = [f"<h2>{escape(section.title)}</h2>"]
        if section.intro:
            block.append(para(section.intro))
        block += [question(item) for item in section.items]
        if section.support:
            block.append(
                f'<div class="support"><h3>{words("support_title")}</h3>'
                f"{para(support or interface(translation, 'support'))}</div>"
            )
        sections.append("".join(block))

    lang = (translation.lang or translation.code) if translation is not None else "en"
    direction = translation.direction if translation is not None else "ltr"
    privacy = "".join(
        [
            f"<h2>{words('privacy_title')}</h2>",
            f"<h3>{words('who_sees_title')}</h3>",
            para(interface(translation, "who_sees", least=least)),
            # On paper the facilitator, and a second person, see the form (ocf.submissions).
            para(interface(translation, "paper_facilitator")),
            f"<h3>{words('words_title')}</h3>",
            para(interface(translation, "words")),
            f"<h3>{words('kept_title')}</h3>",
            para(kept or interface(translation, "kept")),
            f"<h3>{words('withdraw_title')}</h3>",
            # A paper member has no code to sign in with and take answers back.
            para(interface(translation, "paper_withdraw")),
        ]
    )
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}" dir="{direction}">
<head><meta charset="utf-8"><title>{escape(shown.title)}</title>
<style>{STYLE}</style></head>
<body>
<h1>{escape(shown.title)}</h1>
{para(interface(translation, "about", trust=trust))}
<div class="promise"><h2>{words("promise_title")}</h2>
{para(interface(translation, "promise", least=least))}
<p><strong>{words("paper_return")}</strong></p></div>
{para(interface(translation, "tick"))}
{"".join(sections)}
{para(shown.thanks)}
{privacy}
</body>
</html>
"""


def _symbol(name: str) -> str:
    data = base64.b64encode((SYMBOLS / f"{name}.svg").read_bytes()).decode()
    return f'<img src="data:image/svg+xml;base64,{data}" alt="">'
