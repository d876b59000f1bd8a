"""The `ocf` command: parses arguments and calls the core; no logic of its own.

Every problem prints as one line on stderr (FILE:LINE: message or FILE:ROW N: message) and the
command exits 1 with no traceback; nothing is written when anything is wrong.
"""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import pandas as pd

from ocf import demo as demo_module
from ocf import ethnicity
from ocf.access import ROLES, Actor, add_account, issue_invitations, refuse_real_data_in_demo
from ocf.accountability import LIST_COLUMNS, actions, import_actions
from ocf.admin import (
    accounts,
    add_site,
    add_sites,
    audit_check,
    audit_log,
    confirm_detentions,
    confirm_responses,
    open_new_round,
    preview_detentions,
    preview_responses,
    preview_sites,
    revoke_account,
    round_summary,
    set_round_status,
)
from ocf.backups import backup_name, rotate
from ocf.disparity import DEFAULT_FOCUS, DEFAULT_MEASURE, DEFAULT_REFERENCE, disparity_table
from ocf.errors import NotFound, OcfError, StorageError
from ocf.evidence import MAX_BYTES as MAX_EVIDENCE_BYTES
from ocf.evidence import add_file as add_evidence_file
from ocf.evidence import add_link as add_evidence_link
from ocf.evidence import listing as evidence_listing
from ocf.importers import open_binary, read_text
from ocf.loading import SHIPPED_FRAMEWORKS, SHIPPED_SURVEYS, load_library, load_shipped
from ocf.memory import keep_freed_memory
from ocf.reports import export_round, write_board_report
from ocf.results import scores_table
from ocf.retention import apply as apply_retention
from ocf.retention import parse_period
from ocf.retention import policy as retention_policy
from ocf.retention import set_policy as set_retention_policy
from ocf.rounds import resolve_content
from ocf.spreadsheet import csv_text
from ocf.store import Store, resolve_path
from ocf.submissions import close_panel, panel_status
from ocf.tables import when_day

__all__ = ["main"]  # the `ocf` command; its subcommands are DESIGN §8's contract


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def db_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Every command takes --db PATH (default $OCF_DB, then data/ocf.db)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Database file (default: $OCF_DB, then data/ocf.db).",
    )(command)


# A row id as SQLite holds it: a larger number is refused as a usage error, not a traceback.
ROW_ID = click.IntRange(1, 2**63 - 1)


def force_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--force: replace an existing file (never a symbolic link, which is always refused)."""
    return click.option(
        "--force", is_flag=True, help="Replace the file if it exists (never a symbolic link)."
    )(command)


# What the store could not find, and the command that lists what there is (the store's own
# message says only what is missing: a page has no commands to offer).
LISTS = {"round": "rounds", "site": "sites"}


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn OcfError into one line per problem on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except OcfError as exc:
            lines = str(exc).splitlines() or [type(exc).__name__]
            if isinstance(exc, NotFound) and exc.kind in LISTS:
                lines[-1] += f"; `ocf {exc.kind} list` shows the {LISTS[exc.kind]}"
            for line in lines:
                click.echo(line, err=True)
            sys.exit(1)
        except OSError as exc:  # a file the user named: too long a name, no permission, …
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"{where}{exc.strerror or exc}", err=True)
            sys.exit(1)

    return wrapper


def _store(db_path: str | None, migrate: bool = True) -> Store:
    """An existing database: a mistyped --db is refused, never created."""
    location = _database(db_path)
    if location != ":memory:" and not Path(location).is_file():
        raise OcfError(
            f"no database at {location}; give --db PATH or set OCF_DB (commands that add "
            "data, such as `ocf site add`, create a new database)"
        )
    return Store.open(location, migrate=migrate)


def _store_to_add(db_path: str | None, real_data: bool = True) -> Store:
    """A database this command may create (said on stderr when it does).

    Real data (`real_data`: accounts, sites, imports) are refused by the demo database.
    """
    location = _database(db_path)
    created = location != ":memory:" and not Path(location).exists()
    store = Store.open(location)
    if created:
        click.echo(f"ocf: created a new database at {location}", err=True)
    if real_data:
        refuse_real_data_in_demo(store, _cli_actor(), location)
    return store


_progress_shown = [False]


def _progress_line() -> Callable[[str, float], None] | None:
    """A progress line on stderr for long work, only when stderr is a terminal (a script or a
    log gets nothing but the result)."""
    if not sys.stderr.isatty():
        return None

    def show(words: str, done: float) -> None:
        _progress_shown[0] = True
        click.echo(f"\r{words} ({done:.0%})\x1b[K", err=True, nl=False)

    return show


def _end_progress_line() -> None:
    if _progress_shown[0]:
        click.echo("", err=True)
        _progress_shown[0] = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ocf")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Database file, before the command or after it (default: $OCF_DB, then data/ocf.db).",
)
@click.pass_context
def main(context: click.Context, db_path: str | None) -> None:
    """OCF assessment platform: race equality maturity and detention disparity."""
    context.obj = {"db": db_path}
    keep_freed_memory()


def _database(db_path: str | None) -> str:
    """--db after the command, else --db before it (`ocf --db X site list`), else the default."""
    if db_path is None:
        context = click.get_current_context(silent=True)
        root = context.find_root() if context else None
        db_path = (root.obj or {}).get("db") if root else None
    return resolve_path(db_path)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@db_option
@reports_errors
def validate(paths: tuple[str, ...], db_path: str | None) -> None:
    """Check framework and survey YAML (default: frameworks/ and surveys/)."""
    if paths:
        library = load_library(paths, known=load_shipped().frameworks)
    else:
        library = load_library([SHIPPED_FRAMEWORKS, SHIPPED_SURVEYS])
    click.echo(
        f"OK: {len(library.frameworks)} framework(s), {len(library.surveys)} survey(s) valid"
    )


@main.command()
@click.option("--force", is_flag=True, help="Replace an existing database.")
@click.option(
    "--seed", type=click.IntRange(0, 2**32 - 1), default=demo_module.SEED, show_default=True
)
@db_option
@reports_errors
def demo(force: bool, seed: int, db_path: str | None) -> None:
    """Create the demo database (synthetic data)."""
    path = _database(db_path)
    store = demo_module.create_demo(path, force=force, seed=seed)
    sites, rounds = len(store.sites.list_sites()), len(store.rounds.list_rounds())
    click.echo(f"Demo database written to {path}: {sites} sites, {rounds} rounds (synthetic data)")


# --------------------------------------------------------------------------- sites


@main.group()
def site() -> None:
    """Sites: trusts, ICBs and places."""


@site.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option(
    "--kind", type=click.Choice(["trust", "icb", "place"]), default="trust", show_default=True
)
@click.option("--parent", default=None, help="Code of the ICB or place it belongs to.")
@click.option("--cohort", default=None, help="Pilot cohort, e.g. pilot-1.")
@db_option
@reports_errors
def site_add(
    code: str, name: str, kind: str, parent: str | None, cohort: str | None, db_path: str | None
) -> None:
    """Add a site."""
    added = add_site(_store_to_add(db_path), _cli_actor(), code, name, kind, parent, cohort)
    click.echo(f"Added site {added.code}")


@site.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
@reports_errors
def site_import(file: str, db_path: str | None) -> None:
    """Add many sites from a CSV: code,name[,kind,parent,cohort]; all-or-nothing."""
    text = read_text(file)  # before the database is opened: a bad file creates nothing
    store = _store_to_add(db_path)
    added = add_sites(store, _cli_actor(), preview_sites(store, _cli_actor(), text, file))
    click.echo(f"Added {added} site(s) from {file}")


@site.command("list")
@db_option
@reports_errors
def site_list(db_path: str | None) -> None:
    """List sites as CSV."""
    columns = ["code", "name", "kind", "parent", "cohort"]
    rows = [[getattr(s, c) for c in columns] for s in _store(db_path).sites.list_sites()]
    click.echo(csv_text(pd.DataFrame(rows, columns=columns)), nl=False)


# --------------------------------------------------------------------------- rounds


@main.group("round")
def round_group() -> None:
    """Assessment rounds and their life cycle: open → closed → published."""


@round_group.command("add")
@click.argument("round_id")
@click.option(
    "--framework", "framework_ref", required=True, help="Shipped framework id or path to YAML."
)
@click.option(
    "--survey", "survey_refs", multiple=True, help="Shipped survey id or path to YAML; repeatable."
)
@click.option("--period", default=None, help="Data period the round links to, e.g. 2024-25.")
@click.option("--opens", default=None, help="Opening date, YYYY-MM-DD.")
@click.option("--closes", default=None, help="Closing date, YYYY-MM-DD.")
@db_option
@reports_errors
def round_add(
    round_id: str,
    framework_ref: str,
    survey_refs: tuple[str, ...],
    period: str | None,
    opens: str | None,
    closes: str | None,
    db_path: str | None,
) -> None:
    """Open a round, keeping a snapshot of its framework and surveys."""
    resolve_content(framework_ref, survey_refs)  # checked before a database is created
    content = open_new_round(
        _store_to_add(db_path, real_data=False),
        _cli_actor(),
        round_id,
        framework_ref,
        survey_refs,
        period,
        opens,
        closes,
    )
    names = ", ".join(s.id for s, _ in content.surveys)
    click.echo(
        f"Opened round {round_id}: {content.framework.id} v{content.framework.version}; surveys {names}"
    )


def _summary_lines(store: Store, round_id: str, action: str) -> list[str]:
    """What the change means, as the Rounds page says it before asking (said on stderr once it
    is done, so scripts reading the result line are unaffected); an empty round says so."""
    store.rounds.require_round(round_id)
    return round_summary(store, _cli_actor(), round_id).lines(action)


def _say(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"note: {line}", err=True)


def _status_command(action: str, help_text: str) -> None:
    @round_group.command(action, help=help_text)
    @click.argument("round_id")
    @db_option
    @reports_errors
    def command(round_id: str, db_path: str | None) -> None:
        store = _store(db_path)
        lines = _summary_lines(store, round_id, action)
        status = set_round_status(store, _cli_actor(), round_id, action)
        _say(lines)
        click.echo(f"Round {round_id} is now {status}")


_status_command("close", "Close a round: no more answers or imports.")


@round_group.command("publish")
@click.argument("round_id")
@click.option(
    "--reason",
    default="",
    help="Why it is published while an accountability gap has no response (kept in the audit log).",
)
@db_option
@reports_errors
def round_publish(round_id: str, reason: str, db_path: str | None) -> None:
    """Publish a closed round: regulators can see it. Every accountability gap needs the
    trust's response first, or a reason."""
    store = _store(db_path)
    lines = _summary_lines(store, round_id, "publish")
    status = set_round_status(store, _cli_actor(), round_id, "publish", reason)
    _say(lines)
    click.echo(f"Round {round_id} is now {status}")


@round_group.command("reopen")
@click.argument("round_id")
@click.option("--reason", required=True, help="Why it is reopened (kept in the audit log).")
@db_option
@reports_errors
def round_reopen(round_id: str, reason: str, db_path: str | None) -> None:
    """Reopen a closed or published round."""
    status = set_round_status(_store(db_path), _cli_actor(), round_id, "reopen", reason)
    click.echo(f"Round {round_id} is now {status}")


@round_group.command("list")
@db_option
@reports_errors
def round_list(db_path: str | None) -> None:
    """List rounds as CSV."""
    columns = ["id", "framework", "version", "status", "period"]
    rows = [
        [r.id, r.framework_id, r.framework_version, r.status, r.period]
        for r in _store(db_path).rounds.list_rounds()
    ]
    click.echo(csv_text(pd.DataFrame(rows, columns=columns)), nl=False)


# --------------------------------------------------------------------------- imports


@main.group("import")
def import_group() -> None:
    """Import responses and data from CSV files; all-or-nothing."""


@import_group.command("responses")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
@reports_errors
def import_responses_command(file: str, db_path: str | None) -> None:
    """Long-format answers: site,round,survey,respondent,item,value[,text]."""
    store = _store_to_add(db_path)
    with open_binary(file) as stream:
        responses = preview_responses(store, _cli_actor(), stream, file, _progress_line())
    count = confirm_responses(
        store, _cli_actor(), responses, assisted=False, progress=_progress_line()
    )
    _end_progress_line()
    click.echo(f"Imported {count} submission(s) from {Path(file).name}")


@import_group.command("actions")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
@reports_errors
def import_actions_command(file: str, db_path: str | None) -> None:
    """Action plans: site,round,competency,action,owner,due,status[,progress]. A row adds an
    action, or updates the one with the same site, round, competency and action."""
    text = read_text(file)
    added, updated = import_actions(_store_to_add(db_path), _cli_actor(), text, file)
    click.echo(f"Imported {added} new and {updated} changed action(s) from {Path(file).name}")


@main.group("actions")
def actions_group() -> None:
    """Action plans: each site's actions, their status and the round they came from."""


@actions_group.command("list")
@click.option("--site", default=None, help="Only this site.")
@click.option("--round", "round_id", default=None, help="Only this round.")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@db_option
@reports_errors
def actions_list(site: str | None, round_id: str | None, fmt: str, db_path: str | None) -> None:
    """List actions as CSV: site,round,competency,action,owner,due,status,carried_from."""
    frame = actions(_store(db_path), _cli_actor(), site.upper() if site else None, round_id)
    click.echo(csv_text(frame[LIST_COLUMNS].fillna("")), nl=False)


@main.group("evidence")
def evidence_group() -> None:
    """Evidence files and links behind a site's ratings (docs/cli.md)."""


@evidence_group.command("add")
@click.argument("site")
@click.option("--round", "round_id", required=True, help="An open round.")
@click.option("--competency", required=True, help="The competency the evidence is for.")
@click.option("--file", "file", default=None, type=click.Path(dir_okay=False), help="A file.")
@click.option("--link", default=None, help="A web address (https://…).")
@click.option("--title", default="", help="What the link is.")
@db_option
@reports_errors
def evidence_add(
    site: str,
    round_id: str,
    competency: str,
    file: str | None,
    link: str | None,
    title: str,
    db_path: str | None,
) -> None:
    """Add a file (checked by its content; at most 10 MB) or a link as evidence."""
    if (file is None) == (link is None):
        raise click.UsageError("give either --file or --link")
    store, actor = _store(db_path), _cli_actor()
    if file is not None:
        data = _read_bytes(file)
        evidence_id = add_evidence_file(
            store, actor, site.upper(), round_id, competency, Path(file).name, data
        )
    else:
        assert link is not None
        evidence_id = add_evidence_link(
            store, actor, site.upper(), round_id, competency, link, title
        )
    row = store.evidence.get_evidence(evidence_id)
    assert row is not None  # just added
    detail = f"SHA-256 {row['sha256']}" if row["kind"] == "file" else row["url"]
    click.echo(f"Added evidence {evidence_id} for {competency}: {row['name']} ({detail})")


def _read_bytes(file: str) -> bytes:
    try:
        with open(file, "rb") as handle:
            data = handle.read(MAX_EVIDENCE_BYTES + 1)  # no more than one byte past the limit
    except OSError as exc:
        raise StorageError(f"{file}: cannot read the file: {exc.strerror}") from None
    return data


@evidence_group.command("list")
@click.option("--site", required=True, help="The site.")
@click.option("--round", "round_id", required=True, help="The round.")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@db_option
@reports_errors
def evidence_list_command(site: str, round_id: str, fmt: str, db_path: str | None) -> None:
    """List evidence as CSV: id,site,round,competency,kind,name,url,media_type,size,sha256,
    added_by,added_at (never the files' bytes)."""
    frame = evidence_listing(_store(db_path), _cli_actor(), site.upper(), round_id)
    click.echo(csv_text(frame.astype(object).fillna("")), nl=False)


# --------------------------------------------------------------------------- accounts


def _cli_actor() -> Actor:
    """Whoever can run the command on the database file administers it."""
    return Actor("account", "admin", name=_actor())


@main.group()
def users() -> None:
    """Staff accounts: equality leads, facilitators, regulators, admins."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--site", default=None, help="The site of a lead or facilitator.")
@click.option("--email", default=None, help="For single sign-on (OIDC), when configured.")
@db_option
@reports_errors
def users_add(
    name: str, role: str, site: str | None, email: str | None, db_path: str | None
) -> None:
    """Add an account and print its access code once (only a hash is kept)."""
    store = _store_to_add(db_path)
    namesakes = [a for a in accounts(store, _cli_actor()) if a.name.casefold() == name.casefold()]
    code = add_account(store, _cli_actor(), name, role, site.upper() if site else None, email)
    for other in namesakes:  # a second account, not a changed one: say so
        click.echo(
            f"note: account {other.id} ({other.role}{', ' + other.site if other.site else ''}) "
            f"is also named {other.name!r}; this is a second account. Revoke one with "
            "`ocf users revoke ID` if that was not meant.",
            err=True,
        )
    click.echo(f"Added {role} {name!r}. Access code (shown once, keep it safe): {code}")


@users.command("list")
@db_option
@reports_errors
def users_list(db_path: str | None) -> None:
    """List active accounts as CSV (never their codes)."""
    columns = ["id", "name", "role", "site", "email"]
    rows = [[getattr(a, c) for c in columns] for a in accounts(_store(db_path), _cli_actor())]
    click.echo(csv_text(pd.DataFrame(rows, columns=columns)), nl=False)


@users.command("revoke")
@click.argument("account_id", type=ROW_ID)
@db_option
@reports_errors
def users_revoke(account_id: int, db_path: str | None) -> None:
    """Revoke an account: its code stops working at once, even mid-session."""
    revoke_account(_store(db_path), _cli_actor(), account_id)
    click.echo(f"Revoked account {account_id}")


@main.command()
@click.option("--site", required=True)
@click.option("--round", "round_id", required=True)
@click.option("--count", type=int, default=1, show_default=True)
@click.option("--survey", default=None, help="Panel survey id, when the round has several.")
@db_option
@reports_errors
def invite(site: str, round_id: str, count: int, survey: str | None, db_path: str | None) -> None:
    """Print COUNT single-use panel invitation codes for a site and round, one per line."""
    for code in issue_invitations(
        _store(db_path), _cli_actor(), site.upper(), round_id, count, survey
    ):
        click.echo(code)


@main.group()
def panel() -> None:
    """A site's panel: progress and closing (the facilitation page, on the command line)."""


@panel.command("close")
@click.argument("site")
@click.option("--round", "round_id", required=True)
@db_option
@reports_errors
def panel_close(site: str, round_id: str, db_path: str | None) -> None:
    """Close (freeze) SITE's panel: no answer can be added after, unsubmitted codes stop working."""
    revoked = close_panel(_store(db_path), _cli_actor(), site.upper(), round_id)
    click.echo(
        f"Panel of {site.upper()} closed for round {round_id}; {revoked} unsubmitted code(s) revoked."
    )


@panel.command("status")
@click.option("--round", "round_id", required=True)
@db_option
@reports_errors
def panel_status_command(round_id: str, db_path: str | None) -> None:
    """Each site's panel progress as CSV (counts only): site,issued,unused,started,submitted,
    revoked,paper,closed,closed_at."""
    table = panel_status(_store(db_path), _cli_actor(), round_id)
    click.echo(csv_text(table), nl=False)


@import_group.command("detentions")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "nhs-mha-annual", "template"]),
    default="auto",
    show_default=True,
)
@db_option
@reports_errors
def import_detentions_command(file: str, fmt: str, db_path: str | None) -> None:
    """Detention data by ethnic group: NHS England's MHA annual statistics CSV or the template."""
    store = _store_to_add(db_path)
    with open_binary(file) as stream:
        preview = preview_detentions(store, _cli_actor(), stream, file, fmt, _progress_line())
    preview.report.added, preview.report.replaced = confirm_detentions(store, _cli_actor(), preview)
    _end_progress_line()
    click.echo("\n".join(preview.report.lines()))


@main.command()
@click.option("--period", default=None, help="Data period, e.g. 2023-24 (default: every period).")
@click.option("--measure", default=DEFAULT_MEASURE, show_default=True)
@click.option("--focus", default=DEFAULT_FOCUS, show_default=True, help="Focus ethnic group.")
@click.option(
    "--reference", default=DEFAULT_REFERENCE, show_default=True, help="Reference ethnic group."
)
@click.option(
    "--method",
    type=click.Choice(["crude", "standardised"]),
    default="crude",
    show_default=True,
    help="standardised: the source's age- and sex-standardised rates and their ratio.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@db_option
@reports_errors
def disparity(
    period: str | None,
    measure: str,
    focus: str,
    reference: str,
    method: str,
    fmt: str,
    db_path: str | None,
) -> None:
    """Rates per 100,000 with 95% intervals and rate ratios by geography."""
    groups = {g: ethnicity.normalise(g) for g in (focus, reference)}
    unknown = [g for g, found in groups.items() if found is None or found[1] == ethnicity.UNKNOWN]
    if unknown:
        raise OcfError(
            f"unknown group {unknown[0]!r}; expected a higher group ("
            f"{', '.join(ethnicity.HIGHER_GROUPS)}) or a detailed category such as 'African'"
        )
    rows = _store(db_path).detentions.detentions_frame(period, measure)
    if rows.empty:
        raise OcfError(
            f"no detention data for measure {measure!r}"
            + (f" in {period}" if period else "")
            + "; see `ocf import detentions`"
        )
    chosen, against = groups[focus], groups[reference]
    assert chosen is not None and against is not None  # unknown groups are refused above
    table = disparity_table(rows, chosen[0], against[0], method)
    if method == "standardised" and (missing := table["rate_ratio"].isna().sum()):
        click.echo(
            f"note: {missing} of {len(table)} geographies have no standardised figure for these "
            "groups; their cells are empty (the crude figure is never used instead)",
            err=True,
        )
    table = _tidy_numbers(table)
    click.echo(
        csv_text(table) if fmt == "csv" else table.to_json(orient="records", indent=2),
        nl=fmt == "json",
    )


def _tidy_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers, derived populations to the nearest person, and rates, intervals
    and ratios to 6 decimal places (ample for 1-decimal published rates): no float noise such as
    2382008.3682008367 or 5693.0 in what people and scripts read."""
    table = table.copy()
    for role in ("focus", "reference"):
        table[f"{role}_count"] = table[f"{role}_count"].round().astype("Int64")
        table[f"{role}_population"] = table[f"{role}_population"].round().astype("Int64")
        for part in ("rate", "lower", "upper"):
            table[f"{role}_{part}"] = table[f"{role}_{part}"].astype(float).round(6)
    for column in ("rate_ratio", "ratio_lower", "ratio_upper"):
        table[column] = table[column].astype(float).round(6)
    return table


# --------------------------------------------------------------------------- scores


@main.command()
@click.option("--round", "round_id", required=True, help="Round id.")
@click.option("--site", default=None, help="Only this site.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@db_option
@reports_errors
def score(round_id: str, site: str | None, fmt: str, db_path: str | None) -> None:
    """Scores per competency, domain and overall: site,round,level,id,self,panel,panel_n,final,gap,flag."""
    table = scores_table(_store(db_path), round_id, site.upper() if site else None)
    if fmt == "csv":
        click.echo(csv_text(table), nl=False)
    else:
        click.echo(table.to_json(orient="records", indent=2))


# --------------------------------------------------------------------------- reports


@main.command()
@click.argument("site")
@click.option("--round", "round_id", required=True)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="The HTML file to write."
)
@click.option(
    "--audience",
    type=click.Choice(["board", "public"]),
    default="board",
    show_default=True,
    help="board: the board report; public: the summary for communities (published rounds).",
)
@force_option
@db_option
@reports_errors
def report(
    site: str, round_id: str, out: str, audience: str, force: bool, db_path: str | None
) -> None:
    """Write the board report (or the public summary) for a site and round: one
    self-contained, printable HTML file."""
    path = write_board_report(
        _store(db_path), _cli_actor(), site.upper(), round_id, out, audience, force
    )
    click.echo(f"{'Public summary' if audience == 'public' else 'Board report'} written to {path}")


@main.command()
@click.option("--round", "round_id", required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="FILE.xlsx or FILE.csv")
@force_option
@db_option
@reports_errors
def export(round_id: str, out: str, force: bool, db_path: str | None) -> None:
    """Export all scores for a round (suppression applied): CSV, or XLSX with a sheet per level."""
    path = export_round(_store(db_path), _cli_actor(), round_id, out, force)
    click.echo(f"Scores for round {round_id} written to {path}")


# --------------------------------------------------------------------------- safety


@main.command()
@click.option(
    "--entity", default=None, help="Only events about this (site, round, submission, account, …)."
)
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=100, show_default=True)
@click.option(
    "--verify",
    is_flag=True,
    help="Recompute the log's keyed hash chain: exit 1 if it was tampered with.",
)
@click.option(
    "--anchor",
    default=None,
    metavar="HEAD",
    help="With --verify: a head printed earlier (at least 16 characters); exit 1 unless the "
    "chain still holds it (entries removed from the end, or a rebuilt log, lose it).",
)
@db_option
@reports_errors
def audit(
    entity: str | None, limit: int, verify: bool, anchor: str | None, db_path: str | None
) -> None:
    """The audit log, newest first, as CSV: id,at,actor,action,entity,entity_id,before,after."""
    store = _store(db_path)
    if anchor is not None and not verify:
        raise click.UsageError("--anchor goes with --verify")
    if verify:
        check = audit_check(store, _cli_actor())
        if not check.intact:
            raise OcfError(check.summary())
        if anchor is not None and not check.holds(anchor):
            raise OcfError(
                f"audit log does not hold the anchor {anchor.strip()[:16]}: entries up to it "
                "were removed or the log was rebuilt (an anchor needs at least 16 characters)"
            )
        held = "" if anchor is None else f"; it holds the anchor {anchor.strip()[:16]}"
        click.echo(f"{check.summary()}{held}; full head {check.head}")
        return
    click.echo(csv_text(audit_log(store, _cli_actor(), entity, limit)), nl=False)


@main.command()
@click.option("--check", is_flag=True, help="Only say which steps are pending: exit 1 if any.")
@db_option
@reports_errors
def migrate(check: bool, db_path: str | None) -> None:
    """Bring the database's schema up to date (every `ocf` command and the app do so when they
    open it; this does it explicitly, after a backup: deployment.md, Upgrading)."""
    location = _database(db_path)
    if not Path(location).is_file():
        raise OcfError(f"no database at {location}; give --db PATH or set OCF_DB")
    pending = Store.pending_steps(location)
    if check:
        if pending:
            raise OcfError(f"{len(pending)} step(s) pending: {', '.join(pending)}")
        click.echo("The schema is up to date.")
        return
    Store.open(location).close()
    done = ", ".join(pending) if pending else "none: the schema was up to date"
    click.echo(f"Applied: {done}")


@main.group()
def retention() -> None:
    """Keep panel answers only as long as the records policy says (figures are kept)."""


def _period(store: Store, older_than: str | None) -> timedelta:
    text = older_than or retention_policy(store)
    if not text:
        raise OcfError(
            "no records policy period: give --older-than (such as 3y) or set one with "
            "`ocf retention policy PERIOD`"
        )
    return parse_period(text)


@retention.command("policy")
@click.argument("period")
@db_option
@reports_errors
def retention_policy_command(period: str, db_path: str | None) -> None:
    """Record the trust's records policy period (3y, 18m, 400d): what Rounds shows as due."""
    set_retention_policy(_store(db_path), _cli_actor(), period)
    click.echo(f"Records policy: panel answers kept for {period} after a round is published")


@retention.command("apply")
@click.option("--older-than", default=None, help="3y, 18m or 400d (default: the policy's).")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@db_option
@reports_errors
def retention_apply(older_than: str | None, dry_run: bool, db_path: str | None) -> None:
    """Delete the panel answers of rounds published longer ago than the policy, keeping each
    round's disclosed figures (and the audit of the deletion)."""
    store = _store(db_path)
    done = apply_retention(store, _cli_actor(), _period(store, older_than), dry_run=dry_run)
    if not done:
        click.echo("Nothing is due.")
    for item in done:
        verb = "would delete" if dry_run else "deleted"
        click.echo(
            f"Round {item.round} (published {when_day(item.published[:10])}): {verb} "
            f"{item.answers:,} panel answers; its figures are kept"
        )


def _agreed(question: str) -> bool:
    """A yes from the person at the terminal; no answer at all (no input) is a no."""
    try:
        return click.confirm(question, err=True)
    except click.Abort:
        return False


@main.command()
@click.argument("file", type=click.Path())
@click.option(
    "--keep",
    type=click.IntRange(1, 10_000),
    default=None,
    help="With FILE a folder: keep only the newest N backups there (for a timer: deployment.md).",
)
@db_option
@reports_errors
def backup(file: str, keep: int | None, db_path: str | None) -> None:
    """Copy the database to FILE while it is in use (SQLite's online backup). FILE may be a
    folder: the backup is then named ocf-YYYYMMDD-HHMMSS.db inside it."""
    store = _store(db_path, migrate=False)  # as it is: the copy to go back to before an upgrade
    folder = Path(file) if Path(file).is_dir() else None
    if keep is not None and folder is None:
        raise click.UsageError("--keep needs FILE to be a folder of backups")
    path = store.backup(folder / backup_name() if folder else file)
    click.echo(f"Backed up to {path}")
    if folder is not None and keep is not None:
        for old in rotate(folder, keep):
            click.echo(f"Removed the older backup {old}")
    if store.key_file is not None:
        click.echo(
            f"Keep a copy of the audit key {store.key_file} apart from the backups: a "
            "restore on another server needs it beside the database.",
            err=True,
        )


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--unchained",
    is_flag=True,
    help="Restore a backup made before the audit log was chained (nothing shows whether its "
    "log was changed); recorded in the audit log.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Restore a demo database (one-click sign-in as any role): only to show the demo.",
)
@click.option("--yes", is_flag=True, help="Do not ask: replace the database (for scripts).")
@db_option
@reports_errors
def restore(file: str, unchained: bool, demo: bool, yes: bool, db_path: str | None) -> None:
    """Replace the database with a backup, after checking the backup's integrity, schema and
    keyed audit chain (the audit key beside the database must be the one it was made with).
    Says what it replaces and with what, and asks first unless --yes."""
    Store.check_backup(file, unchained=unchained)  # before the target is even opened
    target = _database(db_path)
    if Path(target).is_file():
        click.echo(f"This replaces {target} ({Store.describe(target)})", err=True)
    click.echo(f"with the backup {file} ({Store.describe(file)}).", err=True)
    if not yes and not _agreed("Replace it?"):
        raise OcfError("nothing was restored")
    _store_to_add(db_path, real_data=False).restore_from(file, _cli_actor().label, unchained, demo)
    click.echo(f"Restored from {file}")


if __name__ == "__main__":
    main()
