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
     "ocf-race-equality", "pcref", "ocf-panel", "Black", "White", "All detentions"]
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
    store.add_sites([Site("QX1", "An ICB", "icb"), Site("RX1", "Trust", parent="QX1")], "t")
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
