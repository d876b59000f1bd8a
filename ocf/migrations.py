"""The database schema as named, transactional steps (sqlite_utils.Migrations).

A step, once released, is never edited: change the schema by adding a step. Steps run on every
open, inside the store's write transaction, so two processes starting at once cannot both
apply one.
"""

from __future__ import annotations

import functools

from sqlite_utils import Database, Migrations

from ocf.audit_chain import FIELDS, GENESIS, entry_hash

__all__ = ["applied_steps", "migrations", "schema_of", "schema_problems", "step_names"]


migrations = Migrations("ocf")

_INITIAL_SCHEMA = [
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE sites (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('trust', 'icb', 'place')),
        parent TEXT REFERENCES sites(code),
        cohort TEXT,
        retired_at TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE rounds (
        id TEXT PRIMARY KEY,
        framework_id TEXT NOT NULL,
        framework_version INTEGER NOT NULL,
        framework_yaml TEXT NOT NULL,
        period TEXT,
        opens TEXT,
        closes TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'published')),
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE round_surveys (
        round_id TEXT NOT NULL REFERENCES rounds(id),
        survey_id TEXT NOT NULL,
        survey_version INTEGER NOT NULL,
        audience TEXT NOT NULL CHECK (audience IN ('self', 'panel')),
        survey_yaml TEXT NOT NULL,
        PRIMARY KEY (round_id, survey_id)
    )""",
    """CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('lead', 'facilitator', 'regulator', 'admin')),
        site TEXT REFERENCES sites(code),
        email TEXT UNIQUE,
        code_hash TEXT UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    """CREATE TABLE invitations (
        id INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL UNIQUE,
        site TEXT NOT NULL REFERENCES sites(code),
        round TEXT NOT NULL REFERENCES rounds(id),
        survey TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        submission_id INTEGER REFERENCES submissions(id)
    )""",
    """CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL REFERENCES sites(code),
        round TEXT NOT NULL REFERENCES rounds(id),
        survey TEXT NOT NULL,
        respondent TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
        version INTEGER NOT NULL DEFAULT 1,
        assisted INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        submitted_at TEXT,
        UNIQUE (site, round, survey, respondent),
        FOREIGN KEY (round, survey) REFERENCES round_surveys(round_id, survey_id)
    )""",
    """CREATE TABLE answers (
        submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        value TEXT,
        text TEXT,
        PRIMARY KEY (submission_id, item_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE detentions (
        id INTEGER PRIMARY KEY,
        period TEXT NOT NULL,
        geography TEXT NOT NULL,
        geography_name TEXT,
        geography_kind TEXT,
        measure TEXT NOT NULL,
        ethnic_group TEXT NOT NULL,
        age_band TEXT NOT NULL DEFAULT '',
        sex TEXT NOT NULL DEFAULT '',
        count INTEGER CHECK (count IS NULL OR count >= 0),
        suppressed INTEGER NOT NULL DEFAULT 0,
        population REAL CHECK (population IS NULL OR population >= 0),
        population_derived INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL,
        UNIQUE (period, geography, measure, ethnic_group, age_band, sex)
    )""",
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id TEXT,
        before TEXT,
        after TEXT
    )""",
    "CREATE INDEX submissions_round ON submissions (round, survey, status)",
    "CREATE INDEX invitations_round ON invitations (site, round)",
    "CREATE INDEX detentions_lookup ON detentions (measure, period, geography)",
    "CREATE INDEX audit_entity ON audit (entity, entity_id)",
]


@migrations(name="0001_initial_schema")
def initial_schema(db: Database) -> None:
    for statement in _INITIAL_SCHEMA:
        db.execute(statement)


@migrations(name="0002_audit_append_only")
def audit_append_only(db: Database) -> None:
    # The audit log is append-only in the database itself, not only by convention.
    db.execute(
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""
    )
    db.execute(
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""
    )


@migrations(name="0003_panel_closures")
def panel_closures(db: Database) -> None:
    # A facilitator closes a site's panel for a round: no more panel answers, codes revoked.
    db.execute(
        """CREATE TABLE panel_closures (
            site TEXT NOT NULL REFERENCES sites(code),
            round TEXT NOT NULL REFERENCES rounds(id),
            closed_at TEXT NOT NULL,
            closed_by TEXT NOT NULL,
            PRIMARY KEY (site, round)
        )"""
    )


@migrations(name="0004_sign_in_attempts")
def sign_in_attempts(db: Database) -> None:
    # Failed sign-ins per client, so that guessing codes is slowed to a crawl.
    db.execute(
        """CREATE TABLE sign_in_attempts (
            id INTEGER PRIMARY KEY,
            client TEXT NOT NULL,
            at TEXT NOT NULL,
            success INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client, at)")


@migrations(name="0005_published_content")
def published_content(db: Database) -> None:
    # Framework and survey versions published from the app; a version, once published, is fixed.
    db.execute(
        """CREATE TABLE content (
            kind TEXT NOT NULL CHECK (kind IN ('framework', 'survey')),
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            yaml TEXT NOT NULL,
            published_at TEXT NOT NULL,
            published_by TEXT NOT NULL,
            PRIMARY KEY (kind, id, version)
        )"""
    )


@migrations(name="0006_answer_terms")
def answer_terms(db: Database) -> None:
    # Item ids and answer values are a small vocabulary repeated on every answer: store each text
    # once and refer to it by integer, so that reading a round's answers for scoring moves
    # integers rather than millions of copies of the same texts.
    db.execute("CREATE TABLE answer_terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)")
    db.execute(
        """INSERT INTO answer_terms (term)
           SELECT item_id FROM answers UNION SELECT value FROM answers WHERE value IS NOT NULL"""
    )
    db.execute(
        """CREATE TABLE answers_by_term (
            submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            item INTEGER NOT NULL REFERENCES answer_terms(id),
            value INTEGER REFERENCES answer_terms(id),
            text TEXT,
            PRIMARY KEY (submission_id, item)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """INSERT INTO answers_by_term (submission_id, item, value, text)
           SELECT a.submission_id, i.id, v.id, a.text
           FROM answers a
           JOIN answer_terms i ON i.term = a.item_id
           LEFT JOIN answer_terms v ON v.term = a.value"""
    )
    db.execute("DROP TABLE answers")
    db.execute("ALTER TABLE answers_by_term RENAME TO answers")
    # A round's submitted answers are read in submission order; this index gives that order
    # without sorting (an index holds the rowid, the submission id, after its columns).
    db.execute("CREATE INDEX submissions_round_status ON submissions (round, status)")


@migrations(name="0007_disclosure")
def disclosure(db: Database) -> None:
    # A successful sign-in's address and time could be joined to the member's answers: keep
    # failed attempts only (for throttling).
    db.execute("DELETE FROM sign_in_attempts WHERE success != 0")
    # A round that has been closed froze its panels (DESIGN §7): record that for rounds closed
    # before the rule existed, so that a reopen cannot let one more member in.
    db.execute(
        """INSERT OR IGNORE INTO panel_closures (site, round, closed_at, closed_by)
           SELECT DISTINCT p.site, p.round, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), 'migration'
           FROM (SELECT site, round FROM invitations
                 UNION SELECT s.site, s.round FROM submissions s
                 JOIN round_surveys rs ON rs.round_id = s.round AND rs.survey_id = s.survey
                 WHERE rs.audience = 'panel') p
           JOIN rounds r ON r.id = p.round WHERE r.status != 'open'"""
    )
    db.execute(
        """UPDATE invitations SET revoked_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
           WHERE revoked_at IS NULL
           AND round IN (SELECT id FROM rounds WHERE status != 'open')
           AND (submission_id IS NULL OR submission_id NOT IN
                (SELECT id FROM submissions WHERE status = 'submitted'))"""
    )


@migrations(name="0008_audit_chain")
def audit_chain(db: Database) -> None:
    # Each audit entry carries the hash of the chain so far (ocf/audit_chain.py): entries made
    # before are chained now, in id order, with the update trigger lifted for this step only.
    db.execute("ALTER TABLE audit ADD COLUMN hash TEXT")
    db.execute("DROP TRIGGER audit_no_update")
    previous = GENESIS
    columns = ", ".join(FIELDS)
    for row in db.execute(f"SELECT {columns} FROM audit ORDER BY id").fetchall():
        previous = entry_hash(previous, dict(zip(FIELDS, row, strict=True)))
        db.execute("UPDATE audit SET hash = ? WHERE id = ?", [previous, row[0]])
    db.execute(
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""
    )


@migrations(name="0009_sessions")
def sessions(db: Database) -> None:
    # Signed-in sessions that survive a reload (ocf/sessions.py): the browser holds a random
    # token in an HttpOnly cookie, the database only its hash. A new session first has a
    # one-use ticket, exchanged within a minute for the cookie.
    db.execute(
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT UNIQUE,
            ticket_hash TEXT UNIQUE,
            ticket_expires_at TEXT,
            account_id INTEGER REFERENCES accounts(id),
            invitation_id INTEGER REFERENCES invitations(id),
            single_sign_on INTEGER NOT NULL DEFAULT 0,
            signed_in_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            CHECK ((account_id IS NULL) != (invitation_id IS NULL))
        )"""
    )


@migrations(name="0010_accountability")
def accountability(db: Database) -> None:
    # The trust's answer to its panel ("you said, we did") and its actions, a living plan that
    # carries over from round to round with its dated progress notes (ocf/accountability.py).
    db.execute(
        """CREATE TABLE responses (
            site TEXT NOT NULL REFERENCES sites(code),
            round TEXT NOT NULL REFERENCES rounds(id),
            competency TEXT NOT NULL,
            panel_said TEXT NOT NULL,
            accepted TEXT NOT NULL,
            will_do TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (site, round, competency)
        )"""
    )
    db.execute(
        """CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL REFERENCES sites(code),
            round TEXT NOT NULL REFERENCES rounds(id),
            competency TEXT NOT NULL,
            action TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            due TEXT,
            status TEXT NOT NULL CHECK (status IN
                ('not started', 'on track', 'at risk', 'done', 'dropped')),
            carried_from TEXT REFERENCES rounds(id),
            previous_id INTEGER REFERENCES actions(id),
            done_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (site, round, competency, action)
        )"""
    )
    db.execute(
        """CREATE TABLE action_notes (
            id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES actions(id),
            at TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            by TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX actions_round ON actions (round, site)")


@migrations(name="0011_evidence")
def evidence(db: Database) -> None:
    # Evidence for a site's rating of a competency: a file (its bytes kept here, so every backup
    # holds them, with the SHA-256 anyone can check a copy against) or a link (ocf/evidence.py).
    db.execute(
        """CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL REFERENCES sites(code),
            round TEXT NOT NULL REFERENCES rounds(id),
            competency TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('file', 'link')),
            name TEXT NOT NULL,
            url TEXT,
            media_type TEXT,
            size INTEGER,
            sha256 TEXT,
            content BLOB,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            CHECK ((kind = 'file') = (content IS NOT NULL AND sha256 IS NOT NULL)),
            CHECK ((kind = 'link') = (url IS NOT NULL))
        )"""
    )
    db.execute("CREATE INDEX evidence_round ON evidence (round, site, competency)")


@migrations(name="0012_comment_reviews")
def comment_reviews(db: Database) -> None:
    # The facilitator's review of each free-text panel answer (ocf/comments.py): the redacted
    # text staff may read once approved, a theme and a safeguarding mark. `original_sha256` is
    # the hash of the text reviewed: if a reopened submission changes it, the review no longer
    # applies and the answer waits for review again.
    db.execute(
        """CREATE TABLE comment_reviews (
            submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            original_sha256 TEXT NOT NULL,
            redacted TEXT NOT NULL,
            theme TEXT NOT NULL DEFAULT '',
            safeguarding INTEGER NOT NULL DEFAULT 0 CHECK (safeguarding IN (0, 1)),
            decision TEXT NOT NULL CHECK (decision IN ('approved', 'withheld')),
            reviewed_by TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            PRIMARY KEY (submission_id, item_id)
        )"""
    )


@migrations(name="0013_standardised_rates")
def standardised_rates(db: Database) -> None:
    # Age- and sex-standardised rates as a source publishes them (NHS England's StdRate and the
    # half-width of its 95% interval), kept beside the counts (docs/methods.md, Standardised).
    db.execute("ALTER TABLE detentions ADD COLUMN std_rate REAL")
    db.execute("ALTER TABLE detentions ADD COLUMN std_half_width REAL")


@migrations(name="0014_standardised_intervals")
def standardised_intervals(db: Database) -> None:
    # The interval's two ends instead of a half-width: a Dobson interval (template imports
    # with age bands) is not symmetric. Published half-widths become rate ± half-width.
    db.execute("ALTER TABLE detentions ADD COLUMN std_lower REAL")
    db.execute("ALTER TABLE detentions ADD COLUMN std_upper REAL")
    db.execute(
        "UPDATE detentions SET std_lower = std_rate - std_half_width,"
        " std_upper = std_rate + std_half_width WHERE std_half_width IS NOT NULL"
    )
    db.execute("ALTER TABLE detentions DROP COLUMN std_half_width")


@migrations(name="0015_browser_binding")
def browser_binding(db: Database) -> None:
    # A sign-in ticket opens a session only in the browser that began the sign-in (login
    # CSRF); a panel code, once used, resumes only in the member's own browser or with the
    # return word they chose; browsers where staff signed in are never a member's own
    # (docs/security.md, Identity). Only SHA-256 or scrypt hashes are kept.
    db.execute("ALTER TABLE sessions ADD COLUMN ticket_browser_hash TEXT")
    db.execute("ALTER TABLE invitations ADD COLUMN browser_hash TEXT")
    db.execute("ALTER TABLE invitations ADD COLUMN return_hash TEXT")
    db.execute(
        """CREATE TABLE staff_browsers (
            browser_hash TEXT PRIMARY KEY,
            at TEXT NOT NULL
        )"""
    )


@migrations(name="0016_paper_confirmation")
def paper_confirmation(db: Database) -> None:
    # Separation of duties for panels (docs/security.md): a paper form keyed in by one
    # facilitator waits, as a draft, for a second person to confirm it; imports and paper
    # entries record who entered them, so responses at the scale's extremes entered by one
    # person can be flagged to the regulator.
    db.execute("ALTER TABLE submissions ADD COLUMN entered_by TEXT")
    db.execute("ALTER TABLE submissions ADD COLUMN confirmed_by TEXT")
    db.execute("UPDATE submissions SET entered_by = 'before 0016' WHERE assisted = 1")


@migrations(name="0017_audit_mac")
def audit_mac(db: Database) -> None:
    # The audit chain keyed with an HMAC whose key lives outside the database (a file beside
    # it: ocf/audit_chain.py); entries made before carry only their SHA-256 hash.
    db.execute("ALTER TABLE audit ADD COLUMN mac TEXT")


@migrations(name="0018_detention_totals")
def detention_totals(db: Database) -> None:
    # Every detention of an area, whatever was recorded of ethnicity: the share of unknown
    # ethnicity is of all detentions (acute hospitals record none), not of those broken down.
    db.execute(
        """CREATE TABLE detention_totals (
            period TEXT NOT NULL,
            geography TEXT NOT NULL,
            measure TEXT NOT NULL,
            recorded INTEGER,
            acute INTEGER,
            total INTEGER NOT NULL CHECK (total >= 0),
            source TEXT,
            PRIMARY KEY (period, geography, measure)
        )"""
    )


@migrations(name="0019_retention")
def retention(db: Database) -> None:
    # A round whose panel answers were deleted under the records policy keeps the figures it
    # disclosed (scores are otherwise computed from the answers): each part as Parquet.
    db.execute(
        """CREATE TABLE retired_rounds (
            round_id TEXT PRIMARY KEY REFERENCES rounds(id),
            retired_at TEXT NOT NULL,
            scores BLOB NOT NULL
        )"""
    )


@migrations(name="0020_denominator_kind")
def denominator_kind(db: Database) -> None:
    # What a rate is counted against (ocf.denominators): every row held so far is per person.
    db.execute(
        "ALTER TABLE detentions ADD COLUMN denominator_kind TEXT NOT NULL DEFAULT 'people' "
        "CHECK (denominator_kind IN ('people', 'occupied-bed-days', 'admissions'))"
    )


# --------------------------------------------------------------------------- schema checks


def schema_of(conn) -> set[tuple[str, str, str]]:
    """(type, name, SQL) of every table, index, trigger and view, whitespace normalised."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
    ).fetchall()
    return {(kind, name, " ".join(sql.split())) for kind, name, sql in rows}


@functools.cache
def step_names() -> tuple[str, ...]:
    """The names of every step this code knows, in order (all pending on an empty database);
    worked out once, as every store open compares them with the database's."""
    return tuple(m.name for m in migrations.pending(Database(memory=True)))


def applied_steps(conn) -> list[str]:
    """The names of the steps a database has applied, in order."""
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
        [migrations.name],
    ).fetchall()
    return [row[0] for row in rows]


def schema_problems(conn) -> list[str]:
    """How a database's schema differs from what its applied steps produce (empty: none).

    A backup without the audit triggers, or with a trigger of its own, would otherwise be
    restored and leave later changes unaudited.
    """
    applied = applied_steps(conn)
    known = list(step_names())
    if applied != known[: len(applied)]:
        return [
            "its schema steps are not this platform's ("
            + ", ".join(a for a in applied if a not in known)[:200]
            + "): a backup from another program or a newer version"
        ]
    reference = Database(memory=True)
    if len(applied) < len(known):
        migrations.apply(reference, stop_before=known[len(applied)])
    else:
        migrations.apply(reference)
    expected, actual = schema_of(reference.conn), schema_of(conn)
    problems = [
        f"missing {kind} {name}"
        for kind, name, _ in sorted(expected - actual)
        if (kind, name) not in {(k, n) for k, n, _ in actual}
    ]
    problems += [
        f"unexpected {kind} {name}"
        for kind, name, _ in sorted(actual - expected)
        if (kind, name) not in {(k, n) for k, n, _ in expected}
    ]
    problems += [
        f"{kind} {name} differs from the platform's"
        for kind, name, _ in sorted(actual - expected)
        if (kind, name) in {(k, n) for k, n, _ in expected}
    ]
    return problems
