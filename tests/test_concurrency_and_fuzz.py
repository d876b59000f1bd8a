"""Many writers at once lose nothing; bad input of any shape gets a clear error and changes nothing."""

from __future__ import annotations

import shutil
import string
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocf.access import SYSTEM, issue_invitations, sign_in
from ocf.admin import (
    add_sites,
    confirm_detentions,
    confirm_responses,
    preview_detentions,
    preview_responses,
    preview_sites,
)
from ocf.answers import parse_answer
from ocf.errors import DataError, OcfError
from ocf.importers import read_text
from ocf.loading import load_shipped
from ocf.store import Store
from ocf.submissions import open_panel_survey, save, submit

from .conftest import dump

ROUND = "2025-26"
MEMBERS = 50


def test_fifty_panel_members_save_and_submit_at_once(demo_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "ocf.db"
    shutil.copy(demo_path, path)
    codes = issue_invitations(Store.open(path), SYSTEM, "XTA1", ROUND, MEMBERS)

    def member(number: int) -> int:
        store = Store.open(path)  # a connection per session, as in the app
        actor = sign_in(store, codes[number], client=f"client-{number}")
        draft = open_panel_survey(store, actor)
        value = str(1 + number % 5)
        draft = save(store, actor, draft, {"understood-culture": (value, None)})
        draft = save(
            store, actor, draft, {"help-early": (value, None), "crisis-options": ("9", None)}
        )
        draft = save(store, actor, draft, {"easy-feedback": (value, None)})
        submit(store, actor, draft)
        submit(store, actor, draft)  # a double click
        store.close()
        return number

    with ThreadPoolExecutor(max_workers=MEMBERS) as pool:
        done = list(pool.map(member, range(MEMBERS)))
    assert sorted(done) == list(range(MEMBERS))
    store = Store.open(path)
    rows = store.submissions.list_submissions(ROUND)
    mine = rows[rows["respondent"].str.startswith("panel-") & (rows["site"] == "XTA1")]
    assert len(mine) == MEMBERS and set(mine["status"]) == {"submitted"}
    answers = store.submissions.answers_frame(ROUND)
    answers = answers[answers["respondent"].isin(mine["respondent"])]
    assert len(answers) == MEMBERS * 4  # every answer of every member is there


SURVEY = load_shipped().surveys["ocf-panel"]
SCALE = load_shipped().frameworks["ocf-race-equality"].scale


@given(
    item=st.sampled_from(SURVEY.items),
    value=st.text(max_size=20),
    text=st.none() | st.text(max_size=20),
)
def test_any_answer_is_accepted_normalised_or_refused_with_a_reason(item, value, text) -> None:
    try:
        answer = parse_answer(item, value, text, SCALE)
    except ValueError as exc:
        assert str(exc)
    else:
        assert answer.item_id == item.id


CELL = st.text(alphabet=string.ascii_letters + string.digits + " ,-*\"'\n;.", max_size=12)


@pytest.fixture(scope="module")
def fuzz_db(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "ocf.db"
    shutil.copy(demo_path, path)
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["sites", "responses", "detentions"]),
    header=st.lists(
        st.sampled_from(
            [
                "code",
                "name",
                "kind",
                "site",
                "round",
                "survey",
                "respondent",
                "item",
                "value",
                "period",
                "measure",
                "ethnic_group",
                "count",
                "population",
                "junk",
            ]
        ),
        min_size=1,
        max_size=8,
    ),
    rows=st.lists(st.lists(CELL, min_size=1, max_size=8), max_size=5),
)
def test_bad_csv_files_are_refused_cleanly_and_change_nothing(
    fuzz_db: Path, tmp_path_factory, kind: str, header: list, rows: list
) -> None:
    folder = tmp_path_factory.mktemp("csv")
    path = folder / "input.csv"
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    store = Store.open(fuzz_db)
    before = dump(store)
    # The checked paths the app and the command line both use.
    importer = {
        "sites": lambda p, s, a: add_sites(
            s, SYSTEM, preview_sites(s, SYSTEM, read_text(p), str(p))
        ),
        "responses": lambda p, s, a: confirm_responses(
            s, SYSTEM, preview_responses(s, SYSTEM, read_text(p), str(p)), assisted=False
        ),
        "detentions": lambda p, s, a: confirm_detentions(
            s, SYSTEM, preview_detentions(s, SYSTEM, read_text(p), str(p), "template")
        ),
    }[kind]
    try:
        importer(path, store, "fuzz")
    except DataError as error:
        assert error.problems and all(
            str(problem).startswith(str(path)) for problem in error.problems
        )
        assert dump(store) == before
    except OcfError:
        assert dump(store) == before


def test_saving_answers_taken_back_in_another_tab_says_so(demo_path: Path, tmp_path: Path) -> None:
    """Found by mypy (issue 32): a save whose answers were deleted meanwhile (taken back in
    another tab) failed with an internal error; it is now a conflict that says what happened."""
    from ocf.errors import ConflictError
    from ocf.models import Answer

    path = tmp_path / "ocf.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    [code] = issue_invitations(store, SYSTEM, "XTA1", ROUND, 1)
    actor = sign_in(store, code, client="tab")
    draft = save(store, actor, open_panel_survey(store, actor), {"help-early": ("4", None)})
    store.submissions.withdraw_panel_answers(
        actor.invitation_id, draft.submission_id
    )  # the other tab
    with pytest.raises(ConflictError, match="deleted elsewhere"):
        store.submissions.save_answers(
            draft.key, [Answer("easy-feedback", "2")], [], draft.version, "m"
        )
    assert store.submissions.get_submission_by_id(draft.submission_id) is None
