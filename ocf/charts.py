"""Altair chart builders: they return charts and never render (pages display them).

Every chart encodes series by shape as well as colour, so it reads without colour vision, and
every page shows a table with the same numbers next to it.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ocf.models import Scale

SERIES = ["Self", "Panel", "Final"]
COLOURS = ["#005eb8", "#ed8b00", "#212b32"]  # NHS blue, orange, near-black
SHAPES = ["circle", "diamond", "square"]


def _long(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    rows = frame.rename(columns={"self": "Self", "panel": "Panel", "final": "Final"})
    return rows.melt(
        id_vars=[label], value_vars=SERIES, var_name="View", value_name="Rating"
    ).dropna(subset=["Rating"])


def maturity_chart(
    frame: pd.DataFrame, scale: Scale, label: str = "title", title: str = ""
) -> alt.Chart:
    """Self, panel and final rating per row (domain or competency), side by side on the scale."""
    data = _long(frame, label)
    axis = alt.Axis(values=list(scale.values), labelExpr=_label_expr(scale), grid=True)
    x = alt.X(
        "Rating:Q",
        scale=alt.Scale(domain=[scale.minimum, scale.maximum]),
        axis=axis,
        title="Maturity",
    )
    y = alt.Y(f"{label}:N", sort=list(frame[label]), title=None, axis=alt.Axis(labelLimit=320))
    encoding = {
        "color": alt.Color(
            "View:N",
            scale=alt.Scale(domain=SERIES, range=COLOURS),
            legend=alt.Legend(title=None, orient="top"),
        ),
        "shape": alt.Shape("View:N", scale=alt.Scale(domain=SERIES, range=SHAPES)),
        "tooltip": [
            alt.Tooltip(f"{label}:N", title="Area"),
            "View:N",
            alt.Tooltip("Rating:Q", format=".2f"),
        ],
    }
    spread = (
        alt.Chart(data)
        .mark_rule(color="#aeb7bd")
        .encode(x="min(Rating):Q", x2="max(Rating):Q", y=y)
    )
    points = (
        alt.Chart(data).mark_point(size=120, filled=True, opacity=0.95).encode(x=x, y=y, **encoding)
    )
    # A height per row (a step), not a fixed total: the chart grows with its rows and a
    # container that stretches it to full width cannot squash them.
    chart = (spread + points).properties(height=alt.Step(36))
    return chart.properties(title=title) if title else chart


def _label_expr(scale: Scale) -> str:
    cases = " : ".join(
        f"datum.value == {lv.value} ? '{lv.value} {lv.label}'" for lv in scale.levels
    )
    return f"{cases} : ''"
