"""How figures read: a suppressed panel figure is never a number, and uses the framework's minimum."""

from __future__ import annotations

import math

import pandas as pd

from ocf.display import fewer_than, interval, number, panel_cell, panel_figure


def row(**values) -> pd.Series:
    base = {"panel": 1.5, "panel_n": 7, "panel_lower": 1.0, "panel_upper": 2.0, "suppressed": False}
    return pd.Series({**base, **values})


def test_a_panel_figure_with_enough_members_shows_its_interval_and_n() -> None:
    assert panel_cell(row(), 3) == "1.50 (95% interval 1.00–2.00, n = 7)"


def test_a_suppressed_panel_figure_reads_as_words_with_the_frameworks_minimum() -> None:
    small = row(panel=math.nan, panel_n=2, suppressed=True)
    assert panel_cell(small, 3) == "fewer than 3 responses"
    assert panel_cell(small, 5) == "fewer than 5 responses"
    assert panel_figure(math.nan, 0, 4) == fewer_than(4) == "fewer than 4 responses"


def test_no_panel_view_at_all_says_so() -> None:
    assert panel_cell(row(panel=math.nan, panel_n=0), 3) == "not asked, or all 'don't know'"


def test_numbers_and_intervals() -> None:
    assert (number(None), number(math.nan), number(2.345), number(239.04, 1)) == (
        "–",
        "–",
        "2.35",
        "239.0",
    )
    assert interval(3.343, 3.537) == "3.34 to 3.54"
    assert interval(math.nan, math.nan, missing="none") == "none"


def test_agreement_reads_as_krippendorff_does() -> None:
    from ocf.display import agreement_words

    assert [agreement_words(a) for a in (None, 0.9, 0.8, 0.7, 0.667, 0.5)] == [
        "cannot be measured", "strong", "strong", "moderate", "moderate",
        "low: members see the organisation differently",
    ]  # fmt: skip


def test_framework_versions_include_current_published_and_round_snapshots(demo_store) -> None:
    from ocf.admin import framework_versions

    versions = framework_versions(demo_store)
    assert {
        "ocf-race-equality (current)",
        "pcref (current)",
        "ocf-race-equality v4 (round 2024-25)",
    } <= set(versions)
    assert (
        versions["ocf-race-equality (current)"] == versions["ocf-race-equality v4 (round 2024-25)"]
    )


def test_a_round_is_named_the_same_way_in_every_picker() -> None:
    """Issue 32: compare, system, public, linking, submissions and rounds each named rounds
    their own way; `round_words` is the one way (`app_pages.common.choose_round`)."""
    from ocf.display import round_words
    from ocf.models import Round

    published = Round("2024-25", "ocf", 1, "published", period="2023-24")
    assert round_words(published, "OCF") == "2024-25: OCF (published, data 2023-24)"
    assert round_words(Round("s1", "sys", 1, "open")) == "s1 (open)"


def test_no_page_builds_its_own_round_picker() -> None:
    import re

    from .conftest import PROJECT

    own = [
        p.name
        for p in (PROJECT / "app_pages").glob("*.py")
        if re.search(r'selectbox\(\s*"Round"', p.read_text()) and p.name != "common.py"
    ]
    assert own == []
