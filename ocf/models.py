"""Frozen domain models: what a framework and a survey are once loaded and validated.

Nothing downstream of `ocf.loading` touches raw YAML dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import ClassVar, Literal

from ocf.errors import NotFound

__all__ = [
    "COMPETENCY_KINDS",
    "ITEM_TYPES",
    "OBLIGATION_OPTIONS",
    "OPTION_TYPES",
    "SCORED_TYPES",
    "SITE_KINDS",
    "Account",
    "Answer",
    "Audience",
    "Carers",
    "Competency",
    "CompetencyKind",
    "Domain",
    "Framework",
    "Invitation",
    "Item",
    "ItemType",
    "Level",
    "Moderation",
    "Option",
    "Response",
    "Round",
    "RoundStatus",
    "Scale",
    "Section",
    "ShowIf",
    "ShowIfOperator",
    "Site",
    "SiteKind",
    "Submission",
    "Survey",
]


CompetencyKind = Literal["organisational", "individual", "obligation"]
COMPETENCY_KINDS: tuple[str, ...] = ("organisational", "individual", "obligation")
Audience = Literal["self", "panel"]
ItemType = Literal[
    "level", "likert", "yes_no", "choice", "multi", "text", "number", "date", "obligation"
]

SCORED_TYPES: frozenset[str] = frozenset({"level", "likert", "yes_no", "choice"})
OPTION_TYPES: frozenset[str] = frozenset({"likert", "yes_no", "choice", "multi"})
ITEM_TYPES: tuple[str, ...] = (
    "level",
    "likert",
    "yes_no",
    "choice",
    "multi",
    "text",
    "number",
    "date",
    "obligation",
)


@dataclass(frozen=True)
class Level:
    value: int
    label: str
    description: str
    colour: str | None = None


@dataclass(frozen=True)
class Scale:
    levels: tuple[Level, ...]

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(level.value for level in self.levels)

    @property
    def minimum(self) -> int:
        return self.levels[0].value

    @property
    def maximum(self) -> int:
        return self.levels[-1].value

    def label(self, value: float | None) -> str:
        """The label of the level a (possibly fractional) value falls in: 1.6 is 'Developing'."""
        if value is None:
            return ""
        chosen = self.levels[0]
        for level in self.levels:
            if value >= level.value:
                chosen = level
        return chosen.label


@dataclass(frozen=True)
class Moderation:
    rule: Literal["panel_cap", "none"] = "panel_cap"
    tolerance: float = 1


@dataclass(frozen=True)
class Competency:
    id: str
    title: str
    kind: CompetencyKind
    weight: float
    levels: dict[int, str]
    description: str = ""
    tags: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    duty: str = ""  # an obligation's duty, with its source; empty for maturity competencies
    # What an inspector would see at each level (level value → a concrete, checkable marker).
    checks: dict[int, str] = field(default_factory=dict)
    # Each evidence prompt → the levels whose checks it shows (empty: not linked).
    evidence_shows: dict[str, tuple[int, ...]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # ids of the framework's `sources`
    panel: Literal["asked", "not_applicable"] = "asked"
    panel_reason: str = ""  # why a panel cannot judge it (panel: not_applicable)

    @property
    def panel_can_judge(self) -> bool:
        return self.panel != "not_applicable"

    @property
    def is_obligation(self) -> bool:
        """A legal or regulatory duty: met, partly met or not met, never averaged into maturity."""
        return self.kind == "obligation"


@dataclass(frozen=True)
class Domain:
    id: str
    title: str
    weight: float
    competencies: tuple[Competency, ...]
    description: str = ""


@dataclass(frozen=True)
class Framework:
    id: str
    version: int
    title: str
    scale: Scale
    domains: tuple[Domain, ...]
    description: str = ""
    focus_populations: tuple[str, ...] = ()
    moderation: Moderation = field(default_factory=Moderation)
    min_panel: int = 3  # ocf.disclosure.MIN_PANEL_FLOOR is the least a loader accepts
    gap_flag: float = 1
    tags: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # source id → its citation
    provenance: str = ""  # whose wording this is, and its status
    assessed_at: tuple[str, ...] = ("trust",)  # the kinds of site a round of it assesses

    @property
    def competencies(self) -> tuple[Competency, ...]:
        return tuple(c for d in self.domains for c in d.competencies)

    def competency(self, competency_id: str) -> Competency:
        for competency in self.competencies:
            if competency.id == competency_id:
                return competency
        raise NotFound(f"no competency {competency_id!r} in framework {self.id}")

    def domain_of(self, competency_id: str) -> Domain:
        for domain in self.domains:
            if any(c.id == competency_id for c in domain.competencies):
                return domain
        raise NotFound(f"no competency {competency_id!r} in framework {self.id}")

    @property
    def obligations(self) -> tuple[Competency, ...]:
        return tuple(c for c in self.competencies if c.is_obligation)

    def maturity_view(self) -> Framework:
        """The framework without its obligations (and without domains left empty): what
        maturity scores, means and roll-ups are made of."""
        return self._keeping(lambda c: not c.is_obligation)

    def obligation_view(self) -> Framework:
        """The framework's obligations only, each in its own domain."""
        return self._keeping(lambda c: c.is_obligation)

    def _keeping(self, keep) -> Framework:
        if all(keep(c) for c in self.competencies):
            return self
        domains = []
        for domain in self.domains:
            kept = tuple(c for c in domain.competencies if keep(c))
            if kept:
                domains.append(replace(domain, competencies=kept))
        return replace(self, domains=tuple(domains))


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    score: float | None = None


# An obligation item's answers, in order from best to worst (docs/methods.md, Obligations).
OBLIGATION_OPTIONS: tuple[Option, ...] = (
    Option("met", "Met"),
    Option("partly", "Partly met"),
    Option("not_met", "Not met"),
)


ShowIfOperator = Literal["==", "!=", "in"]


@dataclass(frozen=True)
class ShowIf:
    """Show an item only when an earlier item's answer is (or is not) one of `values`."""

    item: str
    operator: ShowIfOperator
    values: tuple[str, ...]

    def holds(self, answer: str | None) -> bool:
        if self.operator == "!=":
            return answer is not None and answer not in self.values
        return answer in self.values


@dataclass(frozen=True)
class Item:
    id: str
    type: ItemType
    text: str
    competency: str | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    help: str = ""
    show_if: ShowIf | None = None
    # The question as a carer reads it ("me or the person I care for"): see Survey.carers.
    carer_text: str = ""

    @property
    def scored(self) -> bool:
        return self.competency is not None and self.type in SCORED_TYPES

    def option(self, value: str) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]
    intro: str = ""
    # After this part's questions, show where to get support (its questions may be hard).
    support: bool = False


@dataclass(frozen=True)
class Carers:
    """Who is answering: when `item`'s answer is one of `values` the member answers as a
    carer, and each question with a `carer_text` is asked that way."""

    item: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Survey:
    id: str
    version: int
    framework: str
    audience: Audience
    title: str
    sections: tuple[Section, ...]
    intro: str = ""
    thanks: str = ""
    # Language code → ocf.languages.Translation (every text a member sees, in that language).
    translations: Mapping[str, object] = field(default_factory=dict)
    carers: Carers | None = None

    # Worked out once per survey (a frozen value): an import asks for them for every row.
    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.sections for i in s.items)

    @cached_property
    def _items_by_id(self) -> Mapping[str, Item]:
        return MappingProxyType({item.id: item for item in self.items})

    def item(self, item_id: str) -> Item:
        try:
            return self._items_by_id[item_id]
        except KeyError:
            raise NotFound(f"no item {item_id!r} in survey {self.id}") from None

    # A self-assessment names a competency's items after it: `<competency>-level` holds the
    # rating and `<competency>-action`, `-action-owner`, `-action-due` the plan. The loader
    # checks the level items' names; everything else finds them through these two methods.
    PLAN_PARTS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"action": "Action", "action-owner": "Owner", "action-due": "Due"}
    )

    @staticmethod
    def level_item_id(competency: str) -> str:
        return f"{competency}-level"

    @staticmethod
    def status_item_id(competency: str) -> str:
        """An obligation's answer (met, partly, not met) is `<competency>-status`."""
        return f"{competency}-status"

    @staticmethod
    def rating_item_id(competency: Competency) -> str:
        """The item that rates a competency: its level, or an obligation's status."""
        if competency.is_obligation:
            return Survey.status_item_id(competency.id)
        return Survey.level_item_id(competency.id)

    @staticmethod
    def plan_item_id(competency: str, part: str) -> str:
        """`part` is one of PLAN_PARTS."""
        return f"{competency}-{part}"


# --------------------------------------------------------------------------- stored records

SiteKind = Literal["trust", "icb", "place"]
RoundStatus = Literal["open", "closed", "published"]
SITE_KINDS: tuple[str, ...] = ("trust", "icb", "place")


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    kind: SiteKind = "trust"
    parent: str | None = None
    cohort: str | None = None
    retired_at: str | None = None


@dataclass(frozen=True)
class Round:
    id: str
    framework_id: str
    framework_version: int
    status: RoundStatus = "open"
    period: str | None = None
    opens: str | None = None
    closes: str | None = None


@dataclass(frozen=True)
class Account:
    """A staff account as stored (its code's hash never leaves the store)."""

    id: int
    name: str
    role: str
    site: str | None
    email: str | None
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class Invitation:
    """A panel invitation as stored (its code's hash never leaves the store)."""

    id: int
    site: str
    round: str
    survey: str
    created_at: str
    revoked_at: str | None = None
    submission_id: int | None = None


@dataclass(frozen=True)
class Submission:
    """One respondent's submission for (site, round, survey), without its answers."""

    id: int
    site: str
    round: str
    survey: str
    respondent: str
    status: str  # draft | submitted
    version: int
    assisted: int
    created_at: str
    updated_at: str
    submitted_at: str | None = None


@dataclass(frozen=True)
class Answer:
    """One answer in long format: `value` for choices, levels and numbers; `text` for words."""

    item_id: str
    value: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Response:
    """One respondent's answers to one survey, ready to store as a submission."""

    site: str
    round: str
    survey: str
    respondent: str
    answers: tuple[Answer, ...]
    assisted: bool = False
