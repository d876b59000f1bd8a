"""Shared fixtures: in-memory stores, a demo database file, the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ocf.demo import create_demo, seed_demo
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
def runner() -> CliRunner:
    return CliRunner()


def dump(store: Store) -> list[str]:
    """The whole database as SQL text, to show that a refused action changed nothing."""
    return list(store.db.conn.iterdump())
