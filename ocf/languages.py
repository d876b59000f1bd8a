"""Survey languages: every text a panel member sees, in each language a survey carries.

A survey's `translations` block gives, per language code, the survey's texts by key
(`title`, `sections.<id>.title`, `items.<id>.text`, `labels.<English option label>`,
`interface.<key>` for the page's own words). Answers are stored by item id and option value,
whatever the language, so scoring never changes (docs/yaml.md, Languages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from ocf.models import Item, Option, Section, Survey

ENGLISH = "en"
# The page's own words, in English; a translation gives each of them.
INTERFACE: dict[str, str] = {
    "language": "Language",
    "part": "Part {n} of {total}",
    "back": "Back",
    "continue": "Save and continue",
    "send": "Send my answers",
    "saved": "Your answers are saved each time you continue. You can come back later with the same code.",
    "skip": "You can skip any question you do not want to answer.",
    "required": "Please answer this before you send: {question}",
    "draft": "This translation is a draft: a community reviewer has not checked it yet.",
    "thanks_title": "Thank you",
    "sent": "Your answers have been sent.",
    "finish": "Finish",
    "about": "These questions are about {trust}.",
    "promise_title": "What happens to your answers",
    "promise": (
        "Nobody at the trust sees your own answers. Staff see the panel's answers only added "
        "together, only after the panel has closed, and only when at least {least} people have "
        "answered. The panel facilitator sees how many people have answered, never what anyone "
        "chose. If you write something in your own words, the facilitator reads it, removes "
        "anything that could identify you, and only then may staff read it, never knowing who "
        "wrote it. We do not ask your name. Until you press Send, you can change any answer. "
        "Once sent, your answers are counted with everyone else's and cannot be picked out, so "
        "they cannot be taken back one by one. The trust keeps the answers as its records "
        "policy says: ask the facilitator how long."
    ),
    "privacy_link": "Your privacy: what happens to your answers",
}  # fmt: skip
REVIEW_STATES = ("draft", "reviewed")


@dataclass(frozen=True)
class Translation:
    code: str
    name: str  # the language's name in itself: "Polski", "العربية"
    review: Literal["draft", "reviewed"]
    direction: Literal["ltr", "rtl"]
    texts: Mapping[str, str]


def translatable(survey: Survey) -> dict[str, str]:
    """Every text a panel member sees, by key, in the survey's own language (English)."""
    keys: dict[str, str] = {"title": survey.title}
    for name in ("intro", "thanks"):
        if getattr(survey, name):
            keys[name] = getattr(survey, name)
    for section in survey.sections:
        keys[f"sections.{section.id}.title"] = section.title
        if section.intro:
            keys[f"sections.{section.id}.intro"] = section.intro
        for item in section.items:
            keys[f"items.{item.id}.text"] = item.text
            if item.help:
                keys[f"items.{item.id}.help"] = item.help
            for option in item.options:
                keys[f"labels.{option.label}"] = option.label
    for key, text in INTERFACE.items():
        keys[f"interface.{key}"] = text
    return keys


def flatten(block: Mapping, prefix: str = "") -> dict[str, object]:
    """A nested translation block as key → value (`items: {x: {text: …}}` → `items.x.text`).
    Under `labels` the keys are English option labels, kept whole (they may hold dots)."""
    flat: dict[str, object] = {}
    for key, value in block.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and path != "labels":
            flat.update(flatten(value, f"{path}."))
        elif isinstance(value, Mapping):
            flat.update({f"labels.{label}": text for label, text in value.items()})
        else:
            flat[path] = value
    return flat


def gaps(survey: Survey, texts: Mapping[str, object]) -> tuple[list[str], list[str]]:
    """(keys the translation misses, keys it adds that the survey does not have)."""
    wanted = translatable(survey)
    missing = [k for k in wanted if not (isinstance(texts.get(k), str) and texts[k].strip())]
    extra = [k for k in texts if k not in wanted]
    return missing, extra


def in_language(survey: Survey, translation: Translation | None) -> Survey:
    """The survey with every text a member sees in that language (None: as it is)."""
    if translation is None:
        return survey
    t = translation.texts

    def option(o: Option) -> Option:
        return replace(o, label=t.get(f"labels.{o.label}", o.label))

    def item(i: Item) -> Item:
        return replace(
            i,
            text=t.get(f"items.{i.id}.text", i.text),
            help=t.get(f"items.{i.id}.help", i.help),
            options=tuple(option(o) for o in i.options),
        )

    def section(s: Section) -> Section:
        return replace(
            s,
            title=t.get(f"sections.{s.id}.title", s.title),
            intro=t.get(f"sections.{s.id}.intro", s.intro),
            items=tuple(item(i) for i in s.items),
        )

    return replace(
        survey,
        title=t.get("title", survey.title),
        intro=t.get("intro", survey.intro),
        thanks=t.get("thanks", survey.thanks),
        sections=tuple(section(s) for s in survey.sections),
    )


def interface(translation: Translation | None, key: str, **values: object) -> str:
    """One of the page's own words, in the member's language."""
    text = (
        INTERFACE[key]
        if translation is None
        else translation.texts.get(f"interface.{key}", INTERFACE[key])
    )
    return text.format(**values) if values else text
