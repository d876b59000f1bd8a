"""The accountability loop: the trust answers its panel, acts, and shows its progress.

- A **response** ("you said, we did") answers the panel on one competency: what the panel
  said, what the trust accepts, what it will do. Every competency flagged
  `accountability_gap` needs one before its round is published (an admin may publish without,
  giving a reason that the audit log keeps).
- An **action** belongs to a site and a round: what, owner, due date, status
  (`not started | on track | at risk | done | dropped`) and dated progress notes. When a round
  opens, every unfinished action of each site's latest earlier round moves into it, linked to
  the one it continues, so its history stays whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from rapidfuzz.distance import Indel
from rapidfuzz.process import cdist
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ocf.access import Actor, check_active, require_results
from ocf.errors import ConflictError, DataError, PermissionDenied, Problem
from ocf.importers import Table, read_table
from ocf.models import Survey
from ocf.permissions import allowed, allowed_rounds, ensure, held_to_site
from ocf.results import round_scores, self_answers
from ocf.store import Store
from ocf.submissions import Draft, submit
from ocf.tables import when_day

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_REQUIRED",
    "FINISHED",
    "LIST_COLUMNS",
    "LONGEST_TEXT",
    "NO_RESPONSE",
    "RESPONSE_FIELDS",
    "SAME_RESPONSE",
    "STATES",
    "STATUSES",
    "ActionRow",
    "action_state",
    "actions",
    "carry_over",
    "check_publishable",
    "for_the_panel",
    "gaps_without_action",
    "gaps_without_response",
    "history",
    "import_actions",
    "plan_table",
    "progress",
    "repeated_responses",
    "repeated_sentence",
    "responses",
    "responses_table",
    "save_action",
    "save_response",
    "states",
    "submit_self_assessment",
    "track_plan",
    "validate_actions",
]


STATUSES = ("not started", "on track", "at risk", "done", "dropped")
FINISHED = ("done", "dropped")
ACTION_COLUMNS = ["site", "round", "competency", "action", "owner", "due", "status", "progress"]
ACTION_REQUIRED = ["site", "round", "competency", "action", "owner", "due", "status"]
LIST_COLUMNS = ["site", "round", "competency", "action", "owner", "due", "status", "carried_from"]
RESPONSE_FIELDS = {
    "panel_said": "What the panel said",
    "accepted": "What the trust accepts",
    "will_do": "What the trust will do",
}
LONGEST_TEXT = 4000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --------------------------------------------------------------------------- responses


NO_RESPONSE = "no response yet"  # a gap the trust has not answered


def save_response(
    store: Store,
    actor: Actor,
    site: str,
    round_id: str,
    competency: str,
    panel_said: str,
    accepted: str,
    will_do: str,
) -> None:
    """The site's lead (or an admin) answers the panel on one competency; every part needed."""
    check_active(store, actor)
    ensure(actor, "respond-to-panel", site=site)
    store.sites.require_site(site)
    store.rounds.require_round(round_id)
    framework = store.rounds.round_framework(round_id)
    if competency not in {c.id for c in framework.competencies}:
        raise DataError(
            [
                Problem(
                    "response",
                    f"no competency {competency!r} in round {round_id}",
                    field="competency",
                )
            ]
        )
    texts = {
        "panel_said": panel_said.strip(),
        "accepted": accepted.strip(),
        "will_do": will_do.strip(),
    }
    problems = [
        Problem("response", "please write this part", field=RESPONSE_FIELDS[key])
        for key, text in texts.items()
        if not text
    ] + [
        Problem("response", f"at most {LONGEST_TEXT} characters", field=RESPONSE_FIELDS[key])
        for key, text in texts.items()
        if len(text) > LONGEST_TEXT
    ]
    if problems:
        raise DataError(problems)
    store.accountability.save_response(site, round_id, competency, texts, actor.label)


def responses(store: Store, actor: Actor, site: str, round_id: str) -> pd.DataFrame:
    """The site's responses in a round, for whoever may see its results."""
    require_results(store, actor, site, round_id)
    return store.accountability.responses_frame(round_id, site)


SAME_RESPONSE = 0.9  # similarity (2 × LCS / total length) at which two responses count as one


def _plain(text: object) -> str:
    """A response reduced to its words: lower case, no punctuation, single spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", str(text or "")).lower().split())


def repeated_responses(frame: pd.DataFrame) -> dict[str, list[list[str]]]:
    """Per site, groups of competencies whose responses say (nearly) the same thing: what the
    trust accepts and will do, compared after `_plain`, at SAME_RESPONSE or more. One text
    pasted into every gap answers none of them (docs/methods.md, Accountability)."""
    found: dict[str, list[list[str]]] = {}
    for site, rows in frame.groupby("site", sort=True):
        ids = list(rows["competency"])
        texts = [
            f"{_plain(a)} | {_plain(w)}"
            for a, w in zip(rows["accepted"], rows["will_do"], strict=True)
        ]
        repeats = [[ids[i] for i in g] for g in _alike(texts) if len(g) > 1]
        if repeats:
            found[str(site)] = repeats
    return found


def _alike(texts: list[str]) -> list[list[int]]:
    """The texts in groups, each joined to any other at SAME_RESPONSE similarity or more: the
    share of their letters in a longest common subsequence, 2 × LCS / (|a| + |b|) (RapidFuzz's
    normalised Indel similarity, in C++: difflib took a minute over a national round, because
    English texts share their letters and its cheap bounds pruned no pair)."""
    similar = cdist(
        texts, texts, scorer=Indel.normalized_similarity, score_cutoff=SAME_RESPONSE,
        dtype=np.float64,
    ) >= SAME_RESPONSE  # fmt: skip
    _, labels = connected_components(csr_matrix(similar), directed=False)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    return list(members.values())


def repeated_sentence(groups: list[list[str]], titles: dict[str, str]) -> str:
    """The flag in words, for the admin before publishing and for the regulator."""
    parts = [
        f"{len(g)} gaps ({', '.join(titles.get(c, c) for c in g[:3])}{', …' if len(g) > 3 else ''})"
        for g in groups
    ]
    return (
        "The same response was given to "
        + "; and to ".join(parts)
        + ". One text for several gaps may not answer what the panel said about each."
    )


def gaps_without_response(store: Store, round_id: str) -> dict[str, list[str]]:
    """Per site, the competencies flagged `accountability_gap` that have no response yet."""
    scores = round_scores(store, round_id).competencies
    gaps = scores[scores["flag"] == "accountability_gap"]
    answered = store.accountability.responses_frame(round_id)
    done = set(zip(answered["site"], answered["competency"], strict=True))
    missing: dict[str, list[str]] = {}
    for site, competency in zip(gaps["site"], gaps["competency"], strict=True):
        if (site, competency) not in done:
            missing.setdefault(site, []).append(competency)
    return missing


def gaps_without_action(store: Store, round_id: str) -> dict[str, list[str]]:
    """Per site, the gaps the trust has answered but has no action for: a response that says
    what the trust will do, with nothing tracked to do it."""
    scores = round_scores(store, round_id).competencies
    gaps = scores[scores["flag"] == "accountability_gap"]
    answered = store.accountability.responses_frame(round_id)
    said = set(zip(answered["site"], answered["competency"], strict=True))
    tracked = store.accountability.actions_frame(None, round_id)
    doing = set(zip(tracked["site"], tracked["competency"], strict=True))
    missing: dict[str, list[str]] = {}
    for site, competency in zip(gaps["site"], gaps["competency"], strict=True):
        if (site, competency) in said and (site, competency) not in doing:
            missing.setdefault(site, []).append(competency)
    return missing


def check_publishable(store: Store, round_id: str, reason: str = "") -> None:
    """Refuse to publish while a gap has no response, unless a reason is given (audited)."""
    missing = gaps_without_response(store, round_id)
    if missing and not reason.strip():
        gaps = sum(len(ids) for ids in missing.values())
        raise ConflictError(
            f"Round {round_id} has {gaps} accountability gap(s) at {len(missing)} site(s) "
            "without the trust's response. The lead answers them on the Results page, or give a "
            "reason to publish now."
        )


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ActionRow:
    site: str
    round: str
    competency: str
    action: str
    owner: str
    due: str | None
    status: str
    progress: str = ""

    def as_record(self) -> dict:
        return self.__dict__.copy()


def validate_actions(table: Table, store: Store) -> list[ActionRow]:
    """Rows of site,round,competency,action,owner,due,status[,progress]; every problem at once,
    `FILE:ROW N: field: message`."""
    problems: list[Problem] = []
    sites = {s.code for s in store.sites.list_sites(include_retired=True)}
    rounds = {r.id: r for r in store.rounds.list_rounds()}
    competencies: dict[str, set[str]] = {}
    seen: dict[tuple, int | None] = {}
    rows: list[ActionRow] = []

    def problem(row: int | None, field: str, message: str) -> None:
        problems.append(Problem(table.source, message, row=row, field=field))

    for number, cells in table.rows:
        site, round_id = cells["site"].upper(), cells["round"]
        competency, action = cells["competency"], cells["action"]
        status, due = cells["status"].lower(), cells["due"]
        ok = True
        if site not in sites:
            problem(number, "site", f"no site {cells['site']!r}; add it first (ocf site add)")
            ok = False
        if round_id not in rounds:
            problem(number, "round", f"no round {round_id!r}")
            ok = False
        elif round_id not in competencies:
            framework = store.rounds.round_framework(round_id)
            competencies[round_id] = {c.id for c in framework.competencies}
        if round_id in competencies and competency not in competencies[round_id]:
            problem(
                number,
                "competency",
                f"no competency {competency!r} in round {round_id}'s framework",
            )
            ok = False
        if not action:
            problem(number, "action", "empty; say what will be done")
            ok = False
        elif len(action) > LONGEST_TEXT:
            problem(number, "action", f"longer than {LONGEST_TEXT} characters")
            ok = False
        if status not in STATUSES:
            problem(number, "status", f"{cells['status']!r}; expected one of {', '.join(STATUSES)}")
            ok = False
        if due and not _is_date(due):
            problem(number, "due", f"{due!r} is not a date; expected YYYY-MM-DD, e.g. 2026-03-31")
            ok = False
        key = (site, round_id, competency, action)
        if ok and key in seen:
            problem(number, "action", f"the same action appears twice (first at row {seen[key]})")
            ok = False
        if ok:
            seen[key] = number
            rows.append(
                ActionRow(
                    site,
                    round_id,
                    competency,
                    action,
                    cells["owner"],
                    due or None,
                    status,
                    cells.get("progress", "") or "",
                )
            )
    if problems:
        raise DataError(problems)
    return rows


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def import_actions(store: Store, actor: Actor, text: str, source: str) -> tuple[int, int]:
    """Add or update a site's actions from a spreadsheet; all-or-nothing. (added, updated)."""
    check_active(store, actor)
    ensure(actor, "edit-actions")
    rows = validate_actions(read_table(source, ACTION_COLUMNS, ACTION_REQUIRED, text=text), store)
    others = sorted({r.site for r in rows if not allowed(actor, "edit-actions", site=r.site)})
    if others:
        raise PermissionDenied(
            f"a {actor.role} imports only their own site's actions, not {', '.join(others)}"
        )
    return store.accountability.put_actions([r.as_record() for r in rows], actor.label, source)


def save_action(store: Store, actor: Actor, row: ActionRow) -> None:
    """One action added or updated from a page (the same checks as an import)."""
    check_active(store, actor)
    ensure(actor, "edit-actions", site=row.site)
    table = Table(
        "action",
        [(None, {k: ("" if v is None else str(v)) for k, v in row.as_record().items()})],
    )
    checked = validate_actions(table, store)
    store.accountability.put_actions([r.as_record() for r in checked], actor.label, "")


def actions(
    store: Store, actor: Actor, site: str | None = None, round_id: str | None = None
) -> pd.DataFrame:
    """Actions the actor may see: a lead their own site's; a regulator those of published
    rounds; an admin all. Columns: LIST_COLUMNS plus id, previous_id and done_at."""
    check_active(store, actor)
    ensure(actor, "view-actions")
    if site and not allowed(actor, "view-actions", site=site):
        raise PermissionDenied(f"you cannot see the actions of {site}")
    site = site or held_to_site(actor, "view-actions")
    if site:
        store.sites.require_site(site)
    if round_id:
        store.rounds.require_round(round_id)
    frame = store.accountability.actions_frame(site, round_id)
    seen = {r.id for r in allowed_rounds(actor, "view-actions", store.rounds.list_rounds())}
    return frame[frame["round"].isin(seen)].reset_index(drop=True)


def track_plan(store: Store, site: str, round_id: str, actor: str) -> int:
    """The submitted self-assessment's planned actions (`<competency>-action`, `-action-owner`,
    `-action-due`) added to the site's tracked actions, "not started", so the plan typed in
    the self-assessment is the one the trust reports progress on and carries into the next
    round. An action already tracked (same competency and words) is left as it is. Returns how
    many were added."""
    framework = store.rounds.round_framework(round_id)
    answers = self_answers(store, site, round_id, submitted_only=True)
    tracked = store.accountability.actions_frame(site, round_id)
    known = set(zip(tracked["competency"], tracked["action"], strict=True))

    def said(competency: str, part: str) -> str:
        answer = answers.get(Survey.plan_item_id(competency, part))
        return ((answer.text or answer.value or "") if answer else "").strip()

    rows = []
    for competency in framework.competencies:
        action = said(competency.id, "action")
        if not action or (competency.id, action) in known:
            continue
        rows.append(
            {
                "site": site, "round": round_id, "competency": competency.id, "action": action,
                "owner": said(competency.id, "action-owner"),
                "due": said(competency.id, "action-due") or None, "status": "not started",
            }
        )  # fmt: skip
    if rows:
        store.accountability.put_actions(rows, actor, "self-assessment")
    return len(rows)


def submit_self_assessment(store: Store, actor: Actor, draft: Draft) -> Draft:
    """Submit a self-assessment (`ocf.submissions.submit`) and track its planned actions, in
    one write: if the plan cannot be tracked, nothing is submitted and the draft stays whole."""
    with store.write():
        done = submit(store, actor, draft)
        if done.survey.audience == "self":
            track_plan(store, done.site, done.round, actor.label)
    return done


def carry_over(store: Store, new_round: str, actor: str) -> int:
    """Move each site's unfinished actions into a round that has just opened."""
    return store.accountability.carry_actions(new_round, actor)


def history(store: Store, frame: pd.DataFrame) -> pd.DataFrame:
    """Every dated note of the actions in `frame` and of the ones they continue, by action id
    in `frame` (action_id, at, status, note)."""
    return store.accountability.chain_notes_frame(frame["id"])


STATES = ("done on time", "done late", "overdue", "on track", "at risk", "not started", "dropped")


def action_state(status: str, due: object, done_at: object, today: date | None = None) -> str:
    """An action as it stands, one rule for every page and report (the lead read "Overdue"
    where the public summary read "At risk"): done on time or late, dropped, overdue when
    unfinished past its due date, else its status."""
    today = today or date.today()
    due_date = date.fromisoformat(due) if isinstance(due, str) and due else None
    if status == "done":
        finished = date.fromisoformat(done_at[:10]) if isinstance(done_at, str) else None
        late = due_date is not None and finished is not None and finished > due_date
        return "done late" if late else "done on time"
    if status != "dropped" and due_date is not None and due_date < today:
        return "overdue"
    return status


def states(frame: pd.DataFrame, today: date | None = None) -> pd.Series:
    """Each action's `action_state`, capitalised for tables."""
    return pd.Series(
        [
            action_state(status, due, done_at, today).capitalize()
            for status, due, done_at in zip(
                frame["status"], frame["due"], frame["done_at"], strict=True
            )
        ],
        index=frame.index,
        dtype=object,
    )


def progress(frame: pd.DataFrame, today: date | None = None) -> dict[str, int]:
    """Counts for a plan by `action_state`: done on time, done late, overdue, on track, at
    risk, not started, dropped."""
    counts = dict.fromkeys(STATES, 0)
    for status, due, done_at in zip(frame["status"], frame["due"], frame["done_at"], strict=True):
        counts[action_state(status, due, done_at, today)] += 1
    return counts


# --------------------------------------------------------------------------- as read


def responses_table(
    competencies: pd.DataFrame, answered: pd.DataFrame, titles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A row per competency with a gap or a response (`competencies`: a site's scores with
    title and flag): Competency, Gap, and the three parts ('no response yet' where missing).
    `titles` names competencies without scores, such as obligations."""
    titles = {
        **(titles or {}),
        **dict(zip(competencies["competency"], competencies["title"], strict=True)),
    }
    gaps = competencies.loc[competencies["flag"] == "accountability_gap", "competency"].tolist()
    by_id = answered.set_index("competency")
    rows = [
        {
            "Competency": titles.get(c, c),
            "Gap": "yes" if c in gaps else "no",
            **{
                label: by_id.at[c, key] if c in by_id.index else NO_RESPONSE
                for key, label in RESPONSE_FIELDS.items()
            },
        }
        for c in dict.fromkeys([*gaps, *by_id.index])
    ]
    return pd.DataFrame(rows, columns=["Competency", "Gap", *RESPONSE_FIELDS.values()])


def plan_table(plan: pd.DataFrame, notes: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """A site's actions as read: Competency, Action, Owner, Due, Status, Latest note, Carried
    from (`notes`: `history` of the same actions)."""
    latest = notes.groupby("action_id")["note"].last() if len(notes) else pd.Series(dtype=str)
    return pd.DataFrame(
        {
            "Competency": plan["competency"].map(lambda c: titles.get(c, c)),
            "Action": plan["action"],
            "Owner": plan["owner"],
            "Due": plan["due"].map(when_day),
            "Status": states(plan),
            "Latest note": plan["id"].map(lambda i: latest.get(i, "")),
            "Carried from": plan["carried_from"].fillna(""),
        }
    ).reset_index(drop=True)


def for_the_panel(store: Store, actor: Actor) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the trust said to its panel and what it is doing, for a member who answered, once
    the round is published: (responses, actions) in plain columns. Nothing about any member."""
    if actor.kind != "panel":
        raise PermissionDenied("this page is for panel members, with their invitation code")
    check_active(store, actor)
    assert actor.round is not None and actor.site is not None  # an invitation's, always
    round_ = store.rounds.require_round(actor.round)
    if round_.status != "published":
        raise PermissionDenied("the trust's response appears here once the round is published")
    titles = {c.id: c.title for c in store.rounds.round_framework(actor.round).competencies}
    said = store.accountability.responses_frame(actor.round, actor.site)
    answers = pd.DataFrame(
        {
            "About": said["competency"].map(lambda c: titles.get(c, c)),
            "You said": said["panel_said"],
            "The trust accepts": said["accepted"],
            "The trust will": said["will_do"],
        }
    )
    plan = store.accountability.actions_frame(actor.site, actor.round)
    doing = pd.DataFrame(
        {
            "About": plan["competency"].map(lambda c: titles.get(c, c)),
            "What": plan["action"],
            "Due": plan["due"].map(when_day),
            "Progress": states(plan),
        }
    )
    return answers, doing
