"""The assessment workflow in the core: who may write what, drafts, versions, submit."""

from __future__ import annotations

import pytest

from ocf.access import SYSTEM, Actor, add_account, issue_invitations, sign_in
from ocf.errors import ConflictError, DataError, PermissionDenied
from ocf.models import Site
from ocf.rounds import change_status, open_round, resolve_content
from ocf.store import Store
from ocf.submissions import (
    add_paper_response,
    close_panel,
    completion,
    open_panel_survey,
    open_self_assessment,
    paper_waiting,
    reopen,
    revoke_invitation,
    save,
    settle_paper_response,
    submit,
)

from .conftest import dump


@pytest.fixture
def db(store: Store) -> Store:
    store.sites.add_sites(
        [
            Site("QX1", "An ICB", "icb"),
            Site("RX1", "Trust one", parent="QX1"),
            Site("RX2", "Trust two", parent="QX1"),
        ],
        "t",
    )
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    return store


def account(db: Store, role: str, site: str | None = "RX1") -> Actor:
    actor = sign_in(
        db,
        add_account(
            db, SYSTEM, f"A {role}", role, site if role in ("lead", "facilitator") else None
        ),
    )
    assert actor is not None
    return actor


def panel_member(db: Store, site: str = "RX1") -> tuple[Actor, str]:
    code = issue_invitations(db, SYSTEM, site, "r1", 1)[0]
    actor = sign_in(db, code)
    assert actor is not None and actor.kind == "panel"
    return actor, code


def all_levels(draft, level: str = "2") -> dict:
    return {i.id: (level, None) for i in draft.survey.items if i.type == "level"}


def test_codes_are_stored_only_as_hashes(db: Store) -> None:
    code = add_account(db, SYSTEM, "Lead", "lead", "RX1")
    assert all(code.replace("-", "") not in line and code not in line for line in dump(db))
    assert sign_in(db, code.lower().replace("-", " ")).role == "lead"  # case and separators ignored
    assert sign_in(db, "AAAA-BBBB-CCCC") is None
    assert sign_in(db, "short") is None


def test_a_lead_saves_leaves_comes_back_and_submits(db: Store) -> None:
    lead = account(db, "lead")
    draft = open_self_assessment(db, lead, "RX1", "r1")
    assert (draft.status, draft.version) == ("new", 0)
    first = {
        "awareness-community-needs-level": ("2", None),
        "awareness-community-needs-evidence": (None, "Board paper"),
    }
    draft = save(db, lead, draft, first)
    assert (draft.status, draft.version) == ("draft", 1)
    again = open_self_assessment(
        db, account(db, "lead"), "RX1", "r1"
    )  # another lead, another device
    assert again.answers["awareness-community-needs-evidence"].text == "Board paper"
    with pytest.raises(DataError) as missing:
        submit(db, lead, again)
    levels = sum(i.type == "level" for i in again.survey.items)
    assert len(missing.value.problems) == levels - 1  # every other level is required
    done = submit(db, lead, save(db, lead, again, all_levels(again)))
    assert done.submitted
    assert (
        len(db.submissions.answers_frame("r1")) == levels + 1
    )  # every level and one evidence text


def test_a_stale_save_is_refused_and_changes_nothing(db: Store) -> None:
    lead = account(db, "lead")
    opened = open_self_assessment(db, lead, "RX1", "r1")
    save(db, lead, opened, {"staff-training-level": ("1", None)})  # someone else saves first
    before = dump(db)
    with pytest.raises(ConflictError, match="saved elsewhere") as refused:
        save(db, lead, opened, {"staff-training-level": ("3", None)})
    assert dump(db) == before
    # Said as a sentence with a readable time, not a raw stamp and version numbers (issue 35).
    said = str(refused.value)
    assert said.startswith("This was saved elsewhere") and "UTC on " in said
    assert "version" not in said and "+00:00" not in said


def test_a_second_submit_changes_nothing(db: Store) -> None:
    lead = account(db, "lead")
    draft = save(
        db,
        lead,
        open_self_assessment(db, lead, "RX1", "r1"),
        all_levels(open_self_assessment(db, lead, "RX1", "r1")),
    )
    submitted = submit(db, lead, draft)
    before = dump(db)
    assert submit(db, lead, draft).submitted  # the old draft object, as a double click sends it
    assert submit(db, lead, submitted).submitted
    assert dump(db) == before
    assert len(db.submissions.list_submissions("r1")) == 1
    with pytest.raises(ConflictError, match="already been submitted"):
        save(db, lead, submitted, {"staff-training-level": ("0", None)})


@pytest.mark.parametrize(
    ("role", "site"),
    [("lead", "RX2"), ("facilitator", "RX1"), ("regulator", None)],
)
def test_others_cannot_open_or_write_a_self_assessment(
    db: Store, role: str, site: str | None
) -> None:
    actor = account(db, role, site)
    with pytest.raises(PermissionDenied):
        open_self_assessment(db, actor, "RX1", "r1")
    lead = account(db, "lead")
    draft = open_self_assessment(db, lead, "RX1", "r1")
    with pytest.raises(PermissionDenied):
        save(db, actor, draft, {"staff-training-level": ("1", None)})


def test_writes_stop_when_the_round_closes(db: Store) -> None:
    lead = account(db, "lead")
    draft = open_self_assessment(db, lead, "RX1", "r1")
    change_status(db, "r1", "close", "t")
    with pytest.raises(PermissionDenied, match="closed"):
        save(db, lead, draft, {"staff-training-level": ("1", None)})


def test_bad_answers_are_refused_with_the_question(db: Store) -> None:
    lead = account(db, "lead")
    draft = open_self_assessment(db, lead, "RX1", "r1")
    with pytest.raises(DataError) as error:
        save(
            db,
            lead,
            draft,
            {"staff-training-level": ("7", None), "staff-training-action-due": ("soon", None)},
        )
    assert [(p.field, p.message.split(";")[0]) for p in error.value.problems] == [
        (
            "Anti-racist and culturally appropriate practice training",
            "'7' is not a level of the scale",
        ),
        ("When the action is due", "'soon' is not a date"),
    ]


def test_a_panel_member_saves_comes_back_with_the_code_and_submits(db: Store) -> None:
    member, code = panel_member(db)
    draft = open_panel_survey(db, member)
    draft = save(
        db,
        member,
        draft,
        {
            "understood-culture": ("4", None),
            "needed-interpreter": ("yes", None),
            "interpreter-provided": ("2", None),
        },
    )
    back = open_panel_survey(db, sign_in(db, code))
    assert back.answers["interpreter-provided"].value == "2"
    # Changing an earlier answer drops the answer to the question it now hides.
    back = save(db, member, back, {"needed-interpreter": ("no", None)})
    assert "interpreter-provided" not in back.answers
    back = save(db, member, back, {"help-early": ("9", None), "easy-feedback": ("5", None)})
    assert submit(db, member, back).submitted
    frame = db.submissions.answers_frame("r1")
    assert set(frame["audience"]) == {"panel"} and frame["respondent"].nunique() == 1


def test_a_panel_member_cannot_touch_another_members_answers(db: Store) -> None:
    first, _ = panel_member(db)
    second, _ = panel_member(db)
    draft = save(db, first, open_panel_survey(db, first), {"understood-culture": ("4", None)})
    with pytest.raises(PermissionDenied):
        save(db, second, draft, {"understood-culture": ("1", None)})


def test_revoked_codes_and_closed_panels_refuse_answers(db: Store) -> None:
    facilitator = account(db, "facilitator")
    member, code = panel_member(db)
    draft = open_panel_survey(db, member)
    revoke_invitation(db, facilitator, member.invitation_id)
    assert sign_in(db, code) is None
    with pytest.raises(PermissionDenied):
        save(db, member, draft, {"understood-culture": ("4", None)})
    other, _ = panel_member(db)
    other_draft = open_panel_survey(db, other)
    assert close_panel(db, facilitator, "RX1", "r1") == 1
    with pytest.raises(PermissionDenied, match="closed"):
        save(db, other, other_draft, {"understood-culture": ("4", None)})
    with pytest.raises(PermissionDenied, match="closed"):
        issue_invitations(db, facilitator, "RX1", "r1", 1)


def test_facilitator_sees_counts_and_keys_in_paper_responses(db: Store) -> None:
    facilitator = account(db, "facilitator")
    member, _ = panel_member(db)
    save(db, member, open_panel_survey(db, member), {"understood-culture": ("4", None)})
    panel_member(db)
    answers = {
        "understood-culture": ("2", None),
        "help-early": ("3", None),
        "easy-feedback": ("9", None),
    }
    assert add_paper_response(db, facilitator, "RX1", "r1", answers) == 1
    counts = {"unused": 1, "started": 1, "submitted": 0, "revoked": 0, "issued": 2}
    assert completion(db, facilitator, "RX1", "r1") == {
        **counts,
        "paper": 0,
        "paper_waiting": 1,
        "responses": 0,
    }
    paper = db.submissions.list_submissions("r1").query("respondent == 'paper-1'").iloc[0]
    assert (paper["status"], paper["assisted"]) == ("draft", 1)  # waits for a second person
    second = sign_in(db, add_account(db, SYSTEM, "Chair", "facilitator", "RX1"))
    [form] = paper_waiting(db, second, "RX1", "r1")
    assert settle_paper_response(db, second, "RX1", "r1", form.id, confirm=True) == 1
    assert completion(db, facilitator, "RX1", "r1") == {
        **counts,
        "paper": 1,
        "paper_waiting": 0,
        "responses": 1,
    }
    paper = db.submissions.list_submissions("r1").query("respondent == 'paper-1'").iloc[0]
    assert (paper["status"], paper["assisted"]) == ("submitted", 1)
    with pytest.raises(DataError, match="needs an answer"):
        add_paper_response(db, facilitator, "RX1", "r1", {"understood-culture": ("2", None)})
    with pytest.raises(PermissionDenied):
        completion(db, account(db, "facilitator", "RX2"), "RX1", "r1")


def test_only_an_admin_reopens_a_submitted_self_assessment_with_a_reason(db: Store) -> None:
    lead, admin = account(db, "lead"), account(db, "admin")
    draft = open_self_assessment(db, lead, "RX1", "r1")
    submitted = submit(db, lead, save(db, lead, draft, all_levels(draft)))
    with pytest.raises(PermissionDenied):
        reopen(db, lead, submitted.submission_id, "typo")
    with pytest.raises(ConflictError, match="needs a reason"):
        reopen(db, admin, submitted.submission_id, " ")
    reopen(db, admin, submitted.submission_id, "Wrong evidence attached")
    again = open_self_assessment(db, lead, "RX1", "r1")
    assert again.status == "draft"
    assert "Wrong evidence attached" in db.audit.audit_events("submission")[0]["after"]
    assert submit(db, lead, again).submitted
