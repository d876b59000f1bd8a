"""Real-browser fixtures: a streamlit server on a free port with a fresh demo database, and
Debian's Chromium driven by Playwright (test tools cannot download browsers here).

Without Chromium the browser tests are skipped with a loud reason in the summary; `make test`
installs Chromium first when it can (as root with apt-get).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ocf.demo import create_demo

PROJECT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = ("serious", "critical")
NO_BROWSER = (
    "BROWSER TESTS SKIPPED: Debian's chromium is not installed and could not be installed "
    "(run `apt-get install chromium` as root, then `make test`)"
)

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LAUNCHERS = ("streamlit run", "make run", "uvicorn")


def _command(launcher: str, port: int, db: Path) -> list[str]:
    """How each way of serving the app starts it: Streamlit's convention, the README's `make
    run` (its install step taken as done: the suite runs from that install), an ASGI server."""
    if launcher == "streamlit run":
        return [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
    if launcher == "make run":
        return ["make", "-o", ".venv/.installed", "run", f"DB={db}", f"PORT={port}"]
    return [sys.executable, "-m", "uvicorn", "streamlit_app:app", "--port", str(port)]


@contextmanager
def running_app(folder: Path, launcher: str = "streamlit run") -> Iterator[tuple[str, Path]]:
    """(base URL, database path) of the app served by `launcher` on a free port, with a fresh
    demo database in `folder`, stopped afterwards."""
    if CHROMIUM is None:
        pytest.skip(NO_BROWSER)
    db = folder / "demo.db"
    create_demo(db).close()
    port = _free_port()
    log = (folder / "streamlit.log").open("w")
    process = subprocess.Popen(
        _command(launcher, port, db),
        cwd=PROJECT,
        env={**os.environ, "OCF_DB": str(db)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # `make` starts streamlit as its child: stop the whole group
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        log.close()
        pytest.fail(f"{launcher} did not answer on {url}; see {folder / 'streamlit.log'}")
    try:
        yield url, db
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, database path) of a running app with a fresh demo database."""
    with running_app(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import expect, sync_playwright

    # Every check waits for its condition, up to a ceiling generous enough for a busy machine.
    expect.set_options(timeout=60_000)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(60_000)  # the ceiling for each condition on a busy machine
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def axe_log() -> Iterator[dict]:
    """Every axe result of the run, written to test-artifacts/axe-report.json at the end."""
    results: dict[str, list] = {}
    yield results
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(results, indent=2))
