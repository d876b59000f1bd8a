"""Promises that hold against insiders (issue 30): a facilitator who saw a member's code, a
padded panel, a comment read while its writer is still answering."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from ocf import sessions
from ocf.access import (
    SYSTEM,
    UsedElsewhere,
    add_account,
    has_return_word,
    issue_invitations,
    set_return_word,
    sign_in,
)
from ocf.admin import confirm_responses
from ocf.demo import demo_actor
from ocf.errors import ConfigError, ConflictError, DataError, PermissionDenied
from ocf.loading import load_shipped, parse_survey
from ocf.models import Answer, Response, Site
from ocf.panel_checks import Sources, entry_flags, extreme_entries, sources
from ocf.rounds import change_status, open_round, resolve_content
from ocf.spreadsheet import csv_text
from ocf.store import Store
from ocf.submissions import (
    add_paper_response,
    close_panel,
    open_panel_survey,
    paper_waiting,
    save,
    settle_paper_response,
    submit,
)

ROUND = "2025-26"


@pytest.fixture
def code(demo_store: Store) -> str:
    """A new code for the demo lead's site, as a facilitator issues it (and sees it)."""
    return issue_invitations(demo_store, SYSTEM, "XTA1", ROUND, 1)[0]


def test_a_facilitator_who_saw_the_code_cannot_open_the_members_started_draft(
    demo_store: Store, code: str
) -> None:
    member = sign_in(demo_store, code, browser="member-phone")
    draft = open_panel_survey(demo_store, member)
    save(demo_store, member, draft, {"understood-culture": ("1", None)})
    # The facilitator signs in on their laptop, signs out, then tries the member's code there.
    facilitator = demo_actor(demo_store, "facilitator")
    sessions.start(demo_store, facilitator, "facilitator-laptop")
    with pytest.raises(UsedElsewhere, match="another phone or computer"):
        sign_in(demo_store, code, browser="facilitator-laptop")
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="any-other-browser")
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="")  # no browser cookie at all
    assert sign_in(demo_store, code, browser="member-phone") == member  # the member's own


def test_the_member_comes_back_elsewhere_with_their_return_word(
    demo_store: Store, code: str
) -> None:
    member = sign_in(demo_store, code, browser="member-phone")
    assert not has_return_word(demo_store, member)
    with pytest.raises(DataError, match="at least 6"):
        set_return_word(demo_store, member, "abc")
    set_return_word(demo_store, member, "Blue Kettle")
    assert has_return_word(demo_store, member)
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="new-phone", return_word="green kettle")
    assert sign_in(demo_store, code, browser="new-phone", return_word="blue  KETTLE") == member
    with pytest.raises(PermissionDenied):
        set_return_word(demo_store, demo_actor(demo_store, "facilitator"), "facilitator-word")


def test_a_code_first_used_on_a_staff_browser_is_nobodys_own(demo_store: Store, code: str) -> None:
    """A member answering on the facilitator's tablet: the tablet never reopens the draft; the
    member's return word does."""
    sessions.start(demo_store, demo_actor(demo_store, "facilitator"), "facilitator-tablet")
    member = sign_in(demo_store, code, browser="facilitator-tablet")
    with pytest.raises(UsedElsewhere):
        sign_in(demo_store, code, browser="facilitator-tablet")
    set_return_word(demo_store, member, "river stone")
    assert sign_in(demo_store, code, browser="facilitator-tablet", return_word="river stone")


def test_the_return_word_is_kept_only_as_a_hash(demo_store: Store, code: str) -> None:
    member = sign_in(demo_store, code, browser="member-phone")
    set_return_word(demo_store, member, "Blue Kettle")
    from .conftest import dump

    assert not any("kettle" in line.lower() for line in dump(demo_store))


# --------------------------------------------------------------------------- padding a panel

PAPER = {"understood-culture": ("1", None), "help-early": ("1", None), "easy-feedback": ("1", None)}


@pytest.fixture
def trust(store: Store) -> Store:
    """One trust, an open round of the OCF framework (min_panel 5), its two facilitators."""
    store.sites.add_sites([Site("RX1", "Trust one")], "t")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "t")
    return store


def person(store: Store, name: str, role: str, site: str | None = "RX1"):
    return sign_in(store, add_account(store, SYSTEM, name, role, site))


def lowest(store: Store) -> dict:
    """Every question of the panel survey at the scale's lowest score (a padded form)."""
    survey = store.rounds.round_surveys("r1")["ocf-panel"]
    raw = {}
    for item in survey.items:
        lows = [o for o in item.options if o.score == 0]
        if lows and not item.show_if:
            raw[item.id] = (lows[0].value, None)
    return raw


def test_an_administrator_can_neither_key_paper_forms_nor_import_panel_answers(
    trust: Store,
) -> None:
    """Padding by one person: an admin keyed four extreme forms beside one real member, then
    read the results, where every median was that member's answer."""
    admin = person(trust, "Ada", "admin", None)
    with pytest.raises(PermissionDenied):
        add_paper_response(trust, admin, "RX1", "r1", PAPER)
    padded = [
        Response(
            "RX1", "r1", "ocf-panel", f"x{n}", tuple(Answer(k, v) for k, (v, _) in PAPER.items())
        )
        for n in range(4)
    ]
    with pytest.raises(PermissionDenied, match="never enters panel answers"):
        confirm_responses(trust, admin, padded)
    assert trust.submissions.list_submissions("r1").empty


def test_a_keyed_paper_form_counts_only_once_a_second_person_confirms_it(trust: Store) -> None:
    keyer, chair = person(trust, "Fay", "facilitator"), person(trust, "Cal", "facilitator")
    lead = person(trust, "Lee", "lead")
    number = add_paper_response(trust, keyer, "RX1", "r1", lowest(trust))
    [form] = paper_waiting(trust, chair, "RX1", "r1")
    assert form.number == number and form.keyed_by == "Fay" and not form.answers.empty
    with pytest.raises(PermissionDenied, match="second person"):
        settle_paper_response(trust, keyer, "RX1", "r1", form.id, confirm=True)
    with pytest.raises(PermissionDenied):
        settle_paper_response(trust, lead, "RX1", "r1", form.id, confirm=True)
    with pytest.raises(PermissionDenied):
        paper_waiting(trust, lead, "RX1", "r1")
    assert (
        trust.submissions.submission_counts("r1").query("status == 'submitted'").empty
    )  # not counted
    settle_paper_response(trust, chair, "RX1", "r1", form.id, confirm=True)
    assert trust.submissions.submission_counts("r1").query("status == 'submitted'")["n"].sum() == 1
    # A second form, discarded: gone.
    add_paper_response(trust, keyer, "RX1", "r1", lowest(trust))
    [other] = paper_waiting(trust, chair, "RX1", "r1")
    settle_paper_response(trust, chair, "RX1", "r1", other.id, confirm=False)
    assert paper_waiting(trust, chair, "RX1", "r1") == []
    # Once the panel closes, a waiting form can no longer be confirmed (answers are frozen).
    add_paper_response(trust, keyer, "RX1", "r1", lowest(trust))
    [late] = paper_waiting(trust, chair, "RX1", "r1")
    close_panel(trust, keyer, "RX1", "r1")
    with pytest.raises(ConflictError, match="frozen"):
        settle_paper_response(trust, chair, "RX1", "r1", late.id, confirm=True)


def test_padding_by_two_colluding_facilitators_is_shown_and_flagged_to_the_regulator(
    trust: Store,
) -> None:
    """The residual risk: two facilitators together can still pad. The results say how many
    came on paper, and the regulator is told that one person entered extreme forms."""
    keyer, chair = person(trust, "Fay", "facilitator"), person(trust, "Cal", "facilitator")
    member = sign_in(trust, issue_invitations(trust, SYSTEM, "RX1", "r1", 1)[0])
    draft = open_panel_survey(trust, member)
    submit(trust, member, save(trust, member, draft, {**PAPER, "understood-culture": ("4", None)}))
    for _ in range(4):
        add_paper_response(trust, keyer, "RX1", "r1", lowest(trust))
    for form in paper_waiting(trust, chair, "RX1", "r1"):
        settle_paper_response(trust, chair, "RX1", "r1", form.id, confirm=True)
    close_panel(trust, keyer, "RX1", "r1")
    change_status(trust, "r1", "close", "t")
    change_status(trust, "r1", "publish", "t")
    regulator, lead = person(trust, "Reg", "regulator", None), person(trust, "Lee", "lead")
    assert sources(trust, lead, "RX1", "r1") == Sources(online=1, on_paper=4)
    [flag] = entry_flags(trust, regulator, "RX1", "r1")
    assert flag.startswith("4 of 4 panel responses entered by Fay")
    assert entry_flags(trust, lead, "RX1", "r1") == []  # for the regulator and admins
    table = extreme_entries(trust, regulator, "r1")
    assert table.to_dict("records") == [
        {"site": "RX1", "entered_by": "Fay", "responses": 4, "extreme": 4, "flagged": True}
    ]


# --------------------------------------------------------------------------- crafted files

PANEL_YAML = (Path(__file__).parent.parent / "surveys" / "ocf-panel.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("    lang: en\n", "    lang: \"en';parent.alert(1);'\"\n", "BCP 47 language tag"),
        ("    lang: en\n", '    lang: "en</script><script>x()"\n', "BCP 47 language tag"),
        ("\n  pl:\n", '\n  "pl<b>":\n', "2 to 8 lowercase letters"),
    ],
)
def test_a_translation_cannot_carry_script_in_its_language_tag_or_code(
    old: str, new: str, said: str
) -> None:
    """A file that passed `ocf validate` placed `lang` unescaped into a script on the panel
    page, where it could read and change a member's answers."""
    framework = load_shipped().frameworks["ocf-race-equality"]
    assert old in PANEL_YAML
    crafted = PANEL_YAML.replace(old, new, 1)
    with pytest.raises(ConfigError) as error:
        parse_survey(crafted, "panel.yaml", framework)
    line = 1 + crafted[: crafted.index(new)].count("\n") + new.startswith("\n")
    assert f"panel.yaml:{line}:" in str(error.value) and said in str(error.value)


def test_the_page_never_formats_a_language_into_script() -> None:
    """The language tag reaches the page's fixed script as data (a Streamlit component's JSON),
    never as script text, whatever it holds."""
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from app_pages.scripts import set_page_language

        set_page_language("en';parent.alert(1);'")

    at = AppTest.from_function(page).run()
    (script,) = at.get("bidi_component")
    assert "alert" not in script.proto.js_content
    assert json.loads(script.proto.json) == {"lang": "en';parent.alert(1);'"}
    source = (Path(__file__).parent.parent / "app_pages" / "scripts.py").read_text()
    assert 'js=f"' not in source and "js=f'" not in source  # no script is ever formatted


@pytest.mark.parametrize("text", ['Act now\r=HYPERLINK("http://x")', "a\n+1", "b\r\n@SUM(1)"])
def test_a_line_break_inside_a_field_never_starts_a_formula(text: str) -> None:
    """A bare \\r in an action or cohort was written unquoted; a reader started a new row
    at it, and `=…` ran as a formula."""
    frame = pd.DataFrame({"action": [text, "plain"], "n": [1, 2]})
    rows = list(csv.reader(io.StringIO(csv_text(frame), newline=""), dialect="excel"))
    assert rows == [["action", "n"], [text, "1"], ["plain", "2"]]


def test_an_evidence_file_name_is_shown_as_typed_never_as_markdown(demo_copy: Path) -> None:
    """A name holding `(` reached a caption as Markdown: an image fetched from anywhere."""
    from ocf.demo import demo_pdf
    from ocf.evidence import add_file

    from .conftest import page_at

    store = Store.open(demo_copy)
    lead = demo_actor(store, "lead")
    name = "plan (v2) ![x](https:evil.example).pdf"  # no slash: names lose what is before one
    add_file(store, lead, "XTA1", ROUND, "data-core-measures", name, demo_pdf("plan"))
    at = page_at(demo_copy, "lead", "evidence")
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    mine = [text for text in shown if "evil" in text]
    assert mine and all("\\!\\[x\\]\\(https" in text for text in mine)
    assert not any("![x](" in text for text in shown)


def test_panel_free_text_has_a_stated_limit(demo_store: Store, code: str) -> None:
    """1 MB online and 2 MB on paper were accepted."""
    member = sign_in(demo_store, code)
    draft = open_panel_survey(demo_store, member)
    with pytest.raises(DataError, match="at most 4,000"):
        save(demo_store, member, draft, {"one-change": (None, "x" * 1_000_000)})
    facilitator = demo_actor(demo_store, "facilitator")
    paper = {**PAPER, "one-change": (None, "y" * 2_000_000)}
    with pytest.raises(DataError, match="at most 4,000"):
        add_paper_response(demo_store, facilitator, "XTA1", ROUND, paper)
    saved = save(demo_store, member, draft, {"one-change": (None, "z" * 4000)})
    assert saved.answers["one-change"].text == "z" * 4000


def test_two_active_accounts_never_share_an_email_whatever_its_case(store: Store) -> None:
    """Single sign-on then mapped the verified email to either account."""
    from ocf.access import sign_in_email

    add_account(store, SYSTEM, "Ada", "admin", email="Ada.Lead@nhs.net")
    with pytest.raises(DataError, match="already the email of an active account"):
        add_account(store, SYSTEM, "Impostor", "regulator", email=" ada.lead@NHS.NET ")
    assert sign_in_email(store, "ADA.LEAD@nhs.net").name == "Ada"
    # An older database may hold two: single sign-on then signs in neither.
    store.db.execute(
        "INSERT INTO accounts (name, role, email, code_hash, created_at) "
        "VALUES ('Old', 'regulator', 'ada.lead@nhs.net', 'x', '2024-01-01')"
    )
    assert sign_in_email(store, "ada.lead@nhs.net") is None


# --------------------------------------------------------------------------- tracebacks


@pytest.mark.parametrize("role", ["facilitator", "admin"])
def test_staff_read_the_panel_privacy_notice_without_an_error(app_as, role: str) -> None:
    """It ended in StreamlitPageNotFoundError, with the server's paths, for both."""
    at = app_as(role, "privacy")  # page_at asserts no exception
    assert at.title[0].value == "Your privacy"


def test_people_never_see_a_traceback() -> None:
    import tomllib

    config = tomllib.loads(
        (Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text()
    )
    assert config["client"]["showErrorDetails"] == "none"


# --------------------------------------------------------------------------- the core API


def test_a_panel_actor_with_a_forged_site_writes_nowhere(demo_store: Store, code: str) -> None:
    from dataclasses import replace

    member = sign_in(demo_store, code)
    forged = replace(member, site="XTA2")
    with pytest.raises(PermissionDenied, match="another site"):
        open_panel_survey(demo_store, forged)
    draft = open_panel_survey(demo_store, member)
    with pytest.raises(PermissionDenied, match="another site"):
        save(demo_store, member, replace(draft, site="XTA2"), {"understood-culture": ("4", None)})
    assert (
        demo_store.submissions.get_submission(
            "XTA2", ROUND, "ocf-panel", f"panel-{member.invitation_id}"
        )
        is None
    )


def test_trends_refuse_a_revoked_regulator(demo_store: Store) -> None:
    from ocf.admin import revoke_account
    from ocf.comparison import trends

    regulator = demo_actor(demo_store, "regulator")
    assert not trends(demo_store, regulator, "ocf-race-equality").empty
    revoke_account(demo_store, SYSTEM, regulator.account_id)
    with pytest.raises(PermissionDenied):
        trends(demo_store, regulator, "ocf-race-equality")


@pytest.mark.parametrize(
    "raw",
    [
        {"no-such-question": ("1", None)},
        {"understood-culture": (4, None)},
        {"understood-culture": ("4", ["words"])},
        {"understood-culture": "4"},
    ],
)
def test_an_unknown_question_or_a_value_not_text_is_a_data_error(
    demo_store: Store, code: str, raw: dict
) -> None:
    """They raised KeyError and AttributeError."""
    member = sign_in(demo_store, code)
    with pytest.raises(DataError):
        save(demo_store, member, open_panel_survey(demo_store, member), raw)


def test_no_count_of_paper_or_extreme_forms_while_the_panel_still_collects(trust: Store) -> None:
    """An admin watching "3 of 3 extreme" become "3 of 4" would learn the 4th form's answers."""
    keyer, chair = person(trust, "Fay", "facilitator"), person(trust, "Cal", "facilitator")
    admin = person(trust, "Ada", "admin", None)
    for _ in range(2):
        add_paper_response(trust, keyer, "RX1", "r1", lowest(trust))
    for form in paper_waiting(trust, chair, "RX1", "r1"):
        settle_paper_response(trust, chair, "RX1", "r1", form.id, confirm=True)
    assert sources(trust, admin, "RX1", "r1") is None
    assert extreme_entries(trust, admin, "r1").empty
    assert entry_flags(trust, admin, "RX1", "r1") == []
    close_panel(trust, keyer, "RX1", "r1")
    assert sources(trust, admin, "RX1", "r1") == Sources(online=0, on_paper=2)
    assert len(entry_flags(trust, admin, "RX1", "r1")) == 1
