"""Survey languages (issue 18, first part): every text a member sees, per language, checked
complete; answers stored the same whatever the language; switching keeps the answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocf.errors import ConfigError
from ocf.languages import INTERFACE, in_language, translatable
from ocf.loading import load_library, load_shipped

from .conftest import FIXTURES, page_at

LIBRARY = load_shipped()


def test_a_translation_that_misses_or_adds_a_text_is_refused_with_its_line(tmp_path: Path) -> None:
    survey = (FIXTURES / "survey-minimal-panel.yaml").read_text()
    path = tmp_path / "panel.yaml"
    path.write_text(
        survey + "translations:\n  ur:\n    name: اردو\n    direction: rtl\n    title: پینل\n"
        "    items:\n      nope: {text: ''}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_library(
            [FIXTURES / "framework-minimal.yaml", FIXTURES / "survey-minimal-self.yaml", path]
        )
    lines = [str(p) for p in caught.value.problems]
    assert any(
        line.startswith(f"{path}:") and "translations.ur: missing items.a1.text" in line
        for line in lines
    )
    assert any("translations.ur: items.nope.text is not in the survey" in line for line in lines)
    assert any("translations.ur: missing interface.continue" in line for line in lines)


@pytest.mark.parametrize("code", ["pl", "ar", "pt"])
def test_every_shipped_translation_is_complete_and_replaces_every_text(code: str) -> None:
    survey = LIBRARY.surveys["ocf-panel"]
    translation = survey.translations[code]
    assert set(translatable(survey)) <= set(translation.texts)
    shown = in_language(survey, translation)
    assert [i.id for i in shown.items] == [i.id for i in survey.items]  # answers keyed the same
    assert all(
        [o.value for o in a.options] == [o.value for o in b.options]
        for a, b in zip(shown.items, survey.items, strict=True)
    )
    english = set(translatable(survey).values())
    assert not {i.text for i in shown.items} & english
    assert translation.review == "draft"  # until a community reviewer signs it off
    assert (translation.direction == "rtl") == (code == "ar")
    assert all("{" in translation.texts[f"interface.{k}"] for k in ("part", "required"))
    assert set(INTERFACE) == {
        k.split(".", 1)[1] for k in translation.texts if k.startswith("interface.")
    }


def test_a_member_switches_language_mid_survey_without_losing_answers(demo_copy: Path) -> None:
    at = page_at(demo_copy, "panel", "panel_survey")
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    assert language.options == ["English", "Polski", "العربية", "Português"]
    assert not any("(optional)" in r.label for r in at.radio)
    role = at.radio[0]
    role.set_value("carer").run()
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    language.select_index(1).run()  # Polski
    assert not at.exception
    assert at.title[0].value == "Jak ten szpital traktuje ludzi z Twojej społeczności?"
    assert at.radio[0].value == "carer"  # the answer is kept…
    assert at.radio[0].options[1] == "Opiekuję się kimś, kto korzysta z usług"  # …in Polish
    assert any("wersją roboczą" in c.value for c in at.caption)  # a draft says so
    next(b for b in at.button if b.label == "Zapisz i przejdź dalej").click().run()
    assert not at.exception and at.header[0].value == "Zrozumienie"
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    language.select_index(2).run()  # العربية: right to left
    assert at.header[0].value == "الفهم"
    from ocf.store import Store

    store = Store.open(demo_copy)
    member = at.session_state["actor"]
    from ocf.submissions import open_panel_survey

    assert open_panel_survey(store, member).answers["respondent-role"].value == "carer"


def test_the_first_part_names_the_trust_and_explains_the_promise(demo_copy: Path) -> None:
    at = page_at(demo_copy, "panel", "panel_survey")
    text = " ".join(m.value for m in at.markdown)
    assert "These questions are about Northvale Mental Health NHS Foundation Trust." in text
    assert "What happens to your answers" in [h.value for h in at.subheader]
    assert "only when at least 5 people have answered" in text
    assert "facilitator sees how many people have answered, never what anyone chose" in text
    at.radio[0].set_value("carer").run()
    next(b for b in at.button if b.label == "Save and continue").click().run()
    # Every later part links to the same promise.
    assert [e.label for e in at.expander] == ["Your privacy: what happens to your answers"]
