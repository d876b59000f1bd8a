"""The `ocf` command as a user's script sees it: outputs, exit codes, and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ocf.cli import main
from ocf.store import Store

from .conftest import FIXTURES, dump


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path, runner: CliRunner) -> str:
    """A database with an ICB, a trust and an open OCF round."""
    path = str(tmp_path / "ocf.db")
    assert (
        run(runner, "site", "add", "QX1", "--name", "Test ICB", "--kind", "icb", "--db", path)[0]
        == 0
    )
    assert (
        run(runner, "site", "add", "RX1", "--name", "Test Trust", "--parent", "QX1", "--db", path)[
            0
        ]
        == 0
    )
    assert (
        run(runner, "round", "add", "r1", "--framework", "ocf-race-equality", "--db", path)[0] == 0
    )
    return path


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_validate_passes_on_shipped_files(runner: CliRunner) -> None:
    code, out, _ = run(runner, "validate")
    assert code == 0
    assert out.strip() == "OK: 3 framework(s), 6 survey(s) valid"


def test_validate_reports_one_line_per_problem_and_exits_1(runner: CliRunner) -> None:
    path = FIXTURES / "invalid" / "fw-missing-keys.yaml"
    code, out, err = run(runner, "validate", str(path))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{path}:5: version: required; expected a whole number",
        f"{path}:5: title: required; expected non-empty text",
        f"{path}:5: scale: required; expected a list",
        f"{path}:5: domains: required; expected a list",
    ]
    assert "Traceback" not in err


def test_validate_checks_a_survey_against_the_shipped_framework(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "extra.yaml",
        "id: extra\nversion: 1\nframework: pcref\naudience: panel\ntitle: Extra\nsections:\n"
        "  - id: s\n    title: S\n    items:\n      - {id: q, type: likert, competency: nope, text: Q,"
        " options: [{value: 1, label: A, score: 0}, {value: 2, label: B, score: 3}]}\n",
    )
    code, _, err = run(runner, "validate", path)
    assert code == 1
    assert (
        err.strip()
        == f"{path}:10: sections[0].items[0].competency: unknown competency 'nope'; expected an id from framework 'pcref'"
    )


def test_site_import_is_all_or_nothing(runner: CliRunner, db: str, tmp_path: Path) -> None:
    before = dump(Store.open(db))
    csv = write(
        tmp_path,
        "sites.csv",
        "code,name,kind,parent,cohort\nRX2,Good trust,trust,QX1,pilot-1\nrx1,Duplicate,trust,,\n,No code,,,\nRX3,Bad kind,hospital,,\nRX4,Orphan,trust,QZZ,\n",
    )
    code, out, err = run(runner, "site", "import", csv, "--db", db)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{csv}:ROW 3: code: site RX1 already exists",
        f"{csv}:ROW 4: code: '' is not a site code; expected 2–12 letters, digits or hyphens (ODS style, e.g. RX4)",
        f"{csv}:ROW 5: kind: 'hospital' is not a kind; expected trust, icb, place",
        f"{csv}:ROW 6: parent: unknown site QZZ; add the ICB or place first or in the same file",
    ]
    assert dump(Store.open(db)) == before


def test_site_import_orders_parents_before_children(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "sites.csv",
        "code,name,kind,parent\nRX5,Child trust,trust,PL1\nPL1,A place,place,QX1\n",
    )
    code, out, _ = run(runner, "site", "import", csv, "--db", db)
    assert (code, out.strip()) == (0, f"Added 2 site(s) from {csv}")
    assert Store.open(db).sites.get_site("RX5").parent == "PL1"


def test_site_import_names_a_missing_column(runner: CliRunner, db: str, tmp_path: Path) -> None:
    csv = write(tmp_path, "sites.csv", "code,title\nRX9,Nine\n")
    code, _, err = run(runner, "site", "import", csv, "--db", db)
    assert code == 1
    assert f"{csv}:ROW 1: missing column(s) name; expected code,name,kind,parent,cohort" in err
    assert "unknown column(s) 'title'" in err


def test_round_add_takes_a_framework_path_and_named_surveys(runner: CliRunner, db: str) -> None:
    code, out, _ = run(
        runner,
        "round",
        "add",
        "p1",
        "--framework",
        "frameworks/pcref.yaml",
        "--survey",
        "pcref-panel",
        "--period",
        "2024-25",
        "--db",
        db,
    )
    assert code == 0
    assert out.strip() == "Opened round p1: pcref v4; surveys pcref-panel"


def test_round_add_refuses_an_unknown_framework(runner: CliRunner, db: str) -> None:
    code, _, err = run(runner, "round", "add", "p2", "--framework", "nope", "--db", db)
    assert code == 1
    assert err.startswith(
        "nope: unknown framework; expected a path to a YAML file or one of: ocf-race-equality, ocf-system, pcref"
    )


def test_round_life_cycle_commands(runner: CliRunner, db: str) -> None:
    assert run(runner, "round", "close", "r1", "--db", db)[1].strip() == "Round r1 is now closed"
    code, _, err = run(runner, "round", "close", "r1", "--db", db)
    assert (code, err.strip()) == (1, "round r1 is closed; it can be closed only from open")
    assert run(runner, "round", "publish", "r1", "--db", db)[0] == 0
    assert (
        run(runner, "round", "reopen", "r1", "--reason", "late paper returns", "--db", db)[0] == 0
    )
    assert (
        run(runner, "round", "list", "--db", db)[1].splitlines()[1]
        == "r1,ocf-race-equality,4,open,"
    )


RESPONSES = """site,round,survey,respondent,item,value,text
RX1,r1,ocf-panel,P1,understood-culture,4,
RX1,r1,ocf-panel,P1,help-early,5,
RX1,r1,ocf-panel,P1,easy-feedback,9,
RX1,r1,ocf-panel,P1,one-change,,More interpreters please
RX1,r1,ocf-panel,P2,understood-culture,2,
RX1,r1,ocf-panel,P2,help-early,1,
RX1,r1,ocf-panel,P2,easy-feedback,3,
RX1,r1,ocf-panel,P2,needed-interpreter,yes,
RX1,r1,ocf-panel,P2,interpreter-provided,2,
"""


def test_import_responses_stores_one_submission_per_respondent(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    csv = write(tmp_path, "responses.csv", RESPONSES)
    code, out, _ = run(runner, "import", "responses", csv, "--db", db)
    assert (code, out.strip()) == (0, "Imported 2 submission(s) from responses.csv")
    frame = Store.open(db).submissions.answers_frame("r1")
    assert sorted(frame["respondent"].unique()) == ["P1", "P2"]
    assert len(frame) == 9
    assert (
        frame.set_index(["respondent", "item_id"]).loc[("P1", "one-change"), "text"]
        == "More interpreters please"
    )


def test_import_responses_twice_is_refused(runner: CliRunner, db: str, tmp_path: Path) -> None:
    csv = write(tmp_path, "responses.csv", RESPONSES)
    assert run(runner, "import", "responses", csv, "--db", db)[0] == 0
    before = dump(Store.open(db))
    code, _, err = run(runner, "import", "responses", csv, "--db", db)
    assert code == 1
    assert (
        f"{csv}:ROW 2: respondent: P1 already has a submission for RX1, round r1, survey ocf-panel; nothing is imported twice"
        in err
    )
    assert dump(Store.open(db)) == before


BAD_RESPONSES = """site,round,survey,respondent,item,value,text
RX1,r1,ocf-panel,P1,understood-culture,7,
RX1,r1,ocf-panel,P1,understood-culture,4,
RX1,r1,ocf-panel,P1,interpreter-provided,4,
ZZ9,r1,ocf-panel,P3,understood-culture,4,
RX1,r9,ocf-panel,P3,understood-culture,4,
RX1,r1,ocf-pane,P3,understood-culture,4,
RX1,r1,ocf-panel,P3,nope,4,
RX1,r1,ocf-self-assessment,lead,awareness-community-needs-level,2,
RX1,r1,ocf-self-assessment,lead,awareness-community-needs-action-due,next spring,
"""


def test_import_responses_reports_every_bad_row_and_writes_nothing(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    csv = write(tmp_path, "bad.csv", BAD_RESPONSES)
    before = dump(Store.open(db))
    code, out, err = run(runner, "import", "responses", csv, "--db", db)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[:8] == [
        f"{csv}:ROW 2: value: item understood-culture: '7' is not an option; expected 1 (Strongly disagree), 2 (Disagree), 3 (Neither agree nor disagree), 4 (Agree), 5 (Strongly agree), 9 (Don't know)",
        f"{csv}:ROW 3: item: P1 does not answer required item help-early",
        f"{csv}:ROW 3: item: P1 does not answer required item easy-feedback",
        f"{csv}:ROW 4: item: P1 answers interpreter-provided, which is only asked when needed-interpreter == yes",
        f"{csv}:ROW 5: site: unknown site 'ZZ9'",
        f"{csv}:ROW 6: round: unknown round 'r9'",
        f"{csv}:ROW 7: survey: survey 'ocf-pane' is not part of round r1; expected ocf-self-assessment, ocf-panel",
        f"{csv}:ROW 8: item: unknown item 'nope' in survey ocf-panel",
    ]
    assert (
        f"{csv}:ROW 10: value: item awareness-community-needs-action-due: 'next spring' is not a date; expected YYYY-MM-DD"
        in lines
    )
    assert any(
        "lead does not answer required item awareness-disparity-understanding-level" in line
        for line in lines
    )
    assert dump(Store.open(db)) == before


def test_import_into_a_closed_round_is_refused(runner: CliRunner, db: str, tmp_path: Path) -> None:
    run(runner, "round", "close", "r1", "--db", db)
    csv = write(tmp_path, "responses.csv", RESPONSES)
    code, _, err = run(runner, "import", "responses", csv, "--db", db)
    assert code == 1
    assert "round r1 is closed; responses can only be added while it is open" in err


def test_missing_file_is_a_clear_error(runner: CliRunner, db: str) -> None:
    code, _, err = run(runner, "import", "responses", "nowhere.csv", "--db", db)
    assert (code, err.strip()) == (1, "nowhere.csv: no such file")


def test_demo_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    path = str(tmp_path / "demo.db")
    code, out, _ = run(runner, "demo", "--db", path)
    assert code == 0 and "11 sites, 3 rounds (synthetic data)" in out
    code, _, err = run(runner, "demo", "--db", path)
    assert code == 1 and "already exists; use --force" in err
    assert run(runner, "demo", "--force", "--db", path)[0] == 0


def test_db_defaults_to_the_environment_variable(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "env.db"
    monkeypatch.setenv("OCF_DB", str(path))
    assert run(runner, "site", "add", "RX1", "--name", "A trust")[0] == 0
    assert Store.open(path).sites.get_site("RX1") is not None


def test_db_goes_before_or_after_the_command(tmp_path: Path, runner: CliRunner) -> None:
    """The README says every command takes --db; `ocf --db X site list` failed."""
    db = str(tmp_path / "ocf.db")
    assert runner.invoke(main, ["--db", db, "site", "add", "RX1", "--name", "A"]).exit_code == 0
    before = runner.invoke(main, ["--db", db, "site", "list"])
    after = runner.invoke(main, ["site", "list", "--db", db])
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout and "RX1" in before.stdout


def test_everyday_command_line_output_reads_cleanly(runner: CliRunner, tmp_path: Path) -> None:
    """Float noise in `ocf disparity` (2382008.3682008367, 5693.0); a second account with the
    same name made silently; closing an empty round said nothing of it (issue 35)."""
    from ocf.detention_import import import_detentions

    from .conftest import PROJECT

    db = str(tmp_path / "ocf.db")
    store = Store.open(db)
    import_detentions(
        PROJECT / "data" / "reference" / "nhs-mha-annual-2023-24-ethnicity.csv", store, "t"
    )
    out = runner.invoke(main, ["disparity", "--period", "2023-24", "--db", db]).stdout
    england = next(line for line in out.splitlines() if line.startswith("ENG,"))
    assert ",5693,2382008,239.0," in england and "5693.0" not in england
    assert all(len(cell.split(".")[-1]) <= 6 for cell in england.split(",") if "." in cell)
    add = ["users", "add", "Ada Lead", "--role", "regulator", "--db", db]
    assert runner.invoke(main, add).exit_code == 0
    again = runner.invoke(main, add)
    assert (
        again.exit_code == 0
        and "is also named 'Ada Lead'; this is a second account" in again.stderr
    )
    assert (
        runner.invoke(main, ["round", "add", "r1", "--framework", "pcref", "--db", db]).exit_code
        == 0
    )
    closed = runner.invoke(main, ["round", "close", "r1", "--db", db])
    assert closed.exit_code == 0 and "has no answers at all" in closed.stderr


def test_the_cli_says_which_command_lists_what_was_not_found(tmp_path, runner) -> None:
    """The store says only what is missing (a page has no commands to offer); the CLI adds
    the command that lists the rounds or sites (issue 32: wording out of the store)."""
    db = str(tmp_path / "ocf.db")
    assert runner.invoke(main, ["site", "add", "RX1", "--name", "One", "--db", db]).exit_code == 0
    result = runner.invoke(main, ["score", "--round", "nope", "--db", db])
    assert result.exit_code == 1
    assert "unknown round 'nope'; `ocf round list` shows the rounds" in result.stderr
