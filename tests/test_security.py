"""Permissions, identity, anonymity and durability (issue 6): refusals are tested, not assumed."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocf.access import (
    ANONYMOUS,
    LONGEST_PAUSE,
    MAX_FAILED_SIGN_INS,
    SYSTEM,
    add_account,
    client_address,
    issue_invitations,
    sign_in,
    sign_in_pause,
)
from ocf.cli import main
from ocf.comparison import compare_sites, system_view
from ocf.demo import demo_actor
from ocf.errors import ConflictError, DataError, PermissionDenied, StorageError
from ocf.linking import link
from ocf.reports import board_report, export_table
from ocf.results import site_results
from ocf.rounds import change_status
from ocf.store import Store
from ocf.submissions import (
    add_paper_response,
    close_panel,
    completion,
    invitations,
    open_panel_survey,
    open_self_assessment,
    paper_waiting,
    reopen,
    revoke_invitation,
    save,
    submit,
)

from .conftest import dump

OPEN, PUBLISHED = "2025-26", "2024-25"
PAPER = {"understood-culture": ("2", None), "help-early": ("3", None), "easy-feedback": ("9", None)}


@pytest.fixture(scope="module")
def world(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the demo with one actor of every kind, including revoked ones."""
    path = tmp_path_factory.mktemp("security") / "ocf.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    actors = {
        role: demo_actor(store, role) for role in ("lead", "facilitator", "regulator", "admin")
    }
    for name, role, site in [
        ("other lead", "lead", "XTB1"),
        ("other facilitator", "facilitator", "XTB1"),
        ("gone", "lead", "XTA1"),
    ]:
        actors[name] = sign_in(store, add_account(store, SYSTEM, name, role, site))
    store.accounts.revoke_account(actors["gone"].account_id, "test")
    actors["revoked lead"] = actors.pop("gone")
    actors["panel"] = sign_in(store, issue_invitations(store, SYSTEM, "XTA1", OPEN, 1)[0])
    other = sign_in(store, issue_invitations(store, SYSTEM, "XTA1", OPEN, 1)[0])
    revoke_invitation(store, SYSTEM, other.invitation_id)
    actors["revoked panel code"] = other
    actors["anonymous"] = ANONYMOUS
    store.set_meta("demo", "0")  # a real database from here on: it takes real accounts
    return {"path": path, "actors": actors}


def self_draft(store: Store):
    return open_self_assessment(store, SYSTEM, "XTA1", OPEN)


def panel_draft(store: Store, world: dict):
    return open_panel_survey(store, world["actors"]["panel"])


# action → (the actors allowed, what it does); every other actor must be refused.
ACTIONS = {
    "open a site's self-assessment": (
        {"lead", "admin"},
        lambda s, a, w: open_self_assessment(s, a, "XTA1", OPEN),
    ),
    "save a site's self-assessment": (
        {"lead", "admin"},
        lambda s, a, w: save(s, a, self_draft(s), {"staff-training-level": ("1", None)}),
    ),
    "submit a site's self-assessment": (
        {"lead", "admin"},
        lambda s, a, w: submit(s, a, self_draft(s)),
    ),
    "reopen a submission": (
        {"admin"},
        lambda s, a, w: reopen(
            s,
            a,
            s.submissions.get_submission("XTA2", OPEN, "ocf-self-assessment", "equality-lead").id,
            "test",
        ),
    ),
    "open a panel survey": ({"panel"}, lambda s, a, w: open_panel_survey(s, a)),
    "save a panel member's answers": (
        {"panel"},
        lambda s, a, w: save(s, a, panel_draft(s, w), {"understood-culture": ("4", None)}),
    ),
    "see completion counts": (
        {"facilitator", "admin"},
        lambda s, a, w: completion(s, a, "XTA1", OPEN),
    ),
    "list invitations": ({"facilitator", "admin"}, lambda s, a, w: invitations(s, a, "XTA1", OPEN)),
    "issue invitation codes": (
        {"facilitator", "admin"},
        lambda s, a, w: issue_invitations(s, a, "XTA1", OPEN, 1),
    ),
    # Whoever can read a site's results never creates its panel answers (admins included).
    "key in a paper response": (
        {"facilitator"},
        lambda s, a, w: add_paper_response(s, a, "XTA1", OPEN, PAPER),
    ),
    "see paper forms waiting for confirmation": (
        {"facilitator"},
        lambda s, a, w: paper_waiting(s, a, "XTA1", OPEN),
    ),
    "see a site's published results": (
        {"lead", "regulator", "admin"},
        lambda s, a, w: site_results(s, a, "XTA1", PUBLISHED),
    ),
    "see a site's open-round results": (
        {"lead", "admin"},
        lambda s, a, w: site_results(s, a, "XTA1", OPEN),
    ),
    "download a board report": (
        {"lead", "regulator", "admin"},
        lambda s, a, w: board_report(s, a, "XTA1", PUBLISHED),
    ),
    "compare sites in an open round": ({"admin"}, lambda s, a, w: compare_sites(s, a, OPEN)),
    "compare sites in a published round": (
        {"regulator", "admin"},
        lambda s, a, w: compare_sites(s, a, PUBLISHED),
    ),
    "see the system view": ({"regulator", "admin"}, lambda s, a, w: system_view(s, a, PUBLISHED)),
    "export a round": ({"regulator", "admin"}, lambda s, a, w: export_table(s, a, PUBLISHED)),
    "link maturity and disparity": (
        {"regulator", "admin"},
        lambda s, a, w: link(s, PUBLISHED, actor=a),
    ),
    "create an account": ({"admin"}, lambda s, a, w: add_account(s, a, "new", "regulator")),
}
ACTORS = [
    "lead",
    "other lead",
    "revoked lead",
    "facilitator",
    "other facilitator",
    "regulator",
    "admin",
    "panel",
    "revoked panel code",
    "anonymous",
]


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("who", ACTORS)
def test_permission_matrix(world: dict, action: str, who: str) -> None:
    """Every action as every kind of actor: allowed ones work, all others are refused."""
    allowed, run = ACTIONS[action]
    store = Store.open(world["path"])
    actor = world["actors"][who]
    if who in allowed:
        # Allowed through the permission check; it may still be refused for content or state.
        with contextlib.suppress(DataError, ConflictError):
            run(store, actor, world)
    else:
        with pytest.raises(PermissionDenied):
            run(store, actor, world)


def test_a_code_for_another_round_cannot_answer_this_one(world: dict) -> None:
    store = Store.open(world["path"])
    panel = world["actors"]["panel"]
    draft = open_panel_survey(store, panel)
    intruder = panel.__class__(**{**panel.__dict__, "invitation_id": panel.invitation_id + 1000})
    with pytest.raises(PermissionDenied):
        save(store, intruder, draft, {"understood-culture": ("1", None)})


def test_wrong_codes_slow_guessing_but_never_lock_out_a_valid_code(store: Store) -> None:
    """Five typos at a panel event used to refuse every right code from that address (and,
    on loopback, from everyone) for 15 minutes. Now the next attempt waits, then is checked."""
    code = add_account(store, SYSTEM, "Ada", "admin")
    for _ in range(MAX_FAILED_SIGN_INS):
        assert sign_in(store, "AAAA-BBBB-CCCC", client="127.0.0.1") is None
    started = time.monotonic()
    assert sign_in(store, code, client="127.0.0.1").role == "admin"  # the same address
    assert time.monotonic() - started >= sign_in_pause(MAX_FAILED_SIGN_INS) * 0.9  # slowed
    assert sign_in(store, code, client="10.0.0.10").role == "admin"  # another address
    assert sign_in(store, code, client="127.0.0.1").role == "admin"  # and again: no lockout


def test_guesses_sharing_a_prefix_are_slowed_from_any_address(store: Store) -> None:
    for number in range(MAX_FAILED_SIGN_INS):
        assert sign_in(store, "QQQQ-BBBB-CCC" + "ABCDE"[number], client=f"10.1.0.{number}") is None
    started = time.monotonic()
    assert sign_in(store, "QQQQ-BBBB-CCCF", client="10.1.0.99") is None
    assert time.monotonic() - started >= sign_in_pause(MAX_FAILED_SIGN_INS) * 0.9
    assert sign_in_pause(MAX_FAILED_SIGN_INS - 1) == 0
    assert sign_in_pause(MAX_FAILED_SIGN_INS + 3) == 8 and sign_in_pause(99) == LONGEST_PAUSE
    rows = list(store.db.query("SELECT client FROM sign_in_attempts"))
    assert not any("QQQQ" in row["client"] for row in rows)  # no part of a code is kept


def test_the_client_is_the_connection_or_the_trusted_proxys_forwarded_address() -> None:
    # Streamlit reports no address for a connection from this computer: that is loopback.
    assert client_address(None, None, []) == "127.0.0.1"
    assert client_address(None, "203.0.113.5", []) == "127.0.0.1"  # no proxy named: not used
    assert client_address(None, "203.0.113.5", ["127.0.0.1"]) == "203.0.113.5"
    assert client_address(None, "203.0.113.5", ["::1"]) == "203.0.113.5"
    assert client_address("10.0.0.2", "6.6.6.6, 203.0.113.5", ["10.0.0.2"]) == "203.0.113.5"
    assert client_address("198.51.100.1", "203.0.113.5", ["10.0.0.2"]) == "198.51.100.1"


def test_codes_are_long_unambiguous_and_stored_only_hashed(store: Store) -> None:
    code = add_account(store, SYSTEM, "Ada", "admin")
    raw = code.replace("-", "")
    assert len(raw) >= 10 and not set(raw) & set("01OIL")
    assert not any(raw in line or code in line for line in dump(store))


def test_panel_codes_expire_with_their_round(demo_store: Store) -> None:
    code = issue_invitations(demo_store, SYSTEM, "XTA1", OPEN, 1)[0]
    change_status(demo_store, OPEN, "close", "test")
    with pytest.raises(PermissionDenied, match="has closed"):
        sign_in(demo_store, code)


def test_site_staff_see_no_panel_figure_until_the_panel_closes(demo_store: Store) -> None:
    """Differencing: no watching the panel median move as each member submits."""
    lead = demo_actor(demo_store, "lead")
    pending = site_results(demo_store, lead, "XTA1", OPEN)
    assert pending.panel_pending
    assert pending.competencies[["panel", "final", "gap"]].isna().all().all()
    assert pending.agreement is None and pending.members == 0
    close_panel(demo_store, demo_actor(demo_store, "facilitator"), "XTA1", OPEN)
    closed = site_results(demo_store, lead, "XTA1", OPEN)
    assert not closed.panel_pending and closed.competencies["panel"].notna().any()
    admin_view = site_results(demo_store, demo_actor(demo_store, "admin"), "XTB2", OPEN)
    assert not admin_view.panel_pending


def test_backup_and_restore_round_trip_and_refuse_a_bad_file(
    tmp_path: Path, demo_path: Path, runner: CliRunner
) -> None:
    live = tmp_path / "live.db"
    shutil.copy(demo_path, live)
    backup = tmp_path / "backup.db"
    assert runner.invoke(main, ["backup", str(backup), "--db", str(live)]).exit_code == 0
    Store.open(live).db.execute("DELETE FROM answers")
    Store.open(live).db.conn.commit()
    assert runner.invoke(main, ["restore", "--yes", str(backup), "--db", str(live)]).exit_code == 0
    assert len(Store.open(live).submissions.answers_frame(PUBLISHED)) > 0
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 200)
    before = dump(Store.open(live))
    result = runner.invoke(main, ["restore", "--yes", str(junk), "--db", str(live)])
    assert result.exit_code == 1 and "not an SQLite database" in result.stderr
    assert dump(Store.open(live)) == before
    with pytest.raises(StorageError, match="already exists"):
        Store.open(live).backup(backup)


def test_audit_command_lists_changes_newest_first(
    tmp_path: Path, demo_path: Path, runner: CliRunner
) -> None:
    db = tmp_path / "ocf.db"
    shutil.copy(demo_path, db)
    runner.invoke(main, ["round", "close", OPEN, "--db", str(db)])
    result = runner.invoke(main, ["audit", "--entity", "round", "--limit", "2", "--db", str(db)])
    lines = result.stdout.splitlines()
    assert lines[0] == "id,at,actor,action,entity,entity_id,before,after"
    assert ",status,round,2025-26," in lines[1]


def test_revoking_an_account_locks_out_a_signed_in_session(
    demo_store: Store, runner: CliRunner
) -> None:
    lead = demo_actor(demo_store, "lead")
    draft = open_self_assessment(demo_store, lead, "XTA1", OPEN)
    demo_store.accounts.revoke_account(lead.account_id, "test")
    with pytest.raises(PermissionDenied, match="revoked"):
        save(demo_store, lead, draft, {"staff-training-level": ("1", None)})


def test_single_sign_on_maps_a_verified_email_to_its_account(store: Store) -> None:
    from ocf.access import sign_in_email

    add_account(store, SYSTEM, "Ada", "regulator", email="Ada.Lovelace@nhs.net")
    assert sign_in_email(store, "ada.lovelace@NHS.net").role == "regulator"
    assert sign_in_email(store, "someone.else@nhs.net") is None
    assert sign_in_email(store, None) is None
    store.accounts.revoke_account(store.accounts.list_accounts()[0].id, "test")
    assert sign_in_email(store, "ada.lovelace@nhs.net") is None


def test_the_sign_in_page_offers_single_sign_on_only_when_configured(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from .conftest import PROJECT

    monkeypatch.setenv("OCF_DB", str(demo_path))
    plain = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30).run()
    plain.switch_page("app_pages/sign_in.py").run()
    assert "Sign in with your organisation account" not in [b.label for b in plain.button]
    configured = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    configured.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "s" * 32,
        "client_id": "c",
        "client_secret": "x",
        "server_metadata_url": "https://login.example.invalid/.well-known/openid-configuration",
    }
    configured.run()
    configured.switch_page("app_pages/sign_in.py").run()
    assert not configured.exception
    assert "Sign in with your organisation account" in [b.label for b in configured.button]


def test_admins_read_and_filter_the_audit_log_in_the_app(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from .conftest import PROJECT

    monkeypatch.setenv("OCF_DB", str(demo_path))
    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    at.session_state["actor"] = demo_actor(Store.open(demo_path), "admin")
    at.run()
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) > 10
    at.selectbox[0].select("round").run()
    events = at.dataframe[0].value
    assert set(events["What"]) == {"round"}


def test_a_refused_import_leaves_the_database_file_byte_for_byte_unchanged(
    tmp_path: Path, demo_path: Path, runner: CliRunner
) -> None:
    import hashlib

    db = tmp_path / "ocf.db"
    shutil.copy(demo_path, db)
    Store.open(db).close()  # migrations applied, WAL checkpointed on close

    def fingerprint() -> list[str]:
        # The database is the main file plus its write-ahead log (-shm is only a shared index).
        files = [tmp_path / "ocf.db", tmp_path / "ocf.db-wal"]
        return [
            hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files
            if p.exists() and p.stat().st_size
        ]

    before = fingerprint()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "site,round,survey,respondent,item,value\nXTA1,2025-26,ocf-panel,P1,understood-culture,7\n"
    )
    result = runner.invoke(main, ["import", "responses", str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert fingerprint() == before
