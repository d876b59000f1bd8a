"""Numbers agree wherever they appear (issue 20, item 10): one rounding for a figure on a page;
a panel n that differs between pages says why; the funnel plot explains itself; the linking
page names trusts and its labels never overlap."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ocf import charts
from ocf.charts import LABEL_HEIGHT, LABEL_WIDTH, label_positions
from ocf.disparity import detention_rows, disparity_table, funnel
from ocf.store import Store

from .conftest import PROJECT

APP = str(PROJECT / "app_router.py")


def test_the_disparity_headline_and_its_sentence_give_the_same_figure(app_as) -> None:
    at = app_as("regulator", "disparity")
    headline = next(m.value for m in at.metric if m.label.startswith("Crude rate ratio"))
    sentence = next(m.value for m in at.markdown if "times the rate" in m.value)
    assert f"was {headline} times the rate" in sentence


def test_the_funnel_plot_says_what_its_marker_and_axes_mean(app_as, demo_path: Path) -> None:
    at = app_as("regulator", "disparity")
    caption = next(c.value for c in at.caption if c.value.startswith("Each blue dot"))
    assert "England is not among them" in caption and "more precise" in caption
    at.selectbox[4].select("QMF").run()
    caption = next(c.value for c in at.caption if c.value.startswith("Each blue dot"))
    assert "the red diamond is NHS North East London Integrated Care Board" in caption
    rows = detention_rows(Store.open(demo_path), "2023-24", "all-detentions")
    points, limits, target = funnel(disparity_table(rows, "Black or Black British", "White"))
    points = points.assign(name=points["geography"] + " name")
    spec = charts.vega_lite(charts.funnel_chart(points, limits, target)).__str__()
    assert "more precise →" in spec and "name" in spec
    chart = charts.funnel_chart(points, limits, target).to_dict()
    domain = chart["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert domain[0] <= points["rate_ratio"].min() and domain[1] >= points["rate_ratio"].max()
    assert domain[1] / domain[0] < 100  # the limits at low precision no longer set the range


def test_panel_n_on_compare_is_explained_and_matches_results(app_as) -> None:
    compare = app_as("regulator", "compare")
    assert any("fewest members who rated any one competency" in c.value for c in compare.caption)
    table = next(t.value for t in compare.table if "Panel n (fewest on a competency)" in t.value)
    results = app_as("regulator", "results")
    site = results.selectbox[1].value
    text = next(m.value for m in results.markdown if "members responded" in m.value)
    fewest = int(re.search(r"fewest who rated any one competency: (\d+)", text).group(1))
    row = table.reset_index().set_index(table.index.name or "Site").loc[site.name]
    assert int(row["Panel n (fewest on a competency)"]) == fewest


def test_the_linking_page_names_trusts_not_codes(app_as, demo_path: Path) -> None:
    at = app_as("regulator", "linking")
    sites = at.table[0].value
    names = {s.name for s in Store.open(demo_path).sites.list_sites()}
    assert set(sites.index) <= names and len(sites) == 8
    assert sorted(sites["On the chart"].astype(int)) == list(range(1, 9))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.floats(0, 3), st.floats(0.5, 8)),
        min_size=1,
        max_size=40,
    )
)
def test_linking_labels_never_overlap(points: list[tuple[float, float]]) -> None:
    x = [p[0] for p in points]
    heights = label_positions(x, [p[1] for p in points])
    import math

    logs = [math.log10(h) for h in heights]
    span = max(max(math.log10(p[1]) for p in points) - min(math.log10(p[1]) for p in points), 0.3)
    for i in range(len(points)):
        assert logs[i] >= math.log10(points[i][1]) - 1e-9  # moved up, never down
        for j in range(i):
            apart_x = abs(x[i] - x[j]) >= LABEL_WIDTH - 1e-9
            apart_y = abs(logs[i] - logs[j]) >= LABEL_HEIGHT * span - 1e-9
            assert apart_x or apart_y


def test_each_figure_is_said_once(app_as) -> None:
    """Results showed "+0.18" twice (value and delta); the disparity page showed "Crude rate
    ratio 3.44" twice where a standardised ratio leads (issue 35)."""
    at = app_as("admin", "results")
    organisation = next(s for s in at.selectbox if s.label == "Organisation")
    organisation.select_index(1).run()  # XTA2: submitted, its panel closed
    change = next(m for m in at.metric if m.label.startswith("Change since"))
    assert not change.proto.delta
    at = app_as("admin", "disparity")
    crude = [m for m in at.metric if m.label.startswith("Crude rate ratio")]
    assert len(crude) == 1
