"""The public summary for communities: what a trust published, readable by anyone.

For a published round only, one site's areas (self-assessment, panel and how much the panel
checked, under the disclosure rule), the trust's responses to its panel, and its actions with
their status. Never a panel member's words, staff's progress notes or anything below the
disclosure rule: the page is open to anyone, without signing in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ocf.access import PUBLIC
from ocf.accountability import actions, responses, responses_table, states
from ocf.display import number, panel_figure, share
from ocf.errors import PermissionDenied
from ocf.models import Round, Site
from ocf.results import site_results
from ocf.store import Store
from ocf.tables import when_day

__all__ = [
    "PublicSummary",
    "public_summary",
    "published_rounds",
    "sites_in",
]


@dataclass(frozen=True)
class PublicSummary:
    site: Site
    round: Round
    framework_title: str
    min_panel: int
    areas: pd.DataFrame  # Area, Self-assessment, Panel, Checked by the panel
    responses: pd.DataFrame  # Competency, Gap, What the panel said, … accepts, … will do
    actions: pd.DataFrame  # Competency, Action, Due, Status


def sites_in(store: Store, round_id: str) -> list:
    """The trusts that took part in a published round (a submitted self-assessment or panel
    response there): a site added after the round has nothing to show for it."""
    round_ = store.require_round(round_id)
    if round_.status != "published":
        return []
    submissions = store.list_submissions(round_id)
    took_part = set(submissions.loc[submissions["status"] == "submitted", "site"])
    sites = store.list_sites(include_retired=True)
    return [s for s in sites if s.code in took_part and s.kind == "trust"]


def published_rounds(store: Store) -> list[Round]:
    return [r for r in store.list_rounds() if r.status == "published"]


def public_summary(store: Store, site: str, round_id: str) -> PublicSummary:
    """What anyone may read of a site in a published round."""
    round_ = store.require_round(round_id)
    if round_.status != "published":
        raise PermissionDenied(f"round {round_id} is not published")
    result = site_results(store, PUBLIC, site, round_id)
    min_panel = result.framework.min_panel
    domains = result.domains
    areas = pd.DataFrame(
        {
            "Area": domains["title"],
            "Self-assessment": domains["self"].map(number),
            "Panel": [
                panel_figure(p, n, min_panel)
                for p, n in zip(domains["panel"], domains["panel_n"], strict=True)
            ],
            "Checked by the panel": domains["coverage"].map(lambda v: share(v) or "–"),
        }
    )
    titles = result.titles
    plan = actions(store, PUBLIC, site, round_id)
    doing = pd.DataFrame(
        {
            "Competency": plan["competency"].map(lambda c: titles.get(c, c)),
            "Action": plan["action"],
            "Due": plan["due"].map(when_day),
            "Status": states(plan),
        }
    )
    return PublicSummary(
        result.site,
        round_,
        result.framework.title,
        min_panel,
        areas,
        responses_table(
            result.competencies, responses(store, PUBLIC, site, round_id), result.titles
        ),
        doing,
    )
