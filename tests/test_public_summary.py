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


def panel_words(store: Store) -> list[str]:
    rows = store.db.execute(
        "SELECT a.text FROM answers a WHERE a.text IS NOT NULL AND a.text != ''"
    ).fetchall()
    return [r[0] for r in rows]


def test_a_signed_out_visitor_reads_the_public_summary(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCF_DB", str(demo_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("app_pages/public.py").run()
    assert not at.exception
    assert [h.value for h in at.header] == [
        "Each area",
        "What the trust said to its panel",
        "What the trust is doing",
    ]
    areas = at.table[0].value
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
    for heading in ("Each area", "What the trust said to its panel", "What the trust is doing"):
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
    published = next(r.id for r in store.list_rounds() if r.status == "published")
    listed = {s.code for s in sites_in(store, published)}
    assert "XTZ9" not in listed and "XTA1" in listed
