"""How figures read, defined once for the pages and the board report.

Above all, how a suppressed panel figure reads: never as a number, always with the framework's
own minimum panel size.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from ocf.disclosure import SPREAD_MIN_N

__all__ = [
    "SPREAD_NOTE",
    "agreement_words",
    "correlation_words",
    "counted",
    "coverage_words",
    "fewer_than",
    "final_label",
    "flag_sentence",
    "interval",
    "label_or_none",
    "number",
    "panel_cell",
    "panel_figure",
    "panel_interval",
    "plain",
    "round_words",
    "sentence",
    "share",
]


SPREAD_NOTE = (
    "Panel figures are medians of members' views. With fewer than {min_panel} responses "
    f"they are not shown; a distribution-free 95% interval is shown from {SPREAD_MIN_N} "
    "members, since with fewer it would name the lowest and highest member's answer."
)


def number(value: float | None, digits: int = 2) -> str:
    """A figure for display; an absent one shows as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def fewer_than(min_panel: int) -> str:
    return f"fewer than {min_panel} responses"


def panel_figure(value: float | None, panel_n: int, min_panel: int) -> str:
    """A domain's or overall panel figure, or why there is none."""
    return number(value) if panel_n else fewer_than(min_panel)


def panel_cell(row: pd.Series, min_panel: int) -> str:
    """A competency's panel median with its interval (where the panel is large enough for
    one, `ocf.disclosure`) and n, or why there is none."""
    if row["suppressed"] or row["panel_n"] == 0:
        return fewer_than(min_panel) if row["panel_n"] else "not asked, or all 'don't know'"
    if pd.isna(row["panel_lower"]):
        return f"{number(row['panel'])} (n = {row['panel_n']})"
    interval = f"{number(row['panel_lower'])}–{number(row['panel_upper'])}"
    return f"{number(row['panel'])} (95% interval {interval}, n = {row['panel_n']})"


def coverage_words(
    coverage: float | None,
    checked: int | None = None,
    total: int | None = None,
    by_evidence: int = 0,
) -> str:
    """How much of a final rating the panel checked: 'checked by the panel: 3 of 19
    competencies (2 checked by evidence, not by the panel)'.

    With counts, they are named; otherwise the weighted share as a percentage.
    """
    if coverage is None or pd.isna(coverage):
        return "no final rating"
    if checked is not None and total is not None:
        evidence = f" ({by_evidence} checked by evidence, not by the panel)" if by_evidence else ""
        return f"checked by the panel: {checked} of {total} competencies{evidence}"
    return f"checked by the panel: {coverage:.0%} of its weight"


def share(coverage: float | None) -> str:
    """A coverage as a percentage for tables ('' where there is no final rating)."""
    if coverage is None or pd.isna(coverage):
        return ""
    return f"{coverage:.0%}"


def flag_sentence(
    flag: str, gap: float | None, tolerance: float, checked: int, rated: int
) -> str | None:
    """What a headline flag means, in the words every page and report uses (None: no flag)."""
    if flag == "accountability_gap":
        return (
            f"**Accountability gap.** The organisation rates itself {gap:.2f} levels above what "
            "its service users and carers see. Each competency's final rating, and each "
            f"area's and the overall one, is capped at the panel's view plus {tolerance:g}."
        )
    if flag == "not_verified":
        return (
            "**Not verified.** The panel has given no view on any competency behind this rating: "
            "it is the self-assessment alone."
        )
    if flag == "partly_verified":
        return (
            f"**Partly verified.** The panel has given a view on {checked} of {rated} "
            "competencies; the rest of the rating is the self-assessment alone."
        )
    return None


def sentence(text: str) -> str:
    """A core message as people read it: a capital first, a full stop last. The core's messages
    are also command-line diagnostics (`FILE:LINE: message`), so they start in lower case."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?)" else text + "."


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '3 rows', '1,200 responses': a count with its noun agreeing (never 'row(s)')."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def label_or_none(label: object) -> str:
    """A level word from the scores (`final_label`, `panel_label`), or "" where there is none
    (no figure, or a final the panel checked nowhere: no level is claimed for it)."""
    return label if isinstance(label, str) else ""


def final_label(coverage: float | None) -> str:
    """'Final (moderated)' only where the panel checked all of it (coverage 1)."""
    if coverage is not None and not pd.isna(coverage) and coverage >= 1 - 1e-9:
        return "Final (moderated)"
    if coverage is not None and not pd.isna(coverage) and coverage > 0:
        return "Final (partly moderated)"
    return "Final (not moderated)"


def correlation_words(correlation) -> str:
    """A Spearman correlation as it should be quoted: the interval where there is an honest
    one, otherwise the exact p-value, always with n."""
    if correlation.value is None:
        return "not enough sites (needs at least 4 with both figures)"
    if correlation.lower is None and correlation.p_value is not None:
        return (
            f"{number(correlation.value)} (n = {correlation.n} sites: too few for an interval; "
            f"exact p = {number(correlation.p_value, 3)})"
        )
    if correlation.lower is None:
        return f"{number(correlation.value)} (n = {correlation.n} sites; a perfect rank correlation has no interval)"
    return (
        f"{number(correlation.value)} (95% interval {number(correlation.lower)} to "
        f"{number(correlation.upper)}, n = {correlation.n} sites)"
    )


def interval(lower: float | None, upper: float | None, digits: int = 2, missing: str = "") -> str:
    """'a to b', or `missing` when there is no interval."""
    if lower is None or pd.isna(lower):
        return missing
    return f"{number(lower, digits)} to {number(upper, digits)}"


def panel_interval(
    median: float | None, lower: float | None, upper: float | None, min_panel: int
) -> str:
    """A panel's interval, or why there is none (too few members for a figure, or for a spread)."""
    if median is None or pd.isna(median):
        return fewer_than(min_panel)
    return interval(lower, upper, missing=f"none below {SPREAD_MIN_N} members")


def agreement_words(alpha: float | None) -> str:
    """Krippendorff's reading of alpha: ≥ 0.800 reliable, 0.667–0.800 tentative, below that low."""
    if alpha is None or pd.isna(alpha):
        return "cannot be measured"
    if alpha >= 0.8:
        return "strong"
    if alpha >= 0.667:
        return "moderate"
    return "low: members see the organisation differently"


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Someone's words for a Markdown element, shown as typed: no link, image, heading or HTML
    can come from a panel member's or a lead's text."""
    return _MARKDOWN.sub(r"\\\1", text)


def round_words(round_, title: str | None = None) -> str:
    """A round as every picker names it: its id, its framework's title, its status and the
    period of detention data it links to ("2024-25: Organisational … (published, data
    2023-24)")."""
    data = f", data {round_.period}" if round_.period else ""
    return f"{round_.id}{f': {title}' if title else ''} ({round_.status}{data})"
