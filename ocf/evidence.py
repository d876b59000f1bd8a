"""Evidence that can be checked: files and links behind a site's rating of each competency.

A file is accepted by what its bytes are, never by its name: PDF, Word and Excel (the Office
Open XML formats, without macros), OpenDocument text and spreadsheets, and PNG, JPEG and GIF
images, up to MAX_BYTES. A name that claims another type is refused as a disguised file. The
bytes are kept in the database with their SHA-256, so backups hold them and anyone with a copy
can check it is the same. A rating above the scale's lowest level (an obligation answered met
or partly met) with no file or link is marked NO_EVIDENCE wherever it shows
(docs/methods.md, Evidence).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import urlsplit

import pandas as pd

from ocf.access import Actor, check_active
from ocf.errors import ConflictError, DataError, NotFound, PermissionDenied, Problem
from ocf.models import Framework
from ocf.permissions import allowed, ensure
from ocf.store import Store

__all__ = [
    "ACCEPTED",
    "LONGEST_NAME",
    "LONGEST_URL",
    "MAX_BYTES",
    "NO_EVIDENCE",
    "WHAT_IS_ACCEPTED",
    "EvidenceFile",
    "Refused",
    "add_file",
    "add_link",
    "can_read",
    "check_file",
    "check_link",
    "evidence_table",
    "evidence_words",
    "given",
    "listing",
    "needs_evidence",
    "open_file",
    "remove",
    "size_words",
    "sniff",
]


MAX_BYTES = 10 * 1024 * 1024  # 10 MB: a board paper or a scanned report, not a video
NO_EVIDENCE = "no evidence given"
LONGEST_NAME = 200
LONGEST_URL = 2000

# Media type → (what people call it, the file name endings it may have).
ACCEPTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/pdf": ("PDF", (".pdf",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "Word document",
        (".docx",),
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "Excel workbook",
        (".xlsx",),
    ),
    "application/vnd.oasis.opendocument.text": ("OpenDocument text", (".odt",)),
    "application/vnd.oasis.opendocument.spreadsheet": ("OpenDocument spreadsheet", (".ods",)),
    "image/png": ("PNG image", (".png",)),
    "image/jpeg": ("JPEG image", (".jpg", ".jpeg")),
    "image/gif": ("GIF image", (".gif",)),
}
WHAT_IS_ACCEPTED = "a PDF, Word (.docx), Excel (.xlsx), OpenDocument or PNG, JPEG or GIF file"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97–2003, Excel 97–2003, and their macros
# Where an OpenDocument file keeps macros, their dialogs and scripts: refused like .docm.
_ODF_MACRO_PARTS = ("Basic/", "Scripts/", "Dialogs/")
_SMALL_PART = 1024 * 1024  # a zip's [Content_Types].xml or mimetype is read only if this small


class Refused(ValueError):
    """A file the platform will not keep, and why (in words for the person who chose it)."""


def sniff(data: bytes) -> str:
    """The media type of `data` by its content; Refused if it is none of ACCEPTED."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if data.startswith(_OLE):
        raise Refused(
            "it is an old-style Office file (Word or Excel 97–2003), which can hide macros; "
            "save it as .docx, .xlsx or PDF"
        )
    raise Refused(f"its content is not {WHAT_IS_ACCEPTED} (the content is checked, not the name)")


def _zip_type(data: bytes) -> str:
    """Office Open XML and OpenDocument files are zip archives; their parts say which. Only
    the small part naming the type is read, never the whole archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
            kind = archive.read("mimetype").decode("ascii", "replace").strip()
            if kind in ACCEPTED and any(n.startswith(_ODF_MACRO_PARTS) for n in names):
                raise Refused(
                    "it contains macros or scripts (Basic, Python or JavaScript); save it "
                    "without them (.odt or .ods)"
                )
            if kind in ACCEPTED:
                return kind
        elif "[Content_Types].xml" in names:
            if archive.getinfo("[Content_Types].xml").file_size > _SMALL_PART:
                raise Refused("its Office content list is too large to be a real document")
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            if "macroEnabled" in types or "vbaProject" in types:
                raise Refused("it contains macros; save it without macros (.docx or .xlsx)")
            if "word/document.xml" in names:
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if "xl/workbook.xml" in names:
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError):
        raise Refused("it looks like a zip archive but cannot be read as one") from None
    raise Refused(f"it is a zip archive, not {WHAT_IS_ACCEPTED}")


def check_file(name: str, data: bytes) -> tuple[str, str]:
    """A clean file name and the sniffed media type; Refused says what is wrong."""
    clean = _clean_name(name)
    if not data:
        raise Refused("the file is empty")
    if len(data) > MAX_BYTES:
        raise Refused(f"it is {size_words(len(data))}; the limit is {size_words(MAX_BYTES)}")
    media_type = sniff(data)
    label, endings = ACCEPTED[media_type]
    ending = PurePath(clean).suffix.lower()
    if ending not in endings:
        raise Refused(
            f"its name ends {ending or 'without a type'} but its content is a {label}; a file "
            f"whose name and content disagree is refused (rename it {PurePath(clean).stem}"
            f"{endings[0]} if it is the right file)"
        )
    return clean, media_type


def _clean_name(name: str) -> str:
    """The last part of a path, without control characters, at most LONGEST_NAME."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if not base:
        raise Refused("the file has no name")
    return base[-LONGEST_NAME:]


def check_link(url: str, title: str = "") -> tuple[str, str]:
    """A web address (http or https, with a host) and its title (the address if none)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url[:80]!r} is not a web address; expected one starting https://")
    if len(url) > LONGEST_URL or any(ch.isspace() for ch in url):
        raise Refused(f"a web address has no spaces and at most {LONGEST_URL} characters")
    title = " ".join((title or "").split())[:LONGEST_NAME]
    return url, title or url


def size_words(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size, 1) / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"
    return f"{size / (1024 * 1024):.1f} MB"


# --------------------------------------------------------------------------- who may do what


def _require_writer(store: Store, actor: Actor, site: str, round_id: str, competency: str) -> None:
    """The site's lead or an admin, while the round is open, for a competency of its framework."""
    check_active(store, actor)
    ensure(actor, "self-assess", site=site)
    store.sites.require_site(site)
    round_ = store.rounds.require_round(round_id)
    if round_.status != "open":
        raise ConflictError(
            f"round {round_id} is {round_.status}; evidence is added while a round is open"
        )
    if competency not in {c.id for c in store.rounds.round_framework(round_id).competencies}:
        raise DataError(
            [
                Problem(
                    "evidence",
                    f"no competency {competency!r} in round {round_id}",
                    field="competency",
                )
            ]
        )


def can_read(store: Store, actor: Actor, site: str, round_id: str) -> bool:
    """The site's own lead and facilitator, regulators once the round is published, admins."""
    round_ = store.rounds.get_round(round_id)
    if round_ is None or actor.kind != "account":
        return False
    return allowed(actor, "view-evidence", site, round_)


def _require_reader(store: Store, actor: Actor, site: str, round_id: str) -> None:
    check_active(store, actor)
    if not can_read(store, actor, site, round_id):
        raise PermissionDenied(f"you cannot open the evidence of {site} for round {round_id}")


# --------------------------------------------------------------------------- operations


def add_file(
    store: Store, actor: Actor, site: str, round_id: str, competency: str, name: str, data: bytes
) -> int:
    """Keep a file of evidence; DataError (naming the file) if it is refused, nothing kept."""
    _require_writer(store, actor, site, round_id, competency)
    try:
        clean, media_type = check_file(name, data)
    except Refused as why:
        raise DataError([Problem(_clean_or(name), str(why))]) from None
    return store.evidence.add_evidence(
        {
            "site": site,
            "round": round_id,
            "competency": competency,
            "kind": "file",
            "name": clean,
            "media_type": media_type,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "content": data,
        },
        actor.label,
    )


def _clean_or(name: str) -> str:
    try:
        return _clean_name(name)
    except Refused:
        return "file"


def add_link(
    store: Store,
    actor: Actor,
    site: str,
    round_id: str,
    competency: str,
    url: str,
    title: str = "",
) -> int:
    _require_writer(store, actor, site, round_id, competency)
    try:
        url, title = check_link(url, title)
    except Refused as why:
        raise DataError([Problem("link", str(why), field="address")]) from None
    record = {"site": site, "round": round_id, "competency": competency, "kind": "link"}
    return store.evidence.add_evidence({**record, "name": title, "url": url}, actor.label)


def remove(store: Store, actor: Actor, evidence_id: int) -> None:
    row = store.evidence.get_evidence(evidence_id)
    if row is None:
        raise NotFound(f"no evidence {evidence_id}")
    _require_writer(store, actor, row["site"], row["round"], row["competency"])
    store.evidence.remove_evidence(evidence_id, actor.label)


def listing(store: Store, actor: Actor, site: str, round_id: str) -> pd.DataFrame:
    """The site's evidence in a round, without the bytes."""
    _require_reader(store, actor, site, round_id)
    return store.evidence.evidence_frame(round_id, site)


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    media_type: str
    content: bytes
    sha256: str


def open_file(store: Store, actor: Actor, evidence_id: int) -> EvidenceFile:
    """A file's bytes for someone who may read it, checked against its SHA-256 on the way out."""
    row = store.evidence.get_evidence(evidence_id)
    if row is None or row["kind"] != "file":
        raise NotFound(f"no evidence file {evidence_id}")
    _require_reader(store, actor, row["site"], row["round"])
    content = bytes(row["content"])
    if hashlib.sha256(content).hexdigest() != row["sha256"]:
        raise ConflictError(f"evidence file {evidence_id} does not match its SHA-256; restore it")
    return EvidenceFile(row["name"], row["media_type"], content, row["sha256"])


# --------------------------------------------------------------------------- as read


def given(evidence: pd.DataFrame) -> dict[str, str]:
    """Per competency, what evidence there is in words: '2 files, 1 link'."""
    words = {}
    for competency, rows in evidence.groupby("competency", sort=False):
        counts = rows["kind"].value_counts()
        parts = [
            f"{counts[kind]} {kind}{'s' if counts[kind] > 1 else ''}"
            for kind in ("file", "link")
            if kind in counts
        ]
        words[competency] = ", ".join(parts)
    return words


def needs_evidence(framework: Framework, competency: str, rating: str | float | None) -> bool:
    """A rating above the scale's lowest level, or an obligation met or partly met."""
    if rating is None or (isinstance(rating, float) and pd.isna(rating)) or rating == "":
        return False
    if framework.competency(competency).is_obligation:
        return rating in ("met", "partly")
    return float(rating) > framework.scale.minimum


def evidence_words(
    framework: Framework, competency: str, rating: str | float | None, words: dict[str, str]
) -> str:
    """What a rating's evidence column says: the files and links, NO_EVIDENCE, or '–'."""
    if competency in words:
        return words[competency]
    return NO_EVIDENCE if needs_evidence(framework, competency, rating) else "–"


def evidence_table(evidence: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """Evidence as read in reports: Competency, Evidence, What, SHA-256 or address."""
    return pd.DataFrame(
        {
            "Competency": evidence["competency"].map(lambda c: titles.get(c, c)),
            "Evidence": evidence["name"],
            "What": [
                f"{ACCEPTED.get(t, (t,))[0]}, {size_words(int(s))}" if k == "file" else "Link"
                for k, t, s in zip(
                    evidence["kind"],
                    evidence["media_type"],
                    evidence["size"].fillna(0),
                    strict=True,
                )
            ],
            "SHA-256 or address": evidence["sha256"].where(
                evidence["kind"] == "file", evidence["url"]
            ),
        }
    )
