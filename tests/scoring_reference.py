"""A deliberately plain, per-answer implementation of DESIGN §4, written from the text.

It shares no code with ocf.scoring or ocf.stats, so agreement between the two is evidence that
both follow the rules: item scores, respondent values, self and panel medians, the panel's
quartiles and median interval, moderation, gaps, flags, roll-ups and Krippendorff's alpha. It is
also the baseline the benchmarks compare against.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from ocf.models import Framework, Survey


def reference_scores(
    rows: list[dict], framework: Framework, surveys: dict[str, Survey], figures: bool = True
) -> dict:
    """rows: dicts with site, survey, audience, submission_id, item_id, value.

    Returns {(site, level, id): {"self", "panel", "panel_n", "final", "gap", "flag",
    "coverage"}}; competency entries also hold "panel_q1", "panel_q3", "panel_lower",
    "panel_upper", "panel_coverage", and {(site, "agreement"): alpha or None}. figures=False
    leaves out the quartiles, intervals and agreement (the benchmarks report the loop with and
    without them).

    Disclosure (DESIGN §7): no panel figure from fewer than min_panel members (never fewer than
    3); quartiles and interval only where the 95% interval leaves out the lowest and highest
    member.
    """
    framework = framework.maturity_view()  # obligations are never maturity (methods.md)
    known = {c.id for c in framework.competencies}
    per_respondent: dict = defaultdict(list)  # (site, audience, submission, competency) → scores
    ratings: dict = defaultdict(lambda: defaultdict(list))  # site → item → panel item scores
    members: dict = defaultdict(set)  # site → panel members with a scored answer
    # Look-ups built once, so the loop below is a fair plain loop: a few dict look-ups per answer.
    items = {(survey.id, item.id): item for survey in surveys.values() for item in survey.items}
    options = {
        (survey.id, item.id, option.value): option
        for survey in surveys.values()
        for item in survey.items
        for option in item.options
    }
    for row in rows:
        item = items[(row["survey"], row["item_id"])]
        value = row["value"]
        if not item.scored or item.competency not in known or value is None or value != value:
            continue
        if item.type == "level":
            score = float(value)
        else:
            option = options.get((row["survey"], row["item_id"], value))
            if option is None or option.score is None:
                continue
            score = float(option.score)
        per_respondent[
            (row["site"], row["audience"], row["submission_id"], item.competency)
        ].append(score)
        if figures and row["audience"] == "panel":
            ratings[row["site"]][row["item_id"]].append(score)
            members[row["site"]].add(row["submission_id"])

    values: dict = defaultdict(list)  # (site, audience, competency) → respondent values
    for (site, audience, _, competency), scores in per_respondent.items():
        values[(site, audience, competency)].append(sum(scores) / len(scores))

    result = {}
    sites = sorted({row["site"] for row in rows})
    tolerance, gap_flag = framework.moderation.tolerance, framework.gap_flag
    min_panel = max(framework.min_panel, 3)
    for site in sites:
        domain_rows = []
        for domain in framework.domains:
            comp_rows = []
            for c in domain.competencies:
                selfs = values.get((site, "self", c.id), [])
                panels = values.get((site, "panel", c.id), [])
                self_value = statistics.median(selfs) if selfs else None
                panel_value = statistics.median(panels) if len(panels) >= min_panel else None
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
                    # Not asked of a competency a panel cannot judge (panel: not_applicable).
                    "coverage": None
                    if not c.panel_can_judge
                    else (0.0 if panel_value is None else 1.0),
                }
                entry["flag"] = _flag(entry, gap_flag)
                _label(entry, framework)
                if figures:
                    entry.update(_panel_figures(panels if panel_value is not None else []))
                result[(site, "competency", c.id)] = entry
                comp_rows.append((c.weight, entry))
            entry = _roll(comp_rows, gap_flag, framework)
            result[(site, "domain", domain.id)] = entry
            domain_rows.append((domain.weight, entry))
        result[(site, "overall", "overall")] = _roll(domain_rows, gap_flag, framework)
        if figures:
            enough = len(members[site]) >= min_panel
            result[(site, "agreement")] = plain_ordinal_alpha(ratings[site]) if enough else None
    return result


def _panel_figures(values: list[float]) -> dict:
    """Quartiles (linear interpolation between order statistics) and the median interval, where
    the interval's ranks leave out the lowest and highest value; otherwise none."""
    if not values or median_interval_rank(len(values)) < 2:
        return dict.fromkeys(("panel_q1", "panel_q3", "panel_lower", "panel_upper"), None) | {
            "panel_coverage": None
        }
    ordered = sorted(values)
    n = len(ordered)

    def quantile(q: float) -> float:
        position = (n - 1) * q
        below = math.floor(position)
        above = min(below + 1, n - 1)
        return ordered[below] + (position - below) * (ordered[above] - ordered[below])

    lower, upper, coverage = median_interval(ordered)
    return {
        "panel_q1": quantile(0.25),
        "panel_q3": quantile(0.75),
        "panel_lower": lower,
        "panel_upper": upper,
        "panel_coverage": coverage,
    }


def median_interval_rank(n: int) -> int:
    """j: the largest rank with P(Bin(n, ½) ≤ j − 1) ≤ 2.5% (1 when none is)."""
    j, tail = 1, 0.0
    for k in range(n):
        tail += math.comb(n, k) / 2**n
        if tail > 0.025 + 1e-12:
            break
        j = k + 1
    return j


def median_interval(ordered: list[float]) -> tuple[float, float, float]:
    """[x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎] and its coverage (j: `median_interval_rank`)."""
    n = len(ordered)
    j = median_interval_rank(n)
    coverage = 1 - 2 * sum(math.comb(n, i) for i in range(j)) / 2**n
    return ordered[j - 1], ordered[n - j], coverage


def plain_ordinal_alpha(units: dict) -> float | None:
    """Krippendorff's alpha, ordinal, from coincidences (Krippendorff 2011, section C)."""
    coincidences: dict = defaultdict(float)
    for values in units.values():
        m = len(values)
        if m < 2:
            continue
        counts: dict = defaultdict(int)
        for value in values:
            counts[value] += 1
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                coincidences[(c, k)] += pairs / (m - 1)
    totals: dict = defaultdict(float)
    for (c, _), o in coincidences.items():
        totals[c] += o
    domain = sorted(v for v, t in totals.items() if t > 0)
    if len(domain) < 2:
        return None
    n = sum(totals.values())

    def delta(c: float, k: float) -> float:
        low, high = sorted((domain.index(c), domain.index(k)))
        between = sum(totals[domain[g]] for g in range(low, high + 1))
        return (between - (totals[c] + totals[k]) / 2) ** 2

    observed = sum(coincidences[(c, k)] * delta(c, k) for c in domain for k in domain)
    expected = sum(totals[c] * totals[k] * delta(c, k) for c in domain for k in domain) / (n - 1)
    return 1 - observed / expected


def _flag(entry: dict, gap_flag: float) -> str:
    rated = entry["final"] is not None
    if rated and entry["coverage"] is not None and entry["coverage"] == 0:
        return "not_verified"
    if entry["gap"] is not None and entry["gap"] >= gap_flag - 1e-9:
        return "accountability_gap"
    if rated and entry["coverage"] is not None and 0 < entry["coverage"] < 1 - 1e-9:
        return "partly_verified"
    return ""


def _roll(rows: list[tuple[float, dict]], gap_flag: float, framework) -> dict:
    entry = {}
    for key in ("self", "panel", "final", "gap"):
        present = [(w, e[key]) for w, e in rows if e[key] is not None]
        total = sum(w for w, _ in present)
        entry[key] = sum(w * v for w, v in present) / total if present else None
    # Capped at this level's panel figure plus the tolerance, as a competency is.
    rule = framework.moderation
    if entry["final"] is not None and entry["panel"] is not None and rule.rule == "panel_cap":
        entry["final"] = min(entry["final"], entry["panel"] + rule.tolerance)
    # A part the panel cannot judge counts as unchecked.
    rated = [(w, e["coverage"] or 0.0) for w, e in rows if e["final"] is not None]
    total = sum(w for w, _ in rated)
    entry["coverage"] = sum(w * c for w, c in rated) / total if rated else None
    with_panel = [e["panel_n"] for _, e in rows if e["panel"] is not None]
    entry["panel_n"] = min(with_panel) if with_panel else 0
    entry["flag"] = _flag(entry, gap_flag)
    _label(entry, framework)
    return entry


def _label(entry: dict, framework) -> None:
    """The level words: the panel's, and the final's, never above the panel's, and none at
    coverage 0."""

    def word(value):
        if value is None:
            return None
        chosen = None
        for level in framework.scale.levels:
            if value >= level.value - 1e-9:
                chosen = level
        return chosen or framework.scale.levels[0]

    panel, final = word(entry["panel"]), word(entry["final"])
    if panel is not None and final is not None and final.value > panel.value:
        final = panel
    if entry["coverage"] == 0:
        final = None
    entry["panel_label"] = panel.label if panel else None
    entry["final_label"] = final.label if final else None
