"""Signed-in sessions: hashes of tokens and tickets, never the tokens themselves."""

from __future__ import annotations

from dataclasses import dataclass

from ocf.store.connection import Repository, _record


@dataclass(frozen=True)
class SessionRow:
    """A session as stored: whose it is and when it was last used."""

    id: int
    account_id: int | None
    invitation_id: int | None
    single_sign_on: int
    signed_in_at: str
    last_seen_at: str


class Sessions(Repository):
    """Sessions are not audited: a panel member's session times could be joined to answers."""

    def add_session(
        self,
        ticket_hash: str,
        ticket_expires_at: str,
        account_id: int | None,
        invitation_id: int | None,
        single_sign_on: bool,
        at: str,
        forget_before: str,
        browser_hash: str | None = None,
    ) -> None:
        """A new session waiting for its ticket; sessions last used before `forget_before`
        (ended by time) and tickets never exchanged are deleted as we go."""
        with self.write():
            self.db.execute(
                "DELETE FROM sessions WHERE last_seen_at < ? OR "
                "(token_hash IS NULL AND ticket_expires_at < ?)",
                [forget_before, at],
            )
            self.db.table("sessions").insert(
                {
                    "ticket_hash": ticket_hash,
                    "ticket_expires_at": ticket_expires_at,
                    "ticket_browser_hash": browser_hash,
                    "account_id": account_id,
                    "invitation_id": invitation_id,
                    "single_sign_on": int(single_sign_on),
                    "signed_in_at": at,
                    "last_seen_at": at,
                }
            )

    def exchange_ticket(
        self, ticket_hash: str, token_hash: str, at: str, browser_hash: str
    ) -> bool:
        """Give the session waiting on an unexpired ticket its token, when the ticket was made
        for this browser; the ticket is used up."""
        with self.write():
            cursor = self.db.execute(
                "UPDATE sessions SET token_hash = ?, ticket_hash = NULL, ticket_expires_at = NULL,"
                " ticket_browser_hash = NULL, last_seen_at = ?"
                " WHERE ticket_hash = ? AND ticket_expires_at >= ? AND ticket_browser_hash = ?",
                [token_hash, at, ticket_hash, at, browser_hash],
            )
            return cursor.rowcount == 1

    def session_by_token(self, token_hash: str) -> SessionRow | None:
        rows = list(self.db.table("sessions").rows_where("token_hash = ?", [token_hash]))
        return _record(SessionRow, rows[0]) if rows else None

    def touch_session(self, session_id: int, at: str) -> None:
        with self.write():
            self.db.table("sessions").update(session_id, {"last_seen_at": at})

    def end_session(self, token_hash: str) -> None:
        with self.write():
            self.db.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])
