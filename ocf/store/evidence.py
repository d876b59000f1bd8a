"""Evidence files and links for a site's ratings (their bytes stay here, in every backup)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ocf.store.connection import Repository, now

# Everything about a piece of evidence but its bytes: listings never read the content.
EVIDENCE_COLUMNS = [
    "id", "site", "round", "competency", "kind", "name", "url", "media_type", "size", "sha256",
    "added_by", "added_at",
]  # fmt: skip


class Evidence(Repository):
    def add_evidence(self, record: Mapping[str, Any], actor: str) -> int:
        """Keep one file or link (already checked); audited without its bytes."""
        with self.write():
            row = {**record, "added_by": actor, "added_at": now()}
            evidence_id = self._insert("evidence", row)
            self._audit(actor, "add", "evidence", str(evidence_id), None, _described(record))
        return int(evidence_id)

    def evidence_frame(self, round_id: str, site: str | None = None) -> pd.DataFrame:
        """A round's evidence (one site's, if given), without the bytes, oldest first."""
        where, params = "round = ?", [round_id]
        if site is not None:
            where, params = where + " AND site = ?", [*params, site]
        rows = self.db.execute(
            f"SELECT {', '.join(EVIDENCE_COLUMNS)} FROM evidence WHERE {where} ORDER BY id",
            params,
        ).fetchall()
        frame = pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
        return frame.astype({"id": "int64", "size": "Int64"})  # a link has no size

    def get_evidence(self, evidence_id: int) -> dict[str, Any] | None:
        """One piece of evidence with its bytes (`content`), or None."""
        rows = list(self.db.table("evidence").rows_where("id = ?", [evidence_id]))
        return rows[0] if rows else None

    def remove_evidence(self, evidence_id: int, actor: str) -> None:
        with self.write():
            before = self.db.execute(
                f"SELECT {', '.join(EVIDENCE_COLUMNS)} FROM evidence WHERE id = ?", [evidence_id]
            ).fetchone()
            if before is None:
                return
            self.db.execute("DELETE FROM evidence WHERE id = ?", [evidence_id])
            row = dict(zip(EVIDENCE_COLUMNS, before, strict=True))
            self._audit(actor, "remove", "evidence", str(evidence_id), _described(row), None)


def _described(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a piece of evidence: never its bytes (the entry has its own
    time and actor)."""
    kept = ("site", "round", "competency", "kind", "name", "url", "media_type", "size", "sha256")
    return {key: row[key] for key in kept if row.get(key) is not None}
