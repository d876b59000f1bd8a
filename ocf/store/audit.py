"""Reading the audit log (it is written by every change, through `StoreBase._audit`)."""

from __future__ import annotations

from typing import Any

from ocf.store.connection import Repository


class Audit(Repository):
    """The audit log, read."""

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
        return list(
            self.db.table("audit").rows_where(where, params, order_by="id DESC", limit=limit)
        )
