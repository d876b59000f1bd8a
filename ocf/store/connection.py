"""The connection: opening and migrating the database, write transactions, backups and restores,
the audit log's writer (a hash chain) and the database's metadata.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlite_utils import Database

from ocf import migrations as schema
from ocf.audit_chain import FIELDS as AUDIT_FIELDS
from ocf.audit_chain import (
    GENESIS,
    AuditKey,
    ChainCheck,
    KeyFileError,
    check_chain,
    entry_hash,
    entry_mac,
    key_path,
    link_of,
    load_or_create_key,
    rekey_from,
)
from ocf.errors import StorageError
from ocf.migrations import migrations
from ocf.models import Framework, Survey
from ocf.spreadsheet import FileRefused, place_file, private_file

DEFAULT_DB = Path("data") / "ocf.db"
T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000
AUDIT_COLUMNS = ["id", "at", "actor", "action", "entity", "entity_id", "before", "after"]
WRITE_ATTEMPTS = 8  # after the busy timeout, retried with backoff (about 40 s in all)


def resolve_path(path: str | Path | None = None) -> str:
    """The database path: the argument, else $OCF_DB, else data/ocf.db."""
    return str(path or os.environ.get("OCF_DB") or DEFAULT_DB)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record(cls: type[T], row: dict[str, Any]) -> T:
    """A frozen record from a database row with the same column names."""
    return cls(**{f.name: row[f.name] for f in fields(cls)})  # type: ignore[arg-type]


class StoreBase:
    """A connection to the OCF database: opening, migrations, transactions, backup and restore,
    the audit writer and meta. `Store` composes each aggregate's repository over it."""

    def __init__(self, db: Database, location: str = ":memory:"):
        self.db = db
        # Identifies the database across Store objects (a file) or this object (memory).
        self.identity = location if location != ":memory:" else f"memory:{id(db.conn)}"
        self._frameworks: dict[str, Framework] = {}
        self._surveys: dict[str, dict[str, Survey]] = {}
        self._audit_key: AuditKey | None = None
        self._location = location

    def _insert(self, table: str, record: Mapping[str, Any]) -> int:
        """One row added to `table`; its id."""
        added = self.db.table(table).insert(dict(record)).last_pk
        assert added is not None  # every table here has an integer key
        return int(added)

    @classmethod
    def open(cls, path: str | Path | None = None, migrate: bool = True) -> Self:
        """Open (creating if needed) and migrate the database at `path`; with `migrate` False,
        as it is (a backup before an upgrade must copy the database as it was)."""
        location = resolve_path(path)
        try:
            if location == ":memory:":
                db = Database(memory=True)
            else:
                if not Path(location).parent.is_dir():
                    raise StorageError(
                        f"{location}: no such folder {Path(location).parent}; "
                        "nothing was created (check the path)"
                    )
                if not Path(location).exists():
                    private_file(location)  # 0600: SQLite gives -wal and -shm the same mode
                conn = sqlite3.connect(location, timeout=BUSY_TIMEOUT_MS / 1000)
                db = Database(conn)
                with db.ensure_autocommit_on():
                    db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, location)
            # Only take the write lock when there is something to do: every page run opens a
            # store, and waiting for another process's write just to find nothing pending
            # made reads as slow as the slowest write.
            if migrate and not store._up_to_date():
                with store.write():  # checked again under the lock: another process may have
                    migrations.apply(db)  # applied them in between (apply skips those done)
                    if store.get_meta("epoch") is None:
                        store.set_meta("epoch", secrets.token_hex(8))
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{location}: cannot open the database: {exc}") from None
        return store

    def _up_to_date(self) -> bool:
        """Every migration applied and the epoch set, in one plain query each (sqlite-utils'
        own check introspects the table first: 9% of the server's time at a panel event)."""
        try:
            applied = set(schema.applied_steps(self.db.conn))
        except sqlite3.OperationalError:  # no migrations table yet: a new database
            return False
        return set(schema.step_names()) <= applied and not self._epoch_missing()

    def _epoch_missing(self) -> bool:
        try:
            return self.get_meta("epoch") is None
        except sqlite3.OperationalError:  # no meta table yet: a new database
            return True

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction: BEGIN IMMEDIATE … COMMIT, rolled back on any error.

        Nested calls join the outer transaction.
        """
        conn = self.db.conn
        if conn.in_transaction:
            yield self.db
            return
        self._begin_immediate()
        try:
            yield self.db
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # a full disk, an I/O error: say which
            self._rollback()
            raise StorageError(
                f"the database could not be written ({exc}); nothing was saved"
            ) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # SQLite may already have rolled back (a full disk does): rolling back again would
        # replace the real error with "cannot rollback - no transaction is active".
        if self.db.conn.in_transaction:
            self.db.conn.execute("ROLLBACK")

    def _begin_immediate(self) -> None:
        """Take the write lock, waiting (busy timeout) and retrying with backoff when others hold it.

        A user never sees "database is locked": after the retries they get a StorageError that
        says to try again, and nothing has been written.
        """
        delay = 0.05
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self.db.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if attempt == WRITE_ATTEMPTS - 1:
                    raise StorageError(
                        "the database is busy; nothing was saved, please try again"
                    ) from None
                time.sleep(delay + random.uniform(0, delay))
                delay = min(delay * 2, 2.0)

    def backup(self, path: str | Path) -> Path:
        """An online copy of the whole database (SQLite's backup API: consistent while in use),
        made under a temporary name and then given its own: a backup killed midway leaves no
        part-written file at the name, so a retry is never blocked."""
        target = Path(path)
        if not target.parent.is_dir():
            raise StorageError(f"{target}: no such folder {target.parent}; create it first")

        def copy(temporary: Path) -> None:
            destination = sqlite3.connect(temporary)  # 0600 already: holds every panel answer
            try:
                self.db.conn.backup(destination)
            finally:
                destination.close()

        try:
            return place_file(target, copy)
        except FileRefused:
            raise StorageError(f"{target} already exists; choose a new file name") from None
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"{target}: the backup failed ({exc}); nothing was kept") from None

    @staticmethod
    def check_backup(
        path: str | Path, key: AuditKey | None = None, unchained: bool = False, demo: bool = True
    ) -> None:
        """Refuse a file that is not a sound OCF database (integrity, schema, its audit chain,
        keyed with `key` when given), or one from before the audit chain unless `unchained`
        says the administrator knows."""
        source = Path(path)
        if not source.is_file():
            raise StorageError(f"{source}: no such file")
        try:
            conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            try:
                result = conn.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {
                    row[0]
                    for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{source}: not an SQLite database ({exc})") from None
        if result != "ok":
            raise StorageError(f"{source}: integrity check failed: {result}")
        missing = {
            "_sqlite_migrations",
            "sites",
            "rounds",
            "submissions",
            "answers",
            "audit",
        } - tables
        if missing:
            raise StorageError(
                f"{source}: not an OCF database (no {', '.join(sorted(missing))} table)"
            )
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            problems = schema.schema_problems(conn)
            is_demo = (
                "meta" in tables
                and conn.execute("SELECT 1 FROM meta WHERE key = 'demo' AND value = '1'").fetchone()
                is not None
            )
            chained = "hash" in {row[1] for row in conn.execute("PRAGMA table_info(audit)")}
            # Without the key (before the target is opened), the hashes alone are checked.
            reader = StoreBase(Database(conn))
            chain = reader.check_audit_chain(key, keyed=key is not None) if chained else None
        finally:
            conn.close()
        if problems:
            raise StorageError(
                f"{source}: its schema is not what the platform makes, so it is not restored: "
                + "; ".join(problems)
            )
        if is_demo and not demo:
            raise StorageError(
                f"{source}: not restored: it is a demo database, where anyone who opens the app "
                "signs in as any role with one click. Restore it only to show the demo, with "
                "--demo."
            )
        if chain is not None and not chain.intact:
            raise StorageError(
                f"{source}: not restored: {chain.summary()}"
                + ("" if key is None else " (or it was made with another server's audit key)")
            )
        if chain is None and not unchained:
            raise StorageError(
                f"{source}: not restored: it was made before the audit log was chained, so "
                "nothing shows whether its audit log was changed. If you know where it came "
                "from, restore it with --unchained (recorded in the audit log)."
            )

    @staticmethod
    def pending_steps(path: str | Path) -> list[str]:
        """The migration steps a database file has not applied yet, read without changing it
        (a new file, or one without any step, has them all pending)."""
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            applied = set(schema.applied_steps(conn))
        except sqlite3.OperationalError:
            applied = set()
        finally:
            conn.close()
        return [name for name in schema.step_names() if name not in applied]

    @staticmethod
    def describe(path: str | Path) -> str:
        """A database file in a few words, to say what a restore replaces and with what:
        '3 sites, 2 rounds, last change 6 Dec 2026 10:04 UTC'. Read only."""
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            sites = conn.execute("SELECT COUNT(*) FROM sites").fetchone()[0]
            rounds = conn.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
            last = conn.execute("SELECT MAX(at) FROM audit").fetchone()[0]
        except sqlite3.DatabaseError:
            return "not a readable OCF database"
        finally:
            conn.close()
        when = "never changed"
        if last:
            moment = datetime.fromisoformat(last)
            when = f"last change {moment.day} {moment:%b %Y %H:%M} UTC"
        sites_said = f"{sites} site{'' if sites == 1 else 's'}"
        rounds_said = f"{rounds} round{'' if rounds == 1 else 's'}"
        return f"{sites_said}, {rounds_said}, {when}"

    def restore_from(
        self, path: str | Path, actor: str, unchained: bool = False, demo: bool = False
    ) -> None:
        """Replace this database's content with a checked backup, then bring its schema up to date."""
        # A demo database only over a demo, or when asked (one-click sign-in as any role).
        self.check_backup(path, self.audit_key(), unchained, demo or self.is_demo)
        source = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            source.backup(self.db.conn)
        finally:
            source.close()
        key = self.audit_key()
        if self.key_file is not None and key.keyed_from > self._next_id():
            # The backup has fewer entries than the key has seen: key from its next entry on.
            self._audit_key = rekey_from(self.key_file, key, self._next_id())
        with self.write():
            migrations.apply(self.db)
            self.set_meta("epoch", secrets.token_hex(8))
            self._audit(
                actor, "restore", "database", str(path), None,
                {"unchained backup": True} if unchained else None,
            )  # fmt: skip
        self._frameworks.clear()
        self._surveys.clear()

    def audit_key(self) -> AuditKey:
        """The audit chain's key: in a file beside the database (made on first use, 0600), or
        for a database in memory, one of its own."""
        if self._audit_key is None:
            if self._location == ":memory:":
                self._audit_key = AuditKey(secrets.token_bytes(32))
            else:
                try:
                    self._audit_key = load_or_create_key(key_path(self._location), self._next_id)
                except (KeyFileError, OSError) as exc:
                    raise StorageError(str(exc)) from None
        return self._audit_key

    @property
    def key_file(self) -> Path | None:
        """Where the audit key lives (None for a database in memory)."""
        return None if self._location == ":memory:" else key_path(self._location)

    def _next_id(self) -> int:
        try:
            return self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM audit").fetchone()[0]
        except sqlite3.OperationalError:  # no audit table yet: a new database
            return 1

    def _audit(
        self, actor: str, action: str, entity: str, entity_id: str | None, before: Any, after: Any
    ) -> None:
        key = self.audit_key()
        last = self.db.execute(
            "SELECT id, hash, mac FROM audit ORDER BY id DESC LIMIT 1"
        ).fetchone()
        entry = {
            "id": (last[0] if last else 0) + 1,
            "at": now(),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": None if before is None else json.dumps(before, default=str),
            "after": None if after is None else json.dumps(after, default=str),
        }
        entry["hash"] = entry_hash(last[1] if last else GENESIS, entry)
        link = link_of(last[0], last[1], last[2], key) if last else GENESIS
        entry["mac"] = entry_mac(key.key, link, entry)
        self.db.table("audit").insert(entry)

    def check_audit_chain(self, key: AuditKey | None = None, keyed: bool = True) -> ChainCheck:
        """Recompute the audit log's keyed hash chain (`ocf.audit_chain`) with `key`, by
        default this database's own; `keyed=False` checks the hashes alone."""
        key = (key or self.audit_key()) if keyed else None
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(audit)")}
        names = [*AUDIT_FIELDS, "hash", *(["mac"] if "mac" in columns else [])]
        cursor = self.db.execute(f"SELECT {', '.join(names)} FROM audit ORDER BY id")
        return check_chain((dict(zip(names, row, strict=True)) for row in cursor), key)

    def change_stamp(self) -> str:
        """Changes whenever the data change: every write is audited, so the newest audit id,
        with the database's epoch, renewed by a restore, since a restored audit log can repeat
        an id already seen with other data."""
        newest = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM audit").fetchone()[0]
        return f"{self.get_meta('epoch')}:{newest}"

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write():
            self.db.table("meta").upsert({"key": key, "value": value}, pk="key")

    @property
    def is_demo(self) -> bool:
        return self.get_meta("demo") == "1"


class Repository:
    """One aggregate's operations (`store.rounds`, `store.submissions`, …) over the store's one
    connection: its reads and writes join the store's transactions (`write`) and audit log.
    A repository that needs another is given it when the store is made (`Submissions` is given
    `Rounds` and `Panels`), so what depends on what is in view.
    """

    def __init__(self, store: StoreBase) -> None:
        self.store = store

    @property
    def db(self) -> Database:
        return self.store.db

    def write(self) -> AbstractContextManager[Database]:
        return self.store.write()

    def _audit(
        self, actor: str, action: str, entity: str, entity_id: str | None, before: Any, after: Any
    ) -> None:
        self.store._audit(actor, action, entity, entity_id, before, after)

    def _insert(self, table: str, record: Mapping[str, Any]) -> int:
        return self.store._insert(table, record)
