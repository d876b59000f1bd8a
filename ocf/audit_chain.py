"""The audit log as a hash chain (docs/security.md, *Audit*): an edited entry is detectable.

Each entry's hash is SHA-256 of the previous entry's hash and the entry's own fields, so
changing, inserting or deleting an entry anywhere but at the very end breaks every hash after
it. `ocf audit --verify` and the audit page recompute the chain; the head hash they print can be
written down elsewhere to detect a truncated end too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FIELDS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after")
GENESIS = ""


def entry_hash(previous: str, entry: Mapping[str, Any]) -> str:
    """The hash of an entry that follows one with hash `previous`."""
    content = json.dumps([entry.get(f) for f in FIELDS], ensure_ascii=False, default=str)
    return hashlib.sha256(f"{previous}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """The result of recomputing the chain: intact, or the first entry that does not fit."""

    entries: int
    head: str
    broken_at: int | None = None  # the id of the first entry whose hash does not match

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def summary(self) -> str:
        if self.intact:
            return f"audit log intact: {self.entries} entries, head {self.head[:16]}"
        return (
            f"audit log BROKEN at entry {self.broken_at}: it, or an entry before it, was "
            "changed, inserted or deleted outside the platform"
        )


def check_chain(entries: Iterable[Mapping[str, Any]]) -> ChainCheck:
    """Recompute the chain over entries in id order (each with its stored `hash`)."""
    previous, count = GENESIS, 0
    for entry in entries:
        expected = entry_hash(previous, entry)
        if entry.get("hash") != expected:
            return ChainCheck(count, previous, broken_at=entry["id"])
        previous, count = expected, count + 1
    return ChainCheck(count, previous)
