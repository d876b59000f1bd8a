"""Single sign-on settings and claims (issue 23); the real-provider journey is in tests/browser."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ocf.sso import auth_problems, signed_on

from .conftest import PROJECT

APP = str(PROJECT / "app_router.py")
GOOD = {
    "redirect_uri": "https://ocf.trust.nhs.uk/oauth2callback",
    "cookie_secret": "k" * 48,
    "client_id": "0c4f-app",
    "client_secret": "a secret",
    "server_metadata_url": "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration",
}


def test_a_complete_section_has_no_problems_and_none_is_not_a_problem() -> None:
    assert auth_problems(GOOD) == []
    assert auth_problems(None) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"client_id": None}, "[auth] client_id: missing"),
        ({"client_secret": 42}, "[auth] client_secret: expected text, found 42"),
        ({"redirect_uri": "https://ocf.example/callback"}, "must end with /oauth2callback"),
        ({"redirect_uri": "ocf.example/oauth2callback"}, "expected an http(s) address"),
        ({"server_metadata_url": "tenant"}, "expected the provider's .well-known"),
        ({"cookie_secret": "short"}, "at least 32 random characters"),
    ],
)
def test_each_problem_in_a_section_is_named(change: dict, problem: str) -> None:
    section = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    assert any(problem in p for p in auth_problems(section)), auth_problems(section)


def test_claims_give_a_verified_email_or_say_why_not() -> None:
    assert signed_on({"is_logged_in": False}) is None
    assert signed_on({"is_logged_in": True, "email": "a@nhs.net"}).email == "a@nhs.net"
    assert signed_on({"is_logged_in": True, "email": "a@nhs.net", "email_verified": True}).email
    refused = signed_on({"is_logged_in": True, "email": "a@nhs.net", "email_verified": False})
    assert refused.email is None and "not verified" in refused.refusal
    assert signed_on({"is_logged_in": True}).refusal.startswith("Your organisation account did")


@pytest.fixture
def sign_in_page(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("OCF_DB", str(demo_path))
    at = AppTest.from_file(APP, default_timeout=30)
    at.switch_page("app_pages/sign_in.py")
    return at


def test_without_an_auth_section_the_sign_in_page_offers_codes_only(sign_in_page) -> None:
    sign_in_page.run()
    assert not sign_in_page.exception
    labels = [b.label for b in sign_in_page.button]
    assert "Sign in with your organisation account" not in labels
    assert not sign_in_page.error


def test_a_complete_auth_section_offers_single_sign_on(sign_in_page) -> None:
    sign_in_page.secrets["auth"] = GOOD
    sign_in_page.run()
    assert not sign_in_page.exception
    assert "Sign in with your organisation account" in [b.label for b in sign_in_page.button]


def test_a_malformed_auth_section_says_what_to_fix_and_logs_it(
    sign_in_page, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in_page.secrets["auth"] = {"redirect_uri": "https://ocf.example/callback"}
    with caplog.at_level(logging.ERROR, logger="ocf"):
        sign_in_page.run()
    assert not sign_in_page.exception
    message = sign_in_page.error[0].value
    assert "Single sign-on is switched off" in message
    assert "[auth] client_id: missing" in message and "must end with /oauth2callback" in message
    assert "Sign in with your organisation account" not in [b.label for b in sign_in_page.button]
    assert any("single sign-on is off" in r.getMessage() for r in caplog.records)
    assert sign_in_page.text_input[0].label == "Access code"  # codes still work
