"""End to end: stored answers → `ocf score`, against golden files and the plain reference."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ocf.cli import main
from ocf.results import disclosed_answers
from ocf.store import Store

from .scoring_reference import reference_scores

GOLDEN = Path(__file__).parent / "golden"


def read_scores(source) -> pd.DataFrame:
    """An `ocf score` CSV: empty number cells are NaN, an empty flag is ''."""
    frame = pd.read_csv(
        source,
        keep_default_na=False,
        na_values={c: [""] for c in ("self", "panel", "final", "gap", "coverage")},
    )
    return frame.astype({"flag": str})


@pytest.mark.parametrize("round_id", ["2024-25", "2025-26"])
def test_demo_scores_match_the_golden_file(
    runner: CliRunner, demo_path: Path, round_id: str
) -> None:
    """Regenerate with: ocf demo --force && ocf score --round R > tests/golden/demo-scores-R.csv"""
    result = runner.invoke(main, ["score", "--round", round_id, "--db", str(demo_path)])
    assert result.exit_code == 0, result.output
    actual = read_scores(io.StringIO(result.stdout))
    expected = read_scores(GOLDEN / f"demo-scores-{round_id}.csv")
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("round_id", ["2024-25", "2025-26"])
def test_rounds_on_framework_version_2_still_score_as_before(round_id: str) -> None:
    """The demo seeded with version 2 of the OCF and its surveys (as shipped before version 3)
    scores exactly as it did: the golden files from then are kept as demo-scores-v2-*.csv."""
    from ocf.rounds import resolve_content

    from .conftest import FIXTURES

    old = FIXTURES / "ocf-v2"
    content = resolve_content(
        str(old / "ocf-race-equality.yaml"),
        [str(old / "ocf-self-assessment.yaml"), str(old / "ocf-panel.yaml")],
    )
    assert content.framework.version == 2
    _assert_demo_scores(content, round_id, f"demo-scores-v2-{round_id}.csv")


@pytest.mark.parametrize("round_id", ["2024-25", "2025-26"])
def test_rounds_on_panel_survey_version_2_still_score_as_before(round_id: str) -> None:
    """Version 3 of the panel survey split questions in two (issue 18); a round opened with
    version 2 keeps it and scores exactly as before (demo-scores-panel-v2-*.csv)."""
    from ocf.rounds import resolve_content

    from .conftest import FIXTURES, PROJECT

    content = resolve_content(
        str(PROJECT / "frameworks" / "ocf-race-equality.yaml"),
        [
            str(PROJECT / "surveys" / "ocf-self-assessment.yaml"),
            str(FIXTURES / "ocf-panel-v2.yaml"),
        ],
    )
    assert {s.id: s.version for s, _ in content.surveys}["ocf-panel"] == 2
    _assert_demo_scores(content, round_id, f"demo-scores-panel-v2-{round_id}.csv")


def _assert_demo_scores(content, round_id: str, golden: str) -> None:
    """The demo seeded with `content` scores round `round_id` exactly as the golden file."""
    from ocf.demo import seed_demo
    from ocf.results import scores_table

    store = Store.open(":memory:")
    seed_demo(store, content=content)
    buffer = io.StringIO()
    scores_table(store, round_id).to_csv(buffer, index=False)
    buffer.seek(0)
    expected = read_scores(GOLDEN / golden)
    pd.testing.assert_frame_equal(read_scores(buffer), expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("round_id", ["2024-25", "2025-26"])
def test_demo_scores_match_the_plain_reference(demo_path: Path, round_id: str) -> None:
    store = Store.open(demo_path)
    golden = read_scores(GOLDEN / f"demo-scores-{round_id}.csv")
    reference = reference_scores(
        disclosed_answers(store, round_id).to_dict("records"),
        store.rounds.round_framework(round_id),
        store.rounds.round_surveys(round_id),
    )
    for row in golden.to_dict("records"):
        want = reference[(row["site"], row["level"], row["id"])]
        for column in ("self", "panel", "final", "gap", "coverage"):
            assert (want[column] is None and math.isnan(row[column])) or row[
                column
            ] == pytest.approx(want[column])
        assert (row["panel_n"], row["flag"]) == (want["panel_n"], want["flag"])
        for column in ("panel_label", "final_label"):
            assert row[column] == (want[column] or ""), (row["id"], column)


def test_import_responses_then_score_gives_the_rules_numbers(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A lead rates every competency 3; five panel members see 1, 1, 1.5, 2 and 2 on two
    competencies (median 1.5), and the facilitator closes the panel.

    final = min(3, 1.5 + 0.5) = 2; gap = 1.5 ≥ 1 → accountability_gap. The panel checked 2 of
    the 5 awareness competencies (coverage 0.4: the one a panel cannot judge counts as
    unchecked) and none elsewhere: overall (0.4 + 0 × 4) / 5.
    """
    db = str(tmp_path / "ocf.db")
    for args in (
        ["site", "add", "RX1", "--name", "A trust"],
        ["round", "add", "r1", "--framework", "ocf-race-equality"],
    ):
        assert runner.invoke(main, [*args, "--db", db]).exit_code == 0
    lines = ["site,round,survey,respondent,item,value"]
    lines += [
        f"RX1,r1,ocf-self-assessment,lead,{c.id}-level,3"
        for c in Store.open(db).rounds.round_framework("r1").competencies
    ]
    for member, (understood, needs) in {
        "P1": ("2", "2"),
        "P2": ("2", "2"),
        "P3": ("3", "3"),
        "P4": ("4", "4"),
        "P5": ("4", "4"),
    }.items():
        # understood-culture (awareness-cultural-humility) and understands-community (community needs)
        lines += [
            f"RX1,r1,ocf-panel,{member},{item},{value}"
            for item, value in [
                ("understood-culture", understood),
                ("help-early", "9"),
                ("easy-feedback", "9"),
                ("understands-community", needs),
            ]
        ]
    csv = tmp_path / "responses.csv"
    csv.write_text("\n".join(lines) + "\n")
    assert runner.invoke(main, ["import", "responses", str(csv), "--db", db]).exit_code == 0
    withheld = read_scores(
        io.StringIO(runner.invoke(main, ["score", "--round", "r1", "--db", db]).stdout)
    )
    assert withheld["panel"].isna().all()  # the panel is still open: nothing of it shows
    assert (
        runner.invoke(main, ["panel", "close", "RX1", "--round", "r1", "--db", db]).exit_code == 0
    )
    result = runner.invoke(main, ["score", "--round", "r1", "--db", db])
    table = read_scores(io.StringIO(result.stdout)).set_index("id")
    needs = table.loc["awareness-community-needs"]
    assert (
        needs["self"],
        needs["panel"],
        needs["panel_n"],
        needs["final"],
        needs["gap"],
        needs["flag"],
    ) == (3, 1.5, 5, 2.0, 1.5, "accountability_gap")
    assert needs["coverage"] == 1
    humility = table.loc["awareness-cultural-humility"]  # scores 1, 1, 1.5, 2, 2 → median 1.5
    assert (humility["panel"], humility["final"]) == (1.5, 2.0)
    training = table.loc["staff-training"]  # the panel said nothing about it
    assert (training["final"], training["flag"], training["panel_n"]) == (3, "not_verified", 0)
    assert training["coverage"] == 0
    awareness = table[table["level"] == "domain"].loc["awareness"]  # 2 of its 5 checked
    assert (awareness["coverage"], awareness["flag"]) == (0.4, "accountability_gap")
    overall = table.loc["overall"]
    assert overall["coverage"] == pytest.approx((0.4 + 0 + 0 + 0 + 0) / 5)  # domains, equal weights
    assert overall["flag"] == "accountability_gap"  # the gap outranks partly_verified
    # Labels: the panel's 1.5 reads Developing, and so does the final of 2.0 (never a level
    # above the panel's own); a final nobody on the panel checked has no label.
    assert (needs["panel_label"], needs["final_label"]) == ("Developing", "Developing")
    assert (training["panel_label"], training["final_label"]) == ("", "")
    # The awareness domain: finals 2, 2, 3, 3 … average above its panel's 1.5 plus the
    # tolerance, so the domain's final is capped there, as each competency's is.
    assert awareness["panel"] == 1.5 and awareness["final"] == pytest.approx(2.0)
    assert awareness["final_label"] == "Developing"
    # Overall: the panel's figure is the awareness domain's alone (1.5): capped at 2.0.
    assert overall["panel"] == 1.5 and overall["final"] <= 2.0 + 1e-9
