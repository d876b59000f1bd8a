"""The app: `streamlit run streamlit_app.py` (Streamlit's convention, and what `make run`, hosting
services and an ASGI server run) serves the whole platform. The pages and menu are the router's
(`app_router.py`); here are the server's own addresses, which set and clear the HttpOnly
session cookie (a Streamlit script cannot: ocf/sessions.py), and the browser cookie that binds
a sign-in to the browser that began it.

An ASGI server runs the same object: `uvicorn streamlit_app:app`.
"""

from __future__ import annotations

import secrets
from contextlib import closing
from http.cookies import SimpleCookie

import streamlit as st
from starlette.middleware import Middleware
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
        token = sessions.exchange(
            db,
            request.query_params.get("ticket", ""),
            request.cookies.get(sessions.BROWSER_COOKIE, ""),
        )
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


class BrowserCookie:
    """Give every browser a random id in an HttpOnly cookie on its first request, so that a
    sign-in ticket and a member's started survey can be tied to it (ocf/sessions.py)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        request = Request(scope) if scope["type"] == "http" else None
        if request is None or sessions.BROWSER_COOKIE in request.cookies:
            await self.app(scope, receive, send)
            return
        value = SimpleCookie()
        value[sessions.BROWSER_COOKIE] = secrets.token_urlsafe(32)
        morsel = value[sessions.BROWSER_COOKIE]
        morsel.update(
            {
                "path": "/",
                "httponly": True,
                "samesite": "Strict",
                "max-age": str(int(sessions.BROWSER_LIFE.total_seconds())),
            }
        )
        if _secure(request):
            morsel["secure"] = True
        header = morsel.OutputString().encode()

        async def with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"set-cookie", header)]}
            await send(message)

        await self.app(scope, receive, with_cookie)


app = st.App(
    "app_router.py",
    routes=[Route(sessions.SESSION_PATH, start_session), Route(sessions.SIGN_OUT_PATH, sign_out)],
    middleware=[Middleware(BrowserCookie)],
)
