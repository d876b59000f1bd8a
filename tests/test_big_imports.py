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
    assert added == len(batch) == len(store.submissions.list_submissions(ROUND))
    assert store.submissions.answers_frame(ROUND).shape[0] == rows


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


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A database with the benchmark's sites and a 3 MB detention template (about 50,000 rows,
    every group with 38 bands)."""
    from benchmarks.big_files import detentions_file

    folder = tmp_path_factory.mktemp("template")
    prepare(folder / "d.db")
    detentions_file(folder / "d.csv", 3)
    return folder / "d.db", (folder / "d.csv").read_bytes()


def test_a_detention_template_grows_memory_by_less_than_the_file(
    template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked as it is read and kept as columns; repeated keys, bands and standardised rates
    are worked out a part at a time (parts made small here, so that a 3 MB file has several)."""
    from ocf import detention_import
    from ocf.admin import confirm_detentions, preview_detentions

    monkeypatch.setattr(detention_import, "PART_ROWS", 4096)
    store = _copy(tmp_path, template[0])
    whole = template[1]
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
    grown, longer = large - small, len(whole) - len(third)
    assert grown < longer, f"{grown:,} more bytes for {longer:,} more bytes of file"
    added, replaced = confirm_detentions(store, SYSTEM, preview)
    assert (added, replaced) == (preview.adding, 0) == (whole.count(b"\n") - 1, 0)
    frame = store.detentions.detentions_frame()
    # Every group has 38 bands and enough events; a rate is withheld exactly where a band
    # holds 1 to 4 (the disclosure rule below national level).
    keys = ["period", "geography", "measure", "ethnic_group"]
    by_group = frame.groupby(keys)
    withheld = by_group["std_rate"].apply(lambda rates: rates.isna().all())
    bands = frame.groupby([*keys, "age_band"])["count"].sum()  # a band's sexes add up
    small = bands.between(1, 4).groupby(level=keys).any()
    assert (withheld == small).all() and (~withheld).any()


def test_standardised_rates_are_the_same_worked_in_parts_or_at_once(
    template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocf import detention_import
    from ocf.admin import preview_detentions

    store = _copy(tmp_path, template[0])
    data = template[1]
    whole = list(preview_detentions(store, SYSTEM, io.BytesIO(data), "d.csv").records)
    monkeypatch.setattr(detention_import, "PART_ROWS", 1000)
    records = preview_detentions(store, SYSTEM, io.BytesIO(data), "d.csv").records
    rows = len(data.splitlines()) - 1
    assert len(records.standardised["std_rate"]) == rows / 38  # 19 bands, 2 sexes a group
    assert list(records) == whole


def test_problems_in_different_parts_are_all_named(
    template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeated row, a band that is not a band and bands that overlap, far apart in a file
    worked in fifty parts: all three are named, not only those of the part found first."""
    from ocf import detention_import
    from ocf.admin import preview_detentions

    monkeypatch.setattr(detention_import, "PART_ROWS", 1000)
    store = _copy(tmp_path, template[0])
    lines = template[1].splitlines(keepends=True)
    bad = next(i for i in range(20_000, len(lines)) if b",0-4," in lines[i])
    overlap = next(i for i in range(40_000, len(lines)) if b",5-9," in lines[i])
    lines[bad] = lines[bad].replace(b",0-4,", b",young,")
    lines[overlap] = lines[overlap].replace(b",5-9,", b",3-9,")
    lines.append(lines[10])
    with pytest.raises(DataError) as caught:
        preview_detentions(store, SYSTEM, io.BytesIO(b"".join(lines)), "d.csv")
    messages = [str(p) for p in caught.value.problems]
    named = [
        f"d.csv:ROW {bad + 1}: age_band: 'young' is not an age band",
        f"d.csv:ROW {overlap + 1}: age_band: age bands overlap at 3",
        f"d.csv:ROW {len(lines)}: site: the same site, period, measure, group, age band and sex",
    ]
    for start in named:
        assert any(m.startswith(start) for m in messages), (start, messages)
    assert any(m.startswith(f"d.csv:ROW {len(lines)}: site: the same site") for m in messages)


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


def test_many_respondents_of_a_few_answers_grow_memory_by_less_than_the_file(
    tmp_path: Path,
) -> None:
    """Issue 34: a file where every few rows are a new respondent (only the required questions
    answered) grew memory about 3 times the file: the respondents were kept as Python tuples
    of strings and indexed in a dict. Checked and written, growth stays below the file's."""
    prepare(tmp_path / "empty.db")
    few = tmp_path / "few.csv"
    rows = responses_file(few, 3, required_only=True)
    whole = few.read_bytes()
    third = whole[
        : whole.rindex(b"\n", 0, whole.index(b",understood-culture,", len(whole) // 3)) + 1
    ]

    def peak(data: bytes) -> tuple[int, int]:
        store = _copy(tmp_path, tmp_path / "empty.db")
        warm = b"".join(data.splitlines(keepends=True)[:7])  # two respondents: the caches
        preview_responses(store, SYSTEM, io.BytesIO(warm), "warm.csv")
        tracemalloc.start()
        batch = preview_responses(store, SYSTEM, io.BytesIO(data), "few.csv")
        added = confirm_responses(store, SYSTEM, batch, assisted=False)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.close()
        return top, added

    small, _ = peak(third)
    large, added = peak(whole)
    grown, longer = large - small, len(whole) - len(third)
    assert added == rows // 3
    assert grown < longer, f"{grown:,} more bytes for {longer:,} more bytes of file"


def test_respondents_are_joined_across_runs_and_never_by_a_shared_hash() -> None:
    """Runs of one respondent's rows are joined wherever they are in the file; two respondents
    whose (group, label) hashes collide stay apart, numbered in order of first appearance."""
    from array import array

    from ocf.response_import import Respondents

    keys = Respondents()
    for label in ("A", "B", "A", "C", "B"):
        keys.start_run("XB001", ROUND, "ocf-panel", label)
    keys.start_run("XB002", ROUND, "ocf-panel", "A")  # another site: another respondent
    keys.hashes = array("q", [7] * keys.runs)  # every hash the same, as a collision would be
    owner = keys.finish()
    assert owner.tolist() == [0, 1, 0, 2, 1, 3]
    assert list(keys) == [
        ("XB001", ROUND, "ocf-panel", "A"),
        ("XB001", ROUND, "ocf-panel", "B"),
        ("XB001", ROUND, "ocf-panel", "C"),
        ("XB002", ROUND, "ocf-panel", "A"),
    ]
    assert keys[-1] == ("XB002", ROUND, "ocf-panel", "A") and len(keys) == 4


def test_a_respondent_split_across_the_file_is_one_response_with_answers_in_file_order(
    big, tmp_path: Path
) -> None:
    db, _, _ = big
    store = _copy(tmp_path, db)
    text = (
        "site,round,survey,respondent,item,value,text\n"
        f"{SITES[1]},{ROUND},ocf-panel,P1,understood-culture,4,\n"
        f"{SITES[1]},{ROUND},ocf-panel,P2,understood-culture,2,\n"
        f"{SITES[1]},{ROUND},ocf-panel,P2,help-early,2,\n"
        f"{SITES[1]},{ROUND},ocf-panel,P1,help-early,5,\n"
        f"{SITES[1]},{ROUND},ocf-panel,P2,easy-feedback,1,\n"
        f"{SITES[1]},{ROUND},ocf-panel,P1,easy-feedback,3,\n"
    )
    batch = preview_responses(store, SYSTEM, text, "split.csv")
    responses = list(batch.responses())
    assert [(r.respondent, [(a.item_id, a.value) for a in r.answers]) for r in responses] == [
        ("P1", [("understood-culture", "4"), ("help-early", "5"), ("easy-feedback", "3")]),
        ("P2", [("understood-culture", "2"), ("help-early", "2"), ("easy-feedback", "1")]),
    ]
    assert batch.summary().to_dict("records") == [
        {"Site": SITES[1], "Round": ROUND, "Survey": "ocf-panel", "Responses": 2, "Answers": 6}
    ]
