"""Staff accounts and sign-in attempts."""

from __future__ import annotations

from ocf.errors import ConflictError
from ocf.models import Account
from ocf.store.connection import StoreBase, _record, now


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
