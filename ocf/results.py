"""Scores for a stored round, and everything the results page shows about one site.

The glue between the store and the pure scoring engine; permission checks included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ocf.access import Actor, require_results, visible_rounds
from ocf.cache import cached
from ocf.disclosure import withhold_open_panels
from ocf.display import number, panel_cell
from ocf.evidence import NO_EVIDENCE, evidence_words, given
from ocf.evidence import can_read as can_read_evidence
from ocf.kept_figures import kept_scores
from ocf.models import Answer, Framework, Round, Site, Survey
from ocf.obligations import COLUMNS, LABELS, checklist
from ocf.scoring import RoundScores, score_round, score_table
from ocf.store import Store
from ocf.submissions import SELF_RESPONDENT
from ocf.tables import when_day

__all__ = [
    "SiteResults",
    "action_plan",
    "competency_table",
    "disclosed_answers",
    "latest_with_results",
    "panel_still_collecting",
    "round_scores",
    "scores_table",
    "self_answers",
    "site_results",
]


def round_scores(store: Store, round_id: str) -> RoundScores:
    """Score every site of a round from its disclosed answers and framework snapshot (cached).

    This is what every staff view, export and command reads: a panel still collecting is left
    out entirely (`disclosed_answers`), for every role.
    """
    store.rounds.require_round(round_id)
    return cached(
        store,
        "scores",
        round_id,
        lambda: (
            kept_scores(store, round_id)
            or score_round(
                disclosed_answers(store, round_id),
                store.rounds.round_framework(round_id),
                store.rounds.round_surveys(round_id),
            )
        ),
    )


def latest_with_results(store: Store, rounds: list[Round]) -> int:
    """The position in `rounds` of the latest one with a submitted answer (a round just opened
    has none yet), else of the latest round."""
    answered = store.submissions.rounds_with_submissions()
    with_results = [i for i, r in enumerate(rounds) if r.id in answered]
    return with_results[-1] if with_results else len(rounds) - 1


def disclosed_answers(store: Store, round_id: str) -> pd.DataFrame:
    """A round's submitted answers without those of panels still open (`ocf.disclosure`)."""
    return withhold_open_panels(
        store.submissions.answers_frame(round_id), store.panels.panel_closures(round_id)
    )


def scores_table(store: Store, round_id: str, site: str | None = None) -> pd.DataFrame:
    """The `ocf score` table for a round, optionally one site."""
    if site is not None:
        store.sites.require_site(site)
    return score_table(round_scores(store, round_id), round_id, site)


@dataclass(frozen=True)
class SiteResults:
    """One site's results for one round, ready to display."""

    site: Site
    round: Round
    framework: Framework
    overall: pd.Series | None  # self, panel, final, gap, flag, panel_n, weakest_domain
    domains: pd.DataFrame  # + title, change
    competencies: pd.DataFrame  # + title, domain_title, kind
    agreement: float | None
    members: int
    previous_round: str | None
    overall_change: float | None
    actions: pd.DataFrame  # competency, title, level, action, owner, due
    panel_pending: bool = False  # the panel's view is withheld until the panel closes
    # The framework's duties: met, partly met or not met, never in maturity (ocf.obligations).
    obligations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    # Files and links (without bytes; empty for the public): ocf.evidence.
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def titles(self) -> dict[str, str]:
        """Every competency's title by id, obligations included."""
        return {c.id: c.title for c in self.framework.competencies}

    @property
    def rated(self) -> int:
        """Competencies with a final rating, those a panel cannot judge included: they are in
        the headline too, unchecked by the panel (docs/methods.md, 6a)."""
        return int(self.competencies["final"].notna().sum())

    @property
    def by_evidence(self) -> int:
        """Competencies with a final rating that no panel can judge (coverage empty): checked
        by evidence, not by the panel."""
        c = self.competencies
        return int((c["final"].notna() & c["coverage"].isna()).sum())

    @property
    def checked(self) -> int:
        """Competencies with a final rating that the panel checked (coverage 1)."""
        c = self.competencies
        return int((c["final"].notna() & (c["coverage"] >= 1)).sum())


def site_results(store: Store, actor: Actor, site_code: str, round_id: str) -> SiteResults:
    require_results(store, actor, site_code, round_id)
    site, round_ = store.sites.require_site(site_code), store.rounds.require_round(round_id)
    framework = store.rounds.round_framework(round_id)
    scores = round_scores(store, round_id)
    titles = {c.id: c.title for c in framework.competencies}
    domain_titles = {d.id: d.title for d in framework.domains}
    kinds = {c.id: c.kind for c in framework.competencies}

    competencies = scores.competencies[scores.competencies["site"] == site_code].copy()
    competencies["title"] = competencies["competency"].map(titles)
    competencies["domain_title"] = competencies["domain"].map(domain_titles)
    competencies["kind"] = competencies["competency"].map(kinds)
    domains = scores.domains[scores.domains["site"] == site_code].copy()
    domains["title"] = domains["domain"].map(domain_titles)
    overall_rows = scores.overall[scores.overall["site"] == site_code]
    overall = overall_rows.iloc[0] if len(overall_rows) else None
    agreement_rows = scores.agreement[scores.agreement["site"] == site_code]
    alpha = agreement_rows["alpha"].iloc[0] if len(agreement_rows) else None
    alpha = None if alpha is None or pd.isna(alpha) else float(alpha)  # NaN: not reported
    members = int(agreement_rows["members"].iloc[0]) if len(agreement_rows) else 0

    previous = _previous_round(store, actor, round_, site_code)
    overall_change = None
    domains["change"] = float("nan")
    if previous is not None:
        before = round_scores(store, previous)
        before_domains = before.domains[before.domains["site"] == site_code].set_index("domain")[
            "final"
        ]
        # astype: an empty frame maps to text, and text minus a number fails.
        domains["change"] = domains["final"] - domains["domain"].map(before_domains).astype(float)
        before_overall = before.overall[before.overall["site"] == site_code]
        if overall is not None and len(before_overall):
            change = overall["final"] - before_overall["final"].iloc[0]
            overall_change = None if pd.isna(change) else float(change)

    pending = panel_still_collecting(store, round_, site_code)
    if pending:  # the final is the self-assessment alone: no like-for-like change
        domains["change"] = float("nan")
        overall_change = None
    # Evidence (without its bytes) for those who may open it; never the public's.
    held = store.evidence.evidence_frame(round_id, site_code)
    readable = can_read_evidence(store, actor, site_code, round_id)
    evidence = held if readable else held.iloc[0:0]
    words = given(evidence)
    competencies["evidence"] = [
        evidence_words(framework, c, rating, words)
        for c, rating in zip(competencies["competency"], competencies["self"], strict=True)
    ]
    duties = checklist(
        framework,
        self_answers(store, site_code, round_id, submitted_only=True),
        scores.obligations[scores.obligations["site"] == site_code],
        # Whether a duty has evidence behind it is not hidden from anyone (a duty met with a
        # file must never read "claimed, no evidence" to the public); the files themselves are.
        given(held),
    )
    if not readable:
        duties["evidence"] = duties["evidence"].map(
            lambda shown: shown if shown in (NO_EVIDENCE, "–") else "given"
        )
    return SiteResults(
        site=site,
        round=round_,
        framework=framework,
        overall=overall,
        domains=domains.reset_index(drop=True),
        competencies=competencies.reset_index(drop=True),
        agreement=None if alpha is None or pd.isna(alpha) else float(alpha),
        members=members,
        previous_round=previous,
        overall_change=overall_change,
        actions=_with_final(action_plan(store, framework, site_code, round_id), competencies),
        panel_pending=pending,
        obligations=duties,
        evidence=evidence,
    )


def panel_still_collecting(store: Store, round_: Round, site: str) -> bool:
    """The site's panel may still take answers, so its figures are withheld from everyone.

    Watching the panel figures move as each member submits would tell staff what that member
    said (differencing); until the panel closes (or its round does) staff see no panel figure.
    """
    return round_.status == "open" and not store.panels.panel_closed(site, round_.id)


def _previous_round(store: Store, actor: Actor, round_: Round, site: str) -> str | None:
    """The latest earlier round of the same framework that this actor may see."""
    earlier = []
    for candidate in visible_rounds(store, actor):
        if candidate.id == round_.id:
            break
        if candidate.framework_id == round_.framework_id:
            earlier.append(candidate.id)
    return earlier[-1] if earlier else None


def self_answers(
    store: Store, site: str, round_id: str, submitted_only: bool = False
) -> dict[str, Answer]:
    """The site's self-assessment answers by item id, by the one rule scoring follows too:
    every submitted self-assessment of the site counts, whatever its respondent label (an
    import may use another than the lead's). With several, a duty takes the most cautious
    answer (not met before partly met before met) and any other item the lead's where there
    is one, else the latest submitted. With none submitted (unless `submitted_only`), the
    lead's draft; empty when there is nothing."""
    self_surveys = [
        s.id for s in store.rounds.round_surveys(round_id).values() if s.audience == "self"
    ]
    rows = [
        row
        for survey in self_surveys
        for row in store.submissions.site_submissions(site, round_id, survey)
        if row.status == "submitted"
    ]
    if not rows:
        if submitted_only:
            return {}
        drafts = [
            row
            for survey in self_surveys
            if (row := store.submissions.get_submission(site, round_id, survey, SELF_RESPONDENT))
            is not None
        ]
        return store.submissions.submission_answers(drafts[0].id) if drafts else {}
    rows.sort(key=lambda row: (row.respondent == SELF_RESPONDENT, row.submitted_at or ""))
    merged: dict[str, Answer] = {}
    for row in rows:  # the lead's (or the latest) last, so it wins on ordinary items
        merged.update(store.submissions.submission_answers(row.id))
    caution = {"not_met": 0, "partly": 1, "met": 2}
    for row in rows:
        for item_id, answer in store.submissions.submission_answers(row.id).items():
            now, before = answer.value, (held := merged.get(item_id)) and held.value
            if now in caution and before in caution and caution[now] < caution[before]:
                merged[item_id] = answer
    return merged


def _with_final(actions: pd.DataFrame, competencies: pd.DataFrame) -> pd.DataFrame:
    """The plan with "Now" as the final rating (its number and level word), and the
    self-assessment's own rating beside it, labelled as such: the board read a self rating of
    "Achieving" beside a final of 0.50."""
    final = competencies.set_index("competency")
    now, own = [], []
    for competency, level in zip(actions["competency"], actions["level"], strict=True):
        if competency not in final.index:  # an obligation: met, partly met or not met
            now.append(level)
            own.append("")
            continue
        row = final.loc[competency]
        word = row["final_label"] if isinstance(row["final_label"], str) else ""
        figure = "" if pd.isna(row["final"]) else f"{row['final']:.2f}"
        now.append(f"{figure} {word}".strip() if word else figure)
        own.append(level)
    frame = actions.assign(level=now, self_level=own)
    ordered = ["competency", "title", "level", "self_level"]
    return frame[ordered + [c for c in frame.columns if c not in ordered]]


def action_plan(store: Store, framework: Framework, site: str, round_id: str) -> pd.DataFrame:
    """The self-assessment's planned actions per competency (items `<competency>-action`, …).

    Taken from the submitted self-assessment, or the draft while there is none. "Now" is the
    level, or an obligation's met / partly met / not met.
    """
    columns = ["competency", "title", "level", *Survey.PLAN_PARTS.values()]
    answers = self_answers(store, site, round_id)
    rows = []
    for competency in framework.competencies:
        plan = {
            label: _answer_text(answers.get(Survey.plan_item_id(competency.id, part)))
            for part, label in Survey.PLAN_PARTS.items()
        }
        plan["Due"] = when_day(plan["Due"])  # "30 Dec 2026", as every date people read
        if plan["Action"]:
            now = _answer_text(answers.get(Survey.rating_item_id(competency)))
            if competency.is_obligation:
                label = LABELS.get(now, "")
            else:
                label = framework.scale.label(float(now)) if now else ""
            rows.append(
                {"competency": competency.id, "title": competency.title, "level": label, **plan}
            )
    return pd.DataFrame(rows, columns=columns)


def _answer_text(answer) -> str:
    if answer is None:
        return ""
    return answer.text or answer.value or ""


def competency_table(result: SiteResults) -> pd.DataFrame:
    """Every competency as the results page and the board report show it: the words beside
    the numbers, the panel's interval and n under the disclosure rule, the evidence given."""
    c, min_panel = result.competencies, result.framework.min_panel
    return pd.DataFrame(
        {
            "Competency": c["title"],
            "Area": c["domain_title"],
            "Self": c["self"].map(number),
            "Panel (interval, n)": c.apply(panel_cell, axis=1, min_panel=min_panel),
            "Final": c["final"].map(number),
            "Flag": c["flag"].str.replace("_", " "),
            "Evidence": c["evidence"],
        }
    ).reset_index(drop=True)
