"""Docs are tested: every command is documented, and the README gives the two set-up commands."""

from __future__ import annotations

import click

from ocf.cli import main

from .conftest import PROJECT


def commands(group: click.Group, prefix: str = "ocf") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names.extend(commands(command, f"{prefix} {name}"))
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_command_is_documented() -> None:
    reference = (PROJECT / "docs" / "cli.md").read_text()
    missing = [name for name in commands(main) if f"`{name}" not in reference]
    assert missing == []


def test_readme_gives_exactly_the_two_setup_commands() -> None:
    readme = (PROJECT / "README.md").read_text()
    setup = readme.split("## Set-up: two commands", 1)[1].split("##", 1)[0]
    assert [
        line.split("#")[0].strip() for line in setup.splitlines() if line.startswith("make ")
    ] == ["make run", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (PROJECT / ".ci" / "run").read_text()


def test_the_deployment_units_are_valid_systemd_units(tmp_path) -> None:
    """The service and the backup timer deployment.md gives (issue 34), checked by systemd
    itself where it is installed (with the project's own paths in place of /srv/ocf/app)."""
    import shutil
    import subprocess

    import pytest

    units = sorted((PROJECT / "deploy").glob("ocf*"))
    assert [u.name for u in units] == ["ocf-backup.service", "ocf-backup.timer", "ocf.service"]
    guide = (PROJECT / "docs" / "deployment.md").read_text()
    assert all(f"deploy/{u.name}" in guide for u in units)
    assert (
        "ocf backup /srv/ocf/backups --keep" in (PROJECT / "deploy/ocf-backup.service").read_text()
    )
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here: the units' syntax was not verified")
    for unit in units:
        text = unit.read_text().replace("/srv/ocf/app", str(PROJECT))
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *[str(tmp_path / u.name) for u in units]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
