"""Administration: sites, the round life cycle, published framework versions, accounts, and
import previews. Every function checks that an admin is acting; nothing is written before an
explicit call that writes (previews never write).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, cast

import pandas as pd

from ocf.access import (
    Actor,
    add_account,
    check_active,
    hash_code,
    new_code,
    refuse_real_data_in_demo,
)
from ocf.accountability import (
    carry_over,
    check_publishable,
    gaps_without_action,
    gaps_without_response,
    repeated_responses,
    repeated_sentence,
    track_plan,
)
from ocf.audit_chain import ChainCheck
from ocf.detention_import import ImportReport, read_detentions
from ocf.errors import ConflictError, DataError, PermissionDenied, Problem
from ocf.importers import (
    SITE_COLUMNS,
    SITE_REQUIRED,
    Progress,
    arguments_table,
    as_stream,
    bytes_left,
    parent_cycle,
    read_table,
    site_problems,
    stream_rows,
    validate_sites,
)
from ocf.loading import Library, load_shipped, parse_framework, parse_survey, plain_data
from ocf.models import Account, Framework, Response, Site, SiteKind, Survey
from ocf.permissions import ensure
from ocf.response_import import Respondents, ResponseBatch, read_responses
from ocf.rounds import RoundContent, change_status, open_round, resolve_content
from ocf.store import AUDIT_COLUMNS, Store

__all__ = [
    "Candidate",
    "DetentionPreview",
    "RoundSummary",
    "accounts",
    "add_site",
    "add_sites",
    "audit_check",
    "audit_filters",
    "audit_log",
    "check_content",
    "confirm_detentions",
    "confirm_responses",
    "content_library",
    "create_account",
    "diff_frameworks",
    "edit_site",
    "framework_versions",
    "open_new_round",
    "preview_detentions",
    "preview_responses",
    "preview_sites",
    "publish",
    "reset_code",
    "retire_site",
    "revoke_account",
    "round_summary",
    "self_assessments",
    "set_round_status",
]


def _ensure(store: Store, actor: Actor, action: str) -> None:
    check_active(store, actor)
    ensure(actor, action)


# --------------------------------------------------------------------------- sites


def preview_sites(store: Store, actor: Actor, text: str, source: str = "upload") -> list[Site]:
    """The sites a CSV would add (parents first); DataError lists every bad row. Writes nothing."""
    _ensure(store, actor, "manage-sites")
    return validate_sites(read_table(source, SITE_COLUMNS, SITE_REQUIRED, text=text), store)


def add_sites(store: Store, actor: Actor, sites: list[Site]) -> int:
    _ensure(store, actor, "manage-sites")
    refuse_real_data_in_demo(store, actor)
    return store.sites.add_sites(sites, actor.label)


def add_site(
    store: Store,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    parent: str | None,
    cohort: str | None,
) -> Site:
    _ensure(store, actor, "manage-sites")
    sites = validate_sites(
        arguments_table(
            "new site",
            {"code": code, "name": name, "kind": kind, "parent": parent, "cohort": cohort},
        ),
        store,
    )
    store.sites.add_sites(sites, actor.label)
    return sites[0]


def edit_site(
    store: Store,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    parent: str | None,
    cohort: str | None,
) -> Site:
    """Change a site's name, kind, parent or cohort (its code, which data refer to, stays)."""
    _ensure(store, actor, "manage-sites")
    site = Site(  # the kind is checked below with the rest (site_problems)
        code,
        name.strip(),
        cast(SiteKind, kind),
        (parent or "").upper() or None,
        (cohort or "").strip() or None,
    )
    kinds = {s.code: s.kind for s in store.sites.list_sites(include_retired=True)}
    problems = [
        Problem(code, message, field=field)
        for field, message in site_problems(site, kinds, "add it first")
    ]
    parents = {s.code: s.parent for s in store.sites.list_sites(include_retired=True)}
    if cycle := parent_cycle(code, {**parents, code: site.parent}):
        problems.append(Problem(code, f"the parents would make a cycle ({cycle})", field="parent"))
    if problems:
        raise DataError(problems)
    store.sites.update_site(site, actor.label)
    return site


def retire_site(store: Store, actor: Actor, code: str) -> None:
    """Retire a site: it leaves the lists but keeps its history. Sites are never deleted."""
    _ensure(store, actor, "manage-sites")
    store.sites.retire_site(code, actor.label)


# --------------------------------------------------------------------------- rounds


def open_new_round(
    store: Store,
    actor: Actor,
    round_id: str,
    framework: str,
    surveys: Sequence[str],
    period: str | None,
    opens: str | None = None,
    closes: str | None = None,
) -> RoundContent:
    """Open a round on a framework and surveys (shipped, published in the app, or YAML paths)."""
    _ensure(store, actor, "manage-rounds")
    content = resolve_content(framework, surveys, content_library(store))
    open_round(
        store, round_id, content, actor.label, period=period or None, opens=opens, closes=closes
    )
    carry_over(store, round_id, actor.label)  # unfinished actions move into the new round
    return content


@dataclass(frozen=True)
class RoundSummary:
    """What an admin should know before closing, publishing or reopening a round."""

    round_id: str
    unsubmitted: tuple[str, ...]  # assessed sites whose self-assessment is not submitted
    panels_open: tuple[str, ...]  # sites whose panel still takes answers
    panels_closed: int
    # site → competencies flagged accountability_gap with no response from the trust yet
    gaps_unanswered: dict[str, list[str]] = field(default_factory=dict)
    # Names to say them by: site code → name, competency id → title.
    site_names: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    answered: bool = True  # False: nobody has answered anything in the round
    # site → groups of competencies given (nearly) the same response (repeated_responses)
    repeated: dict[str, list[list[str]]] = field(default_factory=dict)
    # site → gaps answered with no action tracked for them (gaps_without_action)
    unplanned: dict[str, list[str]] = field(default_factory=dict)

    @property
    def needs_reason(self) -> bool:
        """Publishing needs a reason while an accountability gap has no response."""
        return bool(self.gaps_unanswered)

    def _site(self, code: str) -> str:
        return f"{self.site_names.get(code, code)} ({code})"

    def lines(self, action: str) -> list[str]:
        """The consequences of `action` (close, publish or reopen), in words."""
        lines = (
            []
            if self.answered
            else [f"Round {self.round_id} has no answers at all: no site has taken part."]
        )
        if self.unsubmitted:
            lines.append(
                f"{_count(len(self.unsubmitted), 'site has', 'sites have')} not submitted a "
                "self-assessment: " + ", ".join(self._site(s) for s in self.unsubmitted)
            )
        if action == "close" and self.panels_open:
            lines.append(
                f"{_count(len(self.panels_open), 'panel is', 'panels are')} still open and will "
                "close for good, their unused codes revoked: "
                + ", ".join(self._site(s) for s in self.panels_open)
            )
        if action == "publish":
            lines.append("Regulators will see every site's results for this round.")
            if self.gaps_unanswered:
                listed = "; ".join(
                    f"{self._site(site)}: {', '.join(self.titles.get(i, i) for i in ids)}"
                    for site, ids in sorted(self.gaps_unanswered.items())
                )
                lines.append(
                    "Accountability gaps without the trust's response, so publishing needs a "
                    f"reason (kept in the audit log and shown with the results): {listed}"
                )
        if action == "publish":
            if self.unplanned:
                listed = "; ".join(
                    f"{self._site(site)}: {', '.join(self.titles.get(i, i) for i in ids)}"
                    for site, ids in sorted(self.unplanned.items())
                )
                lines.append(f"Gaps answered with no action to follow them: {listed}")
            for site, groups in sorted(self.repeated.items()):
                lines.append(f"{self._site(site)}: {repeated_sentence(groups, self.titles)}")
        if action == "reopen":
            closed = _count(self.panels_closed, "closed panel stays", "closed panels stay")
            lines.append(f"Self-assessments can be changed again; the {closed} closed.")
        return lines


def _count(n: int, one: str, many: str) -> str:
    """'1 site has', '3 sites have': a count with its words agreeing."""
    return f"{n} {one if n == 1 else many}"


def round_summary(store: Store, actor: Actor, round_id: str) -> RoundSummary:
    _ensure(store, actor, "manage-rounds")
    store.rounds.require_round(round_id)
    self_surveys = {
        s.id for s in store.rounds.round_surveys(round_id).values() if s.audience == "self"
    }
    submissions = store.submissions.list_submissions(round_id)
    own = submissions[submissions["survey"].isin(self_surveys)]
    submitted = set(own.loc[own["status"] == "submitted", "site"])
    invited = set(store.panels.invitation_statuses(None, round_id)["site"])
    assessed = set(submissions["site"]) | invited
    closures = store.panels.panel_closures(round_id)
    panel_sites = invited | set(submissions.loc[~submissions["survey"].isin(self_surveys), "site"])
    return RoundSummary(
        round_id,
        tuple(sorted(assessed - submitted)),
        tuple(sorted(panel_sites - set(closures))),
        len(closures),
        gaps_without_response(store, round_id),
        site_names={s.code: s.name for s in store.sites.list_sites(include_retired=True)},
        titles={c.id: c.title for c in store.rounds.round_framework(round_id).competencies},
        answered=not submissions.empty,
        repeated=repeated_responses(store.accountability.responses_frame(round_id)),
        unplanned=gaps_without_action(store, round_id),
    )


def set_round_status(
    store: Store, actor: Actor, round_id: str, action: str, reason: str = ""
) -> str:
    _ensure(store, actor, "manage-rounds")
    if action == "publish":
        check_publishable(store, round_id, reason)
    return change_status(store, round_id, action, actor.label, reason)


# --------------------------------------------------------------------------- frameworks and surveys


@dataclass(frozen=True)
class Candidate:
    """A validated framework or survey ready to publish."""

    kind: str
    id: str
    version: int
    text: str
    model: Framework | Survey


def content_library(store: Store) -> Library:
    """The shipped files plus every version published in the app (the latest wins by id)."""
    shipped = load_shipped()
    frameworks, surveys, texts = (
        dict(shipped.frameworks),
        dict(shipped.surveys),
        dict(shipped.texts),
    )
    for row in store.rounds.published_content():
        key = (row["kind"], row["id"])
        if row["kind"] == "framework":
            frameworks[row["id"]] = parse_framework(
                row["yaml"], f"published {row['id']} v{row['version']}"
            )
        else:
            surveys[row["id"]] = parse_survey(
                row["yaml"],
                f"published {row['id']} v{row['version']}",
                frameworks.get(_framework_of(row["yaml"])),
                snapshot=True,
            )
        texts[key] = row["yaml"]
    return Library(frameworks, surveys, texts)


def _framework_of(text: str) -> str:
    data = plain_data(text, "published")
    return data.get("framework", "") if isinstance(data, dict) else ""


def check_content(store: Store, actor: Actor, text: str, source: str) -> Candidate:
    """Validate uploaded YAML exactly as `ocf validate` does; ConfigError lists every problem."""
    _ensure(store, actor, "publish-content")
    data = plain_data(text, source)
    library = content_library(store)
    if isinstance(data, dict) and ("audience" in data or "sections" in data):
        survey = parse_survey(text, source, library.frameworks.get(_framework_of(text)))
        return Candidate("survey", survey.id, survey.version, text, survey)
    framework = parse_framework(text, source)  # raises the syntax or content problems
    return Candidate("framework", framework.id, framework.version, text, framework)


def publish(store: Store, actor: Actor, candidate: Candidate) -> None:
    """Publish a new version. A version number, once used, is never reused for other content."""
    _ensure(store, actor, "publish-content")
    library = content_library(store)
    current = (library.frameworks if candidate.kind == "framework" else library.surveys).get(
        candidate.id
    )
    if current is not None and candidate.version <= current.version:
        raise ConflictError(
            f"{candidate.kind} {candidate.id} is at version {current.version}; a new version needs a higher number"
        )
    store.rounds.publish_content(
        candidate.kind, candidate.id, candidate.version, candidate.text, actor.label
    )


def framework_versions(store: Store) -> dict[str, Framework]:
    """Every framework version there is to compare, by a label: current, published, per round."""
    versions = {f"{fw.id} (current)": fw for fw in content_library(store).frameworks.values()}
    for row in store.rounds.published_content():
        if row["kind"] == "framework":
            label = f"{row['id']} v{row['version']} (published)"
            versions[label] = parse_framework(row["yaml"], label)
    for round_ in store.rounds.list_rounds():
        framework = store.rounds.round_framework(round_.id)
        versions.setdefault(f"{framework.id} v{framework.version} (round {round_.id})", framework)
    return versions


def diff_frameworks(old: Framework, new: Framework) -> pd.DataFrame:
    """Competencies added, removed or reworded (title, kind, weight or level descriptors)."""
    before = {c.id: c for c in old.competencies}
    after = {c.id: c for c in new.competencies}
    rows = []
    for cid in sorted(
        before.keys() | after.keys(),
        key=lambda c: [x.id for x in (*old.competencies, *new.competencies)].index(c),
    ):
        a, b = before.get(cid), after.get(cid)
        if a is None:
            assert b is not None  # each id is in one version or both
            rows.append({"competency": cid, "change": "added", "before": "", "after": b.title})
        elif b is None:
            rows.append({"competency": cid, "change": "removed", "before": a.title, "after": ""})
        else:
            changed = [
                f
                for f in ("title", "kind", "weight", "levels", "evidence", "tags")
                if getattr(a, f) != getattr(b, f)
            ]
            if changed:
                rows.append(
                    {
                        "competency": cid,
                        "change": "reworded: " + ", ".join(changed),
                        "before": a.title,
                        "after": b.title,
                    }
                )
    return pd.DataFrame(rows, columns=["competency", "change", "before", "after"])


# --------------------------------------------------------------------------- accounts


def create_account(
    store: Store, actor: Actor, name: str, role: str, site: str | None, email: str | None
) -> str:
    return add_account(store, actor, name, role, site, email or None)


def reset_code(store: Store, actor: Actor, account_id: int) -> str:
    """A new code for an account (the old one stops working); shown once."""
    _ensure(store, actor, "manage-accounts")
    code = new_code()
    store.accounts.replace_code(account_id, hash_code(store, code), actor.label)
    return code


def revoke_account(store: Store, actor: Actor, account_id: int) -> None:
    _ensure(store, actor, "manage-accounts")
    store.accounts.revoke_account(account_id, actor.label)


def accounts(store: Store, actor: Actor) -> list[Account]:
    """Active accounts (never their codes), for an admin."""
    _ensure(store, actor, "manage-accounts")
    return store.accounts.list_accounts()


def self_assessments(store: Store, actor: Actor, round_id: str) -> pd.DataFrame:
    """A round's self-assessment submissions (never the panel's), for an admin."""
    _ensure(store, actor, "manage-submissions")
    surveys = {s.id for s in store.rounds.round_surveys(round_id).values() if s.audience == "self"}
    table = store.submissions.list_submissions(round_id)
    return table[table["survey"].isin(surveys)]


# --------------------------------------------------------------------------- audit


def audit_log(
    store: Store,
    actor: Actor,
    entity: str | None = None,
    limit: int = 200,
    by: str | None = None,
    action: str | None = None,
) -> pd.DataFrame:
    """Audit entries, newest first (AUDIT_COLUMNS), for an admin."""
    _ensure(store, actor, "read-audit-log")
    return pd.DataFrame(store.audit.audit_events(entity, limit, by, action), columns=AUDIT_COLUMNS)


def audit_filters(store: Store, actor: Actor) -> tuple[list[str], list[str]]:
    """The entities and actions the log actually holds."""
    _ensure(store, actor, "read-audit-log")
    return store.audit.audit_vocabulary()


def audit_check(store: Store, actor: Actor) -> ChainCheck:
    """The audit log's hash chain, recomputed."""
    _ensure(store, actor, "read-audit-log")
    return store.check_audit_chain()


# --------------------------------------------------------------------------- imports with a preview


@dataclass(frozen=True)
class DetentionPreview:
    source: str  # the file's name, for messages and the audit log (never opened)
    records: Iterable[dict]  # a list, or TemplateRecords: columns, read row by row
    report: ImportReport
    adding: int
    replacing: int


def preview_detentions(
    store: Store,
    actor: Actor,
    text: str | bytes | BinaryIO,
    source: str = "upload",
    fmt: str = "auto",
    progress: Progress | None = None,
) -> DetentionPreview:
    """What importing a detention file (its text, bytes or a binary stream, read as it comes)
    would add, replace and skip. Writes nothing."""
    _ensure(store, actor, "import-data")
    records, report = read_detentions(source, store, fmt, stream=as_stream(text), progress=progress)
    periods = records.periods() if hasattr(records, "periods") else {r["period"] for r in records}
    existing = store.detentions.existing_detention_keys(periods)
    total, replacing = 0, 0
    for record in records:
        total += 1
        replacing += tuple(record[k] for k in store.detentions.DETENTION_KEY) in existing
    return DetentionPreview(source, records, report, total - replacing, replacing)


def confirm_detentions(store: Store, actor: Actor, preview: DetentionPreview) -> tuple[int, int]:
    _ensure(store, actor, "import-data")
    refuse_real_data_in_demo(store, actor)
    return store.detentions.upsert_detentions(
        preview.records, actor.label, preview.source, preview.report.totals
    )


def preview_responses(
    store: Store,
    actor: Actor,
    text: str | bytes | BinaryIO,
    source: str = "upload",
    progress: Progress | None = None,
) -> ResponseBatch:
    """Responses from a CSV (its text, bytes or a binary stream, read as it comes), validated
    whole (DataError lists every bad row). Writes nothing."""
    _ensure(store, actor, "import-data")
    stream = as_stream(text)
    rows = stream_rows(stream, source, bytes_left(stream), progress)
    return read_responses(rows, source, store, progress)


def confirm_responses(
    store: Store,
    actor: Actor,
    responses: ResponseBatch | list[Response],
    assisted: bool = True,
    progress: Progress | None = None,
) -> int:
    """Store previewed responses; paper returns keyed in by staff are marked `assisted`.

    Panel responses come in only through the operator's `ocf import responses`: an
    administrator in the app can read every result, and whoever can read a site's results
    never creates its panel answers (docs/security.md, Separation of duties)."""
    _ensure(store, actor, "import-data")
    refuse_real_data_in_demo(store, actor)
    keys = (
        responses.keys
        if isinstance(responses, ResponseBatch)
        else [(r.site, r.round, r.survey, r.respondent) for r in responses]
    )
    # An account signed in to the app, not the operator running `ocf` on the database file.
    if actor.account_id is not None and _any_panel(store, keys):
        raise PermissionDenied(
            "Panel responses are not imported here: an administrator can read every result, "
            "and whoever reads results never enters panel answers. Paper forms are keyed in by "
            "the site's facilitator and confirmed by a second person on Panel facilitation; a "
            "bulk import of panel responses is run by the database's operator with "
            "`ocf import responses`."
        )
    # The responses and their planned actions in one write: all or nothing.
    with store.write():
        added = _add_responses(store, actor, responses, assisted, progress)
        # An imported self-assessment's planned actions are tracked, as a submitted one's are.
        for site, round_id in sorted(_self_assessed(store, keys)):
            track_plan(store, site, round_id, actor.label)
    return added


def _add_responses(
    store: Store,
    actor: Actor,
    responses: ResponseBatch | list[Response],
    assisted: bool,
    progress: Progress | None,
) -> int:
    """Store the responses as submitted (a streamed batch or a list); how many were added."""
    if isinstance(responses, ResponseBatch):
        total = max(len(responses), 1)
        added = store.submissions.add_submitted(
            responses.responses(assisted=assisted),
            actor.label,
            keys=responses.keys,
            progress=None
            if progress is None
            else lambda n: progress(f"Saved {n:,} of {total:,} responses", n / total),
        )
    else:
        added = store.submissions.add_submitted(
            [
                Response(r.site, r.round, r.survey, r.respondent, r.answers, assisted=assisted)
                for r in responses
            ],
            actor.label,
        )
    return added


def _groups(keys) -> set[tuple[str, str, str]]:
    """The (site, round, survey) of (site, round, survey, respondent) keys: a big batch's from
    its few groups, without making a million respondents' keys."""
    if isinstance(keys, Respondents):
        return keys.group_keys()
    return {(site, round_id, survey) for site, round_id, survey, _ in keys}


def _audience(store: Store, round_id: str, survey: str) -> str | None:
    surveys = store.rounds.round_surveys(round_id)
    return surveys[survey].audience if survey in surveys else None


def _self_assessed(store: Store, keys) -> set[tuple[str, str]]:
    """The (site, round) pairs given a self-assessment among the keys."""
    return {(s, r) for s, r, survey in _groups(keys) if _audience(store, r, survey) == "self"}


def _any_panel(store: Store, keys) -> bool:
    """Whether any of the keys is a panel survey's."""
    return any(_audience(store, r, survey) == "panel" for _, r, survey in _groups(keys))
