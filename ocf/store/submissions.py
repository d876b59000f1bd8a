"""Submissions and their answers: drafts, versions, one submit, and a round's answers read for scoring."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocf.errors import ConflictError, NotFound, PermissionDenied
from ocf.models import Answer, Response, Submission
from ocf.store.connection import Repository, StoreBase, _record, now
from ocf.store.panels import Panels
from ocf.store.rounds import Rounds

# The rows `Store.answers_frame` reads, as Arrow types: tuples convert straight into columns.
_TEXT = pa.large_string()
_SUBMISSION_ROW = pa.struct(
    [
        ("id", pa.int64()),
        ("site", _TEXT),
        ("survey", _TEXT),
        ("audience", _TEXT),
        ("respondent", _TEXT),
    ]
)
_ANSWER_ROW = pa.struct(
    [("submission_id", pa.int64()), ("item", pa.int64()), ("value", pa.int64()), ("text", _TEXT)]
)

_TERMS_PER_QUERY = 500  # bound parameters per look-up, well under SQLite's limit


_RESPONSES_PER_CHUNK = 2_000  # a big import is written in chunks: bounded memory, one transaction


def _chunks(items: Iterable[Response], size: int) -> Iterator[list[Response]]:
    chunk: list[Response] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _texts(answers: Iterable[Answer]) -> Iterator[str]:
    """The texts answers store as terms: item ids and values."""
    for answer in answers:
        yield answer.item_id
        if answer.value is not None:
            yield answer.value


def _categorical(codes: np.ndarray, texts: pa.Array) -> pd.Categorical:
    """A categorical column from codes into distinct `texts`."""
    categories = pd.Index(pd.array(texts, dtype="str"))
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _term_categorical(
    stored: pa.Array, term_ids: Sequence[int], texts: Sequence[str]
) -> pd.Categorical:
    """Stored answer_terms ids (null: none) as a categorical of the texts that occur."""
    ids = stored.fill_null(0).to_numpy()  # term ids count from 1, so 0 is free for "none"
    present = np.bincount(ids, minlength=max(term_ids, default=0) + 1) > 0
    present[0] = False
    used = np.flatnonzero(present)
    code_of = np.full(len(present), -1, dtype=np.int64)
    code_of[used] = np.arange(len(used))
    text_of = np.empty(len(present), dtype=object)
    text_of[list(term_ids)] = texts
    return _categorical(code_of[ids], pa.array(text_of[used], pa.large_string()))


class Submissions(Repository):
    """Submissions and answers."""

    def __init__(self, store: StoreBase, rounds: Rounds, panels: Panels) -> None:
        super().__init__(store)
        self.rounds = rounds  # which surveys a round holds, and for whom; which sites it assesses
        self.panels = panels  # whether a site's panel has closed

    def rounds_with_submissions(self) -> set[str]:
        """The rounds that have at least one submitted submission."""
        rows = self.db.execute("SELECT DISTINCT round FROM submissions WHERE status = 'submitted'")
        return {row[0] for row in rows}

    def respondents(self, site: str, round_id: str, survey: str) -> set[str]:
        rows = self.db.execute(
            "SELECT respondent FROM submissions WHERE site = ? AND round = ? AND survey = ?",
            [site, round_id, survey],
        ).fetchall()
        return {row[0] for row in rows}

    def add_submitted(
        self,
        responses: Iterable[Response],
        actor: str,
        keys: Iterable[tuple[str, str, str, str]] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Store complete responses as submitted submissions, all in one transaction.

        `keys` (site, round, survey, respondent of each response, in order) lets `responses` be
        a generator, written chunk by chunk so that a big import never holds every answer as
        objects at once; without it the responses are listed first. `progress(n)` is told how
        many responses have been written, after each chunk.
        """
        if keys is None:
            responses = list(responses)
            keys = [(r.site, r.round, r.survey, r.respondent) for r in responses]
        count = 0
        panels: Counter[tuple[str, str, str]] = Counter()
        with self.write():
            # Each respondent checked against those stored, one at a time: a set of a big
            # file's labels would cost more memory than the file.
            stored: dict[tuple[str, str, str], set[str]] = {}
            taken: list[str] = []
            for site, round_id, survey, respondent in keys:
                group = (site, round_id, survey)
                if group not in stored:
                    self._require_accepting(site, round_id, survey)
                    stored[group] = self.respondents(site, round_id, survey)
                if respondent in stored[group] and len(taken) < 5:
                    taken.append(f"{respondent} ({site}, round {round_id}, survey {survey})")
            if taken:  # imported meanwhile by someone else (checked again under the lock)
                raise ConflictError(
                    f"{', '.join(taken)} already has a submission; nothing was imported"
                )
            audiences = {
                (round_id, survey): self.rounds.audience(round_id, survey)
                for _, round_id, survey in stored
            }
            for chunk in _chunks(responses, _RESPONSES_PER_CHUNK):
                term = self._term_ids(_texts(a for r in chunk for a in r.answers))
                for response in chunk:
                    submission_id = self._insert_entered(response, "submitted", actor)
                    self._put_answers(submission_id, response.answers, term)
                    count += 1
                    if audiences[(response.round, response.survey)] == "panel":
                        panels[(response.site, response.round, response.survey)] += 1
                        continue
                    self._audit(
                        actor,
                        "submit",
                        "submission",
                        str(submission_id),
                        None,
                        {
                            "site": response.site,
                            "round": response.round,
                            "survey": response.survey,
                            "answers": len(response.answers),
                        },
                    )
                if progress is not None:
                    progress(count)
            # Panel responses are logged as one count per panel: a row per member would time
            # and number each member's answers.
            for (site, round_id, survey), added in panels.items():
                self._audit(
                    actor, "submit", "panel", f"{site}:{round_id}", None,
                    {"survey": survey, "responses": added},
                )  # fmt: skip
        return count

    def _insert_entered(self, response: Response, status: str, actor: str) -> int:
        """A submission entered by `actor` (an import's or a paper form's, never a member's
        own), `submitted` or a `draft` waiting for confirmation; its id."""
        stamp = now()
        record = {
            "site": response.site,
            "round": response.round,
            "survey": response.survey,
            "respondent": response.respondent,
            "status": status,
            "version": 1,
            "assisted": int(response.assisted),
            "entered_by": actor,
            "created_at": stamp,
            "updated_at": stamp,
            "submitted_at": stamp if status == "submitted" else None,
        }
        # One prepared statement, not sqlite-utils' insert: an import makes a submission for
        # each of up to a million respondents, and the table's shape is the migrations'.
        cursor = self.db.execute(
            f"INSERT INTO submissions ({', '.join(record)}) VALUES ({', '.join('?' * len(record))})",
            list(record.values()),
        )
        return int(cursor.lastrowid or 0)

    def add_paper_entry(self, response: Response, actor: str) -> int:
        """A paper form as keyed in: a draft, marked assisted, waiting for a second person to
        confirm it (`confirm_paper_entry`); not counted until then. Returns its id."""
        with self.write():
            self._require_accepting(response.site, response.round, response.survey)
            submission_id = self._insert_entered(replace(response, assisted=True), "draft", actor)
            self._put_answers(
                submission_id, response.answers, self._term_ids(_texts(response.answers))
            )
            self._audit(
                actor, "key paper form", "panel", f"{response.site}:{response.round}", None,
                {"survey": response.survey, "form": response.respondent},
            )  # fmt: skip
        return submission_id

    def paper_entries(self, site: str, round_id: str) -> pd.DataFrame:
        """Paper forms of a site's panel waiting for confirmation: id, respondent, survey,
        entered_by, created_at."""
        query = """
            SELECT s.id, s.respondent, s.survey, s.entered_by, s.created_at
            FROM submissions s
            JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
            WHERE s.site = ? AND s.round = ? AND s.status = 'draft' AND s.assisted = 1
              AND rs.audience = 'panel' ORDER BY s.id
        """
        return pd.read_sql_query(query, self.db.conn, params=[site, round_id])

    def settle_paper_entry(
        self, site: str, round_id: str, submission_id: int, actor: str, confirm: bool
    ) -> str:
        """Confirm (it is then submitted and counted) or discard a waiting paper form, as a
        person other than the one who keyed it; checked inside the write, with the round and
        panel still taking answers. Returns the form's respondent label."""
        with self.write():
            row = self.db.execute(
                """SELECT survey, respondent, entered_by FROM submissions
                   WHERE id = ? AND site = ? AND round = ? AND status = 'draft' AND assisted = 1""",
                [submission_id, site, round_id],
            ).fetchone()
            if row is None:
                raise NotFound(f"no paper form waiting for confirmation with id {submission_id}")
            survey, respondent, entered_by = row
            if _account_of(entered_by) == _account_of(actor):
                raise PermissionDenied(
                    "a paper form is confirmed by a second person: someone other than whoever "
                    "keyed it in"
                )
            self._require_accepting(site, round_id, survey)
            if confirm:
                self.db.table("submissions").update(
                    submission_id,
                    {"status": "submitted", "confirmed_by": actor, "submitted_at": now()},
                )
            else:
                self.db.execute("DELETE FROM submissions WHERE id = ?", [submission_id])
            self._audit(
                actor, "confirm paper form" if confirm else "discard paper form", "panel",
                f"{site}:{round_id}", None, {"survey": survey, "form": respondent},
            )  # fmt: skip
            return respondent

    def panel_entries(self, round_id: str) -> pd.DataFrame:
        """Each submitted panel response of a round: id, site, assisted, entered_by (who keyed
        or imported it; empty for a member's own). No answers."""
        query = """
            SELECT s.id AS submission_id, s.site, s.assisted, s.entered_by
            FROM submissions s
            JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
            WHERE s.round = ? AND s.status = 'submitted' AND rs.audience = 'panel'
        """
        return pd.read_sql_query(query, self.db.conn, params=[round_id])

    def _require_accepting(self, site: str, round_id: str, survey: str) -> None:
        """Refuse answers the round or the site's panel no longer takes (in a write).

        Checked inside the write transaction, so a round or panel closed after a caller's own
        check and before this write is still refused: a closed panel's answers are frozen.
        """
        row = self.db.execute("SELECT status FROM rounds WHERE id = ?", [round_id]).fetchone()
        if row is None:
            raise NotFound(f"unknown round {round_id!r}; nothing was saved")
        if row[0] != "open":
            raise ConflictError(
                f"round {round_id} is {row[0]}: answers can no longer be added or changed; "
                "nothing was saved"
            )
        if (why := self.rounds.assesses(site, round_id)) is not None:
            raise ConflictError(f"{why}; nothing was saved")
        if self.rounds.audience(round_id, survey) == "panel" and self.panels.panel_closed(
            site, round_id
        ):
            raise ConflictError(
                f"the panel for {site} in round {round_id} is closed: its answers are frozen; "
                "nothing was saved"
            )

    def answers_frame(self, round_id: str, status: str = "submitted") -> pd.DataFrame:
        """Every answer of a round in long format, one row per answer, by submission.

        Columns: submission_id, site, survey, audience, respondent, item_id, value (categorical,
        of texts: each distinct text once, each row a code) and text (the str dtype). This read
        is behind every score, so it is built for speed: each submission's details are read
        once rather than once per answer and joined in by position, items and values arrive as
        the integer codes they are stored as, and the rows go straight into Arrow columns.
        """
        with self._snapshot():  # every read must see the same submissions
            submissions = self._read_rows(
                """
                SELECT s.id, s.site, s.survey, rs.audience, s.respondent
                FROM submissions s
                JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
                WHERE s.round = ? AND s.status = ?
                ORDER BY s.id
                """,
                [round_id, status],
                _SUBMISSION_ROW,
            )
            answers = self._read_rows(
                """
                SELECT a.submission_id, a.item, a.value, a.text
                FROM submissions s
                JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
                JOIN answers a ON a.submission_id = s.id
                WHERE s.round = ? AND s.status = ?
                ORDER BY s.id, a.item
                """,
                [round_id, status],
                _ANSWER_ROW,
            )
            terms = self.db.execute("SELECT id, term FROM answer_terms").fetchall()
        ids = answers.field("submission_id").to_numpy()
        of_answer = np.searchsorted(submissions.field("id").to_numpy(), ids)
        frame = pd.DataFrame({"submission_id": ids})
        for name in ("site", "survey", "audience", "respondent"):
            encoded = pc.dictionary_encode(submissions.field(name))
            frame[name] = _categorical(encoded.indices.to_numpy()[of_answer], encoded.dictionary)
        term_ids, texts = zip(*terms, strict=True) if terms else ((), ())
        for column, name in (("item", "item_id"), ("value", "value")):
            frame[name] = _term_categorical(answers.field(column), term_ids, texts)
        frame["text"] = pd.array(answers.field("text"), dtype="str")
        return frame

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read transaction: every read inside sees the same state of the database."""
        conn = self.db.conn
        if conn.in_transaction:  # inside a write: already one state
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    def _read_rows(self, query: str, params: list[Any], row: pa.StructType) -> pa.StructArray:
        return pa.array(self.db.conn.execute(query, params).fetchall(), type=row)

    def submission_counts(self, round_id: str) -> pd.DataFrame:
        """Submissions per site, survey and status for a round (counts only, no answers)."""
        query = """
            SELECT site, survey, status, COUNT(*) AS n FROM submissions
            WHERE round = ? GROUP BY site, survey, status ORDER BY site, survey, status
        """
        return pd.read_sql_query(query, self.db.conn, params=[round_id])

    def get_submission(
        self, site: str, round_id: str, survey: str, respondent: str
    ) -> Submission | None:
        rows = list(
            self.db.table("submissions").rows_where(
                "site = ? AND round = ? AND survey = ? AND respondent = ?",
                [site, round_id, survey, respondent],
            )
        )
        return _record(Submission, rows[0]) if rows else None

    def _submission(self, submission_id: int) -> Submission:
        """A submission this write has just made or changed (so it is there)."""
        found = self.get_submission_by_id(submission_id)
        assert found is not None
        return found

    def get_submission_by_id(self, submission_id: int) -> Submission | None:
        rows = list(self.db.table("submissions").rows_where("id = ?", [submission_id]))
        return _record(Submission, rows[0]) if rows else None

    def submission_answers(self, submission_id: int) -> dict[str, Answer]:
        rows = self.db.execute(
            """
            SELECT i.term, v.term, a.text
            FROM answers a
            JOIN answer_terms i ON i.id = a.item
            LEFT JOIN answer_terms v ON v.id = a.value
            WHERE a.submission_id = ?
            """,
            [submission_id],
        ).fetchall()
        return {item: Answer(item, value, text) for item, value, text in rows}

    def _put_answers(
        self, submission_id: int, answers: Sequence[Answer], term: Mapping[str, int]
    ) -> None:
        """Insert or replace a submission's answers by term id (`_term_ids`; in a write)."""
        self.db.conn.executemany(
            """
            INSERT INTO answers (submission_id, item, value, text) VALUES (?, ?, ?, ?)
            ON CONFLICT (submission_id, item) DO UPDATE SET value = excluded.value,
                text = excluded.text
            """,
            [
                (submission_id, term[a.item_id], None if a.value is None else term[a.value], a.text)
                for a in answers
            ],
        )

    def _term_ids(self, texts: Iterable[str]) -> dict[str, int]:
        """Each text's id in answer_terms, adding those not there yet (in a write)."""
        distinct = sorted(set(texts))
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO answer_terms (term) VALUES (?)", [(t,) for t in distinct]
        )
        found: dict[str, int] = {}
        for start in range(0, len(distinct), _TERMS_PER_QUERY):
            chunk = distinct[start : start + _TERMS_PER_QUERY]
            found.update(
                self.db.execute(
                    "SELECT term, id FROM answer_terms WHERE term IN "
                    f"({', '.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            )
        return found

    def save_answers(
        self,
        key: tuple[str, str, str, str],
        answers: Iterable[Answer],
        cleared: Iterable[str],
        expected_version: int,
        actor: str,
        assisted: bool = False,
    ) -> Submission:
        """Write a draft's answers if its version is still `expected_version` (0: a new draft).

        Refuses, changing nothing, when someone saved in between or the submission is already
        submitted. Returns the submission row after the save.
        """
        site, round_id, survey, respondent = key
        answers, cleared = list(answers), list(cleared)
        with self.write():
            self._require_accepting(site, round_id, survey)
            current = self.get_submission(site, round_id, survey, respondent)
            version = current.version if current else 0
            if current and current.status == "submitted":
                raise ConflictError("this has already been submitted; nothing was changed")
            if version != expected_version and current is None:  # taken back meanwhile
                raise ConflictError(
                    "These answers were deleted elsewhere after you opened them, so nothing was "
                    "saved. Reload to start again."
                )
            if version != expected_version:
                assert current is not None
                saved = datetime.fromisoformat(current.updated_at)
                raise ConflictError(
                    f"This was saved elsewhere (in another tab, or by someone else) at "
                    f"{saved:%H:%M} UTC on {saved.day} {saved:%b %Y}, after you opened it. Your "
                    "changes are still on screen but were not saved: copy anything you need, then "
                    "reload to see the latest answers."
                )
            stamp = now()
            if current is None:
                record = {
                    "site": site, "round": round_id, "survey": survey, "respondent": respondent,
                    "status": "draft", "version": 1, "assisted": int(assisted),
                    "created_at": stamp, "updated_at": stamp,
                }  # fmt: skip
                submission_id = self._insert("submissions", record)
            else:
                submission_id = current.id
                self.db.table("submissions").update(
                    submission_id, {"version": version + 1, "updated_at": stamp}
                )
            self._put_answers(submission_id, answers, self._term_ids(_texts(answers)))
            for item_id in cleared:
                self.db.execute(
                    """
                    DELETE FROM answers WHERE submission_id = ?
                    AND item = (SELECT id FROM answer_terms WHERE term = ?)
                    """,
                    [submission_id, item_id],
                )
            if self.rounds.audience(round_id, survey) != "panel":  # a member's saves are not timed
                self._audit(
                    actor,
                    "save",
                    "submission",
                    str(submission_id),
                    {"version": version},
                    {"version": version + 1, "items": len(answers), "cleared": len(cleared)},
                )
        return self._submission(submission_id)

    def mark_submitted(self, submission_id: int, expected_version: int, actor: str) -> Submission:
        """Submit a draft at `expected_version`. Submitting twice is a no-op, never a duplicate."""
        with self.write():
            current = self.get_submission_by_id(submission_id)
            if current is None:
                raise ConflictError("there is nothing to submit yet")
            if current.status == "submitted":
                return current
            self._require_accepting(current.site, current.round, current.survey)
            if current.version != expected_version:
                raise ConflictError(
                    f"this was changed elsewhere at {current.updated_at}; reload and check before submitting"
                )
            stamp = now()
            self.db.table("submissions").update(
                submission_id,
                {
                    "status": "submitted",
                    "version": expected_version + 1,
                    "submitted_at": stamp,
                    "updated_at": stamp,
                },
            )
            # A member's submit is not timed in the log: the panel's close counts them.
            if self.rounds.audience(current.round, current.survey) != "panel":
                self._audit(
                    actor,
                    "submit",
                    "submission",
                    str(submission_id),
                    {"status": "draft"},
                    {"status": "submitted"},
                )
        return self._submission(submission_id)

    def reopen_submission(self, submission_id: int, reason: str, actor: str) -> None:
        with self.write():
            current = self.get_submission_by_id(submission_id)
            if current is None or current.status != "submitted":
                raise ConflictError("only a submitted submission can be reopened")
            self.db.table("submissions").update(
                submission_id,
                {
                    "status": "draft",
                    "version": current.version + 1,
                    "submitted_at": None,
                    "updated_at": now(),
                },
            )
            self._audit(
                actor,
                "reopen",
                "submission",
                str(submission_id),
                {"status": "submitted"},
                {"status": "draft", "reason": reason},
            )

    def withdraw_panel_answers(self, invitation_id: int, submission_id: int | None) -> None:
        """A panel member takes their answers back: deleted, and their code revoked, in one
        write. Not written to the audit log: a timed entry per member would say when someone
        answered (the facilitator's counts show the change, as they show a submit)."""
        with self.write():
            if submission_id is not None:
                current = self.get_submission_by_id(submission_id)
                if current is not None:
                    self._require_accepting(current.site, current.round, current.survey)
                self.db.execute(
                    "UPDATE invitations SET submission_id = NULL WHERE id = ?", [invitation_id]
                )
                # answers, answers_by_term and comment reviews go with it (ON DELETE CASCADE)
                self.db.execute("DELETE FROM submissions WHERE id = ?", [submission_id])
            self.db.execute(
                "UPDATE invitations SET revoked_at = ? WHERE id = ?", [now(), invitation_id]
            )

    def site_submissions(self, site: str, round_id: str, survey: str) -> list[Submission]:
        """Every submission (draft or submitted) of a site for one survey in a round."""
        rows = self.db.table("submissions").rows_where(
            "site = ? AND round = ? AND survey = ?", [site, round_id, survey], order_by="id"
        )
        return [_record(Submission, row) for row in rows]

    def list_submissions(self, round_id: str, survey: str | None = None) -> pd.DataFrame:
        """Submissions of a round (no answers): id, site, survey, respondent, status, version, dates."""
        query = """SELECT id, site, survey, respondent, status, version, assisted, updated_at, submitted_at
                   FROM submissions WHERE round = ? AND (? IS NULL OR survey = ?) ORDER BY site, survey, id"""
        return pd.read_sql_query(query, self.db.conn, params=[round_id, survey, survey])


def _account_of(label: str | None) -> str | None:
    """The account part of an actor label ("facilitator:12:Fay" → "facilitator:12"), so that a
    renamed account is still the same person."""
    return ":".join(label.split(":")[:2]) if label else None
