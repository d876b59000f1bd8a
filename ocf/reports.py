"""The board report (one self-contained, printable HTML file) and the round exports.

Charts are embedded as SVG made by vl-convert (no browser, no network), so the report opens
anywhere, offline. Every figure comes from the same functions as the pages, with suppression
already applied: nothing from fewer than `min_panel` panel members leaves the system.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import vl_convert
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
from ocf.templates import TEMPLATES

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


def _svg(chart, label: str) -> Markup:
    """A chart as inline SVG that a screen reader announces by its label (vl-convert draws it
    from our own specification: markup we trust, with the label escaped)."""
    svg = vl_convert.vegalite_to_svg(vega_lite(chart.properties(width=520)))
    return Markup(svg.replace("<svg", Markup('<svg role="img" aria-label="{}"').format(label), 1))


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
    """The board report for one site and round, as one HTML document (its template:
    ocf/templates/board_report.html)."""
    result = site_results(store, actor, site, round_id)
    competencies = competency_table(result)
    return TEMPLATES.get_template("board_report.html").render(
        title=f"{result.site.name}: race equality maturity, round {round_id}",
        style=Markup(STYLE),
        demo=store.is_demo,
        framework=result.framework.title,
        version=result.framework.version,
        produced=when_day(date.today().isoformat()),
        duties=obligation_headline(result.obligations),
        summary=_summary(result),
        domains=_domains(result),
        obligations=None
        if result.obligations.empty
        else checklist_table(result.obligations, result.framework.min_panel),
        gaps=_gaps(result),
        competencies=competencies,
        members=result.members,
        agreement="not measured"
        if result.agreement is None
        else f"{result.agreement:.2f} (Krippendorff's alpha, ordinal)",
        evidence=None if result.evidence.empty else evidence_table(result.evidence, result.titles),
        disparity=_disparity(store, result),
        actions=None
        if result.actions.empty
        else result.actions.drop(columns="competency").rename(
            columns={"title": "Competency", "level": "Now (final)", "self_level": "Self-rated"}
        ),
        loop_=_loop(store, actor, result),
        methods={
            "spread": SPREAD_NOTE.format(min_panel=result.framework.min_panel),
            "tolerance": f"{result.framework.moderation.tolerance:g}",
        },
    )


def _summary(result: SiteResults) -> dict | None:
    overall = result.overall
    if overall is None:
        return None
    return {
        "final_label": final_label(overall["coverage"]),
        "final": number(overall["final"]),
        "level": label_or_none(overall["final_label"]),
        "checked": coverage_words(
            overall["coverage"], result.checked, result.rated, result.by_evidence
        ),
        "self": number(overall["self"]),
        "panel": panel_figure(overall["panel"], overall["panel_n"], result.framework.min_panel),
        "since": result.previous_round or "last round",
        "change": "–" if result.overall_change is None else f"{result.overall_change:+.2f}",
        "sentence": flag_sentence(
            overall["flag"],
            overall["gap"],
            result.framework.moderation.tolerance,
            result.checked,
            result.rated,
        ),
    }


def _domains(result: SiteResults) -> dict:
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
    return {"chart": chart, "table": frame}


def _gaps(result: SiteResults) -> pd.DataFrame | None:
    gaps = result.competencies[result.competencies["flag"] == "accountability_gap"]
    if gaps.empty:
        return None
    return pd.DataFrame(
        {
            "Competency": gaps["title"],
            "Self": gaps["self"].map(number),
            "Panel": gaps["panel"].map(number),
            "Gap": gaps["gap"].map(number),
            "Final": gaps["final"].map(number),
        }
    )


def _disparity(store: Store, result: SiteResults) -> dict:
    period = result.round.period
    found = {"period": period, "table": None}
    rows = store.detentions.detentions_frame(period, DEFAULT_MEASURE) if period else pd.DataFrame()
    if period is None or rows.empty or result.site.code not in set(rows["geography"]):
        return found
    total = store.detentions.detention_total(period, result.site.code, DEFAULT_MEASURE)
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
            f"Rate {meta['denominator'].unit}": rates["rate"].map(lambda v: number(v, 1)),
            "95% interval": [
                interval(lo, hi, 1) for lo, hi in zip(rates["lower"], rates["upper"], strict=True)
            ],
        }
    )
    unknown = meta["unknown_share"]
    whole = (
        f"all {meta['all_detentions']:,.0f} detentions"
        if meta["all_detentions"]
        else "the detentions broken down by ethnicity"
    )
    parts = "; ".join(f"{n:,.0f} {label}" for label, n in meta["unknown_parts"])
    chart = _svg(
        rates_chart(rates, meta["denominator"].unit),
        f"Detention rate {meta['denominator'].unit} for each ethnic group with 95% intervals; "
        "the same figures are in the table.",
    )
    return found | {
        "focus": DEFAULT_FOCUS,
        "reference": DEFAULT_REFERENCE,
        "ratio": ratio_text,
        "chart": chart,
        "table": frame,
        "unknown": None
        if unknown is None
        else f"Ethnicity unknown: {unknown.value:.1%} (95% interval {unknown.lower:.1%} to "
        f"{unknown.upper:.1%}) of {whole}: {parts}; excluded from rates.",
    }


def _loop(store: Store, actor: Actor, result: SiteResults) -> dict:
    """You said, we did; the action plan's progress (ocf/accountability.py)."""
    site, round_id = result.site.code, result.round.id
    said = responses_table(
        result.competencies, responses(store, actor, site, round_id), result.titles
    )
    plan = actions(store, actor, site, round_id)
    return {
        "published_over": published_over(store, round_id, unanswered_gaps(said)),
        "said": None if said.empty else said,
        "plan": None if plan.empty else plan_table(plan, history(store, plan), result.titles),
        "progress": "; ".join(f"{k}: {v}" for k, v in progress(plan).items() if v)
        if not plan.empty
        else "",
    }


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
    return TEMPLATES.get_template("invitation_slips.html").render(
        title=f"Panel invitation codes: {site_name}, round {round_id}",
        style=Markup(SLIP_STYLE),
        codes=codes,
        site_name=site_name,
        address=address,
    )
