"""Rates with other denominators (issue 33, 8): restraint per 1,000 occupied bed days, a share
of admissions per 100, detentions per 100,000 people; each with the method its kind calls for."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ocf.cli import main
from ocf.denominators import DENOMINATORS, parse_kind, rate_limits, ratio_limits
from ocf.disparity import disparity_table, funnel_points, rates_by_group
from ocf.errors import DataError
from ocf.stats import proportion_ci, rate_ci, risk_ratios, wilson_limits
from ocf.store import Store

from .test_disparity_v2 import imported, real_db

Z = 1.959964


def test_wilson_limits_are_proportion_cis_for_many_at_once() -> None:
    counts, ns = [0, 3, 17, 40, 50], [10, 50, 60, 40, 200]
    lower, upper = wilson_limits(counts, ns)
    for x, n, lo, hi in zip(counts, ns, lower, upper, strict=True):
        one = proportion_ci(x, n)
        assert (lo, hi) == pytest.approx((one.lower, one.upper), abs=1e-12)


def test_katz_ratio_of_proportions_by_hand() -> None:
    """10 of 100 against 5 of 100: ratio 2, SE(ln RR) = √(1/10 − 1/100 + 1/5 − 1/100) = √0.28."""
    ratio, lower, upper = risk_ratios([10], [100], [5], [100])
    half = Z * math.sqrt(0.28)
    assert ratio[0] == pytest.approx(2.0)
    assert (lower[0], upper[0]) == pytest.approx((2 * math.exp(-half), 2 * math.exp(half)))
    # Narrower than the rate ratio's log method, which ignores that each admission is counted
    # once: √(1/10 + 1/5) = √0.30.
    assert upper[0] - lower[0] < 2 * math.exp(Z * math.sqrt(0.3)) - 2 * math.exp(
        -Z * math.sqrt(0.3)
    )


def test_each_kind_has_its_unit_and_method() -> None:
    assert {k: d.unit for k, d in DENOMINATORS.items()} == {
        "people": "per 100,000 people",
        "occupied-bed-days": "per 1,000 occupied bed days",
        "admissions": "per 100 admissions",
    }
    assert [parse_kind(t) for t in ("", "Population", "Occupied bed days", "OBD", "admissions")] == [
        "people", "people", "occupied-bed-days", "occupied-bed-days", "admissions",
    ]  # fmt: skip
    assert parse_kind("beds") is None
    rate, lower, upper = rate_limits(
        [12, 12, 12], [40_000, 40_000, 40], ["people", "occupied-bed-days", "admissions"]
    )
    per_person = rate_ci(12, 40_000)
    per_bed_day = rate_ci(12, 40_000, multiplier=1_000)
    share = proportion_ci(12, 40)
    assert (rate[0], lower[0], upper[0]) == pytest.approx(
        (per_person.value, per_person.lower, per_person.upper)
    )
    assert (rate[1], lower[1], upper[1]) == pytest.approx(
        (per_bed_day.value, per_bed_day.lower, per_bed_day.upper)
    )
    assert (rate[2], lower[2], upper[2]) == pytest.approx(
        (30, share.lower * 100, share.upper * 100)
    )
    ratio, _, high = ratio_limits(
        [10, 10], [100, 100], [5, 5], [100, 100], ["people", "admissions"]
    )
    assert ratio == pytest.approx([2, 2]) and high[1] < high[0]  # Katz is the narrower


RESTRAINT = (
    "site,period,measure,ethnic_group,count,population,denominator_kind\n"
    "RX1,2024-25,Restraint,Black or Black British,60,8000,occupied bed days\n"
    "RX1,2024-25,Restraint,White,90,30000,occupied bed days\n"
    "RX2,2024-25,Restraint,Black or Black British,20,5000,occupied bed days\n"
    "RX2,2024-25,Restraint,White,40,20000,occupied bed days\n"
    "RX1,2024-25,Detained on admission,Black or Black British,45,150,admissions\n"
    "RX1,2024-25,Detained on admission,White,120,800,admissions\n"
    "RX2,2024-25,Detained on admission,Black or Black British,30,100,admissions\n"
    "RX2,2024-25,Detained on admission,White,90,600,admissions\n"
)


@pytest.fixture
def wards(tmp_path: Path, runner) -> Path:
    db = real_db(tmp_path, runner, "RX1", "RX2")
    csv = tmp_path / "wards.csv"
    csv.write_text(RESTRAINT)
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def test_restraint_per_bed_days_and_detention_per_admission_are_rated_with_their_methods(
    wards: Path, runner
) -> None:
    table = pd.concat(
        pd.read_csv(io.StringIO(out.stdout))
        for measure in ("restraint", "detained-on-admission")
        if (
            out := runner.invoke(
                main, ["disparity", "--period", "2024-25", "--measure", measure, "--db", str(wards)]
            )
        ).exit_code
        == 0
    ).set_index(["geography", "measure"])
    restraint = table.loc[("RX1", "restraint")]
    # Counts are rounded to 5 below national level (60 and 90 already are).
    assert restraint["denominator"] == "occupied-bed-days"
    assert restraint["focus_rate"] == pytest.approx(60 / 8000 * 1000)  # 7.5 per 1,000 bed days
    assert restraint["rate_ratio"] == pytest.approx((60 / 8000) / (90 / 30000))
    half = Z * math.sqrt(1 / 60 + 1 / 90)  # the log method
    assert restraint["ratio_upper"] == pytest.approx(
        restraint["rate_ratio"] * math.exp(half), rel=1e-5
    )
    admitted = table.loc[("RX1", "detained-on-admission")]
    assert admitted["denominator"] == "admissions"
    assert admitted["focus_rate"] == pytest.approx(30.0)  # 45 of 150: 30 per 100 admissions
    wilson = proportion_ci(45, 150)
    assert (admitted["focus_lower"], admitted["focus_upper"]) == pytest.approx(
        (wilson.lower * 100, wilson.upper * 100), rel=1e-6
    )
    katz = Z * math.sqrt(1 / 45 - 1 / 150 + 1 / 120 - 1 / 800)
    assert admitted["ratio_lower"] == pytest.approx(
        admitted["rate_ratio"] * math.exp(-katz), rel=1e-5
    )


def test_a_funnel_of_shares_uses_katzs_precision(wards: Path) -> None:
    rows = Store.open(wards).detentions.detentions_frame("2024-25", "detained-on-admission")
    points = funnel_points(disparity_table(rows)).set_index("geography")
    assert points.loc["RX1", "precision"] == pytest.approx(
        1 / (1 / 45 - 1 / 150 + 1 / 120 - 1 / 800)
    )


def test_rates_by_group_say_what_they_are_per(wards: Path) -> None:
    rows = Store.open(wards).detentions.detentions_frame("2024-25", "restraint")
    rates, meta = rates_by_group(rows, "RX2")
    assert meta["denominator"].unit == "per 1,000 occupied bed days"
    black = rates.set_index("group").loc["Black or Black British"]
    assert black["rate"] == pytest.approx(20 / 5000 * 1000)


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            "RX1,2024-25,Restraint,White,9,100,beds\n",
            "ROW 2: denominator_kind: 'beds' is not a kind of denominator; expected people, "
            "occupied-bed-days, admissions (empty: people)",
        ),
        (
            "RX1,2024-25,Restraint,White,9,100,admissions\n"
            "RX1,2024-25,Restraint,Black or Black British,9,100,occupied bed days\n",
            "ROW 3: denominator_kind: occupied-bed-days, but row 2 gives admissions for "
            "restraint in 2024-25",
        ),
        (
            "RX1,2024-25,Detained on admission,White,120,100,admissions\n",
            "ROW 2: count: 120 is more than the admissions (100)",
        ),
    ],
)
def test_a_bad_denominator_is_refused_with_its_row(tmp_path: Path, runner, rows, said) -> None:
    db = real_db(tmp_path, runner, "RX1")
    csv = tmp_path / "bad.csv"
    csv.write_text("site,period,measure,ethnic_group,count,population,denominator_kind\n" + rows)
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code != 0 and said in result.output + result.stderr
    assert Store.open(db).detentions.detentions_frame().empty  # all or nothing


def test_age_bands_are_refused_for_a_rate_that_is_not_per_person(tmp_path: Path, runner) -> None:
    db = real_db(tmp_path, runner, "RX1")
    csv = tmp_path / "bands.csv"
    csv.write_text(
        "site,period,measure,ethnic_group,age_band,sex,count,population,denominator_kind\n"
        "RX1,2024-25,Restraint,White,18-24,,9,1000,occupied bed days\n"
    )
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert "age bands standardise rates per person" in result.output + result.stderr


def test_a_measure_keeps_one_kind_across_imports(wards: Path, tmp_path: Path) -> None:
    from ocf.access import SYSTEM
    from ocf.admin import preview_detentions

    store = Store.open(wards)
    text = (
        "site,period,measure,ethnic_group,count,population\n"
        "RX1,2024-25,Restraint,Mixed,5,900\n"  # people, by default: not what is held
    )
    with pytest.raises(DataError, match="counted against occupied-bed-days"):
        preview_detentions(store, SYSTEM, io.BytesIO(text.encode()), "more.csv")


def test_rows_held_before_kinds_existed_are_per_person(demo_store: Store) -> None:
    """Rows from before `denominator_kind` (a frame without the column, as migration 0020
    found them) are rated per 100,000 people."""
    rows = demo_store.detentions.detentions_frame(None, "all-detentions")
    assert set(rows["denominator_kind"]) == {"people"}
    table = disparity_table(rows.drop(columns="denominator_kind"))
    assert set(table["denominator"]) == {"people"}
    assert np.isfinite(table["rate_ratio"]).any()


def test_the_demo_shows_restraint_per_occupied_bed_days(app_as) -> None:
    at = app_as("regulator", "disparity")
    next(s for s in at.selectbox if s.label == "Measure").set_value("restraint").run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "Black or Black British, crude, per 1,000 occupied bed days" in labels, labels


def test_the_disparity_page_says_per_bed_days(wards: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from ocf.access import SYSTEM, add_account, sign_in

    from .conftest import PROJECT

    monkeypatch.setenv("OCF_DB", str(wards))
    store = Store.open(wards)
    actor = sign_in(store, add_account(store, SYSTEM, "Reg", "regulator"))
    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    at.session_state["actor"] = actor
    at.run()
    at.switch_page("app_pages/disparity.py").run()
    next(s for s in at.selectbox if s.label == "Measure").set_value("restraint").run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "Black or Black British, crude, per 1,000 occupied bed days" in labels, labels
    columns = list(at.table[0].value.columns)
    assert "Rate per 1,000 occupied bed days" in columns


def _shares_shown(tmp_path: Path, runner, name: str, detained: int, admitted: int) -> list:
    """Everything a trust's share of admissions detained shows: the `ocf disparity` export and
    the rates by group on the disparity page, for Black people detained of admitted."""
    folder = tmp_path / name
    folder.mkdir()
    db = imported(
        folder,
        runner,
        "site,period,measure,ethnic_group,count,population,denominator_kind\n"
        f"RX1,2024-25,Detained on admission,Black or Black British,{detained},{admitted},admissions\n"
        "RX1,2024-25,Detained on admission,White,120,800,admissions\n",
    )
    out = runner.invoke(
        main, ["disparity", "--period", "2024-25", "--measure", "detained-on-admission",
               "--db", str(db)],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = Store.open(db).detentions.detentions_frame("2024-25", "detained-on-admission")
    return [pd.read_csv(io.StringIO(out.stdout)), rates_by_group(rows, "RX1")[0]]


def test_admissions_are_counted_people_so_they_are_disclosed_as_counts(
    tmp_path: Path, runner
) -> None:
    """Admissions are people, counted: shown exactly beside a rounded count, 6 detained of 16
    admitted read back '16 Black people were admitted', and rate × admissions narrowed the
    count. Rounded to 5 as counts are, trusts differing only within the rounding show the
    same figures."""
    seen = [
        _shares_shown(tmp_path, runner, f"t{i}", detained, admitted)
        for i, (detained, admitted) in enumerate([(6, 16), (7, 17), (5, 14), (7, 15)])
    ]
    export = seen[0][0].iloc[0]
    assert (export["focus_count"], export["focus_population"]) == (5, 15)
    assert export["reference_population"] == 800
    for other in seen[1:]:
        for a, b in zip(seen[0], other, strict=True):
            pd.testing.assert_frame_equal(a, b)


def test_a_share_never_exceeds_all_admitted(tmp_path: Path, runner) -> None:
    """8 detained of 8 admitted: the count rounded to 10 over exact admissions read 125 per
    100 admissions. Rounded alike (rounding keeps order), a share is at most 100."""
    export, by_group = _shares_shown(tmp_path, runner, "all", 8, 8)
    row = export.iloc[0]
    assert row["focus_rate"] == pytest.approx(100.0)
    assert row["focus_upper"] <= 100.0
    black = by_group.set_index("group").loc["Black or Black British"]
    assert black["rate"] == pytest.approx(100.0)


def test_admissions_of_one_to_four_are_suppressed(tmp_path: Path, runner) -> None:
    """None detained of 1 to 4 admitted: the count (0) is shown, the admissions are not, and
    nothing tells the four trusts apart."""
    seen = [_shares_shown(tmp_path, runner, f"few{n}", 0, n) for n in (1, 2, 3, 4)]
    export = seen[0][0].iloc[0]
    assert pd.isna(export["focus_population"]) and pd.isna(export["focus_rate"])
    assert pd.isna(export["rate_ratio"])
    for other in seen[1:]:
        for a, b in zip(seen[0], other, strict=True):
            pd.testing.assert_frame_equal(a, b)
