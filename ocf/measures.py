"""Detention measures by the names NHS England publishes them under, and which can be rated.

The importer keeps a measure as an id made from NHS England's `Measure` and
`measureSubcategory` (`measure_id`); pages show the published wording.
A measure with no population (NHS England publishes counts of people for repeat detentions,
with no denominator) has no rate, so it cannot be compared between groups.
"""

from __future__ import annotations

import re

__all__ = [
    "NAMES",
    "NHS_MEASURES",
    "UNRATED_REASON",
    "measure_id",
    "measure_name",
    "unrated_names",
]


def measure_id(measure: str, subcategory: str = "All") -> str:
    """'All detentions' → all-detentions; ('Short term orders', 'Section 136') → short-term-orders-section-136."""
    text = measure if subcategory in ("", "All") else f"{measure} {subcategory}"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_TIMES = {"1": "once", "2": "twice"}

# (Measure, measureSubcategory, the name shown) for NHS England's MHA annual statistics.
NHS_MEASURES = [
    ("All detentions", "All", "All detentions"),
    ("Detentions on admission to hospital", "All", "Detentions on admission to hospital"),
    (
        "Detentions on admission to hospital",
        "All detentions under Part 2",
        "Detentions on admission to hospital under Part 2 (civil sections)",
    ),
    (
        "Detentions on admission to hospital",
        "All detentions under Part 3",
        "Detentions on admission to hospital under Part 3 (courts and prisons)",
    ),
    *(
        (
            "Detentions on admission to hospital",
            f"Section {n}",
            f"Detentions on admission to hospital under section {n}",
        )
        for n in (2, 3)
    ),
    (
        "Detentions following admission to hospital",
        "All",
        "Detentions following admission to hospital (people admitted informally)",
    ),
    *(
        (
            "Detentions following admission to hospital",
            f"Section {n}",
            f"Detentions following admission to hospital, under section {n}",
        )
        for n in (2, 3)
    ),
    (
        "Detentions following revocation of CTO",
        "All",
        "Detentions following revocation of a community treatment order (CTO)",
    ),
    (
        "Detentions following use of Place of Safety Order",
        "All",
        "Detentions following use of a place of safety order (section 135 or 136)",
    ),
    *(
        (
            "Detentions following use of Place of Safety Order",
            f"Section 135/136 to {n}",
            f"Detentions following use of a place of safety order, then section {n}",
        )
        for n in (2, 3)
    ),
    ("Discharges following detention", "All", "Discharges following detention"),
    *(
        (
            "People subject to repeat detentions",
            times,
            f"People subject to repeat detentions: detained {_TIMES.get(times, times + ' times')}"
            " in the year",
        )
        for times in ("1", "2", "3", "4", "5", "6", "7 and over")
    ),
    ("Short term orders", "All", "Short term orders (sections 4, 5, 135 and 136)"),
    ("Short term orders", "Section 136", "Short term orders under section 136"),
    ("Uses of CTOs", "All", "Uses of community treatment orders (CTOs)"),
]
NAMES = {measure_id(measure, sub): name for measure, sub, name in NHS_MEASURES}
UNRATED_REASON = (
    "NHS England publishes these as counts without a population, so no rate, and no comparison "
    "between groups, can be worked out"
)


def measure_name(measure: str) -> str:
    """The published name of a measure id; an id from a template file reads as words."""
    return NAMES.get(measure) or measure.replace("-", " ").capitalize()


def unrated_names(measures: list[str]) -> list[str]:
    """Names of measures that cannot be rated, each family of breakdowns named once:
    'People subject to repeat detentions (each breakdown)'."""
    families: dict[str, int] = {}
    for measure in measures:
        family = measure_name(measure).split(": ", 1)[0]
        families[family] = families.get(family, 0) + 1
    return [f"{name} (each breakdown)" if n > 1 else name for name, n in families.items()]
