"""The only package that touches SQLite (with `ocf/migrations.py`).

One `Store` per script run (Streamlit reruns included) wraps a sqlite-utils Database with WAL,
a busy timeout and foreign keys on, and applies pending migrations when it opens. Every write
goes through `Store.write()`, a `BEGIN IMMEDIATE` transaction: it takes the write lock up
front, so two writers queue instead of failing half-way, and it either commits whole or not
at all.

`Store` is the connection (`StoreBase`) with a repository per aggregate composed over it,
each reached by name; a repository that needs another is given it (`Submissions` is given
`Rounds` and `Panels`):

    store.sites          trusts, ICBs and places
    store.rounds         rounds, their snapshots, published content
    store.submissions    drafts, submits and answers; a round's answers for scoring
    store.accounts       staff accounts, failed sign-in attempts
    store.panels         invitation codes and panel closures
    store.sessions       signed-in sessions (hashes of their tokens)
    store.accountability the trust's responses to its panel, its actions and their progress
    store.evidence       evidence files (their bytes) and links for a site's ratings
    store.comments       free-text panel answers and the facilitator's reviews of them
    store.detentions     detention observations
    store.audit          reading the audit log

The connection itself (ocf/store/connection.py): opening, migrations, transactions, backup and
restore, the audit writer, meta (`store.write()`, `store.backup()`, `store.get_meta()`, …).
"""

from __future__ import annotations

from sqlite_utils import Database

from ocf.store.accountability import Accountability
from ocf.store.accounts import Accounts
from ocf.store.audit import Audit
from ocf.store.comments import Comments
from ocf.store.connection import (
    AUDIT_COLUMNS,
    BUSY_TIMEOUT_MS,
    DEFAULT_DB,
    StoreBase,
    now,
    resolve_path,
)
from ocf.store.detentions import Detentions
from ocf.store.evidence import Evidence
from ocf.store.panels import Panels
from ocf.store.rounds import Rounds
from ocf.store.sessions import Sessions
from ocf.store.sites import Sites
from ocf.store.submissions import Submissions

__all__ = ["AUDIT_COLUMNS", "BUSY_TIMEOUT_MS", "DEFAULT_DB", "Store", "now", "resolve_path"]


class Store(StoreBase):
    """A connection to the OCF database with a repository per aggregate."""

    def __init__(self, db: Database, location: str = ":memory:"):
        super().__init__(db, location)
        self.sites = Sites(self)
        self.rounds = Rounds(self)
        self.panels = Panels(self)
        self.submissions = Submissions(self, self.rounds, self.panels)
        self.accounts = Accounts(self)
        self.sessions = Sessions(self)
        self.accountability = Accountability(self)
        self.evidence = Evidence(self)
        self.comments = Comments(self)
        self.detentions = Detentions(self)
        self.audit = Audit(self)
