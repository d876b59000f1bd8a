"""The panel's own words: reviewed by the facilitator, redacted, themed, never attributed,
shown to staff only when approved and only from a closed panel above the disclosure rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocf.comments import (
    NO_PROCEDURE,
    for_review,
    for_staff,
    review,
    safeguarding_procedure,
    set_safeguarding_procedure,
)
from ocf.demo import DEMO_SITE, demo_actor
from ocf.errors import ConflictError, DataError, PermissionDenied
from ocf.models import Answer, Response, Site
from ocf.reports import board_report, export_round
from ocf.rounds import change_status, open_round, resolve_content
from ocf.store import Store

from .conftest import dump, page_at

NAMED = "Nurse Jo Bloggs on Ward 7 held me down on 3 March."
REDACTED = "A nurse held me down."


def panel_with_comments(store: Store, members: int, order=None) -> None:
    """Site S1 in round r1 (the OCF framework): `members` panel members, each with a comment
    ("comment 0", …; member 0 writes NAMED); submitted in `order` (default: as numbered)."""
    if not store.sites.get_site("S1"):
        store.sites.add_sites([Site("S1", "Site one")], "t")
        open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    texts = [NAMED, *[f"comment {n}" for n in range(1, members)]]
    for n in order or range(members):
        answers = (Answer("understood-culture", "4"), Answer("one-change", None, texts[n]))
        store.submissions.add_submitted([Response("S1", "r1", "ocf-panel", f"P{n}", answers)], "t")


@pytest.fixture
def five(store: Store) -> Store:
    panel_with_comments(store, 5)
    change_status(store, "r1", "close", "t")
    store.sites.add_sites([Site("S2", "Site two")], "t")
    return store


FACILITATOR = None


def actor(store: Store, role: str, site: str | None = "S1"):
    from ocf.access import Actor

    return Actor("account", role, site=site if role in ("lead", "facilitator") else None, name=role)


def test_the_facilitator_sees_each_comment_alone_in_an_order_unrelated_to_who_or_when() -> None:
    first, second = Store.open(":memory:"), Store.open(":memory:")
    panel_with_comments(first, 5)
    panel_with_comments(second, 5, order=[4, 2, 0, 3, 1])
    for store in (first, second):
        change_status(store, "r1", "close", "t")
    a = for_review(first, actor(first, "facilitator"), "S1", "r1")
    b = for_review(second, actor(second, "facilitator"), "S1", "r1")
    assert [c.text for c in a] == [c.text for c in b]
    assert [c.number for c in a] == [1, 2, 3, 4, 5]
    shown = {f for c in a for f in c.__dataclass_fields__} - {"key"}
    assert shown == {"number", "question", "text", "redacted", "theme", "safeguarding", "decision"}


def test_staff_read_only_approved_redacted_words_by_theme(five: Store) -> None:
    facilitator = actor(five, "facilitator")
    comments = {c.text: c for c in for_review(five, facilitator, "S1", "r1")}
    review(
        five, facilitator, "S1", "r1", comments[NAMED].key, REDACTED, "Restraint", True, "approved"
    )
    review(
        five, facilitator, "S1", "r1", comments["comment 1"].key, "x", "Other", False, "withheld"
    )
    seen = for_staff(five, actor(five, "lead"), "S1", "r1")
    assert seen.withheld_because == ""
    assert seen.comments.to_dict("records") == [
        {
            "Theme": "Restraint",
            "Question": seen.comments["Question"].iloc[0],
            "In their words": REDACTED,
        }
    ]
    assert seen.waiting == 3
    everything = " ".join(map(str, seen.comments.to_numpy().ravel()))
    assert "Bloggs" not in everything and "comment 1" not in everything


def test_comments_are_reviewed_only_once_the_panel_has_closed(store: Store) -> None:
    """A comment that appeared for review the moment its writer submitted (and vanished when
    they withdrew) tied its words to that moment, and to who was in the room."""
    panel_with_comments(store, 5)
    facilitator = actor(store, "facilitator")
    with pytest.raises(ConflictError, match="once the panel has closed"):
        for_review(store, facilitator, "S1", "r1")
    with pytest.raises(ConflictError, match="once the panel has closed"):
        review(store, facilitator, "S1", "r1", (1, "one-change"), "w", "t", False, "approved")
    change_status(store, "r1", "close", "t")
    assert len(for_review(store, facilitator, "S1", "r1")) == 5


def test_no_words_reach_staff_from_a_panel_below_the_rule_or_still_open(store: Store) -> None:
    panel_with_comments(store, 4)  # the OCF framework's min_panel is 5
    open_now = for_staff(store, actor(store, "lead"), "S1", "r1")
    assert open_now.comments.empty and "once the panel closes" in open_now.withheld_because
    change_status(store, "r1", "close", "t")
    facilitator = actor(store, "facilitator")
    first = for_review(store, facilitator, "S1", "r1")[0]
    review(store, facilitator, "S1", "r1", first.key, "Fine words", "Theme", False, "approved")
    small = for_staff(store, actor(store, "lead"), "S1", "r1")
    assert small.comments.empty and "fewer than 5 members" in small.withheld_because


def test_the_words_never_reach_the_audit_log_exports_or_the_board_report(
    five: Store, tmp_path: Path
) -> None:
    facilitator = actor(five, "facilitator")
    named = next(c for c in for_review(five, facilitator, "S1", "r1") if c.text == NAMED)
    review(five, facilitator, "S1", "r1", named.key, REDACTED, "Restraint", True, "approved")
    audit = " ".join(str(e) for e in five.audit.audit_events(limit=10_000))
    assert "held me down" not in audit and "Restraint" in audit
    admin = actor(five, "admin")
    csv = export_round(five, admin, "r1", tmp_path / "scores.csv").read_text()
    assert "held me down" not in csv
    assert "held me down" not in board_report(five, admin, "S1", "r1")


def test_a_review_needs_a_decision_and_to_approve_words_and_a_theme(five: Store) -> None:
    facilitator = actor(five, "facilitator")
    key = for_review(five, facilitator, "S1", "r1")[0].key
    before = dump(five)
    with pytest.raises(DataError) as caught:
        review(five, facilitator, "S1", "r1", key, "  ", "", False, "approved")
    assert {p.field for p in caught.value.problems} == {"redacted", "theme"}
    with pytest.raises(DataError, match="expected approved or withheld"):
        review(five, facilitator, "S1", "r1", key, "words", "Theme", False, "publish")
    assert dump(five) == before


def test_only_the_sites_facilitator_or_an_admin_reviews(five: Store) -> None:
    key = for_review(five, actor(five, "admin"), "S1", "r1")[0].key
    for who in (actor(five, "lead"), actor(five, "regulator"), actor(five, "facilitator", "S2")):
        with pytest.raises(PermissionDenied):
            review(five, who, "S1", "r1", key, "w", "t", False, "approved")
        with pytest.raises(PermissionDenied):
            for_review(five, who, "S1", "r1")


def test_a_comment_whose_words_change_waits_for_review_again(five: Store) -> None:
    facilitator = actor(five, "facilitator")
    first = for_review(five, facilitator, "S1", "r1")[0]
    review(five, facilitator, "S1", "r1", first.key, "Words", "Theme", False, "approved")
    five.db.conn.execute(
        "UPDATE answers SET text = 'changed words' WHERE submission_id = ? AND text = ?",
        [first.key[0], first.text],
    )
    again = next(c for c in for_review(five, facilitator, "S1", "r1") if c.key == first.key)
    assert again.decision == "" and again.redacted == "changed words"


def test_the_trusts_safeguarding_procedure_is_shown_and_only_an_admin_sets_it(five: Store) -> None:
    assert safeguarding_procedure(five, "S1") == NO_PROCEDURE
    with pytest.raises(PermissionDenied):
        set_safeguarding_procedure(five, actor(five, "facilitator"), "S1", "Call the lead")
    set_safeguarding_procedure(five, actor(five, "admin"), "S1", "Call the duty safeguarding lead")
    assert safeguarding_procedure(five, "S1") == "Call the duty safeguarding lead"


# --------------------------------------------------------------------------- pages


def test_the_facilitator_reviews_a_comment_and_the_lead_reads_it(demo_copy: Path) -> None:
    at = page_at(demo_copy, "facilitator", "comments")
    next(s for s in at.selectbox if s.label == "Round").select_index(0).run()  # 2024-25
    assert any("Demo procedure (made up)" in i.value for i in at.info)
    waiting = next(m for m in at.metric if m.label == "Waiting for review")
    assert waiting.value == "1"
    area = next(t for t in at.text_area if t.label.startswith("Words staff may read"))
    area.input("Stop calling the police first, said one member.")
    next(t for t in at.text_input if t.label == "Theme").input("Police first")
    next(r for r in at.radio if r.label == "Decision").set_value("approved")
    next(b for b in at.button if b.label.startswith("Save the review of comment")).click().run()
    assert not at.exception and not at.error
    assert next(m for m in at.metric if m.label == "Waiting for review").value == "0"

    lead = page_at(demo_copy, "lead", "results")
    next(s for s in lead.selectbox if s.label == "Round").select_index(0).run()
    assert "Police first" in [h.value for h in lead.subheader]
    quotes = [m.value for m in lead.markdown if m.value.startswith(">")]
    assert any("Stop calling the police first" in q for q in quotes)


def test_a_regulator_reads_approved_words_but_never_reviews(demo_copy: Path) -> None:
    store = Store.open(demo_copy)
    approved = {
        c.theme
        for c in for_review(store, demo_actor(store, "admin"), DEMO_SITE, "2024-25")
        if c.decision == "approved"
    }
    at = page_at(demo_copy, "regulator", "results")
    assert "In the panel's own words" in [h.value for h in at.header]
    assert approved and approved <= {h.value for h in at.subheader}
    assert "Panel comments" not in [p.label for p in at.get("page_link")]
