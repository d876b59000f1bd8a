"""Obligations (`kind: obligation`): met, partly met or not met, never averaged into maturity."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ocf.access import Actor
from ocf.errors import ConfigError
from ocf.loading import load_library
from ocf.models import Answer, Response, Site
from ocf.obligations import checklist_table, headline
from ocf.reports import board_report
from ocf.results import round_scores, site_results
from ocf.rounds import change_status, open_round, resolve_content
from ocf.store import Store
from ocf.submissions import SELF_RESPONDENT

from .conftest import FIXTURES, page_at

FRAMEWORK = FIXTURES / "framework-obligations.yaml"
SELF = FIXTURES / "survey-obligations-self.yaml"
PANEL = FIXTURES / "survey-obligations-panel.yaml"
ADMIN = Actor(kind="account", name="Admin", role="admin")


def survey_with(tmp_path: Path, audience: str, items: str) -> Path:
    path = tmp_path / f"survey-{audience}.yaml"
    path.write_text(
        f"id: broken-{audience}\nversion: 1\nframework: dutiful\naudience: {audience}\n"
        f"title: Broken\nsections:\n  - id: all\n    title: All\n    items:\n{items}"
    )
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_library([FRAMEWORK, path])
    return [p.message for p in caught.value.problems if p.source == str(path)]


def test_a_self_assessment_answers_each_duty_with_an_obligation_item(tmp_path: Path) -> None:
    path = survey_with(
        tmp_path,
        "self",
        "      - {id: duty-lead-level, competency: duty-lead, type: level, text: Lead}\n"
        "      - {id: lead, competency: duty-data, type: obligation, text: Data}\n"
        "      - {id: alpha-one-status, competency: alpha-one, type: obligation, text: A}\n"
        "      - id: beta-one-level\n        competency: beta-one\n        type: level\n"
        "        text: B\n"
        "      - id: alpha-duty-status\n        competency: alpha-duty\n        type: obligation\n"
        "        text: Duty\n        options: [{value: y, label: Yes}, {value: n, label: No}]\n",
    )
    problems = problems_of(path)
    assert (
        "'duty-lead' is an obligation: answer it with an obligation item (met, partly met or "
        "not met)" in problems
    )
    assert "'alpha-one' is rated on the scale: answer it with a level item" in problems
    assert any("must be called 'duty-data-status'" in p for p in problems)
    assert any(
        "takes no options (its answers are always met, partly and not_met)" in p for p in problems
    )
    assert any("'duty-lead' has no obligation item" in p for p in problems)
    assert any("'alpha-one' has no level item" in p for p in problems)


def test_only_the_trust_answers_a_duty_but_a_panel_may_be_asked_about_it(tmp_path: Path) -> None:
    path = survey_with(
        tmp_path,
        "panel",
        "      - {id: duty-lead-status, competency: duty-lead, type: obligation, text: Lead}\n",
    )
    assert any(
        "only the trust answers whether it meets an obligation" in p for p in problems_of(path)
    )
    # A likert item on a duty is allowed: its view is shown beside the trust's answer.
    assert load_library([FRAMEWORK, SELF, PANEL]).surveys["dutiful-panel"]


@pytest.fixture
def dutiful(store: Store) -> Store:
    """Two sites on the fixture framework: S1 meets one duty, misses one and half-meets one,
    with a panel of three; S2 has submitted nothing of its own."""
    store.sites.add_sites([Site("S1", "Site one"), Site("S2", "Site two")], "t")
    open_round(store, "r1", resolve_content(str(FRAMEWORK), [str(SELF), str(PANEL)]), "t")
    own = {
        "duty-lead-status": "met",
        "duty-lead-evidence": "Board minutes, March",
        "duty-data-status": "not_met",
        "alpha-one-level": "2",
        "alpha-duty-status": "partly",
        "beta-one-level": "1",
    }
    responses = [
        Response(
            "S1",
            "r1",
            "dutiful-self",
            SELF_RESPONDENT,
            tuple(
                Answer(k, None, v) if k.endswith("-evidence") else Answer(k, v)
                for k, v in own.items()
            ),
        )
    ]
    for n, view in enumerate(["1", "3", "3"]):
        answers = (Answer("lead-listens", view), Answer("a1", "3"), Answer("b1", "3"))
        responses.append(Response("S1", "r1", "dutiful-panel", f"P{n}", answers))
    responses.append(Response("S2", "r1", "dutiful-panel", "P9", (Answer("a1", "1"),)))
    store.submissions.add_submitted(responses, "t")
    change_status(store, "r1", "close", "t")
    return store


def test_duties_are_left_out_of_every_maturity_mean(dutiful: Store) -> None:
    scores = round_scores(dutiful, "r1")
    s1 = scores.competencies[scores.competencies["site"] == "S1"]
    assert list(s1["competency"]) == ["alpha-one", "beta-one"]
    assert list(scores.domains.loc[scores.domains["site"] == "S1", "domain"]) == ["alpha", "beta"]
    overall = scores.overall.set_index("site").loc["S1"]
    # Domain weights 1 and 2: (2 × 1 + 1 × 2) / 3 for self; a duty's "not met" counts nowhere.
    assert overall["self"] == pytest.approx(4 / 3)
    assert overall["panel"] == pytest.approx(2.0)
    # Agreement is over the maturity items only: the panel item on a duty is not in it.
    assert scores.agreement.set_index("site").at["S1", "items"] == 2


def test_the_panels_view_of_a_duty_is_kept_apart_and_disclosed_like_any_other(
    dutiful: Store,
) -> None:
    beside = round_scores(dutiful, "r1").obligations.set_index(["site", "competency"])
    assert beside.loc[("S1", "duty-lead"), "panel"] == 2.0  # median of 0, 2, 2
    assert beside.loc[("S1", "duty-lead"), "panel_n"] == 3
    assert math.isnan(beside.loc[("S1", "duty-data"), "panel"])  # the panel was not asked
    assert ("S2", "duty-lead") not in beside.index or beside.loc[
        ("S2", "duty-lead"), "panel_n"
    ] == 0


def test_the_checklist_names_each_duty_not_met_in_full(dutiful: Store) -> None:
    result = site_results(dutiful, ADMIN, "S1", "r1")
    duties = result.obligations.set_index("competency")
    # Met or partly met with no file or link is a claim, and says so (issue 31).
    assert list(duties["label"]) == [
        "Met: claimed, no evidence",
        "Not met",
        "Partly met: claimed, no evidence",
    ]
    table = checklist_table(result.obligations, result.framework.min_panel)
    # Met and partly met need a file or link; the self-assessment's words are only notes.
    assert list(table["Evidence"]) == ["no evidence given", "–", "no evidence given"]
    assert duties.loc["duty-lead", "notes"] == "Board minutes, March"
    assert table["The panel's view"].iloc[0] == "2.00 (n = 3)"
    sentence = headline(result.obligations)
    assert sentence.startswith("2 of 3 legal and regulatory duties are not met in full.")
    assert "**Not met:** Data published; **Partly met:** Alpha duty" in sentence
    # "Met" with no evidence read as met, and no headline named it.
    assert "1 duty is claimed as met with no evidence given." in sentence
    lead = duties.loc["duty-lead", "title"]
    assert f"**Met, claimed, no evidence:** {lead}" in sentence
    assert result.rated == 2  # maturity competencies only


def test_a_site_without_its_own_answers_shows_no_duty_as_met(dutiful: Store) -> None:
    duties = site_results(dutiful, ADMIN, "S2", "r1").obligations
    assert set(duties["label"]) == {"Not answered yet"}
    assert headline(duties) is None  # nothing claimed, nothing named: the page says not answered


def test_the_board_report_leads_with_the_duties_not_met(dutiful: Store) -> None:
    report = board_report(dutiful, ADMIN, "S1", "r1")
    summary = report.index("<h2>Summary</h2>")
    assert report.index("<strong>Not met:</strong> Data published", summary) < report.index(
        'class="summary"'
    )
    assert "<h2>Legal and regulatory obligations</h2>" in report


def test_shipped_pcref_self_assessment_scores_duties_apart(store: Store) -> None:
    """PCREF version 4: the duties are obligations (14 with issue 33), the national
    competencies maturity."""
    content = resolve_content("pcref")
    assert content.framework.version == 4
    assert [d.id for d in content.framework.maturity_view().domains] == [
        "organisational-competencies",
        "feedback-mechanism",
    ]
    assert len(content.framework.obligations) == 14


@pytest.fixture
def pcref_demo(demo_copy: Path) -> Path:
    """The demo with a PCREF round opened: XTA2 submitted its self-assessment, missing two
    duties; the lead's own trust (XTA1) has not started."""
    path = demo_copy
    store = Store.open(path)
    content = resolve_content("pcref")
    open_round(store, "pcref-1", content, "t", period="2024-25")
    survey = next(s for s, _ in content.surveys if s.audience == "self")
    answers = []
    for competency in content.framework.competencies:
        if competency.is_obligation:
            status = {"obligations-use-of-force-data": "not_met"}.get(competency.id, "met")
            status = "partly" if competency.id == "obligations-local-plan" else status
            answers.append(Answer(survey.status_item_id(competency.id), status))
        else:
            answers.append(Answer(survey.level_item_id(competency.id), "2"))
    store.submissions.add_submitted(
        [Response("XTA2", "pcref-1", survey.id, SELF_RESPONDENT, tuple(answers))], "t"
    )
    store.close()
    return path


def test_the_lead_answers_each_duty_met_partly_or_not_on_the_self_assessment(
    pcref_demo: Path,
) -> None:
    at = page_at(pcref_demo, "lead", "self_assessment")
    assert at.selectbox[0].value.id == "pcref-1"
    duty = next(r for r in at.radio if r.label == "Executive board lead for PCREF")
    assert duty.options == ["Met", "Partly met", "Not met"]
    assert "**The duty:**" in " ".join(m.value for m in at.markdown)
    duty.set_value("partly")
    next(b for b in at.button if b.label.startswith("Save Legislative")).click().run()
    assert not at.exception and not at.error
    store = Store.open(pcref_demo)
    saved = store.submissions.get_submission(
        "XTA1", "pcref-1", "pcref-self-assessment", SELF_RESPONDENT
    )
    assert (
        store.submissions.submission_answers(saved.id)["obligations-board-lead-status"].value
        == "partly"
    )


def test_the_results_page_leads_with_duties_not_met_and_lists_the_checklist(
    pcref_demo: Path,
) -> None:
    at = page_at(pcref_demo, "admin", "results")
    organisation = next(s for s in at.selectbox if s.label == "Organisation")
    organisation.select_index(
        next(i for i, o in enumerate(organisation.options) if "(XTA2)" in o)
    ).run()
    assert not at.exception
    assert at.error[0].value.startswith("2 of 14 legal and regulatory duties are not met in full.")
    assert "**Not met:** Use of force recorded and published by ethnicity" in at.error[0].value
    checklist = next(t.value for t in at.table if "Answer" in t.value.columns)
    assert len(checklist) == 14
    answer = checklist.loc["Local PCREF plan, co-developed and published", "Answer"]
    assert answer.startswith("Partly met")
    areas = next(t.value for t in at.table if "Checked by panel" in t.value.columns)
    assert "Legislative and regulatory obligations" not in areas.index


def test_a_self_assessment_imported_under_another_label_answers_the_duties(
    store: Store,
) -> None:
    """Imported under a respondent label other than the lead's, it drove the maturity score
    while every duty read "Not answered yet": one rule now decides whose answer counts."""

    framework_site = "S9"
    store.sites.add_sites([Site(framework_site, "Site nine")], "t")
    open_round(store, "r9", resolve_content("pcref"), "t")
    survey = next(s for s in store.rounds.round_surveys("r9").values() if s.audience == "self")
    status_items = [i for i in survey.items if i.type == "obligation"]
    answers = tuple(Answer(i.id, "not_met") for i in status_items)
    store.submissions.add_submitted(
        [Response(framework_site, "r9", survey.id, "imported-1", answers)], "t"
    )
    duties = site_results(store, ADMIN, framework_site, "r9").obligations
    assert set(duties["label"]) == {"Not met"}


def test_a_duty_met_with_evidence_never_reads_claimed_to_the_public(dutiful: Store) -> None:
    """Issue 33: the public cannot open evidence, and a duty backed by a file read "claimed, no
    evidence" to them all the same. Whether evidence was given is public; the files are not."""
    from ocf.access import PUBLIC, SYSTEM
    from ocf.results import site_results

    record = {"site": "S1", "round": "r1", "competency": "duty-lead", "kind": "link"}
    dutiful.evidence.add_evidence(
        {**record, "name": "Board minutes", "url": "https://example.org"}, "t"
    )
    change_status(dutiful, "r1", "publish", "t")
    staff = site_results(dutiful, SYSTEM, "S1", "r1").obligations.set_index("competency")
    public = site_results(dutiful, PUBLIC, "S1", "r1").obligations.set_index("competency")
    assert staff.loc["duty-lead", "label"] == public.loc["duty-lead", "label"] == "Met"
    assert (
        staff.loc["duty-lead", "evidence"] == "1 link"
        and public.loc["duty-lead", "evidence"] == "given"
    )
