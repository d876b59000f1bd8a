"""The public summary for communities: what a trust published, readable by anyone.

For a published round only, one site's detention figures (the Black/White ratio of the trust,
or of its ICB where the trust has none, beside England's, with the years held and one plain
sentence), its areas (self-assessment and panel, each with its level in words, and how much
the panel checked, under the disclosure rule), the size of its panel as a band, its legal
duties, the trust's responses to its panel, its actions with their status, where its plan is
published and when the next round is. Never a panel member's words, staff's progress notes or
anything below the disclosure rule: the page is open to anyone, without signing in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ocf.access import PUBLIC, Actor, check_active
from ocf.accountability import NO_RESPONSE, actions, responses, responses_table, states
from ocf.detention_import import NATIONAL
from ocf.disparity import DEFAULT_MEASURE, METHODS, detention_rows, disparity_table
from ocf.display import interval, label_or_none, number, panel_figure, share
from ocf.errors import DataError, PermissionDenied, Problem
from ocf.evidence import Refused, check_link
from ocf.models import Round, Site
from ocf.permissions import ensure
from ocf.results import site_results
from ocf.scoring import level_word
from ocf.store import Store
from ocf.tables import when_day

__all__ = [
    "PANEL_BANDS",
    "PLAN_KEY",
    "WITHHELD",
    "Detentions",
    "PublicSummary",
    "detention_sentence",
    "detentions",
    "next_round",
    "panel_band",
    "plan_link",
    "public_summary",
    "published_over",
    "published_rounds",
    "ratio_words",
    "set_plan_link",
    "sites_in",
    "unanswered_gaps",
]


PLAN_KEY = "published-plan:{site}:{round}"  # a meta key: where the trust publishes its plan
PANEL_BANDS = ((5, 9), (10, 19), (20, 49))  # then "50 or more"


@dataclass(frozen=True)
class Detentions:
    """The detention figures the public summary shows for a trust (ocf.disparity, under its
    disclosure rule: a ratio from suppressed counts is never shown)."""

    place: str  # the trust's name, or "its integrated care board, <name>"
    own: bool  # the trust's own figures (else its ICB's)
    standardised: bool  # adjusted for age (and sex) where the data allow; else crude
    period: str
    ratio: float | None
    lower: float | None
    upper: float | None
    england: float | None
    trend: pd.DataFrame  # Year, Black people detained per White person (95% interval)
    sentence: str


@dataclass(frozen=True)
class PublicSummary:
    site: Site
    round: Round
    framework_title: str
    min_panel: int
    areas: pd.DataFrame  # Area, Self-assessment, Panel, Checked by the panel
    responses: pd.DataFrame  # Competency, Gap, What the panel said, … accepts, … will do
    actions: pd.DataFrame  # Competency, Action, Due, Status
    detentions: Detentions | None = None  # None: no detention data for the trust or its ICB
    panel_size: str = ""  # a band ("10 to 19 members"), never the exact number
    duties: pd.DataFrame = field(default_factory=pd.DataFrame)  # Duty, The trust says
    plan: str | None = None  # the address where the trust publishes its plan
    next_round: str = ""  # a sentence
    published_over: str | None = None  # said when published over gaps with no response


def sites_in(store: Store, round_id: str) -> list:
    """The trusts that took part in a published round (a submitted self-assessment or panel
    response there): a site added after the round has nothing to show for it."""
    round_ = store.rounds.require_round(round_id)
    if round_.status != "published":
        return []
    submissions = store.submissions.list_submissions(round_id)
    took_part = set(submissions.loc[submissions["status"] == "submitted", "site"])
    sites = store.sites.list_sites(include_retired=True)
    return [s for s in sites if s.code in took_part and s.kind == "trust"]


def published_rounds(store: Store) -> list[Round]:
    return [r for r in store.rounds.list_rounds() if r.status == "published"]


def public_summary(store: Store, site: str, round_id: str) -> PublicSummary:
    """What anyone may read of a site in a published round."""
    round_ = store.rounds.require_round(round_id)
    if round_.status != "published":
        raise PermissionDenied(f"round {round_id} is not published")
    result = site_results(store, PUBLIC, site, round_id)
    framework = result.framework
    min_panel, scale = framework.min_panel, framework.scale
    domains = result.domains

    def with_word(value: float | None, word: str) -> str:
        return f"{number(value)} ({word})" if word else number(value)

    areas = pd.DataFrame(
        {
            "Area": domains["title"],
            "Self-assessment": [with_word(v, level_word(scale, v)) for v in domains["self"]],
            "Panel": [
                with_word(p, label_or_none(word)) if n else panel_figure(p, n, min_panel)
                for p, n, word in zip(
                    domains["panel"], domains["panel_n"], domains["panel_label"], strict=True
                )
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
    said = responses_table(
        result.competencies, responses(store, PUBLIC, site, round_id), result.titles
    )
    duties = pd.DataFrame(
        {"Duty": result.obligations["title"], "The trust says": result.obligations["label"]}
    )
    unanswered = unanswered_gaps(said)
    return PublicSummary(
        result.site,
        round_,
        framework.title,
        min_panel,
        areas,
        said,
        doing,
        detentions=detentions(store, result.site, round_),
        panel_size="" if result.panel_pending else panel_band(result.members, min_panel),
        duties=duties,
        plan=plan_link(store, site, round_id),
        next_round=next_round(store, round_),
        published_over=published_over(store, round_id, unanswered),
    )


def unanswered_gaps(said: pd.DataFrame) -> int:
    """Gaps in a responses table (`responses_table`) that have no response from the trust."""
    return int((said["What the trust accepts"] == NO_RESPONSE).sum()) if len(said) else 0


def published_over(store: Store, round_id: str, unanswered: int) -> str | None:
    """Said where the round was published while gaps of this trust had no response: how many,
    and the reason the administrator gave (the board report says the same)."""
    if not unanswered or store.rounds.require_round(round_id).status != "published":
        return None
    reason = store.rounds.status_reason(round_id, "published")
    gaps = (
        "gap between its rating and its panel's"
        if unanswered == 1
        else "gaps between its rating and its panel's"
    )
    given = (
        f' The reason given for publishing: "{reason}"' if reason else " No reason was recorded."
    )
    return (
        f"This round was published while {unanswered} {gaps} had no response from the trust."
        + given
    )


def panel_band(members: int, min_panel: int) -> str:
    """How many members answered, as a band: the exact number is not published (it would say
    when one more answered, between two readings of the page)."""
    if members == 0:
        return "No panel member answered."
    if members < min_panel:
        return f"Fewer than {min_panel} panel members answered, so no panel figure is shown."
    for low, high in PANEL_BANDS:
        if low <= members <= high:
            return f"Between {low} and {high} panel members answered."
    return f"{PANEL_BANDS[-1][1] + 1} or more panel members answered."


def plan_link(store: Store, site: str, round_id: str) -> str | None:
    """Where the trust publishes its plan for the round (set on the Results page), or None."""
    return store.get_meta(PLAN_KEY.format(site=site, round=round_id))


def set_plan_link(store: Store, actor: Actor, site: str, round_id: str, address: str) -> None:
    """The site's lead or an administrator records where the trust publishes its plan: a web
    address (https), shown on the public summary; blank removes it."""
    check_active(store, actor)
    ensure(actor, "edit-actions", site=site)
    store.rounds.require_round(round_id)
    address = address.strip()
    if address:
        try:  # the evidence links' rule (a host, no spaces, a length), and https: it is public
            address, _ = check_link(address)
            if not address.startswith("https://"):
                raise Refused(f"{address[:80]!r}: expected a web address starting https://")
        except Refused as why:
            raise DataError([Problem("published plan", str(why), field="address")]) from None
    store.sites.set_site_text(
        PLAN_KEY.format(site=site, round=round_id), address or None, actor.label, site,
        "published plan",
    )  # fmt: skip


def next_round(store: Store, round_: Round) -> str:
    """When the next round of the same framework is, in a sentence."""
    later = [
        r for r in store.rounds.list_rounds()
        if r.framework_id == round_.framework_id and r.id != round_.id
        and r.status in ("open", "closed") and (r.period or "") >= (round_.period or "")
    ]  # fmt: skip
    if not later:
        return "The next round has not been set yet."
    coming = later[0]
    if coming.status == "open":
        closes = f" and closes on {when_day(coming.closes)}" if coming.closes else ""
        return f"The next round, {coming.id}, is under way{closes}."
    return f"The next round, {coming.id}, has closed; its results are being checked."


# --------------------------------------------------------------------------- detentions


def detentions(store: Store, site: Site, round_: Round) -> Detentions | None:
    """The Black/White detention ratio for the trust (or its ICB, where the figures are held
    for areas, not trusts) in the round's data period, with England's and the years held;
    standardised for age where the data allow, else crude, and the sentence says which."""
    if not round_.period:
        return None
    rows = detention_rows(store, None, DEFAULT_MEASURE)
    if rows.empty:
        return None
    held = set(rows["geography"])
    place = next((code for code in (site.code, site.parent) if code and code in held), None)
    if place is None:
        return None
    own = place == site.code
    mine = rows[rows["geography"].isin([place, NATIONAL])]
    tables = {m: disparity_table(mine, method=m) for m in METHODS}
    at = (tables["standardised"]["geography"] == place) & (
        tables["standardised"]["period"] == round_.period
    )
    standardised = bool(tables["standardised"].loc[at, "rate_ratio"].notna().any())
    table = tables["standardised" if standardised else "crude"]
    local = table[table["geography"] == place].sort_values("period")
    now = local[local["period"] == round_.period]
    ratio, lower, upper = (
        (None, None, None)
        if now.empty or pd.isna(now["rate_ratio"].iloc[0])
        else tuple(float(now[c].iloc[0]) for c in ("rate_ratio", "ratio_lower", "ratio_upper"))
    )
    england_row = table[(table["geography"] == NATIONAL) & (table["period"] == round_.period)]
    england = (
        float(england_row["rate_ratio"].iloc[0])
        if len(england_row) and pd.notna(england_row["rate_ratio"].iloc[0])
        else None
    )
    name = store.sites.get_site(place)
    where = site.name if own else f"its integrated care board, {name.name if name else place}"
    trend = pd.DataFrame(
        {
            "Year": local["period"],
            "Black people detained for each White person": [
                ratio_words(r, lo, hi)
                for r, lo, hi in zip(
                    local["rate_ratio"], local["ratio_lower"], local["ratio_upper"], strict=True
                )
            ],
        }
    ).reset_index(drop=True)
    return Detentions(
        where, own, standardised, round_.period, ratio, lower, upper, england, trend,
        detention_sentence(own, standardised, round_.period, ratio, england),
    )  # fmt: skip


def ratio_words(ratio: float | None, lower: float | None, upper: float | None) -> str:
    """A ratio with its 95% interval in words, or why it is not shown."""
    if ratio is None or pd.isna(ratio):
        return WITHHELD
    return f"{number(ratio, 1)} (95% interval {interval(lower, upper, 1)})"


WITHHELD = "not shown: too few detentions to show safely"


def detention_sentence(
    own: bool, standardised: bool, period: str, ratio: float | None, england: float | None
) -> str:
    """One plain sentence about the ratio (docs/methods.md, Public summary)."""
    where = "in the area this trust serves" if own else "in this area"
    if ratio is None:
        return (
            f"The figure for {period} is not shown: too few detentions were recorded {where} "
            "to show it without risk of identifying people."
        )
    how = (
        "after allowing for age"
        if standardised
        else "not adjusted for age, because the figures held have no age breakdown"
    )
    versus = f" Across England the figure was {england:.1f}." if england is not None else ""
    return (
        f"In {period}, Black people {where} were detained under the Mental Health Act about "
        f"{ratio:.1f} times as often as White people ({how}).{versus}"
    )
