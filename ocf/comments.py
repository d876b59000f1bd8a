"""The panel's own words, safely: the facilitator reviews each free-text answer before staff
read it (docs/methods.md, Panel comments).

A facilitator (of the site) or an admin sees each free-text answer on its own, never who wrote
it or their other answers, in an order that says nothing about when it was given. They redact
identifying details, mark a safeguarding concern (the trust's procedure is shown; nothing is
sent anywhere), give it a theme, and approve it or withhold it. Staff then read only approved,
redacted text, grouped by theme, and only when the panel is closed and has at least the
framework's `min_panel` members: the same rule as every panel figure. Neither the words nor the
redactions go into exports or the audit log, which records only the decision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from ocf.access import Actor, check_active, require_results
from ocf.disclosure import effective_min_panel
from ocf.errors import ConflictError, DataError, NotFound, Problem
from ocf.permissions import ensure
from ocf.store import Store

__all__ = [
    "DECISIONS",
    "LONGEST_TEXT",
    "LONGEST_THEME",
    "NO_PROCEDURE",
    "SAFEGUARDING_KEY",
    "WAIT_FOR_CLOSE",
    "ForStaff",
    "Review",
    "for_review",
    "for_staff",
    "review",
    "safeguarding_procedure",
    "set_safeguarding_procedure",
    "themes",
]


DECISIONS = {"approved": "Approve for staff to read", "withheld": "Withhold from staff"}
LONGEST_TEXT = 4000
LONGEST_THEME = 80
SAFEGUARDING_KEY = "safeguarding:{site}"  # a meta key per site
NO_PROCEDURE = (
    "This trust has not recorded its safeguarding procedure here (an administrator adds it on "
    "the Panel comments page). Follow your organisation's safeguarding policy. If someone may be "
    "in immediate danger, call 999."
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


WAIT_FOR_CLOSE = (
    "The panel's comments can be reviewed once the panel has closed: while members are still "
    "answering, a comment appearing (or vanishing) would tie its words to the moment its "
    "writer sent (or took back) their answers."
)


def _require_reviewer(store: Store, actor: Actor, site: str, round_id: str) -> None:
    """A facilitator of the site or an admin, once the panel is closed (frozen)."""
    check_active(store, actor)
    ensure(actor, "review-comments", site=site)
    store.sites.require_site(site)
    store.rounds.require_round(round_id)
    if not store.panels.panel_closed(site, round_id):
        raise ConflictError(WAIT_FOR_CLOSE)


def _text_items(store: Store, round_id: str) -> dict[str, str]:
    """The panel surveys' free-text items: id → question."""
    return {
        item.id: item.text
        for survey in store.rounds.round_surveys(round_id).values()
        if survey.audience == "panel"
        for item in survey.items
        if item.type == "text"
    }


def _joined(store: Store, site: str, round_id: str) -> pd.DataFrame:
    """Every free-text answer with its review (if the review is of the text as it now reads),
    in an order set by a hash of the words: stable, and unrelated to who answered or when."""
    questions = _text_items(store, round_id)
    texts = store.comments.panel_texts(site, round_id, list(questions))
    reviews = store.comments.comment_reviews(site, round_id)
    joined = texts.merge(reviews, on=["submission_id", "item_id"], how="left")
    joined["question"] = joined["item_id"].map(questions)
    joined["digest"] = joined["text"].map(_digest)
    current = joined["original_sha256"] == joined["digest"]
    joined.loc[~current, ["redacted", "theme", "decision"]] = None
    joined["safeguarding"] = joined["safeguarding"].where(current, 0).fillna(0).astype(bool)
    joined["order"] = [
        _digest(f"{item}\n{text}")
        for item, text in zip(joined["item_id"], joined["text"], strict=True)
    ]
    joined = joined.sort_values("order", kind="stable").reset_index(drop=True)
    joined["number"] = range(1, len(joined) + 1)
    return joined


@dataclass(frozen=True)
class Review:
    """One comment as the reviewer sees it; `key` is only for saving its review."""

    number: int
    key: tuple[int, str]
    question: str
    text: str
    redacted: str
    theme: str
    safeguarding: bool
    decision: str  # approved | withheld | '' (waiting for review)


def for_review(store: Store, actor: Actor, site: str, round_id: str) -> list[Review]:
    """Every free-text answer of the site's panel, with its review so far."""
    _require_reviewer(store, actor, site, round_id)
    joined = _joined(store, site, round_id)
    return [
        Review(
            number=int(row.number),
            key=(int(row.submission_id), str(row.item_id)),
            question=str(row.question),
            text=str(row.text),
            redacted=str(row.redacted) if isinstance(row.redacted, str) else str(row.text),
            theme=str(row.theme) if isinstance(row.theme, str) else "",
            safeguarding=bool(row.safeguarding),
            decision=str(row.decision) if isinstance(row.decision, str) else "",
        )
        for row in joined.itertuples()
    ]


def themes(reviews: list[Review]) -> list[str]:
    """The themes given so far, for the reviewer to choose from."""
    return sorted({r.theme for r in reviews if r.theme})


def review(
    store: Store,
    actor: Actor,
    site: str,
    round_id: str,
    key: tuple[int, str],
    redacted: str,
    theme: str,
    safeguarding: bool,
    decision: str,
) -> None:
    """Keep the reviewer's decision on one comment. Approving needs the redacted words and a
    theme; the audit log records the decision, the theme and the mark, never the words."""
    _require_reviewer(store, actor, site, round_id)
    joined = _joined(store, site, round_id)
    match = joined[(joined["submission_id"] == key[0]) & (joined["item_id"] == key[1])]
    if match.empty:
        raise NotFound(f"no panel comment to review with that key in {site}, round {round_id}")
    redacted, theme = redacted.strip(), " ".join(theme.split())
    problems = []
    if decision not in DECISIONS:
        problems.append(
            Problem("review", f"{decision!r}: expected {' or '.join(DECISIONS)}", field="decision")
        )
    if decision == "approved" and not redacted:
        problems.append(Problem("review", "approved words cannot be empty", field="redacted"))
    if decision == "approved" and not theme:
        problems.append(Problem("review", "give the comment a theme", field="theme"))
    if len(redacted) > LONGEST_TEXT:
        problems.append(Problem("review", f"at most {LONGEST_TEXT} characters", field="redacted"))
    if len(theme) > LONGEST_THEME:
        problems.append(Problem("review", f"at most {LONGEST_THEME} characters", field="theme"))
    if problems:
        raise DataError(problems)
    row = match.iloc[0]
    store.comments.save_comment_review(
        {
            "submission_id": key[0],
            "item_id": key[1],
            "original_sha256": row["digest"],
            "redacted": redacted,
            "theme": theme,
            "safeguarding": int(safeguarding),
            "decision": decision,
        },
        actor.label,
        {"decision": decision, "theme": theme, "safeguarding": bool(safeguarding)},
        f"{site}/{round_id}",
    )


@dataclass(frozen=True)
class ForStaff:
    """Approved, redacted comments by theme, or why none are shown."""

    comments: pd.DataFrame  # Theme, Question, In their words
    withheld_because: str = ""
    waiting: int = 0  # comments not yet reviewed (a count only)


def for_staff(store: Store, actor: Actor, site: str, round_id: str) -> ForStaff:
    """What staff who may see the site's results read of its panel's words."""
    require_results(store, actor, site, round_id)
    empty = pd.DataFrame(columns=["Theme", "Question", "In their words"])
    framework = store.rounds.round_framework(round_id)
    round_ = store.rounds.require_round(round_id)
    if round_.status == "open" and not store.panels.panel_closed(site, round_id):
        return ForStaff(empty, "The panel's words are shown once the panel closes.")
    counts = store.submissions.submission_counts(round_id)
    panel = {s.id for s in store.rounds.round_surveys(round_id).values() if s.audience == "panel"}
    members = int(
        counts.loc[
            (counts["site"] == site)
            & counts["survey"].isin(panel)
            & (counts["status"] == "submitted"),
            "n",
        ].sum()
    )
    least = effective_min_panel(framework.min_panel)
    if members < least:
        return ForStaff(
            empty,
            f"The panel has fewer than {least} members, so none of its words are shown: with "
            "so few, a comment could be traced to the person who wrote it.",
        )
    joined = _joined(store, site, round_id)
    approved = joined[joined["decision"] == "approved"]
    waiting = int(joined["decision"].isna().sum())
    comments = pd.DataFrame(
        {
            "Theme": approved["theme"],
            "Question": approved["question"],
            "In their words": approved["redacted"],
        }
    ).sort_values(["Theme", "Question", "In their words"], kind="stable")
    return ForStaff(comments.reset_index(drop=True), "", waiting)


def safeguarding_procedure(store: Store, site: str) -> str:
    return store.get_meta(SAFEGUARDING_KEY.format(site=site)) or NO_PROCEDURE


def set_safeguarding_procedure(store: Store, actor: Actor, site: str, text: str) -> None:
    """An admin records what the trust's facilitators do about a safeguarding concern."""
    check_active(store, actor)
    ensure(actor, "set-safeguarding-procedure", site=site)
    store.sites.require_site(site)
    text = text.strip()
    if not text or len(text) > LONGEST_TEXT:
        raise DataError(
            [Problem("procedure", f"write the procedure (at most {LONGEST_TEXT} characters)")]
        )
    store.comments.set_safeguarding_procedure(
        SAFEGUARDING_KEY.format(site=site), text, actor.label, site
    )
