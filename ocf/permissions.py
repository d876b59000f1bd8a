"""Who may do what: every action declared once, with the roles that may take it and how far.

An action names what it is about (a site, a round, both or neither). A role may be held to its
own site (a lead, a facilitator) or to published rounds (a regulator, the public). Core
functions call `ensure(actor, action, site=…, round_=…)`, lists go through `allowed_rounds`,
and pages ask `allowed` before offering something; none compares role names itself
(tests/test_architecture.py checks). Adding a role, or changing what one sees, is an edit to
`ACTIONS` below (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from ocf.errors import PermissionDenied
from ocf.models import Round

__all__ = [
    "ACTIONS",
    "ACTORS",
    "ROLES",
    "SITE_ROLES",
    "Action",
    "Role",
    "allowed",
    "allowed_rounds",
    "ensure",
    "held_to_site",
    "who_may",
]

# Staff roles an account can hold (ocf.access); "panel" and "public" are actors without one.
ROLES = ("lead", "facilitator", "regulator", "admin")
# Roles whose account works for one site (a trust or ICB); the others see every site.
SITE_ROLES = ("lead", "facilitator")
# Every role an actor can have: staff, a panel member signed in with an invitation code, and
# the public (a visitor who has not signed in, or the public summary's reader).
ACTORS = (*ROLES, "panel", "public")
NATIONAL = ("regulator", "admin")  # the roles that see every site
Resource = Literal["site", "round", "site and round", "none"]


class Acting(Protocol):
    """Who is acting (ocf.access.Actor): only their role and site matter here."""

    @property
    def role(self) -> str: ...
    @property
    def site(self) -> str | None: ...


@dataclass(frozen=True)
class Role:
    """A role on its own, for asking what it may do anywhere (menus, messages)."""

    role: str
    site: str | None = None


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    resource: Resource
    roles: frozenset[str]
    own_site: frozenset[str] = frozenset()  # these roles act only for their own site
    published: frozenset[str] = frozenset()  # these roles see a round only once published


def _action(
    name: str,
    description: str,
    resource: Resource,
    roles: Iterable[str],
    own_site: Iterable[str] = (),
    published: Iterable[str] = (),
) -> Action:
    return Action(
        name, description, resource, frozenset(roles), frozenset(own_site), frozenset(published)
    )


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _action(
            "view-results",
            "See a site's scores, gaps and action plan for a round",
            "site and round",
            ("lead", "regulator", "admin", "public"),
            own_site=("lead",),
            published=("regulator", "public"),
        ),
        _action(
            "view-evidence",
            "Open the evidence a site attached to its self-assessment",
            "site and round",
            ("lead", "facilitator", "regulator", "admin"),
            own_site=("lead", "facilitator"),
            published=("regulator",),
        ),
        _action(
            "view-actions",
            "Read action plans",
            "site and round",
            ("lead", "regulator", "admin", "public"),
            own_site=("lead",),
            published=("regulator", "public"),
        ),
        _action(
            "edit-actions",
            "Add, update or import a site's actions",
            "site",
            ("lead", "admin"),
            own_site=("lead",),
        ),
        _action(
            "compare-sites",
            "Compare every site's scores in a round, and their trends",
            "round",
            ("regulator", "admin"),
            published=("regulator",),
        ),
        _action(
            "link-disparity",
            "Link every site's maturity to its detention figures",
            "round",
            ("regulator", "admin"),
            published=("regulator",),
        ),
        _action(
            "review-panel-entries",
            "See who entered panel forms, and flags on padded-looking entries",
            "round",
            ("regulator", "admin"),
        ),
        _action(
            "review-comments",
            "Review panel members' comments for every site",
            "site",
            ("facilitator", "admin"),
            own_site=("facilitator",),
        ),
        _action(
            "key-paper-forms",
            "Key in, confirm or discard a site's paper panel forms",
            "site",
            ("facilitator",),  # never an admin, who reads every result (docs/security.md)
            own_site=("facilitator",),
        ),
        _action(
            "set-safeguarding-procedure",
            "Record what facilitators do about a safeguarding concern",
            "site",
            ("admin",),
        ),
        _action(
            "see-panel-status",
            "See how many codes were used and responses counted",
            "site",
            ("facilitator", "admin"),
            own_site=("facilitator",),
        ),
        _action(
            "run-panel",
            "Issue and revoke a site's panel codes, close its panel and write what its members "
            "are told",
            "site",
            ("facilitator", "admin"),
            own_site=("facilitator",),
        ),
        _action(
            "self-assess",
            "Fill in and submit a site's self-assessment and attach its evidence",
            "site",
            ("lead", "admin"),
            own_site=("lead",),
        ),
        _action(
            "respond-to-panel",
            "Answer the gaps a site's panel found",
            "site",
            ("lead", "admin"),
            own_site=("lead",),
        ),
        _action(
            "view-disparity",
            "See detention rates and ratios by ethnicity",
            "none",
            ("lead", "regulator", "admin"),
        ),
        # Administration: the platform's own records, never a site's.
        _action("manage-sites", "Add, edit or retire sites", "none", ("admin",)),
        _action("manage-rounds", "Open rounds and change their status", "none", ("admin",)),
        _action(
            "manage-submissions",
            "See every round's submissions and reopen one",
            "none",
            ("admin",),
        ),
        _action(
            "publish-content", "Publish new versions of frameworks and surveys", "none", ("admin",)
        ),
        _action("manage-accounts", "Create, reset and revoke staff accounts", "none", ("admin",)),
        _action("read-audit-log", "Read and check the audit log", "none", ("admin",)),
        _action("import-data", "Import detention figures and survey responses", "none", ("admin",)),
        _action("set-retention", "Set how long panel answers are kept", "none", ("admin",)),
        # Pages open to everyone in their menu: "public" is a visitor who has not signed in,
        # "panel" a member signed in with an invitation code.
        _action(
            "open-home", "Open the home page", "none", ("public", "lead", "facilitator", *NATIONAL)
        ),
        _action("sign-in", "Sign in", "none", ("public",)),
        _action(
            "read-public-summary",
            "Read a site's public summary of a published round",
            "none",
            ("public", "lead", "facilitator", *NATIONAL),
        ),
        _action(
            "read-frameworks",
            "Read the frameworks and surveys",
            "none",
            ("public", "lead", "facilitator", *NATIONAL),
        ),
        _action(
            "read-accessibility",
            "Read the accessibility statement",
            "none",
            ("public", "panel", "lead", "facilitator", *NATIONAL),
        ),
        _action(
            "answer-panel-survey",
            "Answer a panel survey with an invitation code",
            "none",
            ("public", "panel"),
        ),
        _action(
            "read-panel-privacy",
            "Read the panel's privacy notice",
            "none",
            ("public", "panel", "facilitator", "admin"),
        ),
        _action(
            "open-results",
            "See results on the Results page",
            "none",
            ("lead", "regulator", "admin"),
        ),
    )
}


def _round_seen(action: Action, role: str, round_: Round | None) -> bool:
    return round_ is None or role not in action.published or round_.status == "published"


def _site_seen(action: Action, role: str, own: str | None, site: str | None) -> bool:
    return site is None or role not in action.own_site or own == site


def allowed(
    actor: Acting, action: str, site: str | None = None, round_: Round | None = None
) -> bool:
    """Whether `actor` may take `action` (on `site` and `round_`, where it is about them)."""
    rule = ACTIONS[action]
    role = actor.role
    return (
        role in rule.roles
        and _site_seen(rule, role, actor.site, site)
        and _round_seen(rule, role, round_)
    )


def ensure(
    actor: Acting, action: str, site: str | None = None, round_: Round | None = None
) -> None:
    """Raise PermissionDenied, saying why, unless `actor` may take `action`."""
    rule = ACTIONS[action]
    role = actor.role
    if role not in rule.roles:
        raise PermissionDenied(
            f"{'an' if role[:1] in 'aeiou' else 'a'} {role} cannot "
            f"{rule.description[0].lower()}{rule.description[1:]}; "
            f"that is for: {', '.join(sorted(rule.roles - {'public'}))}"
        )
    if not _site_seen(rule, role, actor.site, site):
        raise PermissionDenied(f"your account is for site {actor.site}, not {site}")
    if not _round_seen(rule, role, round_):
        assert round_ is not None
        raise PermissionDenied(f"round {round_.id} is not published yet")


def allowed_rounds(actor: Acting, action: str, rounds: Iterable[Round]) -> list[Round]:
    """The rounds in which `actor` may take `action` (any site they may act for)."""
    rule = ACTIONS[action]
    if actor.role not in rule.roles:
        return []
    return [r for r in rounds if _round_seen(rule, actor.role, r)]


def held_to_site(actor: Acting, action: str) -> str | None:
    """The one site `actor` may take `action` for, where their role holds them to their own."""
    return actor.site if actor.role in ACTIONS[action].own_site else None


def who_may(action: str) -> list[str]:
    """The staff roles that may take `action` (for menus and messages)."""
    return [role for role in ROLES if role in ACTIONS[action].roles]
