"""The container image (issue 34): built and its health check answered when a container engine
runs on this machine (podman or docker from the system's packages), else skipped saying so.

The base image comes from `OCF_CONTAINER_BASE`, else `python:3.11-slim` where the engine has it
or can fetch it, else `localhost/ocf-base:bookworm`, made from Debian's packages where no
registry is reachable (docs/deployment.md, section 5). Where the machine lets the engine build
but not run containers (a sandbox that forbids setting resource limits or cgroups), the image's
own files are started by `chroot` as its user instead: the same program, settings and user."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .conftest import PROJECT

TAG = "ocf-platform-test"
LOCAL_BASE = "localhost/ocf-base:bookworm"
PORT = 18501


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


def _has(name: str, image: str) -> bool:
    return (
        subprocess.run(
            [name, "image", "inspect", image], capture_output=True, check=False
        ).returncode
        == 0
    )


def base_image(name: str) -> str | None:
    """The base to build on: the one asked for, the usual one, or the local Debian one."""
    if wanted := os.environ.get("OCF_CONTAINER_BASE"):
        return wanted
    if _has(name, "python:3.11-slim"):
        return "python:3.11-slim"
    pulled = subprocess.run(
        [name, "pull", "python:3.11-slim"], capture_output=True, check=False, timeout=180
    )
    if pulled.returncode == 0:
        return "python:3.11-slim"
    return LOCAL_BASE if _has(name, LOCAL_BASE) else None


def _healthy(port: int, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextmanager
def running(name: str) -> Iterator[tuple[str, int, str]]:
    """The image running, as (how, port, its user id): a container where the machine allows
    one, else the image's files under chroot as its own user (root and podman only)."""
    run = subprocess.run(
        [name, "run", "-d", "--rm", "-p", f"127.0.0.1:{PORT}:8501", TAG],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode == 0:
        container = run.stdout.strip().splitlines()[-1]
        try:
            _healthy(PORT, time.monotonic() + 120)
            user = subprocess.run(
                [name, "exec", container, "id", "-u"], capture_output=True, text=True, check=True
            )
            yield "container", PORT, user.stdout.strip()
        finally:
            subprocess.run([name, "stop", container], capture_output=True, check=False)
        return
    if name != "podman" or os.geteuid() != 0 or not shutil.which("chroot"):
        pytest.skip(f"the image was built, but this machine cannot run it: {run.stderr[-300:]}")
    container = (
        subprocess.run([name, "create", TAG], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    root = subprocess.run(
        [name, "mount", container], capture_output=True, text=True, check=True
    ).stdout.strip()
    config = subprocess.run(
        [name, "image", "inspect", "--format", "{{.Config.User}}|{{json .Config.Env}}", TAG],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    user, env = config.split("|", 1)
    import json

    environment = dict(item.split("=", 1) for item in json.loads(env))
    uid = subprocess.run(
        ["chroot", root, "id", "-u", user], capture_output=True, text=True, check=True
    ).stdout.strip()
    server = subprocess.Popen(
        ["chroot", f"--userspec={uid}:{uid}", root, "sh", "-c",
         f"cd /app && exec streamlit run streamlit_app.py --server.address 127.0.0.1 "
         f"--server.port {PORT + 1} --server.headless true --browser.gatherUsageStats false"],
        env={**environment, "HOME": f"/home/{user}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _healthy(PORT + 1, time.monotonic() + 120)
        yield "chroot", PORT + 1, uid
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run([name, "umount", container], capture_output=True, check=False)
        subprocess.run([name, "rm", container], capture_output=True, check=False)


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
    base = base_image(name)
    if base is None:
        pytest.skip(
            "no base image: python:3.11-slim cannot be fetched here and there is no "
            f"{LOCAL_BASE} (docs/deployment.md, section 5, makes one from Debian's packages)"
        )
    # chroot isolation builds where the engine may not start containers; docker format keeps
    # the HEALTHCHECK, which the OCI format drops.
    options = ["--isolation", "chroot", "--format", "docker"] if name == "podman" else []
    subprocess.run(
        [name, "build", *options, "--build-arg", f"BASE={base}", "-t", TAG, str(PROJECT)],
        check=True, timeout=1800, capture_output=True,
    )  # fmt: skip
    health = subprocess.run(
        [name, "image", "inspect", "--format", "{{json .Config.Healthcheck}}", TAG],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "/_stcore/health" in health
    with running(name) as (how, port, uid):
        assert uid not in ("", "0"), f"the app runs as root ({how})"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
