"""Detention imports, the disparity table and the link to maturity, on the real NHS file."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ocf.cli import main
from ocf.demo import REFERENCE_DATA
from ocf.detention_import import import_detentions
from ocf.disparity import disparity_table, funnel, group_totals, one_level, rates_by_group
from ocf.errors import DataError
from ocf.linking import link
from ocf.models import Site
from ocf.store import Store

from .conftest import PROJECT, dump

SHARED = PROJECT.parent / "shared" / "data" / "mha_annual_statistics_2023_24.csv"
NHS_FILE = SHARED if SHARED.exists() else REFERENCE_DATA


@pytest.fixture(scope="module")
def nhs() -> Store:
    store = Store.open(":memory:")
    import_detentions(NHS_FILE, store, "test")
    return store


def test_the_real_file_imports_with_reasons_for_what_it_skips() -> None:
    store = Store.open(":memory:")
    report = import_detentions(NHS_FILE, store, "test")
    assert report.added > 3700 and report.replaced == 0
    assert report.skipped["organisation unknown: no geography or population to rate against"] > 0
    reasons = " | ".join(report.skipped)
    assert "'Female' is not an ethnic group (mislabelled breakdown)" in reasons
    assert "two rows for one geography, measure and group; neither used" in reasons
    assert any("approximate" in note for note in report.notes)
    again = import_detentions(NHS_FILE, store, "test")
    assert (again.added, again.replaced) == (0, report.added)  # re-importing never duplicates


def test_england_black_to_white_ratio_for_all_detentions(nhs: Store) -> None:
    table = disparity_table(nhs.detentions.detentions_frame("2023-24", "all-detentions"))
    england = table.set_index("geography").loc["ENG"]
    assert (england["focus_count"], england["reference_count"]) == (5693, 31735)
    assert round(england["focus_rate"], 1) == 239.0 and round(england["reference_rate"], 1) == 69.5
    assert (
        round(england["rate_ratio"], 2),
        round(england["ratio_lower"], 2),
        round(england["ratio_upper"], 2),
    ) == (3.44, 3.34, 3.54)


def test_every_icb_whose_counts_allow_it_gets_a_ratio(nhs: Store) -> None:
    table = disparity_table(nhs.detentions.detentions_frame("2023-24", "all-detentions")).set_index(
        "geography"
    )
    icbs = table.drop(index="ENG")
    assert len(icbs) == 42
    allowed = icbs["focus_count"].notna() & icbs["reference_count"].notna()
    assert allowed.sum() >= 38
    assert icbs.loc[allowed, ["rate_ratio", "ratio_lower", "ratio_upper"]].notna().all().all()
    assert (icbs.loc[~allowed, "rate_ratio"].isna()).all()


def test_small_counts_are_suppressed_below_national_level() -> None:
    rows = pd.DataFrame(
        [
            {
                "geography": "QX1",
                "geography_name": "ICB",
                "geography_kind": "icb",
                "period": "p",
                "measure": "m",
                "ethnic_group": "Black or Black British",
                "count": 3,
                "population": 1000.0,
                "suppressed": 0,
                "population_derived": 0,
            },
            {
                "geography": "QX1",
                "geography_name": "ICB",
                "geography_kind": "icb",
                "period": "p",
                "measure": "m",
                "ethnic_group": "White",
                "count": 40,
                "population": 9000.0,
                "suppressed": 0,
                "population_derived": 0,
            },
        ]
    )
    row = disparity_table(rows).iloc[0]
    assert pd.isna(row["focus_count"]) and pd.isna(row["focus_rate"]) and pd.isna(row["rate_ratio"])
    assert row["reference_count"] == 40


def test_a_group_row_is_used_instead_of_summing_its_categories(nhs: Store) -> None:
    totals = group_totals(nhs.detentions.detentions_frame("2023-24", "all-detentions")).set_index(
        ["geography", "group"]
    )
    assert (
        totals.loc[("ENG", "Black or Black British"), "count"] == 5693
    )  # not 5693 + African + Caribbean + …


def test_rates_by_group_show_every_group_and_the_unknown_share(nhs: Store) -> None:
    rates, meta = rates_by_group(
        nhs.detentions.detentions_frame("2023-24", "all-detentions"), "ENG"
    )
    assert list(rates["group"]) == [
        "White",
        "Mixed",
        "Asian or Asian British",
        "Black or Black British",
        "Other Ethnic Groups",
    ]
    assert rates["rate"].notna().all()
    # Without the area's total: of the detentions broken down by ethnicity (3,726 of 49,251).
    assert meta["unknown_count"] == 3726 and 0.07 < meta["unknown_share"].value < 0.08
    assert meta["population_derived"]


def test_the_unknown_share_is_of_all_detentions_in_its_parts(nhs: Store) -> None:
    """7.6% (3,726 of 49,251) left out the detentions missing from the ethnicity breakdown and
    those in acute hospitals, which record none: 13.2% (6,933 of 52,458) of all detentions."""
    total = nhs.detentions.detention_total("2023-24", "ENG", "all-detentions")
    assert total == {"recorded": 50437, "acute": 2021, "total": 52458}
    rows = nhs.detentions.detentions_frame("2023-24", "all-detentions")
    _, meta = rates_by_group(rows, "ENG", total)
    assert meta["all_detentions"] == 52458 and meta["unknown_count"] == 6933
    assert round(meta["unknown_share"].value, 3) == 0.132
    assert meta["unknown_parts"] == [
        ("recorded as not known", 3726),
        ("missing from the ethnicity breakdown", 1186),
        ("in acute hospitals, which record no ethnicity", 2021),
    ]
    icb = nhs.detentions.detention_total("2023-24", "QE1", "all-detentions")
    assert icb == {"recorded": 1655, "acute": None, "total": 1655}


def test_funnel_has_limits_around_the_within_area_ratio(nhs: Store) -> None:
    rows = nhs.detentions.detentions_frame("2023-24", "all-detentions")
    icbs = one_level(disparity_table(rows), rows, "icb")
    points, limits, target = funnel(icbs, overdispersion=False)
    # Mantel–Haenszel over the ICBs: 2.92 (issue 16), not the confounded pooled 3.4.
    assert round(target, 2) == 2.92 and len(points) >= 38
    # Around it, ICBs fall outside in both directions; around the pooled ratio, only below.
    assert points["signal"].str.startswith("above").any()
    assert points["signal"].str.startswith("below").any()
    pooled = (icbs["focus_count"].sum() / icbs["focus_population"].sum()) / (
        icbs["reference_count"].sum() / icbs["reference_population"].sum()
    )
    confounded, _, _ = funnel(icbs, target=pooled, overdispersion=False)
    assert not confounded["signal"].str.startswith("above").any()
    assert (limits["lower 99.8%"] < limits["lower 95%"]).all() and (
        limits["upper 95%"] < limits["upper 99.8%"]
    ).all()
    _, wide, _ = funnel(icbs, overdispersion=True)
    assert (wide["upper 95%"] >= limits["upper 95%"] - 1e-12).all()


def test_overdispersion_is_measured_and_applied_when_the_areas_vary_beyond_chance(
    nhs: Store,
) -> None:
    """The ICBs' ratios spread far more than chance would make them: Q = 129 on 38 df (φ 3.4,
    I² 71%), and 10 of 39 ICBs fell outside the limits where about 2 are expected by chance.
    Overdispersion was off by default; it now applies when the spread is significant."""
    from ocf.disparity import funnel_heterogeneity

    rows = nhs.detentions.detentions_frame("2023-24", "all-detentions")
    icbs = one_level(disparity_table(rows), rows, "icb")
    spread = funnel_heterogeneity(icbs)
    assert round(spread.q) == 129 and spread.df == 38
    assert round(spread.phi, 1) == 3.4 and round(spread.i_squared, 2) == 0.71
    assert spread.significant and spread.p_value < 1e-10
    plain, _, _ = funnel(icbs, overdispersion=False)
    assert (plain["signal"] != "within").sum() == 10 and len(plain) == 39
    allowed, _, _ = funnel(icbs)  # the default: applied, since the spread is significant
    assert (allowed["signal"] != "within").sum() == 5


def test_heterogeneity_by_hand() -> None:
    """Three units at 0, 1 and 2 with standard errors 1 around 1: Q = 1 + 0 + 1 = 2 on 2 df,
    φ = 1, I² = 0, p = exp(−1) (χ² on 2 df)."""
    import math

    from ocf.stats import heterogeneity

    spread = heterogeneity([0, 1, 2], [1, 1, 1], 1)
    assert (spread.q, spread.df, spread.phi, spread.i_squared) == (2.0, 2, 1.0, 0.0)
    assert spread.p_value == pytest.approx(math.exp(-1)) and not spread.significant
    assert heterogeneity([0, 1], [1, 1], 1) is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.csv"
    path.write_text(text)
    return path


def test_template_imports_codes_and_names(store: Store, tmp_path: Path) -> None:
    store.sites.add_sites([Site("RX1", "A trust")], "t")
    path = write(
        tmp_path,
        "site,period,measure,ethnic_group,count,population\nRX1,2024-25,All detentions,M,30,10000\nRX1,2024-25,All detentions,n,20,8000\nRX1,2024-25,All detentions,White,100,200000\n",
    )
    report = import_detentions(path, store, "t")
    assert report.added == 3
    table = disparity_table(store.detentions.detentions_frame("2024-25", "all-detentions")).iloc[0]
    assert table["focus_count"] == 50 and table["focus_population"] == 18000  # Caribbean + African


def test_a_malformed_template_is_refused_row_by_row_and_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    store.sites.add_sites([Site("RX1", "A trust")], "t")
    before = dump(store)
    path = write(
        tmp_path,
        "site,period,measure,ethnic_group,count,population\nRX1,2024-25,All detentions,Purple,3,100\nRX1,2024-25,All detentions,White,-4,100\nRX1,2024-25,All detentions,Black,lots,100\nZZ9,2024-25,All detentions,White,4,100\nRX1,2024-25,All detentions,White,4,0\n",
    )
    with pytest.raises(DataError) as error:
        import_detentions(path, store, "t")
    lines = [str(p).removeprefix(f"{path}:") for p in error.value.problems]
    assert lines[0].startswith("ROW 2: ethnic_group: unknown ethnic group 'Purple'")
    assert "ROW 3: count: -4 is negative; a count, rate or population cannot be below 0" in lines
    assert any(
        line.startswith("ROW 4: ethnic_group: unknown ethnic group 'Black'") for line in lines
    )
    assert "ROW 5: site: unknown site 'ZZ9'; add it first (ocf site add)" in lines
    assert "ROW 6: population: required and greater than 0" in lines
    assert dump(store) == before


def test_wrong_columns_are_named(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "site,year,measure,group,count\nRX1,2024,x,White,3\n")
    with pytest.raises(DataError, match="missing column"):
        import_detentions(path, store, "t", "template")


def test_cli_disparity_gives_the_contract_columns(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "ocf.db")
    result = runner.invoke(main, ["import", "detentions", str(NHS_FILE), "--db", db])
    assert result.exit_code == 0 and "skipped" in result.stdout
    result = runner.invoke(main, ["disparity", "--period", "2023-24", "--db", db])
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns) == [
        "geography", "period", "measure", "focus_group", "focus_count", "focus_population", "focus_rate", "focus_lower", "focus_upper",
        "reference_group", "reference_count", "reference_population", "reference_rate", "reference_lower", "reference_upper",
        "rate_ratio", "ratio_lower", "ratio_upper",
        "denominator",  # appended in the third version (issue 33): what the rates are per
    ]  # fmt: skip
    assert set(table["denominator"]) == {"people"}  # NHS England's are per 100,000 people
    assert table.set_index("geography").loc["ENG", "rate_ratio"] == pytest.approx(3.4388, abs=1e-4)
    bad = runner.invoke(main, ["disparity", "--focus", "BME", "--db", db])
    assert bad.exit_code == 1 and "unknown group 'BME'" in bad.stderr


def test_link_joins_maturity_and_ratios_and_says_it_is_not_a_cause(demo_store: Store) -> None:
    result = link(demo_store, "2025-26")
    assert result.period == "2024-25"
    # XTA1 has no final yet: its self-assessment is a draft and its panel still collecting.
    assert set(result.sites["site"]) == {
        f"XT{x}" for x in ("A2", "A3", "B1", "B2", "B3", "C1", "C2")
    }
    assert result.sites["rate_ratio"].notna().all()
    assert result.correlation.n == result.sites.dropna(subset=["final", "rate_ratio"]).shape[0]
    assert len(result.changes) >= 5
    from ocf.linking import CAVEAT

    assert "not a cause" in CAVEAT


def test_cli_refuses_a_malformed_nhs_file_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = tmp_path / "ocf.db"
    Store.open(db).close()
    before = dump(Store.open(db))
    header = "Year,Measure,measureSubcategory,Demographic,DemographicBreakdown,OrganisationBreakdown,Datasource,OrgID,OrgName,MHSDS_Count,Acute_Count,Total_Count,CrudeRate,StdRate,Confidence_interval"
    body = [
        "2023/24,All detentions,All,Ethnicity,White,ICB,MHSDS,QE1,NHS X ICB,10,,ten,69.5,,",
        "2023/24,All detentions,All,Ethnicity,Mixed,ICB,MHSDS,QE1,NHS X ICB,10,,-5,69.5,,",
        "2023/24,All detentions,All,Ethnicity,Asian or Asian British,ICB,MHSDS,QE1,NHS X ICB,*,,*,*,,",
    ]
    path = tmp_path / "nhs.csv"
    path.write_text("\n".join([header, *body]) + "\n")
    result = runner.invoke(main, ["import", "detentions", str(path), "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:ROW 2: Total_Count: 'ten' is not a number; expected a count, '*' or an empty cell",
        f"{path}:ROW 3: Total_Count: -5 is negative; a count, rate or population cannot be below 0",
    ]
    assert dump(Store.open(db)) == before
