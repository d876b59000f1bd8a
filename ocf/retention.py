"""Keeping panel answers only as long as the trust's records policy says (docs/security.md,
*Retention*; docs/information-governance.md).

Once a round has been published for longer than the policy's period, its panel answers and the
reviews of its comments can be deleted. Scores are computed from answers, never stored, so the
figures the round disclosed are kept first, exactly as computed under the disclosure rule
(Parquet, one part per table); every page, report and export of the round then reads them.
The deletion is audited as a count; self-assessments, evidence and the audit log stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel import UnknownLocaleError
from babel.units import format_unit

from ocf.access import Actor, check_active
from ocf.errors import DataError, Problem
from ocf.kept_figures import as_parquet, kept_scores
from ocf.permissions import ensure
from ocf.results import round_scores
from ocf.store import Store

__all__ = [
    "Due",
    "apply",
    "due",
    "kept_scores",
    "parse_period",
    "period_words",
    "policy",
    "set_policy",
]

POLICY_KEY = "retention_period"  # a meta key: the records policy's period, such as "3y"
_PERIOD = re.compile(r"(\d{1,4})\s*([ymd])")
_DAYS = {"y": 365, "m": 30, "d": 1}


def parse_period(text: str) -> timedelta:
    """'3y', '18m' or '400d' as a length of time (a year 365 days, a month 30)."""
    match = _PERIOD.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise DataError(
            [Problem("--older-than", f"{text!r}: expected a period such as 3y, 18m or 400d")]
        )
    return timedelta(days=int(match.group(1)) * _DAYS[match.group(2)])


_UNITS = {"y": "duration-year", "m": "duration-month", "d": "duration-day"}


def period_words(period: str, locale: str = "en") -> str:
    """A policy period in words, in a language ("3y" → "3 years", "3 lata", "3 سنوات"):
    Babel has each language's plural forms (CLDR), which a table of ours would get wrong."""
    parse_period(period)
    match = _PERIOD.fullmatch(period.strip().lower())
    assert match is not None  # parse_period has checked it
    number, unit = int(match.group(1)), _UNITS[match.group(2)]
    try:
        return format_unit(number, unit, length="long", locale=locale)
    except (UnknownLocaleError, ValueError):
        return format_unit(number, unit, length="long", locale="en")


def policy(store: Store) -> str | None:
    """The records policy's period as set (`set_policy`), or None."""
    return store.get_meta(POLICY_KEY)


def set_policy(store: Store, actor: Actor, period: str) -> None:
    """Record the trust's records policy period (an admin): what Rounds shows as due."""
    check_active(store, actor)
    ensure(actor, "set-retention")
    parse_period(period)
    store.set_meta(POLICY_KEY, period.strip().lower())


@dataclass(frozen=True)
class Due:
    round: str
    published: str
    answers: int


def due(
    store: Store, actor: Actor, older_than: timedelta, now: datetime | None = None
) -> list[Due]:
    """Published rounds whose panel answers the policy says to delete now: published longer
    ago than `older_than`, still holding panel answers (counts only)."""
    check_active(store, actor)
    ensure(actor, "set-retention")
    moment = now or datetime.now(UTC)
    found = []
    for round_ in store.rounds.list_rounds():
        published = store.rounds.published_at(round_.id)
        if round_.status != "published" or published is None:
            continue
        if moment - datetime.fromisoformat(published) <= older_than:
            continue
        answers = store.rounds.panel_answer_count(round_.id)
        if answers:
            found.append(Due(round_.id, published, answers))
    return found


def apply(
    store: Store,
    actor: Actor,
    older_than: timedelta,
    dry_run: bool = False,
    now: datetime | None = None,
) -> list[Due]:
    """Delete the panel answers `due` says to, keeping each round's disclosed figures first;
    with `dry_run`, only say what would be deleted. Returns the rounds (and answers) done."""
    rounds = due(store, actor, older_than, now)
    if dry_run:
        return rounds
    for item in rounds:
        figures = as_parquet(round_scores(store, item.round))
        store.rounds.retire_panel_answers(item.round, figures, actor.label)
    return rounds
