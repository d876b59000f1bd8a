"""Importing responses from a long-format CSV in bounded memory, all or nothing.

`ocf import responses` and the admin's Data imports page read the file as a stream: each row
is checked as it is read (site, round, survey, item, value) and kept compactly, as integer
codes in arrays (about 20 bytes an answer, against about 700 for a row of Python strings), so
that a 200 MB file needs about its own size in memory, whatever its length. Each respondent's
rows are then checked together (no item twice, required items answered, hidden items not) and
only a file with no problem at all is written, in one transaction, chunk by chunk
(`Store.add_submitted`). Problems name the file, row and column, as every import does.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ocf.answers import hidden_but_answered, missing_required, parse_answer
from ocf.errors import DataError, Problem
from ocf.importers import MOST_PROBLEMS, Interned, Progress, Row
from ocf.models import Answer, Response
from ocf.store import Store


@dataclass
class ResponseBatch:
    """Validated responses, kept compactly until they are written: one entry per answer in
    parallel arrays (respondent, item, value, row), respondents and texts by index."""

    source: str
    keys: list[tuple[str, str, str, str]] = field(default_factory=list)
    interned: Interned = field(default_factory=Interned)  # item ids and values, as codes
    texts: dict[int, str] = field(default_factory=dict)  # answer index → its words
    respondent: array = field(default_factory=lambda: array("i"))
    item: array = field(default_factory=lambda: array("i"))
    value: array = field(default_factory=lambda: array("i"))  # -1: no value (words only)
    row: array = field(default_factory=lambda: array("i"))  # files have fewer than 2^31 rows

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def terms(self) -> list[str]:
        return self.interned.texts

    @property
    def answers(self) -> int:
        return len(self.item)

    def order(self) -> np.ndarray:
        """Answers grouped by respondent, each respondent's in file order (a stable sort of
        answers that are already in file order)."""
        return np.argsort(np.asarray(self.respondent), kind="stable")

    def responses(self, assisted: bool = False) -> Iterator[Response]:
        """Each respondent's Response, one at a time (never all at once)."""
        order = self.order()
        who = np.asarray(self.respondent)[order]
        bounds = np.flatnonzero(np.diff(who)) + 1
        terms, texts, items, values = self.terms, self.texts, self.item, self.value
        for part in np.split(order, bounds) if len(order) else []:
            site, round_id, survey, respondent = self.keys[self.respondent[part[0]]]
            answers = tuple(
                Answer(
                    terms[items[i]],
                    terms[values[i]] if values[i] >= 0 else None,
                    texts.get(int(i)),
                )
                for i in part
            )
            yield Response(site, round_id, survey, respondent, answers, assisted=assisted)

    def summary(self) -> pd.DataFrame:
        """One row per response: site, round, survey, respondent, answers (for the preview)."""
        counts = np.bincount(np.asarray(self.respondent), minlength=len(self.keys))
        frame = pd.DataFrame(self.keys, columns=["Site", "Round", "Survey", "Respondent"])
        frame["Answers"] = counts
        return frame


def read_responses(
    rows: Iterator[Row] | list[Row], source: str, store: Store, progress: Progress | None = None
) -> ResponseBatch:
    """Every row checked as it comes, then each respondent's rows together; a DataError lists
    every problem (up to MOST_PROBLEMS) by row. Writes nothing."""
    problems: list[Problem] = []
    sites = {s.code for s in store.list_sites()}
    rounds = {r.id: r for r in store.list_rounds()}
    batch = ResponseBatch(source)
    code = batch.interned
    index: dict[tuple[str, str, str, str], int] = {}

    def problem(row: int | None, column: str, message: str) -> None:
        problems.append(Problem(source, message, row=row, field=column))

    closures = functools.cache(store.panel_closures)
    assesses = functools.cache(store.assesses)
    surveys_of = functools.cache(store.round_surveys)
    scale_of = functools.cache(lambda round_id: store.round_framework(round_id).scale)

    @functools.lru_cache(maxsize=4096)
    def parsed(round_id: str, survey_id: str, item_id: str, value: str) -> Answer:
        """Most answers are a value from a short list: each is parsed once."""
        item = surveys_of(round_id)[survey_id].item(item_id)
        return parse_answer(item, value, None, scale_of(round_id))

    for number, row in rows:
        if len(problems) >= MOST_PROBLEMS:
            break
        site, round_id, survey_id = row["site"].upper(), row["round"], row["survey"]
        respondent, item_id = row["respondent"], row["item"]
        if site not in sites:
            problem(number, "site", f"unknown site {row['site']!r}")
            continue
        round_ = rounds.get(round_id)
        if round_ is not None and (why := assesses(site, round_id)) is not None:
            problem(number, "site", why)
            continue
        if round_ is None:
            problem(number, "round", f"unknown round {round_id!r}")
            continue
        if round_.status != "open":
            problem(
                number,
                "round",
                f"round {round_id} is {round_.status}; responses can only be added while it is open",
            )
            continue
        surveys = surveys_of(round_id)
        survey = surveys.get(survey_id)
        if survey is None:
            problem(
                number,
                "survey",
                f"survey {survey_id!r} is not part of round {round_id}; expected {', '.join(surveys)}",
            )
            continue
        if survey.audience == "panel" and site in closures(round_id):
            problem(
                number,
                "site",
                f"the panel for {site} in round {round_id} is closed: its answers are frozen, "
                "so nothing can be added to it (docs/security.md)",
            )
            continue
        if not respondent:
            problem(
                number,
                "respondent",
                "required; expected a label for the respondent (not their name)",
            )
            continue
        try:
            item = survey.item(item_id)
        except KeyError:
            problem(number, "item", f"unknown item {item_id!r} in survey {survey_id}")
            continue
        words = row.get("text") or None
        try:
            if words is None:
                answer = parsed(round_id, survey_id, item_id, row["value"])
            else:
                answer = parse_answer(item, row["value"], words, scale_of(round_id))
        except ValueError as exc:
            problem(number, "value", f"item {item_id}: {exc}")
            continue
        key = (site, round_id, survey_id, respondent)
        who = index.get(key)
        if who is None:
            who = index[key] = len(batch.keys)
            batch.keys.append(key)
        if answer.text is not None:
            batch.texts[len(batch.item)] = answer.text
        batch.respondent.append(who)
        batch.item.append(code(item.id))
        batch.value.append(code(answer.value) if answer.value is not None else -1)
        batch.row.append(number)
    if progress is not None:
        progress("Checking each respondent's answers together", 1.0)
    if len(problems) < MOST_PROBLEMS:
        _check_respondents(batch, store, problems, surveys_of)
    if problems:
        raise DataError(sorted(problems, key=lambda p: p.row or 0)[:MOST_PROBLEMS])
    return batch


def _check_respondents(batch: ResponseBatch, store: Store, problems: list, surveys_of) -> None:
    """No item twice, no respondent already stored, required items answered, hidden not."""
    source = batch.source
    respondents, items, rows_of = (
        np.asarray(batch.respondent),
        np.asarray(batch.item),
        np.asarray(batch.row),
    )
    # An item twice: by respondent and item (a stable sort, so in file order within them), a
    # repeat sits right after the first.
    by_item = np.lexsort((items, respondents))
    who, item, row = respondents[by_item], items[by_item], rows_of[by_item]
    same = (who[1:] == who[:-1]) & (item[1:] == item[:-1])
    twice: set[int] = set()
    for later in np.flatnonzero(same) + 1:
        first = later - 1
        while first > 0 and same[first - 1]:
            first -= 1
        key = batch.keys[who[later]]
        twice.add(int(who[later]))
        problems.append(
            Problem(
                source,
                f"{key[3]} answers {batch.terms[item[later]]} twice (first at row {row[first]})",
                row=int(row[later]),
                field="item",
            )
        )
    del by_item, item, same
    order = batch.order()
    who, row = respondents[order], rows_of[order]
    stored = functools.cache(store.respondents)
    bounds = np.flatnonzero(np.diff(who)) + 1
    starts = np.concatenate(([0], bounds)) if len(who) else np.array([], dtype=int)
    ends = np.concatenate((bounds, [len(who)])) if len(who) else np.array([], dtype=int)
    for start, end in zip(starts, ends, strict=True):
        person = int(who[start])
        site, round_id, survey_id, respondent = batch.keys[person]
        first_row = int(row[start:end].min())
        if respondent in stored(site, round_id, survey_id):
            problems.append(
                Problem(
                    source,
                    f"{respondent} already has a submission for {site}, round {round_id}, survey "
                    f"{survey_id}; nothing is imported twice",
                    row=first_row,
                    field="respondent",
                )
            )
            continue
        if person in twice:
            continue
        survey = surveys_of(round_id)[survey_id]
        answers: dict[str, Answer] = {}
        rows: dict[str, int] = {}
        for i in order[start:end]:
            item_id = batch.terms[batch.item[i]]
            value = batch.value[i]
            answers[item_id] = Answer(item_id, batch.terms[value] if value >= 0 else None)
            rows[item_id] = batch.row[i]
        for missing in missing_required(survey, answers):
            problems.append(
                Problem(
                    source,
                    f"{respondent} does not answer required item {missing.id}",
                    row=first_row,
                    field="item",
                )
            )
        for hidden in hidden_but_answered(survey, answers):
            condition = hidden.show_if
            problems.append(
                Problem(
                    source,
                    f"{respondent} answers {hidden.id}, which is only asked when "
                    f"{condition.item} {condition.operator} {', '.join(condition.values)}",
                    row=rows[hidden.id],
                    field="item",
                )
            )
        if len(problems) >= MOST_PROBLEMS:
            return
