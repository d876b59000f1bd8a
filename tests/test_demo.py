"""The demo database: fictional, varied, deterministic, and valid by the platform's own rules."""

from __future__ import annotations

from ocf.demo import ICBS, TRUSTS, seed_demo
from ocf.store import Store


def test_demo_has_fictional_trusts_under_three_icbs(demo_store: Store) -> None:
    sites = demo_store.sites.list_sites()
    assert sum(s.kind == "icb" for s in sites) == 3 and sum(s.kind == "trust" for s in sites) == 8
    assert {s.parent for s in sites if s.kind == "trust"} == {icb.code for icb in ICBS}
    assert demo_store.is_demo


def test_demo_rounds_are_published_and_open(demo_store: Store) -> None:
    assert [(r.id, r.status) for r in demo_store.rounds.list_rounds()] == [
        ("2024-25", "published"),
        ("2024-25-system", "closed"),  # the ICBs' own system competencies
        ("2025-26", "open"),
    ]


def test_each_trust_has_a_self_assessment_and_a_panel(demo_store: Store) -> None:
    for round_ in demo_store.rounds.list_rounds():
        if round_.id.endswith("-system"):
            continue
        counts = demo_store.submissions.submission_counts(round_.id).pivot_table(
            index="site", columns="survey", values="n"
        )
        assert (counts["ocf-self-assessment"] == 1).all()
        panel = counts["ocf-panel"]
        small = panel[panel < 6]
        assert panel.drop(small.index).between(6, 12).all()
        assert list(small.index) == (["XTB3"] if round_.id == "2025-26" else [])


def test_some_trusts_rate_themselves_well_above_the_truth(demo_store: Store) -> None:
    """Trusts built to over-rate put their self-rating a level above their latent maturity."""
    frame = demo_store.submissions.answers_frame("2024-25")
    levels = frame[frame["item_id"].str.endswith("-level")]
    self_mean = (
        levels.assign(v=levels["value"].astype(str).astype(float)).groupby("site")["v"].mean()
    )
    excess = {t.site.code: self_mean[t.site.code] - t.maturity for t in TRUSTS}
    assert all(excess[t.site.code] >= 0.8 for t in TRUSTS if t.bias >= 1)
    assert all(abs(excess[t.site.code]) <= 0.5 for t in TRUSTS if t.bias <= 0.1)


def test_demo_is_deterministic_for_a_seed() -> None:
    first, second = Store.open(":memory:"), Store.open(":memory:")
    seed_demo(first, seed=7)
    seed_demo(second, seed=7)
    columns = ["site", "survey", "respondent", "item_id", "value", "text"]
    assert first.submissions.answers_frame("2025-26")[columns].equals(
        second.submissions.answers_frame("2025-26")[columns]
    )
