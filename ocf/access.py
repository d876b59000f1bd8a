"""Who is acting, and what they may do. Every check lives here, not in the pages.

Two kinds of people sign in with codes: staff with an account (lead, facilitator, regulator,
admin) and panel members with a single-use invitation tied to one site, round and survey.
Codes are random, shown once, and stored only as scrypt hashes.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from ocf.errors import ConflictError, DataError, PermissionDenied, Problem
from ocf.models import Account, Invitation
from ocf.permissions import ROLES, SITE_ROLES, allowed, allowed_rounds, ensure
from ocf.store import Store

__all__ = [
    "ALPHABET",
    "ANONYMOUS",
    "CHECKING_AT_MOST",
    "CODE_LENGTH",
    "DEMO_REFUSAL",
    "LONGEST_PAUSE",
    "LOOPBACK",
    "MAX_FAILED_SIGN_INS",
    "PREFIX_LENGTH",
    "PUBLIC",
    "RETURN_WORD_LENGTH",
    "SHARED",
    "SIGN_IN_WINDOW",
    "SITE_ROLES",
    "SYSTEM",
    "WAIT_AT_MOST",
    "Actor",
    "Kind",
    "UsedElsewhere",
    "account_actor",
    "add_account",
    "browser_hash",
    "can_view_results",
    "check_active",
    "client_address",
    "has_return_word",
    "hash_code",
    "issue_invitations",
    "new_code",
    "normalise_code",
    "panel_actor",
    "refuse_real_data_in_demo",
    "require_results",
    "set_return_word",
    "sign_in",
    "sign_in_email",
    "sign_in_pause",
    "still_active",
    "visible_rounds",
]


# No 0/O, 1/I/L: codes are read aloud and copied from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}

Kind = Literal["account", "panel", "anonymous", "public"]
MAX_FAILED_SIGN_INS = 5  # per client or code prefix in SIGN_IN_WINDOW; then sign-ins slow down
SIGN_IN_WINDOW = timedelta(minutes=15)
LONGEST_PAUSE = 20.0  # seconds between checks from one client once guessing is slowed
PREFIX_LENGTH = 4  # a code's first characters (one group of the printed code)
# An attempt is being checked for well under a second; one marked so for longer than this
# counts as a failure (its process died), and a waiting attempt gives up after it.
CHECKING_AT_MOST = timedelta(seconds=30)
WAIT_AT_MOST = LONGEST_PAUSE + CHECKING_AT_MOST.total_seconds()  # then "please try again"


@dataclass(frozen=True)
class Actor:
    """The person acting. `label` goes into the audit log (never a panel member's identity)."""

    kind: Kind
    role: str  # lead | facilitator | regulator | admin | panel
    site: str | None = None
    name: str = ""
    account_id: int | None = None
    invitation_id: int | None = None
    round: str | None = None
    survey: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "panel":
            return f"panel:{self.site}:{self.round}"
        if self.account_id is None:  # the system, or whoever runs `ocf` on the database file
            return f"{self.role}:{self.name}"
        return f"{self.role}:{self.account_id}:{self.name}"


SYSTEM = Actor("account", "admin", name="system")
ANONYMOUS = Actor("anonymous", "anonymous")
# Anyone at all, reading what is published for communities (ocf/public.py): published rounds
# only, under the disclosure rule, never a panel member's words.
PUBLIC = Actor("public", "public", name="public")


def new_code() -> str:
    """A random code such as 'K7QX-M2PD-4HTN' (12 characters, about 59 bits)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def hash_code(store: Store, code: str) -> str:
    """scrypt with this database's secret salt: deterministic, so a code can be looked up."""
    digest = hashlib.scrypt(
        normalise_code(code).encode(), salt=bytes.fromhex(_salt(store)), **_SCRYPT
    )
    return digest.hex()


def _salt(store: Store) -> str:
    """This database's secret salt for codes, made on first use."""
    salt = store.get_meta("code_salt")
    if salt is None:
        salt = secrets.token_hex(16)
        store.set_meta("code_salt", salt)
    return salt


DEMO_REFUSAL = (
    "{path}is the demo database: its data are synthetic and anyone who opens the app can sign "
    "in as any role with one click, so it takes no real accounts or imports. Use a real "
    "database: --db PATH or OCF_DB (docs/deployment.md)."
)


def refuse_real_data_in_demo(store: Store, actor: Actor, path: str = "") -> None:
    """Real accounts and imports never go into a demo database (only its own seeding does)."""
    if store.is_demo and actor is not SYSTEM:
        raise PermissionDenied(DEMO_REFUSAL.format(path=f"{path} " if path else "this "))


def add_account(
    store: Store,
    actor: Actor,
    name: str,
    role: str,
    site: str | None = None,
    email: str | None = None,
) -> str:
    """Create an account and return its access code (shown once, stored hashed)."""
    check_active(store, actor)
    ensure(actor, "manage-accounts")
    refuse_real_data_in_demo(store, actor)
    if role not in ROLES:
        raise DataError(
            [Problem("--role", f"unknown role {role!r}; expected one of {', '.join(ROLES)}")]
        )
    if role in SITE_ROLES and not site:
        raise DataError([Problem("--site", f"a {role} account needs the site it works for")])
    if site:
        store.sites.require_site(site)
    email = email.strip() if email and email.strip() else None
    if email and store.accounts.accounts_by_email(email):
        raise DataError(
            [
                Problem(
                    "--email",
                    f"{email} is already the email of an active account (emails are the same "
                    "whatever their capitals); single sign-on maps an email to one account",
                )
            ]
        )
    code = new_code()
    store.accounts.add_account(
        name, role, site if role in SITE_ROLES else None, email, hash_code(store, code), actor.label
    )
    return code


def issue_invitations(
    store: Store, actor: Actor, site: str, round_id: str, count: int, survey: str | None = None
) -> list[str]:
    """Single-use panel codes for a site and round; returned once, stored hashed."""
    check_active(store, actor)
    ensure(actor, "run-panel", site=site)
    store.sites.require_site(site)
    round_ = store.rounds.require_round(round_id)
    if round_.status != "open":
        raise PermissionDenied(
            f"round {round_id} is {round_.status}; invitations are issued for open rounds"
        )
    if store.panels.panel_closed(site, round_id):
        raise PermissionDenied(f"the panel for {site} in round {round_id} is closed")
    if (why := store.rounds.assesses(site, round_id)) is not None:
        raise ConflictError(why)
    panel_surveys = [
        s.id for s in store.rounds.round_surveys(round_id).values() if s.audience == "panel"
    ]
    if survey is None:
        if len(panel_surveys) != 1:
            raise DataError(
                [
                    Problem(
                        "--survey",
                        f"round {round_id} has panel surveys {', '.join(panel_surveys) or 'none'}; "
                        "name one",
                    )
                ]
            )
        survey = panel_surveys[0]
    elif survey not in panel_surveys:
        raise DataError(
            [Problem("--survey", f"{survey!r} is not a panel survey of round {round_id}")]
        )
    if not 1 <= count <= 500:
        raise DataError([Problem("--count", "issue between 1 and 500 codes at a time")])
    codes = [new_code() for _ in range(count)]
    store.panels.add_invitations(
        site, round_id, survey, [hash_code(store, c) for c in codes], actor.label
    )
    return codes


LOOPBACK = "127.0.0.1"


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[str]) -> str:
    """The address sign-in throttling is keyed on.

    The peer's own address, unless the peer is one of the operator's `trusted` proxies
    (OCF_TRUSTED_PROXIES): then the right-most address in X-Forwarded-For that is not itself a
    trusted proxy. Anything further left was written by the client and could be forged, so it
    is never used. Streamlit reports no address for a connection from this computer: that peer
    is the loopback address, which a proxy on the same machine is named by.
    """
    trusted = {_loopback(t.strip()) for t in trusted if t.strip()}
    peer = _loopback(peer or LOOPBACK)
    if peer not in trusted or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if hop and _loopback(hop) not in trusted:
            return hop
    return peer


def _loopback(address: str) -> str:
    """One name for this computer, however it is written."""
    return LOOPBACK if address in ("::1", "localhost", LOOPBACK) else address


def sign_in_pause(failures: int) -> float:
    """Seconds a sign-in under one key (an address, a code's prefix) waits after its latest
    failure: none below MAX_FAILED_SIGN_INS failures in the window, then 1 s doubling with each
    further failure, up to LONGEST_PAUSE. Codes carry about 59 bits, so a few guesses a minute
    find none, while whoever holds a right code always gets in (docs/security.md)."""
    if failures < MAX_FAILED_SIGN_INS:
        return 0.0
    return min(2.0 ** (failures - MAX_FAILED_SIGN_INS), LONGEST_PAUSE)


def _prefix_key(store: Store, code: str) -> str:
    """The key that slows guesses sharing a code's first characters (someone who read part of
    a slip), stored as a salted hash so the table never holds part of a real code."""
    prefix = normalise_code(code)[:PREFIX_LENGTH]
    return "prefix:" + hashlib.sha256(f"{_salt(store)}:{prefix}".encode()).hexdigest()[:16]


def sign_in(
    store: Store,
    code: str,
    client: str = LOOPBACK,
    browser: str | None = None,
    return_word: str = "",
) -> Actor | None:
    """The actor a code belongs to, or None (unknown, revoked or malformed).

    Guessing is slowed, never answered by locking anyone out: after MAX_FAILED_SIGN_INS
    failures within SIGN_IN_WINDOW from one client, or for one code prefix, each attempt waits
    `sign_in_pause` after the latest failure, right code or wrong, and then is checked. A panel
    code stops working when its round is no longer open or its panel has closed (its code is
    revoked then).

    In the app, `browser` is the browser cookie ("" when there is none). A panel code, once
    used, opens again only in the browser that used it first or with the member's
    `return_word` (`member_binding`): a facilitator who saw the code when issuing it cannot
    open the member's draft. A browser where staff signed in is never a member's own.
    """
    started = datetime.now(UTC)
    since = (started - SIGN_IN_WINDOW).isoformat(timespec="seconds")
    stale = (started - CHECKING_AT_MOST).isoformat(timespec="seconds")
    keys = [client, _prefix_key(store, code)]
    # A room of members behind one address signs in at once: attempts beyond the ones being
    # checked wait their turn (codes are checked at most MAX_FAILED_SIGN_INS at a time).
    deadline = time.monotonic() + WAIT_AT_MOST
    while (
        attempt := store.accounts.reserve_sign_in(
            keys, since, MAX_FAILED_SIGN_INS, stale, sign_in_pause
        )
    ) is None:
        if not _await_a_turn(store, keys, since, stale, deadline):
            raise PermissionDenied(
                "many sign-ins are waiting from this connection: please try again in a minute"
            )
    try:
        actor, closed = _lookup(store, code)
        elsewhere = (
            actor is not None
            and actor.kind == "panel"
            and browser is not None
            and not _member_binding(store, actor, browser, return_word)
        )
        if (actor is not None or closed) and not elsewhere:  # only failures are kept (security.md)
            store.accounts.forget_sign_in(attempt)
        else:
            store.accounts.fail_sign_in(attempt)  # a wrong return word is a wrong guess too
    finally:
        with _SETTLED:  # its place goes to the attempt that has waited longest here
            _SETTLED.notify()
    if actor is not None and actor.kind == "panel" and actor.round is not None:
        round_ = store.rounds.get_round(actor.round)
        closed = round_ is None or round_.status != "open"
        if round_ is not None and round_.status == "published" and _submitted(store, actor):
            closed = False  # a member who answered comes back to read the trust's response
    if closed:
        raise PermissionDenied("the survey this code is for has closed; thank you for your help")
    if elsewhere:
        raise UsedElsewhere(
            "this code was first used on another phone or computer: enter the return word "
            "chosen then, or ask the panel facilitator for a new code"
        )
    return actor


class UsedElsewhere(PermissionDenied):
    """A used panel code tried in another browser without the member's return word."""


SHARED = "shared"  # a code first used where no browser is the member's own
RETURN_WORD_LENGTH = 6


def browser_hash(browser: str) -> str:
    return hashlib.sha256(browser.encode()).hexdigest()


def _member_binding(store: Store, actor: Actor, browser: str, return_word: str) -> bool:
    """Whether a panel member's code may open here, binding it to this browser on first use.

    First use: the code is bound to this browser, or marked shared when there is no browser
    cookie or staff have signed in on this browser (a facilitator's tablet). Later: the bound
    browser opens it; anywhere else, including any shared or staff browser, only the return
    word the member chose does (`set_return_word`).
    """
    assert actor.invitation_id is not None
    own = browser_hash(browser) if browser else None
    if own is not None and store.panels.is_staff_browser(own):
        own = None
    bound, word = store.panels.invitation_binding(actor.invitation_id)
    if bound is None and store.panels.bind_invitation(actor.invitation_id, own or SHARED):
        return True
    if own is not None and bound == own:
        return True
    return bool(word and return_word) and _return_hash(store, actor, return_word) == word


def set_return_word(store: Store, actor: Actor, word: str) -> None:
    """A panel member chooses a word to come back with on another phone or computer."""
    check_active(store, actor)
    if actor.kind != "panel" or actor.invitation_id is None:
        raise PermissionDenied("only a panel member chooses a return word")
    if len(word.strip()) < RETURN_WORD_LENGTH:
        raise DataError(
            [Problem("return word", f"use at least {RETURN_WORD_LENGTH} letters or numbers")]
        )
    store.panels.set_return_hash(actor.invitation_id, _return_hash(store, actor, word))


def has_return_word(store: Store, actor: Actor) -> bool:
    return actor.invitation_id is not None and bool(
        store.panels.invitation_binding(actor.invitation_id)[1]
    )


def _return_hash(store: Store, actor: Actor, word: str) -> str:
    """scrypt of the word (case and spaces ignored), salted per database and per code."""
    salt = bytes.fromhex(_salt(store)) + str(actor.invitation_id).encode()
    plain = " ".join(word.lower().split()).encode()
    return hashlib.scrypt(plain, salt=salt, **_SCRYPT).hex()


# Notified whenever an attempt in this process is settled: the attempt that has waited longest
# (a Condition wakes its waiters in order) tries at once, so a room signs in first come, first
# served, with no stampede for each freed place. Attempts settled by another process are
# noticed within about _LOOK_AGAIN.
_SETTLED = threading.Condition()
_LOOK_AGAIN = 0.25  # seconds


def _await_a_turn(store: Store, keys: list[str], since: str, stale: str, deadline: float) -> bool:
    """Wait until an attempt under `keys` may be checked (`store.accounts.sign_in_turn`). False at the deadline. Waiting only reads: a room of attempts polling
    the write lock would slow the checks they wait for."""
    while time.monotonic() < deadline:
        pause = store.accounts.sign_in_wait(keys, since, stale, MAX_FAILED_SIGN_INS, sign_in_pause)
        left = deadline - time.monotonic()
        with _SETTLED:
            _SETTLED.wait(min(left, max(pause, random.uniform(0.5, 1.5) * _LOOK_AGAIN)))
        if time.monotonic() >= deadline:
            break
        if store.accounts.sign_in_turn(keys, since, stale, MAX_FAILED_SIGN_INS, sign_in_pause):
            return True
    return False


def _submitted(store: Store, actor: Actor) -> bool:
    if actor.invitation_id is None:
        return False
    invitation = store.panels.get_invitation(actor.invitation_id)
    if invitation is None or invitation.submission_id is None:
        return False
    submission = store.submissions.get_submission_by_id(invitation.submission_id)
    return submission is not None and submission.status == "submitted"


def sign_in_email(store: Store, email: str | None) -> Actor | None:
    """The account for an email that single sign-on (OIDC) has verified, or None."""
    if not email:
        return None
    account = store.accounts.account_by_email(email)
    return account_actor(account) if account is not None else None


def _lookup(store: Store, code: str) -> tuple[Actor | None, bool]:
    """The code's actor, and whether it is a panel code revoked because its panel closed
    (so that a member is told the survey has closed, not that their code is wrong)."""
    if len(normalise_code(code)) != CODE_LENGTH:
        return None, False
    digest = hash_code(store, code)
    account = store.accounts.account_by_hash(digest)
    if account is not None:
        return account_actor(account), False
    invitation = store.panels.invitation_by_hash(digest)
    if invitation is None:
        return None, False
    if invitation.revoked_at:
        return None, store.panels.panel_closed(invitation.site, invitation.round)
    return panel_actor(invitation), False


def check_active(store: Store, actor: Actor) -> None:
    """Refuse an actor whose account or code was revoked after they signed in."""
    if actor.kind == "account" and actor is not SYSTEM and actor.account_id is not None:
        account = store.accounts.get_account(actor.account_id)
        if account is None:
            raise PermissionDenied("this account has been revoked; please sign in again")
        # The role and site are the database's, never the session's: a stale actor is refused.
        if (account.role, account.site) != (actor.role, actor.site):
            raise PermissionDenied("this account's role or site has changed; please sign in again")
    elif actor.kind == "panel":
        invitation = (
            store.panels.get_invitation(actor.invitation_id) if actor.invitation_id else None
        )
        if invitation is None or invitation.revoked_at:
            raise PermissionDenied("this invitation code is no longer valid")
        # The site, round and survey are the invitation's, never the caller's: a forged actor
        # would otherwise write into another site's panel.
        if (actor.site, actor.round, actor.survey) != (
            invitation.site,
            invitation.round,
            invitation.survey,
        ):
            raise PermissionDenied("this invitation code is for another site, round or survey")
    elif actor.kind == "anonymous" or (actor.kind == "public" and actor is not PUBLIC):
        raise PermissionDenied("please sign in")


def still_active(store: Store, actor: Actor) -> bool:
    """Whether the actor's account or code still works (re-read from the database)."""
    try:
        check_active(store, actor)
    except PermissionDenied:
        return False
    return True


def account_actor(account: Account) -> Actor:
    return Actor("account", account.role, account.site, account.name, account_id=account.id)


def panel_actor(invitation: Invitation) -> Actor:
    """A panel member, known only by their invitation (never by name)."""
    return Actor(
        "panel",
        "panel",
        site=invitation.site,
        invitation_id=invitation.id,
        round=invitation.round,
        survey=invitation.survey,
    )


# --------------------------------------------------------------------------- checks


def can_view_results(store: Store, actor: Actor, site: str, round_id: str) -> bool:
    """Whether the actor may see a site's results for a round (ocf.permissions, view-results:
    a lead their own site, a regulator published rounds, an admin everything)."""
    round_ = store.rounds.get_round(round_id)
    return round_ is not None and allowed(actor, "view-results", site, round_)


def require_results(store: Store, actor: Actor, site: str, round_id: str) -> None:
    check_active(store, actor)
    if not can_view_results(store, actor, site, round_id):
        raise PermissionDenied(f"you cannot see the results of {site} for round {round_id}")


def visible_rounds(store: Store, actor: Actor) -> list:
    """Rounds whose results this actor may see."""
    return allowed_rounds(actor, "view-results", store.rounds.list_rounds())
