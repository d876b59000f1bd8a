"""The container image (issue 34): built and its health check answered when a container engine
runs on this machine (podman or docker from the system's packages), else skipped saying so."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request

import pytest

from .conftest import PROJECT


def engine() -> str | None:
    """A container engine that answers here, or None (the docker client alone is not one)."""
    for name in ("podman", "docker"):
        if (
            shutil.which(name)
            and subprocess.run(
                [name, "info"], capture_output=True, check=False, timeout=30
            ).returncode
            == 0
        ):
            return name
    return None


def test_the_dockerfile_runs_as_a_non_root_user_with_data_on_a_volume() -> None:
    text = (PROJECT / "Dockerfile").read_text()
    assert "USER ocf" in text and 'VOLUME ["/data"]' in text
    assert "OCF_DB=/data/ocf.db" in text and "OCF_AUDIT_KEY_FILE=/data/" in text
    assert "/_stcore/health" in text and "streamlit_app.py" in text
    assert ".venv" in (PROJECT / ".dockerignore").read_text()


def test_the_image_builds_and_answers_its_health_check() -> None:
    name = engine()
    if name is None:
        pytest.skip("no container engine runs on this machine: the image was not built")
    tag = "ocf-platform-test"
    subprocess.run([name, "build", "-t", tag, str(PROJECT)], check=True, timeout=1800)
    run = subprocess.run(
        [name, "run", "-d", "--rm", "-p", "127.0.0.1:18501:8501", tag],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    container = run.stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:18501/_stcore/health", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        user = subprocess.run(
            [name, "exec", container, "id", "-u"], capture_output=True, text=True, check=True
        )
        assert user.stdout.strip() != "0"
    finally:
        subprocess.run([name, "stop", container], capture_output=True, check=False)
