"""The disparity and linking pages under AppTest with the demo database."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ocf.store import Store

from .conftest import PROJECT

APP = str(PROJECT / "app_router.py")


def test_disparity_page_shows_england_with_every_group(app_as) -> None:
    at = app_as("admin", "disparity")
    at.selectbox[1].select("2023-24").run()
    assert not at.exception
    assert at.selectbox[4].value == "ENG"
    # England: NHS England's standardised ratio first (242.3 / 68.4), the crude one beside it.
    labels = {m.label: m.value for m in at.metric}
    assert labels["Standardised rate ratio, Black or Black British to White"] == "3.54"
    assert labels["Crude rate ratio, Black or Black British to White"] == "3.44"
    assert any(
        c.value.startswith("Standardised (by age and sex")
        and "95% interval 3.44 to 3.65" in c.value
        for c in at.caption
    )
    assert "95% interval 3.34 to 3.54" in [c.value for c in at.caption]
    groups = at.table[0].value
    assert list(groups.index) == [
        "White",
        "Mixed",
        "Asian or Asian British",
        "Black or Black British",
        "Other Ethnic Groups",
    ]
    # Of all 52,458 detentions, in its parts (it read 7.6%, of those broken down: issue 31).
    said = next(m.value for m in at.markdown if "Ethnicity was not known" in m.value)
    assert said.startswith("Ethnicity was not known for 13.2% of all 52,458 detentions")
    assert "2,021 in acute hospitals, which record no ethnicity" in said
    # The ICBs vary beyond chance: the page says so, and the limits allow for it.
    assert any("Cochran's Q = 129 on 38 degrees" in c.value for c in at.caption)
    assert any("Outside the 95% limits" in m.value for m in at.markdown)


def test_a_lead_sees_their_own_trust_first_and_can_change_groups(app_as) -> None:
    at = app_as("lead", "disparity")
    assert at.selectbox[4].value == "XTA1"
    at.selectbox[3].select("Asian or Asian British").run()
    assert not at.exception
    assert (
        at.metric[0].label == "Crude rate ratio, Black or Black British to Asian or Asian British"
    )
    # A trust has no standardised figure: the page says so rather than pass off the crude one.
    assert any("No standardised figures" in c.value for c in at.caption)


def test_any_detailed_group_can_be_the_focus(app_as) -> None:
    at = app_as("admin", "disparity")
    at.selectbox[1].select("2023-24").run()
    focus = at.selectbox[2]
    options = [o.strip() for o in focus.options]
    assert {"African", "Caribbean", "Any Other Black background"} <= set(options)
    focus.select_index(options.index("Any Other Black background")).run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    # NHS England 2023-24: 551.0 vs 69.5 per 100,000 crude (7.93); standardised 740.6 vs 68.4.
    assert labels["Crude rate ratio, Any Other Black background to White"] == "7.93"
    assert labels["Standardised rate ratio, Any Other Black background to White"] == "10.83"


def test_overdispersion_widens_the_funnel_without_error(app_as) -> None:
    at = app_as("admin", "disparity")
    at.selectbox[1].select("2023-24").run()
    at.checkbox[0].check().run()
    assert not at.exception


def test_linking_page_says_association_not_cause_and_gives_n(app_as) -> None:
    at = app_as("regulator", "linking")
    assert "not a cause" in at.warning[0].value
    [only] = at.selectbox[0].options  # regulators: published rounds only
    assert only.startswith("2024-25: ") and only.endswith(" (published, data 2023-24)")
    assert at.metric[0].label == "Spearman correlation"
    assert any("n = 8 sites" in c.value for c in at.caption)
    assert len(at.table[0].value) == 8


def test_linking_by_domain_and_change_between_rounds(app_as) -> None:
    at = app_as("admin", "linking")
    at.selectbox[4].select("domain:awareness").run()
    assert not at.exception and "Awareness" in at.table[0].value.columns
    assert len(at.table[1].value) >= 5  # sites with both rounds


def test_a_lead_cannot_open_the_linking_page(app_as) -> None:
    at = app_as("lead", "disparity")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/linking.py").run()


def test_measures_have_nhs_names_and_only_rated_ones_are_offered(app_as) -> None:
    """Issue 20, item 9: "People subject to repeat detentions 1" (a machine name, no
    population) was offered, and the page opened on a trust-only period."""
    at = app_as("regulator", "disparity")
    measure, period = at.selectbox[0], at.selectbox[1]
    assert period.value == "2023-24"  # the latest with England and ICBs to compare with
    labels = [measure.format_func(m) for m in measure.options]
    assert labels[0] == "All detentions"
    assert "Detentions on admission to hospital under section 2" in labels
    assert not [label for label in labels if "-" in label or "repeat" in label]
    note = next(c.value for c in at.caption if c.value.startswith("Not offered"))
    assert "People subject to repeat detentions (each breakdown)" in note
    assert "without a population" in note


def test_every_published_measure_has_its_nhs_name() -> None:
    from ocf.detention_import import measure_id
    from ocf.measures import NAMES, measure_name

    published = pd.read_csv(PROJECT / "data/reference/nhs-mha-annual-2023-24-ethnicity.csv")
    pairs = zip(published["Measure"], published["measureSubcategory"], strict=True)
    ids = {measure_id(measure, sub) for measure, sub in pairs}
    assert ids <= set(NAMES)
    assert measure_name("uses-of-ctos") == "Uses of community treatment orders (CTOs)"
    assert measure_name("my-local-measure") == "My local measure"


def test_the_default_period_has_england_and_icbs(demo_path: Path) -> None:
    from ocf.disparity import default_period, detention_choices

    choices = detention_choices(Store.open(demo_path))
    assert set(choices[choices["measure"] == "all-detentions"]["period"]) == {"2023-24", "2024-25"}
    assert default_period(choices, "all-detentions") == "2023-24"


def test_the_figures_carry_their_caveats(app_as) -> None:
    """Episodes are not people; "Any other Black background" over-counts (issue 31)."""
    at = app_as("admin", "disparity")
    assert any("Detentions are episodes, not people" in c.value for c in at.caption)
    focus = at.selectbox[2]
    options = [o.strip() for o in focus.options]
    focus.select_index(options.index("Any Other Black background")).run()
    assert any("over-counts that group" in c.value for c in at.caption)


def test_a_census_change_is_named_only_across_it() -> None:
    from ocf.disparity import CENSUS_CAVEAT, caveats

    assert CENSUS_CAVEAT in caveats("Black or Black British", ["2021-22", "2023-24"])
    assert CENSUS_CAVEAT not in caveats("Black or Black British", ["2022-23", "2023-24"])
