"""A seeded, synthetic demo database: fictional trusts under fictional ICBs, two OCF rounds and
a round of the ICBs' own system competencies.

Each fictional trust has a latent maturity per competency; its equality lead rates it with the
trust's own bias (some over-rate themselves by a level or more) and each panel member answers
the plain-language items from what they see, with noise and some "don't know". Every number is
made up; the app says so on every page.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ocf.access import (
    SYSTEM,
    Actor,
    account_actor,
    add_account,
    check_active,
    issue_invitations,
    sign_in,
)
from ocf.answers import parse_answer, visible_items
from ocf.detention_import import import_detentions, read_template
from ocf.errors import ConflictError, PermissionDenied
from ocf.importers import Table
from ocf.models import Answer, Framework, Response, Site, Survey
from ocf.permissions import ensure
from ocf.rounds import RoundContent, change_status, open_round, resolve_content
from ocf.store import Store
from ocf.submissions import SELF_RESPONDENT

__all__ = [
    "ACTIONS",
    "ACTOR",
    "COMMENTS",
    "COMMENT_THEMES",
    "DEMO_ACCOUNTS",
    "DEMO_ACTIONS",
    "DEMO_RESPONSE",
    "DEMO_SAFEGUARDING",
    "DEMO_SITE",
    "DRAFT_SELF",
    "EVIDENCE",
    "EVIDENCE_LINKS",
    "FRAMEWORK",
    "GROUP_SHARES",
    "ICBS",
    "OWNERS",
    "REFERENCE_DATA",
    "ROUNDS",
    "SEED",
    "SMALL_PANEL",
    "SYSTEMS",
    "SYSTEM_FRAMEWORK",
    "TRUSTS",
    "WHITE_RATE",
    "DemoTrust",
    "create_demo",
    "demo_actor",
    "demo_pdf",
    "reset_demo",
    "seed_demo",
    "trust_name",
]


ACTOR = "demo"
SEED = 2026
FRAMEWORK = "ocf-race-equality"


@dataclass(frozen=True)
class DemoTrust:
    site: Site
    maturity: float  # mean latent level, 0–3
    bias: float  # how far the lead's self-rating runs above the truth
    improvement: float  # latent gain from round 1 to round 2


ICBS = (
    Site("XQA", "Northvale Integrated Care Board", "icb"),
    Site("XQB", "Southmere Integrated Care Board", "icb"),
    Site("XQC", "Eastbrook Integrated Care Board", "icb"),
)
TRUSTS = (
    DemoTrust(
        Site("XTA1", "Northvale Mental Health NHS Foundation Trust", "trust", "XQA", "pilot-1"),
        1.2,
        1.3,
        0.3,
    ),
    DemoTrust(
        Site("XTA2", "Riverside Care Partnership NHS Trust", "trust", "XQA", "pilot-1"),
        2.0,
        0.1,
        0.2,
    ),
    DemoTrust(
        Site("XTA3", "Harbour Minds NHS Foundation Trust", "trust", "XQA", "pilot-2"), 0.8, 0.4, 0.5
    ),
    DemoTrust(
        Site("XTB1", "Southmere Mental Health NHS Trust", "trust", "XQB", "pilot-1"), 1.6, 0.9, 0.1
    ),
    DemoTrust(
        Site("XTB2", "Kingsbridge Healthcare NHS Foundation Trust", "trust", "XQB", "pilot-2"),
        2.3,
        0.0,
        0.1,
    ),
    DemoTrust(
        Site("XTB3", "Oakfield and Wyeham NHS Trust", "trust", "XQB", "pilot-2"), 1.0, 1.6, 0.0
    ),
    DemoTrust(
        Site("XTC1", "Eastbrook Mental Health NHS Foundation Trust", "trust", "XQC", "pilot-1"),
        1.4,
        0.2,
        0.6,
    ),
    DemoTrust(
        Site("XTC2", "Greystone Community Health NHS Trust", "trust", "XQC", "pilot-2"),
        0.6,
        0.8,
        0.3,
    ),
)
ROUNDS = (("2024-25", "2023-24", "published"), ("2025-26", "2024-25", "open"))
# In the open round one trust's panel closed with only two members: its figures are suppressed.
SMALL_PANEL = ("2025-26", "XTB3", 2)
# ... and the demo lead's trust is half-way through its self-assessment (a draft).
DRAFT_SELF = ("2025-26", "XTA1", ("awareness", "staff-capability"))
DEMO_SITE = "XTA1"
DEMO_ACCOUNTS = (
    ("Demo equality lead", "lead", DEMO_SITE),
    ("Demo panel facilitator", "facilitator", DEMO_SITE),
    ("Demo regulator", "regulator", None),
    ("Demo administrator", "admin", None),
)

EVIDENCE = (
    "Board paper (see governance library) and minutes of the last two meetings.",
    "Quarterly dashboard by ethnic group; notes of the panel's review.",
    "Audit of 40 care plans, summarised in the equality report.",
    "Training records and the evaluation report co-written with the panel.",
    "Community engagement log and the partnership agreement.",
)
ACTIONS = (
    "Co-produce an improvement plan with the panel and report to the board.",
    "Report the figures by each ethnic group, with intervals, every quarter.",
    "Extend the programme to all inpatient wards and evaluate it with service users.",
    "Agree funding with community partners for the next three years.",
)
OWNERS = ("Director of Nursing", "Chief Operating Officer", "Head of Equality", "Medical Director")
COMMENTS = (
    "Listen to families when they say something is wrong.",
    "Have more staff who understand our culture.",
    "Explain what the Mental Health Act means in our language.",
    "Stop calling the police first.",
    "Keep telling us what changed.",
)


def create_demo(path: str | Path, force: bool = False, seed: int = SEED) -> Store:
    """Create the demo database at `path`; refuse to overwrite unless `force`."""
    path = Path(path)
    if path.exists():
        if not force:
            raise ConflictError(f"{path} already exists; use --force to replace it with the demo")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store.open(path)
    seed_demo(store, seed)
    return store


def seed_demo(store: Store, seed: int = SEED, content: RoundContent | None = None) -> None:
    """Fill an empty store with the demo sites, rounds and submissions, in one transaction.

    `content`: the framework and surveys its rounds use (default: the shipped OCF); tests seed
    an earlier version to show its rounds still score as they did.
    """
    rng = np.random.default_rng(seed)
    content = content or resolve_content(FRAMEWORK)
    framework = content.framework
    surveys = {survey.audience: survey for survey, _ in content.surveys}
    with store.write():
        store.set_meta("demo", "1")
        store.sites.add_sites([*ICBS, *(t.site for t in TRUSTS)], ACTOR)
        _add_accounts(store)
        latent = {t.site.code: _latent(rng, framework, t.maturity) for t in TRUSTS}
        for number, (round_id, period, status) in enumerate(ROUNDS):
            open_round(store, round_id, content, ACTOR, period=period)
            responses = []
            for trust in TRUSTS:
                truth = {
                    c: v + number * trust.improvement for c, v in latent[trust.site.code].items()
                }
                truth = {c: float(np.clip(v, 0, 3)) for c, v in truth.items()}
                own = _self_response(rng, round_id, trust, surveys["self"], framework, truth)
                if (round_id, trust.site.code) == DRAFT_SELF[:2]:
                    _save_partial_draft(store, own, framework, DRAFT_SELF[2])
                else:
                    responses.append(own)
                members = int(rng.integers(6, 13))
                if (round_id, trust.site.code) == SMALL_PANEL[:2]:
                    members = SMALL_PANEL[2]
                for member in range(1, members + 1):
                    # The demo facilitator always has comments to review: the demo site's
                    # first two members write one, if chance has not made them write already.
                    writes = trust.site.code == DEMO_SITE and member <= 2
                    responses.append(
                        _panel_response(
                            rng,
                            round_id,
                            trust.site.code,
                            f"P{member:02d}",
                            surveys["panel"],
                            framework,
                            truth,
                            comment=COMMENTS[member - 1] if writes else None,
                        )
                    )
            store.submissions.add_submitted(responses, ACTOR)
            if status == "open":
                # Every panel has finished but the demo lead's own, which the demo facilitator
                # can still run and close (staff see a panel's figures only once it closes).
                for trust in TRUSTS:
                    if trust.site.code != DEMO_SITE:
                        store.panels.close_panel(trust.site.code, round_id, ACTOR)
            if status == "published":
                change_status(store, round_id, "close", ACTOR)
                change_status(store, round_id, "publish", ACTOR)
            if number == 0 and content.framework.id == FRAMEWORK:
                # Opened between the two OCF rounds, so it is never the latest round.
                _add_system_round(store, np.random.default_rng(seed + 3), round_id, period)
        # A separate generator, so the assessment data above do not depend on this.
        _add_detentions(store, np.random.default_rng(seed + 1))
        _add_loop(store)
        _add_evidence(store, np.random.default_rng(seed + 2))
        _add_comment_reviews(store)


SYSTEM_FRAMEWORK = "ocf-system"
# (ICB, its latent maturity, the lead's bias, panel members: 0 when the system has no panel)
SYSTEMS = (("XQA", 1.4, 0.6, 7), ("XQB", 0.9, 1.1, 6), ("XQC", 1.8, 0.2, 0))


def _add_system_round(store: Store, rng: np.random.Generator, after: str, period: str) -> None:
    """A closed round of the system competencies for the three ICBs, for the same data period
    as the first OCF round: the Systems page shows it beside their trusts."""
    content = resolve_content(SYSTEM_FRAMEWORK)
    framework = content.framework
    surveys = {survey.audience: survey for survey, _ in content.surveys}
    round_id = f"{after}-system"
    open_round(store, round_id, content, ACTOR, period=period)
    responses = []
    for code, maturity, bias, members in SYSTEMS:
        truth = _latent(rng, framework, maturity)
        system = DemoTrust(Site(code, code, "icb"), maturity, bias, 0.0)
        responses.append(_self_response(rng, round_id, system, surveys["self"], framework, truth))
        responses += [
            _panel_response(
                rng, round_id, code, f"P{m:02d}", surveys["panel"], framework, truth
            )
            for m in range(1, members + 1)
        ]  # fmt: skip
    store.submissions.add_submitted(responses, ACTOR)
    # Closed, not yet published: the demo administrator sees it on Systems and can publish it
    # for regulators on Rounds.
    change_status(store, round_id, "close", ACTOR)


# The demo lead's answers to its panel and its action plan (made up), so that every role sees
# the accountability loop: responses in the published round, actions carried into the next.
DEMO_RESPONSE = (
    "Panel members said staff did not explain what was happening or why.",
    "We accept that people from Black communities were not given this explanation as often.",
    "Ward staff will explain rights in the person's language within a day, checked monthly.",
)
# (competency, action, owner, due in days from the day the demo is made, status, note)
DEMO_ACTIONS = [
    ("awareness-community-needs", "Community listening events in three neighbourhoods",
     "Director of nursing", 30, "done", "Held in Harbour Ward, Eastfields and Millbank"),
    ("data-ethnicity-recording", "Ethnicity recorded for every admission",
     "Head of informatics", 120, "on track", "Recording at 91%, up from 78%"),
    ("behaviour-coercive-practice", "Review every restraint of a Black patient with the panel",
     "Medical director", -14, "at risk", "Two reviews held; the panel asked for more"),
]  # fmt: skip


def _add_loop(store: Store) -> None:
    from ocf.accountability import gaps_without_response, track_plan

    published = [r.id for r in store.rounds.list_rounds() if r.status == "published"]
    if not published:
        return
    first = published[0]
    for competency in gaps_without_response(store, first).get(DEMO_SITE, []):
        texts = dict(zip(("panel_said", "accepted", "will_do"), DEMO_RESPONSE, strict=True))
        store.accountability.save_response(DEMO_SITE, first, competency, texts, ACTOR)
    today = date.today()
    rows = [
        {
            "site": DEMO_SITE,
            "round": first,
            "competency": c,
            "action": a,
            "owner": o,
            "due": (today + timedelta(days=d)).isoformat(),
            "status": s,
            "progress": p,
        }
        for c, a, o, d, s, p in DEMO_ACTIONS
    ]
    store.accountability.put_actions(rows, ACTOR, "demo")
    # The actions each trust planned in its self-assessment are tracked too (one living plan).
    for trust in TRUSTS:
        track_plan(store, trust.site.code, first, ACTOR)
    for later in [r.id for r in store.rounds.list_rounds() if r.id > first]:
        store.accountability.carry_actions(later, ACTOR)


# Demo evidence: a link (to a made-up address under .example, which never resolves) for most
# rated competencies, and one small real PDF for the demo lead's trust. About one rating in
# five above the lowest level is left without evidence, so the marker shows.
EVIDENCE_LINKS = (
    "Board paper and minutes",
    "Quarterly dashboard by ethnic group",
    "Care plan audit summary",
    "Training evaluation report",
    "Partnership agreement",
)


def _add_evidence(store: Store, rng: np.random.Generator) -> None:
    from ocf.evidence import needs_evidence

    for round_ in store.rounds.list_rounds():
        framework = store.rounds.round_framework(round_.id)
        if framework.id != FRAMEWORK:
            continue
        for trust in TRUSTS:
            code = trust.site.code
            own = store.submissions.get_submission(
                code, round_.id, "ocf-self-assessment", SELF_RESPONDENT
            )
            answers = store.submissions.submission_answers(own.id) if own else {}
            for competency in framework.competencies:
                rating = answers.get(Survey.rating_item_id(competency))
                value = rating.value if rating else None
                if not needs_evidence(framework, competency.id, value) or rng.random() < 0.2:
                    continue
                title = str(rng.choice(EVIDENCE_LINKS))
                slug = title.lower().replace(" ", "-")
                url = f"https://{code.lower()}.nhs.example/evidence/{round_.id}/{competency.id}/{slug}"
                store.evidence.add_evidence(
                    {"site": code, "round": round_.id, "competency": competency.id,
                     "kind": "link", "name": title, "url": url},
                    ACTOR,
                )  # fmt: skip
        pdf = demo_pdf(f"{trust_name(DEMO_SITE)}: board paper on race equality, {round_.id}")
        store.evidence.add_evidence(
            {"site": DEMO_SITE, "round": round_.id, "competency": "awareness-leadership-accountability",
             "kind": "file", "name": f"board-paper-{round_.id}.pdf", "media_type": "application/pdf",
             "size": len(pdf), "sha256": hashlib.sha256(pdf).hexdigest(), "content": pdf},
            ACTOR,
        )  # fmt: skip


# The facilitator's themes for the demo comments (COMMENTS). In each round the last comment is
# left for the demo facilitator to review.
COMMENT_THEMES = dict(
    zip(
        COMMENTS,
        [
            "Listening to families",
            "Staff who understand our culture",
            "Information in our language",
            "Police and crisis care",
            "Reporting back",
        ],
        strict=True,
    )
)


DEMO_SAFEGUARDING = (
    "Demo procedure (made up). The same day, tell the trust's safeguarding team on the number "
    "in your facilitator pack, saying which panel and which comment number; do not copy the "
    "words into an email. If someone may be in immediate danger, call 999."
)


def _add_comment_reviews(store: Store) -> None:
    from ocf.comments import for_review, review

    facilitator = demo_actor(store, "facilitator")
    store.comments.set_safeguarding_procedure(
        f"safeguarding:{DEMO_SITE}", DEMO_SAFEGUARDING, ACTOR, DEMO_SITE
    )
    for round_ in store.rounds.list_rounds():
        if store.rounds.assesses(DEMO_SITE, round_.id) is not None:
            continue
        if not store.panels.panel_closed(DEMO_SITE, round_.id):
            continue  # comments are reviewed once the panel has closed
        for comment in for_review(store, facilitator, DEMO_SITE, round_.id)[:-1]:
            if comment.text in COMMENT_THEMES:
                review(
                    store, facilitator, DEMO_SITE, round_.id, comment.key, comment.text,
                    COMMENT_THEMES[comment.text], False, "approved",
                )  # fmt: skip


def trust_name(code: str) -> str:
    return next(t.site.name for t in TRUSTS if t.site.code == code)


def demo_pdf(line: str) -> bytes:
    """A one-page PDF with one line of text (a real PDF any reader opens)."""
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 56 760 Td (Demo: synthetic) Tj 0 -24 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        start,
    )
    return bytes(out)


REFERENCE_DATA = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "reference"
    / "nhs-mha-annual-2023-24-ethnicity.csv"
)
# Synthetic population shares and a White detention rate near England's (69.5 per 100,000).
GROUP_SHARES = {
    "White": 0.78,
    "Mixed": 0.03,
    "Asian or Asian British": 0.1,
    "Black or Black British": 0.05,
    "Other Ethnic Groups": 0.04,
}
WHITE_RATE = 70e-5


def _add_detentions(store: Store, rng: np.random.Generator) -> None:
    """Real England and ICB figures, and synthetic figures for the fictional trusts.

    A trust's Black/White ratio falls as its latent maturity rises (with noise), so the
    linking page has an association to show; the data say nothing about real trusts.
    """
    import_detentions(REFERENCE_DATA, store, ACTOR, "nhs-mha-annual")
    rows = []
    for trust in TRUSTS:
        population = float(rng.integers(400_000, 1_200_000))
        for number, (_, period, _) in enumerate(ROUNDS):
            maturity = trust.maturity + number * trust.improvement
            ratio = 3.4 * np.exp(-0.45 * (maturity - 1.5) + rng.normal(0, 0.12))
            for group, share in GROUP_SHARES.items():
                factor = {"Black or Black British": ratio, "White": 1.0}.get(
                    group, rng.uniform(1.1, 1.9)
                )
                expected = population * share * WHITE_RATE * factor
                rows.append(
                    (trust.site.code, period, group, int(rng.poisson(expected)), population * share)
                )
            rows.append(
                (
                    trust.site.code,
                    period,
                    "Not Known",
                    int(rng.poisson(population * 6e-5)),
                    population,
                )
            )
    _store_synthetic(store, "All detentions", rows)
    _add_restraint(store)


def _store_synthetic(store: Store, measure: str, rows: list[tuple], kind: str = "") -> None:
    """Synthetic (site, period, group, count, denominator) rows of `measure`, through the
    detention template's own checks, as a trust's file would come in."""
    table = Table(f"synthetic demo {measure.lower()}", [
        (i, {"site": site, "period": period, "measure": measure, "ethnic_group": group,
             "count": str(count), "population": f"{of:.0f}", "age_band": "", "sex": "",
             "denominator_kind": kind})
        for i, (site, period, group, count, of) in enumerate(rows, start=2)
    ])  # fmt: skip
    records, _ = read_template(table, store)
    store.detentions.upsert_detentions(
        ({**r, "source": "synthetic demo"} for r in records), ACTOR, "synthetic demo"
    )


# Synthetic shares of occupied bed days (Black people spend more days on the wards than their
# share of the population) and a White rate of restraint per occupied bed day.
BED_DAY_SHARES = {
    "White": 0.70,
    "Mixed": 0.04,
    "Asian or Asian British": 0.09,
    "Black or Black British": 0.13,
    "Other Ethnic Groups": 0.04,
}
WHITE_RESTRAINT = 0.025


def _add_restraint(store: Store) -> None:
    """Synthetic restraint per 1,000 occupied bed days for the fictional trusts, so the demo
    shows a rate with another denominator (ocf.denominators). A generator of its own: the rest
    of the demo is drawn exactly as before."""
    rng = np.random.default_rng(33)
    rows = []
    for trust in TRUSTS:
        bed_days = float(rng.integers(60_000, 180_000))
        for number, (_, period, _) in enumerate(ROUNDS):
            maturity = trust.maturity + number * trust.improvement
            ratio = 1.6 * np.exp(-0.3 * (maturity - 1.5) + rng.normal(0, 0.1))
            for group, share in BED_DAY_SHARES.items():
                factor = {"Black or Black British": ratio, "White": 1.0}.get(
                    group, rng.uniform(0.9, 1.3)
                )
                days = bed_days * share
                count = int(rng.poisson(days * WHITE_RESTRAINT * factor))
                rows.append((trust.site.code, period, group, count, days))
    _store_synthetic(store, "Restraint", rows, "occupied bed days")


def _save_partial_draft(
    store: Store, response: Response, framework: Framework, domains: tuple[str, ...]
) -> None:
    prefixes = tuple(c.id for d in framework.domains if d.id in domains for c in d.competencies)
    answers = [a for a in response.answers if a.item_id.startswith(prefixes)]
    key = (response.site, response.round, response.survey, response.respondent)
    store.submissions.save_answers(key, answers, [], 0, ACTOR)


def _add_accounts(store: Store) -> None:
    for name, role, site in DEMO_ACCOUNTS:
        # Demo accounts are entered with one click; their codes are random and never shown.
        add_account(store, SYSTEM, name, role, site)


def reset_demo(store: Store, actor: Actor) -> None:
    """Throw away every change made in the demo: seed its database afresh (an admin only)."""
    check_active(store, actor)
    ensure(actor, "manage-rounds")
    if not store.is_demo or store.identity.startswith("memory:"):
        raise PermissionDenied("only the demo's database file can be reset")
    create_demo(store.identity, force=True).close()


def demo_actor(store: Store, persona: str) -> Actor:
    """One-click sign-in for the demo: the demo account whose role is `persona`, or a fresh panel
    invitation for the persona "panel"."""
    if not store.is_demo:
        raise PermissionDenied("one-click sign-in exists only in the demo")
    if persona == "panel":
        open_rounds = [r.id for r in store.rounds.list_rounds() if r.status == "open"]
        if not open_rounds:
            raise PermissionDenied("the demo has no open round")
        code = issue_invitations(store, SYSTEM, DEMO_SITE, open_rounds[-1], 1)[0]
        actor = sign_in(store, code)
        assert actor is not None
        return actor
    account = next((a for a in store.accounts.list_accounts(persona)), None)
    if account is None:
        raise PermissionDenied(f"the demo has no {persona} account")
    return account_actor(account)


def _latent(rng: np.random.Generator, framework: Framework, maturity: float) -> dict[str, float]:
    return {
        c.id: float(np.clip(maturity + rng.normal(0, 0.5), 0, 3)) for c in framework.competencies
    }


def _self_response(
    rng: np.random.Generator,
    round_id: str,
    trust: DemoTrust,
    survey: Survey,
    framework: Framework,
    truth: dict[str, float],
) -> Response:
    year = next((i for i, r in enumerate(ROUNDS) if round_id.startswith(r[0])), 0)
    due = date(2025 + year, 9, 30)
    raw: dict[str, str] = {}
    for competency in framework.competencies:
        rated = truth[competency.id] + trust.bias + rng.normal(0, 0.3)
        level = int(np.clip(round(rated), framework.scale.minimum, framework.scale.maximum))
        if competency.is_obligation:  # met from "Achieving" up, partly met from "Developing"
            met = ("not_met", "partly", "met", "met")[min(level, 3)]
            raw[survey.status_item_id(competency.id)] = met
        else:
            raw[survey.level_item_id(competency.id)] = str(level)
        raw[f"{competency.id}-evidence"] = str(rng.choice(EVIDENCE))
        if level < framework.scale.maximum:
            raw[survey.plan_item_id(competency.id, "action")] = str(rng.choice(ACTIONS))
            raw[survey.plan_item_id(competency.id, "action-owner")] = str(rng.choice(OWNERS))
            raw[survey.plan_item_id(competency.id, "action-due")] = (
                due + timedelta(days=int(rng.integers(0, 180)))
            ).isoformat()
    return _response(round_id, trust.site.code, SELF_RESPONDENT, survey, framework, raw)


def _panel_response(
    rng: np.random.Generator,
    round_id: str,
    site: str,
    respondent: str,
    survey: Survey,
    framework: Framework,
    truth: dict[str, float],
    comment: str | None = None,
) -> Response:
    """`comment`: written when chance gives no comment (drawn without the generator, so every
    other answer of the demo stays as it was)."""
    leniency = rng.normal(0, 0.4)
    raw: dict[str, str] = {}
    # Whether force was used on the member or someone they know (seven in ten): drawn without
    # the generator, and the questions it skips are drawn all the same and then dropped, so
    # every other answer of the demo stays as it was before the question was asked.
    force = zlib.crc32(f"{site}:{round_id}:{respondent}".encode()) % 10 < 7
    skipped: list[str] = []
    for item in survey.items:
        if item.id == "force-used":
            raw[item.id] = "yes" if force else "no"
            continue
        if item.show_if and item.show_if.item == "force-used":
            if not force:
                skipped.append(item.id)
        elif item.show_if and not item.show_if.holds(raw.get(item.show_if.item)):
            continue
        if item.scored:
            if rng.random() < 0.1:
                raw[item.id] = next(o.value for o in item.options if o.score is None)
                continue
            seen = truth[item.competency or ""] + leniency + rng.normal(0, 0.5)
            scored = [(o.score, o.value) for o in item.options if o.score is not None]
            raw[item.id] = min(scored, key=lambda o: abs(o[0] - seen))[1]
        elif item.type == "yes_no":
            raw[item.id] = "yes" if rng.random() < 0.25 else "no"
        elif item.type == "choice":
            raw[item.id] = str(rng.choice([o.value for o in item.options]))
        elif item.type == "text" and rng.random() < 0.3:
            raw[item.id] = str(rng.choice(COMMENTS))
        elif item.type == "text" and comment is not None:
            raw[item.id] = comment
    for item_id in skipped:
        raw.pop(item_id, None)
    return _response(round_id, site, respondent, survey, framework, raw)


def _response(
    round_id: str,
    site: str,
    respondent: str,
    survey: Survey,
    framework: Framework,
    raw: dict[str, str],
) -> Response:
    # The demo goes through the same answer rules as any import, so it can never hold
    # an answer the platform would refuse.
    shown = {item.id for item in visible_items(survey, raw)}
    answers: list[Answer] = [
        parse_answer(survey.item(item_id), value, None, framework.scale)
        for item_id, value in raw.items()
        if item_id in shown
    ]
    return Response(site, round_id, survey.id, respondent, tuple(answers))
