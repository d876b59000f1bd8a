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
    monkeypatch.setenv("OCF_DB", str(demo_path))
    return lambda role, page: page_at(demo_path, role, page)


@pytest.fixture
def demo_copy(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo database a test may change, which the app under AppTest opens."""
    import shutil

    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    monkeypatch.setenv("OCF_DB", str(path))
    return path


def page_at(path: Path, role: str, page: str):
    """A page of the app under AppTest on the database at `path` (OCF_DB must point there, as
    `demo_copy` does), as that database's demo `role`."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    at.session_state["actor"] = demo_actor(Store.open(path), role)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def dump(store: Store) -> list[str]:
    """The whole database as SQL text, to show that a refused action changed nothing."""
    return list(store.db.conn.iterdump())
