"""Headline ratings that cannot overstate (issue 15): coverage, flags, labels, small-n statistics."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocf.access import SYSTEM, add_account, issue_invitations, sign_in
from ocf.display import correlation_words, coverage_words, final_label, flag_sentence
from ocf.loading import load_shipped
from ocf.models import Site
from ocf.reports import board_report
from ocf.results import site_results
from ocf.rounds import open_round, resolve_content
from ocf.scoring import PARTLY_VERIFIED, score_round
from ocf.stats import SPEARMAN_INTERVAL_MIN_N, spearman
from ocf.store import Store
from ocf.submissions import (
    close_panel,
    open_panel_survey,
    open_self_assessment,
    save,
    submit,
)

from .test_scoring import FRAMEWORK, SURVEYS, answers, panel, self_rating

SITE, ROUND = "RX1", "r1"


@pytest.fixture
def reproduced(store: Store) -> Store:
    """The issue's case: a lead rates every competency 3; the panel (five members, the shipped
    minimum) answers only three items, all 'strongly disagree'; the panel closes."""
    store.sites.add_sites([Site(SITE, "Trust one")], "t")
    open_round(store, ROUND, resolve_content("ocf-race-equality"), "t")
    lead = sign_in(store, add_account(store, SYSTEM, "Lead", "lead", SITE))
    draft = open_self_assessment(store, lead, SITE, ROUND)
    submit(store, lead, save(store, lead, draft, {
        i.id: ("3", None) for i in draft.survey.items if i.type == "level"
    }))  # fmt: skip
    for code in issue_invitations(store, SYSTEM, SITE, ROUND, 5):
        member = sign_in(store, code)
        draft = open_panel_survey(store, member)
        answers = {"understood-culture": ("1", None), "help-early": ("1", None)}
        answers["easy-feedback"] = ("1", None)
        submit(store, member, save(store, member, draft, answers))
    close_panel(store, SYSTEM, SITE, ROUND)
    return store


def test_a_rating_the_panel_barely_saw_is_not_called_moderated(reproduced: Store) -> None:
    lead = sign_in(reproduced, add_account(reproduced, SYSTEM, "Lead 2", "lead", SITE))
    result = site_results(reproduced, lead, SITE, ROUND)
    overall = result.overall
    # 23 competencies, of which a panel can judge 22 (one is panel: not_applicable): that one
    # counts as unchecked, and is named as checked by evidence (issue 31).
    assert (result.checked, result.rated, result.by_evidence) == (3, 23, 1)
    assert 0 < overall["coverage"] < 1
    assert final_label(overall["coverage"]) == "Final (partly moderated)"
    words = coverage_words(overall["coverage"], result.checked, result.rated, result.by_evidence)
    assert words == (
        "checked by the panel: 3 of 23 competencies (1 checked by evidence, not by the panel)"
    )
    assert overall["flag"] == "accountability_gap"  # self 3 against a panel at 0
    report = board_report(reproduced, lead, SITE, ROUND)
    assert "Final (moderated)" not in report
    assert "checked by the panel: 3 of 23 competencies" in report
    # The overall final is capped at the overall panel figure plus the tolerance, and its level
    # word is never above the panel's (issue 31).
    assert overall["final"] <= overall["panel"] + 0.5 + 1e-9
    assert overall["final_label"] == overall["panel_label"] == "Undeveloped"
    checked = result.competencies[result.competencies["coverage"] == 1]
    assert (checked["final"] == 0.5).all()  # panel 0 + tolerance 0.5


def test_the_shipped_tolerance_keeps_a_disagreeing_panel_from_reading_achieving() -> None:
    """A panel that mostly disagrees maps to 1 ('Developing'): the final must not read higher."""
    for framework in load_shipped().frameworks.values():
        cap = 1 + framework.moderation.tolerance
        assert framework.scale.label(cap) == framework.scale.label(1), framework.id
        assert framework.min_panel >= 5


def test_flag_sentences_name_what_the_panel_checked() -> None:
    assert flag_sentence("partly_verified", 0.2, 0.5, 3, 19).startswith("**Partly verified.**")
    assert "3 of 19" in flag_sentence("partly_verified", 0.2, 0.5, 3, 19)
    assert "self-assessment alone" in flag_sentence("not_verified", None, 0.5, 0, 19)
    assert flag_sentence("", 0.0, 0.5, 19, 19) is None
    assert final_label(1.0) == "Final (moderated)"
    assert final_label(0.0) == final_label(float("nan")) == "Final (not moderated)"


# --------------------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["0", "1", "2", "3"]), min_size=3, max_size=3),
    st.lists(
        st.lists(st.sampled_from(["1", "2", "3", "9", None]), min_size=4, max_size=4),
        min_size=0,
        max_size=12,
    ),
)
def test_coverage_and_flags_follow_the_rules(levels: list, members: list) -> None:
    """Any answers: coverage in [0, 1]; a final is never above panel + tolerance where there is
    a panel; the flag is the first of not_verified, accountability_gap, partly_verified."""
    rows = self_rating(dict(zip(("alpha-one", "alpha-two", "beta-one"), levels, strict=True)))
    rows += panel(
        *(
            {i: v for i, v in zip(("a1", "a1-bad", "a2", "b1"), m, strict=True) if v is not None}
            for m in members
        )
    )
    frame = answers(*rows)
    scores = score_round(frame, FRAMEWORK, SURVEYS)
    tolerance = FRAMEWORK.moderation.tolerance
    for table in (scores.competencies, scores.domains, scores.overall):
        rated = table["final"].notna()
        assert table.loc[rated, "coverage"].between(0, 1).all()
        for row in table[rated].itertuples():
            expected = (
                "not_verified"
                if row.coverage == 0
                else "accountability_gap"
                if not math.isnan(row.gap) and row.gap >= FRAMEWORK.gap_flag - 1e-9
                else PARTLY_VERIFIED
                if row.coverage < 1
                else ""
            )
            assert row.flag == expected
    c = scores.competencies
    capped = c["panel"].notna() & c["final"].notna()
    assert (c.loc[capped, "final"] <= c.loc[capped, "panel"] + tolerance + 1e-9).all()
    assert set(c["coverage"]) <= {0.0, 1.0}


# --------------------------------------------------------------------------- Spearman


def test_correlation_words_never_quote_an_interval_that_is_not_there() -> None:
    few = correlation_words(spearman([1, 2, 3, 4], [1, 2, 3, 4]))
    assert few == "1.00 (n = 4 sites: too few for an interval; exact p = 0.083)"
    perfect = correlation_words(spearman(np.arange(12.0), np.arange(12.0)))
    assert "interval" in perfect and "95%" not in perfect
    assert "95% interval" in correlation_words(
        spearman(np.arange(10.0), [1, 0, 3, 2, 5, 4, 7, 6, 9, 8])
    )


def test_spearman_gives_no_zero_width_interval_with_four_sites() -> None:
    """Four sites, no association: ρ = ±1 in 2 of 24 orderings. None of them gets an interval."""
    x = [1.0, 2.0, 3.0, 4.0]
    for y in itertools.permutations(x):
        result = spearman(x, list(y))
        assert result.lower is None and result.upper is None
        assert 0 < result.p_value <= 1
    perfect = spearman(x, x)
    assert perfect.value == 1 and perfect.p_value == pytest.approx(2 / 24)


def test_spearman_interval_from_ten_sites_is_fisher_z_with_bonett_wright() -> None:
    x = np.arange(SPEARMAN_INTERVAL_MIN_N, dtype=float)
    y = np.array([1, 0, 3, 2, 5, 4, 7, 6, 9, 8], dtype=float)
    result = spearman(x, y)
    rho = 1 - 6 * 10 / (10 * 99)  # Σd² = 10: each adjacent pair swapped
    assert result.value == pytest.approx(rho)
    half = 1.959964 * math.sqrt((1 + rho**2 / 2) / 7)
    assert result.lower == pytest.approx(math.tanh(math.atanh(rho) - half), abs=1e-6)
    assert result.upper == pytest.approx(math.tanh(math.atanh(rho) + half), abs=1e-6)


def test_a_perfect_rank_correlation_never_gets_a_zero_width_interval() -> None:
    x = np.arange(12, dtype=float)
    result = spearman(x, x * 2)
    assert result.value == 1 and result.lower is None and result.upper is None
