"""Disparity figures v2 (issue 16): standardised rates and ratios, any focus group, bad data."""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ocf.cli import main
from ocf.disparity import disparity_table, standardised_ratio
from ocf.store import Store

from .conftest import PROJECT, dump

SHARED = PROJECT.parent / "shared" / "data" / "mha_annual_statistics_2023_24.csv"


def real_db(tmp_path: Path, runner, *codes: str) -> Path:
    """A new database (not the demo, which takes no imports) with these trusts."""
    db = tmp_path / "real.db"
    for code in codes:
        added = runner.invoke(main, ["site", "add", code, "--name", code, "--db", str(db)])
        assert added.exit_code == 0, added.output
    return db


def imported(tmp_path: Path, runner, text: str) -> Path:
    """A new database with trust RX1 and the template `text` imported into it."""
    db = real_db(tmp_path, runner, "RX1")
    csv = tmp_path / "template.csv"
    csv.write_text(text)
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def test_the_standardised_ratio_and_its_interval_by_hand() -> None:
    """242.3 (235.4 to 249.2) vs 68.4 (67.7 to 69.1) (NHS England 2023-24, Black vs White):
    ratio 3.542; each log standard error is (ln upper − ln lower)/(2 × 1.96), combined in
    quadrature."""
    ratio, lower, upper = standardised_ratio([242.3], [235.4], [249.2], [68.4], [67.7], [69.1])
    z = 1.959964
    se = math.hypot(
        (math.log(249.2) - math.log(235.4)) / (2 * z), (math.log(69.1) - math.log(67.7)) / (2 * z)
    )
    assert ratio[0] == pytest.approx(242.3 / 68.4)
    assert lower[0] == pytest.approx(242.3 / 68.4 * math.exp(-z * se), rel=1e-6)
    assert upper[0] == pytest.approx(242.3 / 68.4 * math.exp(z * se), rel=1e-6)
    assert (round(lower[0], 2), round(upper[0], 2)) == (3.44, 3.65)
    assert math.isnan(standardised_ratio([242.3], [235.4], [249.2], [math.nan], [1], [2])[0][0])


@pytest.fixture
def national(demo_store: Store) -> Store:
    return demo_store  # the demo holds NHS England's 2023-24 reference file


def test_nhs_englands_standardised_rates_come_through_the_import(national: Store) -> None:
    rows = national.detentions.detentions_frame("2023-24", "all-detentions")
    table = disparity_table(rows, "Black or Black British", "White", "standardised")
    england = table.set_index("geography").loc["ENG"]
    assert (england["focus_rate"], england["reference_rate"]) == (242.3, 68.4)
    assert england["focus_lower"] == pytest.approx(242.3 - 6.9)
    assert round(england["rate_ratio"], 2) == 3.54  # the published figure
    mixed = disparity_table(rows, "Mixed", "White", "standardised").set_index("geography")
    assert round(mixed.loc["ENG", "rate_ratio"], 2) == 2.59
    crude = disparity_table(rows, "Mixed", "White").set_index("geography")
    assert round(crude.loc["ENG", "rate_ratio"], 2) == 1.67
    # ICBs publish no standardised rate by ethnicity: empty, never the crude figure instead.
    assert table.set_index("geography").drop("ENG")["rate_ratio"].isna().all()


def test_a_detailed_group_is_its_own_focus_never_merged(national: Store) -> None:
    rows = national.detentions.detentions_frame("2023-24", "all-detentions")
    table = disparity_table(rows, "Any Other Black background", "White").set_index("geography")
    assert round(table.loc["ENG", "rate_ratio"], 1) == 7.9  # hidden before: only 5 groups
    assert table.loc["ENG", "focus_count"] == 1619


def test_ocf_disparity_method_keeps_its_columns_and_says_what_is_missing(
    demo_path: Path, runner
) -> None:
    base = ["disparity", "--period", "2023-24", "--db", str(demo_path)]
    crude = runner.invoke(main, base)
    standardised = runner.invoke(main, [*base, "--method", "standardised"])
    assert crude.exit_code == standardised.exit_code == 0
    a = pd.read_csv(io.StringIO(crude.stdout))
    b = pd.read_csv(io.StringIO(standardised.stdout))
    assert list(a.columns) == list(b.columns)  # the contract: same columns
    assert b.set_index("geography").loc["ENG", "focus_rate"] == 242.3
    assert "have no standardised figure" in standardised.stderr
    detailed = runner.invoke(main, [*base, "--focus", "Caribbean"])
    assert detailed.exit_code == 0
    assert pd.read_csv(io.StringIO(detailed.stdout))["focus_group"].iloc[0] == "Caribbean"
    unknown = runner.invoke(main, [*base, "--focus", "Not Stated"])
    assert unknown.exit_code != 0 and "unknown group 'Not Stated'" in unknown.output


def test_a_template_count_above_its_population_is_refused(tmp_path: Path, runner) -> None:
    db = real_db(tmp_path, runner, "RX1")
    csv = tmp_path / "detentions.csv"
    csv.write_text(
        "site,period,measure,ethnic_group,count,population\n"
        "RX1,2024-25,All detentions,Black or Black British,120,100\n"
        "RX1,2024-25,All detentions,White,inf,9000\n"
        "RX1,2024-25,All detentions,Mixed,twelve,900\n"
    )
    before = dump(Store.open(db))
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code != 0
    assert f"{csv}:ROW 2: count: 120 is more than the population (100)" in result.output
    assert f"{csv}:ROW 3: count: 'inf' is not a usable number" in result.output
    assert f"{csv}:ROW 4: count: 'twelve' is not a number" in result.output
    assert dump(Store.open(db)) == before


def test_a_latin1_file_is_refused_with_an_encoding_message(tmp_path: Path, runner) -> None:
    db = tmp_path / "real.db"
    csv = tmp_path / "detentions.csv"
    csv.write_bytes(
        "site,period,measure,ethnic_group,count,population\nRX1,2024-25,Détentions,White,5,9000\n".encode(
            "latin-1"
        )
    )
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "UTF-8" in result.output


@pytest.mark.skipif(not SHARED.is_file(), reason="the shared 2023-24 file is not here")
def test_the_whole_published_file_imports_with_its_standardised_rates(
    tmp_path: Path, runner
) -> None:
    db = tmp_path / "real.db"
    shutil.copy(SHARED, tmp_path / "mha.csv")
    result = runner.invoke(
        main, ["import", "detentions", str(tmp_path / "mha.csv"), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    rows = Store.open(db).detentions.detentions_frame("2023-24", "uses-of-ctos")
    table = disparity_table(rows, "Black or Black British", "White").set_index("geography")
    assert 6 < table.loc["ENG", "rate_ratio"] < 8  # about 6.8× (issue 16)


def test_the_mantel_haenszel_ratio_by_hand() -> None:
    """Two areas. A: focus 30 of 10,000, reference 100 of 90,000. B: focus 10 of 1,000,
    reference 50 of 9,000. Σ a·n₀/t = 30·90000/100000 + 10·9000/10000 = 27 + 9 = 36;
    Σ b·n₁/t = 100·10000/100000 + 50·1000/10000 = 10 + 5 = 15; ratio 36/15 = 2.4."""
    from ocf.stats import mantel_haenszel_rate_ratio

    assert mantel_haenszel_rate_ratio([30, 10], [10_000, 1_000], [100, 50], [90_000, 9_000]) == (
        pytest.approx(2.4)
    )
    # Confounding: in each area both groups have the same rate (ratio 1), but the focus group
    # lives mostly in the high-rate area. The pooled counts say 4.8; Mantel–Haenszel says 1.
    a, n1, b, n0 = [90, 1], [9_000, 1_000], [10, 9], [1_000, 9_000]
    assert mantel_haenszel_rate_ratio(a, n1, b, n0) == pytest.approx(1.0)
    assert (sum(a) / sum(n1)) / (sum(b) / sum(n0)) == pytest.approx(91 / 19)


# --------------------------------------------------------------------------- disclosure


def crafted(tmp_path: Path, runner) -> Path:
    """A trust whose Black group has 3 detentions; every other group and the unknowns shown."""
    db = real_db(tmp_path, runner, "RX1")
    csv = tmp_path / "detentions.csv"
    csv.write_text(
        "site,period,measure,ethnic_group,count,population\n"
        "RX1,2024-25,All detentions,Black or Black British,3,4000\n"
        "RX1,2024-25,All detentions,White,203,90000\n"
        "RX1,2024-25,All detentions,Mixed,22,3000\n"
        "RX1,2024-25,All detentions,Asian or Asian British,31,8000\n"
        "RX1,2024-25,All detentions,Other Ethnic Groups,11,2000\n"
        "RX1,2024-25,All detentions,Unknown,12,2000\n"
    )
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def test_a_suppressed_count_cannot_be_recovered_from_the_unknowns(tmp_path: Path, runner) -> None:
    """The attack (issue 16): Black 3 was suppressed, but the unknown count (12) and its share
    gave the known total (270), and 270 − 203 − 22 − 31 − 11 = 3."""
    from ocf.disparity import rates_by_group

    rows = Store.open(crafted(tmp_path, runner)).detentions.detentions_frame(
        "2024-25", "all-detentions"
    )
    rates, meta = rates_by_group(rows, "RX1")
    shown = rates.set_index("group")["count"]
    assert pd.isna(shown["Black or Black British"])
    share = meta["unknown_share"]
    if share is not None and meta["unknown_count"] is not None:
        known = meta["unknown_count"] / share.value - meta["unknown_count"]
        recovered = known - shown.drop("Black or Black British").sum()
        assert round(recovered) != 3, "the suppressed count is recoverable"


def test_counts_below_national_level_are_rounded_to_5_and_small_ones_suppressed(
    tmp_path: Path, runner
) -> None:
    from ocf.disparity import rates_by_group

    db = crafted(tmp_path, runner)
    rows = Store.open(db).detentions.detentions_frame("2024-25", "all-detentions")
    rates, meta = rates_by_group(rows, "RX1")
    shown = rates.set_index("group")["count"]
    assert shown["White"] == 205 and shown["Mixed"] == 20 and shown["Other Ethnic Groups"] == 10
    # Rates come from the rounded counts: the exact count cannot be had from rate × population.
    assert rates.set_index("group").loc["White", "rate"] == pytest.approx(205 / 90_000 * 100_000)
    assert meta["unknown_share"] is None  # a group is suppressed: the share would undo it
    exported = runner.invoke(main, ["disparity", "--period", "2024-25", "--db", str(db)])
    table = pd.read_csv(io.StringIO(exported.stdout))
    assert pd.isna(table["focus_count"].iloc[0]) and table["reference_count"].iloc[0] == 205


# --------------------------------------------------------------------------- linking


def test_the_correlation_carries_the_ratios_own_uncertainty() -> None:
    from ocf.linking import rho_with_ratio_uncertainty

    maturity = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    ratios = [4.0, 3.5, 3.0, 2.5, 2.0, 1.5]

    def sites(width: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "final": maturity,
                "rate_ratio": ratios,
                "ratio_lower": [r / width for r in ratios],
                "ratio_upper": [r * width for r in ratios],
            }
        )

    sure = rho_with_ratio_uncertainty(sites(1.01))
    unsure = rho_with_ratio_uncertainty(sites(3.0))
    assert sure == (pytest.approx(-1.0), pytest.approx(-1.0))
    assert unsure[0] < -0.9 < unsure[1] and unsure[1] > 0  # wide intervals: the sign is unsure
    assert rho_with_ratio_uncertainty(sites(1.5).head(3)) is None


def test_the_linking_page_says_what_was_left_out_and_that_the_demo_is_built_in(app_as) -> None:
    at = app_as("regulator", "linking")
    assert not at.exception
    assert any("built into the synthetic data" in i.value for i in at.info)
    assert any("correlation ranged from" in c.value for c in at.caption)


def test_changes_acknowledge_regression_to_the_mean(demo_store: Store) -> None:
    from ocf.linking import link

    result = link(demo_store, "2025-26")
    if result.changes.empty:
        pytest.skip("no earlier round with data in the demo")
    rtm = result.regression_to_the_mean()
    assert rtm.n == len(result.changes)


def test_a_template_with_age_bands_gives_a_dobson_dsr(tmp_path: Path, runner) -> None:
    """Two bands, 0-39 and 40+ (ESP 2013 weights 47,000 and 53,000 of 100,000): focus 40 of
    10,000 and 10 of 5,000; DSR = (0.47 × 40/10000 + 0.53 × 10/5000) × 100,000 = 294.0,
    with Dobson's interval from ocf.stats.dsr."""
    from ocf.detention_import import esp_weight
    from ocf.stats import dsr

    assert (esp_weight(0, 39), esp_weight(40, 99)) == (47_000, 53_000)
    db = real_db(tmp_path, runner, "RX1")
    csv = tmp_path / "banded.csv"
    csv.write_text(
        "site,period,measure,ethnic_group,age_band,count,population\n"
        "RX1,2024-25,All detentions,Black or Black British,0-39,40,10000\n"
        "RX1,2024-25,All detentions,Black or Black British,40+,10,5000\n"
        "RX1,2024-25,All detentions,White,0-39,60,60000\n"
        "RX1,2024-25,All detentions,White,40+,90,90000\n"
    )
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Age-standardised rates worked out from the age bands" in result.output
    rows = Store.open(db).detentions.detentions_frame("2024-25", "all-detentions")
    table = disparity_table(rows, method="standardised").iloc[0]
    expected = dsr([40, 10], [10_000, 5_000], [47_000, 53_000])
    assert table["focus_rate"] == pytest.approx(294.0)
    assert (table["focus_lower"], table["focus_upper"]) == (
        pytest.approx(expected.lower),
        pytest.approx(expected.upper),
    )
    crude = disparity_table(rows).iloc[0]
    assert crude["focus_count"] == 50 and crude["focus_population"] == 15_000


def test_bands_that_overlap_or_are_not_bands_are_refused(tmp_path: Path, runner) -> None:
    db = real_db(tmp_path, runner, "RX1")
    csv = tmp_path / "banded.csv"
    csv.write_text(
        "site,period,measure,ethnic_group,age_band,count,population\n"
        "RX1,2024-25,All detentions,White,0-39,60,60000\n"
        "RX1,2024-25,All detentions,White,30+,90,90000\n"
        "RX1,2024-25,All detentions,Mixed,young,9,900\n"
    )
    before = dump(Store.open(db))
    result = runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)])
    assert result.exit_code != 0
    assert "age_band: age bands overlap at 30" in result.output
    assert f"{csv}:ROW 4: age_band: 'young' is not an age band" in result.output
    assert dump(Store.open(db)) == before


def test_a_template_measure_the_platform_has_never_seen_is_offered_with_the_same_methods(
    tmp_path: Path, runner
) -> None:
    """Restrictive interventions by ethnicity, which trusts record: no code change needed."""
    from ocf.disparity import rated_measures
    from ocf.measures import measure_name

    db = real_db(tmp_path, runner, "RX1", "RX2")
    csv = tmp_path / "restraint.csv"
    csv.write_text(
        "site,period,measure,ethnic_group,count,population\n"
        "RX1,2024-25,Restrictive interventions,Black or Black British,60,4000\n"
        "RX1,2024-25,Restrictive interventions,White,120,90000\n"
        "RX2,2024-25,Restrictive interventions,Black or Black British,25,2000\n"
        "RX2,2024-25,Restrictive interventions,White,80,50000\n"
    )
    assert runner.invoke(main, ["import", "detentions", str(csv), "--db", str(db)]).exit_code == 0
    store = Store.open(db)
    assert rated_measures(store.detentions.detention_choices()) == ["restrictive-interventions"]
    assert measure_name("restrictive-interventions") == "Restrictive interventions"
    out = runner.invoke(
        main, ["disparity", "--measure", "restrictive-interventions", "--db", str(db)]
    )
    table = pd.read_csv(io.StringIO(out.stdout)).set_index("geography")
    assert table.loc["RX1", "rate_ratio"] == pytest.approx((60 / 4000) / (120 / 90000))


def test_a_detailed_group_split_by_age_band_is_summed(tmp_path: Path, runner) -> None:
    """Only the first row of a detailed category was used: African read 5 of 10,000 (ratio
    1.47) where its rows hold 31 of 28,000 (about 3.26)."""
    db = imported(
        tmp_path,
        runner,
        "site,period,measure,ethnic_group,age_band,count,population\n"
        "RX1,2024-25,All detentions,African,0-39,5,10000\n"
        "RX1,2024-25,All detentions,African,40+,26,18000\n"
        "RX1,2024-25,All detentions,White,0-39,100,150000\n"
        "RX1,2024-25,All detentions,White,40+,150,150000\n",
    )
    rows = Store.open(db).detentions.detentions_frame("2024-25", "all-detentions")
    row = disparity_table(rows, focus="African", reference="White").iloc[0]
    # 31 is published as 30 (counts below national level are rounded to 5).
    assert (row["focus_count"], row["focus_population"]) == (30, 28_000)
    assert row["rate_ratio"] == pytest.approx((30 / 28_000) / (250 / 300_000))


def test_linking_also_correlates_the_panels_own_view(demo_path: Path) -> None:
    """The final is partly the trust's own rating: the panel's own view is correlated too."""
    from ocf.linking import link, standardised_available

    store = Store.open(demo_path)
    result = link(store, "2024-25")
    paired = result.sites.dropna(subset=["panel", "rate_ratio"])
    assert len(paired) >= 4 and "panel" in result.sites.columns
    by_panel = result.correlation_for("panel")
    assert by_panel.n == len(paired) and by_panel.value is not None
    assert not standardised_available(store, "2024-25")  # the demo's trusts have no age bands


def test_linking_uses_standardised_ratios_where_the_data_allow(tmp_path: Path, runner) -> None:
    from ocf.linking import link, standardised_available

    db = imported(
        tmp_path,
        runner,
        "site,period,measure,ethnic_group,age_band,count,population\n"
        "RX1,2024-25,All detentions,Black or Black British,0-39,40,10000\n"
        "RX1,2024-25,All detentions,Black or Black British,40+,10,5000\n"
        "RX1,2024-25,All detentions,White,0-39,60,60000\n"
        "RX1,2024-25,All detentions,White,40+,90,90000\n",
    )
    runner.invoke(main, ["round", "add", "r1", "--framework", "ocf-race-equality",
                         "--period", "2024-25", "--db", str(db)])  # fmt: skip
    store = Store.open(db)
    from ocf.models import Answer, Response

    survey = next(s for s in store.rounds.round_surveys("r1").values() if s.audience == "self")
    own = tuple(Answer(i.id, "2") for i in survey.items if i.type == "level")
    store.submissions.add_submitted([Response("RX1", "r1", survey.id, "equality-lead", own)], "t")
    assert standardised_available(store, "r1")
    crude = link(store, "r1").sites.set_index("site").loc["RX1", "rate_ratio"]
    standard = link(store, "r1", method="standardised").sites.set_index("site")
    assert standard.loc["RX1", "rate_ratio"] != pytest.approx(crude)
    assert standard.loc["RX1", "rate_ratio"] == pytest.approx(
        disparity_table(
            store.detentions.detentions_frame("2024-25", "all-detentions"), method="standardised"
        ).iloc[0]["rate_ratio"]
    )
