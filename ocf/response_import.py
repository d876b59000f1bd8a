"""Importing responses from a long-format CSV in bounded memory, all or nothing.

`ocf import responses` and the admin's Data imports page read the file as a stream: each row
is checked as it is read (site, round, survey, item, value) and kept compactly, as integer
codes in arrays (about 16 bytes an answer and 30 a respondent, against about 700 for a row of
Python strings), so that a file needs no more than its own size in memory, whatever its length
and however few answers each respondent gives. Each respondent's
rows are then checked together (no item twice, required items answered, hidden items not) and
only a file with no problem at all is written, in one transaction, chunk by chunk
(`store.submissions.add_submitted`). Problems name the file, row and column, as every import does.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
import pandas as pd

from ocf.answers import hidden_but_answered, missing_required, parse_answer
from ocf.errors import DataError, NotFound, Problem
from ocf.importers import MOST_PROBLEMS, Interned, Progress, Row
from ocf.models import Answer, Response
from ocf.store import Store

__all__ = [
    "Respondents",
    "ResponseBatch",
    "read_responses",
]


class Respondents(Sequence[tuple[str, str, str, str]]):
    """Each respondent's (site, round, survey, label), made when asked for: a file of a million
    respondents keeps their labels as bytes in one buffer, not as a million tuples of strings.

    Rows are read in runs (consecutive rows of one respondent); a respondent whose rows are
    not all together has several runs, joined by `finish`."""

    def __init__(self) -> None:
        self.groups = Interned()  # (site, round, survey) as one code each
        self.labels = bytearray()  # every run's label, UTF-8, one after another
        self.ends = array("q")  # where each run's label ends in `labels`
        self.group = array("i")  # each run's group
        self.hashes = array("q")  # each run's (group, label) hash, until `finish`
        self.first_run = np.empty(0, dtype=np.int64)  # each respondent's first run

    def start_run(self, site: str, round_id: str, survey: str, label: str) -> None:
        group = self.groups("\x1f".join((site, round_id, survey)))
        self.labels += label.encode()
        self.ends.append(len(self.labels))
        self.group.append(group)
        self.hashes.append(hash((group, label)))

    def group_keys(self) -> set[tuple[str, str, str]]:
        """Every (site, round, survey) the respondents belong to."""
        return {(a, b, c) for a, b, c in (text.split("\x1f") for text in self.groups.texts)}

    @property
    def runs(self) -> int:
        return len(self.ends)

    def _label(self, run: int) -> str:
        start = self.ends[run - 1] if run else 0
        return self.labels[start : self.ends[run]].decode()

    def _key(self, run: int) -> tuple[str, str, str, str]:
        site, round_id, survey = self.groups.texts[self.group[run]].split("\x1f")
        return site, round_id, survey, self._label(run)

    def finish(self) -> np.ndarray | None:
        """Number the respondents in the order they first appear; returns each run's
        respondent, or None when each run is a respondent of its own (a file grouped by
        respondent, as most are: nothing more is allocated). Runs with one hash are compared
        in full, so a hash collision never joins two respondents."""
        runs = self.runs
        hashes = np.frombuffer(self.hashes, dtype=np.int64) if runs else np.empty(0, np.int64)
        ordered = np.sort(hashes)
        repeated = bool(np.any(ordered[1:] == ordered[:-1]))
        del ordered
        if not repeated:
            self.first_run = np.arange(runs, dtype=np.int64)
            self.hashes = array("q")
            return None
        by_hash = np.argsort(hashes, kind="stable")  # within one hash, in file order
        sorted_hashes = hashes[by_hash]
        starts = np.ones(runs, dtype=bool)
        starts[1:] = sorted_hashes[1:] != sorted_hashes[:-1]
        del sorted_hashes
        owner = np.empty(runs, dtype=np.int64)  # each run's respondent, numbered by hash
        owner[by_hash] = np.cumsum(starts) - 1
        count = int(starts.sum())
        # A respondent in several runs, or (rarely) two respondents with one hash: compare.
        block_starts = np.flatnonzero(starts)
        sizes = np.diff(np.append(block_starts, runs))
        for block in np.flatnonzero(sizes > 1):
            first = int(block_starts[block])
            members = by_hash[first : first + int(sizes[block])]
            seen: dict[tuple[str, str, str, str], int] = {}
            for run in members.tolist():
                key = self._key(run)
                if key not in seen:
                    if seen:  # one hash, another respondent: a number of its own
                        seen[key], count = count, count + 1
                    else:
                        seen[key] = int(owner[run])
                owner[run] = seen[key]
        del by_hash, starts
        # Respondents in order of first appearance, as the file has them.
        first_run = np.full(count, runs, dtype=np.int64)
        np.minimum.at(first_run, owner, np.arange(runs))
        order = np.argsort(first_run, kind="stable")
        rank = np.empty(count, dtype=np.int64)
        rank[order] = np.arange(count)
        self.first_run = first_run[order]
        self.hashes = array("q")
        return rank[owner].astype(np.int32)

    def __len__(self) -> int:
        return len(self.first_run)

    @overload
    def __getitem__(self, index: int) -> tuple[str, str, str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str, str, str]]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._key(int(self.first_run[index]))

    def __iter__(self) -> Iterator[tuple[str, str, str, str]]:
        for run in self.first_run:
            yield self._key(int(run))


@dataclass
class ResponseBatch:
    """Validated responses, kept compactly until they are written: one entry per answer in
    parallel arrays (respondent, item, value, row), respondents by index (`keys`), texts by
    answer index. About 16 bytes an answer and 30 a respondent, so that a file of many
    respondents answering a few questions each needs no more memory than its own size."""

    source: str
    keys: Respondents = field(default_factory=Respondents)
    interned: Interned = field(default_factory=Interned)  # item ids and values, as codes
    texts: dict[int, str] = field(default_factory=dict)  # answer index → its words
    run: array = field(default_factory=lambda: array("i"))  # each answer's run, while reading
    respondent: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
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

    def finish(self) -> None:
        """Each answer's respondent, once every row is read."""
        owner = self.keys.finish()
        runs = np.frombuffer(self.run, dtype=np.int32) if len(self.run) else np.empty(0, np.int32)
        if owner is None:  # a run is a respondent: the runs are the respondents
            self.respondent = runs
            return
        self.respondent = owner[runs]
        del runs
        self.run = array("i")

    def by_respondent(self) -> Iterator[list[int]]:
        """Each respondent's answers (their indexes), in file order, one respondent at a time.
        A file grouped by respondent is walked as it is; otherwise through a stable sort."""
        who, total = self.respondent, len(self.respondent)
        grouped = total < 2 or bool(np.all(who[1:] >= who[:-1]))
        order = None if grouped else np.argsort(who, kind="stable").astype(np.int32)
        if order is not None:
            who = who[order]
        edges = np.flatnonzero(who[1:] != who[:-1]).astype(np.int32) + 1  # where each starts
        del who
        for k in range(len(edges) + 1 if total else 0):
            start = int(edges[k - 1]) if k else 0
            end = int(edges[k]) if k < len(edges) else total
            yield list(range(start, end)) if order is None else order[start:end].tolist()

    def responses(self, assisted: bool = False) -> Iterator[Response]:
        """Each respondent's Response, one at a time (never all at once)."""
        terms, texts, items, values = self.terms, self.texts, self.item, self.value
        for part in self.by_respondent():
            site, round_id, survey, respondent = self.keys[int(self.respondent[part[0]])]
            answers = tuple(
                Answer(
                    terms[items[i]],
                    terms[values[i]] if values[i] >= 0 else None,
                    texts.get(i),
                )
                for i in part
            )
            yield Response(site, round_id, survey, respondent, answers, assisted=assisted)

    def summary(self) -> pd.DataFrame:
        """What the file adds, by site, round and survey: responses and answers (the preview;
        one row per respondent would be a million rows for a big file)."""
        groups = np.frombuffer(self.keys.group, dtype=np.int32) if self.keys.runs else None
        columns = ["Site", "Round", "Survey", "Responses", "Answers"]
        if groups is None or not len(self.keys):
            return pd.DataFrame(columns=columns)
        of_respondent = groups[self.keys.first_run]
        width = len(self.keys.groups.texts)
        responses = np.bincount(of_respondent, minlength=width)
        answers = np.bincount(of_respondent[self.respondent], minlength=width)
        frame = pd.DataFrame(
            [text.split("\x1f") for text in self.keys.groups.texts],
            columns=["Site", "Round", "Survey"],
        )
        frame["Responses"], frame["Answers"] = responses, answers
        return frame[frame["Responses"] > 0].reset_index(drop=True)[columns]


def read_responses(
    rows: Iterable[Row], source: str, store: Store, progress: Progress | None = None
) -> ResponseBatch:
    """Every row checked as it comes, then each respondent's rows together; a DataError lists
    every problem (up to MOST_PROBLEMS) by row. Writes nothing."""
    problems: list[Problem] = []
    sites = {s.code for s in store.sites.list_sites()}
    rounds = {r.id: r for r in store.rounds.list_rounds()}
    batch = ResponseBatch(source)
    code = batch.interned
    last: tuple[str, str, str, str] | None = None

    def problem(row: int | None, column: str, message: str) -> None:
        problems.append(Problem(source, message, row=row, field=column))

    closures = functools.cache(store.panels.panel_closures)
    assesses = functools.cache(store.rounds.assesses)
    surveys_of = functools.cache(store.rounds.round_surveys)
    scale_of = functools.cache(lambda round_id: store.rounds.round_framework(round_id).scale)

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
        except NotFound:
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
        if key != last:  # a new run of rows; runs of one respondent are joined by `finish`
            batch.keys.start_run(*key)
            last = key
        if answer.text is not None:
            batch.texts[len(batch.item)] = answer.text
        batch.run.append(batch.keys.runs - 1)
        batch.item.append(code(item.id))
        batch.value.append(code(answer.value) if answer.value is not None else -1)
        batch.row.append(number)
    if progress is not None:
        progress("Checking each respondent's answers together", 1.0)
    batch.finish()
    if len(problems) < MOST_PROBLEMS:
        _check_respondents(batch, store, problems, surveys_of)
    if problems:
        raise DataError(sorted(problems, key=lambda p: p.row or 0)[:MOST_PROBLEMS])
    return batch


def _check_respondents(batch: ResponseBatch, store: Store, problems: list, surveys_of) -> None:
    """No item twice, no respondent already stored, required items answered, hidden not."""
    source = batch.source
    respondents, items, values = batch.respondent, batch.item, batch.value
    stored = functools.cache(store.submissions.respondents)
    for part in batch.by_respondent():
        person = int(respondents[part[0]])
        site, round_id, survey_id, respondent = batch.keys[person]
        answers: dict[str, Answer] = {}
        rows: dict[str, int] = {}
        twice = False
        for i in part:  # in file order: a repeat comes after the first
            item_id = batch.terms[items[i]]
            if item_id in rows:
                twice = True
                problems.append(
                    Problem(
                        source,
                        f"{respondent} answers {item_id} twice (first at row {rows[item_id]})",
                        row=batch.row[i],
                        field="item",
                    )
                )
                continue
            answers[item_id] = Answer(item_id, batch.terms[values[i]] if values[i] >= 0 else None)
            rows[item_id] = batch.row[i]
        first_row = min(batch.row[i] for i in part)
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
        if twice:
            continue
        survey = surveys_of(round_id)[survey_id]
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
            assert condition is not None  # only an item with a condition is ever hidden
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
