"""Attacks on the panel's anonymity (issue 15), each replayed against the platform.

Every test stages what an adversary on the staff side would do (a lead, a facilitator, an
admin, an importer) and asserts that no figure they can see reveals or narrows one panel
member's answer: not alone, and not compared with another view (before and after a late
answer, two rounds, a reopen).
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ocf.access import SYSTEM, Actor, add_account, issue_invitations, sign_in
from ocf.admin import preview_responses
from ocf.cli import main
from ocf.comparison import compare_sites
from ocf.disclosure import SPREAD_MIN_N, disclose
from ocf.errors import ConfigError, ConflictError, DataError, PermissionDenied
from ocf.loading import parse_framework
from ocf.models import Answer, Response, Site
from ocf.reports import board_report, export_table
from ocf.results import scores_table, site_results
from ocf.rounds import change_status, open_round, resolve_content
from ocf.stats import row_medians
from ocf.store import Store
from ocf.submissions import (
    add_paper_response,
    close_panel,
    open_panel_survey,
    open_self_assessment,
    save,
    submit,
)

from .conftest import FIXTURES, dump

SITE, ROUND = "RX1", "r1"
SURVEY_FILES = [
    str(FIXTURES / "survey-minimal-self.yaml"),
    str(FIXTURES / "survey-minimal-panel.yaml"),
]
COMMENT = "My nurse on ward 7 called me by my name, Abena"


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Store:
    """The tiny framework at the loader's floor (min_panel 3), one trust, one open round."""
    framework = (FIXTURES / "framework-minimal.yaml").read_text() + "min_panel: 3\n"
    (tmp_path / "framework.yaml").write_text(framework)
    store.sites.add_sites(
        [Site("QX1", "An ICB", "icb"), Site(SITE, "Trust one", parent="QX1")], "t"
    )
    content = resolve_content(str(tmp_path / "framework.yaml"), SURVEY_FILES)
    open_round(store, ROUND, content, "t")
    return store


def staff(store: Store, role: str) -> Actor:
    site = SITE if role in ("lead", "facilitator") else None
    actor = sign_in(store, add_account(store, SYSTEM, f"A {role}", role, site))
    assert actor is not None
    return actor


def member(store: Store) -> tuple[Actor, str]:
    code = issue_invitations(store, SYSTEM, SITE, ROUND, 1)[0]
    actor = sign_in(store, code)
    assert actor is not None
    return actor, code


def answer(store: Store, actor: Actor, value: str, submit_it: bool = True, comment: str = ""):
    """A member answers every scored item with `value` (1 disagree, 2 unsure, 3 agree)."""
    draft = open_panel_survey(store, actor)
    raw = {i: (value, None) for i in ("a1", "a2", "b1")}
    if comment:
        raw["comment"] = (None, comment)
    draft = save(store, actor, draft, raw)
    return submit(store, actor, draft) if submit_it else draft


def self_assess(store: Store, lead: Actor, level: str = "2", round_id: str = ROUND) -> None:
    draft = open_self_assessment(store, lead, SITE, round_id)
    raw = {i.id: (level, None) for i in draft.survey.items if i.type == "level"}
    submit(store, lead, save(store, lead, draft, raw))


def panel_row(store: Store, actor: Actor) -> pd.Series:
    result = site_results(store, actor, SITE, ROUND)
    return result.competencies.set_index("competency").loc["alpha-one"]


def csv_for(tmp_path: Path, respondent: str, value: str) -> Path:
    path = tmp_path / f"{respondent}.csv"
    rows = ["site,round,survey,respondent,item,value"]
    rows += [f"{SITE},{ROUND},tiny-panel,{respondent},{item},{value}" for item in ("a1", "b1")]
    path.write_text("\n".join(rows) + "\n")
    return path


# --------------------------------------------------------------------------- 1. three numbers


def test_three_members_do_not_give_three_numbers(world: Store) -> None:
    """With min_panel 3 and three members, staff see the median only: no range called 95%."""
    lead = staff(world, "lead")
    self_assess(world, lead)
    for value in ("1", "2", "3"):
        answer(world, member(world)[0], value)
    close_panel(world, staff(world, "facilitator"), SITE, ROUND)
    row = panel_row(world, lead)
    assert row["panel_n"] == 3 and row["panel"] == 1.0
    for spread in ("panel_q1", "panel_q3", "panel_lower", "panel_upper", "panel_coverage"):
        assert np.isnan(row[spread]), spread


@pytest.mark.parametrize("n", range(1, 40))
def test_a_spread_is_shown_only_when_it_names_no_extreme_member(n: int) -> None:
    """The interval and quartiles never reveal the lowest or highest member's value, and an
    interval shown is the 95% interval its label promises."""
    values = np.arange(n, dtype=float)  # all distinct: any figure equal to one names a member
    figures = disclose(row_medians(values.reshape(1, -1)), min_panel=3)
    shown = n >= SPREAD_MIN_N
    for name in ("q1", "q3", "lower", "upper", "coverage"):
        assert np.isnan(getattr(figures, name)[0]) != shown, (name, n)
    if shown:
        for name in ("q1", "q3", "lower", "upper"):
            assert values[0] < getattr(figures, name)[0] < values[-1], (name, n)
        assert figures.coverage[0] >= 0.95
    assert np.isnan(figures.median[0]) == (n < 3)


def test_the_compare_page_interval_follows_the_same_rule(world: Store) -> None:
    """The regulator's per-site member interval is withheld below SPREAD_MIN_N members too."""
    lead = staff(world, "lead")
    self_assess(world, lead)
    for value in ("1", "2", "3", "3"):
        answer(world, member(world)[0], value)
    close_panel(world, staff(world, "facilitator"), SITE, ROUND)
    row = compare_sites(world, staff(world, "admin"), ROUND).set_index("site").loc[SITE]
    assert not np.isnan(row["panel_median"])
    assert np.isnan(row["panel_lower"]) and np.isnan(row["panel_upper"])


# --------------------------------------------------------------------------- 2. late answers


def test_an_import_cannot_add_to_a_closed_panel(world: Store, tmp_path: Path) -> None:
    """The late-answer attack: n=3 → n=4 after closure would pin the newcomer's score."""
    for value in ("2", "2", "3"):
        answer(world, member(world)[0], value)
    close_panel(world, staff(world, "facilitator"), SITE, ROUND)
    before = dump(world)
    with pytest.raises(DataError, match=r"ROW 2.*panel.*closed"):
        path = csv_for(tmp_path, "late", "1")
        preview_responses(world, SYSTEM, path.read_text(), str(path))
    assert dump(world) == before


def test_the_cli_import_cannot_add_to_a_closed_panel(tmp_path: Path) -> None:
    path = tmp_path / "ocf.db"
    world = Store.open(path)
    world.sites.add_sites([Site(SITE, "Trust one")], "t")
    open_round(world, ROUND, resolve_content("ocf-race-equality"), "t")
    close_panel(world, SYSTEM, SITE, ROUND)
    late = tmp_path / "late.csv"
    late.write_text(
        f"site,round,survey,respondent,item,value\n{SITE},{ROUND},ocf-panel,late,help-early,1\n"
    )
    result = CliRunner().invoke(main, ["import", "responses", str(late), "--db", str(path)])
    assert result.exit_code == 1
    assert "closed" in result.output and "Traceback" not in result.output


def test_paper_entry_cannot_add_to_a_closed_panel(world: Store) -> None:
    facilitator = staff(world, "facilitator")
    close_panel(world, facilitator, SITE, ROUND)
    with pytest.raises(PermissionDenied, match="closed"):
        add_paper_response(world, facilitator, SITE, ROUND, {"a1": ("1", None)})


# --------------------------------------------------------------------------- 3. reopen


def test_closing_the_round_freezes_its_panels_and_revokes_unsubmitted_codes(world: Store) -> None:
    """Close the round, reopen it: an old unsubmitted code cannot add an answer."""
    for value in ("2", "2", "3"):
        answer(world, member(world)[0], value)
    started, started_code = member(world)
    answer(world, started, "1", submit_it=False)
    _, unused_code = member(world)
    change_status(world, ROUND, "close", "admin")
    change_status(world, ROUND, "reopen", "admin", reason="a lead's typo")
    assert world.panels.panel_closed(SITE, ROUND)
    for code in (started_code, unused_code):
        with pytest.raises(PermissionDenied):
            actor = sign_in(world, code)
            if actor is None:
                raise PermissionDenied("code refused")
            answer(world, actor, "1")
    with pytest.raises(PermissionDenied):  # the session still open in a browser tab
        answer(world, started, "1")
    with pytest.raises((PermissionDenied, ConflictError)):
        issue_invitations(world, SYSTEM, SITE, ROUND, 1)


def test_a_reopened_round_still_takes_the_leads_edits(world: Store) -> None:
    """Freezing is for the panel only: the self-assessment can still be corrected."""
    lead = staff(world, "lead")
    change_status(world, ROUND, "close", "admin")
    change_status(world, ROUND, "reopen", "admin", reason="a lead's typo")
    self_assess(world, lead, "1")
    assert scores_table(world, ROUND, SITE).set_index("id").loc["alpha-one", "self"] == 1


# --------------------------------------------------------------------------- 4. check-then-write


def test_a_write_rechecks_the_round_inside_its_transaction(world: Store) -> None:
    """An import validated while open, written after the round closed, writes nothing."""
    responses = [
        Response(SITE, ROUND, "tiny-panel", f"bulk-{i}", (Answer("a1", "1", None),))
        for i in range(3)
    ]
    change_status(world, ROUND, "close", "admin")
    before = dump(world)
    with pytest.raises(ConflictError, match="closed"):
        world.submissions.add_submitted(responses, "admin")
    assert dump(world) == before


def test_a_write_rechecks_the_panel_inside_its_transaction(world: Store) -> None:
    actor, _ = member(world)
    draft = answer(world, actor, "2", submit_it=False)
    world.panels.close_panel(SITE, ROUND, "facilitator")  # between the member's check and write
    before = dump(world)
    with pytest.raises(ConflictError, match=r"panel.*closed"):
        world.submissions.save_answers(
            draft.key, [Answer("a1", "1", None)], [], draft.version, actor.label
        )
    with pytest.raises(ConflictError, match=r"panel.*closed"):
        world.submissions.mark_submitted(draft.submission_id, draft.version, actor.label)
    responses = [Response(SITE, ROUND, "tiny-panel", "late", (Answer("a1", "1", None),))]
    with pytest.raises(ConflictError, match=r"panel.*closed"):
        world.submissions.add_submitted(responses, "admin")
    assert dump(world) == before


# --------------------------------------------------------------------------- 5. min_panel


@pytest.mark.parametrize("min_panel", [0, 1, 2])
def test_the_loader_refuses_a_min_panel_below_three(min_panel: int) -> None:
    text = (FIXTURES / "framework-minimal.yaml").read_text() + f"min_panel: {min_panel}\n"
    with pytest.raises(ConfigError) as error:
        parse_framework(text, "fw.yaml")
    line = text.splitlines().index(f"min_panel: {min_panel}") + 1
    assert f"fw.yaml:{line}: min_panel" in str(error.value)


def test_ocf_validate_refuses_min_panel_one(tmp_path: Path) -> None:
    path = tmp_path / "fw.yaml"
    path.write_text((FIXTURES / "framework-minimal.yaml").read_text() + "min_panel: 1\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and f"{path}:" in result.output and "min_panel" in result.output


# --------------------------------------------------------------------------- 6. addresses


def test_no_address_is_kept_for_a_successful_sign_in(world: Store) -> None:
    """An address and time kept for a panel sign-in could be joined to the member's answers."""
    _, code = member(world)
    sign_in(world, code, client="203.0.113.7")
    sign_in(world, "WRONG-CODE-XXXX", client="198.51.100.1")
    rows = world.db.execute("SELECT client FROM sign_in_attempts").fetchall()
    # the failure alone, under its address and its code's prefix (a salted hash)
    assert sorted(r[0] for r in rows if not r[0].startswith("prefix:")) == ["198.51.100.1"]
    assert len(rows) == 2


def test_failed_attempts_are_purged_after_the_throttling_window(world: Store) -> None:
    world.db.execute(
        "INSERT INTO sign_in_attempts (client, at, success) VALUES ('old', '2020-01-01T00:00:00+00:00', 0)"
    )
    sign_in(world, "WRONG-CODE-XXXX", client="new")
    clients = {row[0] for row in world.db.execute("SELECT client FROM sign_in_attempts")}
    assert {c for c in clients if not c.startswith("prefix:")} == {"new"}


def test_the_migration_forgets_successful_sign_ins(tmp_path: Path) -> None:
    """A database from before the fix loses its addresses of successful sign-ins."""
    path = tmp_path / "ocf.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO sign_in_attempts (client, at, success) VALUES ('a', '2099-01-01', 1)")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0007_disclosure'")
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.db.execute("SELECT COUNT(*) FROM sign_in_attempts").fetchone()[0] == 0


# --------------------------------------------------------------------------- 7. other views


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_no_one_sees_live_panel_figures(world: Store, role: str) -> None:
    """While the panel collects, a submit moves nothing any staff member can see."""
    viewer = staff(world, role)
    self_assess(world, staff(world, "lead"))
    for value in ("2", "2", "3"):
        answer(world, member(world)[0], value)
    before = site_results(world, viewer, SITE, ROUND)
    before_scores = scores_table(world, ROUND)
    answer(world, member(world)[0], "1")
    after = site_results(world, viewer, SITE, ROUND)
    assert after.panel_pending and before.panel_pending
    pd.testing.assert_frame_equal(before.competencies, after.competencies)
    pd.testing.assert_frame_equal(before_scores, scores_table(world, ROUND))
    assert after.competencies["panel"].isna().all()


def test_change_since_last_round_ignores_a_panel_still_hidden(world: Store) -> None:
    """Round 1's panel still collecting; its submits must not move round 2's 'change'."""
    lead = staff(world, "lead")
    self_assess(world, lead, "2")
    for value in ("1", "1", "1"):
        answer(world, member(world)[0], value)
    content = resolve_content(str(FIXTURES / "framework-minimal.yaml"), SURVEY_FILES)
    open_round(world, "r2", content, "t")
    self_assess(world, lead, "2", round_id="r2")
    before = site_results(world, lead, SITE, "r2")
    answer(world, member(world)[0], "1")  # one more into round 1, still open
    after = site_results(world, lead, SITE, "r2")
    assert before.previous_round == ROUND
    assert before.overall_change == after.overall_change
    pd.testing.assert_series_equal(before.domains["change"], after.domains["change"])


def test_a_members_own_saves_and_submit_leave_no_timed_trace(world: Store) -> None:
    """The audit log would time each member's answers; only the panel's close is logged."""
    before = len(world.audit.audit_events(None, 10_000))
    answer(world, member(world)[0], "2")
    events = world.audit.audit_events(None, 10_000)
    new = events[: len(events) - before]
    assert [e["action"] for e in new] == ["issue"]  # issuing the code, a staff action


def test_panel_free_text_reaches_no_staff_view(world: Store, tmp_path: Path) -> None:
    """A comment can name its writer: it stays out of scores, reports, exports and the audit."""
    lead = staff(world, "lead")
    self_assess(world, lead)
    for value in ("1", "2", "3"):
        answer(world, member(world)[0], value, comment=COMMENT)
    close_panel(world, staff(world, "facilitator"), SITE, ROUND)
    admin = staff(world, "admin")
    views = [
        board_report(world, lead, SITE, ROUND),
        export_table(world, admin, ROUND).to_csv(),
        scores_table(world, ROUND).to_csv(),
        str(world.audit.audit_events(None, 10_000)),
        compare_sites(world, admin, ROUND).to_csv(),
    ]
    for view in views:
        assert COMMENT not in view


# --------------------------------------------------------------------------- command line


def test_panel_close_and_status_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "ocf.db"
    world = Store.open(path)
    world.sites.add_sites([Site(SITE, "Trust one")], "t")
    open_round(world, ROUND, resolve_content("ocf-race-equality"), "t")
    issue_invitations(world, SYSTEM, SITE, ROUND, 3)
    runner = CliRunner()
    status = runner.invoke(main, ["panel", "status", "--round", ROUND, "--db", str(path)])
    assert status.exit_code == 0, status.output
    table = pd.read_csv(io.StringIO(status.stdout))
    assert table.loc[0, "site"] == SITE and table.loc[0, "issued"] == 3
    assert table.loc[0, "closed"] == "no"
    closed = runner.invoke(
        main, ["panel", "close", SITE.lower(), "--round", ROUND, "--db", str(path)]
    )
    assert closed.exit_code == 0, closed.output
    assert "3 unsubmitted" in closed.output
    again = runner.invoke(main, ["panel", "close", SITE, "--round", ROUND, "--db", str(path)])
    assert again.exit_code == 1 and "already closed" in again.output
    status = runner.invoke(main, ["panel", "status", "--round", ROUND, "--db", str(path)])
    assert pd.read_csv(io.StringIO(status.stdout)).loc[0, "closed"] == "yes"


# --------------------------------------------------------------------------- 7. arithmetic


def _black_template(african: tuple, caribbean: tuple, other: tuple) -> str:
    lines = ["site,period,measure,ethnic_group,age_band,count,population"]
    for group, counts in (
        ("African", african),
        ("Caribbean", caribbean),
        ("Any Other Black background", other),
        ("British", (120, 160)),
    ):
        for band, count in zip(("0-39", "40+"), counts, strict=True):
            lines.append(f"RX1,2024-25,All detentions,{group},{band},{count},20000")
    return "\n".join(lines) + "\n"


def _everything_shown(store: Store) -> list:
    """Every figure the disparity page, `ocf disparity` and exports can show: each group as
    focus, crude and standardised, with every column (counts, rates, intervals, ratios)."""
    from ocf.disparity import disparity_table, group_figures, groups_held

    rows = store.detentions.detentions_frame("2024-25", "all-detentions")
    shown = [group_figures(rows).sort_values(["group"]).reset_index(drop=True)]
    for focus in groups_held(rows):
        for method in ("crude", "standardised"):
            shown.append(disparity_table(rows, focus=focus, reference="White", method=method))
    return shown


def test_a_suppressed_cell_cannot_be_rebuilt_from_a_standardised_interval(
    tmp_path: Path,
) -> None:
    """A reviewer read Black 37, African 21 and Any other Black 13 back from the 1-decimal
    Dobson intervals of a trust's standardised rates, hence Caribbean = 3 (suppressed). Now
    four trusts whose Caribbean count is 1, 2, 3 or 4 (the others adjusted within their
    rounding) show exactly the same figures: nothing shown tells them apart."""
    from ocf.admin import confirm_detentions, preview_detentions
    from ocf.models import Site

    variants = [
        ((10, 11), (1, 2), (6, 7)),  # African 21, Caribbean 3, Any other Black 13
        ((10, 12), (1, 1), (6, 7)),  # 22, 2, 13
        ((10, 10), (2, 2), (6, 7)),  # 20, 4, 13
        ((10, 12), (0, 1), (7, 7)),  # 22, 1, 14
    ]
    seen = []
    for number, (african, caribbean, other) in enumerate(variants):
        store = Store.open(tmp_path / f"trust-{number}.db")
        store.sites.add_sites([Site("RX1", "A trust")], "t")
        text = _black_template(african, caribbean, other)
        confirm_detentions(store, SYSTEM, preview_detentions(store, SYSTEM, text, "t.csv"))
        seen.append(_everything_shown(store))
    first = seen[0]
    caribbean = first[0].set_index("group").loc["Caribbean"]
    assert caribbean["suppressed"] and pd.isna(caribbean["count"])
    for other in seen[1:]:
        assert len(other) == len(first)
        for a, b in zip(first, other, strict=True):
            pd.testing.assert_frame_equal(a, b)
