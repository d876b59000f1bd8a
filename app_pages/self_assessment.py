"""The equality lead's self-assessment: one domain at a time, saved as a draft per section."""

from dataclasses import replace

import streamlit as st

from app_pages.common import (
    choose_round_and_site,
    flash,
    open_rounds_or_stop,
    require_actor,
    show_error,
    show_flash,
    store,
)
from app_pages.evidence_parts import evidence_form, evidence_list
from app_pages.widgets import answers_on_screen, changed, render_item
from ocf.accountability import submit_self_assessment
from ocf.errors import OcfError
from ocf.evidence import NO_EVIDENCE, given, listing, needs_evidence
from ocf.submissions import open_self_assessment, save

actor = require_actor("self-assess")
db = store()
st.title("Self-assessment")
show_flash()

round_, site = choose_round_and_site(db, actor, open_rounds_or_stop(db))

try:
    draft = open_self_assessment(db, actor, site.code, round_.id)
except OcfError as error:
    show_error(error)
    st.stop()
framework = db.rounds.round_framework(round_.id)
survey = draft.survey
prefix = f"self:{site.code}:{round_.id}"

# The version this person opened: another lead's save in between is detected, never overwritten.
version_key = f"{prefix}:version"
st.session_state.setdefault(version_key, draft.version)
held = replace(draft, version=st.session_state[version_key])

if draft.submitted:
    st.success("Submitted. Only an administrator can reopen it. The answers are shown below.")
elif draft.status == "draft":
    st.caption(f"Draft saved (version {draft.version}). It is kept when you leave and come back.")
else:
    st.caption("Not started. Your answers are saved each time you save a section.")

st.subheader("Progress")
columns = st.columns(len(framework.domains))
for column, domain in zip(columns, framework.domains, strict=True):
    rated = sum(draft.survey.rating_item_id(c) in draft.answers for c in domain.competencies)
    column.progress(
        rated / len(domain.competencies),
        text=f"{domain.title}: {rated} of {len(domain.competencies)}",
    )


def widget_key(item) -> str:
    return f"{prefix}:{item.id}"


def save_before_leaving() -> None:
    """Moving to another section saves the one being left: Streamlit forgets the answers of
    widgets it no longer draws, and an afternoon of evidence must never vanish."""
    left = st.session_state.get(f"{prefix}:shown")
    section_left = next((s for s in survey.sections if s.id == left), None)
    if section_left is None or draft.submitted:
        return
    typed = answers_on_screen(list(section_left.items), widget_key)
    if not changed(typed, draft.answers, list(section_left.items)):
        return  # nothing new typed there: nothing to save (and no conflict with another tab)
    try:  # a callback runs on the next run's thread: it opens its own connection
        saved = save(store(), actor, replace(draft, version=st.session_state[version_key]), typed)
    except OcfError as error:
        # Stay on the section, with what was typed, and say why it was not saved.
        st.session_state[f"{prefix}:section"] = next(
            d for d in framework.domains if d.id == section_left.id
        )
        st.session_state["_section_error"] = error
    else:
        st.session_state[version_key] = saved.version
        flash(f"Saved {section_left.title} as you left it (version {saved.version}).")


if error := st.session_state.pop("_section_error", None):
    show_error(error)
domain = st.radio(
    "Section",
    framework.domains,
    format_func=lambda d: d.title,
    horizontal=True,
    key=f"{prefix}:section",
    on_change=save_before_leaving,
)
st.session_state[f"{prefix}:shown"] = domain.id
section = next(s for s in survey.sections if s.id == domain.id)
st.header(domain.title)
st.write(domain.description)

evidence = listing(db, actor, site.code, round_.id)
words = given(evidence)


def show_evidence(competency_id: str) -> None:
    """The competency's files and links, the form to add more, and a note when its saved
    rating needs evidence it does not have."""
    competency = framework.competency(competency_id)
    saved = draft.answers.get(survey.rating_item_id(competency))
    rating = saved.value if saved else None
    if competency_id not in words and needs_evidence(framework, competency_id, rating):
        st.warning(
            f"This rating has no evidence yet: it will read “{NO_EVIDENCE}” on the results and "
            "in the board report. Add a file or a link.",
            icon=":material/attach_file:",
        )
    with st.expander(f"Evidence: {words.get(competency_id, 'none yet')}"):
        evidence_list(
            db,
            actor,
            evidence[evidence["competency"] == competency_id],
            key=f"{prefix}:{competency_id}",
            removable=round_.status == "open",
        )
        evidence_form(db, actor, site.code, round_.id, competency_id)


# A level (or obligation) item opens a competency's block; the items after it (evidence,
# action) belong to it.
blocks: list[tuple[str | None, list]] = [(None, [])]
for item in section.items:
    if item.type in ("level", "obligation"):
        blocks.append((item.competency, []))
    blocks[-1][1].append(item)

raw = {}
for competency_id, items in blocks:
    if not items:
        continue
    with st.container(border=competency_id is not None):
        if competency_id is not None:
            competency = framework.competency(competency_id)
            st.subheader(competency.title)
            if competency.is_obligation:
                st.caption("Obligation: met, partly met or not met, with evidence")
                st.markdown(f"**The duty:** {competency.duty}")
            else:
                st.caption(f"{competency.kind.capitalize()} competency")
                levels = framework.scale.levels
                for column, level in zip(st.columns(len(levels)), levels, strict=True):
                    column.markdown(f"**{level.value} · {level.label}**")
                    column.write(competency.levels[level.value])
                    if level.value in competency.checks:
                        column.caption(f"What would be seen: {competency.checks[level.value]}")
            if competency.evidence:
                st.caption("Evidence to look for: " + "; ".join(competency.evidence))
        for item in items:
            raw[item.id] = render_item(
                item,
                framework.scale,
                draft.answers.get(item.id),
                key=widget_key(item),
                disabled=draft.submitted,
            )
        if competency_id is not None:
            show_evidence(competency_id)

if not draft.submitted:
    if st.button(f"Save {domain.title}", type="primary", icon=":material/save:"):
        try:
            saved = save(db, actor, held, raw)
        except OcfError as error:
            show_error(error)
        else:
            st.session_state[version_key] = saved.version
            flash(f"Saved {domain.title} (version {saved.version}).")
            st.rerun()

    st.divider()
    st.subheader("Submit")
    st.write(
        "When every competency has a level, submit the self-assessment. The panel's view and the "
        "moderated results then appear on the Results page. After submitting, only an "
        "administrator can reopen it."
    )
    ready = st.checkbox("I have saved every section and checked the answers")
    if st.button("Submit the self-assessment", disabled=not ready):
        try:
            submit_self_assessment(db, actor, held)
        except OcfError as error:
            show_error(error)
        else:
            st.rerun()
