"""Big imports in bounded memory (issue 22): a responses file is read as it comes and kept as
integer codes, so that memory grows by less than the file's size; it is still all or nothing,
every problem is named by row, and long work reports its progress."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

from benchmarks.big_files import ROUND, SITES, prepare, responses_file
from ocf.access import SYSTEM
from ocf.admin import confirm_responses, preview_responses
from ocf.errors import DataError
from ocf.store import Store

from .conftest import dump


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    folder = tmp_path_factory.mktemp("big")
    prepare(folder / "empty.db")
    rows = responses_file(folder / "responses.csv", 3)
    return folder / "empty.db", folder / "responses.csv", rows


def _copy(tmp_path: Path, db: Path) -> Store:
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    return Store.open(copy)


def _peak(store: Store, data: bytes) -> tuple[int, object]:
    """Python's peak allocation while checking `data` (tracemalloc; the caches warmed first)."""
    tracemalloc.start()
    batch = preview_responses(store, SYSTEM, io.BytesIO(data), "file.csv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, batch


def test_memory_grows_by_less_than_the_file_whatever_its_length(big, tmp_path: Path) -> None:
    db, csv, rows = big
    store = _copy(tmp_path, db)
    whole = csv.read_bytes()
    # The first third, cut where a respondent starts (their first answer is respondent-role).
    third = whole[: whole.rindex(b"\n", 0, whole.index(b",respondent-role,", len(whole) // 3)) + 1]
    _peak(store, third)  # warms the round's survey and framework, read once per store
    small, _ = _peak(store, third)
    large, batch = _peak(store, whole)
    grown, longer = large - small, len(whole) - len(third)
    assert grown < longer, f"{grown:,} more bytes for {longer:,} more bytes of file"
    assert batch.answers == rows
    added = confirm_responses(store, SYSTEM, batch, assisted=False)
    assert added == len(batch) == len(store.list_submissions(ROUND))
    assert store.answers_frame(ROUND).shape[0] == rows


def test_progress_is_reported_as_the_file_is_read_and_saved(big, tmp_path: Path) -> None:
    db, csv, _ = big
    store = _copy(tmp_path, db)
    seen: list[tuple[str, float]] = []
    with csv.open("rb") as stream:
        batch = preview_responses(store, SYSTEM, stream, csv.name, lambda w, d: seen.append((w, d)))
    confirm_responses(store, SYSTEM, batch, progress=lambda w, d: seen.append((w, d)))
    reading = [d for w, d in seen if w.startswith("Read and checked")]
    saving = [d for w, d in seen if w.startswith("Saved")]
    assert len(reading) >= 2 and reading == sorted(reading) and reading[-1] <= 1
    assert saving == sorted(saving) and saving[-1] == 1.0
    assert any(w.startswith("Checking each respondent") for w, _ in seen)


def test_one_bad_row_at_the_end_of_a_big_file_changes_nothing(big, tmp_path: Path) -> None:
    db, csv, rows = big
    store = _copy(tmp_path, db)
    before = dump(store)
    data = csv.read_bytes() + f"{SITES[0]},{ROUND},ocf-panel,R0000001,help-early,7,\n".encode()
    with pytest.raises(DataError) as caught:
        preview_responses(store, SYSTEM, io.BytesIO(data), "late.csv")
    (problem,) = caught.value.problems
    # The last row repeats an answer R0000001 gave near the top, and its value is not allowed.
    assert problem.row == rows + 2 and problem.field == "value"
    assert dump(store) == before


def test_an_item_answered_twice_far_apart_is_found(big, tmp_path: Path) -> None:
    db, csv, rows = big
    store = _copy(tmp_path, db)
    data = csv.read_bytes() + f"{SITES[1]},{ROUND},ocf-panel,R0000001,help-early,4,\n".encode()
    with pytest.raises(DataError) as caught:
        preview_responses(store, SYSTEM, io.BytesIO(data), "twice.csv")
    messages = [str(p) for p in caught.value.problems]
    assert any(
        f"twice.csv:ROW {rows + 2}: item: R0000001 answers help-early twice (first at row" in m
        for m in messages
    ), messages


def test_bytes_that_are_not_utf8_are_named_by_row() -> None:
    from ocf.importers import stream_rows

    data = b"site,round,survey,respondent,item,value\n" + b"XTA1,r,s,P1,a,1\n" * 3 + b"\xff\xfe\n"
    with pytest.raises(DataError, match="not UTF-8 text"):
        list(stream_rows(io.BytesIO(data), "bad.csv", len(data)))


def test_the_command_line_shows_progress_only_on_a_terminal(big, tmp_path: Path, runner) -> None:
    from ocf.cli import _progress_line, main

    assert _progress_line() is None  # under a test runner stderr is not a terminal
    db, csv, _ = big
    copy = tmp_path / "cli.db"
    copy.write_bytes(db.read_bytes())
    result = runner.invoke(main, ["import", "responses", str(csv), "--db", str(copy)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Imported ") and "%" not in result.output


def test_a_detention_template_grows_memory_by_a_small_multiple_of_the_file(tmp_path: Path) -> None:
    """Checked as it is read and kept as columns; the standardised rates are worked out by
    sorting and summing, and kept once per group."""
    from benchmarks.big_files import detentions_file
    from ocf.admin import confirm_detentions, preview_detentions

    prepare(tmp_path / "d.db")
    store = Store.open(tmp_path / "d.db")
    detentions_file(tmp_path / "d.csv", 3)
    whole = (tmp_path / "d.csv").read_bytes()
    third = whole[: whole.index(b"\n", len(whole) // 3) + 1]

    def peak(data: bytes):
        tracemalloc.start()
        preview = preview_detentions(store, SYSTEM, io.BytesIO(data), "d.csv")
        _, most = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return most, preview

    peak(third)
    small, _ = peak(third)
    large, preview = peak(whole)
    assert large - small < 3 * (len(whole) - len(third))  # measured: about 2x (BENCHMARKS.md)
    added, replaced = confirm_detentions(store, SYSTEM, preview)
    assert (added, replaced) == (preview.adding, 0) == (whole.count(b"\n") - 1, 0)
    frame = store.detentions_frame()
    assert frame["std_rate"].notna().all()  # every group has 38 bands and enough events


def test_a_bad_detention_row_deep_in_a_big_file_is_named_and_nothing_written(
    tmp_path: Path,
) -> None:
    from benchmarks.big_files import detentions_file
    from ocf.admin import preview_detentions

    prepare(tmp_path / "d.db")
    store = Store.open(tmp_path / "d.db")
    rows = detentions_file(tmp_path / "d.csv", 1)
    data = (
        tmp_path / "d.csv"
    ).read_bytes() + b"XB000,1901-02,All detentions,White,0-4,Female,9,5\n"
    with pytest.raises(DataError) as caught:
        preview_detentions(store, SYSTEM, io.BytesIO(data), "d.csv")
    messages = [str(p) for p in caught.value.problems]
    assert messages[0].startswith(f"d.csv:ROW {rows + 2}: count: 9 is more than the population")
