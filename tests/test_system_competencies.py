"""The whole system: competencies assessed at ICB or place level, beside the roll-up of trusts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocf.access import issue_invitations
from ocf.accountability import carry_over
from ocf.comparison import system_competencies, system_round_for, system_view
from ocf.demo import demo_actor
from ocf.errors import ConflictError
from ocf.importers import Table
from ocf.response_import import read_responses
from ocf.rounds import change_status, open_round, resolve_content
from ocf.store import Store
from ocf.submissions import open_self_assessment

from .conftest import dump, page_at

SYSTEM_ROUND = "2024-25-system"


def test_a_system_round_assesses_icbs_and_places_never_trusts(demo_store: Store) -> None:
    admin = demo_actor(demo_store, "admin")
    open_round(demo_store, "s2", resolve_content("ocf-system"), "t", period="2024-25")
    assert open_self_assessment(demo_store, admin, "XQA", "s2").survey.id == (
        "ocf-system-self-assessment"
    )
    before = dump(demo_store)
    with pytest.raises(
        ConflictError, match="round s2 assesses ICB or place sites; XTA1 is a trust"
    ):
        open_self_assessment(demo_store, admin, "XTA1", "s2")
    with pytest.raises(ConflictError, match="XTA1 is a trust"):
        issue_invitations(demo_store, admin, "XTA1", "s2", 2)
    # …and an OCF round of trusts takes no ICB.
    with pytest.raises(ConflictError, match="round 2025-26 assesses trust sites; XQA is an ICB"):
        open_self_assessment(demo_store, admin, "XQA", "2025-26")
    assert dump(demo_store) == before


def test_an_import_row_for_a_site_the_round_does_not_assess_is_refused(demo_store: Store) -> None:
    open_round(demo_store, "s2", resolve_content("ocf-system"), "t", period="2024-25")
    table = Table(
        "returns.csv",
        [(2, {"site": "XTA1", "round": "s2", "survey": "ocf-system-self-assessment",
              "respondent": "lead", "item": "system-police-level", "value": "2"})],
    )  # fmt: skip
    with pytest.raises(Exception) as caught:
        read_responses(table.rows, table.source, demo_store)
    assert "returns.csv:ROW 2: site: round s2 assesses ICB or place sites; XTA1 is a trust" in str(
        caught.value
    )


def test_the_system_view_puts_each_systems_own_rating_beside_its_trusts(demo_store: Store) -> None:
    admin = demo_actor(demo_store, "admin")
    assert system_round_for(demo_store, admin, "2024-25") == SYSTEM_ROUND
    systems = system_view(demo_store, admin, "2024-25").set_index("system")
    own = demo_store.rounds.round_framework(SYSTEM_ROUND)
    assert own.assessed_at == ("icb", "place")
    from ocf.results import round_scores

    overall = round_scores(demo_store, SYSTEM_ROUND).overall.set_index("site")
    for code in ("XQA", "XQB", "XQC"):
        assert systems.at[code, "own_final"] == pytest.approx(overall.at[code, "final"])
        assert systems.at[code, "own_round"] == SYSTEM_ROUND
    grid = system_competencies(demo_store, admin, "2024-25")
    assert set(grid["system"]) == {"XQA", "XQB", "XQC"}
    assert set(grid["title"]) == {c.title for c in own.competencies}
    # A system without a panel: its ratings are its lead's alone, flagged as unchecked.
    xqc = grid[grid["system"] == "XQC"]
    assert xqc["panel"].isna().all()


def test_regulators_see_a_system_round_only_once_published(demo_store: Store) -> None:
    regulator = demo_actor(demo_store, "regulator")
    assert system_round_for(demo_store, regulator, "2024-25") is None
    assert system_view(demo_store, regulator, "2024-25")["own_final"].isna().all()
    change_status(demo_store, SYSTEM_ROUND, "publish", "t")
    assert system_round_for(demo_store, regulator, "2024-25") == SYSTEM_ROUND


def test_actions_never_carry_into_a_round_of_another_framework(demo_store: Store) -> None:
    """Found building the system round: opening a round of another framework (PCREF, or the
    system competencies) used to copy every unfinished OCF action into it."""
    open_round(demo_store, "p1", resolve_content("pcref"), "t", period="2024-25")
    assert carry_over(demo_store, "p1", "t") == 0
    assert demo_store.accountability.actions_frame(round_id="p1").empty


def test_the_systems_page_shows_the_systems_own_competencies(demo_copy: Path) -> None:
    at = page_at(demo_copy, "admin", "system")
    round_box = at.selectbox[0]
    assert all("system" not in option for option in round_box.options)
    round_box.select_index(0).run()  # 2024-25, the period the system round covers
    assert "The system's own competencies" in [h.value for h in at.header]
    systems = at.table[0].value
    assert "System's own rating" in systems.columns
    grid = at.table[1].value
    assert "Police and section 136" in grid.index
    assert set(grid.columns) == {
        "Northvale Integrated Care Board",
        "Southmere Integrated Care Board",
        "Eastbrook Integrated Care Board",
    }
