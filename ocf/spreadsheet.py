"""Every CSV and XLSX the platform writes goes through here (docs/security.md, *Spreadsheets*).

Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` (and some a tab or a
carriage return) as a formula: a site name or an audit entry such as
`=HYPERLINK("http://…"&A1)` would run in the reader's spreadsheet. So every *text* cell that
starts with one of those gets a leading `'`, which spreadsheets show as text and hide; numbers
stay numbers (a gap of -0.5 is not text). XLSX cells are written as values, never formulas.
Files are created readable by their owner only (0600): exports hold assessment data.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_LEADS",
    "PRIVATE",
    "FileRefused",
    "csv_text",
    "neutralise",
    "neutralised",
    "place_file",
    "private_file",
    "write_csv",
    "write_text",
    "write_xlsx",
    "xlsx_data",
]


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
PRIVATE = 0o600


def neutralise(value: Any) -> Any:
    """A text value that a spreadsheet would run as a formula, marked as text; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell neutralised (numbers and missing cells untouched)."""
    result = frame.copy()
    for column in result.columns:
        if not pd.api.types.is_numeric_dtype(result[column]) and not pd.api.types.is_bool_dtype(
            result[column]
        ):
            result[column] = result[column].map(neutralise, na_action="ignore")
    result.columns = [neutralise(str(c)) for c in result.columns]
    return result


def csv_text(frame: pd.DataFrame) -> str:
    """A frame as CSV text, neutralised (for the command line and downloads).

    Rows end with CRLF (RFC 4180, the Excel dialect): Python's writer quotes a field that holds
    a character of the line ending, so a text with a bare carriage return is quoted too. With
    `\n` endings it was written bare, and a spreadsheet started a new row at the `\r`, where
    `=…` ran as a formula past the guard above."""
    return neutralised(frame).to_csv(index=False, lineterminator="\r\n")


def private_file(path: str | Path) -> Path:
    """Create (or truncate) `path` readable and writable by its owner only, and return it."""
    path = Path(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    os.close(descriptor)
    os.chmod(path, PRIVATE)  # an existing file keeps its mode through O_CREAT
    return path


class FileRefused(Exception):
    """A file the platform will not write: it exists (and no --force) or is a symbolic link."""


def place_file(path: str | Path, write: Callable[[Path], None], force: bool = False) -> Path:
    """Write a new file at `path` whole, or not at all: `write` fills a temporary file (0600,
    in the same folder), which then takes the name. An existing file is refused unless
    `force`, and a symbolic link always (it would point the write elsewhere); a process killed
    midway leaves only its temporary file, never a part-written one that blocks a retry."""
    path = Path(path)
    if path.is_symlink():
        raise FileRefused(f"{path} is a symbolic link; write to the file itself")
    if path.exists() and not force:
        raise FileRefused(f"{path} already exists; choose a new name, or add --force to replace it")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE)
    os.close(descriptor)
    try:
        write(temporary)
        os.chmod(temporary, PRIVATE)
        if force:
            os.replace(temporary, path)  # replaces a link or file by name, never through it
        else:
            try:
                os.link(temporary, path)  # fails if the name was taken meanwhile
            except FileExistsError:
                raise FileRefused(
                    f"{path} already exists; choose a new name, or add --force to replace it"
                ) from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_csv(frame: pd.DataFrame, path: str | Path, force: bool = False) -> Path:
    return write_text(csv_text(frame), path, force)


def write_text(text: str, path: str | Path, force: bool = False) -> Path:
    def write(place: Path) -> None:
        place.write_text(text, encoding="utf-8")

    return place_file(path, write, force)


def xlsx_data(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook in memory: one sheet per frame, every cell a value (text cells neutralised,
    none a formula). For a download, no file is written anywhere."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            neutralised(frame).to_excel(writer, sheet_name=name, index=False)
            for row in writer.sheets[name].iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # openpyxl reads a leading '=' as a formula
                        cell.data_type = "s"
    return buffer.getvalue()


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path, force: bool = False) -> Path:
    """`xlsx_data` written to `path` as every file here is (`place_file`)."""
    data = xlsx_data(sheets)

    def fill(target: Path) -> None:
        target.write_bytes(data)

    return place_file(path, fill, force)
