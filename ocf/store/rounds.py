"""Rounds and published content: a round keeps a snapshot of its framework and surveys."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from ocf.errors import ConflictError, NotFound
from ocf.loading import parse_framework, parse_survey
from ocf.models import Framework, Round, Survey
from ocf.store.connection import Repository, _record, now


# Every page run opens its own store; a round's snapshots are parsed once per process, not on
# every run (the panel event load test: 7% of the server's time). Snapshots never change and
# the models are frozen, so one parse serves every run.
@functools.lru_cache(maxsize=64)
def _framework_snapshot(text: str, source: str) -> Framework:
    return parse_framework(text, source, snapshot=True)


@functools.lru_cache(maxsize=256)
def _survey_snapshot(text: str, source: str, framework_yaml: str, round_id: str) -> Survey:
    framework = _framework_snapshot(framework_yaml, f"round {round_id} framework")
    return parse_survey(text, source, framework, snapshot=True)


class Rounds(Repository):
    """Rounds, their life cycle and their framework and survey snapshots; published content."""

    def publish_content(
        self, kind: str, content_id: str, version: int, text: str, actor: str
    ) -> None:
        with self.write():
            self.db.table("content").insert(
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
        return list(self.db.table("content").rows_where(order_by="kind, id, version"))

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
            self.db.table("rounds").insert(record)
            self.db.table("round_surveys").insert_all(
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
        rows = list(self.db.table("rounds").rows_where("id = ?", [round_id]))
        return _record(Round, rows[0]) if rows else None

    def require_round(self, round_id: str) -> Round:
        """The round, or NotFound with the one wording every command and page uses."""
        round_ = self.get_round(round_id)
        if round_ is None:
            raise NotFound(f"unknown round {round_id!r}", kind="round")
        return round_

    def list_rounds(self) -> list[Round]:
        return [
            _record(Round, row)
            for row in self.db.table("rounds").rows_where(order_by="created_at, id")
        ]

    def set_round_status(self, round_id: str, status: str, actor: str, reason: str = "") -> None:
        with self.write():
            current = self.require_round(round_id)
            self.db.table("rounds").update(round_id, {"status": status})
            after = {"status": status, **({"reason": reason} if reason else {})}
            self._audit(actor, "status", "round", round_id, {"status": current.status}, after)

    def status_reason(self, round_id: str, status: str) -> str | None:
        """The reason given when the round last moved to `status` (publishing over unanswered
        gaps needs one), or None."""
        row = self.db.execute(
            """SELECT json_extract(after, '$.reason') FROM audit
               WHERE entity = 'round' AND entity_id = ? AND action = 'status'
                 AND json_extract(after, '$.status') = ?
               ORDER BY id DESC LIMIT 1""",
            [round_id, status],
        ).fetchone()
        return row[0] if row and row[0] else None

    def round_framework(self, round_id: str) -> Framework:
        """The framework exactly as it was when the round opened (from its snapshot)."""
        if round_id not in self.store._frameworks:
            row = self.db.execute(
                "SELECT framework_yaml FROM rounds WHERE id = ?", [round_id]
            ).fetchone()
            if row is None:
                raise NotFound(f"round {round_id} does not exist")
            self.store._frameworks[round_id] = _framework_snapshot(
                row[0], f"round {round_id} framework"
            )
        return self.store._frameworks[round_id]

    def assesses(self, site: str, round_id: str) -> str | None:
        """Why the round does not assess this site (its framework is for other kinds of site,
        `assessed_at`), or None when it does."""
        row = self.db.execute("SELECT kind FROM sites WHERE code = ?", [site]).fetchone()
        kinds = self.round_framework(round_id).assessed_at
        if row is None or row[0] in kinds:
            return None
        article = "an" if row[0] == "icb" else "a"
        return (
            f"round {round_id} assesses {' or '.join(k.upper() if k == 'icb' else k for k in kinds)} "
            f"sites; {site} is {article} {row[0].upper() if row[0] == 'icb' else row[0]}"
        )

    def round_surveys(self, round_id: str) -> dict[str, Survey]:
        """The round's surveys by id, from their snapshots."""
        if round_id not in self.store._surveys:
            found = self.db.execute(
                "SELECT framework_yaml FROM rounds WHERE id = ?", [round_id]
            ).fetchone()
            if found is None:
                raise NotFound(f"round {round_id} does not exist")
            framework_yaml = found[0]
            rows = self.db.execute(
                "SELECT survey_id, survey_yaml FROM round_surveys WHERE round_id = ? "
                "ORDER BY audience DESC, survey_id",
                [round_id],
            ).fetchall()
            self.store._surveys[round_id] = {
                survey_id: _survey_snapshot(
                    text, f"round {round_id} survey {survey_id}", framework_yaml, round_id
                )
                for survey_id, text in rows
            }
        return self.store._surveys[round_id]

    def audience(self, round_id: str, survey: str) -> str | None:
        row = self.db.execute(
            "SELECT audience FROM round_surveys WHERE round_id = ? AND survey_id = ?",
            [round_id, survey],
        ).fetchone()
        return row[0] if row else None

    def published_at(self, round_id: str) -> str | None:
        """When a round was last published (from its audit entry), or None."""
        row = self.db.execute(
            "SELECT MAX(at) FROM audit WHERE entity = 'round' AND entity_id = ? "
            "AND action = 'status' AND after LIKE '%\"published\"%'",
            [round_id],
        ).fetchone()
        return row[0] if row else None

    def retired_scores(self, round_id: str) -> bytes | None:
        """The figures a retired round disclosed (Parquet parts), or None."""
        row = self.db.execute(
            "SELECT scores FROM retired_rounds WHERE round_id = ?", [round_id]
        ).fetchone()
        return row[0] if row else None

    def panel_answer_count(self, round_id: str) -> int:
        """How many panel answers a round holds (a count only)."""
        return self.db.execute(
            """SELECT COUNT(*) FROM answers a JOIN submissions s ON s.id = a.submission_id
               JOIN round_surveys r ON r.round_id = s.round AND r.survey_id = s.survey
               WHERE s.round = ? AND r.audience = 'panel'""",
            [round_id],
        ).fetchone()[0]

    def retire_panel_answers(self, round_id: str, scores: bytes, actor: str) -> int:
        """Keep the round's disclosed figures, then delete its panel answers and the reviews of
        its comments, in one write; audited as a count. Returns the answers deleted."""
        with self.write():
            status = self.db.execute(
                "SELECT status FROM rounds WHERE id = ?", [round_id]
            ).fetchone()
            if status is None or status[0] != "published":
                raise ConflictError(f"round {round_id} is not published; nothing was deleted")
            panel = """SELECT s.id FROM submissions s
                       JOIN round_surveys r ON r.round_id = s.round AND r.survey_id = s.survey
                       WHERE s.round = ? AND r.audience = 'panel'"""
            self.db.execute(
                "INSERT OR REPLACE INTO retired_rounds (round_id, retired_at, scores) "
                "VALUES (?, ?, ?)",
                [round_id, now(), scores],
            )
            deleted = self.db.execute(
                f"DELETE FROM answers WHERE submission_id IN ({panel})", [round_id]
            ).rowcount
            self.db.execute(
                f"DELETE FROM comment_reviews WHERE submission_id IN ({panel})", [round_id]
            )
            self._audit(
                actor, "retire answers", "round", round_id, None,
                {"panel answers deleted": deleted, "figures kept": True},
            )  # fmt: skip
        return deleted
