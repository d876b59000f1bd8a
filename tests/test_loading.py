"""Framework and survey validation: every check names file, line and field, all at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ocf.errors import ConfigError
from ocf.loading import load_library, parse_framework

from .conftest import FIXTURES

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
MINIMAL = FIXTURES / "framework-minimal.yaml"


def expected_problems(path: Path) -> list[str]:
    return re.findall(r"^# expect: (.+)$", path.read_text(), flags=re.MULTILINE)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_reports_exactly_its_problems(path: Path) -> None:
    """Each broken fixture yields exactly the FILE:LINE: field: message lines it declares."""
    expected = expected_problems(path)
    assert expected, f"{path.name} declares no '# expect:' lines"
    with pytest.raises(ConfigError) as caught:
        load_library([path, MINIMAL])
    actual = [
        str(p).removeprefix(f"{path}:") for p in caught.value.problems if p.source == str(path)
    ]
    assert len(actual) == len(expected), "\n".join(actual)
    for line in expected:
        assert any(a.startswith(line) for a in actual), f"missing {line!r} in:\n" + "\n".join(
            actual
        )


def test_minimal_framework_loads_into_frozen_models() -> None:
    """A valid framework becomes frozen dataclasses with defaults applied."""
    framework = parse_framework(MINIMAL.read_text(), str(MINIMAL))
    assert [d.id for d in framework.domains] == ["alpha", "beta"]
    assert framework.competency("alpha-two").weight == 2
    assert framework.domains[0].weight == 1
    assert framework.min_panel == 3 and framework.gap_flag == 1
    assert framework.moderation.rule == "panel_cap" and framework.moderation.tolerance == 1
    assert framework.scale.label(1.6) == "Some"
    with pytest.raises(AttributeError):
        framework.id = "changed"  # type: ignore[misc]


def test_problems_from_several_files_come_together(tmp_path: Path) -> None:
    """Validating a folder reports the problems of every file, not only the first."""
    for path in INVALID[:3]:
        (tmp_path / path.name).write_text(path.read_text())
    with pytest.raises(ConfigError) as caught:
        load_library([tmp_path])
    assert len({p.source for p in caught.value.problems}) == 3


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    with pytest.raises(ConfigError, match=re.escape("empty.yaml:1: the file is empty")):
        load_library([path])


def test_top_level_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top of the file"):
        load_library([path])


def test_two_files_with_one_id_are_refused(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(MINIMAL.read_text())
    with pytest.raises(ConfigError, match="framework id 'tiny' is already used by another file"):
        load_library([tmp_path])
