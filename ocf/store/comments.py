"""Free-text panel answers and the facilitator's reviews of them (never their authors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ocf.store.connection import Repository, now

REVIEW_COLUMNS = [
    "submission_id", "item_id", "original_sha256", "redacted", "theme", "safeguarding",
    "decision", "reviewed_by", "reviewed_at",
]  # fmt: skip


class Comments(Repository):
    def panel_texts(self, site: str, round_id: str, items: list[str]) -> pd.DataFrame:
        """The submitted panel answers to `items` (free-text items) of a site: submission_id,
        item_id, text. Only the comment layer reads these; no staff view shows the ids."""
        if not items:
            return pd.DataFrame(columns=["submission_id", "item_id", "text"])
        marks = ", ".join("?" for _ in items)
        rows = self.db.execute(
            f"""
            SELECT a.submission_id, i.term, a.text
            FROM answers a
            JOIN answer_terms i ON i.id = a.item
            JOIN submissions s ON s.id = a.submission_id
            JOIN round_surveys r ON r.round_id = s.round AND r.survey_id = s.survey
            WHERE s.site = ? AND s.round = ? AND s.status = 'submitted'
              AND r.audience = 'panel' AND i.term IN ({marks})
              AND a.text IS NOT NULL AND trim(a.text) != ''
            """,
            [site, round_id, *items],
        ).fetchall()
        return pd.DataFrame(rows, columns=["submission_id", "item_id", "text"])

    def comment_reviews(self, site: str, round_id: str) -> pd.DataFrame:
        rows = self.db.execute(
            f"""
            SELECT {", ".join("c." + c for c in REVIEW_COLUMNS)}
            FROM comment_reviews c JOIN submissions s ON s.id = c.submission_id
            WHERE s.site = ? AND s.round = ?
            """,
            [site, round_id],
        ).fetchall()
        return pd.DataFrame(rows, columns=REVIEW_COLUMNS)

    def save_comment_review(
        self, record: Mapping[str, Any], actor: str, audited: Mapping[str, Any], number: str
    ) -> None:
        """Keep a review; the audit log gets `audited` (the decision, never the words)."""
        with self.write():
            self.db.table("comment_reviews").upsert(
                {**record, "reviewed_by": actor, "reviewed_at": now()},
                pk=("submission_id", "item_id"),
            )
            self._audit(actor, "review", "panel comment", number, None, dict(audited))

    def set_safeguarding_procedure(self, key: str, text: str, actor: str, site: str) -> None:
        """The trust's safeguarding procedure, shown to its facilitators (audited)."""
        with self.write():
            before = self.store.get_meta(key)
            self.db.table("meta").upsert({"key": key, "value": text}, pk="key")
            self._audit(actor, "edit", "safeguarding procedure", site, before, text)
