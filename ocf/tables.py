"""Tables as people read them: their words, local dates, no raw codes, "None" or JSON.

Pages show these; exports and `ocf` listings keep the raw forms (ISO timestamps in UTC,
identifiers, JSON), which scripts rely on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from ocf.models import Account, Round, Site

__all__ = [
    "HOME_ZONE",
    "ROLE_TITLES",
    "SITE_KINDS",
    "STATUSES",
    "accounts_table",
    "audit_table",
    "change_words",
    "invitations_table",
    "rounds_table",
    "sites_table",
    "submissions_table",
    "when",
    "when_day",
    "who",
    "zone_of",
]


HOME_ZONE = "Europe/London"  # when the browser does not say where it is
ROLE_TITLES = {
    "lead": "Equality lead",
    "facilitator": "Panel facilitator",
    "regulator": "Regulator",
    "admin": "Administrator",
}
SITE_KINDS = {"trust": "Trust", "icb": "ICB", "place": "Place"}
STATUSES = {
    "open": "Open",
    "closed": "Closed",
    "published": "Published",
    "draft": "Draft",
    "submitted": "Submitted",
    "unused": "Not used yet",
    "started": "Started",
    "revoked": "Revoked",
}
_AUDIT_ACTIONS = {
    "add": "added",
    "status": "changed the status of",
    "save": "saved",
    "submit": "submitted",
    "reopen": "reopened",
    "issue": "issued codes for",
    "revoke": "revoked",
    "close": "closed",
    "import": "imported",
    "update": "changed",
    "edit": "changed",
    "retire": "retired",
    "publish": "published",
    "reset": "reset",
    "restore": "restored",
    "carry": "carried over to the next round",
    "remove": "removed",
    "review": "reviewed",
    "reset code": "reset the code of",
    "key paper form": "keyed in a paper form for",
    "confirm paper form": "confirmed a paper form for",
    "discard paper form": "discarded a paper form for",
}
_WHO = {"demo": "Demo set-up", "migration": "Database upgrade", "admin:system": "System"}


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or HOME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(HOME_ZONE)


def when(stamp: str | None, zone: str | None = None) -> str:
    """'28 Nov 2026, 14:05' in the reader's time zone; '' for no time."""
    if stamp is None or (isinstance(stamp, float) and pd.isna(stamp)) or stamp == "":
        return ""
    moment = datetime.fromisoformat(str(stamp))
    local = moment.astimezone(zone_of(zone)) if moment.tzinfo else moment
    return f"{local.day} {local:%b %Y, %H:%M}"


def when_day(day: str | None) -> str:
    """'31 Mar 2026' for an ISO date; '' for none."""
    if not isinstance(day, str) or not day:
        return ""
    try:
        moment = datetime.fromisoformat(day)
    except ValueError:  # not a date (an older answer typed as words): shown as written
        return day
    return f"{moment.day} {moment:%b %Y}"


def who(label: str) -> str:
    """An audit actor label in words: 'admin:4:Ada Obi' → 'Ada Obi (Administrator)'."""
    if label in _WHO:
        return _WHO[label]
    parts = label.split(":", 2)
    if parts[0] == "panel":
        return "A panel member"  # never which one
    if parts[0] in ROLE_TITLES:
        name = parts[-1]
        return f"{name} ({ROLE_TITLES[parts[0]]})" if len(parts) > 1 else ROLE_TITLES[parts[0]]
    return label


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in value.items())
    return str(STATUSES.get(value, value)) if isinstance(value, str) else str(value)


def change_words(before: str | None, after: str | None) -> str:
    """What an audit entry changed, in words: 'status: Closed → Published; rows: 96'."""
    old, new = _json(before), _json(after)
    if isinstance(old, dict) or isinstance(new, dict):  # an entry added or removed: compare
        old, new = old if old is not None else {}, new if new is not None else {}  # with none
    if not isinstance(old, dict) or not isinstance(new, dict):
        return " → ".join(_value(v) for v in (old, new) if v is not None)
    words = []
    for key in dict.fromkeys([*old, *new]):
        name = key.replace("_", " ")
        if key in old and key in new:
            if old[key] != new[key]:
                words.append(f"{name}: {_value(old[key])} → {_value(new[key])}")
        elif key in new:
            if new[key] is not None:
                words.append(f"{name}: {_value(new[key])}")
        else:
            words.append(f"{name}: was {_value(old[key])}")
    return "; ".join(words)


def _json(text: str | None) -> object:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def audit_table(events: pd.DataFrame, zone: str | None = None) -> pd.DataFrame:
    """The audit log as sentences (its CSV download keeps the raw columns)."""
    rows = [
        {
            "When": when(e.at, zone),
            "Who": who(e.actor),
            "Did": _AUDIT_ACTIONS.get(e.action, e.action.replace("_", " ")),
            "What": e.entity.replace("_", " "),
            "Which": "" if e.entity_id is None or pd.isna(e.entity_id) else str(e.entity_id),
            "Details": change_words(e.before, e.after),
        }
        for e in events.itertuples()
    ]
    return pd.DataFrame(rows, columns=["When", "Who", "Did", "What", "Which", "Details"])


def sites_table(sites: Iterable[Site], zone: str | None = None) -> pd.DataFrame:
    rows = [
        {
            "Code": s.code,
            "Name": s.name,
            "Kind": SITE_KINDS.get(s.kind, s.kind),
            "Part of": s.parent or "",
            "Cohort": s.cohort or "",
            "Retired": when(s.retired_at, zone),
        }
        for s in sites
    ]
    return pd.DataFrame(rows, columns=["Code", "Name", "Kind", "Part of", "Cohort", "Retired"])


def accounts_table(accounts: Iterable[Account], zone: str | None = None) -> pd.DataFrame:
    rows = [
        {
            "Name": a.name,
            "Role": ROLE_TITLES.get(a.role, a.role),
            "Site": a.site or "",
            "Email": a.email or "",
            "Created": when(a.created_at, zone),
        }
        for a in accounts
    ]
    return pd.DataFrame(rows, columns=["Name", "Role", "Site", "Email", "Created"])


def rounds_table(rounds: Iterable[Round], titles: Mapping[str, str]) -> pd.DataFrame:
    """Rounds with their framework's title and version (`titles`: framework id → title)."""
    rows = [
        {
            "Round": r.id,
            "Framework": f"{titles.get(r.framework_id, r.framework_id)}, version "
            f"{r.framework_version}",
            "Status": STATUSES.get(r.status, r.status),
            "Data period": r.period or "",
        }
        for r in rounds
    ]
    return pd.DataFrame(rows, columns=["Round", "Framework", "Status", "Data period"])


def submissions_table(frame: pd.DataFrame, zone: str | None = None) -> pd.DataFrame:
    """Self-assessment submissions: number, site, status, version, last saved, submitted."""
    return pd.DataFrame(
        {
            "Number": frame["id"],
            "Site": frame["site"],
            "Status": frame["status"].map(lambda s: STATUSES.get(s, s)),
            "Version": frame["version"],
            "Last saved": frame["updated_at"].map(lambda t: when(t, zone)),
            "Submitted": frame["submitted_at"].map(lambda t: when(t, zone)),
        }
    ).reset_index(drop=True)


def invitations_table(
    frame: pd.DataFrame, survey_titles: Mapping[str, str], zone: str | None = None
) -> pd.DataFrame:
    """A panel's invitations: their number, survey, when issued and state (never answers)."""
    return pd.DataFrame(
        {
            "Code number": frame["id"],
            "Survey": frame["survey"].map(lambda s: survey_titles.get(s, s)),
            "Issued": frame["created_at"].map(lambda t: when(t, zone)),
            "Status": frame["status"].map(lambda s: STATUSES.get(s, s)),
        }
    ).reset_index(drop=True)
