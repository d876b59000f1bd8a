"""Administration: frameworks and surveys — validate, preview, publish a version, compare versions."""

import streamlit as st

from app_pages.common import decoded, flash, require_actor, show_error, show_flash, store
from app_pages.widgets import render_item
from ocf.admin import check_content, content_library, diff_frameworks, framework_versions, publish
from ocf.display import counted
from ocf.errors import OcfError

actor = require_actor("publish-content")
db = store()
st.title("Publish a framework or survey version")
show_flash()
library = content_library(db)
st.write(
    f"{counted(len(library.frameworks), 'framework')} and "
    f"{counted(len(library.surveys), 'survey')} available for new "
    "rounds. A published version never changes: rounds keep the version they opened with."
)

st.header("Check and publish a file")
upload = st.file_uploader("A framework or survey YAML file", type=["yaml", "yml"])
if upload is not None:
    try:
        candidate = check_content(db, actor, decoded(upload), upload.name)
    except OcfError as error:
        st.error(
            "The file does not validate; nothing was published. Each line names the line and field:"
        )
        st.code(str(error), language=None)
    else:
        st.success(
            f"Valid {candidate.kind}: {candidate.model.title} ({candidate.id}, version {candidate.version})."
        )
        with st.expander("Preview as a respondent would see it", expanded=True):
            if candidate.kind == "survey":
                scale = library.frameworks[candidate.model.framework].scale
                for section in candidate.model.sections:
                    st.subheader(section.title)
                    for item in section.items:
                        render_item(item, scale, None, key=f"preview:{item.id}", disabled=True)
            else:
                for domain in candidate.model.domains:
                    st.subheader(domain.title)
                    for competency in domain.competencies:
                        st.markdown(f"**{competency.title}** ({competency.kind})")
                        st.table(
                            {
                                candidate.model.scale.label(v): [text]
                                for v, text in competency.levels.items()
                            }
                        )
        if st.button(f"Publish {candidate.id} version {candidate.version}", type="primary"):
            try:
                publish(db, actor, candidate)
            except OcfError as error:
                show_error(error)
            else:
                flash(f"Published {candidate.kind} {candidate.id} version {candidate.version}.")
                st.rerun()

st.header("Compare two versions of a framework")
versions = framework_versions(db)
names = list(versions)
a, b = st.columns(2)
old = a.selectbox("Before", names, index=0)
new = b.selectbox("After", names, index=len(names) - 1)


changes = diff_frameworks(versions[old], versions[new])
if changes.empty:
    st.write("No competency was added, removed or reworded.")
else:
    st.dataframe(changes.rename(columns=str.capitalize), hide_index=True)
