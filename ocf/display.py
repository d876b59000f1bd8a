"""How figures read, defined once for the pages and the board report.

Above all, how a suppressed panel figure reads: never as a number, always with the framework's
own minimum panel size.
"""

from __future__ import annotations

import math

import pandas as pd


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
    """A competency's panel median with its interval and n, or why there is none."""
    if row["suppressed"] or row["panel_n"] == 0:
        return fewer_than(min_panel) if row["panel_n"] else "not asked, or all 'don't know'"
    interval = f"{number(row['panel_lower'])}–{number(row['panel_upper'])}"
    return f"{number(row['panel'])} (95% interval {interval}, n = {row['panel_n']})"


def interval(lower: float | None, upper: float | None, digits: int = 2, missing: str = "") -> str:
    """'a to b', or `missing` when there is no interval."""
    if lower is None or pd.isna(lower):
        return missing
    return f"{number(lower, digits)} to {number(upper, digits)}"


def agreement_words(alpha: float | None) -> str:
    """Krippendorff's reading of alpha: ≥ 0.800 reliable, 0.667–0.800 tentative, below that low."""
    if alpha is None or pd.isna(alpha):
        return "cannot be measured"
    if alpha >= 0.8:
        return "strong"
    if alpha >= 0.667:
        return "moderate"
    return "low: members see the organisation differently"
