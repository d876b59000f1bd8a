"""The store: migrations, round trips, transactions and the audit log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from ocf.errors import ConflictError, StorageError
from ocf.migrations import migrations
from ocf.models import Answer, Response, Site
from ocf.rounds import change_status, open_round, resolve_content
from ocf.store import Store
from ocf.store.submissions import Submissions

from .conftest import dump


def test_migrations_are_named_and_applied_once(tmp_path: Path) -> None:
    """Opening a database twice applies each named step exactly once."""
    path = tmp_path / "ocf.db"
    Store.open(path).close()
    store = Store.open(path)
    names = [m.name for m in migrations.applied(store.db)]
    registered = [m.name for m in migrations.pending(Database(memory=True))]
    assert names == registered == sorted(registered)  # numbered steps, applied in order
    assert names[0] == "0001_initial_schema"
    assert not migrations.pending(store.db)


def test_answers_keep_their_texts_when_stored_by_term(tmp_path: Path) -> None:
    """0006 moves answers written under the old schema (texts on every row) to terms, intact."""
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="0006_answer_terms")
    stamp = "2025-01-01T00:00:00+00:00"
    old["submissions"].insert_all(
        {"id": i, "site": "RX1", "round": "r1", "survey": "s", "respondent": f"P{i}",
         "status": "submitted", "created_at": stamp, "updated_at": stamp}
        for i in (1, 2)
    )  # fmt: skip
    rows = [
        (1, "understood-culture", "4", None),
        (1, "one-change", None, "More interpreters"),
        (1, "4", "4", None),  # an item id that is also a value: one shared term
        (2, "understood-culture", "yes", "why"),
    ]
    old["answers"].insert_all(
        {"submission_id": s, "item_id": i, "value": v, "text": t} for s, i, v, t in rows
    )
    old.close()
    store = Store.open(path)
    assert store.submissions.submission_answers(1) == {
        "understood-culture": Answer("understood-culture", "4"),
        "one-change": Answer("one-change", None, "More interpreters"),
        "4": Answer("4", "4"),
    }
    assert store.submissions.submission_answers(2) == {
        "understood-culture": Answer("understood-culture", "yes", "why")
    }
    terms = [t for (t,) in store.db.execute("SELECT term FROM answer_terms ORDER BY term")]
    assert terms == ["4", "one-change", "understood-culture", "yes"]
    plan = " ".join(
        str(row)
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM submissions WHERE round = ? AND status = ? "
            "ORDER BY id",
            ["r1", "submitted"],
        )
    )
    assert "submissions_round_status" in plan and "TEMP B-TREE" not in plan


def test_saving_answers_reuses_terms_and_clears_by_item(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items and values are stored once as terms; a save updates, adds and clears answers."""
    monkeypatch.setattr(
        "ocf.store.submissions._TERMS_PER_QUERY", 2
    )  # terms looked up over several queries
    store.sites.add_sites([Site("RX1", "A trust")], "tester")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "tester")
    key = ("RX1", "r1", "ocf-panel", "P1")
    first = store.submissions.save_answers(
        key, [Answer("a", "1"), Answer("b", "1", "note")], [], 0, "t"
    )
    store.submissions.save_answers(key, [Answer("a", "2"), Answer("c", None, "x")], ["b"], 1, "t")
    assert store.submissions.submission_answers(first.id) == {
        "a": Answer("a", "2"),
        "c": Answer("c", None, "x"),
    }
    terms = [t for (t,) in store.db.execute("SELECT term FROM answer_terms ORDER BY term")]
    assert terms == ["1", "2", "a", "b", "c"]  # "1" once, though two answers gave it


def test_file_database_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "ocf.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_not_a_database_gives_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "ocf.db"
    path.write_text("this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        Store.open(path)


def test_sites_round_trip(store: Store) -> None:
    sites = [Site("QX1", "An ICB", "icb"), Site("RX1", "A trust", "trust", "QX1", "pilot-1")]
    store.sites.add_sites(sites, "tester")
    assert store.sites.list_sites() == sorted(sites, key=lambda s: s.code)
    assert store.sites.get_site("RX1") == sites[1]
    assert store.sites.get_site("NOPE") is None


def test_a_failed_write_changes_nothing(store: Store) -> None:
    """A transaction that fails part-way leaves no trace, audit included."""
    before = dump(store)
    with pytest.raises(sqlite3.IntegrityError):
        store.sites.add_sites([Site("RX1", "A trust"), Site("RX1", "Again")], "tester")
    assert dump(store) == before


def test_round_keeps_a_snapshot_of_its_content(store: Store, tmp_path: Path) -> None:
    """A round's framework is read back from its snapshot, not from the file on disk."""
    content = resolve_content("ocf-race-equality")
    open_round(store, "2025-26", content, "tester", period="2024-25")
    assert store.rounds.get_round("2025-26").status == "open"
    assert store.rounds.round_framework("2025-26") == content.framework
    assert set(store.rounds.round_surveys("2025-26")) == {"ocf-self-assessment", "ocf-panel"}
    with pytest.raises(ConflictError, match="already exists"):
        open_round(store, "2025-26", content, "tester")


def test_answers_frame_gives_each_answer_its_own_submission_in_order(store: Store) -> None:
    """Submission details are joined to answers by position: check it across sites, surveys,
    drafts and interleaved ids, against the order the contract promises."""
    store.sites.add_sites([Site("RX1", "A trust"), Site("RX2", "B trust")], "tester")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "tester")
    store.submissions.add_submitted(
        [
            Response("RX2", "r1", "ocf-panel", "P9", (Answer("understood-culture", "2"),)),
            Response("RX1", "r1", "ocf-self-assessment", "lead", (Answer("b-item", "3"),)),
            Response("RX1", "r1", "ocf-panel", "P1", (Answer("z", "1"), Answer("a", None, "t"))),
        ],
        "tester",
    )
    store.submissions.save_answers(
        ("RX1", "r1", "ocf-panel", "P2"), [Answer("a", "5")], [], 0, "tester"
    )
    frame = store.submissions.answers_frame("r1")
    assert frame["submission_id"].is_monotonic_increasing
    rows = frame.drop(columns="submission_id").astype(object)
    assert rows.where(rows.notna(), None).values.tolist() == [
        ["RX2", "ocf-panel", "panel", "P9", "understood-culture", "2", None],
        ["RX1", "ocf-self-assessment", "self", "lead", "b-item", "3", None],
        ["RX1", "ocf-panel", "panel", "P1", "a", None, "t"],
        ["RX1", "ocf-panel", "panel", "P1", "z", "1", None],
    ]
    drafts = store.submissions.answers_frame("r1", status="draft")
    assert drafts[["respondent", "item_id", "value"]].values.tolist() == [["P2", "a", "5"]]
    # Categories are the texts that occur in this frame, not every stored term.
    assert list(drafts["item_id"].cat.categories) == ["a"]
    assert list(drafts["value"].cat.categories) == ["5"]
    empty = store.submissions.answers_frame("no-such-round")
    assert empty.empty and list(empty.columns) == list(frame.columns)


def test_answers_frame_is_one_snapshot_when_someone_submits_in_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A panel member submitting between the two reads must not shift the join."""
    path = tmp_path / "live.db"
    store, other = Store.open(path), Store.open(path)
    store.sites.add_sites([Site("RX1", "A trust")], "tester")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "tester")
    store.submissions.add_submitted(
        [Response("RX1", "r1", "ocf-panel", "P1", (Answer("a", "1"),))], "t"
    )
    read_rows, late = (
        Submissions._read_rows,
        [Response("RX1", "r1", "ocf-panel", "P2", (Answer("a", "2"),))],
    )

    def submit_after_the_first_read(self: Store, *args: object) -> object:
        rows = read_rows(self, *args)
        if late:
            other.submissions.add_submitted([late.pop()], "t")
        return rows

    monkeypatch.setattr(Submissions, "_read_rows", submit_after_the_first_read)
    assert store.submissions.answers_frame("r1")[["respondent", "value"]].values.tolist() == [
        ["P1", "1"]
    ]
    assert not late  # the other member did submit in between
    assert store.submissions.answers_frame("r1")["respondent"].tolist() == ["P1", "P2"]


def test_round_life_cycle(store: Store) -> None:
    open_round(store, "r1", resolve_content("pcref"), "tester")
    with pytest.raises(ConflictError, match="can be published only from closed"):
        change_status(store, "r1", "publish", "tester")
    assert change_status(store, "r1", "close", "tester") == "closed"
    assert change_status(store, "r1", "publish", "tester") == "published"
    with pytest.raises(ConflictError, match="needs a reason"):
        change_status(store, "r1", "reopen", "tester")
    assert change_status(store, "r1", "reopen", "tester", reason="late returns") == "open"
    event = store.audit.audit_events("round")[0]
    assert '"reason": "late returns"' in event["after"]


def test_submissions_round_trip_in_long_format(store: Store) -> None:
    store.sites.add_sites([Site("RX1", "A trust")], "tester")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "tester")
    answers = (Answer("understood-culture", "4"), Answer("one-change", None, "More interpreters"))
    store.submissions.add_submitted([Response("RX1", "r1", "ocf-panel", "P1", answers)], "tester")
    frame = store.submissions.answers_frame("r1").astype(object)
    frame = frame.where(frame.notna(), None)
    assert frame[["site", "audience", "respondent", "item_id", "value", "text"]].to_dict(
        "records"
    ) == [
        {
            "site": "RX1",
            "audience": "panel",
            "respondent": "P1",
            "item_id": "one-change",
            "value": None,
            "text": "More interpreters",
        },
        {
            "site": "RX1",
            "audience": "panel",
            "respondent": "P1",
            "item_id": "understood-culture",
            "value": "4",
            "text": None,
        },
    ]


def test_audit_log_is_append_only(store: Store) -> None:
    store.sites.add_sites([Site("RX1", "A trust")], "tester")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM audit")
    assert store.audit.audit_events("site")[0]["actor"] == "tester"


def test_the_change_stamp_moves_with_every_write_and_with_a_restore(tmp_path: Path) -> None:
    """Scores are cached by this stamp, so it must change exactly when the data change."""
    store = Store.open(tmp_path / "ocf.db")
    first = store.change_stamp()
    assert store.change_stamp() == first  # reading changes nothing
    store.sites.add_sites([Site("RX1", "A trust")], "tester")
    second = store.change_stamp()
    assert second != first
    backup = store.backup(tmp_path / "copy.db")
    store.sites.add_sites([Site("RX2", "Another")], "tester")
    store.restore_from(backup, "tester")
    assert store.change_stamp() not in (first, second)
    assert store.change_stamp().split(":")[0] != second.split(":")[0]  # a new epoch


def test_round_scores_are_reused_until_the_data_change(demo_store: Store) -> None:
    from ocf.demo import demo_actor
    from ocf.results import round_scores
    from ocf.submissions import open_self_assessment, save

    first = round_scores(demo_store, "2025-26")
    assert round_scores(demo_store, "2025-26") is first
    lead = demo_actor(demo_store, "lead")
    draft = open_self_assessment(demo_store, lead, "XTA1", "2025-26")
    save(demo_store, lead, draft, {"staff-training-level": ("0", None)})
    assert round_scores(demo_store, "2025-26") is not first


def test_one_error_for_not_found_everywhere(store: Store) -> None:
    """Issue 32: a missing round raised KeyError, a missing site or account ConflictError and
    an unknown round's save ConflictError; each is NotFound now (an OcfError the CLI and pages
    show as a message, and a LookupError)."""
    from ocf.errors import NotFound
    from ocf.loading import load_shipped

    with pytest.raises(NotFound, match="round nope does not exist"):
        store.rounds.round_framework("nope")
    with pytest.raises(NotFound, match="round nope does not exist"):
        store.rounds.round_surveys("nope")
    with pytest.raises(NotFound, match="site ZZZ9 does not exist"):
        store.sites.update_site(Site("ZZZ9", "Nowhere", "trust"), "test")
    with pytest.raises(NotFound, match="no active account 999"):
        store.accounts.revoke_account(999, "test")
    survey = load_shipped().surveys["ocf-panel"]
    with pytest.raises(NotFound, match="no item 'nope' in survey ocf-panel"):
        survey.item("nope")
    assert issubclass(NotFound, LookupError)
