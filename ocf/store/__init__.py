"""The only package that touches SQLite (with `ocf/migrations.py`).

One `Store` per script run (Streamlit reruns included) wraps a sqlite-utils Database with WAL,
a busy timeout and foreign keys on, and applies pending migrations when it opens. Every write
goes through `Store.write()`, a `BEGIN IMMEDIATE` transaction: it takes the write lock up
front, so two writers queue instead of failing half-way, and it either commits whole or not
at all.

`Store` is one facade over a module per aggregate:

    connection   opening, migrations, transactions, backup and restore, the audit writer, meta
    sites        trusts, ICBs and places
    rounds       rounds, their snapshots, published content
    submissions  drafts, submits and answers; a round's answers for scoring
    accounts     staff accounts, failed sign-in attempts
    panels       invitation codes and panel closures
    sessions     signed-in sessions (hashes of their tokens)
    accountability  the trust's responses to its panel, its actions and their progress
    evidence     evidence files (their bytes) and links for a site's ratings
    comments     free-text panel answers and the facilitator's reviews of them
    detentions   detention observations
    audit        reading the audit log
"""

from __future__ import annotations

from ocf.store.accountability import AccountabilityStore
from ocf.store.accounts import AccountStore
from ocf.store.audit import AuditStore
from ocf.store.comments import CommentStore
from ocf.store.connection import (
    AUDIT_COLUMNS,
    BUSY_TIMEOUT_MS,
    DEFAULT_DB,
    now,
    resolve_path,
)
from ocf.store.detentions import DetentionStore
from ocf.store.evidence import EvidenceStore
from ocf.store.panels import PanelStore
from ocf.store.rounds import RoundStore
from ocf.store.sessions import SessionStore
from ocf.store.sites import SiteStore
from ocf.store.submissions import SubmissionStore

__all__ = ["AUDIT_COLUMNS", "BUSY_TIMEOUT_MS", "DEFAULT_DB", "Store", "now", "resolve_path"]


class Store(
    SiteStore,
    RoundStore,
    SubmissionStore,
    AccountStore,
    PanelStore,
    SessionStore,
    AccountabilityStore,
    EvidenceStore,
    CommentStore,
    DetentionStore,
    AuditStore,
):
    """A connection to the OCF database with the operations the core needs."""
