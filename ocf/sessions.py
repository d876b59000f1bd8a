"""Signed-in sessions that survive a reload, a deep link and a restart, and end when idle.

Signing in (with a code, a demo button or single sign-on) starts a session in the database and
gives back a one-use *ticket*. The browser takes the ticket to the server's `/_ocf/session`
address within TICKET_LIFE, and gets in exchange a random *token* in an HttpOnly, Secure,
SameSite=Strict cookie: scripts in the page cannot read it, and other sites cannot send it.
The database keeps only SHA-256 hashes of tickets and tokens, so a copy of it signs nobody in.

A session ends after IDLE without use, LONGEST after signing in whatever the use, when its
owner signs out, or when the account or invitation it belongs to is revoked. Each page load
re-reads the account or invitation, as every other check does (`ocf.access.check_active`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from ocf.access import Actor, account_actor, browser_hash, panel_actor, still_active
from ocf.store import Store

__all__ = [
    "BROWSER_COOKIE",
    "BROWSER_LIFE",
    "COOKIE",
    "ENDED",
    "IDLE",
    "LANGUAGE",
    "LONGEST",
    "SESSION_PATH",
    "SIGN_OUT_PATH",
    "TICKET_LIFE",
    "TOUCH_EVERY",
    "by_single_sign_on",
    "end",
    "exchange",
    "page_address",
    "resume",
    "start",
]


IDLE = timedelta(minutes=30)
LONGEST = timedelta(hours=12)
TICKET_LIFE = timedelta(seconds=60)
# Use is recorded at most this often, so that a busy page does not write on every rerun.
TOUCH_EVERY = timedelta(seconds=60)
COOKIE = "ocf_session"
# A random id for this browser, set by the server on the first page load (streamlit_app.py) and never
# readable by scripts: it binds a sign-in ticket, and a member's started survey, to a browser.
BROWSER_COOKIE = "ocf_browser"
BROWSER_LIFE = timedelta(days=180)
# The server's own addresses (streamlit_app.py): exchange a ticket for the cookie; sign out.
SESSION_PATH = "/_ocf/session"
SIGN_OUT_PATH = "/_ocf/sign-out"
_PAGE = re.compile(r"[a-z_]{0,40}")
# Why a session ended, said on the page that follows (no other text can pass through).
ENDED = re.compile(r"idle|closed|withdrawn")
LANGUAGE = re.compile(r"[a-z]{2,8}")  # a panel member's language, carried through sign-in


def page_address(page: str | None, **params: str) -> str:
    """The address of one of this app's pages by name; anything else is home, so that no
    address we redirect to can point at another site."""
    name = page if page and _PAGE.fullmatch(page) else ""
    query = urlencode({key: value for key, value in params.items() if value})
    return f"/{name}" + (f"?{query}" if query else "")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def start(
    store: Store,
    actor: Actor,
    browser: str = "",
    single_sign_on: bool = False,
    now: datetime | None = None,
) -> str:
    """Start a session for `actor` and return its ticket, which only `browser` (the browser
    cookie of the one signing in) can exchange for the session cookie: a link carrying
    someone else's ticket signs nobody in (login CSRF). Without a browser cookie, the ticket
    cannot be exchanged: the sign-in holds for the open page only."""
    if actor.account_id is None and actor.invitation_id is None:
        raise ValueError("only an account or a panel invitation can have a session")
    moment = now or datetime.now(UTC)
    ticket = secrets.token_urlsafe(32)
    store.sessions.add_session(
        _hash(ticket),
        _stamp(moment + TICKET_LIFE),
        actor.account_id if actor.kind == "account" else None,
        actor.invitation_id if actor.kind == "panel" else None,
        single_sign_on,
        _stamp(moment),
        forget_before=_stamp(moment - IDLE),
        browser_hash=browser_hash(browser) if browser else None,
    )
    if actor.kind == "account" and browser:
        # Staff used this browser: it is never a panel member's own (ocf.access).
        store.panels.mark_staff_browser(
            browser_hash(browser), _stamp(moment), forget_before=_stamp(moment - BROWSER_LIFE)
        )
    return ticket


def exchange(store: Store, ticket: str, browser: str, now: datetime | None = None) -> str | None:
    """The token for a ticket that is unused, within its life and made for `browser` (the
    browser cookie sent with the exchange), else None."""
    if not ticket or not browser:
        return None
    token = secrets.token_urlsafe(32)
    moment = now or datetime.now(UTC)
    swapped = store.sessions.exchange_ticket(
        _hash(ticket), _hash(token), _stamp(moment), browser_hash(browser)
    )
    return token if swapped else None


def resume(store: Store, token: str | None, now: datetime | None = None) -> Actor | None:
    """The actor a session token belongs to, or None when the session has ended (idle, too
    long, signed out, revoked, unknown). A resumed session counts as used now."""
    if not token:
        return None
    row = store.sessions.session_by_token(_hash(token))
    if row is None:
        return None
    moment = now or datetime.now(UTC)
    last_seen = datetime.fromisoformat(row.last_seen_at)
    if moment - last_seen > IDLE or moment - datetime.fromisoformat(row.signed_in_at) > LONGEST:
        store.sessions.end_session(_hash(token))
        return None
    actor = _owner(store, row)
    if actor is None or not still_active(store, actor):
        store.sessions.end_session(_hash(token))
        return None
    if moment - last_seen >= TOUCH_EVERY:
        store.sessions.touch_session(row.id, _stamp(moment))
    return actor


def by_single_sign_on(store: Store, token: str | None) -> bool:
    """Whether the session was started by single sign-on (signing out ends that too)."""
    row = store.sessions.session_by_token(_hash(token)) if token else None
    return bool(row and row.single_sign_on)


def end(store: Store, token: str | None) -> None:
    """Sign out: the session ends at once, whatever its cookie says."""
    if token:
        store.sessions.end_session(_hash(token))


def _owner(store: Store, row) -> Actor | None:
    if row.account_id is not None:
        account = store.accounts.get_account(row.account_id)
        return account_actor(account) if account is not None else None
    invitation = store.panels.get_invitation(row.invitation_id)
    return panel_actor(invitation) if invitation is not None else None
