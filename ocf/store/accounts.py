"""Staff accounts and sign-in attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ocf.errors import ConflictError, NotFound
from ocf.models import Account
from ocf.store.connection import Repository, _record, now

_CHECKING = 2  # sign_in_attempts.success: the code is being checked (0: it was wrong)


class Accounts(Repository):
    """Accounts (codes only as hashes) and the failed sign-in attempts kept for throttling."""

    def add_account(
        self, name: str, role: str, site: str | None, email: str | None, code_hash: str, actor: str
    ) -> int:
        with self.write():
            if email and self.accounts_by_email(email):
                raise ConflictError(
                    f"{email.strip()} is already the email of an active account; single sign-on "
                    "maps an email to one account (revoke the other first)"
                )
            record = {
                "name": name,
                "role": role,
                "site": site,
                "email": email,
                "code_hash": code_hash,
                "created_at": now(),
            }
            account_id = self._insert("accounts", record)
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
            self.db.table("accounts").rows_where(
                "code_hash = ? AND revoked_at IS NULL", [code_hash]
            )
        )
        return _record(Account, rows[0]) if rows else None

    def reserve_sign_in(
        self,
        clients: list[str],
        since: str,
        limit: int,
        stale: str,
        pause: Callable[[int], float],
    ) -> list[int] | None:
        """Record an attempt as being checked under each key in `clients` (its address first,
        then its code's prefix), in one write transaction, when it may be checked now: fewer
        than `limit` attempts of its address are being checked, and for every key with
        `limit` or more failures since `since`, none is being checked and `pause(failures)`
        seconds have passed since the latest one. Returns the attempt's row ids, or None when it must wait.

        Parallel attempts queue on the write lock, so each sees the ones before it. An attempt
        still marked as being checked after `stale` counts as a failure (its process died). A
        settled attempt is kept if it failed (`fail_sign_in`), forgotten if it did not
        (`forget_sign_in`). Attempts older than `since` are deleted as we go.
        """
        with self.write():
            self.db.execute("DELETE FROM sign_in_attempts WHERE at < ?", [since])
            if not self.sign_in_turn(clients, since, stale, limit, pause):
                return None
            moment = datetime.now(UTC).isoformat()
            return [
                self._insert(
                    "sign_in_attempts", {"client": client, "at": moment, "success": _CHECKING}
                )
                for client in clients
            ]

    def sign_in_turn(
        self,
        clients: list[str],
        since: str,
        stale: str,
        limit: int,
        pause: Callable[[int], float],
    ) -> bool:
        """Whether an attempt under `clients` may be checked now: under each key, failures and
        attempts being checked are below `limit`; or, once a key's failures reach it, none is
        being checked under any key and the pause has passed. A read."""
        counts = [self.sign_in_counts(client, since, stale) for client in clients]
        if all(failed + checking < limit for failed, checking in counts):
            return True
        if not any(failed >= limit for failed, _ in counts):
            return False  # the limit is filled by attempts being checked: wait for them
        if any(checking for _, checking in counts):
            return False  # once slowed, one code at a time
        return self.sign_in_wait(clients, since, stale, limit, pause) <= 0

    def sign_in_wait(
        self,
        clients: list[str],
        since: str,
        stale: str,
        limit: int,
        pause: Callable[[int], float],
    ) -> float:
        """Seconds until an attempt under `clients` may be checked (0 when it may now): the
        longest of each key's `pause(failures)` after its latest failure. A read."""
        wait = 0.0
        moment = datetime.now(UTC)
        for client in clients:
            failed, _ = self.sign_in_counts(client, since, stale)
            if failed < limit:
                continue
            latest = self.db.execute(
                "SELECT MAX(at) FROM sign_in_attempts WHERE client = ? AND at >= ? AND "
                "(success = 0 OR (success = ? AND at < ?))",
                [client, since, _CHECKING, stale],
            ).fetchone()[0]
            passed = (moment - datetime.fromisoformat(latest)).total_seconds()
            wait = max(wait, pause(failed) - passed)
        return wait

    def fail_sign_in(self, attempt_ids: list[int]) -> None:
        """The code was wrong: the attempt counts against its keys for the window."""
        with self.write():
            moment = datetime.now(UTC).isoformat()  # pauses count from the failure itself
            self.db.conn.executemany(
                "UPDATE sign_in_attempts SET success = 0, at = ? WHERE id = ?",
                [[moment, i] for i in attempt_ids],
            )

    def forget_sign_in(self, attempt_ids: list[int]) -> None:
        """A successful sign-in is not kept: its address and time could be joined to a panel
        member's answers."""
        with self.write():
            self.db.conn.executemany(
                "DELETE FROM sign_in_attempts WHERE id = ?", [[i] for i in attempt_ids]
            )

    def sign_in_counts(self, client: str, since: str, stale: str) -> tuple[int, int]:
        """Attempts under `client` since `since`: (failures, counting those marked as being
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
                raise NotFound(f"no active account {account_id}")
            self.db.table("accounts").update(account_id, {"code_hash": code_hash})
            self._audit(actor, "reset code", "account", str(account_id), None, None)

    def revoke_account(self, account_id: int, actor: str) -> None:
        with self.write():
            if self.get_account(account_id) is None:
                raise NotFound(f"no active account {account_id}")
            self.db.table("accounts").update(account_id, {"revoked_at": now()})
            self._audit(actor, "revoke", "account", str(account_id), None, None)

    def accounts_by_email(self, email: str) -> list[Account]:
        """Active accounts with this email, whatever its case."""
        rows = self.db.table("accounts").rows_where(
            "lower(email) = lower(?) AND revoked_at IS NULL", [email.strip()]
        )
        return [_record(Account, row) for row in rows]

    def account_by_email(self, email: str) -> Account | None:
        """The one active account with this email; None when there is none, or more than one
        (from before emails were unique): single sign-on never guesses between them."""
        found = self.accounts_by_email(email)
        return found[0] if len(found) == 1 else None

    def get_account(self, account_id: int) -> Account | None:
        rows = list(
            self.db.table("accounts").rows_where("id = ? AND revoked_at IS NULL", [account_id])
        )
        return _record(Account, rows[0]) if rows else None

    def list_accounts(self, role: str | None = None) -> list[Account]:
        where, params = (
            ("role = ? AND revoked_at IS NULL", [role]) if role else ("revoked_at IS NULL", [])
        )
        return [
            _record(Account, row)
            for row in self.db.table("accounts").rows_where(where, params, order_by="id")
        ]
