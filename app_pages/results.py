"""A site's results for a round: self, panel and final side by side, gaps, panel, actions."""

from datetime import date

import pandas as pd
import streamlit as st

from app_pages.common import (
    choose_round_and_site,
    flash,
    require_actor,
    show_chart,
    show_error,
    show_flash,
    store,
)
from ocf.access import visible_rounds
from ocf.accountability import (
    RESPONSE_FIELDS,
    STATUSES,
    ActionRow,
    actions,
    history,
    plan_table,
    progress,
    repeated_responses,
    repeated_sentence,
    responses,
    responses_table,
    save_action,
    save_response,
)
from ocf.charts import maturity_chart
from ocf.comments import for_staff
from ocf.display import (
    SPREAD_NOTE,
    agreement_words,
    counted,
    coverage_words,
    fewer_than,
    final_label,
    flag_sentence,
    label_or_none,
    number,
    panel_figure,
    plain,
    share,
)
from ocf.errors import OcfError
from ocf.evidence import NO_EVIDENCE
from ocf.obligations import checklist_table
from ocf.obligations import headline as obligation_headline
from ocf.panel_checks import entry_flags, sources
from ocf.panel_makeup import who_answered
from ocf.permissions import allowed
from ocf.public import plan_link, published_over, set_plan_link, unanswered_gaps
from ocf.reports import board_report
from ocf.results import competency_table, latest_with_results, site_results

actor = require_actor("open-results")
db = store()
st.title("Results")
show_flash()

rounds = visible_rounds(db, actor)
if not rounds:
    st.info("No results to show yet: regulators see a round once it is published.")
    st.stop()
round_, site = choose_round_and_site(db, actor, rounds, default=latest_with_results(db, rounds))

try:
    result = site_results(db, actor, site.code, round_.id)
except OcfError as error:
    show_error(error)
    st.stop()
scale, min_panel = result.framework.scale, result.framework.min_panel
if result.panel_pending:
    st.info(
        "The panel's view, and the moderated rating that depends on it, appear here when the "
        "panel closes. Until then you see your own self-assessment: watching the figures change "
        "as each member answered could tell you what one person said.",
        icon=":material/lock:",
    )
if duties_short := obligation_headline(result.obligations):
    st.error(duties_short, icon=":material/gavel:")
overall = result.overall
if overall is None or pd.isna(overall["final"]):
    st.info(
        f"No submitted self-assessment for {site.name} in round {round_.id} yet, so there is no "
        "moderated rating. The panel's view and any action plan are shown below."
    )

if overall is not None:
    final, gap = overall["final"], overall["gap"]
    a, b, c, d = st.columns(4)
    a.metric(
        final_label(overall["coverage"]),
        number(final),
        help=label_or_none(overall["final_label"]),
    )
    b.metric("Self-assessment", number(overall["self"]))
    panel_text = panel_figure(overall["panel"], overall["panel_n"], min_panel)
    c.metric("Service user and carer panel", panel_text)
    change = None if result.overall_change is None else f"{result.overall_change:+.2f}"
    # The change once: as the figure (a delta beside it said "+0.18" twice).
    d.metric(f"Change since {result.previous_round or 'last round'}", change or "–")
    if not pd.isna(final):
        checked = coverage_words(
            overall["coverage"], result.checked, result.rated, result.by_evidence
        )
        if label := label_or_none(overall["final_label"]):
            st.markdown(f"Overall the organisation is **{label}**; {checked}.")
        else:
            st.markdown(f"No level is given: the panel checked none of this rating; {checked}.")
    sentence = flag_sentence(
        overall["flag"], gap, result.framework.moderation.tolerance, result.checked, result.rated
    )
    if overall["flag"] == "accountability_gap":
        st.warning(sentence, icon=":material/balance:")
    elif sentence:
        st.info(sentence)
    if isinstance(overall.get("weakest_domain"), str):
        titles = {d.id: d.title for d in result.framework.domains}
        st.markdown(f"Weakest area: **{titles[overall['weakest_domain']]}**.")

st.header("By area")
show_chart(
    maturity_chart,
    result.domains,
    scale,
    alt="Self, panel and final maturity by area; the same figures are in the table below.",
)
st.caption("Circle: self-assessment. Diamond: panel. Square: final. The same figures as a table:")
st.table(
    pd.DataFrame(
        {
            "Area": result.domains["title"],
            "Self": result.domains["self"].map(number),
            "Panel": [
                panel_figure(p, n, min_panel)
                for p, n in zip(result.domains["panel"], result.domains["panel_n"], strict=True)
            ],
            "Final": result.domains["final"].map(number),
            "Level": result.domains["final_label"].map(label_or_none),
            "Checked by panel": result.domains["coverage"].map(share),
            "Change": result.domains["change"].map(lambda v: "" if pd.isna(v) else f"{v:+.2f}"),
        }
    ).set_index("Area")
)

if len(result.obligations):
    st.header("Legal and regulatory obligations")
    st.write(
        "Each duty is answered met, partly met or not met in the self-assessment, with the "
        "evidence for it. They are a checklist, not averaged into the maturity rating above."
    )
    st.table(checklist_table(result.obligations, min_panel).set_index("Obligation"))

competencies = result.competencies
gaps = competencies[competencies["flag"] == "accountability_gap"]
st.header("Accountability gaps")
if gaps.empty:
    st.write("No competency is rated a level or more above the panel's view.")
else:
    st.write("Competencies the organisation rates at least a level above what its panel sees:")
    st.table(
        pd.DataFrame(
            {
                "Competency": gaps["title"],
                "Self": gaps["self"].map(number),
                "Panel": gaps["panel"].map(number),
                "Gap": gaps["gap"].map(number),
                "Final": gaps["final"].map(number),
            }
        ).set_index("Competency")
    )

st.header("Every competency")


st.table(competency_table(result).set_index("Competency"))
st.caption(SPREAD_NOTE.format(min_panel=min_panel))
st.caption(
    f"Evidence: the files and links given for the self-assessment's rating; “{NO_EVIDENCE}” "
    "marks a rating above the lowest level without any. Open them on the Evidence page."
)

st.header("The panel")
if result.members < min_panel:
    st.write(f"The panel has {fewer_than(min_panel)} so far.")
else:
    alpha, agreement = result.agreement, agreement_words(result.agreement)
    fewest = (
        ""
        if overall is None
        else f"; the fewest who rated any one competency: {overall['panel_n']}"
    )
    st.write(
        f"{result.members} members responded{fewest}. Agreement between them: {number(alpha)} "
        f"({agreement})."
    )
    st.caption("Krippendorff's alpha, ordinal: 1 is full agreement, 0 no more than chance.")
    if (came := sources(db, actor, site.code, round_.id)) is not None:
        st.write(
            f"Of the panel's responses, {came.online} were made online and {came.on_paper} on "
            "paper (keyed in by the facilitator and confirmed by a second person) or imported."
        )
    for flag in entry_flags(db, actor, site.code, round_.id):
        st.warning(flag, icon=":material/flag:")
    who = who_answered(db, actor, site.code, round_.id)
    if not who.empty:
        st.write("Who answered (groups smaller than the panel minimum are folded together):")
        st.table(who.set_index("Answered as"))

st.header("In the panel's own words")
words = for_staff(db, actor, site.code, round_.id)
if words.withheld_because:
    st.write(words.withheld_because)
elif words.comments.empty:
    st.write("No comment has been approved for staff to read yet.")
else:
    st.caption(
        "Comments the facilitator approved, with identifying details removed, by theme. They "
        "are not attributed, exported or copied into the board report."
    )
    for theme, group in words.comments.groupby("Theme", sort=True):
        st.subheader(theme, anchor=False)
        for text in group["In their words"]:
            st.markdown(f"> {plain(text)}")
if words.waiting and not words.withheld_because:
    st.caption(f"{counted(words.waiting, 'comment')} waiting for the facilitator's review.")


def report_html() -> str:
    return board_report(store(), actor, site.code, round_.id)


# The report (with its SVG charts) is made when the button is pressed, not on every rerun.
st.download_button(
    "Download the board report (HTML, printable)",
    report_html,
    file_name=f"ocf-board-report-{site.code}-{round_.id}.html",
    mime="text/html",
    icon=":material/download:",
)

st.header("Plans in the self-assessment")
if result.actions.empty:
    st.write("No actions recorded in the self-assessment yet.")
else:
    st.table(
        result.actions.drop(columns="competency")
        .rename(columns={"title": "Competency", "level": "Now (final)", "self_level": "Self-rated"})
        .set_index("Competency")
    )

# --------------------------------------------------------------------------- the loop
titles = result.titles
may_write = allowed(actor, "edit-actions", site=site.code)

st.header("You said, we did")
st.write(
    "Where the organisation rates itself above what its panel sees (an accountability gap), the "
    "trust answers its panel: what the panel said, what the trust accepts, and what it will do. "
    "A round is published only when every gap has an answer."
)
answered = responses(db, actor, site.code, round_.id)
gaps = result.competencies.loc[
    result.competencies["flag"] == "accountability_gap", "competency"
].tolist()
said = responses_table(result.competencies, answered, result.titles)
if note := published_over(db, round_.id, unanswered_gaps(said)):
    st.warning(note, icon=":material/report:")
for groups in repeated_responses(answered).values():
    st.warning(repeated_sentence(groups, result.titles), icon=":material/content_copy:")
if said.empty:
    st.write("No accountability gap in this round, and no response written.")
else:
    st.table(said.set_index("Competency"))
if may_write:
    with st.expander(
        "Write or change a response", expanded=bool(set(gaps) - set(answered["competency"]))
    ):
        order = [*gaps, *(c for c in titles if c not in gaps)]
        competency = st.selectbox(
            "Competency (accountability gaps first)",
            order,
            format_func=lambda c: f"{titles[c]}{' (gap)' if c in gaps else ''}",
        )
        known = (
            answered.set_index("competency").loc[competency]
            if competency in set(answered["competency"])
            else None
        )
        with st.form("response"):
            texts = {
                key: st.text_area(label, value="" if known is None else known[key], max_chars=4000)
                for key, label in RESPONSE_FIELDS.items()
            }
            if st.form_submit_button("Save the response", type="primary"):
                try:
                    save_response(db, actor, site.code, round_.id, competency, **texts)
                except OcfError as error:
                    show_error(error)
                else:
                    flash(f"Saved the response on {titles[competency]}.")
                    st.rerun()

st.header("Actions and progress")
if may_write:
    with st.form("published-plan"):
        address = st.text_input(
            "Where the public can read your plan (a web address starting https://)",
            value=plan_link(db, site.code, round_.id) or "",
            max_chars=2000,
            help="Shown on the public summary once the round is published. Leave it empty to "
            "remove it.",
        )
        if st.form_submit_button("Save the address"):
            try:
                set_plan_link(db, actor, site.code, round_.id, address)
            except OcfError as error:
                show_error(error)
            else:
                flash("Saved where your plan is published.")
                st.rerun()
plan = actions(db, actor, site.code, round_.id)
counts = progress(plan)
if plan.empty:
    st.write("No actions in this round's plan yet.")
else:
    columns = st.columns(4)
    for column, key in zip(
        columns, ["done on time", "overdue", "at risk", "on track"], strict=True
    ):
        column.metric(key.capitalize(), counts[key])
    st.table(plan_table(plan, history(db, plan), titles).set_index("Competency"))
if may_write:
    with st.expander("Add an action or record progress"):
        existing = {"": None, **{str(i): r for i, r in plan.set_index("id").iterrows()}}
        chosen = st.selectbox(
            "Action",
            list(existing),
            format_func=lambda k: "A new action" if not k else existing[k]["action"],
        )
        row = existing[chosen]
        with st.form("action"):
            competency = st.selectbox(
                "Competency",
                list(titles),
                index=list(titles).index(row["competency"]) if row is not None else 0,
                format_func=titles.get,
                disabled=row is not None,
            )
            what = st.text_input(
                "What will be done",
                value="" if row is None else row["action"],
                disabled=row is not None,
            )
            owner = st.text_input("Owner", value="" if row is None else row["owner"])
            due = st.date_input(
                "Due",
                value=None if row is None or not row["due"] else date.fromisoformat(row["due"]),
                format="DD/MM/YYYY",
            )
            status = st.selectbox(
                "Status",
                STATUSES,
                index=STATUSES.index(row["status"]) if row is not None else 0,
                format_func=str.capitalize,
            )
            note = st.text_area("Progress note (dated today)", max_chars=4000)
            if st.form_submit_button("Save the action", type="primary"):
                try:
                    save_action(
                        db,
                        actor,
                        ActionRow(
                            site.code,
                            round_.id,
                            competency,
                            what.strip(),
                            owner.strip(),
                            due.isoformat() if due else None,
                            status,
                            note.strip(),
                        ),
                    )
                except OcfError as error:
                    show_error(error)
                else:
                    flash("Saved the action.")
                    st.rerun()
