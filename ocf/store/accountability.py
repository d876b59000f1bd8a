"""The trust's responses to its panel, and its actions with their dated progress notes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from ocf.store.connection import Repository, now

ACTION_COLUMNS = [
    "id",
    "site",
    "round",
    "competency",
    "action",
    "owner",
    "due",
    "status",
    "carried_from",
    "previous_id",
    "done_at",
    "created_at",
    "updated_at",
]


class Accountability(Repository):
    """Responses (one per site, round and competency) and actions (a plan that carries over)."""

    def save_response(
        self,
        site: str,
        round_id: str,
        competency: str,
        texts: Mapping[str, str],
        actor: str,
    ) -> None:
        with self.write():
            key = [site, round_id, competency]
            before = self.db.execute(
                "SELECT panel_said, accepted, will_do FROM responses"
                " WHERE site = ? AND round = ? AND competency = ?",
                key,
            ).fetchone()
            self.db.table("responses").upsert(
                {
                    "site": site,
                    "round": round_id,
                    "competency": competency,
                    **texts,
                    "updated_at": now(),
                    "updated_by": actor,
                },
                pk=("site", "round", "competency"),
            )
            self._audit(
                actor,
                "respond" if before is None else "edit",
                "response",
                ":".join(key),
                None,
                {"competency": competency},
            )

    def responses_frame(self, round_id: str, site: str | None = None) -> pd.DataFrame:
        query = (
            "SELECT site, round, competency, panel_said, accepted, will_do, updated_at"
            " FROM responses WHERE round = ?"
            + (" AND site = ?" if site else "")
            + " ORDER BY site, competency"
        )
        params = [round_id, site] if site else [round_id]
        return pd.read_sql_query(query, self.db.conn, params=params)

    def actions_frame(self, site: str | None = None, round_id: str | None = None) -> pd.DataFrame:
        where, params = [], []
        if site:
            where.append("site = ?")
            params.append(site)
        if round_id:
            where.append("round = ?")
            params.append(round_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        query = f"SELECT {', '.join(ACTION_COLUMNS)} FROM actions{clause} ORDER BY round, site, id"
        return pd.read_sql_query(query, self.db.conn, params=params)

    def chain_notes_frame(self, action_ids: Iterable[int]) -> pd.DataFrame:
        """The dated notes of each action and of every action it continues (back through the
        rounds it was carried from), as (action_id: the action asked for, at, status, note)."""
        ids = [int(i) for i in action_ids]
        marks = ",".join("?" * len(ids)) or "NULL"
        query = f"""
            WITH RECURSIVE chain(head, id) AS (
                SELECT id, id FROM actions WHERE id IN ({marks})
                UNION ALL
                SELECT chain.head, a.previous_id FROM chain JOIN actions a ON a.id = chain.id
                WHERE a.previous_id IS NOT NULL
            )
            SELECT chain.head AS action_id, n.at, n.status, n.note
            FROM chain JOIN action_notes n ON n.action_id = chain.id
            ORDER BY n.at, n.id"""
        return pd.read_sql_query(query, self.db.conn, params=ids)

    def put_actions(self, rows: list[dict], actor: str, source: str) -> tuple[int, int]:
        """Add or update actions by (site, round, competency, action), each change with a dated
        note; all in one transaction. Returns (added, updated)."""
        added = updated = 0
        with self.write():
            for row in rows:
                key = [row["site"], row["round"], row["competency"], row["action"]]
                found = self.db.execute(
                    "SELECT id, status, owner, due FROM actions"
                    " WHERE site = ? AND round = ? AND competency = ? AND action = ?",
                    key,
                ).fetchone()
                stamp = now()
                done_at = stamp if row["status"] == "done" else None
                if found is None:
                    action_id = self._insert(
                        "actions",
                        {
                            "site": row["site"],
                            "round": row["round"],
                            "competency": row["competency"],
                            "action": row["action"],
                            "owner": row["owner"],
                            "due": row["due"],
                            "status": row["status"],
                            "done_at": done_at,
                            "created_at": stamp,
                            "updated_at": stamp,
                        },
                    )
                    added += 1
                else:
                    action_id, status, owner, due = found
                    if (status, owner, due) == (row["status"], row["owner"], row["due"]) and not (
                        row.get("progress")
                    ):
                        continue
                    self.db.table("actions").update(
                        action_id,
                        {
                            "owner": row["owner"],
                            "due": row["due"],
                            "status": row["status"],
                            "updated_at": stamp,
                            **({"done_at": done_at} if status != row["status"] else {}),
                        },
                    )
                    updated += 1
                self.db.table("action_notes").insert(
                    {
                        "action_id": action_id,
                        "at": stamp,
                        "status": row["status"],
                        "note": row.get("progress") or "",
                        "by": actor,
                    }
                )
            if added or updated:
                self._audit(
                    actor,
                    "import" if source else "update",
                    "actions",
                    source or None,
                    None,
                    {"added": added, "updated": updated},
                )
        return added, updated

    def carry_actions(self, new_round: str, actor: str) -> int:
        """Copy every unfinished action of each site's latest earlier round of the same
        framework into `new_round`, linked to the one it continues (its notes stay with the
        chain). Returns how many. A round of another framework (PCREF after the OCF, a system
        round after a trust round) takes none: its competencies are not theirs."""
        with self.write():
            rows = self.db.execute(
                """SELECT a.id, a.site, a.round, a.competency, a.action, a.owner, a.due, a.status
                   FROM actions a
                   WHERE a.status NOT IN ('done', 'dropped') AND a.round != ?
                   AND a.round = (SELECT b.round FROM actions b JOIN rounds r ON r.id = b.round
                                  WHERE b.site = a.site AND b.round != ?
                                  AND r.framework_id = (SELECT framework_id FROM rounds
                                                        WHERE id = ?)
                                  ORDER BY r.created_at DESC, r.id DESC LIMIT 1)
                   AND NOT EXISTS (SELECT 1 FROM actions c WHERE c.previous_id = a.id)""",
                [new_round, new_round, new_round],
            ).fetchall()
            stamp = now()
            for old_id, site, old_round, competency, action, owner, due, status in rows:
                self.db.table("actions").insert(
                    {
                        "site": site,
                        "round": new_round,
                        "competency": competency,
                        "action": action,
                        "owner": owner,
                        "due": due,
                        "status": status,
                        "carried_from": old_round,
                        "previous_id": old_id,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
            if rows:
                self._audit(actor, "carry", "actions", new_round, None, {"carried": len(rows)})
        return len(rows)
