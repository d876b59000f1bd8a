"""Framework browser: domains, competencies, level descriptors, evidence prompts, crosswalk."""

import pandas as pd
import streamlit as st

from app_pages.common import shipped
from ocf.crosswalk import crosswalk

library = shipped()
st.title("Frameworks")
framework_id = st.selectbox(
    "Framework",
    list(library.frameworks),
    format_func=lambda fw_id: library.frameworks[fw_id].title,
)
framework = library.frameworks[framework_id]
st.caption(f"`{framework.id}` · version {framework.version}")
st.write(framework.description)
if framework.provenance:
    st.info(framework.provenance, icon=":material/draft:")
if framework.focus_populations:
    st.markdown("**Focus populations:** " + "; ".join(framework.focus_populations))

st.header("Maturity scale")
# st.table renders a real HTML table: long descriptions wrap and screen readers get headers.
st.table(
    pd.DataFrame(
        {"Level": lv.label, "What it means": lv.description} for lv in framework.scale.levels
    ).set_index("Level")
)
rule = framework.moderation
if rule.rule == "panel_cap":
    st.markdown(
        f"**Moderation:** the final rating is capped at the panel's rating plus {rule.tolerance:g}: "
        f"an organisation cannot rate itself more than {rule.tolerance:g} level above what its "
        f"service users and carers see. Panel figures from fewer than {framework.min_panel} "
        "people are never shown."
    )


def evidence_line(competency, prompt: str) -> str:
    """An evidence prompt with the levels whose checks it shows."""
    levels = competency.evidence_shows.get(prompt, ())
    labels = [framework.scale.label(v) for v in levels]
    return prompt + (f" (shows: {', '.join(labels)})" if labels else "")


st.header("Domains and competencies")
for domain in framework.domains:
    st.subheader(domain.title)
    st.write(domain.description)
    for competency in domain.competencies:
        with st.expander(f"{competency.title} ({competency.kind})"):
            if competency.is_obligation:
                st.markdown(f"**The duty:** {competency.duty}")
                st.caption(
                    "An obligation is answered met, partly met or not met, with evidence. "
                    "It is not averaged into the maturity rating."
                )
            else:
                columns = st.columns(len(framework.scale.levels))
                for column, level in zip(columns, framework.scale.levels, strict=True):
                    column.markdown(f"**{level.value} · {level.label}**")
                    column.write(competency.levels[level.value])
                    if level.value in competency.checks:
                        column.caption(f"What would be seen: {competency.checks[level.value]}")
            if competency.evidence:
                st.markdown("**Evidence to look for**")
                st.markdown(
                    "\n".join(f"- {evidence_line(competency, p)}" for p in competency.evidence)
                )
            if not competency.panel_can_judge:
                st.caption(f"Not asked of the panel: {competency.panel_reason}")
            if competency.sources:
                st.caption(
                    "Sources: " + "; ".join(framework.sources[s] for s in competency.sources)
                )
            if competency.tags:
                st.caption(
                    "Reports against: "
                    + "; ".join(framework.tags.get(t, t) for t in competency.tags)
                )

table = crosswalk(framework, prefix="pcref-")
if not table.empty:
    st.header("PCREF crosswalk")
    st.write("Each PCREF area and the competencies of this framework that report against it.")
    st.table(
        table.rename(
            columns={
                "tag_title": "PCREF area",
                "domain": "Domain",
                "competency_title": "Competency",
                "kind": "Kind",
            }
        )[["PCREF area", "Domain", "Competency", "Kind"]],
        hide_index=True,
    )

surveys = library.surveys_for(framework.id)
if surveys:
    st.header("Surveys")
    st.dataframe(
        [
            {
                "Survey": s.title,
                "Who answers": "Equality lead (self-assessment)"
                if s.audience == "self"
                else "Service user and carer panel",
                "Questions": len(s.items),
                "Scored": sum(item.scored for item in s.items),
            }
            for s in surveys
        ],
        hide_index=True,
    )
