"""A seeded national-scale dataset: sites, rounds, self-assessments, panels, detention data.

Built through the store's own bulk paths (one transaction each), so it is what the platform
would hold, not a shortcut around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocf.models import Answer, Response, Site
from ocf.rounds import change_status, open_round, resolve_content
from ocf.store import Store

GROUPS = (
    "White",
    "Mixed",
    "Asian or Asian British",
    "Black or Black British",
    "Other Ethnic Groups",
    "Not Known",
)
MEASURES = (
    "All detentions",
    "Uses of CTOs",
    "Short term orders section 136",
    "Detentions on admission to hospital",
)
BANDS = [
    (age, sex) for age in ("0-17", "18-24", "25-34", "35-49", "50-64", "65+") for sex in ("F", "M")
]


@dataclass(frozen=True)
class Scale:
    sites: int = 250
    rounds: int = 8
    panel: int = 25
    years: int = 10


NATIONAL = Scale()
TINY = Scale(sites=4, rounds=2, panel=4, years=2)


def site_codes(scale: Scale) -> list[str]:
    return [f"B{i:03d}" for i in range(1, scale.sites + 1)]


def build(path: Path, scale: Scale, seed: int = 8) -> dict[str, int]:
    """Create the database at `path`; returns how many rows of each kind it holds."""
    rng = np.random.default_rng(seed)
    store = Store.open(path)
    systems = max(1, scale.sites // 6)
    icbs = [Site(f"BQ{i:02d}", f"Benchmark ICB {i}", "icb") for i in range(1, systems + 1)]
    trusts = [
        Site(code, f"Benchmark Trust {code}", "trust", icbs[i % systems].code, f"cohort-{i % 3}")
        for i, code in enumerate(site_codes(scale))
    ]
    store.sites.add_sites([*icbs, *trusts], "bench")
    content = resolve_content("ocf-race-equality")
    surveys = {s.audience: s for s, _ in content.surveys}
    framework = content.framework
    level_items = [i for i in surveys["self"].items if i.type == "level"]
    text_items = [i for i in surveys["self"].items if i.type == "text"]
    panel_items = [i for i in surveys["panel"].items if i.scored and not i.show_if]
    answers = 0
    for number in range(scale.rounds):
        round_id = f"R{number + 1}"
        open_round(store, round_id, content, "bench", period=str(2016 + number))
        responses = []
        maturity = rng.uniform(0.5, 2.5, size=scale.sites)
        for s, code in enumerate(site_codes(scale)):
            levels = np.clip(
                np.rint(maturity[s] + rng.normal(0.5, 0.6, len(level_items))), 0, 3
            ).astype(int)
            own = [Answer(i.id, str(v)) for i, v in zip(level_items, levels, strict=True)]
            own += [
                Answer(i.id, None, "Evidence and plans, as a board paper would describe them.")
                for i in text_items[::2]
            ]
            responses.append(
                Response(code, round_id, surveys["self"].id, "equality-lead", tuple(own))
            )
            for member in range(scale.panel):
                picks = rng.integers(
                    0, 6, len(panel_items)
                )  # option positions: five scored, then "don't know"
                given = [
                    Answer(i.id, i.options[p].value)
                    for i, p in zip(panel_items, picks, strict=True)
                ]
                responses.append(
                    Response(code, round_id, surveys["panel"].id, f"P{member:02d}", tuple(given))
                )
        answers += sum(len(r.answers) for r in responses)
        store.submissions.add_submitted(responses, "bench")
        change_status(store, round_id, "close", "bench")
        change_status(store, round_id, "publish", "bench")
    rows = detention_rows(store, scale, rng)
    store.detentions.upsert_detentions(rows, "bench", "benchmark")
    store.close()
    return {
        "sites": len(trusts),
        "rounds": scale.rounds,
        "answers": answers,
        "detention_rows": len(rows),
        "competencies": len(framework.competencies),
    }


def detention_rows(store: Store, scale: Scale, rng: np.random.Generator) -> list[dict]:
    rows = []
    for code in site_codes(scale):
        for year in range(scale.years):
            for measure in MEASURES:
                for group in GROUPS:
                    for age, sex in BANDS:
                        population = float(rng.integers(500, 40_000))
                        rows.append({
                            "period": str(2016 + year), "geography": code, "geography_name": f"Benchmark Trust {code}",
                            "geography_kind": "trust", "measure": measure.lower().replace(" ", "-"), "ethnic_group": group,
                            "age_band": age, "sex": sex, "count": int(rng.poisson(population * 1e-3)), "suppressed": 0,
                            "population": population, "population_derived": 0, "source": "benchmark",
                        })  # fmt: skip
    return rows
