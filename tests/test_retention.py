"""Retention (issue 34): panel answers go once the records policy says, the disclosed figures
and the audit chain stay, and a dry run deletes nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ocf.access import SYSTEM
from ocf.cli import main
from ocf.reports import board_report
from ocf.results import round_scores, site_results
from ocf.retention import apply, due, parse_period
from ocf.store import Store

from .conftest import dump

PUBLISHED = "2024-25"
LATER = datetime.now(UTC) + timedelta(days=4 * 365)  # four years on


@pytest.fixture
def db(demo_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    return path


def test_answers_go_and_the_disclosed_figures_and_the_audit_chain_stay(db: Path) -> None:
    store = Store.open(db)
    before = round_scores(store, PUBLISHED)
    report_before = board_report(store, SYSTEM, "XTA1", PUBLISHED)
    assert due(store, SYSTEM, parse_period("3y")) == []  # published today: nothing due yet
    [item] = due(store, SYSTEM, parse_period("3y"), now=LATER)
    assert (
        item.round == PUBLISHED and item.answers == store.rounds.panel_answer_count(PUBLISHED) > 0
    )
    snapshot = dump(store)
    assert apply(store, SYSTEM, parse_period("3y"), dry_run=True, now=LATER) == [item]
    assert dump(store) == snapshot  # a dry run deletes nothing
    apply(store, SYSTEM, parse_period("3y"), now=LATER)
    assert store.rounds.panel_answer_count(PUBLISHED) == 0
    after = round_scores(Store.open(db), PUBLISHED)
    for name in ("competencies", "domains", "overall"):
        pd.testing.assert_frame_equal(
            getattr(after, name).reset_index(drop=True),
            getattr(before, name).reset_index(drop=True),
            check_dtype=False,
        )
    result = site_results(store, SYSTEM, "XTA1", PUBLISHED)
    assert result.overall is not None and not pd.isna(result.overall["panel"])
    report_after = board_report(store, SYSTEM, "XTA1", PUBLISHED)
    assert report_after.count("panel") >= report_before.count("panel") - 5  # the same report
    assert store.check_audit_chain().intact
    entry = store.audit.audit_events("round")[0]
    assert entry["action"] == "retire answers" and "figures kept" in entry["after"]
    assert due(store, SYSTEM, parse_period("3y"), now=LATER) == []  # done once


def test_the_command_line_and_the_policy(db: Path) -> None:
    runner = CliRunner()
    nothing = runner.invoke(main, ["retention", "apply", "--db", str(db)])
    assert nothing.exit_code == 1 and "no records policy period" in nothing.output
    assert runner.invoke(main, ["retention", "policy", "3y", "--db", str(db)]).exit_code == 0
    assert runner.invoke(main, ["retention", "policy", "soon", "--db", str(db)]).exit_code == 1
    today = runner.invoke(main, ["retention", "apply", "--dry-run", "--db", str(db)])
    assert today.exit_code == 0 and "Nothing is due." in today.output
    old = runner.invoke(main, ["retention", "apply", "--older-than", "0d", "--db", str(db)])
    assert old.exit_code == 1  # a period of nothing is refused
    short = runner.invoke(main, ["retention", "apply", "--older-than", "1d", "--dry-run",
                                 "--db", str(db)])  # fmt: skip
    assert short.exit_code == 0


def test_a_round_not_published_is_never_retired(db: Path) -> None:
    from ocf.errors import ConflictError

    store = Store.open(db)
    with pytest.raises(ConflictError, match="not published"):
        store.rounds.retire_panel_answers("2025-26", b"", "t")


def test_the_rounds_page_shows_what_is_due(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ocf.retention import set_policy

    from .conftest import page_at

    monkeypatch.setenv("OCF_DB", str(db))
    at = page_at(db, "admin", "admin_rounds")
    assert any("No records policy period is set" in m.value for m in at.markdown)
    set_policy(Store.open(db), SYSTEM, "1d")
    at = page_at(db, "admin", "admin_rounds")
    # Published today: under a day's policy nothing is due yet (due() is tested above).
    assert any("kept for 1d" in m.value for m in at.markdown)
    assert any(m.value == "Nothing is due." for m in at.markdown)


def test_a_retired_round_cannot_be_reopened(db: Path) -> None:
    """Its figures are kept as published: a changed self-assessment would never reach them."""
    from ocf.errors import ConflictError
    from ocf.rounds import change_status

    store = Store.open(db)
    apply(store, SYSTEM, parse_period("3y"), now=LATER)
    with pytest.raises(ConflictError, match="cannot be reopened"):
        change_status(store, PUBLISHED, "reopen", "t", "late forms")


def test_members_read_the_records_policy_period_in_their_own_language(demo_copy: Path) -> None:
    """Issue 34: the privacy notice and the paper form say how long answers are kept from the
    period the trust set (`ocf retention policy`), in the member's language; the site's own
    words still come first."""
    from ocf.demo import DEMO_SITE, demo_actor
    from ocf.languages import interface
    from ocf.panel_info import kept_text, set_site_text
    from ocf.paper import paper_form
    from ocf.retention import set_policy

    from .conftest import page_at

    store = Store.open(demo_copy)
    survey = store.rounds.round_surveys(PUBLISHED)["ocf-panel"]
    polish = survey.translations["pl"]
    assert kept_text(store, DEMO_SITE, polish) == interface(polish, "kept")  # no policy yet
    set_policy(store, SYSTEM, "3y")
    assert "for 3 years after the results are published" in kept_text(store, DEMO_SITE, None)
    assert "przez 3 lata od opublikowania" in kept_text(store, DEMO_SITE, polish)
    set_policy(store, SYSTEM, "18m")
    assert "لمدة 18 شهرًا" in kept_text(store, DEMO_SITE, survey.translations["ar"])
    assert "for 18 months" in kept_text(store, DEMO_SITE, survey.translations["easy"])

    at = page_at(demo_copy, "panel", "privacy")
    assert "keeps the panel's answers for 18 months" in " ".join(m.value for m in at.markdown)
    form = paper_form(survey, polish, "Trust", 5, kept=kept_text(store, DEMO_SITE, polish))
    assert "przez 18 miesięcy" in form

    set_site_text(store, demo_actor(store, "admin"), DEMO_SITE, "kept", "Six years, then gone.")
    assert kept_text(store, DEMO_SITE, polish) == "Six years, then gone."
