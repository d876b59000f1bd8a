"""Completing a survey: drafts saved section by section, then one atomic, idempotent submit.

Every function takes the acting person and checks what they may do before touching the store:
a lead writes only their own site's self-assessment, a panel member only their own invitation,
and nobody writes once the round (or the site's panel) is closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ocf.access import Actor, check_active
from ocf.answers import hidden_but_answered, missing_required, parse_answer
from ocf.errors import ConflictError, DataError, PermissionDenied, Problem
from ocf.models import Answer, Response, Survey
from ocf.paper import question_numbers
from ocf.permissions import ensure, held_to_site
from ocf.store import Store

__all__ = [
    "PANEL_STATUS_COLUMNS",
    "SELF_RESPONDENT",
    "Draft",
    "PaperForm",
    "RawAnswers",
    "add_paper_response",
    "close_panel",
    "completion",
    "invitations",
    "open_panel_survey",
    "open_self_assessment",
    "panel_status",
    "paper_waiting",
    "parse_answers",
    "reopen",
    "revoke_invitation",
    "save",
    "settle_paper_response",
    "submit",
    "withdraw",
]


SELF_RESPONDENT = "equality-lead"
RawAnswers = Mapping[str, tuple[str | None, str | None]]  # item id → (value, text)


@dataclass(frozen=True)
class Draft:
    """A respondent's submission as they see it: answers so far and the version they hold."""

    site: str
    round: str
    survey: Survey
    respondent: str
    submission_id: int | None
    status: str  # new | draft | submitted
    version: int
    answers: dict[str, Answer]

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.site, self.round, self.survey.id, self.respondent)

    @property
    def submitted(self) -> bool:
        return self.status == "submitted"


def _draft(store: Store, site: str, round_id: str, survey: Survey, respondent: str) -> Draft:
    row = store.submissions.get_submission(site, round_id, survey.id, respondent)
    if row is None:
        return Draft(site, round_id, survey, respondent, None, "new", 0, {})
    answers = store.submissions.submission_answers(row.id)
    return Draft(site, round_id, survey, respondent, row.id, row.status, row.version, answers)


def _survey_for(store: Store, round_id: str, audience: str, survey_id: str | None = None) -> Survey:
    surveys = [s for s in store.rounds.round_surveys(round_id).values() if s.audience == audience]
    if survey_id is not None:
        surveys = [s for s in surveys if s.id == survey_id]
    if not surveys:
        raise PermissionDenied(f"round {round_id} has no {audience} survey")
    return surveys[0]


def _require_open(store: Store, round_id: str) -> None:
    round_ = store.rounds.require_round(round_id)
    if round_.status != "open":
        raise PermissionDenied(
            f"round {round_id} is {round_.status}: answers can no longer be changed"
        )


# --------------------------------------------------------------------------- opening


def open_self_assessment(store: Store, actor: Actor, site: str, round_id: str) -> Draft:
    """The site's self-assessment for a round (one per site, shared by its leads)."""
    check_active(store, actor)
    ensure(actor, "self-assess", site=site)
    store.rounds.require_round(round_id)
    if (why := store.rounds.assesses(site, round_id)) is not None:
        raise ConflictError(why)
    return _draft(store, site, round_id, _survey_for(store, round_id, "self"), SELF_RESPONDENT)


def open_panel_survey(store: Store, actor: Actor) -> Draft:
    """A panel member's own survey, from their invitation."""
    if actor.kind != "panel" or actor.invitation_id is None:
        raise PermissionDenied("the panel survey needs an invitation code")
    check_active(store, actor)  # the invitation's own site, round and survey, not revoked
    assert actor.site is not None and actor.round is not None  # an invitation's, always
    survey = _survey_for(store, actor.round, "panel", actor.survey)
    return _draft(store, actor.site, actor.round, survey, f"panel-{actor.invitation_id}")


def _check_can_write(store: Store, actor: Actor, draft: Draft) -> None:
    if draft.survey.audience == "panel":
        # The draft must be the actor's own invitation's (check_active below holds the actor
        # to the invitation itself): a forged draft of another site writes nowhere.
        if (draft.site, draft.round, draft.survey.id) != (actor.site, actor.round, actor.survey):
            raise PermissionDenied("this invitation code is for another site, round or survey")
        if store.panels.panel_closed(draft.site, draft.round):
            raise PermissionDenied("the panel has been closed: answers can no longer be changed")
    check_active(store, actor)
    if draft.survey.audience == "self":
        ensure(actor, "self-assess", site=draft.site)
    else:
        own = actor.kind == "panel" and draft.respondent == f"panel-{actor.invitation_id}"
        if not own:
            raise PermissionDenied("only the panel member with this code can change these answers")
    _require_open(store, draft.round)


# --------------------------------------------------------------------------- saving


def parse_answers(survey: Survey, raw: RawAnswers, scale) -> tuple[list[Answer], list[str]]:
    """Raw widget values → answers to store and item ids to clear; DataError lists bad ones."""
    answers, cleared, problems = [], [], []
    known = {item.id for item in survey.items}
    for item_id, pair in raw.items():
        if item_id not in known:
            problems.append(Problem(survey.title, f"{item_id!r} is not a question of this survey"))
            continue
        item = survey.item(item_id)
        value, text = pair if isinstance(pair, tuple | list) and len(pair) == 2 else (pair, 0)
        if not all(part is None or isinstance(part, str) for part in (value, text)):
            problems.append(
                Problem(survey.title, "expected an answer as (value, words) text", field=item.text)
            )
            continue
        if not (value or "").strip() and not (text or "").strip():
            cleared.append(item_id)
            continue
        try:
            answers.append(parse_answer(item, value, text, scale))
        except ValueError as exc:
            problems.append(Problem(survey.title, str(exc), field=item.text))
    if problems:
        raise DataError(problems)
    return answers, cleared


def save(store: Store, actor: Actor, draft: Draft, raw: RawAnswers) -> Draft:
    """Save some answers (a section) to the draft, refusing a stale version."""
    _check_can_write(store, actor, draft)
    if draft.submitted:
        raise ConflictError("this has already been submitted; nothing was changed")
    answers, cleared = parse_answers(
        draft.survey, raw, store.rounds.round_framework(draft.round).scale
    )
    merged = {**draft.answers, **{a.item_id: a for a in answers}}
    for item_id in cleared:
        merged.pop(item_id, None)
    # An answer whose question is now hidden (the earlier answer changed) is dropped, not kept.
    hidden = [item.id for item in hidden_but_answered(draft.survey, merged)]
    answers = [a for a in answers if a.item_id not in hidden]
    row = store.submissions.save_answers(
        draft.key, answers, [*cleared, *hidden], draft.version, actor.label
    )
    if actor.kind == "panel" and actor.invitation_id is not None and draft.submission_id is None:
        store.panels.link_invitation(actor.invitation_id, row.id)
    return _draft(store, draft.site, draft.round, draft.survey, draft.respondent)


def submit(store: Store, actor: Actor, draft: Draft) -> Draft:
    """Submit once: required questions checked, atomic, and a second submit changes nothing."""
    if draft.submitted:
        return draft
    _check_can_write(store, actor, draft)
    missing = missing_required(draft.survey, draft.answers)
    if missing:
        raise DataError(
            [
                Problem(draft.survey.title, "needs an answer before you can submit", field=i.text)
                for i in missing
            ]
        )
    if draft.submission_id is None:
        raise ConflictError("there is nothing to submit yet")
    store.submissions.mark_submitted(draft.submission_id, draft.version, actor.label)
    return _draft(store, draft.site, draft.round, draft.survey, draft.respondent)


def withdraw(store: Store, actor: Actor) -> None:
    """A panel member takes their answers back, sent or not, while their panel is open: the
    answers are deleted and the code stops working (docs/methods.md, Taking answers back)."""
    draft = open_panel_survey(store, actor)
    _check_can_write(store, actor, draft)  # own code, open round, open panel; sent or not
    assert actor.invitation_id is not None  # open_panel_survey has checked it
    store.submissions.withdraw_panel_answers(actor.invitation_id, draft.submission_id)


def reopen(store: Store, actor: Actor, submission_id: int, reason: str) -> None:
    """An admin reopens a submitted self-assessment, with a reason kept in the audit log."""
    check_active(store, actor)
    ensure(actor, "manage-submissions")
    if not reason.strip():
        raise ConflictError("reopening needs a reason; it is kept in the audit log")
    row = store.submissions.get_submission_by_id(submission_id)
    if row is None:
        raise ConflictError(f"no submission {submission_id}")
    _require_open(store, row.round)
    store.submissions.reopen_submission(submission_id, reason.strip(), actor.label)


# --------------------------------------------------------------------------- facilitation


def add_paper_response(
    store: Store,
    actor: Actor,
    site: str,
    round_id: str,
    raw: RawAnswers,
    survey_id: str | None = None,
) -> int:
    """Key in a paper form on a member's behalf (the site's facilitator only: whoever can read
    results never creates panel answers). It waits for a second person to confirm it against
    the paper (`settle_paper_response`) and counts only then. Returns the form's number."""
    check_active(store, actor)
    ensure(actor, "key-paper-forms", site=site)
    _require_open(store, round_id)
    if store.panels.panel_closed(site, round_id):
        raise PermissionDenied("the panel has been closed")
    survey = _survey_for(store, round_id, "panel", survey_id)
    answers, _ = parse_answers(survey, raw, store.rounds.round_framework(round_id).scale)
    by_item = {a.item_id: a for a in answers}
    # Questions are named by their printed numbers, as the facilitator reads them on paper.
    numbers = question_numbers(survey)
    problems = [
        Problem(survey.title, "needs an answer", field=f"Question {numbers[i.id]}: {i.text}")
        for i in missing_required(survey, by_item)
    ]
    problems += [
        Problem(
            survey.title,
            "is not asked given the answers above: choose No answer for it",
            field=f"Question {numbers[i.id]}: {i.text}",
        )
        for i in hidden_but_answered(survey, by_item)
    ]
    if problems:
        raise DataError(problems)
    existing = store.submissions.respondents(site, round_id, survey.id)
    number = 1 + max(
        (int(r[6:]) for r in existing if r[6:].isdigit() and r.startswith("paper-")), default=0
    )
    store.submissions.add_paper_entry(
        Response(site, round_id, survey.id, f"paper-{number}", tuple(answers), assisted=True),
        actor.label,
    )
    return number


@dataclass(frozen=True)
class PaperForm:
    """A keyed paper form waiting for a second person to check it against the paper."""

    id: int
    number: int
    keyed_by: str  # the facilitator's name
    keyed_at: str
    answers: pd.DataFrame  # Question, Answer: to compare with the paper form


def paper_waiting(store: Store, actor: Actor, site: str, round_id: str) -> list[PaperForm]:
    """The site's keyed paper forms not yet confirmed, with their answers, for the second
    person (a facilitator of the site) to check against the paper."""
    check_active(store, actor)
    ensure(actor, "key-paper-forms", site=site)
    store.rounds.require_round(round_id)
    forms = []
    surveys = store.rounds.round_surveys(round_id)
    for row in store.submissions.paper_entries(site, round_id).itertuples():
        survey = surveys[row.survey]
        given = store.submissions.submission_answers(int(row.id))
        shown = [
            (item.text, _shown_answer(item, given[item.id]))
            for item in survey.items
            if item.id in given
        ]
        forms.append(
            PaperForm(
                id=int(row.id),
                number=int(str(row.respondent).removeprefix("paper-")),
                keyed_by=str(row.entered_by).split(":", 2)[-1],
                keyed_at=str(row.created_at),
                answers=pd.DataFrame(shown, columns=["Question", "Answer"]),
            )
        )
    return forms


def _shown_answer(item, answer: Answer) -> str:
    labels = {o.value: o.label for o in item.options}
    if answer.value is not None and item.type == "multi":
        return ", ".join(labels.get(v, v) for v in answer.value.split("|"))
    value = labels.get(answer.value, answer.value) if answer.value is not None else ""
    return " ".join(part for part in (value, answer.text or "") if part)


def settle_paper_response(
    store: Store, actor: Actor, site: str, round_id: str, form_id: int, confirm: bool
) -> int:
    """Confirm a keyed paper form (it is then counted) or discard it, as a facilitator of the
    site other than the one who keyed it. Returns the form's number."""
    check_active(store, actor)
    ensure(actor, "key-paper-forms", site=site)
    respondent = store.submissions.settle_paper_entry(site, round_id, form_id, actor.label, confirm)
    return int(respondent.removeprefix("paper-"))


PANEL_STATUS_COLUMNS = [
    "site", "issued", "unused", "started", "submitted", "revoked", "paper", "closed", "closed_at",
    "paper_waiting", "responses",
]  # fmt: skip
# `responses`: every submitted panel response the scores count (online, paper or imported):
# the one count the facilitation page, `ocf panel status` and the results agree on.
_CODE_STATES = ("unused", "started", "submitted", "revoked")


def panel_status(store: Store, actor: Actor, round_id: str) -> pd.DataFrame:
    """Each site's panel progress in a round (PANEL_STATUS_COLUMNS): counts only, never answers.

    Codes by state, paper responses, and whether the panel is closed (frozen). A facilitator
    sees their own site; an admin every site with codes, responses or a closure.
    """
    check_active(store, actor)
    ensure(actor, "see-panel-status")
    store.rounds.require_round(round_id)
    codes = store.panels.invitation_statuses(None, round_id)
    submissions = store.submissions.list_submissions(round_id)
    panel_surveys = {
        s.id for s in store.rounds.round_surveys(round_id).values() if s.audience == "panel"
    }
    counted = submissions[
        submissions["survey"].isin(panel_surveys) & (submissions["status"] == "submitted")
    ]["site"].value_counts()
    keyed = submissions[submissions["respondent"].str.startswith("paper-")]
    paper = keyed[keyed["status"] == "submitted"]["site"].value_counts()  # confirmed
    waiting = keyed[keyed["status"] != "submitted"]["site"].value_counts()
    closures = store.panels.panel_closures(round_id)
    sites = sorted({*codes["site"], *paper.index, *waiting.index, *counted.index, *closures})
    if held := held_to_site(actor, "see-panel-status"):
        sites = [held]
    counts = codes.groupby(["site", "status"]).size()
    rows = []
    for site in sites:
        states = {state: int(counts.get((site, state), 0)) for state in _CODE_STATES}
        rows.append({
            "site": site, "issued": sum(states.values()), **states,
            "paper": int(paper.get(site, 0)), "closed": "yes" if site in closures else "no",
            "closed_at": closures.get(site, ""), "paper_waiting": int(waiting.get(site, 0)),
            "responses": int(counted.get(site, 0)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=PANEL_STATUS_COLUMNS)


def completion(store: Store, actor: Actor, site: str, round_id: str) -> dict[str, int]:
    """How many panel codes are unused, started, submitted or revoked, and paper responses.

    Counts only: nobody sees who answered what.
    """
    check_active(store, actor)
    ensure(actor, "see-panel-status", site=site)
    table = panel_status(store, actor, round_id).set_index("site")
    keys = (*_CODE_STATES, "issued", "paper", "paper_waiting", "responses")
    if site not in table.index:
        return dict.fromkeys(keys, 0)
    row = table.loc[site]
    return {key: int(row[key]) for key in keys}


def invitations(store: Store, actor: Actor, site: str, round_id: str) -> pd.DataFrame:
    check_active(store, actor)
    ensure(actor, "run-panel", site=site)
    return store.panels.invitation_statuses(site, round_id)


def revoke_invitation(store: Store, actor: Actor, invitation_id: int) -> None:
    invitation = store.panels.get_invitation(invitation_id)
    if invitation is None:
        raise ConflictError(f"no invitation {invitation_id}")
    check_active(store, actor)
    ensure(actor, "run-panel", site=invitation.site)
    store.panels.revoke_invitation(invitation_id, actor.label)


def close_panel(store: Store, actor: Actor, site: str, round_id: str) -> int:
    """Close (freeze) a site's panel: no answer can be added after; unsubmitted codes are
    revoked (how many is returned). Staff see the panel's figures from then on."""
    check_active(store, actor)
    ensure(actor, "run-panel", site=site)
    store.sites.require_site(site)
    store.rounds.require_round(round_id)
    if store.panels.panel_closed(site, round_id):
        raise ConflictError(f"the panel for {site} in round {round_id} is already closed")
    return store.panels.close_panel(site, round_id, actor.label)
