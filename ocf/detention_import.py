"""Detention data imports: NHS England's MHA annual statistics CSV and the platform template.

A file is checked whole; any error (a bad number, a negative count, an unknown group) refuses
it with FILE:ROW N: field: message lines and nothing is written. Rows that are not errors but
not usable (another breakdown, an unknown organisation level, a provider without population)
are skipped and counted by reason in the report. Re-importing a file replaces its rows: the
key is (period, geography, measure, ethnic group, age band, sex).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ocf import ethnicity
from ocf.errors import DataError, Problem
from ocf.importers import Table, read_table, read_text
from ocf.stats import DSR_MINIMUM_EVENTS, poisson_limits
from ocf.store import Store

NHS_COLUMNS = (
    "year", "measure", "measuresubcategory", "demographic", "demographicbreakdown",
    "organisationbreakdown", "datasource", "orgid", "orgname", "mhsds_count", "acute_count",
    "total_count", "cruderate", "stdrate", "confidence_interval",
)  # fmt: skip
NHS_REQUIRED = (
    "year",
    "measure",
    "measuresubcategory",
    "demographic",
    "demographicbreakdown",
    "organisationbreakdown",
    "orgid",
    "orgname",
    "total_count",
    "cruderate",
)
TEMPLATE_COLUMNS = (
    "site",
    "period",
    "measure",
    "ethnic_group",
    "age_band",
    "sex",
    "count",
    "population",
)
TEMPLATE_REQUIRED = ("site", "period", "measure", "ethnic_group", "count", "population")
SUPPRESSED = ("", "*")
NATIONAL = "ENG"
LEVELS = {"ICB": "icb", "Sub ICB": "sub-icb", "All submissions": "national"}


@dataclass
class ImportReport:
    """What an import did: rows added and replaced, and what it skipped and why."""

    source: str
    added: int = 0
    replaced: int = 0
    skipped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.source}: {self.added} row(s) added, {self.replaced} replaced"]
        out += [
            f"  skipped {n} row(s): {reason}"
            for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1])
        ]
        out += [f"  note: {note}" for note in self.notes]
        return out


def measure_id(measure: str, subcategory: str = "All") -> str:
    """'All detentions' → all-detentions; ('Short term orders', 'Section 136') → short-term-orders-section-136."""
    text = measure if subcategory in ("", "All") else f"{measure} {subcategory}"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def detect_format(text: str) -> str:
    """The format a file's text is in, from its header line."""
    header = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    return "nhs-mha-annual" if "organisationbreakdown" in header else "template"


# Larger than any population on Earth: a bigger figure is a mistake, and it would overflow the
# interval arithmetic (1e30 gave a traceback).
LARGEST = 1e11


def _number(
    text: str, source: str, row: int | None, column: str, problems: list[Problem]
) -> float | None:
    """A cell as a number; None for a suppressed cell ('' or '*'); a problem for anything else."""
    if text.strip() in SUPPRESSED:
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        problems.append(
            Problem(
                source,
                f"{text!r} is not a number; expected a count, '*' or an empty cell",
                row=row,
                field=column,
            )
        )
        return None
    if not math.isfinite(value) or value > LARGEST:
        problems.append(
            Problem(
                source,
                f"{text!r} is not a usable number; expected a finite count, rate or population "
                f"of at most {LARGEST:,.0f}",
                row=row,
                field=column,
            )
        )
        return None
    if value < 0:
        problems.append(
            Problem(
                source,
                f"{text} is negative; a count, rate or population cannot be below 0",
                row=row,
                field=column,
            )
        )
        return None
    return value


def read_nhs_annual(table: Table) -> tuple[list[dict], ImportReport]:
    """Ethnicity rows of England, ICBs and sub-ICBs from the NHS England annual statistics CSV.

    Populations are not published; they are derived as count ÷ crude rate × 100,000 and marked
    as derived: both are rounded (counts to 5 below national level, rates to 0.1), so derived
    populations are approximate.
    """
    report = ImportReport(table.source)
    problems: list[Problem] = []
    records: dict[tuple, dict] = {}
    conflicts: set[tuple] = set()
    for number, row in table.rows:
        if row["demographic"] != "Ethnicity":
            report.skipped[f"breakdown by {row['demographic'] or 'nothing'}, not by ethnicity"] += 1
            continue
        level = LEVELS.get(row["organisationbreakdown"])
        if level is None:
            report.skipped[
                f"organisation level {row['organisationbreakdown']!r} has no population (or is unknown)"
            ] += 1
            continue
        if row["orgid"].upper() in ("UNKNOWN", ""):
            report.skipped["organisation unknown: no geography or population to rate against"] += 1
            continue
        if level == "national" and row["orgid"] != "All prov":
            report.skipped["national row for a single provider"] += 1
            continue
        if row["demographicbreakdown"] == "All":
            report.skipped["all ethnic groups together (groups are kept separately)"] += 1
            continue
        group = ethnicity.normalise(row["demographicbreakdown"])
        if group is None:
            # Published files carry mislabelled rows (e.g. gender categories under Ethnicity):
            # skipped and reported, never guessed at.
            reason = (
                f"{row['demographicbreakdown']!r} is not an ethnic group (mislabelled breakdown)"
            )
            report.skipped[reason] += 1
            continue
        count = _number(row["total_count"], table.source, number, "Total_Count", problems)
        rate = _number(row["cruderate"], table.source, number, "CrudeRate", problems)
        std_rate = _number(row.get("stdrate", ""), table.source, number, "StdRate", problems)
        half = _number(
            row.get("confidence_interval", ""),
            table.source,
            number,
            "Confidence_interval",
            problems,
        )
        period = row["year"].replace("/", "-")
        if not re.fullmatch(r"\d{4}-\d{2}", period):
            problems.append(
                Problem(
                    table.source,
                    f"{row['year']!r} is not a year like 2023/24",
                    row=number,
                    field="Year",
                )
            )
            continue
        geography = NATIONAL if level == "national" else row["orgid"]
        population = count / rate * 100_000 if count and rate else None
        record = {
            "period": period, "geography": geography,
            "geography_name": "England" if level == "national" else row["orgname"].title().replace("Nhs ", "NHS "),
            "geography_kind": level, "measure": measure_id(row["measure"], row["measuresubcategory"]),
            "ethnic_group": group[0], "age_band": "", "sex": "", "count": None if count is None else round(count),
            "suppressed": int(count is None), "population": population,
            "population_derived": int(population is not None), "source": Path(table.source).name,
            "std_rate": std_rate,
            "std_lower": std_rate - half if std_rate is not None and half is not None else None,
            "std_upper": std_rate + half if std_rate is not None and half is not None else None,
        }  # fmt: skip
        key = tuple(record[k] for k in ("period", "geography", "measure", "ethnic_group"))
        if key in records or key in conflicts:
            # Two rows claim the same group (a mislabelled block can repeat a category name):
            # there is no telling which is right, so neither is used.
            conflicts.add(key)
            records.pop(key, None)
            continue
        records[key] = record
    if problems:
        raise DataError(problems)
    if conflicts:
        report.skipped["two rows for one geography, measure and group; neither used"] += len(
            conflicts
        )
        names = sorted({f"{k[2]} / {k[3]}" for k in conflicts})
        report.notes.append("conflicting rows: " + "; ".join(names))
    report.notes.append(
        "populations are derived from count and crude rate, both rounded: approximate"
    )
    return list(records.values()), report


def read_template(table: Table, store: Store) -> tuple[list[dict], ImportReport]:
    """The platform's template: site, period, measure, ethnic_group[, age_band, sex], count, population."""
    report = ImportReport(table.source)
    problems: list[Problem] = []
    sites = {s.code: s for s in store.list_sites(include_retired=True)}
    seen: dict[tuple, int] = {}
    records = []
    for number, row in table.rows:

        def problem(column: str, message: str, number: int | None = number) -> None:
            problems.append(Problem(table.source, message, row=number, field=column))

        site = sites.get(row["site"].upper())
        if site is None:
            problem("site", f"unknown site {row['site']!r}; add it first (ocf site add)")
            continue
        group = ethnicity.normalise(row["ethnic_group"])
        if group is None:
            problem(
                "ethnic_group",
                f"unknown ethnic group {row['ethnic_group']!r}; expected an NHS ethnic category code (A–Z, 99) or a group name such as 'Black or Black British'",
            )
            continue
        if not row["period"] or not row["measure"]:
            problem("period" if not row["period"] else "measure", "required")
            continue
        count = _number(row["count"], table.source, number, "count", problems)
        if count is not None and count != int(count):
            problem("count", f"{row['count']} is not a whole number")
            continue
        population = _number(row["population"], table.source, number, "population", problems)
        if population is None or population <= 0:
            if row["population"].strip() in SUPPRESSED or population == 0:
                problem("population", "required and greater than 0")
            continue
        if count is not None and count > population:
            problem(
                "count",
                f"{count:,.0f} is more than the population ({population:,.0f}); a count of "
                "people cannot exceed the people it is counted among",
            )
            continue
        record = {
            "period": row["period"], "geography": site.code, "geography_name": site.name,
            "geography_kind": site.kind, "measure": measure_id(row["measure"]),
            "ethnic_group": group[0], "age_band": row.get("age_band", ""), "sex": row.get("sex", ""),
            "count": None if count is None else int(count), "suppressed": int(count is None),
            "population": population, "population_derived": 0, "source": Path(table.source).name,
            "std_rate": None, "std_lower": None, "std_upper": None, "_row": number,
        }  # fmt: skip
        key = tuple(
            record[k] for k in ("period", "geography", "measure", "ethnic_group", "age_band", "sex")
        )
        if key in seen:
            problem(
                "site",
                f"the same site, period, measure, group, age band and sex as row {seen[key]}",
            )
            continue
        seen[key] = number
        records.append(record)
    if problems:
        raise DataError(problems)
    standardise(records, table.source)
    if any(r["std_rate"] is not None for r in records):
        report.notes.append(
            "age-standardised rates worked out from the age bands (European Standard "
            "Population 2013, Dobson intervals)"
        )
    return records, report


# European Standard Population 2013, by five-year band (the last is 90 and over): the standard
# PHE and OHID use for directly standardised rates. Split evenly across each band's years so
# that a file's own bands (18-34, 65+) can be weighted.
ESP_2013 = (5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
            5500, 5000, 4000, 2500, 1500, 1000)  # fmt: skip
_OLDEST = 99  # "90+" covers 90 to 99 in the per-year split
AGE_BAND = re.compile(r"\s*(\d{1,3})\s*(?:[-–]\s*(\d{1,3})|(\+)|\s+and\s+over)\s*")


@functools.cache
def age_span(band: str) -> tuple[int, int] | None:
    """A band's first and last year of age ('18-34' → (18, 34), '65+' → (65, 99)); None if
    the text is not a band."""
    match = AGE_BAND.fullmatch(band)
    if not match:
        return None
    low = int(match[1])
    high = int(match[2]) if match[2] else _OLDEST
    return (low, high) if low <= high <= _OLDEST else None


@functools.cache
def esp_weight(low: int, high: int) -> float:
    """The European Standard Population 2013 for ages low..high (whole years)."""
    per_year = [w / (10 if i == len(ESP_2013) - 1 else 5) for i, w in enumerate(ESP_2013)]
    return float(sum(per_year[min(age // 5, len(ESP_2013) - 1)] for age in range(low, high + 1)))


def standardise(records: list[dict], source: str) -> None:
    """Each group's directly standardised rate (Dobson's interval) from its age bands, set on
    every band row of the group; a group without bands, with fewer than 10 events or with a
    suppressed band has none (docs/methods.md, Standardised rates). Overlapping bands and text
    that is not a band are refused with their row.

    Worked for every group at once (a national file has tens of thousands of groups); the same
    sums as `ocf.stats.dsr`, which the tests compare it with.
    """
    banded = [r for r in records if r["age_band"]]
    if banded:
        _standardise(banded, source)
    for record in records:
        record.pop("_row", None)


_KEY = ["period", "geography", "measure", "ethnic_group"]


def _standardise(banded: list[dict], source: str) -> None:
    frame = pd.DataFrame(
        {
            **{k: [r[k] for r in banded] for k in _KEY},
            "band": [r["age_band"] for r in banded],
            "count": [np.nan if r["count"] is None else r["count"] for r in banded],
            "population": [r["population"] for r in banded],
            "row": [r["_row"] for r in banded],
        }
    )
    spans = {band: age_span(band) for band in frame["band"].unique()}
    bad = frame[frame["band"].map(lambda b: spans[b] is None)]
    problems = [
        Problem(source, f"{band!r} is not an age band; expected e.g. 0-17, 18-34 or 65+",
                row=row, field="age_band")
        for band, row in zip(bad["band"], bad["row"], strict=True)
    ]  # fmt: skip
    frame = frame.drop(bad.index)
    frame["low"] = frame["band"].map(lambda b: spans[b][0])
    frame["high"] = frame["band"].map(lambda b: spans[b][1])
    # Rows of one band (several sexes, say) add up; then bands must not overlap.
    frame["missing"] = frame["count"].isna()  # a suppressed band: no standardised rate
    bands = frame.groupby([*_KEY, "low", "high"], as_index=False, sort=True).agg(
        count=("count", "sum"),
        missing=("missing", "sum"),
        population=("population", "sum"),
        row=("row", "min"),
    )
    same = (bands[_KEY] == bands[_KEY].shift()).all(axis=1)
    overlaps = bands[same & (bands["low"] <= bands["high"].shift())]
    problems += [
        Problem(source, f"age bands overlap at {low}; each age in one band", row=row,
                field="age_band")
        for low, row in zip(overlaps["low"], overlaps["row"], strict=True)
    ]  # fmt: skip
    if problems:
        raise DataError(problems)
    weights = {
        span: esp_weight(*span) for span in set(zip(bands["low"], bands["high"], strict=True))
    }
    w = np.array([weights[s] for s in zip(bands["low"], bands["high"], strict=True)])
    x, n = bands["count"].to_numpy(float), bands["population"].to_numpy(float)
    bands = bands.assign(w=w, x=x, rate_part=w * x / n, var_part=x * (w / n) ** 2)
    sums = bands.groupby(_KEY, sort=False).agg(
        total=("x", "sum"),
        missing=("missing", "sum"),
        w=("w", "sum"),
        rate_part=("rate_part", "sum"),
        var_part=("var_part", "sum"),
    )
    sums = sums[(sums["missing"] == 0) & (sums["total"] >= DSR_MINIMUM_EVENTS)]
    if sums.empty:
        return
    total = sums["total"].to_numpy(float)
    value = sums["rate_part"].to_numpy(float) / sums["w"].to_numpy(float)
    scale = np.sqrt(sums["var_part"].to_numpy(float) / sums["w"].to_numpy(float) ** 2 / total)
    low, high = poisson_limits(total)
    result = dict(
        zip(
            sums.index,
            zip(value * 1e5, (value + scale * (low - total)) * 1e5,
                (value + scale * (high - total)) * 1e5, strict=True),
            strict=True,
        )
    )  # fmt: skip
    for record in banded:
        figures = result.get(tuple(record[k] for k in _KEY))
        if figures is not None:
            record.update(
                std_rate=float(figures[0]), std_lower=float(figures[1]), std_upper=float(figures[2])
            )


def read_detentions(
    path: str | Path, store: Store, fmt: str = "auto", text: str | None = None
) -> tuple[list[dict], ImportReport]:
    """Validate a whole file without writing: the records it holds and what it skips.

    With `text`, that is the file's content and `path` only names it in messages (an upload's
    name is never opened as a path).
    """
    source = str(path)
    if text is None:
        if not Path(path).is_file():
            raise DataError([Problem(source, "no such file")])
        text = read_text(path)
    fmt = detect_format(text) if fmt == "auto" else fmt
    if fmt == "nhs-mha-annual":
        return read_nhs_annual(read_table(source, NHS_COLUMNS, NHS_REQUIRED, text=text))
    if fmt == "template":
        return read_template(
            read_table(source, TEMPLATE_COLUMNS, TEMPLATE_REQUIRED, text=text), store
        )
    raise DataError(
        [Problem(source, f"unknown format {fmt!r}; expected auto, nhs-mha-annual or template")]
    )


def import_detentions(
    path: str | Path, store: Store, actor: str, fmt: str = "auto"
) -> ImportReport:
    """Validate a whole file, then write it in one transaction (replacing rows with the same key)."""
    records, report = read_detentions(path, store, fmt)
    report.added, report.replaced = store.upsert_detentions(records, actor, Path(path).name)
    return report
