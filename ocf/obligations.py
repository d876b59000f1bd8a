"""Obligations: the legal and regulatory duties a framework lists (`kind: obligation`).

A duty is met, partly met or not met; it is not a maturity level. The trust answers it in its
self-assessment with evidence; it is listed as a checklist, left out of every maturity mean,
and a duty not met in full is named in the headline (docs/methods.md, Obligations). Where the
panel survey asks about a duty, the panel's view is shown beside it under the panel's own
disclosure rule, and changes nothing in the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ocf.display import panel_cell
from ocf.evidence import NO_EVIDENCE, evidence_words
from ocf.models import OBLIGATION_OPTIONS, Answer, Framework, Survey

__all__ = [
    "CLAIMED",
    "COLUMNS",
    "LABELS",
    "NOT_ANSWERED",
    "SHORT_OF_DUTY",
    "checklist",
    "checklist_table",
    "evidence_item_id",
    "headline",
    "shortfall",
]


LABELS: dict[str, str] = {option.value: option.label for option in OBLIGATION_OPTIONS}
NOT_ANSWERED = "Not answered yet"
# Met (or partly met) by the trust's own word, with no file or link behind it: a claim, named
# in the headline as one, never read as met (docs/methods.md, Obligations).
CLAIMED = "claimed, no evidence"
# Worst first: the order the headline names them in.
SHORT_OF_DUTY = ("not_met", "partly")
COLUMNS = [
    "competency", "title", "domain_title", "duty", "status", "label", "evidence", "notes",
    "panel", "panel_n", "panel_lower", "panel_upper", "suppressed",
]  # fmt: skip


def evidence_item_id(competency: str) -> str:
    """The self-assessment's words on a competency's evidence: `<competency>-evidence`."""
    return f"{competency}-evidence"


def checklist(
    framework: Framework,
    answers: Mapping[str, Answer],
    panel: pd.DataFrame,
    evidence: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per obligation: the trust's answer, its evidence, and the panel's view.

    `answers` are the site's submitted self-assessment answers by item id (none: nothing
    answered yet); `panel` is `RoundScores.obligations` for the site; `evidence` the files and
    links per competency in words (`ocf.evidence.given`). A duty met or partly met without a
    file or link reads NO_EVIDENCE; the self-assessment's words about it are its notes.
    """
    by_competency = panel.set_index("competency") if len(panel) else None
    rows = []
    for competency in framework.obligations:
        answer = answers.get(Survey.status_item_id(competency.id))
        status = (answer.value or "") if answer else ""
        words = answers.get(evidence_item_id(competency.id))
        view = (
            by_competency.loc[competency.id]
            if by_competency is not None and competency.id in by_competency.index
            else None
        )
        shown = evidence_words(framework, competency.id, status, dict(evidence or {}))
        label = LABELS.get(status, NOT_ANSWERED)
        if shown == NO_EVIDENCE:
            label = f"{label}: {CLAIMED}"
        rows.append(
            {
                "competency": competency.id,
                "title": competency.title,
                "domain_title": framework.domain_of(competency.id).title,
                "duty": competency.duty,
                "status": status,
                "label": label,
                "evidence": shown,
                "notes": (words.text or "") if words else "",
                "panel": float("nan") if view is None else float(view["panel"]),
                "panel_n": 0 if view is None else int(view["panel_n"]),
                "panel_lower": float("nan") if view is None else float(view["panel_lower"]),
                "panel_upper": float("nan") if view is None else float(view["panel_upper"]),
                "suppressed": False if view is None else bool(view["suppressed"]),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def checklist_table(duties: pd.DataFrame, min_panel: int) -> pd.DataFrame:
    """The checklist as read on pages and in reports: Obligation, Answer, Evidence, Panel."""
    return pd.DataFrame(
        {
            "Obligation": duties["title"],
            "Answer": duties["label"],
            "Evidence": duties["evidence"],
            "The panel's view": [panel_cell(row, min_panel) for _, row in duties.iterrows()],
        }
    )


def shortfall(duties: pd.DataFrame) -> dict[str, list[str]]:
    """The titles of the duties not met, then partly met, then claimed as met without any
    evidence: {label: [titles]}, empty if none."""
    short = {
        LABELS[status]: list(duties.loc[duties["status"] == status, "title"])
        for status in SHORT_OF_DUTY
        if (duties["status"] == status).any()
    }
    claimed = duties[(duties["status"] == "met") & (duties["evidence"] == NO_EVIDENCE)]
    if len(claimed):
        short[f"Met, {CLAIMED}"] = list(claimed["title"])
    return short


def headline(duties: pd.DataFrame) -> str | None:
    """The sentence every page and report leads with when a duty is not met in full, or is
    claimed as met with no evidence."""
    short = shortfall(duties)
    if not short:
        return None
    named = "; ".join(f"**{label}:** {', '.join(titles)}" for label, titles in short.items())
    unmet = sum(len(t) for label, t in short.items() if not label.endswith(CLAIMED))
    claimed = sum(len(t) for label, t in short.items() if label.endswith(CLAIMED))
    said = []
    if unmet:
        duty = "duty is" if unmet == 1 else "duties are"
        said.append(f"{unmet} of {len(duties)} legal and regulatory {duty} not met in full.")
    if claimed:
        duty = "duty is" if claimed == 1 else "duties are"
        said.append(f"{claimed} {duty} claimed as met with no evidence given.")
    return (
        f"{' '.join(said)} {named}. Obligations are answered met, partly met or not met and "
        "are never averaged into the maturity rating."
    )
