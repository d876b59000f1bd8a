"""Helpers shared by pages: the store for this run, who is signed in, messages, formatting."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import altair
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from app_pages.scripts import load_address
from ocf import charts, sessions
from ocf.access import Actor, client_address
from ocf.display import round_words, sentence
from ocf.errors import DataError, OcfError
from ocf.loading import Library, load_shipped
from ocf.permissions import allowed
from ocf.sso import SignedOn, auth_problems
from ocf.sso import signed_on as sso_claims
from ocf.store import Store

_LOG = logging.getLogger("ocf")


# The handle pages pass to ocf functions. Pages cannot import the store (ruff TID251); what
# they may do with this handle is an allowlist (tests/test_architecture.py).
Db = Store


def store() -> Db:
    """A store for this script run: Streamlit runs each rerun on its own thread."""
    return Store.open()


@st.cache_resource
def shipped() -> Library:
    """The shipped frameworks and surveys (frozen models, never mutated)."""
    return load_shipped()


def show_chart(
    build: Callable[..., altair.TopLevelMixin], *args: object, alt: str, **options: object
) -> None:
    """The chart an `ocf.charts` builder makes from `args` and `options`, full width, described
    by `alt`. Pages show charts only through this.

    Making a chart's spec (building and validating it) was most of a page's rerun time, so each
    spec is made once per distinct input and reused on reruns. Converting here, never with
    `st.altair_chart`, also leaves altair's process-wide settings to `ocf.charts.vega_lite` alone.
    """
    if getattr(charts, build.__name__, None) is not build:
        raise ValueError(f"{build.__name__} is not an ocf.charts builder")
    spec = _chart_spec(build.__name__, *args, **options)
    st.vega_lite_chart(spec=spec, width="stretch", alt=alt)


@st.cache_data(max_entries=64, show_spinner=False)
def _chart_spec(builder: str, *args: object, **options: object) -> dict:
    # Keyed by the builder's name and its inputs (data frames hashed by content).
    return charts.vega_lite(getattr(charts, builder)(*args, **options))


def show_demo_notice() -> None:
    if store().is_demo:
        st.info(
            "**Demo.** All assessment data here are synthetic: the trusts, ICBs, ratings and "
            "panel answers are made up.",
            icon=":material/science:",
        )


def current_actor() -> Actor | None:
    return st.session_state.get("actor")


def session_token() -> str | None:
    """The session cookie's token this browser sent when the page was loaded (HttpOnly: the
    page's scripts cannot read it, the server can)."""
    cookies = st.context.cookies
    token = cookies.get(sessions.COOKIE) if hasattr(cookies, "get") else None
    return token if isinstance(token, str) and token else None


def browser_id() -> str:
    """This browser's id from its HttpOnly browser cookie (streamlit_app.py sets it on the first page
    load), or "" where there is none (then a sign-in holds for the open page only)."""
    cookies = st.context.cookies
    value = cookies.get(sessions.BROWSER_COOKIE) if hasattr(cookies, "get") else None
    return value if isinstance(value, str) else ""


def current_page() -> str:
    """The page being shown, by the name in its address, such as 'compare' ('' for home)."""
    if page := st.session_state.get("_page"):
        return page
    url = st.context.url  # before the router has chosen a page: the address loaded
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) else ""


def go_to(address: str) -> None:
    """Send the browser to one of this server's addresses (a whole page load): the session
    cookie can only be set or cleared by a response of the server.

    The page load is asked for at the start of the next run (`follow_redirect`): a rerun
    throws away what the run that asked had drawn, the request included.
    """
    st.session_state["_go_to"] = address


def follow_redirect() -> None:
    """Send the browser where `go_to` asked (the router calls this once per run), through a
    public Streamlit component (app_pages/scripts.py), not a private message of Streamlit's."""
    if address := st.session_state.pop("_go_to", None):
        load_address(address)
        # Nothing else is drawn: the page is about to load again. Where scripts do not run,
        # the link does the same.
        st.markdown(f"One moment… [Continue]({address}) if this page does not change.")
        st.stop()


def resume_session(actor: Actor, token: str) -> None:
    """This browser's session, after a reload or on a deep link."""
    st.session_state.clear()
    st.session_state["actor"] = actor
    st.session_state["_token"] = token


def sign_in_as(
    actor: Actor, next_page: str = "", single_sign_on: bool = False, language: str = ""
) -> None:
    """Sign in for this page, and start a session that survives reloads: the browser fetches
    its cookie and comes back to `next_page` (ocf/sessions.py), in `language` if one was
    chosen before signing in (a panel member's)."""
    st.session_state.clear()
    st.session_state["actor"] = actor
    ticket = sessions.start(store(), actor, browser_id(), single_sign_on=single_sign_on)
    query = {"ticket": ticket, "next": next_page, **({"lang": language} if language else {})}
    go_to(f"{sessions.SESSION_PATH}?{urlencode(query)}")


def sign_out(reason: str = "", language: str = "") -> None:
    """End the session on the server and in the browser, and single sign-on's too when that is
    how they came. `reason` (a key of SIGNED_OUT, or "withdrawn") is said on the page that
    follows, in `language` where that page speaks it (the panel's)."""
    token = st.session_state.get("_token") or session_token()
    back = current_page()
    # A closed account stays signed in to its organisation, with no access here.
    with_provider = reason != "closed" and signed_on_email() is not None
    sessions.end(store(), token)
    st.session_state.clear()
    query = {"next": back, "ended": reason}
    query |= {"then": "sso"} if with_provider else {}
    query |= {"lang": language} if language else {}
    go_to(f"{sessions.SIGN_OUT_PATH}?{urlencode(query)}")


SIGNED_OUT = {
    "idle": f"You were signed out after {sessions.IDLE.seconds // 60} minutes without use, or "
    "because you signed out in another tab. Please sign in again.",
    "closed": "Your account has been closed, so you have been signed out.",
}


def require_actor(action: str) -> Actor:
    """The signed-in actor, if they may take `action` (ocf.permissions: the page's purpose);
    otherwise say so and stop the page."""
    actor = current_actor()
    if actor is None or not allowed(actor, action):
        st.error("Please sign in with an account that can use this page.")
        st.stop()
    return actor


def show_error(error: OcfError) -> None:
    """Show a core error plainly: each problem of a DataError on its own line, with the row or
    line and the column the command line gives (never a command-line flag)."""
    if isinstance(error, DataError):
        st.error(
            "Please check these:\n\n"
            + "\n".join(f"- {where(p)}{p.message}" for p in error.problems)
        )
    else:
        st.error(sentence(str(error)))


def where(problem) -> str:
    """'**Row 4, count**: ' for a problem in a file, '**name**: ' for a form's field."""
    parts = []
    if problem.row is not None:
        parts.append(f"Row {problem.row}")
    elif problem.line is not None:
        parts.append(f"Line {problem.line}")
    if problem.field:
        parts.append(problem.field.lstrip("-"))  # `--site` on the command line is `site` here
    return f"**{', '.join(parts)}**: " if parts else ""


def flash(message: str) -> None:
    """Keep a success message across the rerun that follows an action."""
    st.session_state["_flash"] = message


def flash_notice(message: str) -> None:
    """Keep a notice for the next page shown, whoever is (no longer) signed in."""
    st.session_state["_notice"] = message


def show_notice() -> None:
    if message := st.session_state.pop("_notice", None):
        st.warning(message, icon=":material/logout:")


def show_flash() -> None:
    if message := st.session_state.pop("_flash", None):
        st.success(message, icon=":material/check_circle:")


def open_rounds_or_stop(db: Store) -> list:
    """The open rounds; a page that needs one says so and stops when there is none."""
    rounds = [r for r in db.rounds.list_rounds() if r.status == "open"]
    if not rounds:
        st.info("No round is open at the moment.")
        st.stop()
    return rounds


def choose_round_and_site(
    db: Store, actor: Actor, rounds: list, describe=None, default: int | None = None
) -> tuple:
    """Round and organisation pickers: a site's own staff get their site, others choose a trust.

    The round picker opens on `default` (a position in `rounds`), else the latest round.
    """
    left, right = st.columns(2)
    chosen = rounds[len(rounds) - 1 if default is None else default]
    if actor.site:  # only the rounds that assess this person's kind of site (trust, ICB, …)
        own = db.sites.get_site(actor.site)
        rounds = [r for r in rounds if db.rounds.assesses(own.code, r.id) is None] or rounds
    index = rounds.index(chosen) if chosen in rounds else len(rounds) - 1
    round_ = left.selectbox(
        "Round", rounds, index=index, format_func=describe or _round_namer(rounds)
    )
    if actor.site:
        site = db.sites.get_site(actor.site)
        right.text_input("Organisation", site.name, disabled=True)
    else:
        kinds = db.rounds.round_framework(round_.id).assessed_at
        assessed = [s for s in db.sites.list_sites() if s.kind in kinds]
        if not assessed:
            right.info("No site of the kind this round assesses.")
            st.stop()
        site = right.selectbox(
            "Organisation", assessed, format_func=lambda s: f"{s.name} ({s.code})"
        )
    return round_, site


def choose_round(rounds: list, where=st, label: str = "Round", key: str | None = None):
    """The one round picker: the latest round first chosen, each named by `round_words`."""
    return where.selectbox(
        label, rounds, index=len(rounds) - 1, format_func=_round_namer(rounds), key=key
    )


def _round_namer(rounds: list):
    """`round_words` with each round's framework title (words, not ids: issue 35)."""
    titles = framework_titles()
    return lambda r: round_words(r, titles.get(r.framework_id, r.framework_id))


def framework_titles() -> dict[str, str]:
    """Framework id → title, for tables that name a round's framework."""
    return {f.id: f.title for f in shipped().frameworks.values()}


def reader_zone() -> str | None:
    """The browser's time zone (IANA name), for showing times as the reader's clock does."""
    zone = st.context.timezone
    return zone if isinstance(zone, str) and zone else None


def public_address() -> str | None:
    """The address panel members go to, as the operator set it (OCF_PUBLIC_URL), or None."""
    return os.environ.get("OCF_PUBLIC_URL", "").strip() or None


def client_id() -> str:
    """Who is knocking, for slowing down code guessing: the connection's address (Streamlit
    reports none for this computer: loopback), or, through the operator's trusted proxies
    (OCF_TRUSTED_PROXIES, docs/deployment.md), the address the proxy saw."""
    address = st.context.ip_address  # None on loopback; not a string under AppTest
    peer = address if isinstance(address, str) and address else None
    headers = st.context.headers
    forwarded = headers.get("X-Forwarded-For") if hasattr(headers, "get") else None
    trusted = os.environ.get("OCF_TRUSTED_PROXIES", "").split(",")
    return client_address(peer, forwarded if isinstance(forwarded, str) else None, trusted)


def _auth_section():
    try:
        return st.secrets.get("auth") if "auth" in st.secrets else None
    except StreamlitSecretNotFoundError:
        return None
    except Exception as error:  # a secrets.toml that is not valid TOML
        _LOG.error("single sign-on is off: .streamlit/secrets.toml cannot be read: %s", error)
        return {"__unreadable__": str(error)}


def sign_on_problems() -> list[str]:
    """What stops single sign-on from working (empty when it is configured, or not at all)."""
    section = _auth_section()
    if isinstance(section, dict) and "__unreadable__" in section:
        return [f".streamlit/secrets.toml cannot be read: {section['__unreadable__']}"]
    problems = auth_problems(None if section is None else dict(section))
    if problems and not st.session_state.get("_sso_logged"):
        st.session_state["_sso_logged"] = True
        _LOG.error("single sign-on is off: %s", "; ".join(problems))
    return problems


def single_sign_on() -> bool:
    """True when `.streamlit/secrets.toml` has a complete `[auth]` section (OIDC sign-in)."""
    return _auth_section() is not None and not sign_on_problems()


def signed_on() -> SignedOn | None:
    """Who single sign-on says this is (a verified email, or why it cannot be used)."""
    if not single_sign_on():
        return None
    return sso_claims(st.user.to_dict())


def signed_on_email() -> str | None:
    """The verified email of a person signed in through single sign-on, if any."""
    person = signed_on()
    return person.email if person else None


# Keyed paper forms not yet saved, per facilitator, site and round, kept by this server process
# so that a reload (which starts a new Streamlit session) does not lose 37 keyed answers. In
# memory only, at most _MOST_DRAFTS forms (the oldest dropped first), gone on a restart.
_PAPER_DRAFTS: OrderedDict[tuple, dict] = OrderedDict()
_DRAFTS_LOCK = threading.Lock()
_MOST_DRAFTS = 200


def paper_draft(key: tuple) -> dict:
    """The raw answers (item id → (value, text)) last keyed for `key`, or none."""
    with _DRAFTS_LOCK:
        return dict(_PAPER_DRAFTS.get(key, {}))


def keep_paper_draft(key: tuple, raw: dict) -> None:
    """Keep what is keyed so far for `key` (nothing kept when nothing is keyed)."""
    keyed = {item: pair for item, pair in raw.items() if pair[0] or (pair[1] or "").strip()}
    with _DRAFTS_LOCK:
        _PAPER_DRAFTS.pop(key, None)
        if keyed:
            _PAPER_DRAFTS[key] = keyed
            while len(_PAPER_DRAFTS) > _MOST_DRAFTS:
                _PAPER_DRAFTS.popitem(last=False)


def decoded(upload) -> str:
    """An uploaded file's text; a file that is not UTF-8 is refused with how to fix it."""
    try:
        return upload.getvalue().decode("utf-8-sig")
    except UnicodeDecodeError:
        st.error(
            f"{upload.name}: not UTF-8 text. Save it as 'CSV UTF-8' (or UTF-8 YAML) and upload it again."
        )
        st.stop()
