"""A deliberately plain, per-answer implementation of DESIGN §4, written from the text.

It shares no code with ocf.scoring, so agreement between the two is evidence that both follow
the rules. It is also the baseline the benchmarks compare against.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from ocf.models import Framework, Survey


def reference_scores(rows: list[dict], framework: Framework, surveys: dict[str, Survey]) -> dict:
    """rows: dicts with site, survey, audience, submission_id, item_id, value.

    Returns {(site, level, id): {"self", "panel", "panel_n", "final", "gap", "flag"}}.
    """
    per_respondent: dict = defaultdict(list)  # (site, audience, submission, competency) → scores
    for row in rows:
        item = surveys[row["survey"]].item(row["item_id"])
        if not item.scored or row["value"] is None:
            continue
        if item.type == "level":
            score = float(row["value"])
        else:
            option = item.option(row["value"])
            if option is None or option.score is None:
                continue
            score = float(option.score)
        per_respondent[
            (row["site"], row["audience"], row["submission_id"], item.competency)
        ].append(score)

    values: dict = defaultdict(list)  # (site, audience, competency) → respondent values
    for (site, audience, _, competency), scores in per_respondent.items():
        values[(site, audience, competency)].append(sum(scores) / len(scores))

    result = {}
    sites = sorted({row["site"] for row in rows})
    tolerance, gap_flag = framework.moderation.tolerance, framework.gap_flag
    for site in sites:
        domain_rows = []
        for domain in framework.domains:
            comp_rows = []
            for c in domain.competencies:
                selfs = values.get((site, "self", c.id), [])
                panels = values.get((site, "panel", c.id), [])
                self_value = statistics.median(selfs) if selfs else None
                panel_value = (
                    statistics.median(panels) if len(panels) >= framework.min_panel else None
                )
                if self_value is None:
                    final = None
                elif panel_value is None or framework.moderation.rule == "none":
                    final = self_value
                else:
                    final = min(self_value, panel_value + tolerance)
                gap = (
                    self_value - panel_value
                    if self_value is not None and panel_value is not None
                    else None
                )
                entry = {
                    "self": self_value,
                    "panel": panel_value,
                    "panel_n": len(panels),
                    "final": final,
                    "gap": gap,
                }
                entry["flag"] = _flag(entry, gap_flag)
                result[(site, "competency", c.id)] = entry
                comp_rows.append((c.weight, entry))
            entry = _roll(comp_rows, gap_flag)
            result[(site, "domain", domain.id)] = entry
            domain_rows.append((domain.weight, entry))
        result[(site, "overall", "overall")] = _roll(domain_rows, gap_flag)
    return result


def _flag(entry: dict, gap_flag: float) -> str:
    if entry["self"] is not None and entry["panel"] is None:
        return "not_verified"
    if entry["gap"] is not None and entry["gap"] >= gap_flag - 1e-9:
        return "accountability_gap"
    return ""


def _roll(rows: list[tuple[float, dict]], gap_flag: float) -> dict:
    entry = {}
    for key in ("self", "panel", "final", "gap"):
        present = [(w, e[key]) for w, e in rows if e[key] is not None]
        total = sum(w for w, _ in present)
        entry[key] = sum(w * v for w, v in present) / total if present else None
    with_panel = [e["panel_n"] for _, e in rows if e["panel"] is not None]
    entry["panel_n"] = min(with_panel) if with_panel else 0
    entry["flag"] = _flag(entry, gap_flag)
    return entry
