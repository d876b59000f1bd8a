"""Every `ocf` command driven with generated bad arguments and files (issue 19, item 14).

Whatever comes in, a command ends with an exit code (0 for input that happens to be valid,
1 for a problem it explains, 2 for a usage error), never a traceback, and a command that
refused changed nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocf.access import SYSTEM, issue_invitations
from ocf.cli import main
from ocf.models import Site
from ocf.rounds import open_round, resolve_content
from ocf.store import Store

from .conftest import dump

SKIPPED = {"demo"}  # builds a whole demo database per call; covered by tests/test_demo.py


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += leaf_commands(command, (*prefix, name))
        elif name not in SKIPPED:
            found.append(((*prefix, name), command))
    return found


COMMANDS = leaf_commands(main)
WORDS = st.sampled_from(
    ["", " ", "RX1", "rx1", "NOPE", "r1", "r2", "2025-26", "0", "-1", "1e400", "nan", "inf",
     "=HYPERLINK(\"x\")", "+1", "@SUM(A1)", "../../etc/passwd", "/", "ünïcödé", "a" * 300,
     "lead", "admin", "panel", "csv", "json", "xlsx", "template", "nhs-mha-annual", "auto",
     "ocf-race-equality", "pcref", "ocf-panel", "Black", "White", "All detentions",
     # Huge numbers: SQLite holds at most 2**63 - 1 (a larger id was a traceback).
     "99999999999999999999", "9223372036854775808", "-99999999999999999999", "1" * 400,
     # Endless inputs: a device is no file to import (/dev/zero grew to 3.5 GB).
     "/dev/zero", "/dev/urandom"]
)  # fmt: skip
CONTENT = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    st.lists(
        st.lists(st.one_of(WORDS, st.text(max_size=8)), min_size=1, max_size=7),
        min_size=1,
        max_size=6,
    ).map(lambda rows: "\n".join(",".join(cells) for cells in rows)),
    st.sampled_from(
        [
            "site,round,survey,respondent,item,value\nRX1,r1,ocf-panel,p,help-early,1\n",
            "site,period,measure,ethnic_group,count,population\nRX1,x,y,White,1e30,1\n",
            "code,name,kind,parent\nA1,a,place,B1\nB1,b,place,A1\n",
            "id: x\nversion: 1\na: &a [1,2]\nb: [*a, *a]\n",
            "loop: &x [*x]\n",
        ]
    ),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "base.db"
    store = Store.open(path)
    store.sites.add_sites([Site("QX1", "An ICB", "icb"), Site("RX1", "Trust", parent="QX1")], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    issue_invitations(store, SYSTEM, "RX1", "r1", 2)
    store.close()
    return path


@st.composite
def invocations(draw: st.DrawFn) -> tuple[tuple[str, ...], list, list[bytes | str]]:
    """A command, its arguments (WORDS, or FILE n for a generated file) and those files."""
    words, command = draw(st.sampled_from(COMMANDS))
    files = draw(st.lists(CONTENT, min_size=1, max_size=2))
    value = st.one_of(WORDS, st.integers(0, len(files) - 1).map(lambda n: f"FILE {n}"))
    args: list = []
    for param in command.params:
        if param.name == "db_path":
            continue
        if isinstance(param, click.Argument):
            args.append(draw(value))
        elif draw(st.booleans()):
            if param.is_flag:
                args.append(param.opts[0])
            else:
                args += [param.opts[0], draw(value)]
    if draw(st.booleans()):  # sometimes one argument too many, or an unknown option
        args.append(draw(st.sampled_from(["extra", "--nope"])))
    return words, args, files


@settings(
    max_examples=int(os.environ.get("OCF_FUZZ_EXAMPLES", 300)),
    derandomize=not os.environ.get("OCF_FUZZ_EXAMPLES"),  # CI: the same 300 cases every run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(invocations())
def test_no_command_gives_a_traceback_or_half_writes(
    base: Path, tmp_path_factory: pytest.TempPathFactory, case: tuple
) -> None:
    words, args, files = case
    folder = tmp_path_factory.mktemp("case")
    db = folder / "ocf.db"
    shutil.copy(base, db)
    paths = []
    for number, content in enumerate(files):
        path = folder / f"input-{number}.csv"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        paths.append(str(path))
    argv = [paths[int(a.split()[1])] if str(a).startswith("FILE ") else a for a in args]
    before = dump(Store.open(db))
    here = os.getcwd()
    os.chdir(folder)  # a relative name (`ocf backup r1`) lands in this case's folder
    try:
        result = CliRunner().invoke(main, [*words, *argv, "--db", str(db)])
    finally:
        os.chdir(here)
    described = f"ocf {' '.join(words)} {argv!r}: {result.output[-500:]}"
    assert result.exit_code in (0, 1, 2), described
    assert not (result.exception and not isinstance(result.exception, SystemExit)), (
        f"{described}\n{result.exception!r}"
    )
    assert "Traceback" not in result.output, described
    if result.exit_code != 0:
        assert dump(Store.open(db)) == before, described


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "--limit", "99999999999999999999"],
        ["users", "revoke", "99999999999999999999"],
        ["invite", "--site", "RX1", "--round", "r1", "--count", "99999999999999999999"],
        ["import", "responses", "/dev/zero"],
        ["import", "detentions", "/dev/urandom"],
        ["import", "actions", "/dev/zero"],
        ["site", "import", "/dev/zero"],
    ],
)
def test_huge_numbers_and_endless_files_are_refused_in_a_line(
    base: Path, tmp_path: Path, args
) -> None:
    db = tmp_path / "ocf.db"
    shutil.copy(base, db)
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exit_code in (1, 2) and not (
        result.exception and not isinstance(result.exception, SystemExit)
    ), f"{args}: {result.exception!r} {result.output}"
    assert len(result.output.splitlines()) <= 4 and "Traceback" not in result.output


def test_a_line_that_never_ends_is_refused_without_reading_it_all(
    base: Path, tmp_path: Path
) -> None:
    """An upload of one endless row (here 3 MB with no line break) is named, not held whole."""
    import io

    from ocf.errors import DataError
    from ocf.importers import LONGEST_LINE, stream_rows

    endless = io.BytesIO(b"site,round,survey,respondent,item,value\n" + b"x" * (3 * LONGEST_LINE))
    with pytest.raises(DataError, match="runs on past 1 MB"):
        list(stream_rows(endless, "upload.csv", 3 * LONGEST_LINE))
