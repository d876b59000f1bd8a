"""Signed-in sessions (issue 20, item 2): a reload or a deep link keeps you signed in; a session
ends when idle, when too old, on sign-out and on revocation; the database holds no token."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from starlette.requests import Request
from starlette.responses import Response

from ocf import sessions
from ocf.access import SYSTEM, issue_invitations, sign_in
from ocf.admin import revoke_account
from ocf.demo import create_demo, demo_actor
from ocf.store import Store
from ocf.submissions import close_panel

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
BROWSER = "this-browsers-own-id"  # the browser cookie streamlit_app.py gives each browser


def signed_in(store: Store, actor, at: datetime = T0, sso: bool = False) -> str:
    ticket = sessions.start(store, actor, BROWSER, single_sign_on=sso, now=at)
    token = sessions.exchange(store, ticket, BROWSER, now=at + timedelta(seconds=5))
    assert token is not None
    return token


def test_a_session_brings_back_whoever_signed_in(demo_store: Store) -> None:
    lead = demo_actor(demo_store, "lead")
    token = signed_in(demo_store, lead)
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=10)) == lead


def test_a_ticket_works_once_and_only_for_a_minute(demo_store: Store) -> None:
    lead = demo_actor(demo_store, "lead")
    ticket = sessions.start(demo_store, lead, BROWSER, now=T0)
    assert sessions.exchange(demo_store, ticket, BROWSER, now=T0 + timedelta(seconds=61)) is None
    ticket = sessions.start(demo_store, lead, BROWSER, now=T0)
    assert sessions.exchange(demo_store, ticket, BROWSER, now=T0 + timedelta(seconds=1)) is not None
    assert sessions.exchange(demo_store, ticket, BROWSER, now=T0 + timedelta(seconds=2)) is None
    assert sessions.exchange(demo_store, "", BROWSER, now=T0) is None


def test_a_session_ends_after_thirty_idle_minutes(demo_store: Store) -> None:
    token = signed_in(demo_store, demo_actor(demo_store, "admin"))
    # Used every 20 minutes, it lives on; 31 minutes without use, it has ended, for good.
    for minutes in (20, 40, 60):
        assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=minutes))
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=91, seconds=5)) is None
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=92)) is None


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(demo_store: Store) -> None:
    token = signed_in(demo_store, demo_actor(demo_store, "regulator"))
    for minutes in range(20, 12 * 60, 20):
        assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=minutes))
    assert sessions.resume(demo_store, token, now=T0 + timedelta(hours=12, minutes=1)) is None


def test_signing_out_ends_the_session_whatever_the_cookie_says(demo_store: Store) -> None:
    token = signed_in(demo_store, demo_actor(demo_store, "lead"))
    sessions.end(demo_store, token)
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=1)) is None


def test_a_revoked_account_loses_its_sessions(demo_store: Store) -> None:
    lead = demo_actor(demo_store, "lead")
    token = signed_in(demo_store, lead)
    revoke_account(demo_store, SYSTEM, lead.account_id)
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=1)) is None


def test_a_panel_members_session_ends_when_their_panel_closes(demo_store: Store) -> None:
    member = demo_actor(demo_store, "panel")
    token = signed_in(demo_store, member)
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=1)) == member
    close_panel(demo_store, SYSTEM, member.site, member.round)
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=2)) is None


def test_the_database_keeps_no_token_or_ticket(demo_store: Store) -> None:
    lead = demo_actor(demo_store, "lead")
    ticket = sessions.start(demo_store, lead, BROWSER, now=T0)
    token = sessions.exchange(demo_store, ticket, BROWSER, now=T0)
    everything = "\n".join(demo_store.db.conn.iterdump())
    assert ticket not in everything and token not in everything


def test_use_is_recorded_at_most_once_a_minute(demo_store: Store) -> None:
    token = signed_in(demo_store, demo_actor(demo_store, "lead"))
    seen = lambda: demo_store.db.execute("SELECT last_seen_at FROM sessions").fetchone()[0]  # noqa: E731
    before = seen()
    sessions.resume(demo_store, token, now=T0 + timedelta(seconds=30))
    assert seen() == before
    sessions.resume(demo_store, token, now=T0 + timedelta(minutes=2))
    assert seen() > before


def test_only_accounts_and_invitations_have_sessions(demo_store: Store) -> None:
    with pytest.raises(ValueError):
        sessions.start(demo_store, SYSTEM, BROWSER)


@pytest.mark.parametrize(
    ("page", "address"),
    [
        ("compare", "/compare"),
        ("", "/"),
        (None, "/"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("compare/../../x", "/"),
    ],
)
def test_redirects_only_ever_go_to_a_page_of_this_app(page, address) -> None:
    assert sessions.page_address(page) == address


# --------------------------------------------------------------------------- the server's part


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.db"
    create_demo(path).close()
    monkeypatch.setenv("OCF_DB", str(path))
    return path


def visit(path: str, cookie: str | None = None, browser: str = BROWSER, **query: str) -> Response:
    """What the server answers a browser at https://ocf.example.nhs.uk`path`?`query`."""
    from streamlit_app import sign_out, start_session

    headers = [(b"host", b"ocf.example.nhs.uk")]
    jar = [f"{sessions.BROWSER_COOKIE}={browser}"] if browser else []
    if cookie:
        jar.append(f"{sessions.COOKIE}={cookie}")
    if jar:
        headers.append((b"cookie", "; ".join(jar).encode()))
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "server": ("ocf.example.nhs.uk", 443),
        "path": path,
        "query_string": urlencode(query).encode(),
        "headers": headers,
    }
    handler = start_session if path == sessions.SESSION_PATH else sign_out
    return handler(Request(scope))


def set_cookie(reply: Response) -> str:
    return next(v.decode() for k, v in reply.raw_headers if k == b"set-cookie")


def test_the_server_swaps_a_ticket_for_an_httponly_cookie(db: Path) -> None:
    with closing(Store.open(db)) as store:
        ticket = sessions.start(store, demo_actor(store, "regulator"), BROWSER)
    reply = visit(sessions.SESSION_PATH, ticket=ticket, next="compare")
    assert reply.status_code == 303 and reply.headers["location"] == "/compare"
    cookie = set_cookie(reply)
    assert cookie.startswith(f"{sessions.COOKIE}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attribute in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with closing(Store.open(db)) as store:
        assert sessions.resume(store, token).role == "regulator"
    # The ticket is spent: a second visit gets no session, and its cookie is cleared.
    assert '=""' in set_cookie(visit(sessions.SESSION_PATH, ticket=ticket))


def test_a_ticket_signs_in_only_the_browser_that_began_the_sign_in(db: Path) -> None:
    """Login CSRF: an attacker signs in, stops at the redirect and sends the victim the link
    with the ticket; the victim would answer inside the attacker's session."""
    with closing(Store.open(db)) as store:
        code = issue_invitations(store, SYSTEM, "XTA1", "2025-26", 1)[0]
        ticket = sessions.start(store, sign_in(store, code), "the-attackers-browser")
    victim = visit(sessions.SESSION_PATH, browser="the-victims-browser", ticket=ticket)
    assert '=""' in set_cookie(victim)  # no session: the cookie is cleared
    nobody = visit(sessions.SESSION_PATH, browser="", ticket=ticket)
    assert '=""' in set_cookie(nobody)
    reply = visit(sessions.SESSION_PATH, browser="the-attackers-browser", ticket=ticket)
    assert set_cookie(reply).startswith(f"{sessions.COOKIE}=") and '=""' not in set_cookie(reply)


def test_every_browser_gets_an_httponly_id_cookie_once() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from streamlit_app import BrowserCookie

    async def page(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def load(cookie: bytes | None) -> list:
        sent: list = []

        async def send(message):
            sent.append(message)

        headers = [(b"host", b"ocf.example.nhs.uk")] + ([(b"cookie", cookie)] if cookie else [])
        scope = {
            "type": "http",
            "method": "GET",
            "scheme": "https",
            "path": "/",
            "query_string": b"",
            "headers": headers,
            "server": ("ocf.example.nhs.uk", 443),
        }
        # In a thread of its own: the browser tests may leave an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, BrowserCookie(page)(scope, None, send)).result()
        return [v.decode() for k, v in sent[0]["headers"] if k == b"set-cookie"]

    first = load(None)
    assert len(first) == 1 and first[0].startswith(f"{sessions.BROWSER_COOKIE}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert attribute in first[0]
    assert load(f"{sessions.BROWSER_COOKIE}=abc".encode()) == []  # kept once set


def test_the_server_signs_out_and_clears_the_cookie(db: Path) -> None:
    with closing(Store.open(db)) as store:
        token = signed_in(store, demo_actor(store, "admin"), at=datetime.now(UTC))
    reply = visit(sessions.SIGN_OUT_PATH, cookie=token, next="audit", ended="idle")
    assert reply.headers["location"] == "/audit?ended=idle"
    assert f'{sessions.COOKIE}=""' in set_cookie(reply)
    with closing(Store.open(db)) as store:
        assert sessions.resume(store, token) is None


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"ended": "withdrawn", "lang": "pl"}, "?ended=withdrawn&lang=pl"),  # answers taken back
        ({"ended": "withdrawn"}, "?ended=withdrawn"),
        ({"ended": "withdrawn", "lang": "<b>"}, "?ended=withdrawn"),  # nothing else passes
        ({"ended": "idle&next=x"}, ""),
    ],
)
def test_only_known_reasons_pass_through_sign_out(db: Path, params: dict, said: str) -> None:
    reply = visit(sessions.SIGN_OUT_PATH, next="panel_survey", **params)
    assert reply.headers["location"] == f"/panel_survey{said}"


def test_a_members_language_passes_through_sign_in(db: Path) -> None:
    with closing(Store.open(db)) as store:
        code = issue_invitations(store, SYSTEM, "XTA1", "2025-26", 1)[0]
        ticket = sessions.start(store, sign_in(store, code), BROWSER)
    reply = visit(sessions.SESSION_PATH, ticket=ticket, next="panel_survey", lang="ar")
    assert reply.headers["location"] == "/panel_survey?lang=ar"


def test_the_server_hands_over_to_single_sign_on_to_sign_out_there_too(db: Path) -> None:
    reply = visit(sessions.SIGN_OUT_PATH, then="sso", next="https://evil.example")
    assert reply.headers["location"] == "/auth/logout"
    assert visit(sessions.SIGN_OUT_PATH, next="//evil.example").headers["location"] == "/"


def test_a_panel_code_sign_in_starts_a_session(demo_store: Store) -> None:
    round_id = next(r.id for r in demo_store.rounds.list_rounds() if r.status == "open")
    code = issue_invitations(demo_store, SYSTEM, "XTA1", round_id, 1)[0]
    member = sign_in(demo_store, code)
    token = signed_in(demo_store, member)
    assert sessions.resume(demo_store, token, now=T0 + timedelta(minutes=5)) == member
