"""Every page runs under AppTest against the demo database, without an exception."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ocf.demo import demo_actor
from ocf.loading import load_shipped
from ocf.store import Store

from .conftest import PROJECT

APP = str(PROJECT / "app_router.py")


@pytest.fixture
def app(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("OCF_DB", str(demo_path))
    return AppTest.from_file(APP, default_timeout=30)


def test_home_page_shows_rounds_and_the_demo_notice(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.title[0].value == "Organisational Competency Framework assessment"
    assert "synthetic" in app.info[0].value
    assert [m.value for m in app.metric] == ["11", "3", "3"]  # sites, rounds, frameworks
    rounds = app.dataframe[0].value
    assert list(rounds["Round"]) == ["2024-25", "2024-25-system", "2025-26"]


def test_frameworks_page_shows_levels_evidence_and_crosswalk(app: AppTest) -> None:
    app.switch_page("app_pages/frameworks.py").run()
    assert not app.exception
    assert [h.value for h in app.header] == [
        "Maturity scale",
        "Domains and competencies",
        "PCREF crosswalk",
        "Surveys",
    ]
    assert [s.value for s in app.main.subheader] == [
        "Awareness",
        "Staff capability",
        "Behavioural change",
        "Data and monitoring",
        "Service development",
    ]
    assert len(app.expander) == len(load_shipped().frameworks["ocf-race-equality"].competencies)
    assert list(app.table[0].value.index) == ["Undeveloped", "Developing", "Achieving", "Excelling"]
    crosswalk = app.table[1].value
    assert "PCREF: co-production" in set(crosswalk["PCREF area"])
    assert "Co-production with racialised communities" in set(crosswalk["Competency"])
    descriptors = [m.value for m in app.expander[0].markdown]
    assert "**0 · Undeveloped**" in descriptors


def test_frameworks_page_switches_to_pcref(app: AppTest) -> None:
    app.switch_page("app_pages/frameworks.py").run()
    app.selectbox[0].select("pcref").run()
    assert not app.exception
    assert [s.value for s in app.main.subheader] == [
        "Legislative and regulatory obligations",
        "National organisational competencies",
        "Patient and carer feedback mechanism",
    ]
    assert "PCREF crosswalk" not in [h.value for h in app.header]


def test_an_empty_database_gets_a_helpful_home_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "empty.db"
    Store.open(path).close()
    monkeypatch.setenv("OCF_DB", str(path))
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    assert not app.info  # no demo notice on a real database
    assert any("opens one on the Rounds page" in m.value for m in app.markdown)


MENUS = {
    None: {
        "": ["Home", "Sign in", "Public summary", "Frameworks", "Accessibility"],
        "Panel": ["Panel survey", "Panel privacy notice"],
    },
    "panel": {"": ["Panel survey", "Panel privacy notice", "Accessibility"]},
    "lead": {
        "": ["Home", "Public summary", "Frameworks", "Accessibility"],
        "Assess": ["Self-assessment", "Results", "Evidence"],
        "Data": ["Detention disparity"],
    },
    "facilitator": {
        "": ["Home", "Public summary", "Frameworks", "Accessibility"],
        "Assess": ["Evidence"],
        "Panel": ["Panel facilitation", "Panel comments", "Panel privacy notice"],
    },
    "regulator": {
        "": ["Home", "Public summary", "Frameworks", "Accessibility"],
        "Assess": ["Results", "Evidence"],
        "Compare": ["Compare sites", "Systems"],
        "Data": ["Detention disparity", "Maturity and disparity"],
    },
    "admin": {
        "": ["Home", "Public summary", "Frameworks", "Accessibility"],
        "Assess": ["Self-assessment", "Results", "Evidence"],
        "Panel": ["Panel facilitation", "Panel comments", "Panel privacy notice"],
        "Compare": ["Compare sites", "Systems"],
        "Data": ["Detention disparity", "Maturity and disparity", "Data imports"],
        "Administer": [
            "Sites",
            "Rounds",
            "Accounts",
            "Submissions",
            "Publish versions",
            "Audit log",
        ],
    },
}


@pytest.mark.parametrize("role", list(MENUS))
def test_the_menu_groups_pages_by_task_with_one_name_per_thing(
    demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: str | None
) -> None:
    """Issue 20, item 11: a flat list of 16 pages with both "Frameworks and surveys" and
    "Frameworks"; now a heading per task, and no page's name inside another's."""
    db = Path(shutil.copy(demo_path, tmp_path / "demo.db"))  # a panel sign-in writes
    monkeypatch.setenv("OCF_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=30)
    if role is not None:
        app.session_state["actor"] = demo_actor(Store.open(db), role)
    app.run()
    assert not app.exception
    menu: dict[str, list[str]] = {}
    section = ""
    for element in app.sidebar:
        if element.type == "subheader":
            section = element.value
        elif element.type == "page_link":
            menu.setdefault(section, []).append(element.proto.label)
    assert menu == MENUS[role]
    names = [name for pages in menu.values() for name in pages]
    assert not [(a, b) for a in names for b in names if a != b and a in b]


@pytest.mark.parametrize("role", [None, "lead", "admin"])
def test_the_accessibility_statement_is_open_to_everyone(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch, role: str | None
) -> None:
    """Public-sector websites must publish one (issue 34): its status, known issues and how to
    report a problem, with the operator's contact where set."""
    from streamlit.testing.v1 import AppTest

    from ocf.demo import demo_actor
    from ocf.store import Store

    monkeypatch.setenv("OCF_DB", str(demo_path))
    monkeypatch.setenv("OCF_ACCESSIBILITY_CONTACT", "accessibility@trust.nhs.uk")
    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    if role:
        at.session_state["actor"] = demo_actor(Store.open(demo_path), role)
    at.run()
    at.switch_page("app_pages/accessibility.py").run()
    assert not at.exception and at.title[0].value == "Accessibility statement"
    text = " ".join(m.value for m in at.markdown)
    assert "partially compliant" in text and "WCAG" in text
    assert "machine drafts" in text and "Nastaliq" in text
    assert "accessibility@trust.nhs.uk" in text
