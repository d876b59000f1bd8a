"""Administration in the app: every admin page, refused uploads, previews that write nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ocf.access import account_actor, sign_in
from ocf.admin import check_content, diff_frameworks, edit_site, preview_sites, publish
from ocf.demo import demo_actor
from ocf.errors import ConflictError, DataError, PermissionDenied
from ocf.loading import parse_framework
from ocf.store import Store

from .conftest import FIXTURES, PROJECT, dump

APP = str(PROJECT / "app_router.py")
TINY = (FIXTURES / "framework-minimal.yaml").read_text()


@pytest.fixture
def db(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ocf.db"
    shutil.copy(demo_path, path)
    monkeypatch.setenv("OCF_DB", str(path))
    return path


@pytest.fixture
def real_db(db: Path) -> Path:
    """The demo's data in a database that is no longer a demo, so it takes real imports."""
    Store.open(db).set_meta("demo", "0")
    return db


def admin_page(db: Path, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["actor"] = account_actor(Store.open(db).accounts.list_accounts("admin")[0])
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_admin_adds_edits_and_retires_a_site(db: Path) -> None:
    at = admin_page(db, "admin_sites")
    at.text_input[0].input("RX9")
    at.text_input[1].input("New Trust")
    at.selectbox[1].select("XQA")
    button(at, "Add the site").click().run()
    assert at.success[0].value == "Added New Trust (RX9)."
    store = Store.open(db)
    assert store.sites.get_site("RX9").parent == "XQA"
    at.selectbox[2].select(store.sites.get_site("RX9")).run()
    at.text_input[3].input("Renamed Trust")
    button(at, "Save changes").click().run()
    assert store.sites.get_site("RX9").name == "Renamed Trust"
    assert button(at, "Retire RX9").disabled  # one click never retires a site
    at.checkbox(key="retire-RX9").check().run()
    button(at, "Retire RX9").click().run()
    assert store.sites.get_site("RX9").retired_at is not None
    assert "RX9" not in {s.code for s in store.sites.list_sites()}


def test_a_bad_sites_csv_is_refused_and_changes_nothing(db: Path) -> None:
    before = dump(Store.open(db))
    at = admin_page(db, "admin_sites")
    at.file_uploader[0].upload(
        "sites.csv", b"code,name,kind\nXTA1,Duplicate,trust\nQQ1,Bad kind,hospital\n", "text/csv"
    ).run()
    assert (
        "site XTA1 already exists" in at.error[0].value
        and "'hospital' is not a kind" in at.error[0].value
    )
    assert dump(Store.open(db)) == before


def test_a_sites_csv_is_previewed_then_added_on_confirmation(real_db: Path) -> None:
    db = real_db
    at = admin_page(db, "admin_sites")
    at.file_uploader[0].upload(
        "sites.csv",
        b"code,name,kind,parent\nRX7,Seven,trust,PL1\nPL1,A place,place,XQA\n",
        "text/csv",
    ).run()
    assert any("2 sites will be added" in m.value for m in at.markdown)
    assert Store.open(db).sites.get_site("RX7") is None  # nothing before confirmation
    button(at, "Confirm: add these sites").click().run()
    assert Store.open(db).sites.get_site("RX7").parent == "PL1"


def test_round_life_cycle_buttons(db: Path) -> None:
    """Each change is confirmed after a summary of what it does; one click changes nothing."""
    at = admin_page(db, "admin_rounds")
    assert [b.label for b in at.button if b.key and b.key.startswith("status-")] == ["Close"]
    button(at, "Close").click().run()
    assert Store.open(db).rounds.get_round("2025-26").status == "open"  # not yet: a summary first
    summary = " ".join(m.value for m in at.markdown)
    assert "1 site has not submitted a self-assessment: " in summary
    assert "Northvale Mental Health NHS Foundation Trust (XTA1)" in summary
    assert "1 panel is still open and will close for good" in summary
    button(at, "Cancel").click().run()
    assert Store.open(db).rounds.get_round("2025-26").status == "open"
    button(at, "Close").click().run()
    button(at, "Yes, close round 2025-26").click().run()
    assert Store.open(db).rounds.get_round("2025-26").status == "closed"
    button(at, "Reopen").click().run()
    assert "stay closed" in " ".join(m.value for m in at.markdown)
    button(at, "Yes, reopen round 2025-26").click().run()
    assert "needs a reason" in at.error[0].value
    at.text_input[0].input("Late paper returns").run()
    button(at, "Reopen").click().run()
    button(at, "Yes, reopen round 2025-26").click().run()
    assert Store.open(db).rounds.get_round("2025-26").status == "open"


def test_admin_opens_a_new_round(db: Path) -> None:
    at = admin_page(db, "admin_rounds")
    at.text_input[1].input("2026-27")
    at.selectbox[1].select("pcref")
    at.text_input[2].input("2025-26")
    button(at, "Open the round").click().run()
    assert not at.exception
    round_ = Store.open(db).rounds.get_round("2026-27")
    assert (round_.framework_id, round_.period, round_.status) == ("pcref", "2025-26", "open")


def test_bad_yaml_is_refused_with_its_lines_and_publishes_nothing(db: Path) -> None:
    before = dump(Store.open(db))
    at = admin_page(db, "admin_content")
    at.file_uploader[0].upload("broken.yaml", b"id: tiny\nversion: 1\n", "text/yaml").run()
    assert "does not validate" in at.error[0].value
    assert "broken.yaml:1: title: required" in at.code[0].value
    assert dump(Store.open(db)) == before


def test_a_new_framework_version_is_previewed_published_and_usable(db: Path) -> None:
    at = admin_page(db, "admin_content")
    at.file_uploader[0].upload("tiny.yaml", TINY.encode(), "text/yaml").run()
    assert at.success[0].value.startswith("Valid framework: Tiny framework (tiny, version 1)")
    button(at, "Publish tiny version 1").click().run()
    assert [r["id"] for r in Store.open(db).rounds.published_content()] == ["tiny"]
    store = Store.open(db)
    with pytest.raises(ConflictError, match="needs a higher number"):
        publish(
            store,
            demo_actor(store, "admin"),
            check_content(store, demo_actor(store, "admin"), TINY, "again.yaml"),
        )


def test_diff_names_added_removed_and_reworded_competencies() -> None:
    old = parse_framework(TINY, "old")
    changed = TINY.replace("title: Alpha two", "title: Alpha two, renamed").replace(
        "      - id: beta-one\n        title: Beta one",
        "      - id: beta-two\n        title: Beta two",
    )
    diff = (
        diff_frameworks(old, parse_framework(changed, "new"))
        .set_index("competency")["change"]
        .to_dict()
    )
    assert diff == {"alpha-two": "reworded: title", "beta-one": "removed", "beta-two": "added"}


def test_accounts_are_created_reset_and_revoked(real_db: Path) -> None:
    db = real_db
    at = admin_page(db, "admin_accounts")
    at.text_input[0].input("Ada Lead")
    at.selectbox[0].select("lead")
    at.selectbox[1].select(Store.open(db).sites.get_site("XTA2"))
    button(at, "Create").click().run()
    code = at.code[0].value
    store = Store.open(db)
    ada = sign_in(store, code)
    assert (ada.role, ada.site) == ("lead", "XTA2")
    at.selectbox[2].select(
        next(a for a in store.accounts.list_accounts() if a.name == "Ada Lead")
    ).run()
    button(at, "Issue a new code (the old one stops working)").click().run()
    new_code = at.code[-1].value
    assert sign_in(store, code) is None and sign_in(store, new_code).name == "Ada Lead"
    button(at, "Revoke this account").click().run()
    assert sign_in(store, new_code) is None


def test_invitation_slips_are_printable_with_one_code_each(db: Path) -> None:
    at = admin_page(db, "admin_accounts")
    at.number_input[0].set_value(3)
    button(at, "Make the slips").click().run()
    assert not at.exception and "3 codes issued" in at.success[0].value
    assert len(Store.open(db).panels.invitation_statuses("XTA1", "2025-26")) == 3


def test_detention_upload_is_previewed_then_imported_on_confirmation(real_db: Path) -> None:
    db = real_db
    at = admin_page(db, "admin_imports")
    csv = b"site,period,measure,ethnic_group,count,population\nXTA1,2025-26,All detentions,White,100,500000\nXTA1,2025-26,All detentions,M,40,20000\n"
    at.file_uploader[0].upload("new.csv", csv, "text/csv").run()
    assert any("**2 rows** will be added and **0** replaced" in m.value for m in at.markdown)
    assert (
        Store.open(db).detentions.detentions_frame("2025-26").empty
    )  # nothing before confirmation
    button(at, "Confirm the import").click().run()
    assert len(Store.open(db).detentions.detentions_frame("2025-26")) == 2


def test_the_demo_says_before_confirming_that_it_takes_no_import(db: Path) -> None:
    """The page offered "Confirm the import" in the demo, then refused (issue 35): the button
    is now off there, and the page says why before anything is pressed."""
    before = dump(Store.open(db))
    at = admin_page(db, "admin_imports")
    csv = b"site,period,measure,ethnic_group,count,population\nXTA1,2025-26,All detentions,White,100,500000\n"
    at.file_uploader[0].upload("new.csv", csv, "text/csv").run()
    assert not at.exception
    assert any("is the demo database" in i.value for i in at.info)
    assert button(at, "Confirm the import").disabled
    assert dump(Store.open(db)) == before


def test_a_bad_detention_upload_is_refused_and_changes_nothing(db: Path) -> None:
    before = dump(Store.open(db))
    at = admin_page(db, "admin_imports")
    at.file_uploader[0].upload(
        "bad.csv",
        b"site,period,measure,ethnic_group,count,population\nXTA1,2025-26,x,Purple,-1,0\n",
        "text/csv",
    ).run()
    assert "unknown ethnic group 'Purple'" in at.error[0].value
    assert dump(Store.open(db)) == before


def test_panel_responses_upload_is_previewed_then_refused_to_an_administrator(
    real_db: Path,
) -> None:
    db = real_db
    at = admin_page(db, "admin_imports")
    rows = "site,round,survey,respondent,item,value\n" + "\n".join(
        f"XTA1,2025-26,ocf-panel,paper-A,{item},{value}"
        for item, value in [("understood-culture", 4), ("help-early", 2), ("easy-feedback", 9)]
    )
    at.file_uploader[1].upload("paper.csv", rows.encode(), "text/csv").run()
    assert any("**1 response**, **3 answers**, will be added" in m.value for m in at.markdown)
    button(at, "Confirm the import").click().run()
    # An administrator reads every result, so never enters panel answers (padding a panel).
    assert any("never enters panel answers" in e.value for e in at.error)
    assert (
        Store.open(db)
        .submissions.list_submissions("2025-26")
        .query("respondent == 'paper-A'")
        .empty
    )


def test_demo_reset_restores_the_demo(db: Path) -> None:
    store = Store.open(db)
    edit_site(store, demo_actor(store, "admin"), "XTA1", "Changed", "trust", "XQA", None)
    at = admin_page(db, "admin_rounds")
    at.checkbox[0].check().run()
    button(at, "Reset the demo data").click().run()
    assert (
        Store.open(db).sites.get_site("XTA1").name == "Northvale Mental Health NHS Foundation Trust"
    )


def test_only_an_admin_resets_only_a_demo(db: Path) -> None:
    from ocf.demo import reset_demo

    store = Store.open(db)
    with pytest.raises(PermissionDenied):
        reset_demo(store, demo_actor(store, "lead"))
    admin = demo_actor(store, "admin")
    store.set_meta("demo", "0")  # a real database: never thrown away from a page
    with pytest.raises(PermissionDenied, match="only the demo"):
        reset_demo(store, admin)
    assert Store.open(db).sites.get_site("XTA1") is not None


def test_only_admins_administer(db: Path) -> None:
    store = Store.open(db)
    with pytest.raises(PermissionDenied):
        preview_sites(store, demo_actor(store, "regulator"), "code,name\nRX1,x\n")
    with pytest.raises(PermissionDenied):
        edit_site(store, demo_actor(store, "lead"), "XTA1", "x", "trust", None, None)
    with pytest.raises(DataError, match="XTA2 is a trust; a parent must be an icb or place"):
        edit_site(store, demo_actor(store, "admin"), "XTA1", "x", "trust", "XTA2", None)


def test_the_demo_takes_no_real_accounts_or_imports(db: Path) -> None:
    """Anyone can sign in to the demo as any role: a real account there would be theirs."""
    from ocf.admin import add_sites, confirm_responses, create_account
    from ocf.errors import PermissionDenied
    from ocf.models import Site

    store = Store.open(db)
    admin = demo_actor(store, "admin")
    before = dump(store)
    for attempt in (
        lambda: create_account(store, admin, "Real Lead", "lead", "XTA1", "real@nhs.net"),
        lambda: add_sites(store, admin, [Site("RZZ", "A real trust")]),
        lambda: confirm_responses(store, admin, []),
    ):
        with pytest.raises(PermissionDenied, match="demo database"):
            attempt()
    assert dump(store) == before
    at = admin_page(db, "admin_accounts")
    assert any("takes no real accounts" in i.value for i in at.info)


def test_an_import_error_on_the_page_names_the_row_and_column_like_the_cli(real_db: Path) -> None:
    db = real_db
    at = admin_page(db, "admin_imports")
    at.file_uploader[0].upload(
        "bad.csv",
        b"site,period,measure,ethnic_group,count,population\n"
        b"XTA1,2025-26,x,White,12,900\nXTA1,2025-26,x,White,-3,900\n",
        "text/csv",
    ).run()
    message = at.error[0].value
    assert (
        "**Row 3, count**: -3 is negative; a count, rate or population cannot be below 0" in message
    )


def test_page_errors_never_mention_command_line_flags(real_db: Path) -> None:
    at = admin_page(real_db, "admin_accounts")
    at.text_input[0].input("Someone")
    at.selectbox[0].select("lead")
    next(b for b in at.button if b.label == "Create").click().run()
    assert not at.exception
    assert "--" not in at.error[0].value and "site" in at.error[0].value
