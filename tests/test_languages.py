"""The inclusive panel survey (issue 18): every text a member sees in each language and in Easy
Read, checked complete; answers stored the same whatever the language; carers asked as carers;
support after the hard questions; the promise and the privacy notice; taking answers back;
who answered, only in aggregate; paper forms numbered as the paper entry."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from ocf.access import sign_in
from ocf.errors import ConfigError, DataError, PermissionDenied
from ocf.languages import (
    INTERFACE,
    SYMBOLS,
    as_answered,
    in_language,
    interface,
    sentences,
    translatable,
)
from ocf.loading import load_library, load_shipped
from ocf.panel_makeup import OTHER, makeup
from ocf.paper import paper_form, question_numbers
from ocf.store import Store
from ocf.submissions import open_panel_survey, save, submit, withdraw

from .conftest import FIXTURES, page_at
from .test_shipped_content import _grade

LIBRARY = load_shipped()
PANEL = LIBRARY.surveys["ocf-panel"]
CODES = ["easy", "pl", "ar", "pt", "so", "ur", "bn"]


def _load(tmp_path: Path, extra: str) -> list[str]:
    """Problems `ocf validate` reports for the minimal panel survey plus `extra` YAML."""
    path = tmp_path / "panel.yaml"
    path.write_text((FIXTURES / "survey-minimal-panel.yaml").read_text() + extra)
    with pytest.raises(ConfigError) as caught:
        load_library(
            [FIXTURES / "framework-minimal.yaml", FIXTURES / "survey-minimal-self.yaml", path]
        )
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- the files


def test_a_translation_that_misses_or_adds_a_text_is_refused_with_its_line(tmp_path: Path) -> None:
    lines = _load(
        tmp_path,
        "translations:\n  ur:\n    name: اردو\n    direction: rtl\n    title: پینل\n"
        "    items:\n      nope: {text: ''}\n",
    )
    assert any(
        re.match(r".*panel\.yaml:\d+: translations\.ur: missing items\.a1\.text$", line)
        for line in lines
    )
    assert any("translations.ur: items.nope.text is not in the survey" in line for line in lines)
    assert any("translations.ur: missing interface.continue" in line for line in lines)


def test_easy_read_needs_a_shipped_symbol_for_every_question(tmp_path: Path) -> None:
    lines = _load(
        tmp_path,
        "translations:\n  easy:\n    name: Easy Read\n    style: easy-read\n"
        "    symbols: {a1: no-such-picture, nope: globe}\n",
    )
    assert any("symbols: a1: no symbol 'no-such-picture' in assets/symbols" in x for x in lines)
    assert any("symbols: nope is not in the survey" in x for x in lines)
    assert any("missing a symbol for" in x for x in lines)
    lines = _load(tmp_path, "translations:\n  xy:\n    name: X\n    style: comic\n")
    assert any("translations.xy.style: expected standard or easy-read" in x for x in lines)


def test_a_carers_block_must_name_a_choice_item_and_its_values(tmp_path: Path) -> None:
    lines = _load(tmp_path, "carers: {item: nope, values: [carer]}\n")
    assert any("carers.item: 'nope' is not a choice item of this survey" in x for x in lines)


@pytest.mark.parametrize("code", CODES)
def test_every_shipped_translation_is_complete_and_replaces_every_text(code: str) -> None:
    translation = PANEL.translations[code]
    assert set(translatable(PANEL)) == set(translation.texts)
    shown = in_language(PANEL, translation)
    assert [i.id for i in shown.items] == [i.id for i in PANEL.items]  # answers keyed the same
    assert all(
        [o.value for o in a.options] == [o.value for o in b.options]
        and (a.competency, a.show_if) == (b.competency, b.show_if)
        for a, b in zip(shown.items, PANEL.items, strict=True)
    )
    if code != "easy":  # Easy Read keeps some English words ("Both", "Yes")
        english = set(translatable(PANEL).values())
        assert not {i.text for i in shown.items} & english
        assert not {i.carer_text for i in shown.items if i.carer_text} & english
    assert translation.review == "draft"  # until a community reviewer signs it off
    assert (translation.direction == "rtl") == (code in ("ar", "ur"))
    for key in ("part", "required", "promise", "who_sees", "only_if"):
        wanted = set(re.findall(r"\{\w+\}", INTERFACE[key]))
        assert set(re.findall(r"\{\w+\}", translation.texts[f"interface.{key}"])) == wanted, key
    assert set(INTERFACE) == {
        k.split(".", 1)[1] for k in translation.texts if k.startswith("interface.")
    }


def test_easy_read_has_a_symbol_per_question_under_an_open_licence() -> None:
    easy = PANEL.translations["easy"]
    assert easy.easy_read and easy.lang == "en"
    assert set(easy.symbols) == {i.id for i in PANEL.items}
    assert all((SYMBOLS / f"{name}.svg").is_file() for name in easy.symbols.values())
    licence = (SYMBOLS / "LICENCE.md").read_text()
    assert "CC BY-SA 4.0" in licence and (SYMBOLS / "CC-BY-SA-4.0.txt").is_file()
    assert all(f"`{name}.svg`" in licence for name in set(easy.symbols.values()))


def _mean_grade(texts: list[str]) -> float:
    return sum(_grade(t) for t in texts) / len(texts)


def test_easy_read_reads_at_a_lower_grade_than_the_standard_survey() -> None:
    """Flesch–Kincaid (docs/methods.md) over every question, help and part: Easy Read is
    at least a grade simpler, with shorter sentences."""
    english = [t for k, t in translatable(PANEL).items() if not k.startswith("interface.")]
    easy_texts = PANEL.translations["easy"].texts
    easy = [easy_texts[k] for k in translatable(PANEL) if not k.startswith("interface.")]
    assert _mean_grade(easy) <= _mean_grade(english) - 1
    assert _mean_grade(english) <= 7

    def words_per_sentence(texts: list[str]) -> float:
        split = [s for t in texts for s in sentences(t)]
        return sum(len(s.split()) for s in split) / len(split)

    assert words_per_sentence(easy) < words_per_sentence(english)
    promise = [PANEL.translations["easy"].texts[f"interface.{k}"] for k in ("promise", "withdraw")]
    assert _mean_grade(promise) <= _mean_grade([INTERFACE["promise"], INTERFACE["withdraw"]])


def test_no_question_asks_two_things_or_uses_trust_for_confidence() -> None:
    for item in PANEL.items:
        for text in filter(None, (item.text, item.carer_text)):
            assert not re.search(r"\b(I|we|they|you) trust\b", text), text
            assert not re.search(r"\band (told|answer|change|talk)", text), text
            assert len(sentences(text)) <= 2, text  # a question and, at most, an example


def test_a_carer_reads_each_question_as_a_carer_and_scoring_is_unchanged() -> None:
    as_carer = as_answered(PANEL, {"respondent-role": "carer"})
    assert as_carer.item("understood-culture").text == (
        "Staff understood my culture, or the culture of the person I care for."
    )
    assert as_answered(PANEL, {"respondent-role": "both"}) == as_carer
    assert as_answered(PANEL, {"respondent-role": "service-user"}) is PANEL
    assert as_answered(PANEL, {}) is PANEL
    assert [(i.id, i.competency, i.options) for i in as_carer.items] == [
        (i.id, i.competency, i.options) for i in PANEL.items
    ]
    polish = in_language(PANEL, PANEL.translations["pl"])
    assert (
        "osoby, którą się opiekuję"
        in as_answered(polish, {"respondent-role": "carer"}).item("understood-culture").text
    )


# --------------------------------------------------------------------------- the page


def test_a_member_switches_language_mid_survey_without_losing_answers(demo_copy: Path) -> None:
    at = page_at(demo_copy, "panel", "panel_survey")
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    assert language.options == [
        "English", "Easy Read", "Polski", "العربية", "Português", "Soomaali", "اردو", "বাংলা",
        "Română", "ਪੰਜਾਬੀ",
    ]  # fmt: skip
    assert not any("(optional)" in r.label for r in at.radio)
    at.radio[0].set_value("carer").run()
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    language.select_index(2).run()  # Polski
    assert not at.exception
    assert at.title[0].value == "Jak ta organizacja traktuje ludzi z Twojej społeczności?"
    assert at.radio[0].value == "carer"  # the answer is kept…
    assert at.radio[0].options[1] == "Opiekuję się kimś, kto korzysta z usług"  # …in Polish
    assert any("wersją roboczą" in c.value for c in at.caption)  # a draft says so
    next(b for b in at.button if b.label == "Zapisz i przejdź dalej").click().run()
    assert not at.exception and at.header[0].value == "Zrozumienie"
    # A carer is asked as a carer, and told so.
    assert at.radio[0].label.startswith("Pracownicy rozumieli moją kulturę albo kulturę osoby")
    assert any("odpowiadasz jako opiekun" in c.value for c in at.caption)
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    language.select_index(6).run()  # اردو: right to left
    assert at.header[0].value == "سمجھا جانا"
    member = at.session_state["actor"]
    assert open_panel_survey(Store.open(demo_copy), member).answers["respondent-role"].value == (
        "carer"
    )


def test_easy_read_shows_a_symbol_beside_each_question_and_help_as_words(demo_copy: Path) -> None:
    at = page_at(demo_copy, "panel", "panel_survey")
    next(s for s in at.selectbox if s.label.startswith("Language")).select_index(1).run()
    assert at.title[0].value == "How does this trust treat people from your community?"
    pictures = [h for h in at.get("html") if "data:image/svg+xml" in h.proto.body]
    assert len(pictures) == 1 and 'alt=""' in pictures[0].proto.body  # one question on part 1
    assert at.radio[0].label == "Who are you answering as?"
    at.radio[0].set_value("service-user").run()
    next(b for b in at.button if b.label == "Save and go on").click().run()
    felt = next(r for r in at.radio if r.key == "panel-felt-judged")
    assert felt.label == "Did you feel judged because of your race or culture?"
    assert not felt.help
    assert "If you say yes, something went wrong." in [m.value for m in at.markdown]
    assert felt.options[-2:] == ["Yes, a lot", "I don't know"]


def test_support_follows_the_questions_on_force_in_the_sites_own_words(demo_copy: Path) -> None:
    from ocf.demo import DEMO_SITE, demo_actor
    from ocf.panel_info import set_site_text

    store = Store.open(demo_copy)
    at = page_at(demo_copy, "panel", "panel_survey")
    parts = [s.id for s in PANEL.sections]
    at.session_state["panel-section"] = parts.index("treated-fairly")
    at.run()
    assert "Where to get support" in [h.value for h in at.subheader]
    support = [i.value for i in at.info if i.icon == ":material/support:"]
    assert "call NHS 111 and choose the mental health option" in support[0]
    set_site_text(store, demo_actor(store, "facilitator"), DEMO_SITE, "support", "Call Ward 5.")
    at.run()
    assert [i.value for i in at.info if i.icon == ":material/support:"] == ["Call Ward 5."]
    at.session_state["panel-section"] = parts.index("having-a-say")
    at.run()
    assert "Where to get support" not in [h.value for h in at.subheader]


def test_the_first_part_names_the_trust_and_every_part_links_to_the_notice(
    demo_copy: Path,
) -> None:
    at = page_at(demo_copy, "panel", "panel_survey")
    text = " ".join(m.value for m in at.markdown)
    assert "These questions are about Northvale Mental Health NHS Foundation Trust." in text
    assert "What happens to your answers" in [h.value for h in at.subheader]
    assert "only when at least 5 people have answered" in text
    links = [e.proto.label for e in at.get("page_link")]
    assert "Your privacy: what happens to your answers" in links
    at.radio[0].set_value("carer").run()
    next(b for b in at.button if b.label == "Save and continue").click().run()
    links = [e.proto.label for e in at.get("page_link")]
    assert "Your privacy: what happens to your answers" in links
    assert "Taking your answers back" in [e.label for e in at.expander]


def test_the_privacy_notice_explains_everything_in_the_members_language(demo_copy: Path) -> None:
    from ocf.demo import DEMO_SITE, demo_actor
    from ocf.panel_info import set_site_text

    store = Store.open(demo_copy)
    set_site_text(
        store, demo_actor(store, "admin"), DEMO_SITE, "kept", "We keep panel answers 3 years."
    )
    at = page_at(demo_copy, "panel", "privacy")
    assert [h.value for h in at.header] == [
        "Who sees what", "Your own words", "How long your answers are kept",
        "Taking your answers back", "Where to get support",
    ]  # fmt: skip
    text = " ".join(m.value for m in at.markdown)
    assert "only when at least 5 people have answered" in text
    assert "never see what anyone chose" in text
    assert "We keep panel answers 3 years." in text
    assert "Northvale Mental Health NHS Foundation Trust" in text
    next(s for s in at.selectbox if s.label.startswith("Language")).select_index(3).run()
    assert at.title[0].value == "خصوصيتك"
    # Signed out, the notice is there to read before taking part.
    from streamlit.testing.v1 import AppTest

    from .conftest import PROJECT

    out = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30).run()
    out.switch_page("app_pages/privacy.py").run()
    assert not out.exception and out.title[0].value == "Your privacy"


# --------------------------------------------------------------------------- taking answers back


def test_a_member_takes_their_answers_back_until_the_panel_closes(demo_copy: Path) -> None:
    from ocf.access import issue_invitations
    from ocf.demo import DEMO_SITE, SYSTEM
    from ocf.submissions import close_panel

    store = Store.open(demo_copy)
    round_id = [r.id for r in store.rounds.list_rounds() if r.status == "open"][-1]
    first, second = issue_invitations(store, SYSTEM, DEMO_SITE, round_id, 2)
    member = sign_in(store, first)
    draft = save(store, member, open_panel_survey(store, member), _required_answers())
    submit(store, member, draft)
    before = len(store.submissions.respondents(DEMO_SITE, round_id, "ocf-panel"))
    withdraw(store, member)
    assert len(store.submissions.respondents(DEMO_SITE, round_id, "ocf-panel")) == before - 1
    assert sign_in(store, first) is None  # the code no longer works
    with pytest.raises(PermissionDenied):
        open_panel_survey(store, member)
    other = sign_in(store, second)
    save(store, other, open_panel_survey(store, other), _required_answers())
    close_panel(store, SYSTEM, DEMO_SITE, round_id)
    with pytest.raises(PermissionDenied):
        withdraw(store, other)  # after the close, answers cannot be picked out
    assert store.submissions.get_submission(
        DEMO_SITE, round_id, "ocf-panel", f"panel-{other.invitation_id}"
    )


def _required_answers() -> dict[str, tuple[str | None, str | None]]:
    return {i.id: ("4", None) for i in PANEL.items if i.required}


def test_taking_answers_back_from_the_page_signs_out_and_says_so(demo_copy: Path) -> None:
    at = page_at(demo_copy, "panel", "panel_survey")
    member = at.session_state["actor"]
    at.radio[0].set_value("carer").run()
    next(s for s in at.selectbox if s.label.startswith("Language")).select_index(2).run()
    withdraw_button = next(b for b in at.button if b.key == "panel-withdraw")
    assert withdraw_button.disabled
    at.checkbox(key="panel-withdraw-sure").check().run()
    next(b for b in at.button if b.key == "panel-withdraw").click().run()
    assert not at.exception
    assert "actor" not in at.session_state  # signed out; the next page says so in Polish
    store = Store.open(demo_copy)
    assert (
        store.submissions.get_submission(
            member.site, member.round, "ocf-panel", f"panel-{member.invitation_id}"
        )
        is None
    )


def test_the_withdrawn_notice_is_in_the_members_language() -> None:
    from streamlit.testing.v1 import AppTest

    from .conftest import PROJECT

    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    at.query_params["ended"] = "withdrawn"
    at.query_params["lang"] = "pl"
    at.run()
    at.switch_page("app_pages/panel_survey.py").run()
    assert not at.exception
    assert at.success[0].value == "Twoje odpowiedzi zostały usunięte. Nie będą liczone. Dziękujemy."


# --------------------------------------------------------------------------- who answered


def _frame(roles: list[str | None]) -> pd.DataFrame:
    rows = [(n, "respondent-role", r) for n, r in enumerate(roles) if r is not None]
    rows += [(n, "help-early", "4") for n in range(len(roles))]
    return pd.DataFrame(rows, columns=["submission_id", "item_id", "value"])


def test_who_answered_is_shown_only_in_groups_of_the_panel_minimum() -> None:
    table = makeup(_frame(["service-user"] * 7 + ["carer"] * 5 + ["prefer-not"] * 5), PANEL, 5)
    assert table.values.tolist() == [
        ["I use or have used the services", 7],
        ["I care for someone who uses the services", 5],
        [OTHER, 5],
    ]
    # 'Both' (2) is too small, and so is the rest it joins: the next smallest group is folded in.
    table = makeup(_frame(["service-user"] * 7 + ["carer"] * 5 + ["both"] * 2), PANEL, 5)
    assert table.values.tolist() == [["I use or have used the services", 7], [OTHER, 7]]


@pytest.mark.parametrize(
    "roles",
    [
        ["service-user"] * 4,  # fewer members than the minimum: nothing
        ["service-user"] * 12,  # one group holding everyone would tell each answer: nothing
        ["service-user"] * 8 + ["carer"] * 3 + [None] * 1,  # the rest is too small: nothing
    ],
)
def test_who_answered_never_shows_a_group_smaller_than_the_minimum(roles: list) -> None:
    table = makeup(_frame(roles), PANEL, 5)
    assert table.empty or (table["Members"] >= 5).all()
    assert table.empty


def test_who_answered_never_gives_away_a_small_group_by_subtraction() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    roles = st.sampled_from(["service-user", "carer", "both", "prefer-not", None])

    @settings(max_examples=200, deadline=None)
    @given(st.lists(roles, max_size=40), st.integers(3, 8))
    def check(members: list, least: int) -> None:
        table = makeup(_frame(members), PANEL, least)
        if not table.empty:
            assert (table["Members"] >= least).all()
            assert table["Members"].sum() == len(members)
            assert len(table) >= 2

    check()


# --------------------------------------------------------------------------- paper


@pytest.mark.parametrize("code", [None, "easy", "ur"])
def test_the_paper_form_is_large_print_and_numbered_as_the_paper_entry(code: str | None) -> None:
    translation = PANEL.translations.get(code) if code else None
    html = paper_form(PANEL, translation, "Northvale Trust", 5, kept="Kept 3 years.")
    assert "font-size: 18pt" in html
    numbers = question_numbers(PANEL)
    assert list(numbers.values()) == list(range(1, len(PANEL.items) + 1))
    shown = in_language(PANEL, translation)
    for item in shown.items:
        assert f'<span class="number">{numbers[item.id]}.</span>' in html
    assert html.count('class="box"') == sum(len(i.options) for i in PANEL.items)
    assert "Kept 3 years." in html and "Northvale Trust" in html
    assert html.count("<img") == (len(PANEL.items) if code == "easy" else 0)
    assert f'dir="{"rtl" if code == "ur" else "ltr"}"' in html
    interpreter = numbers["needed-interpreter"]
    assert f"question {interpreter}" in html or code == "ur"  # "only if" names the question


def test_the_paper_entry_page_numbers_each_question_as_the_form_does(demo_copy: Path) -> None:
    at = page_at(demo_copy, "facilitator", "facilitation")
    labels = [r.label for r in at.radio if r.key and r.key.startswith("paper:")]
    numbers = question_numbers(PANEL)
    assert labels[0].startswith(
        f"{numbers['respondent-role']}. {PANEL.item('respondent-role').text}"
    )
    assert labels[-1].startswith(f"{numbers['help-older-people']}. ")
    assert any(b.label == "Download the paper form" for b in at.get("download_button"))


def test_a_bad_site_text_is_refused_and_changes_nothing(demo_copy: Path) -> None:
    from ocf.demo import DEMO_SITE, demo_actor
    from ocf.panel_info import set_site_text, site_text

    from .conftest import dump

    store = Store.open(demo_copy)
    before = dump(store)
    with pytest.raises(DataError):
        set_site_text(store, demo_actor(store, "admin"), DEMO_SITE, "support", "x" * 4001)
    with pytest.raises(PermissionDenied):
        set_site_text(store, demo_actor(store, "lead"), DEMO_SITE, "support", "Call us.")
    assert dump(store) == before
    assert site_text(store, DEMO_SITE, "support") is None


def test_a_rounds_snapshot_from_before_new_page_words_still_opens(demo_copy: Path) -> None:
    """A round opened with version 2 keeps its translations, which lack the words the page
    gained since (the privacy notice, taking answers back): those show in English."""
    from ocf.languages import interface
    from ocf.loading import parse_survey

    old = (FIXTURES.parent.parent / "surveys" / "ocf-panel.yaml").read_text()
    trimmed = old.replace("      withdraw_button: Wycofaj moje odpowiedzi\n", "")
    framework = LIBRARY.frameworks["ocf-race-equality"]
    with pytest.raises(ConfigError, match=r"missing interface\.withdraw_button"):
        parse_survey(trimmed, "new", framework)
    survey = parse_survey(trimmed, "round r1 survey ocf-panel", framework, snapshot=True)
    polish = survey.translations["pl"]
    assert interface(polish, "withdraw_button") == "Take my answers back"
    assert interface(polish, "back") == "Wstecz"


def test_staff_see_who_answered_only_once_the_panel_has_closed(demo_copy: Path) -> None:
    from ocf.access import issue_invitations
    from ocf.demo import DEMO_SITE, SYSTEM
    from ocf.submissions import close_panel

    store = Store.open(demo_copy)
    round_id = [r.id for r in store.rounds.list_rounds() if r.status == "open"][-1]
    codes = issue_invitations(store, SYSTEM, DEMO_SITE, round_id, 12)
    for n, code in enumerate(codes):
        member = sign_in(store, code)
        role = "service-user" if n < 7 else "carer"
        raw = {**_required_answers(), "respondent-role": (role, None)}
        submit(store, member, save(store, member, open_panel_survey(store, member), raw))
    at = page_at(demo_copy, "lead", "results")
    assert not at.exception
    assert not [t for t in at.table if "Answered as" in t.value.index.names]  # still open
    close_panel(store, SYSTEM, DEMO_SITE, round_id)
    at.run()
    tables = [t.value for t in at.table if t.value.index.name == "Answered as"]
    assert len(tables) == 1
    assert (tables[0]["Members"] >= 5).all()
    assert "I use or have used the services" in tables[0].index


def test_the_code_screen_speaks_the_members_language_before_they_sign_in(
    demo_copy: Path,
) -> None:
    from streamlit.testing.v1 import AppTest

    from .conftest import PROJECT

    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30).run()
    at.switch_page("app_pages/panel_survey.py").run()
    assert at.title[0].value == "Have your say"
    next(s for s in at.selectbox if s.label.startswith("Language")).select_index(5).run()
    assert at.title[0].value == "Ra'yigaaga dhiib"  # Somali
    at.text_input[0].input("NOPE-NOPE-NOPE")
    at.button[0].click().run()  # the form's Start button
    assert at.error[0].value == "Koodhkaas ma helin. Fadlan hubi, ama weydii isku-duwaha guddiga."


def test_a_facilitator_writes_what_their_panel_is_told(demo_copy: Path) -> None:
    from ocf.demo import DEMO_SITE
    from ocf.panel_info import site_text

    at = page_at(demo_copy, "facilitator", "facilitation")
    area = next(t for t in at.text_area if t.label == "Where to get support")
    area.input("Call the ward on 0100 000 000, or PALS.")
    form = next(b for b in at.button if b.label == "Save" and b.form_id == "panel-text-support")
    form.click().run()
    assert not at.exception
    assert site_text(Store.open(demo_copy), DEMO_SITE, "support") == (
        "Call the ward on 0100 000 000, or PALS."
    )
    assert any("Saved: where to get support." in s.value for s in at.success)


@pytest.mark.parametrize("code", [None, *CODES])
def test_a_paper_form_never_mentions_a_code(code) -> None:
    """The Easy Read paper form said "use the same code" and told members to sign in with their
    code to take their answers back: a paper member has no code (issue 35)."""
    from ocf.paper import paper_form

    translation = PANEL.translations[code] if code else None
    form = html.unescape(paper_form(PANEL, translation, "Trust one", 5))
    form = " ".join(re.sub(r"<[^>]+>", " ", form).split())  # Easy Read: a sentence a line
    online_only = [
        interface(translation, key) for key in ("withdraw", "saved", "code_label", "facilitator")
    ]
    assert not any(text in form for text in online_only)
    assert interface(translation, "paper_withdraw") in form
    if code in (None, "easy"):
        assert "same code" not in form and "your code" not in form.lower()


def test_the_system_panel_asks_carers_as_carers_in_every_language(demo_copy: Path) -> None:
    """Issue 33: the system panel survey had no carers' wording and no translations; version 2
    has both, in the same languages as the OCF panel survey."""
    from streamlit.testing.v1 import AppTest

    from ocf.access import SYSTEM, issue_invitations, sign_in
    from ocf.rounds import open_round, resolve_content

    from .conftest import PROJECT

    store = Store.open(demo_copy)
    open_round(store, "sys-2026", resolve_content("ocf-system"), "test", period="2024-25")
    survey = store.rounds.round_surveys("sys-2026")["ocf-system-panel"]
    assert set(survey.translations) == set(PANEL.translations)
    code = issue_invitations(store, SYSTEM, "XQA", "sys-2026", 1, "ocf-system-panel")[0]
    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    at.session_state["actor"] = sign_in(store, code)
    at.run()
    at.switch_page("app_pages/panel_survey.py").run()
    at.radio[0].set_value("carer").run()
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    language.set_value("Română").run()
    assert not at.exception, at.exception
    next(b for b in at.button if b.label == "Salvați și continuați").click().run()
    assert at.header[0].value == "Servicii care lucrează împreună"
    gp = next(r for r in at.radio if r.label.startswith("Medicul meu de familie, sau medicul"))
    assert gp.options[3] == "Acord"


def test_the_pcref_panel_speaks_every_language_of_the_ocf_panel(demo_copy: Path) -> None:
    """Issue 33: the PCREF panel survey was in English only."""
    from streamlit.testing.v1 import AppTest

    from ocf.access import SYSTEM, issue_invitations, sign_in
    from ocf.rounds import open_round, resolve_content

    from .conftest import PROJECT

    store = Store.open(demo_copy)
    open_round(store, "pcref-2026", resolve_content("pcref"), "test", period="2024-25")
    survey = store.rounds.round_surveys("pcref-2026")["pcref-panel"]
    assert set(survey.translations) == set(PANEL.translations)
    assert all(t.review == "draft" for t in survey.translations.values())
    code = issue_invitations(store, SYSTEM, "XTA1", "pcref-2026", 1, "pcref-panel")[0]
    at = AppTest.from_file(str(PROJECT / "app_router.py"), default_timeout=30)
    at.session_state["actor"] = sign_in(store, code)
    at.run()
    at.switch_page("app_pages/panel_survey.py").run()
    at.radio[0].set_value("carer").run()
    language = next(s for s in at.selectbox if s.label.startswith("Language"))
    language.set_value("Soomaali").run()
    assert not at.exception, at.exception
    assert at.title[0].value == survey.translations["so"].texts["title"]
    for _ in range(4):  # to the part on information and interpreters
        next(b for b in at.button if b.label == "Keydi oo sii wad").click().run()
    assert at.header[0].value == "Macluumaad iyo turjubaanno"
    assert any(r.label.startswith("Markii aniga ama qofka aan daryeelo") for r in at.radio)
    # Whether force was used comes first; the question on it shows only after a yes.
    rights = survey.translations["so"].texts["items.told-force-rights.carer_text"]
    assert not any(r.label.startswith(rights[:30]) for r in at.radio)
    gate = survey.translations["so"].texts["items.force-used.text"]
    next(r for r in at.radio if r.label.startswith(gate[:30])).set_value("yes").run()
    assert any(r.label.startswith(rights[:30]) for r in at.radio)
