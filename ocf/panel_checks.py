"""Checks on how a panel's responses came in, against padding (docs/security.md, Separation of
duties for panels).

A panel's median can be moved by adding responses: four made-up extreme answers beside one
real member make every median that member's answer. Online answers need a code each; paper
forms are keyed by a facilitator and confirmed by a second person (ocf.submissions); imports
are the database operator's. What remains is shown: how many responses came online and how
many on paper, and, to the regulator and administrators, a flag where one person entered
several responses that sit at the scale's extremes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ocf.access import Actor, check_active, require_results
from ocf.cache import cached
from ocf.permissions import allowed, ensure
from ocf.scoring import item_scores
from ocf.store import Store

__all__ = [
    "EXTREME_FLAG",
    "LEAST_SCORED",
    "Sources",
    "entry_flags",
    "extreme_entries",
    "sources",
]


EXTREME_FLAG = 2  # responses entered by one person, every scored answer at one end
LEAST_SCORED = 3  # a response with fewer scored answers is never called extreme


@dataclass(frozen=True)
class Sources:
    """A site's submitted panel responses by how they came in (counts only)."""

    online: int
    on_paper: int  # keyed from paper and confirmed, or imported


def _still_collecting(store: Store, site: str, round_id: str) -> bool:
    """The site's panel may still take answers: nothing of how it came in is shown yet, or
    watching the counts (and the flags) change would time and describe each new response."""
    round_ = store.rounds.require_round(round_id)
    return round_.status == "open" and not store.panels.panel_closed(site, round_id)


def sources(store: Store, actor: Actor, site: str, round_id: str) -> Sources | None:
    """How the site's counted panel responses came in, for those who may see its results;
    None while its panel is still collecting."""
    require_results(store, actor, site, round_id)
    if _still_collecting(store, site, round_id):
        return None
    entries = store.submissions.panel_entries(round_id)
    mine = entries[entries["site"] == site]
    paper = int(mine["entered_by"].notna().sum())
    return Sources(online=len(mine) - paper, on_paper=paper)


def extreme_entries(store: Store, actor: Actor, round_id: str) -> pd.DataFrame:
    """Per site and person who entered panel responses (keyed or imported): how many, and how
    many answer every scored question at one end of the scale; `flagged` where that is
    EXTREME_FLAG or more. For the regulator and administrators only: columns site, entered_by
    (the person's name), responses, extreme, flagged."""
    check_active(store, actor)
    ensure(actor, "review-panel-entries")
    # Read from every answer of the round: worked out once until the data change, not on
    # every rerun of the results page (a national round: 0.3 s a rerun).
    return cached(store, "extreme-entries", round_id, lambda: _extreme_entries(store, round_id))


def _extreme_entries(store: Store, round_id: str) -> pd.DataFrame:
    columns = ["site", "entered_by", "responses", "extreme", "flagged"]
    entries = store.submissions.panel_entries(round_id)
    entered = entries[entries["entered_by"].notna()]
    # Only panels that have closed: an admin watching a count of extreme forms move as each is
    # confirmed would learn that form's answers.
    collecting = {s for s in set(entered["site"]) if _still_collecting(store, s, round_id)}
    entered = entered[~entered["site"].isin(collecting)]
    if entered.empty:
        return pd.DataFrame(columns=columns)
    framework = store.rounds.round_framework(round_id)
    surveys = store.rounds.round_surveys(round_id)
    answers = store.submissions.answers_frame(round_id)
    answers = answers[answers["submission_id"].isin(entered["submission_id"])]
    scores = item_scores(answers, framework, surveys)
    low, high = min(framework.scale.values), max(framework.scale.values)
    per = scores.groupby("submission_id")["score"].agg(["min", "max", "size"])
    extreme = per[
        (per["size"] >= LEAST_SCORED)
        & (
            ((per["min"] == low) & (per["max"] == low))
            | ((per["min"] == high) & (per["max"] == high))
        )
    ].index
    entered = entered.assign(
        extreme=entered["submission_id"].isin(extreme),
        entered_by=entered["entered_by"].map(lambda label: str(label).split(":", 2)[-1]),
    )
    table = (
        entered.groupby(["site", "entered_by"])
        .agg(responses=("submission_id", "size"), extreme=("extreme", "sum"))
        .reset_index()
    )
    table["flagged"] = table["extreme"] >= EXTREME_FLAG
    return table[columns]


def entry_flags(store: Store, actor: Actor, site: str, round_id: str) -> list[str]:
    """Plain sentences for the regulator (and administrators) about a site's padded-looking
    entries; empty for anyone else or when nothing is flagged."""
    if not allowed(actor, "review-panel-entries"):
        return []
    require_results(store, actor, site, round_id)
    table = extreme_entries(store, actor, round_id)
    flagged = table[(table["site"] == site) & table["flagged"]]
    return [
        f"{int(row.extreme)} of {int(row.responses)} panel responses entered by {row.entered_by} "
        "(keyed from paper or imported) answer every scored question at one end of the scale. "
        "Ask the trust how these forms were collected before relying on the panel's view."
        for row in flagged.itertuples()
    ]
