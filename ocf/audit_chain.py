"""The audit log as a keyed hash chain (docs/security.md, *Audit*): an edited entry is
detectable, even by someone who holds the database file.

Each entry's `hash` is SHA-256 of the previous entry's hash and the entry's own fields, and its
`mac` an HMAC-SHA256 of the previous entry's link and the same fields, keyed with a secret kept
outside the database (a file beside it, made on first use: `AuditKey`). Without the key nobody
can recompute the chain after changing, inserting or deleting an entry: SHA-256 alone could be
recomputed by anyone. Entries made before the key existed (ids below `keyed_from`) carry only
the hash; the first keyed entry chains from that hash, so they are covered too.
`ocf audit --verify` and the audit page recompute the chain; the head they print can be written
down elsewhere and checked later (`--anchor`), which detects a truncated end too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FIELDS",
    "GENESIS",
    "AuditKey",
    "ChainCheck",
    "KeyFileError",
    "check_chain",
    "entry_hash",
    "entry_mac",
    "key_path",
    "link_of",
    "load_or_create_key",
    "rekey_from",
]


FIELDS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after")
GENESIS = ""


def _content(entry: Mapping[str, Any]) -> str:
    return json.dumps([entry.get(f) for f in FIELDS], ensure_ascii=False, default=str)


def entry_hash(previous: str, entry: Mapping[str, Any]) -> str:
    """The hash of an entry that follows one with hash `previous`."""
    return hashlib.sha256(f"{previous}\n{_content(entry)}".encode()).hexdigest()


def entry_mac(key: bytes, previous: str, entry: Mapping[str, Any]) -> str:
    """The keyed link of an entry that follows one whose link is `previous`."""
    message = f"{previous}\n{_content(entry)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AuditKey:
    """The secret the chain is keyed with, and the first entry id made with it."""

    key: bytes
    keyed_from: int = 1


def link_of(entry_id: int, hash_: str, mac: str | None, key: AuditKey) -> str:
    """What the next entry chains from: a keyed entry's mac, an earlier one's hash."""
    return mac if entry_id >= key.keyed_from and mac else hash_


def rekey_from(path: Path, key: AuditKey, keyed_from: int) -> AuditKey:
    """The same key, keyed from an earlier entry (after a restore brought back fewer entries
    than the key has seen): written whole to a temporary file, then moved into place."""
    moved = AuditKey(key.key, keyed_from)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(json.dumps({"key": key.key.hex(), "keyed_from": keyed_from}) + "\n")
    os.replace(temporary, path)
    return moved


def key_path(database: str) -> Path:
    """Where a database's audit key lives: OCF_AUDIT_KEY_FILE, else beside the database."""
    return Path(os.environ.get("OCF_AUDIT_KEY_FILE") or f"{database}.audit-key")


def load_or_create_key(path: Path, next_id: Callable[[], int]) -> AuditKey:
    """The key in `path`; made there (0600, 256 random bits) when there is none, keyed from the
    next audit entry (`next_id()`). Made whole in a temporary file and linked into place, so
    two processes starting at once agree on one key."""
    if not path.exists():
        text = json.dumps({"key": secrets.token_hex(32), "keyed_from": next_id()})
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(text + "\n")
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    try:
        data = json.loads(path.read_text())
        return AuditKey(bytes.fromhex(data["key"]), int(data["keyed_from"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{path}: the audit log's key cannot be read ({exc})") from None


class KeyFileError(Exception):
    """The audit key file exists but cannot be used."""


@dataclass(frozen=True)
class ChainCheck:
    """The result of recomputing the chain: intact, or the first entry that does not fit."""

    entries: int
    head: str
    broken_at: int | None = None  # the id of the first entry whose hash does not match
    links: frozenset[str] = frozenset()  # every entry's link, to find an anchor among them
    keyed_from: int | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def summary(self) -> str:
        if self.intact:
            keyed = (
                ""
                if self.keyed_from is None
                else f", keyed from entry {self.keyed_from}"
                if self.keyed_from > 1
                else ", keyed"
            )
            return f"audit log intact: {self.entries} entries{keyed}, head {self.head[:16]}"
        return (
            f"audit log BROKEN at entry {self.broken_at}: it, or an entry before it, was "
            "changed, inserted or deleted outside the platform"
        )

    def holds(self, anchor: str) -> bool:
        """Whether a head written down earlier (at least 16 characters of it) is still in the
        chain: the log may have grown since, but nothing up to it was removed or rebuilt."""
        anchor = anchor.strip().lower()
        return len(anchor) >= 16 and any(link.startswith(anchor) for link in self.links)


def check_chain(entries: Iterable[Mapping[str, Any]], key: AuditKey | None = None) -> ChainCheck:
    """Recompute the chain over entries in id order (each with its stored `hash`, and `mac`
    where keyed). With `key`, every entry from `key.keyed_from` on must carry a valid mac; an
    earlier one is linked by its hash (`link_of`)."""
    previous, link, count, links = GENESIS, GENESIS, 0, set()
    for entry in entries:
        expected = entry_hash(previous, entry)
        if entry.get("hash") != expected:
            return ChainCheck(count, link, broken_at=entry["id"])
        if key is not None and entry["id"] >= key.keyed_from:
            mac = entry_mac(key.key, link, entry)
            if not hmac.compare_digest(str(entry.get("mac")), mac):
                return ChainCheck(count, link, broken_at=entry["id"])
            link = mac
        else:
            link = expected
        previous, count = expected, count + 1
        links.add(link)
    return ChainCheck(
        count, link, links=frozenset(links), keyed_from=None if key is None else key.keyed_from
    )
