"""The public summary (issue 17, part 6): anyone can read what a trust published, never a
panel member's words or a figure below the disclosure rule; `ocf report --audience public`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from ocf.cli import main
from ocf.errors import PermissionDenied
from ocf.public import public_summary
from ocf.store import Store

from .conftest import PROJECT

APP = str(PROJECT / "app_router.py")
# The public summary's sections, on the page and in its file alike (the demo has no duties).
HEADINGS = [
    "Detentions under the Mental Health Act",
    "Each area",
    "The panel",
    "What the trust said to its panel",
    "What the trust is doing",
    "What happens next",
]


def panel_words(store: Store) -> list[str]:
    """Every panel member's own words (the self-assessment's are the trust's, and its planned
    actions are published as its plan)."""
    rows = store.db.execute(
        """SELECT a.text FROM answers a
           JOIN submissions s ON s.id = a.submission_id
           JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
           WHERE rs.audience = 'panel' AND a.text IS NOT NULL AND a.text != ''"""
    ).fetchall()
    return [r[0] for r in rows]


def test_a_signed_out_visitor_reads_the_public_summary(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCF_DB", str(demo_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("app_pages/public.py").run()
    assert not at.exception
    assert [h.value for h in at.header] == HEADINGS
    areas = at.table[1].value
    assert list(areas.columns) == ["Self-assessment", "Panel", "Checked by the panel"]
    shown = " ".join(str(t.value.to_dict()) for t in at.table)
    assert "Ward staff will explain rights" in shown  # the demo lead's response
    for words in panel_words(Store.open(demo_path)):
        assert words not in shown


def test_only_published_rounds_are_public(demo_store: Store) -> None:
    with pytest.raises(PermissionDenied, match="not published"):
        public_summary(demo_store, "XTA1", "2025-26")
    summary = public_summary(demo_store, "XTA1", "2024-25")
    assert "Latest note" not in summary.actions.columns  # staff's notes stay inside
    assert "Owner" not in summary.actions.columns


def test_the_public_summary_file_is_the_same_page(demo_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(demo_path, db)
    out = tmp_path / "public.html"
    result = CliRunner().invoke(
        main,
        ["report", "XTA1", "--round", "2024-25", "--audience", "public", "--out", str(out),
         "--db", str(db)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text()
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in page
    assert "<script" not in page and "http" not in page.replace("https://", "")
    assert "Ward staff will explain rights" in page
    for words in panel_words(Store.open(db)):
        assert words not in page
    refused = CliRunner().invoke(
        main,
        ["report", "XTA1", "--round", "2025-26", "--audience", "public", "--out", str(out),
         "--db", str(db)],
    )  # fmt: skip
    assert refused.exit_code != 0 and "not published" in refused.output


def test_a_panel_members_words_never_reach_the_public_summary(demo_store: Store) -> None:
    from ocf.access import SYSTEM, issue_invitations, sign_in
    from ocf.admin import set_round_status
    from ocf.reports import public_report
    from ocf.submissions import open_panel_survey, save, submit

    secret = "My cousin Dele on Ward 4 was restrained twice"
    for code in issue_invitations(demo_store, SYSTEM, "XTA1", "2025-26", 1):
        member = sign_in(demo_store, code)
        draft = open_panel_survey(demo_store, member)
        raw = {i.id: (i.options[0].value, None) for i in draft.survey.items if i.required}
        raw.update({i.id: (None, secret) for i in draft.survey.items if i.type == "text"})
        submit(demo_store, member, save(demo_store, member, draft, raw))
    assert secret in panel_words(demo_store)
    set_round_status(demo_store, SYSTEM, "2025-26", "close")
    set_round_status(demo_store, SYSTEM, "2025-26", "publish", "test")
    summary = public_summary(demo_store, "XTA1", "2025-26")
    shown = " ".join(str(f.to_dict()) for f in (summary.areas, summary.responses, summary.actions))
    assert secret not in shown and secret not in public_report(demo_store, "XTA1", "2025-26")


def test_the_public_summary_lists_only_trusts_that_took_part(demo_path, tmp_path) -> None:
    """A site added after the round was listed, with nothing to show (issue 35)."""
    import shutil

    from ocf.access import SYSTEM
    from ocf.admin import add_site
    from ocf.public import sites_in
    from ocf.store import Store

    path = tmp_path / "demo.db"
    shutil.copy(demo_path, path)
    store = Store.open(path)
    add_site(store, SYSTEM, "XTZ9", "A trust added later", "trust", None, None)
    published = next(r.id for r in store.rounds.list_rounds() if r.status == "published")
    listed = {s.code for s in sites_in(store, published)}
    assert "XTZ9" not in listed and "XTA1" in listed


# --------------------------------------------------------------------------- issue 33


def test_the_public_summary_says_how_often_black_people_were_detained(demo_store: Store) -> None:
    """Issue 33, 1: the exercise is about detentions, and the summary said nothing of them. The
    trust's Black/White ratio with its interval, England's beside it, the years held, and one
    plain sentence; crude here, saying so, because the demo's trust figures have no ages."""
    from ocf.disparity import detention_rows, disparity_table

    summary = public_summary(demo_store, "XTA1", "2024-25")
    figures = summary.detentions
    assert figures is not None and figures.own and not figures.standardised
    table = disparity_table(detention_rows(demo_store, "2023-24", "all-detentions"))
    mine = table[table["geography"] == "XTA1"].iloc[0]
    england = table[table["geography"] == "ENG"].iloc[0]
    assert figures.ratio == pytest.approx(mine["rate_ratio"])
    assert figures.england == pytest.approx(england["rate_ratio"])
    assert figures.sentence == (
        f"In 2023-24, Black people in the area this trust serves were detained under the Mental "
        f"Health Act about {mine['rate_ratio']:.1f} times as often as White people (not adjusted "
        f"for age, because the figures held have no age breakdown). Across England the figure "
        f"was {england['rate_ratio']:.1f}."
    )
    assert list(figures.trend["Year"]) == ["2023-24", "2024-25"]
    assert figures.trend.iloc[0, 1] == (
        f"{mine['rate_ratio']:.1f} (95% interval {mine['ratio_lower']:.1f} to "
        f"{mine['ratio_upper']:.1f})"
    )


def test_an_areas_figures_stand_in_for_a_trust_without_its_own_and_say_so(
    demo_store: Store,
) -> None:
    from ocf.access import SYSTEM
    from ocf.admin import confirm_detentions, preview_detentions

    demo_store.db.execute("DELETE FROM detentions WHERE geography = 'XTA1'")
    rows = "\n".join(
        f"XQA,2023-24,all-detentions,{group},{count},{population}"
        for group, count, population in (
            ("Black or Black British", 90, 20000),
            ("White", 300, 400000),
        )
    )
    text = "site,period,measure,ethnic_group,count,population\n" + rows
    confirm_detentions(
        demo_store, SYSTEM, preview_detentions(demo_store, SYSTEM, text, "xqa.csv", "template")
    )
    figures = public_summary(demo_store, "XTA1", "2024-25").detentions
    assert figures is not None and not figures.own
    assert figures.place.startswith("its integrated care board, ")
    assert figures.ratio == pytest.approx((90 / 20000) / (300 / 400000))
    assert "in this area were detained" in figures.sentence


def test_a_ratio_from_suppressed_counts_is_never_shown(demo_store: Store) -> None:
    demo_store.db.execute(
        "UPDATE detentions SET count = NULL, suppressed = 1 WHERE geography = 'XTA1' "
        "AND period = '2023-24' AND ethnic_group = 'Black or Black British'"
    )
    figures = public_summary(demo_store, "XTA1", "2024-25").detentions
    assert figures is not None and figures.ratio is None
    assert "is not shown: too few detentions" in figures.sentence
    assert figures.trend.iloc[0, 1] == "not shown: too few detentions to show safely"


def test_every_public_figure_has_its_level_in_words_and_the_panel_a_size_band(
    demo_store: Store,
) -> None:
    """Issue 33, 2: not a bare "0.75"; and the panel's size as a band, never its number."""
    from ocf.public import panel_band

    summary = public_summary(demo_store, "XTA1", "2024-25")
    for column in ("Self-assessment", "Panel"):
        for cell in summary.areas[column]:
            assert cell.endswith(("(Undeveloped)", "(Developing)", "(Achieving)", "(Excelling)")), (
                cell
            )
    assert summary.panel_size == "Between 5 and 9 panel members answered."
    assert panel_band(4, 5).startswith("Fewer than 5") and panel_band(0, 5).startswith("No panel")
    assert panel_band(50, 5) == "50 or more panel members answered."
    assert summary.next_round == "The next round, 2025-26, is under way."


def test_the_trusts_published_plan_is_linked_when_its_lead_gives_the_address(
    demo_store: Store,
) -> None:
    from ocf.demo import demo_actor
    from ocf.errors import DataError
    from ocf.public import set_plan_link
    from ocf.reports import public_report

    lead = demo_actor(demo_store, "lead")
    assert public_summary(demo_store, lead.site, "2024-25").plan is None
    for wrong in ("javascript:alert(1)", "https://", "http://example.org/plan"):
        with pytest.raises(DataError, match=r"expected (one|a web address) starting https://"):
            set_plan_link(demo_store, lead, lead.site, "2024-25", wrong)
    with pytest.raises(PermissionDenied):
        set_plan_link(demo_store, lead, "XTB1", "2024-25", "https://example.org/plan")
    set_plan_link(demo_store, lead, lead.site, "2024-25", "https://example.org/plan?a=1&b=2")
    assert (
        public_summary(demo_store, lead.site, "2024-25").plan == "https://example.org/plan?a=1&b=2"
    )
    assert '<a href="https://example.org/plan?a=1&amp;b=2">' in public_report(
        demo_store, lead.site, "2024-25"
    )


def test_publishing_over_unanswered_gaps_is_said_with_the_reason(demo_store: Store) -> None:
    """Issue 33, 5: the override reason on the public summary and the board report."""
    from ocf.access import SYSTEM
    from ocf.admin import set_round_status
    from ocf.reports import board_report, public_report

    assert public_summary(demo_store, "XTA1", "2024-25").published_over is None  # all answered
    set_round_status(demo_store, SYSTEM, "2024-25", "reopen", "a correction")
    set_round_status(demo_store, SYSTEM, "2024-25", "close")
    set_round_status(demo_store, SYSTEM, "2024-25", "publish", "The board meets on Friday")
    said = public_summary(demo_store, "XTB3", "2024-25").published_over
    assert said is not None and said.startswith("This round was published while 19 gaps")
    assert said.endswith('The reason given for publishing: "The board meets on Friday"')
    assert "The board meets on Friday" in public_report(demo_store, "XTB3", "2024-25")
    assert "The board meets on Friday" in board_report(demo_store, SYSTEM, "XTB3", "2024-25")


def test_the_lead_gives_the_plans_address_on_the_results_page_and_the_public_reads_it(
    demo_copy: Path,
) -> None:
    from .conftest import page_at

    at = page_at(demo_copy, "lead", "results")
    next(s for s in at.selectbox if s.label == "Round").select_index(0).run()  # published
    box = next(t for t in at.text_input if t.label.startswith("Where the public can read"))
    box.input("http://example.org/plan")
    next(b for b in at.button if b.label == "Save the address").click().run()
    assert any("expected a web address starting https://" in e.value for e in at.error)
    box = next(t for t in at.text_input if t.label.startswith("Where the public can read"))
    box.input("https://example.org/plan")
    next(b for b in at.button if b.label == "Save the address").click().run()
    assert not at.exception and not at.error
    store = Store.open(demo_copy)
    lead = at.session_state["actor"]
    assert public_summary(store, lead.site, "2024-25").plan == "https://example.org/plan"
