"""Scoring (DESIGN §4, docs/methods.md): long-format answers → competency, domain and overall.

Everything is computed from the answers on demand, never stored, so scores always agree with
them. The engine codes each answer as integers once (respondent, item, competency, score) and
then works on numpy arrays only: `bincount` for means and counts, one row-wise sort for every
median, quartile and interval, matrix products for the weighted roll-ups and for agreement.
There is no Python loop per answer, per respondent or per site.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocf.models import Framework, Survey
from ocf.stats import ordinal_alpha_from_counts, row_medians

SCORE_COLUMNS = ["site", "round", "level", "id", "self", "panel", "panel_n", "final", "gap", "flag"]
NOT_VERIFIED = "not_verified"
ACCOUNTABILITY_GAP = "accountability_gap"
AUDIENCES = ("self", "panel")
_EPSILON = 1e-9  # so that 2.0 − 1.0 ≥ 1 holds despite floating point
_ROLLED = ("self", "panel", "final", "gap")
_FLAGS = ("", NOT_VERIFIED, ACCOUNTABILITY_GAP)


@dataclass(frozen=True)
class RoundScores:
    """All scores of one round. Suppressed panel values are NaN with `suppressed` True."""

    competencies: pd.DataFrame
    domains: pd.DataFrame
    overall: pd.DataFrame
    agreement: pd.DataFrame
    min_panel: int


def scoring_answers(
    framework: Framework, surveys: Mapping[str, Survey]
) -> Iterator[tuple[str, str, str, str, float]]:
    """Every answer that scores: (survey, item_id, value, competency, score).

    A level item's answer is the scale value itself; another scored item's answer maps through
    its option's score; options without a score ("don't know") are absent, so never scored.
    """
    for survey in surveys.values():
        for item in survey.items:
            if not item.scored:
                continue
            if item.type == "level":
                pairs = [(str(v), float(v)) for v in framework.scale.values]
            else:
                pairs = [(o.value, float(o.score)) for o in item.options if o.score is not None]
            for value, score in pairs:
                yield survey.id, item.id, value, item.competency, score


@dataclass(frozen=True)
class _Coded:
    """A round's answers as integer codes: the engine's only view of them.

    Per answer: respondent (submission), item, competency, score and the score's position in
    `scores`. An answer that does not score has competency `n_competencies` and score position
    `len(scores)` (score 0): one spare bin at the end, so no step needs a mask.
    Per respondent: site and audience (its index in AUDIENCES, or -1).
    """

    sites: pd.api.extensions.ExtensionArray  # site codes, sorted
    respondent: np.ndarray
    respondent_site: np.ndarray
    respondent_audience: np.ndarray
    item: np.ndarray
    n_items: int
    competency: np.ndarray
    n_competencies: int
    score_index: np.ndarray
    scores: np.ndarray  # every score the surveys can give, ascending

    @property
    def scored(self) -> np.ndarray:
        return self.competency < self.n_competencies

    @property
    def score(self) -> np.ndarray:
        """Each answer's score (0 for one that does not score)."""
        return np.append(self.scores, 0.0)[self.score_index]


def _code(answers: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey]) -> _Coded:
    """Code every answer as integers, then look each one up in one dense table.

    Site, survey and audience belong to the submission, so they are coded once per respondent
    rather than once per answer. Items and values are matched against those that can score
    (anything else cannot score, so it needs no code of its own).
    """
    respondent, row = _respondents(answers["submission_id"].to_numpy())

    def per_respondent(column: str) -> pd.api.extensions.ExtensionArray:
        return answers[column].array.take(row)

    sites, site_names = pd.factorize(per_respondent("site"), sort=True)
    table = _ScoreTable(framework, surveys)
    survey = _positions(per_respondent("survey"), table.surveys)[respondent]
    item = _positions(answers["item_id"].array, table.items)
    cell = table.cell(survey, item, _positions(answers["value"].array, table.values))
    return _Coded(
        sites=pd.array(site_names, dtype="str"),
        respondent=respondent,
        respondent_site=sites,
        respondent_audience=_positions(per_respondent("audience"), list(AUDIENCES)),
        item=item + 1,  # 0: an item that cannot score
        n_items=len(table.items) + 1,
        competency=table.competency[cell],
        n_competencies=len(framework.competencies),
        score_index=table.score_index[cell],
        scores=table.scores,
    )


def _respondents(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each answer's respondent code 0 … n − 1, and one row of each respondent.

    The store returns answers grouped by submission; then one pass over the runs does it.
    Otherwise a hash factorisation does.
    """
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if (ids[1:] >= ids[:-1]).all():
        new_run = np.r_[False, ids[1:] != ids[:-1]]
        return np.cumsum(new_run), np.r_[0, np.flatnonzero(new_run)]
    codes, uniques = pd.factorize(ids)
    row = np.empty(len(uniques), dtype=np.int64)
    row[codes] = np.arange(len(codes))  # any one row of each respondent will do
    return codes, row


def _positions(values: pd.api.extensions.ExtensionArray, known: list[str]) -> np.ndarray:
    """Each value's position in `known` (-1 when absent or missing), matched as text.

    pyarrow's hash look-up against the few known values: the store's text columns are
    Arrow-backed already, so nothing is copied.
    """
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types, say text and numbers
        array = pa.array([None if pd.isna(v) else str(v) for v in values])
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())  # numbers or an empty column
    found = pc.index_in(array, value_set=pa.array(known, type=array.type))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


class _ScoreTable:
    """Competency and score position for every (survey, item, value) that can score.

    Each axis has a leading position for "anything else" (cannot score).
    """

    def __init__(self, framework: Framework, surveys: Mapping[str, Survey]) -> None:
        rules = list(scoring_answers(framework, surveys))
        self.surveys = [survey.id for survey in surveys.values()]
        self.items = list(dict.fromkeys(item for _, item, *_ in rules))
        self.values = list(dict.fromkeys(value for _, _, value, *_ in rules))
        self.scores = np.unique([score for *_, score in rules])
        self.shape = (len(self.surveys) + 1, len(self.items) + 1, len(self.values) + 1)
        at = [
            {name: i + 1 for i, name in enumerate(names)}
            for names in (self.surveys, self.items, self.values)
        ]
        competencies = {c.id: i for i, c in enumerate(framework.competencies)}
        position = {score: i for i, score in enumerate(self.scores.tolist())}
        cells = np.ravel_multi_index(
            np.array([(at[0][s], at[1][i], at[2][v]) for s, i, v, *_ in rules], dtype=np.int64)
            .reshape(-1, 3)
            .T,
            self.shape,
        )
        size = int(np.prod(self.shape))
        self.competency = np.full(size, len(competencies), dtype=np.int64)
        self.competency[cells] = [competencies[c] for *_, c, _ in rules]
        self.score_index = np.full(size, len(self.scores), dtype=np.int64)
        self.score_index[cells] = [position[score] for *_, score in rules]

    def cell(self, survey: np.ndarray, item: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Flat positions in the table from positions in the known lists (-1: anything else)."""
        return ((survey + 1) * self.shape[1] + item + 1) * self.shape[2] + value + 1


def item_scores(
    answers: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey]
) -> pd.DataFrame:
    """Scored answers only: site, audience, submission_id, item_id, competency, score."""
    coded = _code(answers, framework, surveys)
    scored = coded.scored
    who = coded.respondent[scored]
    names = np.array([c.id for c in framework.competencies], dtype=object)
    audiences = np.array([*AUDIENCES, None], dtype=object)
    return pd.DataFrame(
        {
            "site": coded.sites[coded.respondent_site[who]],
            "audience": audiences[coded.respondent_audience[who]],
            "submission_id": answers["submission_id"].to_numpy()[scored],
            "item_id": answers["item_id"].to_numpy()[scored],
            "competency": names[coded.competency[scored]],
            "score": coded.score[scored],
        }
    )


def score_round(
    answers: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey]
) -> RoundScores:
    """Score every site with answers in a round (answers as `Store.answers_frame` gives them)."""
    coded = _code(answers, framework, surveys)
    n_sites, n_competencies = len(coded.sites), coded.n_competencies
    values, answered = _respondent_values(coded)
    self_rows = row_medians(_side_by_side(coded, values, AUDIENCES.index("self")))
    panel = row_medians(_side_by_side(coded, values, AUDIENCES.index("panel")))

    def grid(figure: np.ndarray) -> np.ndarray:
        return figure.reshape(n_sites, n_competencies)

    panel_n = grid(panel.n)
    hidden = panel_n < framework.min_panel

    def shown(figure: np.ndarray) -> np.ndarray:
        return np.where(hidden, np.nan, grid(figure))

    level = {"self": grid(self_rows.median), "panel": shown(panel.median)}
    level["final"] = _moderate(level["self"], level["panel"], framework)
    level["gap"] = level["self"] - level["panel"]

    domain_ids = [d.id for d in framework.domains]
    domain_of = np.array([i for i, d in enumerate(framework.domains) for _ in d.competencies])
    weights = np.array([float(c.weight) for c in framework.competencies])
    domain_weights = np.array([float(d.weight) for d in framework.domains])
    each_site = np.arange(n_sites)
    competencies = pd.DataFrame(
        {
            "site": coded.sites.take(np.repeat(each_site, n_competencies)),
            "competency": _labels(
                [c.id for c in framework.competencies], np.tile(np.arange(n_competencies), n_sites)
            ),
            "self": level["self"].ravel(),
            "panel": level["panel"].ravel(),
            "panel_n": panel_n.ravel(),
            "panel_q1": shown(panel.q1).ravel(),
            "panel_q3": shown(panel.q3).ravel(),
            "panel_lower": shown(panel.lower).ravel(),
            "panel_upper": shown(panel.upper).ravel(),
            "panel_coverage": shown(panel.coverage).ravel(),
            # Suppressed: some members answered, too few to show (none at all is not suppression).
            "suppressed": (hidden & (panel_n > 0)).ravel(),
            "domain": _labels(domain_ids, np.tile(domain_of, n_sites)),
            "weight": np.tile(weights, n_sites),
            "final": level["final"].ravel(),
            "gap": level["gap"].ravel(),
            "flag": _flags(level, framework.gap_flag),
        }
    )

    in_domain = np.eye(len(domain_ids))[domain_of]  # competencies × domains
    by_domain = _roll_up(level, panel_n, weights, in_domain)
    whole = np.ones((len(domain_ids), 1))
    by_site = _roll_up(by_domain, by_domain["panel_n"], domain_weights, whole)
    domains = pd.DataFrame(
        {
            "site": coded.sites.take(np.repeat(each_site, len(domain_ids))),
            "domain": _labels(domain_ids, np.tile(np.arange(len(domain_ids)), n_sites)),
            **{name: by_domain[name].ravel() for name in _ROLLED},
            "panel_n": by_domain["panel_n"].ravel(),
            "flag": _flags(by_domain, framework.gap_flag),
            "domain_weight": np.tile(domain_weights, n_sites),
        }
    )
    overall = pd.DataFrame(
        {
            "site": coded.sites,
            **{name: by_site[name][:, 0] for name in _ROLLED},
            "panel_n": by_site["panel_n"][:, 0],
            "flag": _flags(by_site, framework.gap_flag),
            "weakest_domain": _labels(domain_ids, _weakest(by_domain["final"])),
        }
    )
    agreement = _agreement(coded, answered, framework.min_panel)
    return RoundScores(competencies, domains, overall, agreement, framework.min_panel)


def _labels(names: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Text labels by code (-1: missing), built by taking from the few distinct names."""
    return pd.array(list(names), dtype="str").take(codes, allow_fill=True)


def _respondent_values(coded: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """Respondents × competencies: the mean of each respondent's item scores (NaN if none).

    Also whether each respondent gave any scoring answer at all.
    """
    width = coded.n_competencies + 1  # the spare column collects answers that do not score
    cells = coded.respondent * width + coded.competency
    size = len(coded.respondent_site) * width
    totals = np.bincount(cells, weights=coded.score, minlength=size).reshape(-1, width)[:, :-1]
    counts = np.bincount(cells, minlength=size).reshape(-1, width)[:, :-1]
    means = np.divide(totals, counts, out=np.full(totals.shape, np.nan), where=counts > 0)
    return means, counts.any(axis=1)


def _side_by_side(coded: _Coded, values: np.ndarray, audience: int) -> np.ndarray:
    """(site, competency) rows × one column per member of `audience`, NaN-padded."""
    members = np.flatnonzero(coded.respondent_audience == audience)
    members = members[np.argsort(coded.respondent_site[members], kind="stable")]
    site = coded.respondent_site[members]
    per_site = np.bincount(site, minlength=len(coded.sites))
    slot = np.arange(len(members)) - (np.cumsum(per_site) - per_site)[site]
    width = per_site.max(initial=0)
    table = np.full((len(coded.sites), coded.n_competencies, width), np.nan)
    table[site, :, slot] = values[members]
    return table.reshape(len(coded.sites) * coded.n_competencies, width)


def _moderate(self_value: np.ndarray, panel: np.ndarray, framework: Framework) -> np.ndarray:
    """The final rating: the framework's moderation rule; self where there is no panel value."""
    if framework.moderation.rule != "panel_cap":
        return self_value.copy()
    capped = np.fmin(self_value, panel + framework.moderation.tolerance)
    return np.where(np.isnan(panel) | np.isnan(self_value), self_value, capped)


def _flags(level: Mapping[str, np.ndarray], gap_flag: float) -> pd.api.extensions.ExtensionArray:
    """Flat flags: not_verified (self, no panel) wins; else accountability_gap; else ''."""
    with np.errstate(invalid="ignore"):
        over = level["gap"] >= gap_flag - _EPSILON
    unverified = ~np.isnan(level["self"]) & np.isnan(level["panel"])
    return _labels(_FLAGS, np.where(unverified, 1, np.where(over, 2, 0)).ravel())


def _roll_up(
    level: Mapping[str, np.ndarray], panel_n: np.ndarray, weights: np.ndarray, into: np.ndarray
) -> dict[str, np.ndarray]:
    """Weighted means (sites × parts → sites × wholes) of the values that exist.

    `into` is the parts × wholes membership matrix. The gap is the weighted mean of the gaps
    below (only where both self and panel exist), so it compares like with like when the panel
    could not judge every part. panel_n is the smallest n behind a panel value, else 0.
    """
    rolled = {}
    for name in _ROLLED:
        present = ~np.isnan(level[name])
        total = (present * weights) @ into
        weighted = (np.where(present, level[name], 0) * weights) @ into
        with np.errstate(invalid="ignore"):
            rolled[name] = weighted / np.where(total > 0, total, np.nan)
    none = np.iinfo(np.int64).max
    behind = np.where(np.isnan(level["panel"]), none, panel_n)
    smallest = np.stack(
        [behind[:, into[:, whole] > 0].min(axis=1) for whole in range(into.shape[1])], axis=1
    )
    rolled["panel_n"] = np.where(smallest == none, 0, smallest)
    return rolled


def _weakest(final: np.ndarray) -> np.ndarray:
    """Per site, the domain with the lowest final value (the first on a tie; -1 if none)."""
    rated = ~np.isnan(final)
    lowest = np.argmin(np.where(rated, final, np.inf), axis=1)
    return np.where(rated.any(axis=1), lowest, -1)


def _agreement(coded: _Coded, answered: np.ndarray, min_panel: int) -> pd.DataFrame:
    """Krippendorff's alpha (ordinal) per site, members × scored panel items.

    Not reported (NaN) below `min_panel` members. The value domain is every score the surveys
    can give; values nobody gave carry no weight in the ordinal metric.
    """
    n_sites, n_values = len(coded.sites), len(coded.scores)
    panel = coded.respondent_audience == AUDIENCES.index("panel")
    # Answers of anyone but the panel go to a spare site; answers that do not score to a spare
    # value. Both are cut off after one bincount.
    site = np.where(panel, coded.respondent_site, n_sites)[coded.respondent]
    cells = (site * coded.n_items + coded.item) * (n_values + 1) + coded.score_index
    shape = (n_sites + 1, coded.n_items, n_values + 1)
    counts = np.bincount(cells, minlength=np.prod(shape)).reshape(shape)[:-1, :, :-1]
    members = np.bincount(coded.respondent_site[panel & answered], minlength=n_sites)
    alpha = ordinal_alpha_from_counts(counts) if n_values else np.full(n_sites, np.nan)
    return pd.DataFrame(
        {
            "site": coded.sites,
            "alpha": np.where(members >= min_panel, alpha, np.nan),
            "members": members,
            "items": (counts.sum(axis=2) > 0).sum(axis=1),
        }
    )


def score_table(scores: RoundScores, round_id: str, site: str | None = None) -> pd.DataFrame:
    """The `ocf score` table (DESIGN §8): one row per competency, domain and overall per site."""
    parts = [
        scores.competencies.assign(level="competency", id=scores.competencies["competency"]),
        scores.domains.assign(level="domain", id=scores.domains["domain"]),
        scores.overall.assign(level="overall", id="overall"),
    ]
    order = {s: i for i, s in enumerate(scores.overall["site"])}
    table = pd.concat([p.assign(part=i) for i, p in enumerate(parts)], ignore_index=True)
    table["round"] = round_id
    table = table.sort_values(
        ["site", "part"], key=lambda s: s.map(order) if s.name == "site" else s, kind="stable"
    )
    if site is not None:
        table = table[table["site"] == site]
    return table[SCORE_COLUMNS].reset_index(drop=True)
