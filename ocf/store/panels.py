"""Panel invitations and closures: a closed panel is frozen."""

from __future__ import annotations

import pandas as pd

from ocf.errors import ConflictError
from ocf.models import Invitation
from ocf.store.connection import Repository, _record, now


class Panels(Repository):
    """Invitation codes (hashed) and panel closures."""

    def add_invitations(
        self, site: str, round_id: str, survey: str, hashes: list[str], actor: str
    ) -> None:
        with self.write():
            stamp = now()
            self.db.table("invitations").insert_all(
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

    def invitation_by_hash(self, code_hash: str) -> Invitation | None:
        rows = list(self.db.table("invitations").rows_where("code_hash = ?", [code_hash]))
        return _record(Invitation, rows[0]) if rows else None

    def get_invitation(self, invitation_id: int) -> Invitation | None:
        rows = list(self.db.table("invitations").rows_where("id = ?", [invitation_id]))
        return _record(Invitation, rows[0]) if rows else None

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
            self.db.table("invitations").update(invitation_id, {"revoked_at": now()})
            self._audit(actor, "revoke", "invitation", str(invitation_id), None, None)

    def link_invitation(self, invitation_id: int, submission_id: int) -> None:
        with self.write():
            self.db.table("invitations").update(invitation_id, {"submission_id": submission_id})

    def invitation_binding(self, invitation_id: int) -> tuple[str | None, str | None]:
        """(the hash of the browser that first used the code, or "shared"; the hash of the
        member's return word), each None until set."""
        row = self.db.execute(
            "SELECT browser_hash, return_hash FROM invitations WHERE id = ?", [invitation_id]
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def bind_invitation(self, invitation_id: int, browser_hash: str) -> bool:
        """Record the browser that used a code first; False when another already has."""
        with self.write():
            cursor = self.db.execute(
                "UPDATE invitations SET browser_hash = ? WHERE id = ? AND browser_hash IS NULL",
                [browser_hash, invitation_id],
            )
            return cursor.rowcount == 1

    def set_return_hash(self, invitation_id: int, return_hash: str) -> None:
        """A member's return word (its hash); not audited, like every member's own write."""
        with self.write():
            self.db.table("invitations").update(invitation_id, {"return_hash": return_hash})

    def mark_staff_browser(self, browser_hash: str, at: str, forget_before: str) -> None:
        """A browser where a staff account signed in (kept for the life of a browser cookie)."""
        with self.write():
            self.db.execute("DELETE FROM staff_browsers WHERE at < ?", [forget_before])
            self.db.execute(
                "INSERT INTO staff_browsers (browser_hash, at) VALUES (?, ?) "
                "ON CONFLICT (browser_hash) DO UPDATE SET at = excluded.at",
                [browser_hash, at],
            )

    def is_staff_browser(self, browser_hash: str) -> bool:
        query = "SELECT 1 FROM staff_browsers WHERE browser_hash = ?"
        return self.db.execute(query, [browser_hash]).fetchone() is not None

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
        self.db.table("panel_closures").insert(
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
