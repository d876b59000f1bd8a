"""The accountability loop (issue 17): the trust answers its panel, keeps a living action plan
carried from round to round, and a round is not published while a gap has no answer."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ocf.access import SYSTEM
from ocf.accountability import (
    ActionRow,
    actions,
    gaps_without_response,
    history,
    import_actions,
    progress,
    responses,
    save_action,
    save_response,
)
from ocf.admin import open_new_round, round_summary, set_round_status
from ocf.cli import main
from ocf.demo import DEMO_SITE, demo_actor
from ocf.errors import ConflictError, DataError, PermissionDenied
from ocf.store import Store

from .conftest import dump

PUBLISHED = "2024-25"  # the demo's published round: its panels closed, with gaps


def closed_again(store: Store) -> None:
    """The demo's published round taken back to closed, ready to publish."""
    set_round_status(store, SYSTEM, PUBLISHED, "reopen", "test")
    set_round_status(store, SYSTEM, PUBLISHED, "close")


OTHER = "XTB1"  # a demo trust whose gaps have no response yet (the demo lead's XTA1 has)


def test_the_trust_answers_each_gap_in_three_parts(demo_store: Store) -> None:
    assert DEMO_SITE not in gaps_without_response(demo_store, PUBLISHED)  # answered in the demo
    gaps = gaps_without_response(demo_store, PUBLISHED)[OTHER]
    save_response(
        demo_store,
        SYSTEM,
        OTHER,
        PUBLISHED,
        gaps[0],
        "Not listened to",
        "We agree",
        "Meet monthly",
    )
    assert gaps[0] not in gaps_without_response(demo_store, PUBLISHED)[OTHER]
    shown = responses(demo_store, demo_actor(demo_store, "regulator"), OTHER, PUBLISHED)
    assert list(shown[["panel_said", "accepted", "will_do"]].iloc[0]) == [
        "Not listened to",
        "We agree",
        "Meet monthly",
    ]


def test_a_response_needs_every_part_and_the_right_site(demo_store: Store) -> None:
    lead = demo_actor(demo_store, "lead")
    competency = "awareness-community-needs"
    with pytest.raises(DataError) as error:
        save_response(demo_store, lead, lead.site, PUBLISHED, competency, "said", " ", "")
    assert {p.field for p in error.value.problems} == {
        "What the trust accepts",
        "What the trust will do",
    }
    with pytest.raises(PermissionDenied):
        save_response(demo_store, lead, "XTB1", PUBLISHED, competency, "a", "b", "c")
    with pytest.raises(DataError, match="no competency 'made-up'"):
        save_response(demo_store, lead, lead.site, PUBLISHED, "made-up", "a", "b", "c")


def test_publishing_waits_for_every_gap_to_be_answered_or_a_reason(demo_store: Store) -> None:
    closed_again(demo_store)
    summary = round_summary(demo_store, SYSTEM, PUBLISHED)
    assert summary.gaps_unanswered == gaps_without_response(demo_store, PUBLISHED)
    assert any("without the trust's response" in line for line in summary.lines("publish"))
    with pytest.raises(ConflictError, match=r"accountability gap\(s\) at \d+ site\(s\)"):
        set_round_status(demo_store, SYSTEM, PUBLISHED, "publish")
    # Named by site and competency, never by ids alone (issue 35).
    words = " ".join(summary.lines("publish"))
    assert "NHS Foundation Trust (XT" in words and "awareness-" not in words
    assert demo_store.rounds.get_round(PUBLISHED).status == "closed"
    for site, competencies in gaps_without_response(demo_store, PUBLISHED).items():
        for competency in competencies:
            save_response(demo_store, SYSTEM, site, PUBLISHED, competency, "a", "b", "c")
    assert set_round_status(demo_store, SYSTEM, PUBLISHED, "publish") == "published"


def test_an_admin_may_publish_with_a_reason_the_audit_log_keeps(demo_store: Store) -> None:
    closed_again(demo_store)
    set_round_status(demo_store, SYSTEM, PUBLISHED, "publish", "Board deadline; responses follow")
    log = demo_store.audit.audit_events("round", 5, None, "status")
    assert any("Board deadline" in str(entry["after"]) for entry in log)


ACTIONS = (
    "site,round,competency,action,owner,due,status,progress\n"
    "XTA1,2025-26,awareness-leadership-accountability,Board race equality session,Chief nurse,2026-03-31,"
    "on track,Booked for March\n"
    "XTA1,2025-26,data-ethnicity-recording,Fix ethnicity coding,Head of informatics,2025-12-31,done,\n"
    "XTA1,2025-26,data-core-measures,Quarterly data review,Analyst,,not started,\n"
)


@pytest.fixture
def db(demo_path: Path, tmp_path: Path) -> str:
    path = tmp_path / "ocf.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    store.db.execute("DELETE FROM meta WHERE key = 'demo'")  # a real database takes imports
    store.db.conn.commit()
    store.close()
    return str(path)


def test_import_and_list_actions_on_the_command_line(db: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text(ACTIONS)
    runner = CliRunner()
    result = runner.invoke(main, ["import", "actions", str(plan), "--db", db])
    assert result.exit_code == 0, result.output
    assert "3 new and 0 changed" in result.output
    listed = runner.invoke(main, ["actions", "list", "--site", "XTA1", "--db", db])
    table = pd.read_csv(io.StringIO(listed.output), keep_default_na=False)
    ours = [line.split(",")[3] for line in ACTIONS.splitlines()[1:]]
    table = table[table["action"].isin(ours)]
    assert list(table.columns) == [
        "site",
        "round",
        "competency",
        "action",
        "owner",
        "due",
        "status",
        "carried_from",
    ]
    assert list(table["status"]) == ["on track", "done", "not started"]
    # The same file again changes nothing; a new status updates the action with a dated note.
    assert (
        "0 new and 1 changed"
        in runner.invoke(main, ["import", "actions", str(plan), "--db", db]).output
    )  # the row with a progress note is a new note each time
    plan.write_text(ACTIONS.replace("on track,Booked", "at risk,Speaker cancelled"))
    assert (
        "0 new and 1 changed"
        in runner.invoke(main, ["import", "actions", str(plan), "--db", db]).output
    )


@pytest.mark.parametrize(
    ("cell", "bad", "message"),
    [
        ("XTA1,2025-26,awareness", "XZZ9,2025-26,awareness", "ROW 2: site: no site 'XZZ9'"),
        ("XTA1,2025-26,awareness", "XTA1,1999-00,awareness", "ROW 2: round: no round '1999-00'"),
        (
            "awareness-leadership-accountability",
            "made-up",
            "ROW 2: competency: no competency 'made-up'",
        ),
        ("2026-03-31,on track", "2026-03-31,sort of", "ROW 2: status: 'sort of'; expected one"),
        ("2026-03-31,on track", "31/03/2026,on track", "ROW 2: due: '31/03/2026' is not a date"),
        ("2026-03-31,on track", "2026-02-30,on track", "ROW 2: due: '2026-02-30' is not a date"),
        ("Board race equality session", "", "ROW 2: action: empty"),
    ],
)
def test_a_bad_action_row_is_refused_with_its_row_and_changes_nothing(
    db: str, tmp_path: Path, cell: str, bad: str, message: str
) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text(ACTIONS.replace(cell, bad, 1))
    before = dump(Store.open(db))
    result = CliRunner().invoke(main, ["import", "actions", str(plan), "--db", db])
    assert result.exit_code != 0
    assert f"plan.csv:{message}" in result.output
    assert dump(Store.open(db)) == before


def test_unfinished_actions_carry_over_into_the_next_round_with_their_history(
    demo_store: Store,
) -> None:
    import_actions(demo_store, SYSTEM, ACTIONS, "plan.csv")
    lead = demo_actor(demo_store, "lead")
    first = actions(demo_store, lead, round_id="2025-26")
    on_track = first[first["action"] == "Board race equality session"].iloc[0]
    save_action(
        demo_store,
        lead,
        ActionRow(
            "XTA1",
            "2025-26",
            on_track["competency"],
            on_track["action"],
            on_track["owner"],
            on_track["due"],
            "at risk",
            "Speaker cancelled",
        ),
    )
    set_round_status(demo_store, SYSTEM, "2025-26", "close")
    open_new_round(demo_store, SYSTEM, "2026-27", "ocf-race-equality", [], "2025-26")
    carried = actions(demo_store, lead, round_id="2026-27")
    # The demo's own actions and those its self-assessment planned in 2024-25 carry over too.
    earlier = set(actions(demo_store, lead, round_id="2024-25")["action"])
    ours = carried[~carried["action"].isin(earlier)]
    assert sorted(ours["action"]) == ["Board race equality session", "Quarterly data review"]
    assert set(carried["carried_from"]) == {"2025-26"}
    notes = history(demo_store, carried)
    board = carried[carried["action"] == "Board race equality session"]["id"].iloc[0]
    assert list(notes[notes["action_id"] == board]["note"]) == [
        "Booked for March",
        "Speaker cancelled",
    ]


def test_progress_counts_done_on_time_and_overdue() -> None:
    frame = pd.DataFrame(
        {
            "status": ["done", "done", "on track", "on track", "at risk", "dropped"],
            "due": ["2026-03-31", "2026-01-31", "2026-01-31", None, "2026-06-30", "2026-01-01"],
            "done_at": [
                "2026-03-01T10:00:00+00:00",
                "2026-02-02T10:00:00+00:00",
                None,
                None,
                None,
                None,
            ],
        }
    )
    counts = progress(frame, today=date(2026, 3, 1))
    assert counts == {
        "done on time": 1,
        "done late": 1,
        "overdue": 1,
        "on track": 1,
        "at risk": 1,
        "not started": 0,
        "dropped": 1,
    }


def test_leads_see_and_change_only_their_own_sites_plan(demo_store: Store) -> None:
    import_actions(demo_store, SYSTEM, ACTIONS.replace("XTA1", "XTB1"), "plan.csv")
    lead = demo_actor(demo_store, "lead")
    with pytest.raises(PermissionDenied):
        actions(demo_store, lead, site="XTB1")
    with pytest.raises(PermissionDenied):
        import_actions(demo_store, lead, ACTIONS.replace("XTA1", "XTB1"), "plan.csv")
    assert set(actions(demo_store, lead)["site"]) == {"XTA1"}


# --------------------------------------------------------------------------- the Results page


def by_label(elements, label: str):
    return next(e for e in elements if e.label == label)


@pytest.fixture
def results_as(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    from .conftest import PROJECT

    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    monkeypatch.setenv("OCF_DB", str(path))

    def make(role: str) -> AppTest:
        at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
        at.session_state["actor"] = demo_actor(Store.open(path), role)
        at.run()
        at.switch_page("app_pages/results.py").run()
        by_label(at.selectbox, "Round").select_index(0).run()  # the published round
        assert not at.exception
        return at

    return make


def test_a_gap_is_answered_and_progress_recorded_on_the_results_page(results_as) -> None:
    at = results_as("admin")
    organisation = by_label(at.selectbox, "Organisation")
    organisation.select_index(
        next(i for i, o in enumerate(organisation.options) if f"({OTHER})" in o)
    ).run()
    gaps = next(t.value for t in at.table if "What the panel said" in t.value.columns)
    assert (gaps["What the panel said"] == "no response yet").all()
    first = gaps.index[0]
    by_label(at.text_area, "What the panel said").input("Staff did not explain our rights")
    by_label(at.text_area, "What the trust accepts").input("Rights were not explained well")
    by_label(at.text_area, "What the trust will do").input("Rights leaflet in 12 languages")
    next(b for b in at.button if b.label == "Save the response").click().run()
    assert not at.exception
    gaps = next(t.value for t in at.table if "What the panel said" in t.value.columns)
    assert gaps.loc[first, "What the trust will do"] == "Rights leaflet in 12 languages"

    by_label(at.text_input, "What will be done").input("Rights leaflet")
    by_label(at.text_input, "Owner").input("Head of patient experience")
    by_label(at.selectbox, "Status").select("on track")
    by_label(at.text_area, "Progress note (dated today)").input("Drafted with the panel")
    next(b for b in at.button if b.label == "Save the action").click().run()
    assert not at.exception
    plan = next(t.value for t in at.table if "Latest note" in t.value.columns)
    # Beside the actions the trust's self-assessment planned (tracked since issue 33).
    saved = plan[plan["Action"] == "Rights leaflet"]
    assert list(saved["Latest note"]) == ["Drafted with the panel"]


def test_a_regulator_reads_responses_and_plans_but_cannot_write(results_as) -> None:
    at = results_as("regulator")
    assert "You said, we did" in [h.value for h in at.header]
    assert not [e for e in at.expander if e.label.startswith(("Write", "Add"))]


def test_a_bad_action_on_the_page_is_refused_with_its_field(results_as) -> None:
    at = results_as("lead")
    next(b for b in at.button if b.label == "Save the action").click().run()
    assert "action" in at.error[0].value and "empty" in at.error[0].value


def test_the_board_report_shows_the_responses_and_the_plans_progress(demo_store: Store) -> None:
    from ocf.reports import board_report

    gap = gaps_without_response(demo_store, PUBLISHED)[OTHER][0]
    save_response(demo_store, SYSTEM, OTHER, PUBLISHED, gap, "Said <b>", "Accept", "Will do")
    plan = ACTIONS.replace("2025-26", PUBLISHED).replace("XTA1", OTHER)
    import_actions(demo_store, SYSTEM, plan, "plan.csv")
    report = board_report(demo_store, SYSTEM, OTHER, PUBLISHED)
    assert "<h2>You said, we did</h2>" in report and "Said &lt;b&gt;" in report
    assert "<h2>Actions and progress</h2>" in report and "Board race equality session" in report
    assert "no response yet" in report  # the other gaps, still unanswered


def test_the_admin_sees_unanswered_gaps_before_publishing_and_gives_a_reason(
    demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from .conftest import PROJECT

    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    closed_again(Store.open(path))
    monkeypatch.setenv("OCF_DB", str(path))
    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    at.session_state["actor"] = demo_actor(Store.open(path), "admin")
    at.run()
    at.switch_page("app_pages/admin_rounds.py").run()
    by_label(at.selectbox, "Round").select_index(0).run()
    next(b for b in at.button if b.label == "Publish").click().run()
    assert any("without the trust's response" in m.value for m in at.markdown)
    # "Yes, publish" waits for the reason (it offered itself, then failed with a long error).
    yes = next(b for b in at.button if b.label == f"Yes, publish round {PUBLISHED}")
    assert yes.disabled and "Give the reason above" in at.warning[-1].value
    assert Store.open(path).rounds.get_round(PUBLISHED).status == "closed"
    at.text_input[0].input("Board meets tomorrow; responses follow").run()
    next(b for b in at.button if b.label == "Publish").click().run()
    next(b for b in at.button if b.label == f"Yes, publish round {PUBLISHED}").click().run()
    assert not at.exception
    assert Store.open(path).rounds.get_round(PUBLISHED).status == "published"


def test_a_panel_member_reads_the_trusts_response_with_their_code(demo_store: Store) -> None:
    from ocf.access import issue_invitations, sign_in
    from ocf.accountability import for_the_panel
    from ocf.submissions import open_panel_survey, save, submit

    round_id = "2025-26"
    answered, idle = issue_invitations(demo_store, SYSTEM, DEMO_SITE, round_id, 2)
    member = sign_in(demo_store, answered)
    draft = open_panel_survey(demo_store, member)
    raw = {i.id: (i.options[0].value, None) for i in draft.survey.items if i.required}
    submit(demo_store, member, save(demo_store, member, draft, raw))
    with pytest.raises(PermissionDenied, match="once the round is published"):
        for_the_panel(demo_store, member)
    set_round_status(demo_store, SYSTEM, round_id, "close")
    save_response(
        demo_store, SYSTEM, DEMO_SITE, round_id, "awareness-community-needs", "a", "b", "Leaflets"
    )
    set_round_status(demo_store, SYSTEM, round_id, "publish", "test")
    again = sign_in(demo_store, answered)
    answers, doing = for_the_panel(demo_store, again)
    assert list(answers["The trust will"]) == ["Leaflets"]
    assert "Ethnicity recorded for every admission" in list(doing["What"])
    # A code that never answered stays closed; staff cannot use the member's page.
    with pytest.raises(PermissionDenied, match="has closed"):
        sign_in(demo_store, idle)
    with pytest.raises(PermissionDenied):
        for_the_panel(demo_store, demo_actor(demo_store, "lead"))


def test_an_action_reads_the_same_everywhere(demo_store: Store) -> None:
    """An action due 21 Nov 2026 read "Overdue" for the lead and "At risk" on the public
    summary; the panel's "By" column meant a due date (issue 35)."""
    from datetime import date

    from ocf.accountability import action_state, states

    assert action_state("at risk", "2026-11-21", None, date(2026, 12, 6)) == "overdue"
    assert action_state("at risk", "2026-12-21", None, date(2026, 12, 6)) == "at risk"
    assert action_state("done", "2026-11-21", "2026-11-30T10:00", date(2026, 12, 6)) == "done late"
    assert action_state("dropped", "2026-11-21", None, date(2026, 12, 6)) == "dropped"
    plan = demo_store.accountability.actions_frame()
    assert "Overdue" in set(states(plan))  # the demo holds one past its date
    from ocf.public import public_summary

    published = next(r.id for r in demo_store.rounds.list_rounds() if r.status == "published")
    summary = public_summary(demo_store, DEMO_SITE, published)
    mine = plan[(plan["site"] == DEMO_SITE) & (plan["round"] == published)]
    assert list(summary.actions["Status"]) == list(states(mine))


def test_one_response_pasted_into_many_gaps_is_flagged_before_publishing(
    demo_path, tmp_path, monkeypatch
):
    """Issue 33, 4: the demo pastes one text into all 22 gaps and nothing noticed. Responses
    that say (nearly) the same are flagged to the admin before publishing and to the regulator;
    different answers, however short, are not."""
    import shutil

    import pandas as pd

    from ocf.access import SYSTEM
    from ocf.accountability import repeated_responses
    from ocf.admin import round_summary
    from ocf.store import Store

    from .conftest import page_at

    frame = pd.DataFrame(
        {
            "site": ["A", "A", "A", "A", "B"],
            "competency": ["c1", "c2", "c3", "c4", "c1"],
            "accepted": ["We accept this.", "we ACCEPT this", "Staff were rude.", "Yes", "x"],
            "will_do": ["Train staff by June.", "Train staff, by June!", "Apologise.", "No", "x"],
        }
    )
    assert repeated_responses(frame) == {"A": [["c1", "c2"]]}

    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    lines = round_summary(store, SYSTEM, "2024-25").lines("publish")
    flagged = [line for line in lines if "The same response was given to 22 gaps" in line]
    assert len(flagged) == 1 and flagged[0].startswith("Northvale")
    monkeypatch.setenv("OCF_DB", str(path))
    at = page_at(path, "regulator", "results")
    assert any("The same response was given to 22 gaps" in w.value for w in at.warning)


def _ready_to_submit(demo_path, tmp_path, plan_for) -> tuple:
    """A copy of the demo whose lead has saved a 2025-26 self-assessment with every required
    answer and the plan `plan_for(competency)` for its first competency: (store, lead, draft,
    competency)."""
    from ocf.submissions import open_self_assessment, save

    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    lead = demo_actor(store, "lead")
    draft = open_self_assessment(store, lead, lead.site, "2025-26")
    competency = store.rounds.round_framework("2025-26").competencies[0].id
    held = save(store, lead, draft, plan_for(competency))
    required = {
        i.id: (i.options[-1].value if i.options else "1", None)
        for i in held.survey.items
        if i.required and i.id not in held.answers
    }
    return store, lead, save(store, lead, held, required), competency


def test_the_self_assessments_plan_becomes_tracked_actions_once(demo_path, tmp_path) -> None:
    """Issue 33, 3: the actions typed in the self-assessment were never tracked. Submitting it
    (or importing it) adds each planned action, "not started", with its owner and due date; a
    second time adds nothing and never resets progress; gaps answered with no action are
    listed before publishing."""

    from ocf.access import SYSTEM
    from ocf.accountability import (
        actions,
        gaps_without_action,
        submit_self_assessment,
        track_plan,
    )
    from ocf.admin import round_summary

    store, lead, held, competency = _ready_to_submit(
        demo_path,
        tmp_path,
        lambda competency: {
            f"{competency}-action": (None, "Publish detention figures by ethnicity each quarter"),
            f"{competency}-action-owner": (None, "Head of informatics"),
            f"{competency}-action-due": ("2027-03-31", None),
        },
    )
    before = len(actions(store, lead, round_id="2025-26"))
    submit_self_assessment(store, lead, held)
    tracked = actions(store, lead, round_id="2025-26")
    new = tracked[tracked["action"] == "Publish detention figures by ethnicity each quarter"]
    assert len(tracked) > before and len(new) == 1
    row = new.iloc[0]
    assert (row["competency"], row["owner"], row["due"], row["status"]) == (
        competency, "Head of informatics", "2027-03-31", "not started",
    )  # fmt: skip
    assert track_plan(store, lead.site, "2025-26", "again") == 0  # nothing twice
    assert len(actions(store, lead, round_id="2025-26")) == len(tracked)

    # Before publishing: the demo lead answered 22 gaps with 3 actions for them.
    unplanned = gaps_without_action(store, "2024-25")[lead.site]
    assert len(unplanned) > 0
    lines = round_summary(store, SYSTEM, "2024-25").lines("publish")
    assert any(line.startswith("Gaps answered with no action to follow them") for line in lines)


def _lcs(a: str, b: str) -> int:
    """The longest common subsequence, by the textbook dynamic programme."""
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal, row[0] = 0, 0
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def test_similarity_is_the_longest_common_subsequence_share() -> None:
    """Two responses are alike when 2 × LCS / (|a| + |b|) ≥ SAME_RESPONSE, on the texts reduced
    to their words: a definition a reviewer can check by hand, whatever computes it."""
    from ocf.accountability import SAME_RESPONSE, _alike, _plain

    texts = [
        _plain(t)
        for t in (
            "Train staff by June.",
            "train staff by jnue",  # two letters swapped: 2 × 18 / 38 = 0.947, alike
            "Train staff by June!!",
            "Review restraint data by ethnicity each quarter",
            "Review restraint data by ethnicity every quarter",
            "Something else entirely",
        )
    ]
    expected: list[set[int]] = []
    for i, a in enumerate(texts):
        for j in range(i + 1, len(texts)):
            b = texts[j]
            if 2 * _lcs(a, b) / (len(a) + len(b)) >= SAME_RESPONSE:
                joined = {i, j}
                for group in [g for g in expected if g & joined]:
                    expected.remove(group)
                    joined |= group
                expected.append(joined)
    found = [set(g) for g in _alike(texts) if len(g) > 1]
    assert sorted(map(sorted, found)) == sorted(map(sorted, expected))
    assert {0, 1, 2} in found and {3, 4} in found and {5} not in found


def test_a_plan_that_cannot_be_tracked_leaves_the_self_assessment_a_draft(
    demo_path, tmp_path, monkeypatch
) -> None:
    """Submitting and tracking the plan are one write: a failure tracking it (a full disk)
    left the self-assessment submitted with its plan never tracked, and no way to submit again.
    Now nothing changes, the draft keeps every answer, and a second try does both."""
    from ocf.accountability import actions, submit_self_assessment
    from ocf.errors import StorageError
    from ocf.submissions import open_self_assessment

    store, lead, held, _ = _ready_to_submit(
        demo_path,
        tmp_path,
        lambda competency: {f"{competency}-action": (None, "Audit restraint by ethnicity")},
    )
    before = len(actions(store, lead, round_id="2025-26"))

    def full_disk(*args, **kwargs):
        raise StorageError("the database could not be written (disk full); nothing was saved")

    with monkeypatch.context() as patched:
        patched.setattr(store.accountability, "put_actions", full_disk)
        with pytest.raises(StorageError):
            submit_self_assessment(store, lead, held)
    again = open_self_assessment(store, lead, lead.site, "2025-26")
    assert not again.submitted
    assert again.answers == held.answers
    assert len(actions(store, lead, round_id="2025-26")) == before
    assert submit_self_assessment(store, lead, again).submitted
    assert len(actions(store, lead, round_id="2025-26")) == before + 1


def test_an_imported_self_assessment_and_its_plan_are_one_write(
    demo_path, tmp_path, monkeypatch
) -> None:
    """Imports are all or nothing: a failure tracking an imported self-assessment's plan left
    the responses stored and the plan untracked."""
    from ocf.admin import confirm_responses
    from ocf.errors import StorageError
    from ocf.models import Answer, Response

    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    survey = next(s for s in store.rounds.round_surveys("2025-26").values() if s.audience == "self")
    competency = store.rounds.round_framework("2025-26").competencies[0].id
    answers = [
        Answer(i.id, i.options[-1].value if i.options else "1") for i in survey.items if i.required
    ]
    answers.append(Answer(f"{competency}-action", None, "Audit restraint by ethnicity"))
    response = Response(DEMO_SITE, "2025-26", survey.id, "imported lead", tuple(answers))
    counted = store.db.execute("SELECT count(*) FROM submissions").fetchone()[0]

    def full_disk(*args, **kwargs):
        raise StorageError("the database could not be written (disk full); nothing was saved")

    monkeypatch.setattr(store.accountability, "put_actions", full_disk)
    with pytest.raises(StorageError):
        confirm_responses(store, SYSTEM, [response])
    assert store.db.execute("SELECT count(*) FROM submissions").fetchone()[0] == counted
