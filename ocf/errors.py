"""Exceptions raised by the ocf core.

    OcfError                  anything the user can fix; never a traceback in the CLI
     ├── ConfigError          framework or survey YAML is invalid (carries Problems)
     ├── DataError            an imported file or an answer is invalid (carries Problems)
     ├── PermissionDenied     the acting user may not do this
     ├── NotFound             a site, round or other record named by the user does not exist
     ├── ConflictError        a save against a stale version, or a duplicate
     └── StorageError         the database cannot be opened or written

ConfigError and DataError carry every problem found, so that a user fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "ConflictError",
    "DataError",
    "NotFound",
    "OcfError",
    "PermissionDenied",
    "Problem",
    "StorageError",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is expected."""

    source: str
    message: str
    line: int | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        elif self.row is not None:
            where += f":ROW {self.row}"
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {field}{self.message}"


class OcfError(Exception):
    """Base class: a problem the user can understand and fix."""


class _ProblemsError(OcfError):
    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(_ProblemsError):
    """Framework or survey YAML that does not validate."""


class DataError(_ProblemsError):
    """An imported file, or answers, that do not validate."""


class PermissionDenied(OcfError):
    """The acting user is not allowed to do this."""


class NotFound(OcfError, LookupError):
    """A site, round, account, competency, item or other record named does not exist: the one
    error for "not found" everywhere (a LookupError, as a missing key is). `kind` names what was
    looked for ("round", "site"), so each interface can add its own hint (the CLI: which
    command lists them); the message itself says only what is missing."""

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.kind = kind


class ConflictError(OcfError):
    """A write against a stale version, or one that would duplicate existing data."""


class StorageError(OcfError):
    """The database cannot be opened, migrated or written."""
