"""Scoring rules (DESIGN §4, docs/methods.md), each tested on a worked example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocf.loading import load_library
from ocf.models import Moderation
from ocf.scoring import _positions, _text_positions, score_round, score_table
from ocf.stats import median_ci

from .conftest import FIXTURES
from .scoring_reference import plain_ordinal_alpha as reference_alpha
from .scoring_reference import reference_scores

LIBRARY = load_library(
    [
        FIXTURES / "framework-minimal.yaml",
        FIXTURES / "survey-minimal-self.yaml",
        FIXTURES / "survey-minimal-panel.yaml",
    ]
)
FRAMEWORK = LIBRARY.frameworks["tiny"]
SURVEYS = LIBRARY.surveys
AUDIENCE = {"tiny-self": "self", "tiny-panel": "panel"}


def answers(*rows: tuple[str, int, str, str | None], site: str = "RX1") -> pd.DataFrame:
    """Rows of (survey, submission_id, item_id, value) as store.submissions.answers_frame gives them."""
    return pd.DataFrame(
        [
            {
                "submission_id": sub,
                "site": site,
                "survey": survey,
                "audience": AUDIENCE[survey],
                "respondent": f"R{sub}",
                "item_id": item,
                "value": value,
                "text": None,
            }
            for survey, sub, item, value in rows
        ]
    )


def panel(*members: dict[str, str], start: int = 100) -> list[tuple]:
    return [
        ("tiny-panel", start + i, item, value)
        for i, member in enumerate(members)
        for item, value in member.items()
    ]


def self_rating(levels: dict[str, int], submission: int = 1) -> list[tuple]:
    return [("tiny-self", submission, f"{c}-level", str(v)) for c, v in levels.items()]


def competency(scores, site="RX1", cid="alpha-one") -> pd.Series:
    frame = scores.competencies
    return frame[(frame["site"] == site) & (frame["competency"] == cid)].iloc[0]


def test_level_answer_is_the_scale_value_and_options_map_through_scores() -> None:
    """Self 2; panel members (2+0)/2=1 and 2 and 1 (reverse-scored 'Agree' to a bad thing is 0)."""
    data = answers(
        *self_rating({"alpha-one": 2}),
        *panel({"a1": "3", "a1-bad": "3"}, {"a1": "3"}, {"a1": "2", "a1-bad": "2"}),
    )
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    assert row["self"] == 2
    assert row["panel"] == 1  # member values 1, 2, 1 → median 1
    assert row["panel_n"] == 3


def test_dont_know_and_unscored_items_are_ignored() -> None:
    data = answers(
        *panel({"a1": "9", "comment": "x"}, {"a1": "3", "a1-bad": "9"}, {"a1": "1"}, {"a1": "2"})
    )
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    assert row["panel_n"] == 3  # the first member only said "don't know"
    assert row["panel"] == 1


def test_answers_match_as_text_whatever_their_type_and_unknown_items_never_score() -> None:
    as_text = answers(*self_rating({"alpha-one": 2}), *panel({"a1": "3"}, {"a1": "2"}, {"a1": "1"}))
    mixed = as_text.astype({"value": object})
    mixed.loc[mixed["item_id"] == "a1", "value"] = [3, 2, 1]  # numbers, not text
    extra = answers(*panel({"not-an-item": "3", "a1": None}, start=900))
    for data in (mixed, pd.concat([as_text, extra], ignore_index=True)):
        row = competency(score_round(data, FRAMEWORK, SURVEYS))
        assert (row["self"], row["panel"], row["panel_n"]) == (2, 1, 3)


texts = st.one_of(st.none(), st.text(max_size=3), st.sampled_from(["", "1", "5", "9", "yes", "é"]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(texts, max_size=30),
    st.lists(st.text(max_size=2), max_size=6, unique=True),
    st.integers(0, 3),
    st.booleans(),
)
def test_text_matching_is_exact_whatever_the_texts(
    values: list[str | None], known: list[str], skip: int, large: bool
) -> None:
    """One-character texts take a byte-table path and longer ones a hash look-up: both exact.

    A categorical column (as the store gives them, with categories nobody uses) and a text
    column match the same, for every row or for some rows only.
    """
    array = pa.array(values, pa.large_string() if large else pa.string())[skip:]  # offset view
    expected = [known.index(v) + 1 if v in known else 0 for v in values[skip:]]
    assert _text_positions(array, known).tolist() == expected
    text = pd.Series(values[skip:], dtype="str")
    categories = sorted({v for v in values if v is not None} | {"unused"})
    categorical = pd.Series(pd.Categorical(values[skip:], categories=categories))
    rows = np.arange(len(expected))[::-2]
    for column in (text, categorical):
        assert _positions(column, known).tolist() == expected
        assert _positions(column, known, rows).tolist() == [expected[r] for r in rows]
        assert _positions(column, known, scale=3).tolist() == [3 * e for e in expected]


def test_all_dont_know_gives_no_panel_value() -> None:
    data = answers(*self_rating({"alpha-one": 1}), *panel(*[{"a1": "9"}] * 5))
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    assert row["panel_n"] == 0 and math.isnan(row["panel"])
    assert row["flag"] == "not_verified" and row["final"] == 1


def test_even_panel_median_is_mean_of_middle_two() -> None:
    data = answers(*panel({"a1": "1"}, {"a1": "2"}, {"a1": "3"}, {"a1": "3"}))
    assert competency(score_round(data, FRAMEWORK, SURVEYS))["panel"] == 1.5


def test_panel_of_two_is_suppressed_and_final_is_self() -> None:
    data = answers(*self_rating({"alpha-one": 2}), *panel({"a1": "1"}, {"a1": "1"}))
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    assert row["suppressed"] and row["panel_n"] == 2
    assert all(
        math.isnan(row[c])
        for c in ("panel", "panel_q1", "panel_q3", "panel_lower", "panel_upper", "gap")
    )
    assert (row["final"], row["flag"]) == (2, "not_verified")


def test_final_is_capped_at_panel_plus_tolerance() -> None:
    """Self 2, panel 0 → final min(2, 0 + 1) = 1, gap 2, flagged."""
    data = answers(*self_rating({"alpha-one": 2}), *panel(*[{"a1": "1"}] * 3))
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    assert (row["final"], row["gap"], row["flag"]) == (1, 2, "accountability_gap")


def test_a_gap_of_exactly_the_threshold_is_flagged() -> None:
    data = answers(*self_rating({"alpha-one": 2}), *panel(*[{"a1": "2"}] * 3))
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    assert (row["final"], row["gap"], row["flag"]) == (2, 1, "accountability_gap")


def test_a_panel_above_self_leaves_self_and_no_flag() -> None:
    data = answers(*self_rating({"alpha-one": 0}), *panel(*[{"a1": "3"}] * 3))
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    assert (row["final"], row["gap"], row["flag"]) == (0, -2, "")


def test_no_moderation_rule_keeps_self() -> None:
    framework = FRAMEWORK.__class__(**{**FRAMEWORK.__dict__, "moderation": Moderation(rule="none")})
    data = answers(*self_rating({"alpha-one": 2}), *panel(*[{"a1": "1"}] * 3))
    assert competency(score_round(data, framework, SURVEYS))["final"] == 2


def test_several_self_assessments_take_the_median() -> None:
    data = answers(
        *self_rating({"alpha-one": 0}, 1),
        *self_rating({"alpha-one": 2}, 2),
        *self_rating({"alpha-one": 2}, 3),
    )
    assert competency(score_round(data, FRAMEWORK, SURVEYS))["self"] == 2


def test_domain_is_the_weighted_mean_of_competencies_that_exist() -> None:
    """alpha-one (weight 1) self 2, alpha-two (weight 2) self 1 → (2·1 + 1·2)/3 = 4/3."""
    data = answers(*self_rating({"alpha-one": 2, "alpha-two": 1}))
    domains = score_round(data, FRAMEWORK, SURVEYS).domains.set_index("domain")
    assert domains.loc["alpha", "self"] == pytest.approx(4 / 3)
    assert math.isnan(domains.loc["beta", "self"])


def test_domain_gap_and_panel_n_come_from_competencies_with_a_panel() -> None:
    """alpha-one has a panel of 4 (value 0), alpha-two a panel of 3 (value 2)."""
    data = answers(
        *self_rating({"alpha-one": 2, "alpha-two": 2}),
        *panel(*[{"a1": "1"}] * 4),
        *panel(*[{"a2": "3"}] * 3, start=200),
    )
    alpha = score_round(data, FRAMEWORK, SURVEYS).domains.set_index("domain").loc["alpha"]
    assert alpha["panel_n"] == 3
    assert alpha["panel"] == pytest.approx((0 * 1 + 2 * 2) / 3)
    assert alpha["gap"] == pytest.approx((2 * 1 + 0 * 2) / 3)
    assert alpha["final"] == pytest.approx((1 * 1 + 2 * 2) / 3)


def test_overall_weights_domains_and_names_the_weakest() -> None:
    data = answers(*self_rating({"alpha-one": 2, "alpha-two": 2, "beta-one": 0}))
    scores = score_round(data, FRAMEWORK, SURVEYS)
    overall = scores.overall.iloc[0]
    assert overall["self"] == pytest.approx(1.0)  # domains alpha 2 and beta 0, equal weights
    assert overall["weakest_domain"] == "beta"
    assert overall["flag"] == "not_verified"


def test_panel_interval_and_quartiles() -> None:
    values = ["1", "2", "2", "3", "3", "3", "2", "1", "3", "2"]
    data = answers(*panel(*[{"a1": v} for v in values]))
    row = competency(score_round(data, FRAMEWORK, SURVEYS))
    expected = median_ci([int(v) - 1 for v in values])
    assert (row["panel"], row["panel_lower"], row["panel_upper"]) == (
        expected.value,
        expected.lower,
        expected.upper,
    )
    assert row["panel_coverage"] == pytest.approx(0.978515625)
    assert (row["panel_q1"], row["panel_q3"]) == (1.0, 2.0)


def test_agreement_is_one_when_members_agree_on_every_item() -> None:
    member = {"a1": "3", "a2": "1", "b1": "2"}
    data = answers(*panel(member, member, member))
    assert score_round(data, FRAMEWORK, SURVEYS).agreement.iloc[0]["alpha"] == pytest.approx(1.0)


def test_agreement_is_not_reported_for_a_small_panel() -> None:
    data = answers(*panel({"a1": "3", "a2": "1"}, {"a1": "1", "a2": "3"}))
    assert math.isnan(score_round(data, FRAMEWORK, SURVEYS).agreement.iloc[0]["alpha"])


def test_score_table_has_the_contract_columns_and_rows() -> None:
    data = answers(*self_rating({"alpha-one": 2}))
    table = score_table(score_round(data, FRAMEWORK, SURVEYS), "r1")
    assert list(table.columns) == [
        "site",
        "round",
        "level",
        "id",
        "self",
        "panel",
        "panel_n",
        "final",
        "gap",
        "flag",
        "coverage",
        "panel_label",  # appended in the third version: earlier columns unchanged
        "final_label",
    ]
    assert list(table["level"]) == ["competency"] * 3 + ["domain"] * 2 + ["overall"]
    assert list(table["id"]) == ["alpha-one", "alpha-two", "beta-one", "alpha", "beta", "overall"]


# --------------------------------------------------------------------------- properties

VALUES = {
    "a1": ["1", "2", "3", "9"],
    "a1-bad": ["1", "2", "3", "9"],
    "a2": ["1", "2", "3", "9"],
    "b1": ["1", "2", "3", "9"],
}
member_answers = st.fixed_dictionaries(
    {}, optional={item: st.sampled_from(v) for item, v in VALUES.items()}
)
levels = st.fixed_dictionaries(
    {}, optional={c: st.integers(0, 2) for c in ("alpha-one", "alpha-two", "beta-one")}
)
site_data = st.tuples(
    st.lists(levels, min_size=0, max_size=3), st.lists(member_answers, min_size=0, max_size=12)
)


def build(sites: list[tuple]) -> pd.DataFrame:
    frames = []
    for s, (selfs, members) in enumerate(sites):
        rows = [row for i, lv in enumerate(selfs) for row in self_rating(lv, 1000 * s + i)]
        rows += panel(*members, start=1000 * s + 100)
        frames.append(answers(*rows, site=f"S{s}"))
    frame = pd.concat(frames, ignore_index=True) if frames else answers()
    return frame


@settings(max_examples=100, deadline=None)
@given(st.lists(site_data, min_size=1, max_size=3))
def test_vectorised_scores_equal_the_plain_reference(sites: list[tuple]) -> None:
    data = build(sites)
    if data.empty:
        return
    scores = score_round(data, FRAMEWORK, SURVEYS)
    table = score_table(scores, "r")
    reference = reference_scores(data.to_dict("records"), FRAMEWORK, SURVEYS)
    assert len(table) == sum(1 for key in reference if key[1] != "agreement")
    for row in table.to_dict("records"):
        expected = reference[(row["site"], row["level"], row["id"])]
        for column in ("self", "panel", "final", "gap"):
            got, want = row[column], expected[column]
            assert (want is None and math.isnan(got)) or got == pytest.approx(want), (
                row,
                expected,
                column,
            )
        assert row["panel_n"] == expected["panel_n"] and row["flag"] == expected["flag"], (
            row,
            expected,
        )
    figures = ["panel_q1", "panel_q3", "panel_lower", "panel_upper", "panel_coverage"]
    for row in scores.competencies.to_dict("records"):
        expected = reference[(row["site"], "competency", row["competency"])]
        for column in figures:
            got, want = row[column], expected[column]
            assert (want is None and math.isnan(got)) or got == pytest.approx(want), (row, column)
    for row in scores.agreement.to_dict("records"):
        got, want = row["alpha"], reference[(row["site"], "agreement")]
        assert (want is None and math.isnan(got)) or got == pytest.approx(want), row


def test_the_reference_alpha_matches_krippendorffs_worked_example() -> None:
    # Krippendorff (2011): 4 observers × 12 units, ordinal alpha 0.815. Units by column.
    observers = [
        "1 2 3 3 2 1 4 1 2 . . .",
        "1 2 3 3 2 2 4 1 2 5 . 3",
        ". 3 3 3 2 3 4 2 2 5 1 .",
        "1 2 3 3 2 4 4 1 2 5 1 .",
    ]
    units: dict = {}
    for line in observers:
        for unit, value in enumerate(line.split()):
            if value != ".":
                units.setdefault(unit, []).append(float(value))
    assert round(reference_alpha(units), 3) == 0.815


@settings(max_examples=40, deadline=None)
@given(st.lists(site_data, min_size=1, max_size=2), st.randoms(use_true_random=False))
def test_scores_stay_in_the_scale_final_never_exceeds_self_and_order_does_not_matter(
    sites, rng
) -> None:
    data = build(sites)
    if data.empty:
        return
    table = score_table(score_round(data, FRAMEWORK, SURVEYS), "r")
    for column in ("self", "panel", "final"):
        present = table[column].dropna()
        assert ((present >= 0) & (present <= 2)).all()
    both = table.dropna(subset=["self", "final"])
    assert (both["final"] <= both["self"] + 1e-12).all()
    # Shuffling rows and renumbering respondents changes nothing.
    mapping = {
        sid: i
        for i, sid in enumerate(
            rng.sample(sorted(data["submission_id"].unique()), data["submission_id"].nunique())
        )
    }
    shuffled = data.sample(frac=1, random_state=rng.randint(0, 10**6)).assign(
        submission_id=lambda f: f["submission_id"].map(mapping)
    )
    again = score_table(score_round(shuffled, FRAMEWORK, SURVEYS), "r")
    pd.testing.assert_frame_equal(table, again)


def test_empty_answers_give_empty_scores() -> None:
    empty = pd.DataFrame(
        columns=[
            "submission_id",
            "site",
            "survey",
            "audience",
            "respondent",
            "item_id",
            "value",
            "text",
        ]
    )
    scores = score_round(empty, FRAMEWORK, SURVEYS)
    assert scores.overall.empty and score_table(scores, "r").empty


def test_median_ci_small_samples() -> None:
    assert median_ci([]).value is None
    one = median_ci([2.0])
    assert (one.value, one.lower, one.upper, one.coverage) == (2.0, 2.0, 2.0, 0.0)
    three = median_ci([3, 1, 2])
    assert (three.value, three.lower, three.upper, three.coverage) == (2.0, 1.0, 3.0, 0.75)
    assert np.isclose(median_ci(range(20)).coverage, 0.9586105346679688)
