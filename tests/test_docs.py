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
