"""NHS ethnic categories: the A–Z codes, their names, and the higher groups used for rates.

Groups are always shown separately (never lumped as "BME"). A higher group's figure comes from
its own row when a source gives one, else from the sum of its detailed categories.
"""

from __future__ import annotations

__all__ = [
    "ASIAN",
    "BLACK",
    "CODES",
    "HIGHER_GROUPS",
    "MIXED",
    "OTHER",
    "UNKNOWN",
    "WHITE",
    "higher_group",
    "normalise",
]


WHITE = "White"
MIXED = "Mixed"
ASIAN = "Asian or Asian British"
BLACK = "Black or Black British"
OTHER = "Other Ethnic Groups"
UNKNOWN = "Unknown"
HIGHER_GROUPS = (WHITE, MIXED, ASIAN, BLACK, OTHER)  # Unknown is never a rate's group

# NHS Data Dictionary, ETHNIC CATEGORY (2001 census categories).
CODES: dict[str, tuple[str, str]] = {
    "A": ("British", WHITE),
    "B": ("Irish", WHITE),
    "C": ("Any Other White background", WHITE),
    "D": ("White and Black Caribbean", MIXED),
    "E": ("White and Black African", MIXED),
    "F": ("White and Asian", MIXED),
    "G": ("Any Other Mixed background", MIXED),
    "H": ("Indian", ASIAN),
    "J": ("Pakistani", ASIAN),
    "K": ("Bangladeshi", ASIAN),
    "L": ("Any Other Asian background", ASIAN),
    "M": ("Caribbean", BLACK),
    "N": ("African", BLACK),
    "P": ("Any Other Black background", BLACK),
    "R": ("Chinese", OTHER),
    "S": ("Any Other Ethnic Group", OTHER),
    "Z": ("Not Stated", UNKNOWN),
    "99": ("Not Known", UNKNOWN),
}
_BY_NAME = {name.lower(): (name, higher) for name, higher in CODES.values()}
_BY_NAME.update({group.lower(): (group, group) for group in (*HIGHER_GROUPS, UNKNOWN)})
_BY_NAME.update({"not stated": ("Not Stated", UNKNOWN), "not known": ("Not Known", UNKNOWN)})


def normalise(value: str) -> tuple[str, str] | None:
    """(category name, higher group) for a code or a name, whatever its case; None if unknown."""
    text = value.strip()
    if text.upper() in CODES:
        return CODES[text.upper()]
    return _BY_NAME.get(text.lower())


def higher_group(name: str) -> str | None:
    found = normalise(name)
    return found[1] if found else None
