"""Shared fixtures: in-memory stores, a demo database file, the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ocf.demo import create_demo, demo_actor, seed_demo
from ocf.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).parent.parent


@pytest.fixture
def store() -> Store:
    """An empty, migrated in-memory store."""
    return Store.open(":memory:")


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database file built once per test session; tests must not write to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    create_demo(path).close()
    return path


@pytest.fixture
def demo_store() -> Store:
    """A fresh in-memory demo store a test may change."""
    store = Store.open(":memory:")
    seed_demo(store)
    return store


@pytest.fixture
def app_as(demo_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A page of the app under AppTest on the shared demo database, as a demo `role`: a test
    calls `app_as(role, page)` (page: a file name in app_pages/, without .py)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("OCF_DB", str(demo_path))

    def make(role: str, page: str) -> AppTest:
        at = AppTest.from_file(str(PROJECT / "streamlit_app.py"), default_timeout=30)
        at.session_state["actor"] = demo_actor(Store.open(demo_path), role)
        at.run()
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, at.exception
        return at

    return make


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def dump(store: Store) -> list[str]:
    """The whole database as SQL text, to show that a refused action changed nothing."""
    return list(store.db.conn.iterdump())
