"""Single sign-on (OpenID Connect): the settings it needs and what a provider's claims allow.

Streamlit's `st.login` does the protocol; this module decides, without Streamlit, whether the
`[auth]` section of `.streamlit/secrets.toml` is complete, and which verified email a signed-in
person's claims give (docs/deployment.md says how to configure a provider).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

__all__ = [
    "CALLBACK_PATH",
    "MIN_COOKIE_SECRET",
    "REQUIRED",
    "SignedOn",
    "auth_problems",
    "signed_on",
]


REQUIRED = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
CALLBACK_PATH = "/oauth2callback"
MIN_COOKIE_SECRET = 32  # characters: the cookie that keeps people signed in is signed with it


def auth_problems(section: Mapping | None) -> list[str]:
    """What is wrong with an `[auth]` section (empty: nothing; None: there is no section).

    Only the default provider is supported: the keys sit directly in `[auth]`.
    """
    if section is None:
        return []
    if not isinstance(section, Mapping):
        return ["[auth] must be a table of settings"]
    problems = []
    for key in REQUIRED:
        value = section.get(key)
        if value is None:
            problems.append(f"[auth] {key}: missing")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"[auth] {key}: expected text, found {value!r}")
    redirect = section.get("redirect_uri")
    if isinstance(redirect, str) and redirect.strip():
        parsed = urlparse(redirect.replace("{port}", "8501"))
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(f"[auth] redirect_uri: expected an http(s) address, found {redirect!r}")
        elif not parsed.path.endswith(CALLBACK_PATH):
            problems.append(
                f"[auth] redirect_uri: must end with {CALLBACK_PATH} (the app's callback), "
                f"found {redirect!r}"
            )
    metadata = section.get("server_metadata_url")
    if isinstance(metadata, str) and metadata.strip():
        parsed = urlparse(metadata)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(
                f"[auth] server_metadata_url: expected the provider's "
                f".well-known/openid-configuration address, found {metadata!r}"
            )
    secret = section.get("cookie_secret")
    if isinstance(secret, str) and secret.strip() and len(secret) < MIN_COOKIE_SECRET:
        problems.append(
            f"[auth] cookie_secret: at least {MIN_COOKIE_SECRET} random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return problems


@dataclass(frozen=True)
class SignedOn:
    """What the provider's claims allow: an email to look the account up by, or why not."""

    email: str | None
    refusal: str | None = None


def signed_on(claims: Mapping) -> SignedOn | None:
    """The verified email in a signed-in person's claims (None: nobody is signed in).

    A provider that says `email_verified: false` is refused: anyone can type an unverified
    address. One that does not send the claim (Microsoft Entra ID) is trusted for the address
    its tenant issued.
    """
    if not claims.get("is_logged_in"):
        return None
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        return SignedOn(None, "Your organisation account did not give an email address.")
    if claims.get("email_verified") in (False, "false", "False", 0):
        return SignedOn(
            None,
            f"Your organisation account says its email address ({email}) is not verified, "
            "so it cannot be used to sign in.",
        )
    return SignedOn(email.strip())
