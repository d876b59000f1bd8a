"""Backups on a schedule: names that sort by time, and rotation that keeps the newest N
(`ocf backup FOLDER --keep N`, run by a timer: docs/deployment.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["backup_name", "rotate"]

_NAME = re.compile(r"ocf-\d{8}-\d{6}\.db")


def backup_name(moment: datetime | None = None) -> str:
    """'ocf-20261206-041500.db': the backup's time in UTC, so names sort by time."""
    return f"ocf-{(moment or datetime.now(UTC)):%Y%m%d-%H%M%S}.db"


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups named by `backup_name` in `folder` (no other
    file is touched); returns those deleted, oldest first."""
    backups = sorted(p for p in folder.iterdir() if _NAME.fullmatch(p.name) and p.is_file())
    gone = backups[:-keep] if keep < len(backups) else []
    for path in gone:
        path.unlink()
    return gone
