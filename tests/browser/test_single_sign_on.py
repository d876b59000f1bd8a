"""Single sign-on against a real OpenID Connect provider on localhost (issue 23).

The provider is `oidc-provider-mock` (PyPI): a complete OIDC provider (discovery, authorisation
code flow, signed ID tokens, userinfo, RP-initiated logout) with a login form where the test
chooses who signs in and a `PUT /users/<sub>` call that sets that person's claims. It runs in
its own process, so the app's `st.login` talks to it over HTTP exactly as it would to Microsoft
Entra ID or NHS CIS2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ocf.access import SYSTEM, add_account
from ocf.models import Site
from ocf.rounds import open_round, resolve_content
from ocf.store import Store

from .conftest import CHROMIUM, NO_BROWSER, PROJECT, _free_port

pytestmark = pytest.mark.browser
TIMEOUT = 60_000  # ms: generous, and only ever a ceiling on waiting for a condition

PEOPLE = {
    "ada": {"email": "ada.lead@nhs.example", "email_verified": True, "name": "Ada"},
    "bob": {"email": "bob.lead@nhs.example", "email_verified": True, "name": "Bob"},
    "eve": {"email": "eve@elsewhere.example", "email_verified": True, "name": "Eve"},
    # An unverified claim to Ada's address: must never become Ada.
    "mallory": {"email": "ada.lead@nhs.example", "email_verified": False, "name": "Mallory"},
}


def _wait_for(url: str, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{what} did not answer on {url}; see {log}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The issuer URL of a real OIDC provider, with PEOPLE's claims set."""
    if CHROMIUM is None:
        pytest.skip(NO_BROWSER)
    folder = tmp_path_factory.mktemp("oidc")
    port = _free_port()
    log_path = folder / "provider.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{issuer}/.well-known/openid-configuration", process, "the provider", log_path)
        for sub, claims in PEOPLE.items():
            request = urllib.request.Request(
                f"{issuer}/users/{sub}",
                data=json.dumps(claims).encode(),
                headers={"Content-Type": "application/json"},
                method="PUT",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 204
        yield issuer
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, database) of the app with `[auth]` pointing at the provider: a real (not
    demo) database with accounts for Ada and Bob."""
    folder = tmp_path_factory.mktemp("sso-app")
    db = folder / "ocf.db"
    store = Store.open(db)
    store.sites.add_sites([Site("RX1", "Trust one")], "test")
    open_round(store, "r1", resolve_content("ocf-race-equality"), "test")
    for name, sub in (("Ada Lead", "ada"), ("Bob Lead", "bob")):
        add_account(store, SYSTEM, name, "lead", "RX1", PEOPLE[sub]["email"])
    store.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{"s3cr3t-" * 8}"\n'
        'client_id = "ocf-platform"\n'
        'client_secret = "not-a-real-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    log_path = folder / "streamlit.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                "--server.port", str(port), "--server.address", "127.0.0.1",
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--secrets.files", str(secrets),
            ],
            cwd=PROJECT,
            env={**os.environ, "OCF_DB": str(db)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for(f"{url}/_stcore/health", process, "streamlit", log_path)
        yield url, db
    finally:
        _stop(process)


@pytest.fixture
def page(browser, app):
    """A fresh browser (no cookies) for each test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT)
    expect.set_options(timeout=TIMEOUT)
    yield opened
    context.close()


def sign_in_through_provider(page, url: str, sub: str) -> None:
    page.goto(f"{url}/sign_in")
    page.get_by_role("button", name="Sign in with your organisation account").click()
    page.get_by_placeholder("sub").fill(sub)  # the provider's own login form
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**")


def test_a_matching_account_signs_in_and_a_reload_keeps_it(page, app) -> None:
    url, _ = app
    sign_in_through_provider(page, url, "ada")
    signed_in = page.get_by_text("Signed in: Ada Lead (Equality lead, Trust one)")
    signed_in.wait_for()
    page.get_by_role("link", name="Self-assessment").wait_for()  # the lead's own pages
    page.reload()
    signed_in.wait_for()
    page.get_by_role("link", name="Results").wait_for()


def test_an_email_with_no_account_gets_no_staff_page(page, app) -> None:
    url, _ = app
    sign_in_through_provider(page, url, "eve")
    page.goto(f"{url}/sign_in")
    page.get_by_text("no account here uses that email").wait_for()
    expect(page.get_by_text("eve@elsewhere.example").first).to_be_visible()
    expect(page.get_by_role("link", name="Results")).to_have_count(0)
    expect(page.get_by_text("Signed in:")).to_have_count(0)


def test_an_unverified_email_is_refused_even_when_an_account_has_it(page, app) -> None:
    url, _ = app
    sign_in_through_provider(page, url, "mallory")
    page.goto(f"{url}/sign_in")
    page.get_by_text("is not verified, so it cannot be used to sign in").wait_for()
    expect(page.get_by_text("Signed in:")).to_have_count(0)
    expect(page.get_by_role("link", name="Self-assessment")).to_have_count(0)


def test_a_revoked_account_loses_access_at_its_next_page_load(page, app) -> None:
    url, db = app
    sign_in_through_provider(page, url, "bob")
    page.get_by_text("Signed in: Bob Lead").wait_for()
    store = Store.open(db)
    bob = next(a for a in store.accounts.list_accounts() if a.name == "Bob Lead")
    store.accounts.revoke_account(bob.id, "test")
    store.close()
    page.get_by_role("link", name="Results").click()  # the next page load
    page.get_by_text("Your account has been closed").wait_for()
    expect(page.get_by_text("Signed in: Bob Lead")).to_have_count(0)
    expect(page.get_by_role("link", name="Self-assessment")).to_have_count(0)


def test_signing_out_ends_the_app_session_and_the_providers(page, app, provider) -> None:
    url, _ = app
    sign_in_through_provider(page, url, "ada")
    page.get_by_text("Signed in: Ada Lead").wait_for()
    page.get_by_role("button", name="Sign out").click()
    # RP-initiated logout: the provider asks to confirm ending its own session.
    page.wait_for_url(f"{provider}/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{url}/**")
    page.get_by_role("link", name="Sign in").wait_for()  # back in the app, signed out
    expect(page.get_by_text("Signed in:")).to_have_count(0)
    page.goto(f"{url}/sign_in")  # the cookie is gone: a new page load does not sign Ada in
    page.get_by_role("button", name="Sign in with your organisation account").wait_for()
    expect(page.get_by_text("Signed in:")).to_have_count(0)
