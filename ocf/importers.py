"""CSV imports, validated whole before anything is written.

Each `read_*` function returns records ready for the store or raises DataError listing every
problem as FILE:ROW N: field: message, where ROW counts lines as a spreadsheet does (the header
is row 1). The caller writes the records in one transaction, so an import is all-or-nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from ocf.errors import DataError, Problem
from ocf.models import SITE_KINDS, Site, SiteKind
from ocf.store import Store

__all__ = [
    "LONGEST_LINE",
    "MOST_PROBLEMS",
    "RESPONSE_COLUMNS",
    "RESPONSE_REQUIRED",
    "SITE_CODE",
    "SITE_COLUMNS",
    "SITE_REQUIRED",
    "Interned",
    "LineTooLong",
    "Progress",
    "Row",
    "Table",
    "arguments_table",
    "as_stream",
    "bytes_left",
    "check_header",
    "open_binary",
    "parent_cycle",
    "read_table",
    "read_text",
    "site_problems",
    "stream_rows",
    "validate_sites",
]


SITE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,11}$")
SITE_COLUMNS = ("code", "name", "kind", "parent", "cohort")
SITE_REQUIRED = ("code", "name")
RESPONSE_COLUMNS = ("site", "round", "survey", "respondent", "item", "value", "text")
RESPONSE_REQUIRED = ("site", "round", "survey", "respondent", "item", "value")

Row = tuple[int | None, dict[str, str]]  # (spreadsheet row number, cells)


@dataclass(frozen=True)
class Table:
    source: str
    rows: Iterable[Row]  # a list, or rows read as they come (stream_rows)


def read_text(path: str | Path) -> str:
    """A UTF-8 file's text; a clear DataError for a missing, unreadable or non-UTF-8 file."""
    source = str(path)
    _require_regular(path)
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError([Problem(source, "no such file")]) from None
    except IsADirectoryError:
        raise DataError([Problem(source, "is a folder; expected a CSV file")]) from None
    except UnicodeDecodeError as exc:
        raise DataError(
            [
                Problem(
                    source,
                    f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and try again",
                )
            ]
        ) from None
    except OSError as exc:
        raise DataError([Problem(source, f"cannot read the file: {exc.strerror}")]) from None


def _require_regular(path: str | Path) -> None:
    """A device or a pipe (/dev/zero, /dev/urandom) is no file to import: it may never end."""
    target = Path(path)
    if target.exists() and not target.is_dir() and not target.is_file():
        raise DataError(
            [Problem(str(path), "is not a regular file (a device or a pipe); expected a CSV file")]
        )


def check_header(
    source: str, cells: list[str] | None, columns: Sequence[str], required: Sequence[str]
) -> list[str]:
    """The header row's column names (lower case); DataError for a missing, unknown or
    repeated column, or no header at all."""
    if cells is None:
        raise DataError([Problem(source, "the file is empty; expected a header row", row=1)])
    header = [h.strip().lower() for h in cells]
    problems = []
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in columns]
    if missing:
        problems.append(
            Problem(
                source,
                f"missing column(s) {', '.join(missing)}; expected {','.join(columns)}",
                row=1,
            )
        )
    if unknown:
        problems.append(
            Problem(
                source,
                f"unknown column(s) {', '.join(map(repr, unknown))}; expected {','.join(columns)}",
                row=1,
            )
        )
    if len(set(header)) != len(header):
        problems.append(Problem(source, "a column name appears twice", row=1))
    if problems:
        raise DataError(problems)
    return header


@contextmanager
def open_binary(path: str | Path) -> Iterator[BinaryIO]:
    """A file opened to be read as it comes (a big import is never read whole), with the same
    clear DataError as `read_text` for a missing, unreadable or folder path."""
    source = str(path)
    _require_regular(path)
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 (closed below, once its errors are named)
    except FileNotFoundError:
        raise DataError([Problem(source, "no such file")]) from None
    except IsADirectoryError:
        raise DataError([Problem(source, "is a folder; expected a CSV file")]) from None
    except OSError as exc:
        raise DataError([Problem(source, f"cannot read the file: {exc.strerror}")]) from None
    with stream:
        yield stream


def as_stream(content: str | bytes | BinaryIO) -> BinaryIO:
    """A file's content as a binary stream to read as it comes: text is encoded as UTF-8,
    bytes wrapped, a stream (an upload, an open file) used as it is."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    return io.BytesIO(content) if isinstance(content, bytes) else content


def bytes_left(stream: BinaryIO) -> int:
    """How many bytes the stream holds from where it is (at least 1: progress divides by it),
    leaving it where it was."""
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    stream.seek(start)
    return max(size, 1)


def read_table(
    path: str | Path,
    columns: Sequence[str],
    required: Sequence[str],
    text: str | None = None,
) -> Table:
    """Read a CSV file with a header; check its columns; strip every cell."""
    source = str(path)
    if text is None:
        text = read_text(path)
    data = text.lstrip("\ufeff").encode("utf-8")
    return Table(
        source, list(stream_rows(io.BytesIO(data), source, len(data), None, columns, required))
    )


class Interned:
    """Strings as small integer codes: a big file's repeated texts are kept once."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.texts: list[str] = []

    def __call__(self, text: str) -> int:
        code = self.codes.get(text)
        if code is None:
            code = self.codes[text] = len(self.texts)
            self.texts.append(text)
        return code


Progress = Callable[[str, float], None]  # what is happening, and how far (0 to 1)
MOST_PROBLEMS = 1_000  # a file with more is not read to the end: the first thousand say enough
_EVERY = 20_000  # rows between progress reports


LONGEST_LINE = 1 << 20  # bytes: no real row is near this; an endless one is refused


class LineTooLong(Exception):
    """A line of the file goes on past LONGEST_LINE bytes."""


class _Counting(io.RawIOBase):
    """A binary stream that counts the bytes read from it (for progress), and refuses a line
    longer than LONGEST_LINE: text is assembled a line at a time, so an endless line (a file
    of one megabyte-long row, /dev/zero) would otherwise be held whole in memory."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.read_bytes, self.line = stream, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        end = data.rfind(b"\n")
        self.line = len(data) - end - 1 if end >= 0 else self.line + len(data)
        if self.line > LONGEST_LINE:
            raise LineTooLong
        return len(data)


def stream_rows(
    stream: BinaryIO,
    source: str,
    size: int,
    progress: Progress | None = None,
    columns: Sequence[str] = RESPONSE_COLUMNS,
    required: Sequence[str] = RESPONSE_REQUIRED,
) -> Iterator[Row]:
    """The rows of a UTF-8 CSV with a header of `columns`, read as they come (never the whole
    text at once); cells stripped, blank lines skipped."""
    counting = _Counting(stream)
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 20), encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    number, rows = 1, 0
    try:
        header = check_header(source, next(reader, None), columns, required)
        problems: list[Problem] = []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(source, f"expected {len(header)} cells, found {len(cells)}", row=number)
                )
                if len(problems) >= MOST_PROBLEMS:
                    break
                continue
            rows += 1
            yield number, {h: c.strip() for h, c in zip(header, cells, strict=True)}
            if progress is not None and number % _EVERY == 0:
                progress(f"Read and checked {number - 1:,} rows", counting.read_bytes / size)
    except UnicodeDecodeError:
        raise DataError(
            [
                Problem(
                    source,
                    "not UTF-8 text; save it as 'CSV UTF-8' and try again",
                    row=number + 1,
                )
            ]
        ) from None
    except csv.Error as exc:
        problems = [Problem(source, f"cannot read the CSV: {exc}", row=reader.line_num)]
    except LineTooLong:
        raise DataError(
            [
                Problem(
                    source,
                    f"a line runs on past {LONGEST_LINE // (1 << 20)} MB without ending; "
                    "expected a CSV file with one row per line",
                    row=number + 1,
                )
            ]
        ) from None
    if problems:
        raise DataError(problems)
    if not rows:
        raise DataError([Problem(source, "no data rows below the header", row=2)])


# --------------------------------------------------------------------------- sites


def site_problems(
    site: Site, kinds: Mapping[str, str], missing_parent_hint: str
) -> list[tuple[str, str]]:
    """(field, message) for every rule a site breaks; `kinds` maps known site codes to kinds.

    The one definition of what a valid site is, for CSV imports, `ocf site add` and the app.
    """
    problems = []
    if not site.name.strip():
        problems.append(("name", "required; expected the site's name"))
    if site.kind not in SITE_KINDS:
        problems.append(("kind", f"{site.kind!r} is not a kind; expected {', '.join(SITE_KINDS)}"))
    if site.parent is not None:
        if site.parent == site.code:
            problems.append(("parent", "a site cannot be its own parent"))
        elif site.parent not in kinds:
            problems.append(("parent", f"unknown site {site.parent}; {missing_parent_hint}"))
        elif kinds[site.parent] == "trust":
            problems.append(
                ("parent", f"{site.parent} is a trust; a parent must be an icb or place")
            )
    return problems


def parent_cycle(code: str, parents: Mapping[str, str | None]) -> str | None:
    """'A → B → A' when following parents from `code` comes back to it; else None."""
    chain, parent = [code], parents.get(code)
    while parent is not None and parent not in chain[1:]:
        chain.append(parent)
        if parent == code:
            return " → ".join(chain)
        parent = parents.get(parent)
    return None


def validate_sites(table: Table, store: Store) -> list[Site]:
    """Sites from rows of code,name[,kind,parent,cohort], parents ordered before children."""
    problems: list[Problem] = []
    existing = {site.code: site for site in store.sites.list_sites(include_retired=True)}
    incoming: dict[str, tuple[int | None, Site]] = {}

    def problem(row: int | None, field: str, message: str) -> None:
        problems.append(Problem(table.source, message, row=row, field=field))

    for number, row in table.rows:
        code = row.get("code", "").upper()
        if not SITE_CODE.match(code):
            problem(
                number,
                "code",
                f"{row.get('code', '')!r} is not a site code; expected 2–12 letters, digits or hyphens (ODS style, e.g. RX4)",
            )
            continue
        if code in existing:
            problem(number, "code", f"site {code} already exists")
            continue
        if code in incoming:
            problem(number, "code", f"site {code} appears twice (first at row {incoming[code][0]})")
            continue
        kind = (row.get("kind") or "trust").lower()
        parent = (row.get("parent") or "").upper() or None
        incoming[code] = (
            number,
            # The kind is checked with everything else below (site_problems), by row.
            Site(
                code, row.get("name", ""), cast(SiteKind, kind), parent, row.get("cohort") or None
            ),
        )

    kinds = {code: site.kind for code, site in existing.items()}
    kinds.update({code: site.kind for code, (_, site) in incoming.items()})
    parents = {code: site.parent for code, site in existing.items()}
    parents.update({code: site.parent for code, (_, site) in incoming.items()})
    for number, site in incoming.values():
        for field, message in site_problems(
            site, kinds, "add the ICB or place first or in the same file"
        ):
            problem(number, field, message)
        if cycle := parent_cycle(site.code, parents):
            problem(
                number,
                "parent",
                f"the parents make a cycle ({cycle}); a site cannot contain itself",
            )
    if problems:
        raise DataError(problems)
    return sorted(
        (site for _, site in incoming.values()), key=lambda s: _depth(s, incoming, existing)
    )


def _depth(
    site: Site, incoming: Mapping[str, tuple[int | None, Site]], existing: Mapping[str, Site]
) -> int:
    depth, parent = 0, site.parent
    while parent is not None and parent in incoming and depth < 10:
        depth, parent = depth + 1, incoming[parent][1].parent
    return depth


# --------------------------------------------------------------------------- arguments


def arguments_table(source: str, row: Mapping[str, str | None]) -> Table:
    """One row given as command arguments (e.g. `ocf site add`): problems name no row."""
    return Table(source, [(None, {k: v or "" for k, v in row.items()})])
