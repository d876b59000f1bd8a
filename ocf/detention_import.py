"""Detention data imports: NHS England's MHA annual statistics CSV and the platform template.

A file is checked whole; any error (a bad number, a negative count, an unknown group) refuses
it with FILE:ROW N: field: message lines and nothing is written. Rows that are not errors but
not usable (another breakdown, an unknown organisation level, a provider without population)
are skipped and counted by reason in the report. Re-importing a file replaces its rows: the
key is (period, geography, measure, ethnic group, age band, sex).
"""

from __future__ import annotations

import functools
import io
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ocf import ethnicity
from ocf.denominators import DENOMINATORS, PEOPLE, parse_kind
from ocf.disparity import ROUND_TO, SMALL_COUNTS
from ocf.errors import DataError, Problem
from ocf.importers import (
    MOST_PROBLEMS,
    Interned,
    Progress,
    Row,
    Table,
    as_stream,
    bytes_left,
    open_binary,
    stream_rows,
)
from ocf.measures import measure_id, measure_name
from ocf.models import Site
from ocf.stats import DSR_MINIMUM_EVENTS, poisson_limits
from ocf.store import Store

__all__ = [
    "AGE_BAND",
    "ESP_2013",
    "LARGEST",
    "LEVELS",
    "NATIONAL",
    "NHS_COLUMNS",
    "NHS_REQUIRED",
    "PART_ROWS",
    "SUPPRESSED",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_REQUIRED",
    "ImportReport",
    "TemplateRecords",
    "age_span",
    "detect_format",
    "esp_weight",
    "import_detentions",
    "measure_id",
    "read_detentions",
    "read_nhs_annual",
    "read_template",
]


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
    # Optional (issue 33): what `population` counts, one kind per measure and period
    # (ocf.denominators): people (the default), occupied bed days or admissions.
    "denominator_kind",
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
    # Each area's count of every detention, ethnicity known or not (`Store.detention_totals`).
    totals: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.source}: {self.added} row(s) added, {self.replaced} replaced"]
        out += [
            f"  skipped {n} row(s): {reason}"
            for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1])
        ]
        out += [f"  note: {note}" for note in self.notes]
        return out


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


def _total_row(
    row: dict[str, str], source: str, number: int | None, problems: list[Problem]
) -> dict | None:
    """An area's count of all detentions (every ethnicity, acute hospitals too), from a row
    by nothing: England's from its "All submissions" row of both data sources, an ICB's or
    sub-ICB's from its own. None for any other such row."""
    level = LEVELS.get(row["organisationbreakdown"])
    both = row.get("datasource", "") == "Both"  # the MHSDS and acute hospitals together
    national = level == "national" and row["orgid"] == "All prov" and both
    local = level in ("icb", "sub-icb") and row["orgid"] not in ("All prov", "", "UNKNOWN")
    if not (national or local):
        return None
    total = _number(row["total_count"], source, number, "Total_Count", problems)
    if total is None:
        return None
    recorded = _number(row.get("mhsds_count", ""), source, number, "MHSDS_Count", problems)
    acute = _number(row.get("acute_count", ""), source, number, "Acute_Count", problems)
    return {
        "period": row["year"].replace("/", "-"),
        "geography": NATIONAL if national else row["orgid"],
        "measure": measure_id(row["measure"], row["measuresubcategory"]),
        "recorded": None if recorded is None else round(recorded),
        "acute": None if acute is None else round(acute),
        "total": round(total),
        "source": Path(source).name,
    }


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
    totals: dict[tuple, dict] = {}
    for number, row in table.rows:
        if row["demographic"] == "All" and row["demographicbreakdown"] == "All":
            total = _total_row(row, table.source, number, problems)
            if total is not None:
                totals[(total["period"], total["geography"], total["measure"])] = total
                continue
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
            "denominator_kind": PEOPLE,
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

        names = sorted({f"{measure_name(k[2])} / {k[3]}" for k in conflicts})
        report.notes.append("Conflicting rows: " + "; ".join(names))
    report.notes.append(
        "Populations are derived from count and crude rate, both rounded: approximate."
    )
    report.totals = list(totals.values())
    return list(records.values()), report


_TEMPLATE_KEY = ("period", "geography", "measure", "ethnic_group", "age_band", "sex")
_COLUMNS = (
    "period", "geography", "geography_name", "geography_kind", "measure", "ethnic_group",
    "age_band", "sex", "count", "suppressed", "population", "population_derived", "source",
    "std_rate", "std_lower", "std_upper",
)  # fmt: skip


@dataclass
class TemplateRecords:
    """A template file's rows, checked, kept as columns of codes and numbers (about 50 bytes a
    row, against about 1.5 kB as a dict) until they are written. Iterating gives each row as
    the record `store.detentions.upsert_detentions` takes, one at a time."""

    source: str
    sites: Mapping[str, Site]
    texts: Interned = field(default_factory=Interned)
    codes: dict[str, array] = field(default_factory=lambda: {k: array("i") for k in _TEMPLATE_KEY})
    count: array = field(default_factory=lambda: array("d"))  # NaN: suppressed
    population: array = field(default_factory=lambda: array("d"))
    kind: array = field(default_factory=lambda: array("i"))  # a code of the denominator's kind
    row: array = field(default_factory=lambda: array("i"))
    standardised: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.row)

    def __iter__(self):
        texts = self.texts.texts
        name = Path(self.source).name
        std = self.standardised
        for i in range(len(self.row)):
            period, geography, measure, group, band, sex = (
                texts[self.codes[k][i]] for k in _TEMPLATE_KEY
            )
            site = self.sites[geography]
            count = self.count[i]
            suppressed = math.isnan(count)
            yield {
                "period": period, "geography": geography, "geography_name": site.name,
                "geography_kind": site.kind, "measure": measure, "ethnic_group": group,
                "age_band": band, "sex": sex, "count": None if suppressed else int(count),
                "suppressed": int(suppressed), "population": self.population[i],
                "population_derived": 0, "source": name,
                "denominator_kind": texts[self.kind[i]],
                **_standardised(std, i),
            }  # fmt: skip

    def rated(self) -> bool:
        """Whether any group got a standardised rate."""
        rates = self.standardised.get("std_rate")
        return rates is not None and not np.isnan(rates).all()

    def periods(self) -> set[str]:
        return {self.texts.texts[c] for c in set(self.codes["period"])}


def _standardised(figures: dict[str, np.ndarray], i: int) -> dict[str, float | None]:
    """Row i's group's standardised rate and interval, or None for each."""
    group = int(figures["group"][i]) if figures else -1
    if group < 0 or np.isnan(figures["std_rate"][group]):
        return {"std_rate": None, "std_lower": None, "std_upper": None}
    return {k: float(figures[k][group]) for k in ("std_rate", "std_lower", "std_upper")}


def read_template(
    table: Table | Iterable[Row], store: Store, source: str | None = None
) -> tuple[TemplateRecords, ImportReport]:
    """The platform's template: site, period, measure, ethnic_group[, age_band, sex], count,
    population. `table` may be a stream of rows (`source` then names the file): each row is
    checked as it comes and kept as codes, so memory grows by about the file's size at most."""
    if isinstance(table, Table):
        source, rows = table.source, table.rows
    else:
        rows = table
    if source is None:
        raise ValueError("a stream of rows needs its source (the file's name)")
    report = ImportReport(source)
    problems: list[Problem] = []
    sites = {s.code: s for s in store.sites.list_sites(include_retired=True)}
    records = TemplateRecords(source, sites)
    code = records.texts
    normalise = functools.lru_cache(maxsize=4096)(ethnicity.normalise)
    kinds: dict[tuple[str, str], tuple[str, int]] = {}  # (period, measure) → kind, first row
    measure_of = functools.lru_cache(maxsize=1024)(measure_id)
    for number, row in rows:
        if len(problems) >= MOST_PROBLEMS:
            break

        def problem(column: str, message: str, number: int | None = number) -> None:
            problems.append(Problem(source, message, row=number, field=column))

        site = sites.get(row["site"].upper())
        if site is None:
            problem("site", f"unknown site {row['site']!r}; add it first (ocf site add)")
            continue
        group = normalise(row["ethnic_group"])
        if group is None:
            problem(
                "ethnic_group",
                f"unknown ethnic group {row['ethnic_group']!r}; expected an NHS ethnic category code (A–Z, 99) or a group name such as 'Black or Black British'",
            )
            continue
        if not row["period"] or not row["measure"]:
            problem("period" if not row["period"] else "measure", "required")
            continue
        count = _number(row["count"], source, number, "count", problems)
        if count is not None and count != int(count):
            problem("count", f"{row['count']} is not a whole number")
            continue
        kind = parse_kind(row.get("denominator_kind"))
        if kind is None:
            problem(
                "denominator_kind",
                f"{row['denominator_kind']!r} is not a kind of denominator; expected "
                f"{', '.join(DENOMINATORS)} (empty: people)",
            )
            continue
        per = DENOMINATORS[kind]
        population = _number(row["population"], source, number, "population", problems)
        if population is None or population <= 0:
            if row["population"].strip() in SUPPRESSED or population == 0:
                what = "" if kind == PEOPLE else f" (the {per.noun})"
                problem("population", f"required and greater than 0{what}")
            continue
        if count is not None and count > population and kind != "occupied-bed-days":
            problem(
                "count",
                f"{count:,.0f} is more than the population ({population:,.0f}); a count of "
                "people cannot exceed the people it is counted among"
                if kind == PEOPLE
                else f"{count:,.0f} is more than the admissions ({population:,.0f}); a count "
                "cannot exceed the admissions it is counted among",
            )
            continue
        if row.get("age_band", "") and not per.standardised:
            problem(
                "age_band",
                f"age bands standardise rates per person; a rate {per.unit} is not "
                "standardised, so give one row per group without an age band",
            )
            continue
        measure = measure_of(row["measure"])
        said = kinds.setdefault((row["period"], measure), (kind, number or 0))
        if said[0] != kind:
            problem(
                "denominator_kind",
                f"{kind}, but row {said[1]} gives {said[0]} for {measure} in {row['period']}; "
                "a measure has one kind of denominator in a period",
            )
            continue
        values = (row["period"], site.code, measure, group[0],
                  row.get("age_band", ""), row.get("sex", ""))  # fmt: skip
        for key, text in zip(_TEMPLATE_KEY, values, strict=True):
            records.codes[key].append(code(text))
        records.count.append(math.nan if count is None else count)
        records.population.append(population)
        records.kind.append(code(kind))
        records.row.append(number)
    held = store.detentions.denominator_kinds({period for period, _ in kinds})
    for (period, measure), (kind, number) in kinds.items():
        if held.get((period, measure), kind) != kind:
            problems.append(
                Problem(
                    source,
                    f"{kind}, but the {measure} figures held for {period} are counted against "
                    f"{held[(period, measure)]}; a measure has one kind of denominator in a "
                    "period (import the others again with this kind, or name another measure)",
                    row=number,
                    field="denominator_kind",
                )
            )
    if problems:
        raise DataError(sorted(problems, key=lambda p: p.row or 0)[:MOST_PROBLEMS])
    _check_and_standardise(records)
    if records.rated():
        report.notes.append(
            "Age-standardised rates worked out from the age bands (European Standard "
            "Population 2013, Dobson intervals)."
        )
    return records, report


PART_ROWS = 1 << 16  # rows checked and standardised at once: bounds the working arrays


def _check_and_standardise(records: TemplateRecords) -> None:
    """Refuse repeated keys and bad age bands, then work out each group's directly standardised
    rate (Dobson's interval) from its age bands, kept once per group with each row's group; a
    group without bands, with fewer than 10 events or with a suppressed band has none
    (docs/methods.md, Standardised rates). Done a part of the file at a time (`_parts`), so
    the working arrays stay the same size however long the file is; the sums are those of
    `ocf.stats.dsr`, which the tests compare them with."""
    problems: list[Problem] = []
    found: list[tuple[np.ndarray, ...]] = []
    of_row = np.full(len(records), -1, dtype=np.int32)  # each row's group; -1: none
    groups = 0
    codes = {k: np.asarray(records.codes[k]) for k in _TEMPLATE_KEY}
    numbers = np.asarray(records.row)
    count, population = np.asarray(records.count), np.asarray(records.population)
    none = records.texts.codes.get("")
    for rows in _parts(records):
        keys = {k: column[rows] for k, column in codes.items()}
        problems += _repeated_keys(keys, numbers[rows], records.source)
        banded = np.flatnonzero(keys["age_band"] != (-1 if none is None else none))
        if len(banded):
            group = _group_ids([keys[k][banded] for k in _KEY])
            at = rows[banded]
            bad, figures = _band_rates(
                group, keys["age_band"][banded], records.texts.texts, count[at],
                population[at], numbers[at], records.source,
            )  # fmt: skip
            problems += bad
            if figures:
                of_row[at] = group + groups
                groups += len(figures[0])
                found.append(figures)
        if len(problems) >= MOST_PROBLEMS:
            break
    if problems:
        raise DataError(sorted(problems, key=lambda p: p.row or 0)[:MOST_PROBLEMS])
    if found:
        records.standardised = {
            "group": of_row,
            **{
                name: np.concatenate([figures[i] for figures in found])
                for i, name in enumerate(("std_rate", "std_lower", "std_upper"))
            },
        }


def _parts(records: TemplateRecords) -> Iterator[np.ndarray]:
    """The rows' indices in parts of about PART_ROWS rows, all the rows of a group (period,
    site, measure, ethnic group) in the same part: the part is a hash of the group's codes."""
    n = len(records)
    parts = -(-n // PART_ROWS)
    if parts <= 1:
        yield np.arange(n)
        return
    columns = [np.asarray(records.codes[k]) for k in _KEY]
    label = np.empty(n, dtype=np.uint16)
    for start in range(0, n, PART_ROWS):
        mixed = np.zeros(len(columns[0][start : start + PART_ROWS]), dtype=np.uint64)
        for column in columns:
            mixed = _mix(mixed ^ column[start : start + PART_ROWS].astype(np.uint64))
        label[start : start + PART_ROWS] = mixed % np.uint64(parts)
    for part in range(parts):
        yield np.flatnonzero(label == part)


def _mix(h: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: codes next to each other land in unrelated parts."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _group_ids(columns: list[np.ndarray]) -> np.ndarray:
    """Each row's group as a number 0, 1, 2, … from its key columns (renumbered after each
    column, so that the combined number never overflows)."""
    ids = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        ids = ids * (int(column.max()) + 1) + column
        ids = np.unique(ids, return_inverse=True)[1].reshape(-1)
    return ids


def _repeated_keys(keys: dict[str, np.ndarray], rows: np.ndarray, source: str) -> list[Problem]:
    """Rows with the same site, period, measure, group, age band and sex as an earlier row
    (`keys` holds the rows' codes by column, `rows` their file rows)."""
    if not len(rows):
        return []
    columns = [keys[k] for k in _TEMPLATE_KEY]
    order = np.lexsort((rows, *reversed(columns)))
    same = np.ones(len(order) - 1, dtype=bool)
    for column in columns:
        ordered = column[order]
        same &= ordered[1:] == ordered[:-1]
    problems = []
    for later in np.flatnonzero(same) + 1:
        first = later - 1
        while first > 0 and same[first - 1]:
            first -= 1
        problems.append(
            Problem(
                source,
                f"the same site, period, measure, group, age band and sex as row "
                f"{rows[order[first]]}",
                row=int(rows[order[later]]),
                field="site",
            )
        )
    return problems


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


_KEY = ["period", "geography", "measure", "ethnic_group"]


def _band_rates(
    group: np.ndarray,
    band: np.ndarray,
    band_texts: list[str],
    count: np.ndarray,
    population: np.ndarray,
    row: np.ndarray,
    source: str,
) -> tuple[list[Problem], tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """Each group's standardised rate and interval (NaN where it has none; indexed by the group
    ids given), from rows given as arrays: group id (0, 1, 2, …), band code (texts in
    `band_texts`), count (NaN: suppressed), population, file row. Worked with sorting and
    `bincount` (no per-row Python, and a few numbers per row of memory). Bands that are not
    bands, or overlap, are problems by row, and then there are no figures."""
    spans = [age_span(text) for text in band_texts]
    bad = np.array([span is None for span in spans], dtype=bool)[band]
    problems = [
        Problem(source, f"{band_texts[b]!r} is not an age band; expected e.g. 0-17, 18-34 or 65+",
                row=int(r), field="age_band")
        for b, r in zip(band[bad], row[bad], strict=True)
    ]  # fmt: skip
    # Spans numbered in order of (low, high), so that sorting by span sorts bands by age.
    distinct = sorted({span for span in spans if span is not None})
    span_id = np.array([distinct.index(span) if span else -1 for span in spans])
    lows = np.array([low for low, _ in distinct] or [0])
    highs = np.array([high for _, high in distinct] or [0])
    if bad.any():  # (refused below; the rest are still checked for overlaps)
        group, band, count, population, row = (
            a[~bad] for a in (group, band, count, population, row)
        )
    # Rows of one band (several sexes, say) add up.
    key = group.astype(np.int64) * len(distinct)
    key += span_id[band]
    unique, inverse = np.unique(key, return_inverse=True)
    del key
    missing = np.bincount(inverse, weights=np.isnan(count), minlength=len(unique))
    x = np.bincount(inverse, weights=np.nan_to_num(count), minlength=len(unique))
    # Template sites are below national level: the rate is worked from the band counts as the
    # disclosure rule would publish them (rounded to 5), and withheld where a band holds 1 to
    # 4 (docs/methods.md, Disclosure of counts). From exact counts, Dobson's interval gave each
    # group's exact count back, and with it a suppressed sibling (issue 31).
    missing += np.isin(x, list(SMALL_COUNTS))
    x = np.floor(x / ROUND_TO + 0.5) * ROUND_TO
    n = np.bincount(inverse, weights=population, minlength=len(unique))
    first = np.full(len(unique), np.iinfo(np.int64).max)
    np.minimum.at(first, inverse, row)
    del inverse
    by_group, by_span = unique // max(len(distinct), 1), unique % max(len(distinct), 1)
    # Then bands must not overlap: sorted by group and age, each starts after the last ends.
    low, high = lows[by_span], highs[by_span]
    overlap = np.flatnonzero((by_group[1:] == by_group[:-1]) & (low[1:] <= high[:-1])) + 1
    problems += [
        Problem(source, f"age bands overlap at {low[i]}; each age in one band",
                row=int(first[i]), field="age_band")
        for i in overlap
    ]  # fmt: skip
    if problems:
        return problems, None
    weights = np.array([esp_weight(*span) for span in distinct] or [0.0])
    w = weights[by_span]
    groups = int(group.max()) + 1 if len(group) else 0
    total = np.bincount(by_group, weights=x, minlength=groups)
    absent = np.bincount(by_group, weights=missing, minlength=groups)
    w_sum = np.bincount(by_group, weights=w, minlength=groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_part = np.bincount(by_group, weights=w * x / n, minlength=groups)
        var_part = np.bincount(by_group, weights=x * (w / n) ** 2, minlength=groups)
        rated = (absent == 0) & (total >= DSR_MINIMUM_EVENTS) & (w_sum > 0)
        value = np.where(rated, rate_part / w_sum, np.nan)
        scale = np.sqrt(var_part / w_sum**2 / total)
    lower, upper = np.full(groups, np.nan), np.full(groups, np.nan)
    if rated.any():
        t = total[rated]
        limit_low, limit_high = poisson_limits(t)
        lower[rated] = (value[rated] + scale[rated] * (limit_low - t)) * 1e5
        upper[rated] = (value[rated] + scale[rated] * (limit_high - t)) * 1e5
    return [], (value * 1e5, lower, upper)


def read_detentions(
    path: str | Path,
    store: Store,
    fmt: str = "auto",
    text: str | None = None,
    stream: BinaryIO | None = None,
    progress: Progress | None = None,
) -> tuple[Iterable[dict] | TemplateRecords, ImportReport]:
    """Validate a whole file without writing: the records it holds and what it skips.

    With `text`, that is the file's content and `path` only names it in messages (an upload's
    name is never opened as a path); with `stream` (binary), the file is read as it comes.
    """
    source = str(path)
    if stream is None and text is None:
        with open_binary(path) as opened:
            return read_detentions(path, store, fmt, stream=opened, progress=progress)
    if stream is None:
        assert text is not None
        stream = as_stream(text)
    buffered: Any = stream if hasattr(stream, "peek") else io.BufferedReader(stream, 1 << 20)
    head = buffered.peek(1 << 16)[: 1 << 16].decode("utf-8", errors="replace")
    fmt = detect_format(head) if fmt == "auto" else fmt
    if fmt not in ("nhs-mha-annual", "template"):
        raise DataError(
            [Problem(source, f"unknown format {fmt!r}; expected auto, nhs-mha-annual or template")]
        )
    size = bytes_left(buffered)
    if fmt == "nhs-mha-annual":
        rows = stream_rows(buffered, source, size, progress, NHS_COLUMNS, NHS_REQUIRED)
        return read_nhs_annual(Table(source, rows))
    rows = stream_rows(buffered, source, size, progress, TEMPLATE_COLUMNS, TEMPLATE_REQUIRED)
    return read_template(rows, store, source)


def import_detentions(
    path: str | Path, store: Store, actor: str, fmt: str = "auto", progress: Progress | None = None
) -> ImportReport:
    """Validate a whole file, then write it in one transaction (replacing rows with the same key)."""
    records, report = read_detentions(path, store, fmt, progress=progress)
    report.added, report.replaced = store.detentions.upsert_detentions(
        records, actor, Path(path).name, report.totals
    )
    return report
