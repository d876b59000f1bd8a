"""Tables read as people's words (issue 20, item 8): no column like `retired_at`, no "None" or
"nan", no JSON, no ISO timestamps on any page; the raw forms stay in exports."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ocf.access import SYSTEM, issue_invitations
from ocf.admin import audit_log, retire_site
from ocf.demo import demo_actor
from ocf.store import Store
from ocf.tables import change_words, when, who

from .conftest import PROJECT

APP = str(PROJECT / "app_router.py")
RAW = {
    "a column name like retired_at": lambda text: False,
    "None": lambda text: text in ("None", "nan", "NaN", "<NA>", "null"),
    "JSON": lambda text: text.startswith(("{", "[")),
    "an ISO timestamp": lambda text: re.search(r"\d{4}-\d\d-\d\dT\d\d:", text) is not None,
    # One date format for people: "4 Apr 2027" (issue 35), never 2027-04-04.
    "an ISO date": lambda text: re.search(r"\b\d{4}-\d\d-\d\d\b", text) is not None,
}
PAGES = {
    "home": ("admin", "app_pages/home.py"),
    "sites": ("admin", "app_pages/admin_sites.py"),
    "rounds": ("admin", "app_pages/admin_rounds.py"),
    "accounts": ("admin", "app_pages/admin_accounts.py"),
    "submissions": ("admin", "app_pages/submissions.py"),
    "audit": ("admin", "app_pages/audit.py"),
    "facilitation": ("facilitator", "app_pages/facilitation.py"),
    # Every other page that shows a table (issue 35: the check covered seven pages).
    "results": ("admin", "app_pages/results.py"),
    "compare": ("regulator", "app_pages/compare.py"),
    "systems": ("regulator", "app_pages/system.py"),
    "disparity": ("admin", "app_pages/disparity.py"),
    "linking": ("admin", "app_pages/linking.py"),
    "public summary": ("admin", "app_pages/public.py"),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, demo_path: Path) -> Path:
    path = tmp_path_factory.mktemp("tables") / "demo.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    retire_site(store, SYSTEM, "XTC2")  # a retired site, an edit in the audit log
    issue_invitations(store, SYSTEM, "XTA1", "2025-26", 2)
    store.close()
    return path


def raw_cells(frame: pd.DataFrame) -> list[str]:
    found = [
        f"column {c!r}"
        for c in frame.columns
        if "_" in str(c)
        or (str(c).islower() and str(c).isidentifier())  # `count`, not "95% interval"
    ]
    for column in frame.columns:
        for value in frame[column].astype(str):
            found += [f"{column}: {value!r} ({what})" for what, test in RAW.items() if test(value)]
    return found


@pytest.mark.parametrize("name", list(PAGES))
def test_tables_on_pages_read_as_words(
    db: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    role, script = PAGES[name]
    monkeypatch.setenv("OCF_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["actor"] = demo_actor(Store.open(db), role)
    at.run()
    if name == "sites":
        at.switch_page(script).run()
        at.checkbox[0].check().run()  # show retired sites too
    else:
        at.switch_page(script).run()
    assert not at.exception
    frames = [d.value for d in at.dataframe] + [t.value for t in at.table]
    assert frames, f"{name}: no table"
    assert [cell for frame in frames for cell in raw_cells(frame)] == []


def test_the_audit_log_reads_as_sentences_and_its_download_stays_raw(db: Path) -> None:
    store = Store.open(db)
    events = audit_log(store, SYSTEM, limit=500)
    added = events[(events["action"] == "add") & (events["entity"] == "site")].iloc[0]
    assert "retired_at" in added["after"] and added["at"].endswith("+00:00")  # raw, kept
    assert "retired" not in change_words(added["before"], added["after"])  # none: not said
    statuses = events[events["action"] == "status"]
    words = {change_words(b, a) for b, a in zip(statuses["before"], statuses["after"], strict=True)}
    assert "status: Closed → Published" in words and "status: Open → Closed" in words
    assert who("admin:4:Ada Obi") == "Ada Obi (Administrator)"
    assert who("panel:XTA1:2025-26") == "A panel member"


def test_times_are_shown_on_the_readers_clock() -> None:
    assert when("2026-07-01T12:30:00+00:00", "Europe/London") == "1 Jul 2026, 13:30"
    assert when("2026-12-01T12:30:00+00:00", "Europe/London") == "1 Dec 2026, 12:30"
    assert when("2026-12-01T12:30:00+00:00", "Not/AZone") == "1 Dec 2026, 12:30"
    assert when(None) == ""


def test_the_compare_page_names_rounds_by_framework_title(app_as) -> None:
    """Round labels read "2024-25 (published, ocf-race-equality)" (issue 35)."""
    at = app_as("regulator", "compare")
    round_box = next(s for s in at.selectbox if s.label == "Round")
    assert all("ocf-" not in option for option in round_box.options)
    assert any("Organisational Competency Framework" in o for o in round_box.options)


def test_core_messages_read_as_sentences_on_pages(demo_copy) -> None:
    """Core messages reached people in lower case, without a full stop (issue 35): pages show
    them as sentences."""
    from ocf.display import sentence

    from .conftest import page_at

    assert sentence("the panel has been closed") == "The panel has been closed."
    assert sentence("Already a sentence.") == "Already a sentence."
    at = page_at(demo_copy, "admin", "admin_rounds")
    next(b for b in at.button if b.label == "Close").click().run()
    next(b for b in at.button if b.label.startswith("Yes, close")).click().run()
    next(b for b in at.button if b.label == "Reopen").click().run()
    next(b for b in at.button if b.label.startswith("Yes, reopen")).click().run()
    said = at.error[0].value
    assert "needs a reason" in said and said[0].isupper() and said.endswith(".")


def test_admin_forms_say_kinds_roles_and_parents_in_words(demo_copy) -> None:
    """Site kind trust/icb/place, "Belongs to" as codes and roles lead/admin (issue 35)."""
    from .conftest import page_at

    sites = page_at(demo_copy, "admin", "admin_sites")
    kinds = next(s for s in sites.selectbox if s.label == "Kind")
    assert kinds.options == ["Trust", "ICB", "Place"]
    parent = next(s for s in sites.selectbox if s.label.startswith("Part of"))
    assert all(o == "none" or (o.endswith(")") and " (" in o) for o in parent.options)
    accounts = page_at(demo_copy, "admin", "admin_accounts")
    roles = next(s for s in accounts.selectbox if s.label == "Role")
    assert roles.options == ["Equality lead", "Panel facilitator", "Regulator", "Administrator"]


def test_the_audit_log_says_every_action_in_words() -> None:
    """ "Did: carry" (issue 35): every action the platform audits reads as words."""
    import pandas as pd

    from ocf.tables import audit_table

    actions = ["carry", "remove", "review", "reset code", "key paper form",
               "confirm paper form", "discard paper form"]  # fmt: skip
    events = pd.DataFrame(
        {
            "at": ["2026-12-06T10:00:00+00:00"] * len(actions),
            "actor": ["admin:system"] * len(actions),
            "action": actions,
            "entity": ["panel"] * len(actions),
            "entity_id": ["XTA1:2025-26"] * len(actions),
            "before": [None] * len(actions),
            "after": [None] * len(actions),
        }
    )
    said = audit_table(events)["Did"].tolist()
    assert said[0] == "carried over to the next round"
    assert all(word not in actions for word in said)
