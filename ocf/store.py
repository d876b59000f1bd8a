"""The only module that touches SQLite.

One `Store` per script run (Streamlit reruns included) wraps a sqlite-utils Database with WAL,
a busy timeout and foreign keys on, and applies pending migrations when it opens. Every write
goes through `Store.write()`, a `BEGIN IMMEDIATE` transaction: it takes the write lock up
front, so two writers queue instead of failing half-way, and it either commits whole or not
at all.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlite_utils import Database

from ocf import migrations as schema
from ocf.audit_chain import FIELDS as AUDIT_FIELDS
from ocf.audit_chain import GENESIS, ChainCheck, check_chain, entry_hash
from ocf.errors import ConflictError, NotFound, StorageError
from ocf.loading import parse_framework, parse_survey
from ocf.migrations import migrations
from ocf.models import Answer, Framework, Response, Round, Site, Survey
from ocf.spreadsheet import private_file

DEFAULT_DB = Path("data") / "ocf.db"
T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000
AUDIT_COLUMNS = ["id", "at", "actor", "action", "entity", "entity_id", "before", "after"]
WRITE_ATTEMPTS = 8  # after the busy timeout, retried with backoff (about 40 s in all)


def resolve_path(path: str | Path | None = None) -> str:
    """The database path: the argument, else $OCF_DB, else data/ocf.db."""
    return str(path or os.environ.get("OCF_DB") or DEFAULT_DB)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


class Store:
    """A connection to the OCF database with the operations the core needs."""

    def __init__(self, db: Database, location: str = ":memory:"):
        self.db = db
        # Identifies the database across Store objects (a file) or this object (memory).
        self.identity = location if location != ":memory:" else f"memory:{id(db.conn)}"
        self._frameworks: dict[str, Framework] = {}
        self._surveys: dict[str, dict[str, Survey]] = {}

    # ------------------------------------------------------------------ connection

    @classmethod
    def open(cls, path: str | Path | None = None) -> Store:
        """Open (creating if needed) and migrate the database at `path`."""
        location = resolve_path(path)
        try:
            if location == ":memory:":
                db = Database(memory=True)
            else:
                if not Path(location).parent.is_dir():
                    raise StorageError(
                        f"{location}: no such folder {Path(location).parent}; "
                        "nothing was created (check the path)"
                    )
                if not Path(location).exists():
                    private_file(location)  # 0600: SQLite gives -wal and -shm the same mode
                conn = sqlite3.connect(location, timeout=BUSY_TIMEOUT_MS / 1000)
                db = Database(conn)
                with db.ensure_autocommit_on():
                    db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, location)
            # Only take the write lock when there is something to do: every page run opens a
            # store, and waiting for another process's write just to find nothing pending
            # made reads as slow as the slowest write.
            if migrations.pending(db) or store._epoch_missing():
                with store.write():  # checked again under the lock: another process may have
                    migrations.apply(db)  # applied them in between (apply skips those done)
                    if store.get_meta("epoch") is None:
                        store.set_meta("epoch", secrets.token_hex(8))
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{location}: cannot open the database: {exc}") from None
        return store

    def _epoch_missing(self) -> bool:
        try:
            return self.get_meta("epoch") is None
        except sqlite3.OperationalError:  # no meta table yet: a new database
            return True

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction: BEGIN IMMEDIATE … COMMIT, rolled back on any error.

        Nested calls join the outer transaction.
        """
        conn = self.db.conn
        if conn.in_transaction:
            yield self.db
            return
        self._begin_immediate()
        try:
            yield self.db
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # a full disk, an I/O error: say which
            self._rollback()
            raise StorageError(
                f"the database could not be written ({exc}); nothing was saved"
            ) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite may already have rolled back (a full disk does): rolling back again would
        # replace the real error with "cannot rollback - no transaction is active".
        if self.db.conn.in_transaction:
            self.db.conn.execute("ROLLBACK")

    def _begin_immediate(self) -> None:
        """Take the write lock, waiting (busy timeout) and retrying with backoff when others hold it.

        A user never sees "database is locked": after the retries they get a StorageError that
        says to try again, and nothing has been written.
        """
        delay = 0.05
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self.db.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if attempt == WRITE_ATTEMPTS - 1:
                    raise StorageError(
                        "the database is busy; nothing was saved, please try again"
                    ) from None
                time.sleep(delay + random.uniform(0, delay))
                delay = min(delay * 2, 2.0)

    def backup(self, path: str | Path) -> Path:
        """An online copy of the whole database (SQLite's backup API: consistent while in use)."""
        target = Path(path)
        if target.exists():
            raise StorageError(f"{target} already exists; choose a new file name")
        if not target.parent.is_dir():
            raise StorageError(f"{target}: no such folder {target.parent}; create it first")
        try:
            private_file(target)  # 0600: a backup holds every individual panel answer
            destination = sqlite3.connect(target)
            try:
                self.db.conn.backup(destination)
            finally:
                destination.close()
        except (OSError, sqlite3.Error) as exc:
            target.unlink(missing_ok=True)  # no empty file left to block a retry
            raise StorageError(f"{target}: the backup failed ({exc}); nothing was kept") from None
        return target

    @staticmethod
    def check_backup(path: str | Path) -> None:
        """Refuse a file that is not a sound OCF database (integrity, schema)."""
        source = Path(path)
        if not source.is_file():
            raise StorageError(f"{source}: no such file")
        try:
            conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                result = conn.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {
                    row[0]
                    for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{source}: not an SQLite database ({exc})") from None
        if result != "ok":
            raise StorageError(f"{source}: integrity check failed: {result}")
        missing = {
            "_sqlite_migrations",
            "sites",
            "rounds",
            "submissions",
            "answers",
            "audit",
        } - tables
        if missing:
            raise StorageError(
                f"{source}: not an OCF database (no {', '.join(sorted(missing))} table)"
            )
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            problems = schema.schema_problems(conn)
            chained = "hash" in {row[1] for row in conn.execute("PRAGMA table_info(audit)")}
            chain = Store(Database(conn)).check_audit_chain() if chained else None
        finally:
            conn.close()
        if problems:
            raise StorageError(
                f"{source}: its schema is not what the platform makes, so it is not restored: "
                + "; ".join(problems)
            )
        if chain is not None and not chain.intact:
            raise StorageError(f"{source}: not restored: {chain.summary()}")

    def restore_from(self, path: str | Path, actor: str) -> None:
        """Replace this database's content with a checked backup, then bring its schema up to date."""
        self.check_backup(path)
        source = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            source.backup(self.db.conn)
        finally:
            source.close()
        with self.write():
            migrations.apply(self.db)
            self.set_meta("epoch", secrets.token_hex(8))
            self._audit(actor, "restore", "database", str(path), None, None)
        self._frameworks.clear()
        self._surveys.clear()

    def _audit(
        self, actor: str, action: str, entity: str, entity_id: str | None, before: Any, after: Any
    ) -> None:
        last = self.db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        entry = {
            "id": (last[0] if last else 0) + 1,
            "at": now(),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": None if before is None else json.dumps(before, default=str),
            "after": None if after is None else json.dumps(after, default=str),
        }
        entry["hash"] = entry_hash(last[1] if last else GENESIS, entry)
        self.db["audit"].insert(entry)

    def check_audit_chain(self) -> ChainCheck:
        """Recompute the audit log's hash chain (`ocf.audit_chain`)."""
        cursor = self.db.execute(f"SELECT {', '.join(AUDIT_FIELDS)}, hash FROM audit ORDER BY id")
        names = [*AUDIT_FIELDS, "hash"]
        return check_chain(dict(zip(names, row, strict=True)) for row in cursor)

    def change_stamp(self) -> str:
        """Changes whenever the data change: every write is audited, so the newest audit id,
        with the database's epoch, renewed by a restore, since a restored audit log can repeat
        an id already seen with other data."""
        newest = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM audit").fetchone()[0]
        return f"{self.get_meta('epoch')}:{newest}"

    # ------------------------------------------------------------------ meta

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write():
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    @property
    def is_demo(self) -> bool:
        return self.get_meta("demo") == "1"

    # ------------------------------------------------------------------ sites

    def add_sites(self, sites: Iterable[Site], actor: str) -> int:
        """Insert sites (already validated) in one transaction; audited one by one."""
        added = 0
        with self.write():
            for site in sites:
                record = {**asdict(site), "created_at": now()}
                self.db["sites"].insert(record)
                self._audit(actor, "add", "site", site.code, None, asdict(site))
                added += 1
        return added

    def get_site(self, code: str) -> Site | None:
        rows = list(self.db["sites"].rows_where("code = ?", [code]))
        return _record(Site, rows[0]) if rows else None

    def list_sites(self, include_retired: bool = False) -> list[Site]:
        where = None if include_retired else "retired_at IS NULL"
        return [_record(Site, row) for row in self.db["sites"].rows_where(where, order_by="code")]

    def update_site(self, site: Site, actor: str) -> None:
        with self.write():
            before = self.get_site(site.code)
            if before is None:
                raise ConflictError(f"site {site.code} does not exist")
            self.db["sites"].update(
                site.code,
                {
                    "name": site.name,
                    "kind": site.kind,
                    "parent": site.parent,
                    "cohort": site.cohort,
                },
            )
            self._audit(actor, "edit", "site", site.code, asdict(before), asdict(site))

    def retire_site(self, code: str, actor: str) -> None:
        with self.write():
            self.db["sites"].update(code, {"retired_at": now()})
            self._audit(actor, "retire", "site", code, None, None)

    # ------------------------------------------------------------------ published content

    def publish_content(
        self, kind: str, content_id: str, version: int, text: str, actor: str
    ) -> None:
        with self.write():
            self.db["content"].insert(
                {
                    "kind": kind,
                    "id": content_id,
                    "version": version,
                    "yaml": text,
                    "published_at": now(),
                    "published_by": actor,
                }
            )
            self._audit(actor, "publish", kind, f"{content_id} v{version}", None, None)

    def published_content(self) -> list[dict[str, Any]]:
        return list(self.db["content"].rows_where(order_by="kind, id, version"))

    # ------------------------------------------------------------------ rounds

    def add_round(
        self,
        round_: Round,
        framework_yaml: str,
        surveys: Iterable[tuple[Survey, str]],
        actor: str,
    ) -> None:
        """Open a round with a snapshot of its framework and survey YAML."""
        surveys = list(surveys)
        with self.write():
            if self.get_round(round_.id) is not None:
                raise ConflictError(f"round {round_.id!r} already exists")
            record = {**asdict(round_), "framework_yaml": framework_yaml, "created_at": now()}
            self.db["rounds"].insert(record)
            self.db["round_surveys"].insert_all(
                {
                    "round_id": round_.id,
                    "survey_id": survey.id,
                    "survey_version": survey.version,
                    "audience": survey.audience,
                    "survey_yaml": text,
                }
                for survey, text in surveys
            )
            self._audit(
                actor,
                "add",
                "round",
                round_.id,
                None,
                {**asdict(round_), "surveys": [s.id for s, _ in surveys]},
            )

    def get_round(self, round_id: str) -> Round | None:
        rows = list(self.db["rounds"].rows_where("id = ?", [round_id]))
        return _record(Round, rows[0]) if rows else None

    def require_round(self, round_id: str) -> Round:
        """The round, or NotFound with the one wording every command and page uses."""
        round_ = self.get_round(round_id)
        if round_ is None:
            raise NotFound(f"unknown round {round_id!r}; `ocf round list` shows the rounds")
        return round_

    def require_site(self, code: str) -> Site:
        """The site, or NotFound with the one wording every command and page uses."""
        site = self.get_site(code)
        if site is None:
            raise NotFound(f"unknown site {code!r}; `ocf site list` shows the sites")
        return site

    def list_rounds(self) -> list[Round]:
        return [
            _record(Round, row) for row in self.db["rounds"].rows_where(order_by="created_at, id")
        ]

    def set_round_status(self, round_id: str, status: str, actor: str, reason: str = "") -> None:
        with self.write():
            current = self.require_round(round_id)
            self.db["rounds"].update(round_id, {"status": status})
            after = {"status": status, **({"reason": reason} if reason else {})}
            self._audit(actor, "status", "round", round_id, {"status": current.status}, after)

    def round_framework(self, round_id: str) -> Framework:
        """The framework exactly as it was when the round opened (from its snapshot)."""
        if round_id not in self._frameworks:
            row = self.db.execute(
                "SELECT framework_yaml FROM rounds WHERE id = ?", [round_id]
            ).fetchone()
            if row is None:
                raise KeyError(round_id)
            self._frameworks[round_id] = parse_framework(
                row[0], f"round {round_id} framework", snapshot=True
            )
        return self._frameworks[round_id]

    def round_surveys(self, round_id: str) -> dict[str, Survey]:
        """The round's surveys by id, from their snapshots."""
        if round_id not in self._surveys:
            framework = self.round_framework(round_id)
            rows = self.db.execute(
                "SELECT survey_id, survey_yaml FROM round_surveys WHERE round_id = ? "
                "ORDER BY audience DESC, survey_id",
                [round_id],
            ).fetchall()
            self._surveys[round_id] = {
                survey_id: parse_survey(text, f"round {round_id} survey {survey_id}", framework)
                for survey_id, text in rows
            }
        return self._surveys[round_id]

    # ------------------------------------------------------------------ submissions

    def respondents(self, site: str, round_id: str, survey: str) -> set[str]:
        rows = self.db.execute(
            "SELECT respondent FROM submissions WHERE site = ? AND round = ? AND survey = ?",
            [site, round_id, survey],
        ).fetchall()
        return {row[0] for row in rows}

    def add_submitted(self, responses: Iterable[Response], actor: str) -> int:
        """Store complete responses as submitted submissions, all in one transaction."""
        responses = list(responses)
        count = 0
        panels: Counter[tuple[str, str, str]] = Counter()
        with self.write():
            for site, round_id, survey in {(r.site, r.round, r.survey) for r in responses}:
                self._require_accepting(site, round_id, survey)
                taken = self.respondents(site, round_id, survey) & {
                    r.respondent
                    for r in responses
                    if (r.site, r.round, r.survey) == (site, round_id, survey)
                }
                if taken:  # imported meanwhile by someone else (checked again under the lock)
                    raise ConflictError(
                        f"{', '.join(sorted(taken)[:5])} already has a submission for {site}, "
                        f"round {round_id}, survey {survey}; nothing was imported"
                    )
            term = self._term_ids(_texts(a for r in responses for a in r.answers))
            for response in responses:
                stamp = now()
                submission_id = (
                    self.db["submissions"]
                    .insert(
                        {
                            "site": response.site,
                            "round": response.round,
                            "survey": response.survey,
                            "respondent": response.respondent,
                            "status": "submitted",
                            "version": 1,
                            "assisted": int(response.assisted),
                            "created_at": stamp,
                            "updated_at": stamp,
                            "submitted_at": stamp,
                        }
                    )
                    .last_pk
                )
                self._put_answers(submission_id, response.answers, term)
                count += 1
                if self._audience(response.round, response.survey) == "panel":
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
            # Panel responses are logged as one count per panel: a row per member would time
            # and number each member's answers.
            for (site, round_id, survey), added in panels.items():
                self._audit(
                    actor, "submit", "panel", f"{site}:{round_id}", None,
                    {"survey": survey, "responses": added},
                )  # fmt: skip
        return count

    def _audience(self, round_id: str, survey: str) -> str | None:
        row = self.db.execute(
            "SELECT audience FROM round_surveys WHERE round_id = ? AND survey_id = ?",
            [round_id, survey],
        ).fetchone()
        return row[0] if row else None

    def _require_accepting(self, site: str, round_id: str, survey: str) -> None:
        """Refuse answers the round or the site's panel no longer takes (in a write).

        Checked inside the write transaction, so a round or panel closed after a caller's own
        check and before this write is still refused: a closed panel's answers are frozen.
        """
        row = self.db.execute("SELECT status FROM rounds WHERE id = ?", [round_id]).fetchone()
        if row is None:
            raise ConflictError(f"unknown round {round_id!r}; nothing was saved")
        if row[0] != "open":
            raise ConflictError(
                f"round {round_id} is {row[0]}: answers can no longer be added or changed; "
                "nothing was saved"
            )
        if self._audience(round_id, survey) == "panel" and self.panel_closed(site, round_id):
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

    # ------------------------------------------------------------------ accounts and invitations

    def add_account(
        self, name: str, role: str, site: str | None, email: str | None, code_hash: str, actor: str
    ) -> int:
        with self.write():
            record = {
                "name": name,
                "role": role,
                "site": site,
                "email": email,
                "code_hash": code_hash,
                "created_at": now(),
            }
            account_id = self.db["accounts"].insert(record).last_pk
            self._audit(
                actor,
                "add",
                "account",
                str(account_id),
                None,
                {"name": name, "role": role, "site": site},
            )
        return account_id

    def account_by_hash(self, code_hash: str) -> dict[str, Any] | None:
        rows = list(
            self.db["accounts"].rows_where("code_hash = ? AND revoked_at IS NULL", [code_hash])
        )
        return rows[0] if rows else None

    def reserve_sign_in(self, client: str, since: str, limit: int) -> int | None:
        """Count `client`'s failures since `since` and, below `limit`, record this attempt as a
        failure, in one write transaction; returns its id (None: the limit is reached).

        Parallel attempts queue on the write lock, so each sees the ones before it: no more
        than `limit` codes are ever checked in a window. A successful attempt is then
        forgotten (`forget_sign_in`). Attempts older than `since` are deleted as we go.
        """
        with self.write():
            self.db.execute("DELETE FROM sign_in_attempts WHERE at < ?", [since])
            if self.failed_sign_ins(client, since) >= limit:
                return None
            row = {"client": client, "at": now(), "success": 0}
            return self.db["sign_in_attempts"].insert(row).last_pk

    def forget_sign_in(self, attempt_id: int) -> None:
        """A successful sign-in is not kept: its address and time could be joined to a panel
        member's answers."""
        with self.write():
            self.db.execute("DELETE FROM sign_in_attempts WHERE id = ?", [attempt_id])

    def failed_sign_ins(self, client: str, since: str) -> int:
        query = "SELECT COUNT(*) FROM sign_in_attempts WHERE client = ? AND at >= ? AND success = 0"
        return self.db.execute(query, [client, since]).fetchone()[0]

    def replace_code(self, account_id: int, code_hash: str, actor: str) -> None:
        with self.write():
            if self.get_account(account_id) is None:
                raise ConflictError(f"no active account {account_id}")
            self.db["accounts"].update(account_id, {"code_hash": code_hash})
            self._audit(actor, "reset code", "account", str(account_id), None, None)

    def revoke_account(self, account_id: int, actor: str) -> None:
        with self.write():
            if self.get_account(account_id) is None:
                raise ConflictError(f"no active account {account_id}")
            self.db["accounts"].update(account_id, {"revoked_at": now()})
            self._audit(actor, "revoke", "account", str(account_id), None, None)

    def account_by_email(self, email: str) -> dict[str, Any] | None:
        rows = list(
            self.db["accounts"].rows_where(
                "lower(email) = lower(?) AND revoked_at IS NULL", [email.strip()]
            )
        )
        return rows[0] if rows else None

    def get_account(self, account_id: int) -> dict[str, Any] | None:
        rows = list(self.db["accounts"].rows_where("id = ? AND revoked_at IS NULL", [account_id]))
        return rows[0] if rows else None

    def list_accounts(self, role: str | None = None) -> list[dict[str, Any]]:
        where, params = (
            ("role = ? AND revoked_at IS NULL", [role]) if role else ("revoked_at IS NULL", [])
        )
        return [
            {k: v for k, v in row.items() if k != "code_hash"}
            for row in self.db["accounts"].rows_where(where, params, order_by="id")
        ]

    def add_invitations(
        self, site: str, round_id: str, survey: str, hashes: list[str], actor: str
    ) -> None:
        with self.write():
            stamp = now()
            self.db["invitations"].insert_all(
                {
                    "code_hash": h,
                    "site": site,
                    "round": round_id,
                    "survey": survey,
                    "created_at": stamp,
                }
                for h in hashes
            )
            self._audit(
                actor,
                "issue",
                "invitations",
                f"{site}:{round_id}",
                None,
                {"count": len(hashes), "survey": survey},
            )

    def invitation_by_hash(self, code_hash: str) -> dict[str, Any] | None:
        rows = list(self.db["invitations"].rows_where("code_hash = ?", [code_hash]))
        return rows[0] if rows else None

    def get_invitation(self, invitation_id: int) -> dict[str, Any] | None:
        rows = list(self.db["invitations"].rows_where("id = ?", [invitation_id]))
        return rows[0] if rows else None

    def invitation_statuses(self, site: str | None, round_id: str) -> pd.DataFrame:
        """Each invitation's state (never its answers): unused, started, submitted or revoked.

        One site's (id, survey, created_at, status), or with `site` None every site's, with a
        leading `site` column.
        """
        query = f"""
            SELECT {"" if site else "i.site, "}i.id, i.survey, i.created_at,
                   CASE WHEN i.revoked_at IS NOT NULL THEN 'revoked'
                        WHEN s.status = 'submitted' THEN 'submitted'
                        WHEN s.id IS NOT NULL THEN 'started'
                        ELSE 'unused' END AS status
            FROM invitations i LEFT JOIN submissions s ON s.id = i.submission_id
            WHERE i.round = ? {"AND i.site = ?" if site else ""} ORDER BY i.id
        """
        params = [round_id, site] if site else [round_id]
        return pd.read_sql_query(query, self.db.conn, params=params)

    def revoke_invitation(self, invitation_id: int, actor: str) -> None:
        with self.write():
            self.db["invitations"].update(invitation_id, {"revoked_at": now()})
            self._audit(actor, "revoke", "invitation", str(invitation_id), None, None)

    def link_invitation(self, invitation_id: int, submission_id: int) -> None:
        with self.write():
            self.db["invitations"].update(invitation_id, {"submission_id": submission_id})

    def panel_closed(self, site: str, round_id: str) -> bool:
        query = "SELECT 1 FROM panel_closures WHERE site = ? AND round = ?"
        return self.db.execute(query, [site, round_id]).fetchone() is not None

    def panel_closures(self, round_id: str) -> dict[str, str]:
        """The sites whose panel is closed (frozen) in a round, with when it closed."""
        query = "SELECT site, closed_at FROM panel_closures WHERE round = ?"
        return dict(self.db.execute(query, [round_id]).fetchall())

    def close_panel(self, site: str, round_id: str, actor: str) -> int:
        """Freeze the panel: record the closure and revoke every invitation not yet submitted.

        Returns how many were revoked; refuses a panel already closed.
        """
        with self.write():
            if self.panel_closed(site, round_id):
                raise ConflictError(f"the panel for {site} in round {round_id} is already closed")
            revoked = self._freeze_panel(site, round_id, actor)
        return revoked

    def close_panels_of_round(self, round_id: str, actor: str) -> int:
        """Freeze every panel of a round that has codes or answers (in the round's close).

        A reopened round then cannot take one more member's answer, which would move figures
        staff had already seen. Returns how many panels were closed.
        """
        with self.write():
            sites = self.db.execute(
                """SELECT site FROM invitations WHERE round = ?
                   UNION SELECT s.site FROM submissions s
                   JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
                   WHERE s.round = ? AND rs.audience = 'panel'
                   EXCEPT SELECT site FROM panel_closures WHERE round = ?""",
                [round_id, round_id, round_id],
            ).fetchall()
            for (site,) in sites:
                self._freeze_panel(site, round_id, actor)
        return len(sites)

    def _freeze_panel(self, site: str, round_id: str, actor: str) -> int:
        stamp = now()
        self.db["panel_closures"].insert(
            {"site": site, "round": round_id, "closed_at": stamp, "closed_by": actor}
        )
        cursor = self.db.execute(
            """UPDATE invitations SET revoked_at = ?
               WHERE site = ? AND round = ? AND revoked_at IS NULL
               AND (submission_id IS NULL OR submission_id NOT IN
                    (SELECT id FROM submissions WHERE status = 'submitted'))""",
            [stamp, site, round_id],
        )
        submitted = self.db.execute(
            """SELECT COUNT(*) FROM submissions s
               JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
               WHERE s.site = ? AND s.round = ? AND rs.audience = 'panel'
               AND s.status = 'submitted'""",
            [site, round_id],
        ).fetchone()[0]
        self._audit(
            actor, "close", "panel", f"{site}:{round_id}", None,
            {"revoked": cursor.rowcount, "submitted": submitted},
        )  # fmt: skip
        return cursor.rowcount

    # ------------------------------------------------------------------ drafts and submissions

    def get_submission(
        self, site: str, round_id: str, survey: str, respondent: str
    ) -> dict[str, Any] | None:
        rows = list(
            self.db["submissions"].rows_where(
                "site = ? AND round = ? AND survey = ? AND respondent = ?",
                [site, round_id, survey, respondent],
            )
        )
        return rows[0] if rows else None

    def get_submission_by_id(self, submission_id: int) -> dict[str, Any] | None:
        rows = list(self.db["submissions"].rows_where("id = ?", [submission_id]))
        return rows[0] if rows else None

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
    ) -> dict[str, Any]:
        """Write a draft's answers if its version is still `expected_version` (0: a new draft).

        Refuses, changing nothing, when someone saved in between or the submission is already
        submitted. Returns the submission row after the save.
        """
        site, round_id, survey, respondent = key
        answers, cleared = list(answers), list(cleared)
        with self.write():
            self._require_accepting(site, round_id, survey)
            current = self.get_submission(site, round_id, survey, respondent)
            version = current["version"] if current else 0
            if current and current["status"] == "submitted":
                raise ConflictError("this has already been submitted; nothing was changed")
            if version != expected_version:
                raise ConflictError(
                    f"this was saved elsewhere at {current['updated_at']} (version {version}; you had "
                    f"version {expected_version}). Your changes are still on screen but were not "
                    "saved: copy anything you need, then reload to see the latest answers."
                )
            stamp = now()
            if current is None:
                record = {
                    "site": site, "round": round_id, "survey": survey, "respondent": respondent,
                    "status": "draft", "version": 1, "assisted": int(assisted),
                    "created_at": stamp, "updated_at": stamp,
                }  # fmt: skip
                submission_id = self.db["submissions"].insert(record).last_pk
            else:
                submission_id = current["id"]
                self.db["submissions"].update(
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
            if self._audience(round_id, survey) != "panel":  # a member's saves are not timed
                self._audit(
                    actor,
                    "save",
                    "submission",
                    str(submission_id),
                    {"version": version},
                    {"version": version + 1, "items": len(answers), "cleared": len(cleared)},
                )
        return self.get_submission_by_id(submission_id)

    def mark_submitted(
        self, submission_id: int, expected_version: int, actor: str
    ) -> dict[str, Any]:
        """Submit a draft at `expected_version`. Submitting twice is a no-op, never a duplicate."""
        with self.write():
            current = self.get_submission_by_id(submission_id)
            if current is None:
                raise ConflictError("there is nothing to submit yet")
            if current["status"] == "submitted":
                return current
            self._require_accepting(current["site"], current["round"], current["survey"])
            if current["version"] != expected_version:
                raise ConflictError(
                    f"this was changed elsewhere at {current['updated_at']}; reload and check before submitting"
                )
            stamp = now()
            self.db["submissions"].update(
                submission_id,
                {
                    "status": "submitted",
                    "version": expected_version + 1,
                    "submitted_at": stamp,
                    "updated_at": stamp,
                },
            )
            # A member's submit is not timed in the log: the panel's close counts them.
            if self._audience(current["round"], current["survey"]) != "panel":
                self._audit(
                    actor,
                    "submit",
                    "submission",
                    str(submission_id),
                    {"status": "draft"},
                    {"status": "submitted"},
                )
        return self.get_submission_by_id(submission_id)

    def reopen_submission(self, submission_id: int, reason: str, actor: str) -> None:
        with self.write():
            current = self.get_submission_by_id(submission_id)
            if current is None or current["status"] != "submitted":
                raise ConflictError("only a submitted submission can be reopened")
            self.db["submissions"].update(
                submission_id,
                {
                    "status": "draft",
                    "version": current["version"] + 1,
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

    def list_submissions(self, round_id: str, survey: str | None = None) -> pd.DataFrame:
        """Submissions of a round (no answers): id, site, survey, respondent, status, version, dates."""
        query = """SELECT id, site, survey, respondent, status, version, assisted, updated_at, submitted_at
                   FROM submissions WHERE round = ? AND (? IS NULL OR survey = ?) ORDER BY site, survey, id"""
        return pd.read_sql_query(query, self.db.conn, params=[round_id, survey, survey])

    # ------------------------------------------------------------------ detention data

    DETENTION_KEY = ("period", "geography", "measure", "ethnic_group", "age_band", "sex")

    def upsert_detentions(
        self, records: list[dict[str, Any]], actor: str, source: str
    ) -> tuple[int, int]:
        """Insert detention rows, replacing any with the same key; returns (added, replaced)."""
        if not records:
            return 0, 0
        columns = list(records[0])
        key = ", ".join(self.DETENTION_KEY)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in self.DETENTION_KEY)
        sql = (
            f"INSERT INTO detentions ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        with self.write():
            before = self.db.execute("SELECT COUNT(*) FROM detentions").fetchone()[0]
            self.db.conn.executemany(sql, [[r[c] for c in columns] for r in records])
            added = self.db.execute("SELECT COUNT(*) FROM detentions").fetchone()[0] - before
            self._audit(
                actor, "import", "detentions", source, None, {"rows": len(records), "added": added}
            )
        return added, len(records) - added

    def existing_detention_keys(self, periods: Iterable[str]) -> set[tuple]:
        """The keys already stored for these periods (to preview what an import would replace)."""
        periods = list(periods)
        if not periods:
            return set()
        marks = ", ".join("?" * len(periods))
        query = f"SELECT {', '.join(self.DETENTION_KEY)} FROM detentions WHERE period IN ({marks})"
        return {tuple(row) for row in self.db.execute(query, periods).fetchall()}

    def detentions_frame(
        self, period: str | None = None, measure: str | None = None
    ) -> pd.DataFrame:
        query = """SELECT period, geography, geography_name, geography_kind, measure, ethnic_group,
                          age_band, sex, count, suppressed, population, population_derived, source
                   FROM detentions WHERE (? IS NULL OR period = ?) AND (? IS NULL OR measure = ?)"""
        return pd.read_sql_query(query, self.db.conn, params=[period, period, measure, measure])

    def detention_choices(self) -> pd.DataFrame:
        """The periods and measures that have data, with row counts."""
        query = "SELECT period, measure, COUNT(*) AS rows FROM detentions GROUP BY period, measure ORDER BY period, measure"
        return pd.read_sql_query(query, self.db.conn)

    # ------------------------------------------------------------------ audit

    def audit_vocabulary(self) -> tuple[list[str], list[str]]:
        """The entities and actions the log holds, for filters that offer only real choices."""
        entities = [r[0] for r in self.db.execute("SELECT DISTINCT entity FROM audit ORDER BY 1")]
        actions = [r[0] for r in self.db.execute("SELECT DISTINCT action FROM audit ORDER BY 1")]
        return entities, actions

    def audit_events(
        self,
        entity: str | None = None,
        limit: int = 200,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[dict[str, Any]]:
        """Audit events, newest first, optionally filtered by entity, actor (prefix) and action."""
        clauses, params = [], []
        for clause, value in (
            ("entity = ?", entity),
            ("actor LIKE ?", actor and f"{actor}%"),
            ("action = ?", action),
        ):
            if value:
                clauses.append(clause)
                params.append(value)
        where = " AND ".join(clauses) or None
        return list(self.db["audit"].rows_where(where, params, order_by="id DESC", limit=limit))


def _record(cls: type[T], row: dict[str, Any]) -> T:
    """A frozen record from a database row with the same column names."""
    return cls(**{f.name: row[f.name] for f in fields(cls)})  # type: ignore[call-arg]
