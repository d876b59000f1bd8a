"""`panel: not_applicable`: a competency a panel cannot judge is counted honestly in coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocf.errors import ConfigError
from ocf.loading import load_library
from ocf.models import Answer, Response, Site
from ocf.results import round_scores
from ocf.rounds import change_status, open_round, resolve_content
from ocf.store import Store
from ocf.submissions import SELF_RESPONDENT

from .conftest import FIXTURES

SELF = FIXTURES / "survey-minimal-self.yaml"


def framework_with_beta_not_judged(tmp_path: Path) -> Path:
    text = (
        (FIXTURES / "framework-minimal.yaml")
        .read_text()
        .replace(
            "      - id: beta-one\n        title: Beta one\n",
            "      - id: beta-one\n        title: Beta one\n        panel: not_applicable\n"
            "        panel_reason: Only the board's papers show it.\n",
        )
    )
    path = tmp_path / "framework.yaml"
    path.write_text(text)
    return path


def panel_survey(tmp_path: Path, ask_beta: bool) -> Path:
    text = (FIXTURES / "survey-minimal-panel.yaml").read_text()
    if not ask_beta:
        text = text.replace(
            "      - {id: b1, competency: beta-one, type: likert, text: Beta, options: *agree}\n",
            "",
        )
    path = tmp_path / "panel.yaml"
    path.write_text(text)
    return path


def test_a_panel_item_on_a_competency_the_panel_cannot_judge_is_refused(tmp_path: Path) -> None:
    framework = framework_with_beta_not_judged(tmp_path)
    with pytest.raises(ConfigError, match="the framework says a panel cannot judge 'beta-one'"):
        load_library([framework, SELF, panel_survey(tmp_path, ask_beta=True)])


def test_coverage_counts_only_what_a_panel_can_judge(store: Store, tmp_path: Path) -> None:
    framework = framework_with_beta_not_judged(tmp_path)
    content = resolve_content(str(framework), [str(SELF), str(panel_survey(tmp_path, False))])
    store.sites.add_sites([Site("S1", "Site one")], "t")
    open_round(store, "r1", content, "t")
    own = (
        Answer("alpha-one-level", "2"),
        Answer("alpha-two-level", "2"),
        Answer("beta-one-level", "2"),
    )
    responses = [Response("S1", "r1", "tiny-self", SELF_RESPONDENT, own)]
    for n in range(3):
        answers = (Answer("a1", "3"), Answer("a2", "3"))
        responses.append(Response("S1", "r1", "tiny-panel", f"P{n}", answers))
    store.submissions.add_submitted(responses, "t")
    change_status(store, "r1", "close", "t")
    scores = round_scores(store, "r1")
    competencies = scores.competencies.set_index("competency")
    assert pd_isna(competencies.loc["beta-one", "coverage"])
    assert competencies.loc["beta-one", "flag"] == ""  # not "not verified": nobody could verify
    assert competencies.loc["beta-one", "final_label"] == "Full"  # checked by evidence
    # Coverage counts only what the panel checked: beta, which no panel can judge, is
    # unchecked, so the site reads partly checked (it read "fully checked" while beta's final
    # entered the headline unmoderated).
    domains = scores.domains.set_index("domain")
    assert domains.loc["beta", "coverage"] == 0 and domains.loc["beta", "flag"] == "not_verified"
    assert pd_isna(domains.loc["beta", "final_label"])  # coverage 0: no level label
    overall = scores.overall.iloc[0]
    assert 0 < overall["coverage"] < 1 and overall["flag"] == "partly_verified"
    # Yet the overall final never exceeds the overall panel figure plus the tolerance.
    tolerance = store.rounds.round_framework("r1").moderation.tolerance
    assert overall["final"] <= overall["panel"] + tolerance + 1e-9


def pd_isna(value) -> bool:
    return value != value  # NaN is the only value unequal to itself
