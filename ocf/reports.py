"""The board report (one self-contained, printable HTML file) and the round exports.

Charts are embedded as SVG made by vl-convert (no browser, no network), so the report opens
anywhere, offline. Every figure comes from the same functions as the pages, with suppression
already applied: nothing from fewer than `min_panel` panel members leaves the system.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pandas as pd
import vl_convert
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ocf.access import Actor
from ocf.accountability import (
    actions,
    history,
    plan_table,
    progress,
    responses,
    responses_table,
)
from ocf.charts import maturity_chart, rates_chart, vega_lite
from ocf.comparison import require_oversight
from ocf.disparity import (
    DEFAULT_FOCUS,
    DEFAULT_MEASURE,
    DEFAULT_REFERENCE,
    disparity_table,
    rates_by_group,
)
from ocf.display import (
    SPREAD_NOTE,
    coverage_words,
    final_label,
    flag_sentence,
    interval,
    label_or_none,
    number,
    panel_figure,
    share,
)
from ocf.errors import OcfError
from ocf.evidence import evidence_table
from ocf.obligations import checklist_table
from ocf.obligations import headline as obligation_headline
from ocf.public import public_summary, published_over, unanswered_gaps
from ocf.results import SiteResults, competency_table, round_scores, site_results
from ocf.scoring import SCORE_COLUMNS, score_table
from ocf.spreadsheet import FileRefused, write_csv, write_text, write_xlsx, xlsx_data
from ocf.store import Store
from ocf.tables import when_day

__all__ = [
    "EXPORT_COLUMNS",
    "LEVELS",
    "SLIP_ADDRESS_UNKNOWN",
    "SLIP_STYLE",
    "STYLE",
    "board_report",
    "export_round",
    "export_table",
    "invitation_slips",
    "public_report",
    "require_folder",
    "write_board_report",
    "xlsx_bytes",
]


EXPORT_COLUMNS = {
    "site": "Site code (ODS style).",
    "round": "Assessment round.",
    "level": "competency, domain or overall.",
    "id": "Competency or domain id; 'overall' for the overall row.",
    "self": "The organisation's self-assessment (0 Undeveloped to 3 Excelling).",
    "panel": "The service user and carer panel's rating: the median of members. Empty when fewer members answered than the framework's minimum panel (suppressed), none did, or the panel has not closed yet.",
    "panel_n": "Panel members with a view (for a domain or overall: the smallest number behind any of its panel figures).",
    "final": "The self-assessment, capped at the panel's rating plus the framework's tolerance where the panel gave a view; moderated only where coverage is 1.",
    "gap": "Self minus panel: the accountability gap.",
    "flag": "not_verified (coverage 0: the panel checked none of it), accountability_gap (self a level or more above the panel), or partly_verified (0 < coverage < 1), in that order.",
    "coverage": "The share of the final rating the panel checked: 1 or 0 for a competency, the weighted share of rated competencies for a domain or overall.",
}


def _svg(chart, label: str) -> str:
    """A chart as inline SVG that a screen reader announces by its label."""
    svg = vl_convert.vegalite_to_svg(vega_lite(chart.properties(width=520)))
    return svg.replace("<svg", f'<svg role="img" aria-label="{html.escape(label)}"', 1)


def _table(frame: pd.DataFrame, caption: str) -> str:
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row">{html.escape(str(v))}</th>' if i == 0 else f"<td>{html.escape(str(v))}</td>")
            for i, v in enumerate(row)
        ) + "</tr>"
        for row in frame.itertuples(index=False)
    )  # fmt: skip
    return f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# HTML documents are made from templates in ocf/templates, escaped by Jinja2 (issue 32).
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

STYLE = """
@page { size: A4; margin: 16mm; }
body { font-family: Arial, Helvetica, sans-serif; color: #212b32; line-height: 1.45; max-width: 190mm; margin: auto; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 1.6rem; border-bottom: 2px solid #005eb8; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .9rem; page-break-inside: avoid; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #aeb7bd; padding: .25rem .4rem; text-align: left; vertical-align: top; }
thead th { background: #e8edee; } .notice { background: #fff9c4; padding: .5rem; border-left: 4px solid #ffb81c; }
.summary { display: flex; gap: 1rem; flex-wrap: wrap; } .summary div { border: 1px solid #aeb7bd; padding: .4rem .7rem; }
.summary strong { display: block; font-size: 1.4rem; } figure { margin: .5rem 0; page-break-inside: avoid; }
svg { max-width: 100%; height: auto; }
"""


def board_report(store: Store, actor: Actor, site: str, round_id: str) -> str:
    """The board report for one site and round, as one HTML document."""
    result = site_results(store, actor, site, round_id)
    sections = [
        _summary(store, result),
        _domains(result),
        _obligations(result),
        _gaps(result),
        _competencies(result),
        _evidence(result),
        _disparity(store, result),
        _actions(result),
        _loop(store, actor, result),
        _methods(result),
    ]
    title = f"{result.site.name}: race equality maturity, round {round_id}"
    notice = (
        '<p class="notice"><strong>Demo.</strong> All assessment data in this report are synthetic.</p>'
        if store.is_demo
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main>{notice}<h1>{html.escape(title)}</h1>"
        f"<p>Organisational Competency Framework board report. Framework: {html.escape(result.framework.title)} "
        f"(version {result.framework.version}). Produced {when_day(date.today().isoformat())}.</p>"
        + "".join(sections)
        + "</main></body></html>"
    )


def _summary(store: Store, result: SiteResults) -> str:
    overall = result.overall
    if overall is None:
        return f"<h2>Summary</h2>{_duties_short(result)}<p>No scores yet for this round.</p>"
    panel = panel_figure(overall["panel"], overall["panel_n"], result.framework.min_panel)
    change = "–" if result.overall_change is None else f"{result.overall_change:+.2f}"
    level = label_or_none(overall["final_label"])
    checked = coverage_words(overall["coverage"], result.checked, result.rated, result.by_evidence)
    lines = [
        f"<div>{final_label(overall['coverage'])}<strong>{number(overall['final'])}</strong>"
        f"{html.escape(level)}<br>{html.escape(checked)}</div>",
        f"<div>Self-assessment<strong>{number(overall['self'])}</strong></div>",
        f"<div>Service user and carer panel<strong>{html.escape(panel)}</strong></div>",
        f"<div>Change since {html.escape(result.previous_round or 'last round')}<strong>{change}</strong></div>",
    ]
    sentence = flag_sentence(
        overall["flag"],
        overall["gap"],
        result.framework.moderation.tolerance,
        result.checked,
        result.rated,
    )
    text = f"<p>{_bold(sentence)}</p>" if sentence else ""
    return (
        f'<h2>Summary</h2>{_duties_short(result)}<div class="summary">{"".join(lines)}</div>{text}'
    )


def _duties_short(result: SiteResults) -> str:
    """Any duty not met in full, named first (ocf.obligations)."""
    sentence = obligation_headline(result.obligations)
    return f'<p class="notice">{_bold(sentence)}</p>' if sentence else ""


def _obligations(result: SiteResults) -> str:
    if result.obligations.empty:
        return ""
    table = checklist_table(result.obligations, result.framework.min_panel)
    return (
        "<h2>Legal and regulatory obligations</h2><p>Each duty is answered met, partly met or "
        "not met, with evidence. They are not averaged into the maturity rating.</p>"
        + _table(table, "Obligations: the trust's answer, its evidence and the panel's view")
    )


def _bold(sentence: str) -> str:
    """A display sentence's **bold** lead as HTML, the rest escaped."""
    parts = html.escape(sentence).split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def _domains(result: SiteResults) -> str:
    domains, scale = result.domains, result.framework.scale
    frame = pd.DataFrame(
        {
            "Area": domains["title"],
            "Self": domains["self"].map(number),
            "Panel": [
                panel_figure(p, n, result.framework.min_panel)
                for p, n in zip(domains["panel"], domains["panel_n"], strict=True)
            ],
            "Final": domains["final"].map(number),
            "Level": domains["final_label"].map(label_or_none),
            "Checked by panel": domains["coverage"].map(share),
            "Change": domains["change"].map(lambda v: "" if pd.isna(v) else f"{v:+.2f}"),
        }
    )
    chart = _svg(
        maturity_chart(domains, scale),
        "Self, panel and final maturity by area; the same figures are in the table.",
    )
    return f"<h2>Maturity by area: self, panel and final</h2><figure>{chart}<figcaption>Circle: self. Diamond: panel. Square: final.</figcaption></figure>{_table(frame, 'Maturity by area')}"


def _gaps(result: SiteResults) -> str:
    gaps = result.competencies[result.competencies["flag"] == "accountability_gap"]
    if gaps.empty:
        return "<h2>Accountability gaps</h2><p>No competency is rated a level or more above the panel's view.</p>"
    frame = pd.DataFrame(
        {
            "Competency": gaps["title"],
            "Self": gaps["self"].map(number),
            "Panel": gaps["panel"].map(number),
            "Gap": gaps["gap"].map(number),
            "Final": gaps["final"].map(number),
        }
    )
    return f"<h2>Accountability gaps</h2>{_table(frame, 'Competencies rated at least a level above the panel')}"


def _competencies(result: SiteResults) -> str:
    frame = competency_table(result)
    agreement = (
        "not measured"
        if result.agreement is None
        else f"{result.agreement:.2f} (Krippendorff's alpha, ordinal)"
    )
    return f"<h2>Every competency</h2>{_table(frame, 'Every competency')}<p>Panel members: {result.members}. Agreement: {agreement}.</p>"


def _disparity(store: Store, result: SiteResults) -> str:
    period = result.round.period
    heading = f"<h2>Detention disparity ({html.escape(period or 'no period linked')})</h2>"
    rows = store.detentions_frame(period, DEFAULT_MEASURE) if period else pd.DataFrame()
    if period is None or rows.empty or result.site.code not in set(rows["geography"]):
        return heading + "<p>No detention data for this organisation and period.</p>"
    total = store.detention_total(period, result.site.code, DEFAULT_MEASURE)
    rates, meta = rates_by_group(rows, result.site.code, total)
    ratio = disparity_table(
        rows[rows["geography"] == result.site.code], DEFAULT_FOCUS, DEFAULT_REFERENCE
    ).iloc[0]
    ratio_text = (
        "not available"
        if pd.isna(ratio["rate_ratio"])
        else f"{ratio['rate_ratio']:.2f} (95% interval {ratio['ratio_lower']:.2f} to {ratio['ratio_upper']:.2f})"
    )
    frame = pd.DataFrame(
        {
            "Group": rates["group"],
            "Detentions": ["suppressed" if pd.isna(n) else f"{n:,.0f}" for n in rates["count"]],
            "Rate per 100,000": rates["rate"].map(lambda v: number(v, 1)),
            "95% interval": [
                interval(lo, hi, 1) for lo, hi in zip(rates["lower"], rates["upper"], strict=True)
            ],
        }
    )
    share = meta["unknown_share"]
    unknown = (
        ""
        if share is None
        else f"<p>Ethnicity unknown: {share.value:.1%} (95% interval {share.lower:.1%} to "
        f"{share.upper:.1%}) of "
        + (
            f"all {meta['all_detentions']:,.0f} detentions"
            if meta["all_detentions"]
            else "the detentions broken down by ethnicity"
        )
        + ": "
        + html.escape("; ".join(f"{n:,.0f} {label}" for label, n in meta["unknown_parts"]))
        + "; excluded from rates.</p>"
    )
    chart = _svg(
        rates_chart(rates),
        "Detention rate per 100,000 for each ethnic group with 95% intervals; the same figures are in the table.",
    )
    return (
        heading
        + f"<p>Rate ratio, {DEFAULT_FOCUS} to {DEFAULT_REFERENCE}: <strong>{ratio_text}</strong>.</p>"
        + f"<figure>{chart}</figure>{_table(frame, 'Detentions by ethnic group')}{unknown}"
        + "<p>Crude rates: no age- and sex-standardised figures are published below England. "
        "Counts are rounded to the nearest 5 and counts of 1 to 4 suppressed, as NHS England "
        "publishes them.</p>"
    )


def _evidence(result: SiteResults) -> str:
    """Every file (with its SHA-256, to check a copy against) and link given as evidence."""
    heading = "<h2>Evidence</h2>"
    if result.evidence.empty:
        return heading + "<p>No files or links were given as evidence in this round.</p>"
    table = evidence_table(result.evidence, result.titles)
    return heading + _table(table, "Evidence given for the self-assessment, by competency")


def _actions(result: SiteResults) -> str:
    if result.actions.empty:
        return "<h2>Action plan</h2><p>No actions recorded.</p>"
    frame = result.actions.drop(columns="competency").rename(
        columns={"title": "Competency", "level": "Now (final)", "self_level": "Self-rated"}
    )
    return f"<h2>Action plan</h2>{_table(frame, 'Actions with owners and dates')}"


def _loop(store: Store, actor: Actor, result: SiteResults) -> str:
    """You said, we did; the action plan's progress (ocf/accountability.py)."""
    site, round_id = result.site.code, result.round.id
    said = responses_table(
        result.competencies, responses(store, actor, site, round_id), result.titles
    )
    parts = ["<h2>You said, we did</h2>"]
    if note := published_over(store, round_id, unanswered_gaps(said)):
        parts.append(f'<p class="notice">{html.escape(note)}</p>')
    if said.empty:
        parts.append("<p>No accountability gap in this round, and no response written.</p>")
    else:
        parts.append(_table(said, "The trust's response to its panel, by competency"))
    plan = actions(store, actor, site, round_id)
    parts.append("<h2>Actions and progress</h2>")
    if plan.empty:
        parts.append("<p>No actions in this round's plan.</p>")
    else:
        counts = progress(plan)
        parts.append(
            "<p>" + html.escape("; ".join(f"{k}: {v}" for k, v in counts.items() if v)) + "</p>"
        )
        titles = result.titles
        parts.append(_table(plan_table(plan, history(store, plan), titles), "Actions"))
    return "".join(parts)


def _methods(result: SiteResults) -> str:
    tolerance = result.framework.moderation.tolerance
    return (
        "<h2>Methods</h2><p>Ratings use the scale Undeveloped (0), Developing (1), Achieving (2), "
        "Excelling (3). "
        + html.escape(SPREAD_NOTE.format(min_panel=result.framework.min_panel))
        + f" The final rating is the self-assessment capped at the panel's rating plus {tolerance:g}, "
        "for each competency and again for each area and overall; "
        "it is called moderated only where the panel gave a view on every competency behind it. "
        "Areas and the overall rating are weighted means. Detention rates are crude rates per 100,000 with "
        "exact Poisson (under 10 events) or Byar's 95% intervals; the rate ratio uses the log method. "
        "Full methods: docs/methods.md in the OCF platform.</p>"
    )


def public_report(store: Store, site: str, round_id: str) -> str:
    """The public summary (`ocf.public`) as one self-contained HTML document, from its
    template (autoescaped: nothing from the database reaches the page unescaped)."""
    summary = public_summary(store, site, round_id)
    return TEMPLATES.get_template("public_summary.html").render(
        s=summary,
        title=f"{summary.site.name}: how it tackles racial disparity, round {round_id}",
        style=Markup(STYLE),
        demo=store.is_demo,
        produced=when_day(date.today().isoformat()),
    )


def write_board_report(
    store: Store,
    actor: Actor,
    site: str,
    round_id: str,
    out: str | Path,
    audience: str = "board",
    force: bool = False,
) -> Path:
    """The board report, or with `audience` 'public' the public summary, as an HTML file (an
    existing file only with `force`, never through a symbolic link)."""
    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm"):
        raise OcfError(f"{out}: the report is HTML; expected a file name ending .html")
    require_folder(path)
    if audience == "public":
        return _written(write_text, public_report(store, site, round_id), path, force)
    return _written(write_text, board_report(store, actor, site, round_id), path, force)


def _written(writer, content, path: Path, force: bool) -> Path:
    """A file written by an `ocf.spreadsheet` writer; a refusal said as the platform's error."""
    try:
        return writer(content, path, force)
    except FileRefused as refused:
        raise OcfError(str(refused)) from None


LEVELS = ("competency", "domain", "overall")


def require_folder(path: Path) -> None:
    """Refuse a file in a folder that does not exist (never create folders on a typo)."""
    if not path.parent.is_dir():
        raise OcfError(f"{path}: no such folder {path.parent}; create it first or choose another")


def export_table(store: Store, actor: Actor, round_id: str) -> pd.DataFrame:
    """Every score of a round (the `ocf score` columns), suppression applied."""
    require_oversight(store, actor, round_id)
    return score_table(round_scores(store, round_id), round_id)


def export_round(
    store: Store, actor: Actor, round_id: str, out: str | Path, force: bool = False
) -> Path:
    """CSV: one table. XLSX: a sheet per level and a README sheet describing the columns."""
    path = Path(out)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise OcfError(f"{out}: expected a file name ending .csv or .xlsx")
    require_folder(path)
    table = export_table(store, actor, round_id)
    if path.suffix.lower() == ".csv":
        return _written(write_csv, table, path, force)
    return _written(write_xlsx, _workbook(table), path, force)


def _workbook(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The XLSX export's sheets: a README describing the columns, then one per level."""
    readme = pd.DataFrame(
        {"column": list(EXPORT_COLUMNS), "meaning": list(EXPORT_COLUMNS.values())}
    )
    levels = {level: table[table["level"] == level][SCORE_COLUMNS] for level in LEVELS}
    return {"README": readme, **levels}


def xlsx_bytes(store: Store, actor: Actor, round_id: str) -> bytes:
    """The XLSX export as bytes, for a download button (made in memory)."""
    return xlsx_data(_workbook(export_table(store, actor, round_id)))


SLIP_STYLE = """
@page { size: A4; margin: 12mm; }
body { font-family: Arial, Helvetica, sans-serif; color: #212b32; }
.slips { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }
.slip { border: 1px dashed #768692; padding: 5mm; page-break-inside: avoid; }
.code { font-family: "Courier New", monospace; font-size: 1.5rem; font-weight: bold; letter-spacing: .1rem; }
h1 { font-size: 1.2rem; } .slip h2 { font-size: 1rem; margin: 0 0 2mm; }
"""


SLIP_ADDRESS_UNKNOWN = "the address your facilitator gives you"


def invitation_slips(codes: list[str], site_name: str, round_id: str, address: str) -> str:
    """A printable sheet of panel invitation slips: one code per slip, with plain instructions."""
    slips = "".join(
        f'<div class="slip"><h2>Have your say about {html.escape(site_name)}</h2>'
        f"<p>Go to <strong>{html.escape(address)}</strong> and choose <em>Panel survey</em>.</p>"
        f'<p>Your code:</p><p class="code">{html.escape(code)}</p>'
        "<p>Keep this slip: you can stop and come back with the same code. Please do not share it. "
        "The trust will not know who you are.</p></div>"
        for code in codes
    )
    title = f"Panel invitation codes: {site_name}, round {round_id}"
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{SLIP_STYLE}</style></head><body><main><h1>{html.escape(title)}</h1>"
        f'<p>Cut along the dashed lines and give one slip to each panel member.</p><div class="slips">{slips}</div>'
        "</main></body></html>"
    )
