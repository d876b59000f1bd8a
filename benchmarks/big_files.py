"""Big import files for the import benchmarks: a responses CSV of a given size on the shipped
OCF panel survey, for a database with enough sites and one open round (seeded, repeatable)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ocf.models import Site
from ocf.rounds import open_round, resolve_content
from ocf.store import Store

ROUND = "big-round"
SITES = [f"XB{n:03d}" for n in range(250)]


def prepare(path: Path) -> None:
    """A database with 250 trusts and one open OCF round."""
    store = Store.open(path)
    store.sites.add_sites([Site(code, f"Trust {code}") for code in SITES], "bench")
    open_round(store, ROUND, resolve_content("ocf-race-equality"), "bench")
    store.close()


def responses_file(path: Path, megabytes: float, seed: int = 5, required_only: bool = False) -> int:
    """Long-format panel answers, every respondent complete (or, with `required_only`, answering
    only the required questions: many more respondents for the same size), until the file
    reaches its size. Returns the number of data rows."""
    survey = resolve_content("ocf-race-equality").surveys
    panel = next(s for s, _ in survey if s.audience == "panel")
    rng = np.random.default_rng(seed)
    limit = int(megabytes * 1_000_000)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["site", "round", "survey", "respondent", "item", "value", "text"])
        respondent = 0
        while handle.tell() < limit:
            respondent += 1
            site = SITES[respondent % len(SITES)]
            label = f"R{respondent:07d}"
            answers: dict[str, str] = {}
            for item in panel.items:
                if required_only and not item.required:
                    continue
                if item.show_if and not item.show_if.holds(answers.get(item.show_if.item)):
                    continue
                if item.type == "text":
                    if rng.random() < 0.2:
                        writer.writerow([site, ROUND, panel.id, label, item.id, "", "More staff"])
                        rows += 1
                    continue
                value = str(rng.choice([o.value for o in item.options]))
                answers[item.id] = value
                writer.writerow([site, ROUND, panel.id, label, item.id, value, ""])
                rows += 1
    return rows


GROUPS = (
    "White",
    "Black or Black British",
    "Asian or Asian British",
    "Mixed",
    "Other Ethnic Groups",
)
MEASURES = ("All detentions", "Section 2", "Section 3", "Section 136", "CTOs")
BANDS = [f"{5 * b}-{5 * b + 4}" for b in range(18)] + ["90+"]


def detentions_file(path: Path, megabytes: float, seed: int = 6) -> int:
    """Template rows by site, year, measure, group, age band and sex until the file reaches its
    size (a new year each time the sites run out). Returns the number of data rows."""
    rng = np.random.default_rng(seed)
    limit = int(megabytes * 1_000_000)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["site", "period", "measure", "ethnic_group", "age_band", "sex",
                         "count", "population"])  # fmt: skip
        year = 1900
        while handle.tell() < limit:
            year += 1
            period = f"{year}-{(year + 1) % 100:02d}"
            for site in SITES:
                for measure in MEASURES:
                    for group in GROUPS:
                        for band in BANDS:
                            for sex in ("Female", "Male"):
                                population = int(rng.integers(200, 5000))
                                count = int(rng.poisson(population * 4e-3))
                                writer.writerow(
                                    [site, period, measure, group, band, sex, count, population]
                                )
                                rows += 1
                if handle.tell() >= limit:
                    return rows
    return rows
