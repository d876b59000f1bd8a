"""Staff accounts and sign-in attempts."""

from __future__ import annotations

from ocf.errors import ConflictError
from ocf.models import Account
from ocf.store.connection import StoreBase, _record, now

_CHECKING = 2  # sign_in_attempts.success: the code is being checked (0: it was wrong)


class AccountStore(StoreBase):
    """Accounts (codes only as hashes) and the failed sign-in attempts kept for throttling."""

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

    def account_by_hash(self, code_hash: str) -> Account | None:
        rows = list(
            self.db["accounts"].rows_where("code_hash = ? AND revoked_at IS NULL", [code_hash])
        )
        return _record(Account, rows[0]) if rows else None

    def reserve_sign_in(
        self, client: str, since: str, limit: int, stale: str
    ) -> tuple[int | None, bool]:
        """Record an attempt from `client` as being checked, in one write transaction, when
        its failures since `since` and the attempts still being checked are below `limit`:
        (the attempt's id, False). Otherwise (None, busy): busy when it is only other attempts
        being checked that fill the limit, so the caller may wait for them; not busy when
        the failures alone do (refused).

        Parallel attempts queue on the write lock, so each sees the ones before it: no more
        than `limit` codes are ever checked, or being checked, beyond known failures; an
        attempt still marked as being checked after `stale` counts as a failure (its process
        died). A settled attempt is kept if it failed (`fail_sign_in`), forgotten if it did
        not (`forget_sign_in`). Attempts older than `since` are deleted as we go.
        """
        with self.write():
            self.db.execute("DELETE FROM sign_in_attempts WHERE at < ?", [since])
            failed, checking = self.sign_in_counts(client, since, stale)
            if failed >= limit:
                return None, False
            if failed + checking >= limit:
                return None, True
            cursor = self.db.execute(
                "INSERT INTO sign_in_attempts (client, at, success) VALUES (?, ?, ?)",
                [client, now(), _CHECKING],
            )
            return cursor.lastrowid, False

    def fail_sign_in(self, attempt_id: int) -> None:
        """The code was wrong: the attempt counts against its client for the window."""
        with self.write():
            self.db.execute("UPDATE sign_in_attempts SET success = 0 WHERE id = ?", [attempt_id])

    def forget_sign_in(self, attempt_id: int) -> None:
        """A successful sign-in is not kept: its address and time could be joined to a panel
        member's answers."""
        with self.write():
            self.db.execute("DELETE FROM sign_in_attempts WHERE id = ?", [attempt_id])

    def sign_in_counts(self, client: str, since: str, stale: str) -> tuple[int, int]:
        """Attempts from `client` since `since`: (failures, counting those marked as being
        checked from before `stale`, whose process died; those being checked now). A read: an
        attempt waiting its turn looks here without taking the write lock."""
        query = (
            "SELECT COALESCE(SUM(success = 0 OR (success = ? AND at < ?)), 0), "
            "COALESCE(SUM(success = ? AND at >= ?), 0) "
            "FROM sign_in_attempts WHERE client = ? AND at >= ?"
        )
        failed, checking = self.db.execute(
            query, [_CHECKING, stale, _CHECKING, stale, client, since]
        ).fetchone()
        return failed, checking

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

    def account_by_email(self, email: str) -> Account | None:
        rows = list(
            self.db["accounts"].rows_where(
                "lower(email) = lower(?) AND revoked_at IS NULL", [email.strip()]
            )
        )
        return _record(Account, rows[0]) if rows else None

    def get_account(self, account_id: int) -> Account | None:
        rows = list(self.db["accounts"].rows_where("id = ? AND revoked_at IS NULL", [account_id]))
        return _record(Account, rows[0]) if rows else None

    def list_accounts(self, role: str | None = None) -> list[Account]:
        where, params = (
            ("role = ? AND revoked_at IS NULL", [role]) if role else ("revoked_at IS NULL", [])
        )
        return [
            _record(Account, row)
            for row in self.db["accounts"].rows_where(where, params, order_by="id")
        ]
