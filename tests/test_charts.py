"""Chart specs: validated, data inline, no altair theme defaults, altair's settings untouched."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ocf.charts import heatmap_chart, link_chart, vega_lite
from ocf.loading import load_shipped


def test_a_spec_carries_its_data_and_not_altairs_default_sizes() -> None:
    sites = pd.DataFrame(
        {"site": ["A", "B"], "name": ["A trust", "B trust"], "final": [1.5, 2.0]}
        | {"rate_ratio": [3.1, 4.2], "ratio_lower": [2.0, 3.0], "ratio_upper": [4.0, 5.5]}
    )
    spec = vega_lite(link_chart(sites))
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    rows = [row for data in spec["datasets"].values() for row in data]
    assert {row["name"] for row in rows} == {"A trust", "B trust"}
    assert "continuousWidth" not in spec.get("config", {}).get("view", {})


def test_large_data_converts_and_altairs_settings_are_restored() -> None:
    theme, transformer = alt.theme.active, alt.data_transformers.active
    frame = pd.DataFrame({"x": range(6_000), "y": range(6_000)})
    spec = vega_lite(alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q"))
    assert sum(len(data) for data in spec["datasets"].values()) == 6_000  # over altair's 5,000
    assert (alt.theme.active, alt.data_transformers.active) == (theme, transformer)


def test_the_heatmap_names_every_area() -> None:
    """Upright overlap checks dropped every other area name; at 45° all are shown."""
    scale = load_shipped().frameworks["ocf-race-equality"].scale
    areas = ["Awareness", "Staff capability", "Behavioural change", "Data and monitoring"]
    grid = pd.DataFrame(
        {"site": "A", "title": areas, "final": 2.0, "self": 2.0, "panel": 2.0, "panel_n": 5}
    )
    axis = vega_lite(heatmap_chart(grid, scale, {"A": "A trust"}))["layer"][0]["encoding"]["x"]
    assert axis["axis"]["labelOverlap"] is False and axis["axis"]["labelAngle"] == -45
