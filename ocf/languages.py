"""Survey languages: every text a panel member sees, in each language a survey carries.

A survey's `translations` block gives, per language code, the survey's texts by key
(`title`, `sections.<id>.title`, `items.<id>.text`, `labels.<English option label>`,
`interface.<key>` for the page's own words). Answers are stored by item id and option value,
whatever the language, so scoring never changes (docs/yaml.md, Languages).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ocf.models import Item, Option, Section, Survey

__all__ = [
    "ENGLISH",
    "INTERFACE",
    "REVIEW_STATES",
    "STYLES",
    "SYMBOLS",
    "Translation",
    "as_answered",
    "flatten",
    "gaps",
    "in_language",
    "interface",
    "sentences",
    "translatable",
]


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
        "Nobody at the trust sees your own answers. Staff see only the panel's answers added "
        "together, and only when at least {least} people have answered. We do not ask your name. "
        "Until the panel closes, you can take your answers back."
    ),
    "privacy_link": "Your privacy: what happens to your answers",
    "privacy_title": "Your privacy",
    "privacy_intro": "This page explains what happens to your answers to the panel survey.",
    "who_sees_title": "Who sees what",
    "who_sees": (
        "Nobody at the trust sees your own answers. Staff see the panel's answers only added "
        "together, only after the panel has closed, and only when at least {least} people have "
        "answered. With fewer people, they see nothing, so that no one's answers can be worked "
        "out. Regulators see the same added-together figures."
    ),
    "facilitator": (
        "The panel facilitator gives out the codes and sees how many people have answered. "
        "They never see what anyone chose. Your code is not stored with your name."
    ),
    "words_title": "Your own words",
    "words": (
        "If you write something in your own words, the facilitator reads it and removes anything "
        "that could identify you. Only then may staff read it, and they never know who wrote it. "
        "Your words are never put in a report or a download. If your words show that someone may "
        "be at risk of harm, the facilitator follows the trust's safeguarding procedure."
    ),
    "kept_title": "How long your answers are kept",
    "kept": (
        "The trust keeps the panel's answers as its records policy says. "
        "Ask the panel facilitator how long that is."
    ),
    # Said instead of `kept` once the trust has set its records policy's period (ocf.retention).
    "kept_for": (
        "The trust keeps the panel's answers for {period} after the results are published, then "
        "deletes them. The published results stay; they do not show any one person's answers."
    ),
    "withdraw_title": "Taking your answers back",
    "withdraw": (
        "Until the panel closes, you can take your answers back at any time, even after you "
        "have sent them: sign in with your code and choose \"Take my answers back\". They are "
        "deleted and not counted. After the panel closes, your answers are counted with "
        "everyone else's and cannot be picked out, so they cannot be taken back."
    ),
    "withdraw_button": "Take my answers back",
    "withdraw_sure": "Yes, delete all my answers. I understand this cannot be undone.",
    "withdrawn": "Your answers have been deleted. They will not be counted. Thank you.",
    "support_title": "Where to get support",
    "support": (
        "If these questions brought up something hard, you can talk to someone. For urgent help "
        "with your mental health, call NHS 111 and choose the mental health option, at any time. "
        "To talk to Samaritans, call 116 123 for free, at any time. In an emergency, call 999."
    ),
    "carer_note": "You said you are a carer: the questions ask about you or the person you care for.",
    # The invitation-code screen, and what the trust said (a published round).
    "have_your_say": "Have your say",
    "welcome": (
        "This survey is for the service user and carer panel. It asks what you think about how "
        "a mental health trust treats people from your community. The trust will not know who "
        "you are."
    ),
    "code_label": "Your invitation code",
    "code_help": "It is on the slip you were given, like K7QX-M2PD-4HTN.",
    "start": "Start",
    "code_unknown": "We could not find that code. Please check it, or ask the panel facilitator.",
    "paper_withdraw": "Once your form is handed in and entered, it cannot be taken back: nothing on it says who filled it in, so nobody can find it. If you change your mind, do not hand it in.",
    "paper_facilitator": "The panel facilitator types your form in, and a second person checks it against the paper: they see the answers on it, so write no name on it. Nobody else at the trust sees your own answers.",
    "return_word_label": "Return word",
    "return_word_help": "Only if you started on another phone or computer: the word you chose there.",
    "code_elsewhere": "This code was first used on another phone or computer. To carry on here, type the return word you chose. Or ask the panel facilitator for a new code.",
    "return_word_offer": "Want to come back on another phone or computer? Choose a return word of at least 6 letters. Keep it with your code. Nobody else is told it.",
    "return_word_save": "Save my return word",
    "return_word_saved": "Your return word is saved.",
    "said_title": "What the trust said",
    "said_intro": (
        "Thank you for taking part. This is how {trust} answered its panel, and what it is "
        "doing. It does not show anyone's answers."
    ),
    "no_response": "The trust has not written a response yet.",
    "doing_title": "What the trust is doing",
    "no_actions": "No actions are listed yet.",
    # The paper form's own words.
    "tick": "Tick one box for each question you answer. You can leave out any question.",
    "as_carer": "If you answer as a carer:",
    "only_if": "Only answer this if you answered \"{answer}\" to question {n}.",
    "paper_return": (
        "Do not write your name on this form. When you have finished, put it in the envelope "
        "and give it to the panel facilitator."
    ),
}  # fmt: skip
REVIEW_STATES = ("draft", "reviewed")
# A translation is a language, or Easy Read: short sentences and a symbol beside each question.
STYLES = ("standard", "easy-read")
# The symbols Easy Read shows, shipped with the project (OpenMoji, CC BY-SA 4.0: LICENCE.md there).
SYMBOLS = Path(__file__).resolve().parent.parent / "assets" / "symbols"


@dataclass(frozen=True)
class Translation:
    code: str
    name: str  # the language's name in itself: "Polski", "العربية"
    review: Literal["draft", "reviewed"]
    direction: Literal["ltr", "rtl"]
    texts: Mapping[str, str]
    style: Literal["standard", "easy-read"] = "standard"
    lang: str = ""  # the HTML language tag, when it is not the code ("en" for Easy Read)
    symbols: Mapping[str, str] = field(default_factory=dict)  # item id → assets/symbols name

    @property
    def easy_read(self) -> bool:
        return self.style == "easy-read"


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
            if item.carer_text:
                keys[f"items.{item.id}.carer_text"] = item.carer_text
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
    missing = [
        k for k in wanted if not ((text := texts.get(k)) and isinstance(text, str) and text.strip())
    ]
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
            carer_text=t.get(f"items.{i.id}.carer_text", i.carer_text),
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


def as_answered(survey: Survey, answers: Mapping[str, str | None]) -> Survey:
    """The survey as this member reads it: a carer (Survey.carers) reads each question's
    carer_text ("me or the person I care for"); anyone else reads it as it is."""
    carers = survey.carers
    if carers is None or answers.get(carers.item) not in carers.values:
        return survey

    def item(i: Item) -> Item:
        return replace(i, text=i.carer_text) if i.carer_text else i

    return replace(
        survey,
        sections=tuple(replace(s, items=tuple(item(i) for i in s.items)) for s in survey.sections),
    )


def sentences(text: str) -> list[str]:
    """A text's sentences (Easy Read puts each on its own line)."""
    return [s for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s]


def interface(translation: Translation | None, key: str, **values: object) -> str:
    """One of the page's own words, in the member's language."""
    text = (
        INTERFACE[key]
        if translation is None
        else translation.texts.get(f"interface.{key}", INTERFACE[key])
    )
    return text.format(**values) if values else text
