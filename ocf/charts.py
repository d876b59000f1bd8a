"""Altair chart builders: they return charts and never render (pages display them).

Every chart encodes series by shape as well as colour, so it reads without colour vision, and
every page shows a table with the same numbers next to it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from ocf.models import Scale

__all__ = [
    "COLOURS",
    "LABEL_HEIGHT",
    "LABEL_WIDTH",
    "SERIES",
    "SHAPES",
    "caterpillar_chart",
    "funnel_chart",
    "heatmap_chart",
    "label_positions",
    "link_chart",
    "maturity_chart",
    "rates_chart",
    "vega_lite",
]


# altair's data transformer and theme are process-wide settings: one conversion at a time.
_CONVERTING = threading.Lock()

SERIES = ["Self", "Panel", "Final"]
COLOURS = ["#005eb8", "#ed8b00", "#212b32"]  # NHS blue, orange, near-black
SHAPES = ["circle", "diamond", "square"]


def vega_lite(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as a validated Vega-Lite spec with its data inline, ready to display.

    Without altair's default theme, whose fixed sizes Streamlit's theme replaces (as
    `st.altair_chart` does), and without altair's 5,000-row limit on inline data.
    """
    with (
        _CONVERTING,
        alt.data_transformers.enable("default", max_rows=None),
        alt.theme.enable("none"),
    ):
        return chart.to_dict()


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


def rates_chart(rates: pd.DataFrame, unit: str = "per 100,000") -> alt.Chart:
    """Rate `unit` (per 100,000 people, per 1,000 occupied bed days, …) by ethnic group with
    its 95% interval (suppressed groups left out)."""
    data = rates.dropna(subset=["rate"])
    y = alt.Y("group:N", sort=list(rates["group"]), title=None, axis=alt.Axis(labelLimit=260))
    bars = (
        alt.Chart(data)
        .mark_rule(strokeWidth=2, color="#425563")
        .encode(x=alt.X("lower:Q", title=f"Rate {unit} (95% interval)"), x2="upper:Q", y=y)
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=110, color="#005eb8")
        .encode(
            x="rate:Q",
            y=y,
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("rate:Q", format=".1f"),
                alt.Tooltip("lower:Q", format=".1f"),
                alt.Tooltip("upper:Q", format=".1f"),
                alt.Tooltip("count:Q", format=",.0f"),
            ],
        )
    )
    return (bars + points).properties(height=alt.Step(36))


def funnel_chart(
    points: pd.DataFrame, limits: pd.DataFrame, target: float, highlight: str | None = None
) -> alt.Chart:
    """Rate ratio against precision with 95% (dashed) and 99.8% (solid) control limits.

    The ratio axis spans the areas' ratios and the centre with a margin (the limits are cut at
    its edges: at low precision they would squash every point into a band). `points` may carry
    a `name` for each geography, shown on hover.
    """
    long = limits.melt(id_vars="precision", var_name="limit", value_name="ratio")
    long["level"] = long["limit"].str.split(" ").str[1]
    x = alt.X(
        "precision:Q",
        scale=alt.Scale(type="log"),
        title="Precision: more people detained, more precise →",
    )
    ratios = [*points["rate_ratio"].dropna(), target]
    domain = [min(ratios) / 1.5, max(ratios) * 1.5]
    # The limits beyond the range are dropped (they only widen towards low precision, so each
    # line simply starts later), so that no layer stretches the shared axis.
    long = long[long["ratio"].between(*domain)]
    y = alt.Y(
        "ratio:Q",
        scale=alt.Scale(type="log", domain=domain, nice=False),
        title="Rate ratio, focus to reference group (log scale)",
    )
    lines = (
        alt.Chart(long)
        .mark_line(color="#768692", clip=True)
        .encode(
            x=x,
            y=y,
            detail="limit:N",
            strokeDash=alt.StrokeDash(
                "level:N",
                scale=alt.Scale(domain=["95%", "99.8%"], range=[[5, 4], [1, 0]]),
                title="Control limit",
            ),
        )
    )
    centre = alt.Chart(pd.DataFrame({"ratio": [target]})).mark_rule(color="#212b32").encode(y=y)
    data = points.assign(ratio=points["rate_ratio"], selected=points["geography"] == highlight)
    if "name" not in data:
        data["name"] = data["geography"]
    dots = (
        alt.Chart(data)
        .mark_point(filled=True)
        .encode(
            x=x,
            y=y,
            size=alt.condition("datum.selected", alt.value(260), alt.value(60)),
            color=alt.condition("datum.selected", alt.value("#d5281b"), alt.value("#005eb8")),
            shape=alt.condition("datum.selected", alt.value("diamond"), alt.value("circle")),
            tooltip=[
                alt.Tooltip("name:N", title="Area"),
                alt.Tooltip("ratio:Q", format=".2f", title="Rate ratio"),
                alt.Tooltip("focus_count:Q", format=",.0f", title="Detentions, focus group"),
                alt.Tooltip(
                    "reference_count:Q", format=",.0f", title="Detentions, reference group"
                ),
            ],
        )
    )
    return (lines + centre + dots).properties(height=360)


# A label's box in data units on the linking chart (0–3 maturity across ~600 px, 340 px high):
# a two-digit number is about 0.12 maturity wide; one line is about 7% of the ratio axis high.
LABEL_WIDTH = 0.12
LABEL_HEIGHT = 0.07


def label_positions(x: Sequence[float], y: Sequence[float]) -> list[float]:
    """Heights for labels placed just right of points (x, y), `y` on a log scale, moved up as
    little as needed so that no two labels' boxes overlap (greedy, lowest point first)."""
    logs = np.log10(np.asarray(y, dtype=float))
    span = max(float(logs.max() - logs.min()), 0.3) if len(logs) else 1.0
    height = LABEL_HEIGHT * span
    placed: list[tuple[float, float]] = []
    heights = np.empty(len(logs))
    for i in np.argsort(logs, kind="stable"):
        at = logs[i]
        moved = True
        while moved:
            moved = False
            for px, py in placed:
                # (the small allowance stops rounding from finding the same clash forever)
                if abs(px - x[i]) < LABEL_WIDTH and abs(py - at) < height * (1 - 1e-9):
                    at, moved = py + height, True
        placed.append((x[i], at))
        heights[i] = at
    return list(10**heights)


def link_chart(sites: pd.DataFrame, maturity: str = "final") -> alt.Chart:
    """Each site's maturity against its rate ratio with the ratio's 95% interval, each point
    numbered by `key` (the table beside it names the site), the numbers never overlapping."""
    data = sites.dropna(subset=[maturity, "rate_ratio"]).rename(columns={maturity: "maturity"})
    if "key" not in data:
        data = data.assign(key=range(1, len(data) + 1))
    if "name" not in data:
        data = data.assign(name=data["site"])
    data = data.assign(
        label_x=data["maturity"] + 0.04,
        label_y=label_positions((data["maturity"] + 0.04).tolist(), data["rate_ratio"].tolist()),
    )
    x = alt.X(
        "maturity:Q",
        title="Final maturity (0 Undeveloped – 3 Excelling)",
        scale=alt.Scale(domain=[0, 3]),
    )
    y = alt.Y("rate_ratio:Q", scale=alt.Scale(type="log"), title="Rate ratio (log scale)")
    bars = (
        alt.Chart(data)
        .mark_rule(color="#768692")
        .encode(x=x, y="ratio_lower:Q", y2="ratio_upper:Q")
    )
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=100, color="#005eb8")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("name:N", title="Site"),
                alt.Tooltip("maturity:Q", format=".2f", title="Maturity"),
                alt.Tooltip("rate_ratio:Q", format=".2f", title="Rate ratio"),
            ],
        )
    )
    labels = (
        alt.Chart(data)
        .mark_text(align="left", baseline="middle", fontSize=11)
        .encode(
            x=alt.X("label_x:Q", scale=alt.Scale(domain=[0, 3])),
            y=alt.Y("label_y:Q", scale=alt.Scale(type="log")),
            text="key:N",
        )
    )
    return (bars + dots + labels).properties(height=340)


def heatmap_chart(grid: pd.DataFrame, scale: Scale, names: dict[str, str]) -> alt.Chart:
    """Sites × domains coloured by final rating, with self, panel and n on hover, value printed."""
    data = grid.assign(
        name=grid["site"].map(names),
        label=grid["final"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}"),
    )
    # At 45° the labels are parallel lines well apart, so every area is named; the overlap check
    # (on upright boxes) would otherwise drop every other one.
    axis = alt.Axis(labelAngle=-45, labelLimit=200, labelOverlap=False)
    x = alt.X("title:N", title=None, sort=None, axis=axis)
    y = alt.Y("name:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    colour = alt.Color(
        "final:Q",
        title="Final",
        scale=alt.Scale(domain=[scale.minimum, scale.maximum], scheme="purples"),
    )
    cells = (
        alt.Chart(data)
        .mark_rect(stroke="white")
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("name:N", title="Site"),
                alt.Tooltip("title:N", title="Area"),
                alt.Tooltip("final:Q", format=".2f"),
                alt.Tooltip("self:Q", format=".2f"),
                alt.Tooltip("panel:Q", format=".2f"),
                alt.Tooltip("panel_n:Q", title="Panel n"),
            ],
        )
    )
    text = (
        alt.Chart(data)
        .mark_text(fontSize=12)
        .encode(
            x=x,
            y=y,
            text="label:N",
            color=alt.condition("datum.final > 1.6", alt.value("white"), alt.value("#212b32")),
        )
    )
    return (cells + text).properties(height=alt.Step(32))


def caterpillar_chart(sites: pd.DataFrame, scale: Scale) -> alt.Chart:
    """Each site's final rating (square) and its panel's overall median with interval (line)."""
    data = sites.dropna(subset=["final"])
    y = alt.Y("name:N", sort=list(data["name"]), title=None, axis=alt.Axis(labelLimit=320))
    x_axis = alt.Axis(values=list(scale.values), labelExpr=_label_expr(scale))
    x = alt.X(
        "final:Q",
        scale=alt.Scale(domain=[scale.minimum, scale.maximum]),
        axis=x_axis,
        title="Maturity",
    )
    spread = (
        alt.Chart(data.dropna(subset=["panel_lower"]))
        .mark_rule(color="#ed8b00", strokeWidth=3)
        .encode(x="panel_lower:Q", x2="panel_upper:Q", y=y)
    )
    median = (
        alt.Chart(data.dropna(subset=["panel_median"]))
        .mark_point(shape="diamond", filled=True, size=90, color="#ed8b00")
        .encode(x="panel_median:Q", y=y)
    )
    final = (
        alt.Chart(data)
        .mark_point(shape="square", filled=True, size=110, color="#212b32")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("name:N"),
                alt.Tooltip("final:Q", format=".2f"),
                alt.Tooltip("panel_median:Q", format=".2f"),
                alt.Tooltip("panel_lower:Q", format=".2f"),
                alt.Tooltip("panel_upper:Q", format=".2f"),
            ],
        )
    )
    return (spread + median + final).properties(height=alt.Step(30))
