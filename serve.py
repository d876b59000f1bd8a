"""The web server: the Streamlit app (`streamlit_app.py`) and two addresses of our own that set
and clear the HttpOnly session cookie, which a Streamlit script cannot do (ocf/sessions.py).

`make run` starts it with `streamlit run serve.py`: the same options, the same app.
"""

from __future__ import annotations

from contextlib import closing

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ocf import sessions
from ocf.store import Store


def _secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (itself or through the operator's TLS proxy),
    or on this computer, which browsers treat as secure. Over plain HTTP to another host a
    Secure cookie would be dropped and nobody could stay signed in (docs/security.md)."""
    return (
        request.url.scheme == "https"
        or request.headers.get("x-forwarded-proto", "").lower() == "https"
        or request.url.hostname in ("localhost", "127.0.0.1", "::1")
    )


def _cookie(request: Request, response: RedirectResponse, token: str | None) -> RedirectResponse:
    settings = {"path": "/", "httponly": True, "secure": _secure(request), "samesite": "strict"}
    if token:
        response.set_cookie(
            sessions.COOKIE, token, max_age=int(sessions.LONGEST.total_seconds()), **settings
        )
    else:
        response.delete_cookie(sessions.COOKIE, **settings)
    return response


def start_session(request: Request) -> RedirectResponse:
    """Exchange a sign-in's ticket for the session cookie, then open the page asked for."""
    with closing(Store.open()) as db:
        token = sessions.exchange(db, request.query_params.get("ticket", ""))
    lang = request.query_params.get("lang", "")
    lang = lang if sessions.LANGUAGE.fullmatch(lang) else ""
    target = sessions.page_address(request.query_params.get("next"), lang=lang)
    return _cookie(request, RedirectResponse(target, status_code=303), token)


def sign_out(request: Request) -> RedirectResponse:
    """End the session and clear its cookie; then single sign-on's own sign-out, if asked."""
    with closing(Store.open()) as db:
        sessions.end(db, request.cookies.get(sessions.COOKIE))
    if request.query_params.get("then") == "sso":
        target = "/auth/logout"
    else:
        ended = request.query_params.get("ended", "")
        # idle, closed, or withdrawn (a panel member took their answers back: said in their
        # language)
        ended = ended if sessions.ENDED.fullmatch(ended) else ""
        lang = request.query_params.get("lang", "")
        lang = lang if sessions.LANGUAGE.fullmatch(lang) else ""
        target = sessions.page_address(request.query_params.get("next"), ended=ended, lang=lang)
    return _cookie(request, RedirectResponse(target, status_code=303), None)


app = st.App(
    "streamlit_app.py",
    routes=[Route(sessions.SESSION_PATH, start_session), Route(sessions.SIGN_OUT_PATH, sign_out)],
)
