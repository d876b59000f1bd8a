"""Who answered a panel: how many answered about their own care, as carers, or both.

The member's answer to the survey's `carers` item is a respondent attribute. Staff see it only
as counts, under the same rule as every panel figure (docs/methods.md, Who answered): nothing
until the panel has closed and at least `min_panel` members have answered; any group smaller
than `min_panel` is folded into "Other answers, or not said", and when that group would itself
be smaller than `min_panel` (but not empty) the next smallest group is folded in as well, so
that no small group can be worked out by subtracting the others from the total.
"""

from __future__ import annotations

import pandas as pd

from ocf.access import Actor, require_results
from ocf.cache import cached
from ocf.disclosure import effective_min_panel
from ocf.models import Survey
from ocf.store import Store

__all__ = [
    "OTHER",
    "makeup",
    "makeup_empty",
    "who_answered",
]


OTHER = "Other answers, or not said"


def makeup(answers: pd.DataFrame, survey: Survey, min_panel: int) -> pd.DataFrame:
    """`answers`: one site's submitted panel answers (store.submissions.answers_frame rows). A table of
    group and members, largest first, or an empty table when nothing can be shown."""
    empty = makeup_empty()
    carers = survey.carers
    least = effective_min_panel(min_panel)
    members = answers["submission_id"].nunique()
    if carers is None or members < least:
        return empty
    item = survey.item(carers.item)
    said = answers.loc[answers["item_id"] == carers.item, ["submission_id", "value"]]
    counts = said["value"].astype("str").value_counts()
    labels = {o.value: o.label for o in item.options}
    groups = {labels[v]: int(n) for v, n in counts.items() if v in labels and v != "prefer-not"}
    shown = {g: n for g, n in groups.items() if n >= least}
    while shown and 0 < members - sum(shown.values()) < least:
        del shown[min(shown, key=lambda g: (shown[g], g))]  # fold the smallest in
    rest = members - sum(shown.values())
    rows = sorted(shown.items(), key=lambda kv: (-kv[1], kv[0])) + ([(OTHER, rest)] if rest else [])
    if len(rows) < 2:  # one group holding everyone would tell each member's answer
        return empty
    return pd.DataFrame(rows, columns=["Answered as", "Members"])


def who_answered(store: Store, actor: Actor, site: str, round_id: str) -> pd.DataFrame:
    """The makeup of a site's panel, for staff who may see its results, once the panel has
    closed; before that, an empty table, like every panel figure."""
    require_results(store, actor, site, round_id)
    round_ = store.rounds.require_round(round_id)
    if round_.status == "open" and not store.panels.panel_closed(site, round_id):
        return makeup_empty()
    # Read from every answer of the round: once until the data change, not on every rerun.
    return cached(store, "who-answered", f"{round_id}:{site}", lambda: _who(store, site, round_id))


def _who(store: Store, site: str, round_id: str) -> pd.DataFrame:
    surveys = [s for s in store.rounds.round_surveys(round_id).values() if s.audience == "panel"]
    framework = store.rounds.round_framework(round_id)
    frame = store.submissions.answers_frame(round_id)
    tables = []
    for survey in surveys:
        own = frame[(frame["site"] == site) & (frame["survey"] == survey.id)]
        tables.append(makeup(own, survey, framework.min_panel))
    return next((t for t in tables if not t.empty), tables[0] if tables else makeup_empty())


def makeup_empty() -> pd.DataFrame:
    return pd.DataFrame({"Answered as": [], "Members": []})
