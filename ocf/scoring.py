"""Scoring (DESIGN §4, docs/methods.md): long-format answers → competency, domain and overall.

Everything is computed from the answers on demand, never stored, so scores always agree with
them. The engine codes each answer as integers once (respondent, item, competency, score) and
then works on numpy arrays only: `bincount` for means and counts, one row-wise sort for every
median, quartile and interval, matrix products for the weighted roll-ups and for agreement.
There is no Python loop per answer, per respondent or per site.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocf.disclosure import disclose, effective_min_panel
from ocf.models import Framework, Scale, Survey
from ocf.stats import ordinal_alpha_from_counts, row_medians

__all__ = [
    "ACCOUNTABILITY_GAP",
    "AUDIENCES",
    "NOT_VERIFIED",
    "OBLIGATION_COLUMNS",
    "PARTLY_VERIFIED",
    "SCORE_COLUMNS",
    "RoundScores",
    "item_scores",
    "level_word",
    "score_round",
    "score_table",
    "scores_by_group",
    "scoring_answers",
]


SCORE_COLUMNS = [
    "site", "round", "level", "id", "self", "panel", "panel_n", "final", "gap", "flag", "coverage",
    "panel_label", "final_label",
]  # fmt: skip
OBLIGATION_COLUMNS = [
    "site", "competency", "panel", "panel_n", "panel_q1", "panel_q3", "panel_lower",
    "panel_upper", "suppressed",
]  # fmt: skip
NOT_VERIFIED = "not_verified"
ACCOUNTABILITY_GAP = "accountability_gap"
PARTLY_VERIFIED = "partly_verified"
AUDIENCES = ("self", "panel")
_EPSILON = 1e-9  # so that 2.0 − 1.0 ≥ 1 holds despite floating point
_ROLLED = ("self", "panel", "final", "gap")
_FLAGS = ("", NOT_VERIFIED, ACCOUNTABILITY_GAP, PARTLY_VERIFIED)


@dataclass(frozen=True)
class RoundScores:
    """All scores of one round, with the disclosure rule applied to every panel figure.

    Suppressed panel values are NaN with `suppressed` True; quartiles and intervals are NaN
    where the panel is too small for them (`ocf.disclosure`).
    """

    competencies: pd.DataFrame
    domains: pd.DataFrame
    overall: pd.DataFrame
    agreement: pd.DataFrame
    min_panel: int
    # The panel's view of each obligation (site, competency, panel, panel_n, suppressed, …):
    # shown beside the trust's met / partly / not met, never in maturity (docs/methods.md).
    obligations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=OBLIGATION_COLUMNS)
    )


def scoring_answers(
    framework: Framework, surveys: Mapping[str, Survey]
) -> Iterator[tuple[str, str, str, str, float]]:
    """Every answer that scores: (survey, item_id, value, competency, score).

    A level item's answer is the scale value itself; another scored item's answer maps through
    its option's score; options without a score ("don't know") are absent, so never scored.
    Only items of `framework`'s competencies score: a view without obligations leaves out the
    panel's items on them.
    """
    known = {c.id for c in framework.competencies}
    for survey in surveys.values():
        for item in survey.items:
            if not item.scored or item.competency not in known:
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

    Per answer: respondent (submission), competency, score, and what agreement counts: the
    rating, item × (len(scores) + 1) + the score's position in `scores`. An answer that does not
    score has competency `n_competencies`, score 0 and score position `len(scores)`: spare bins
    at the end, so no step needs a mask.
    Per respondent: site and audience (its survey's, as an index in AUDIENCES; -1 for a survey
    the round does not have).
    """

    sites: pd.api.extensions.ExtensionArray  # site codes, sorted
    respondent: np.ndarray
    respondent_site: np.ndarray
    respondent_audience: np.ndarray
    competency: np.ndarray
    n_competencies: int
    score: np.ndarray
    rating: np.ndarray
    n_items: int
    scores: np.ndarray  # every score the surveys can give, ascending

    @property
    def scored(self) -> np.ndarray:
        return self.competency < self.n_competencies


def _code(answers: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey]) -> _Coded:
    """Code every answer as integers, then look each one up in one dense table.

    Site, survey and audience belong to the submission, so they are coded once per respondent
    rather than once per answer. Items and values are matched against those that can score
    (anything else cannot score, so it needs no code of its own). Categorical columns (as the
    store gives them) are matched by their few categories; text columns text by text.
    """
    respondent, row = _respondents(answers["submission_id"].to_numpy())
    site, site_names = _distinct(answers["site"], row)
    used, site = np.unique(site, return_inverse=True)  # only sites with respondents
    names = site_names.take(pa.array(used))
    order = pc.array_sort_indices(names)
    rank = np.empty(len(names), dtype=np.intp)
    rank[order.to_numpy()] = np.arange(len(names))
    table = _ScoreTable(framework, surveys)
    survey = _positions(answers["survey"], table.surveys, row)
    # Each answer's flat position in the table, built in place: survey block, item row, value.
    _, items, values = table.shape
    cell = np.take(survey * (items * values), respondent)
    cell += _positions(answers["item_id"], table.items, scale=values)
    cell += _positions(answers["value"], table.values)
    return _Coded(
        sites=pd.array(names.take(order), dtype="str"),
        respondent=respondent,
        respondent_site=rank[site],
        respondent_audience=table.audience[survey],
        competency=np.take(table.competency, cell),
        n_competencies=len(framework.competencies),
        score=np.take(table.score, cell),
        rating=np.take(table.rating, cell),
        n_items=table.shape[1],
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
        respondent = np.zeros(ids.size, dtype=np.intp)
        new_run = ids[1:] != ids[:-1]
        np.cumsum(new_run, out=respondent[1:])
        return respondent, np.r_[0, np.flatnonzero(new_run) + 1]
    codes, uniques = pd.factorize(ids)
    row = np.empty(len(uniques), dtype=np.int64)
    row[codes] = np.arange(len(codes))  # any one row of each respondent will do
    return codes, row


def _text(values: pd.api.extensions.ExtensionArray) -> pa.Array:
    """A column as Arrow text: zero-copy for the store's text columns (already Arrow-backed)."""
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types, say text and numbers
        array = pa.array([None if pd.isna(v) else str(v) for v in values])
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.large_string())  # numbers or an empty column
    return array


def _distinct(column: pd.Series, rows: np.ndarray | None = None) -> tuple[np.ndarray, pa.Array]:
    """The column (its `rows` only, if given) as codes into its distinct texts, and the texts.

    A categorical column already is that; a text column is encoded.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        return (codes if rows is None else codes[rows]), _text(column.array.categories.array)
    text = _text(column.array)
    encoded = pc.dictionary_encode(text if rows is None else text.take(pa.array(rows)))
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary


def _positions(
    column: pd.Series, known: list[str], rows: np.ndarray | None = None, scale: int = 1
) -> np.ndarray:
    """Each value's 1-based position in `known` times `scale`; 0 when absent or missing.

    `rows` only, if given. A categorical column is matched category by category, then taken by
    its codes (-1, a missing value, takes the 0 appended at the end).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, categories = _distinct(column, rows)
        return np.take(np.append(_text_positions(categories, known) * scale, 0), codes)
    text = _text(column.array)
    positions = _text_positions(text if rows is None else text.take(pa.array(rows)), known)
    return positions * scale if scale != 1 else positions


def _text_positions(array: pa.Array, known: list[str]) -> np.ndarray:
    """Each text's 1-based position in `known`, 0 when absent or missing.

    Texts of at most one character (scale values such as "1" … "5") are matched by their
    byte through a small table, three times faster than hashing. Anything longer is hashed in
    one pyarrow look-up; the missing value leads its set, so known texts count from 1 and
    missing ones find 0.
    """
    if (short := _one_byte_codes(array)) is not None:
        table = np.zeros(_MISSING + 1, dtype=np.int32)
        for position, name in enumerate(known, start=1):
            if len(encoded := name.encode()) <= 1:
                table[encoded[0] if encoded else _EMPTY] = position
        return table[short]
    value_set = pa.array([None, *known], type=array.type)
    found = pc.index_in(array, value_set=value_set, skip_nulls=False)
    return found.fill_null(0).to_numpy(zero_copy_only=False)


_EMPTY, _MISSING = 256, 257  # codes after the 256 byte values


def _one_byte_codes(array: pa.Array) -> np.ndarray | None:
    """Each text's byte, _EMPTY or _MISSING; None when some text is longer than one byte.

    Read straight from the Arrow buffers (offsets, then UTF-8 data): no text is copied. A
    one-byte UTF-8 text is ASCII, so its byte is the whole character.
    """
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=offset_type)[
        array.offset : array.offset + len(array) + 1
    ]
    lengths = np.diff(offsets)
    if lengths.max(initial=0) > 1:
        return None
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    codes = np.append(data, np.uint8(0))[offsets[:-1]].astype(np.intp)  # padded for empty last
    codes[lengths == 0] = _EMPTY
    if array.null_count:
        codes[array.is_null().to_numpy(zero_copy_only=False)] = _MISSING
    return codes


class _ScoreTable:
    """Competency, score and rating (`_Coded`) for every (survey, item, value).

    Each axis has a leading position for "anything else", which cannot score.
    """

    def __init__(self, framework: Framework, surveys: Mapping[str, Survey]) -> None:
        rules = list(zip(*scoring_answers(framework, surveys), strict=True)) or [()] * 5
        survey_ids, items, values, competencies, scores = rules
        self.surveys = [survey.id for survey in surveys.values()]
        # By survey position: its audience's index in AUDIENCES; -1 for a survey not in the round.
        self.audience = np.array(
            [-1] + [AUDIENCES.index(survey.audience) for survey in surveys.values()], dtype=np.intp
        )
        self.items = list(dict.fromkeys(items))
        self.values = list(dict.fromkeys(values))
        self.scores, score_at = np.unique(np.array(scores, dtype=float), return_inverse=True)
        self.shape = (len(self.surveys) + 1, len(self.items) + 1, len(self.values) + 1)

        def positions(names: Sequence[str], known: list[str], first: int = 1) -> np.ndarray:
            at = {name: i for i, name in enumerate(known, start=first)}
            return np.array([at[name] for name in names], dtype=np.intp)

        cells = np.ravel_multi_index(
            (
                positions(survey_ids, self.surveys),
                positions(items, self.items),
                positions(values, self.values),
            ),
            self.shape,
        )
        size = int(np.prod(self.shape))
        self.competency = np.full(size, len(framework.competencies), dtype=np.intp)
        self.competency[cells] = positions(
            competencies, [c.id for c in framework.competencies], first=0
        )
        score_index = np.full(size, len(self.scores), dtype=np.intp)
        score_index[cells] = score_at
        self.score = np.append(self.scores, 0.0)[score_index]
        item = np.arange(size) // self.shape[2] % self.shape[1]
        self.rating = item * (len(self.scores) + 1) + score_index


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
    """Score every site with answers in a round (answers as `store.submissions.answers_frame` gives them).

    Maturity (competencies, domains, overall, agreement) is made of the framework without its
    obligations; the panel's view of each obligation is scored alone, with the same disclosure
    rule, and kept apart.
    """
    scores = _score_maturity(answers, framework.maturity_view(), surveys)
    if not framework.obligations:
        return scores
    beside = _score_maturity(answers, framework.obligation_view(), surveys).competencies
    return replace(scores, obligations=beside[OBLIGATION_COLUMNS].reset_index(drop=True))


def _score_maturity(
    answers: pd.DataFrame, framework: Framework, surveys: Mapping[str, Survey]
) -> RoundScores:
    coded = _code(answers, framework, surveys)
    n_sites, n_competencies = len(coded.sites), coded.n_competencies
    values, answered = _respondent_values(coded)
    self_rows = row_medians(_side_by_side(coded, values, AUDIENCES.index("self")))
    panel = disclose(
        row_medians(_side_by_side(coded, values, AUDIENCES.index("panel"))), framework.min_panel
    )

    def grid(figure: np.ndarray) -> np.ndarray:
        return figure.reshape(n_sites, n_competencies)

    panel_n = grid(panel.n)
    hidden = panel_n < effective_min_panel(framework.min_panel)
    level = {"self": grid(self_rows.median), "panel": grid(panel.median)}
    level["final"] = _moderate(level["self"], level["panel"], framework)
    level["gap"] = level["self"] - level["panel"]
    # Coverage: did the panel give a view? Not asked of a competency a panel cannot judge
    # (`panel: not_applicable`): NaN there, so it counts in no coverage share and no flag.
    judges = np.array([c.panel_can_judge for c in framework.competencies], dtype=bool)
    level["coverage"] = np.where(judges, np.where(np.isnan(level["panel"]), 0.0, 1.0), np.nan)

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
            "panel_q1": panel.q1,
            "panel_q3": panel.q3,
            "panel_lower": panel.lower,
            "panel_upper": panel.upper,
            "panel_coverage": panel.coverage,
            # Suppressed: some members answered, too few to show (none at all is not suppression).
            "suppressed": (hidden & (panel_n > 0)).ravel(),
            "domain": _labels(domain_ids, np.tile(domain_of, n_sites)),
            "weight": np.tile(weights, n_sites),
            "final": level["final"].ravel(),
            "gap": level["gap"].ravel(),
            "flag": _flags(level, framework.gap_flag),
            "coverage": level["coverage"].ravel(),
            **_level_labels(level, framework),
        }
    )

    in_domain = np.eye(len(domain_ids))[domain_of]  # competencies × domains
    by_domain = _roll_up(level, panel_n, weights, in_domain)
    # A domain's final never exceeds the domain's panel figure plus the tolerance, as a
    # competency's never does: competencies the panel cannot judge enter unmoderated, and
    # would otherwise lift the domain above what its panel sees (docs/methods.md).
    by_domain["final"] = _moderate(by_domain["final"], by_domain["panel"], framework)
    whole = np.ones((len(domain_ids), 1))
    by_site = _roll_up(by_domain, by_domain["panel_n"], domain_weights, whole)
    by_site["final"] = _moderate(by_site["final"], by_site["panel"], framework)
    domains = pd.DataFrame(
        {
            "site": coded.sites.take(np.repeat(each_site, len(domain_ids))),
            "domain": _labels(domain_ids, np.tile(np.arange(len(domain_ids)), n_sites)),
            **{name: by_domain[name].ravel() for name in _ROLLED},
            "panel_n": by_domain["panel_n"].ravel(),
            "flag": _flags(by_domain, framework.gap_flag),
            "coverage": by_domain["coverage"].ravel(),
            **_level_labels(by_domain, framework),
            "domain_weight": np.tile(domain_weights, n_sites),
        }
    )
    overall = pd.DataFrame(
        {
            "site": coded.sites,
            **{name: by_site[name][:, 0] for name in _ROLLED},
            "panel_n": by_site["panel_n"][:, 0],
            "flag": _flags(by_site, framework.gap_flag),
            "coverage": by_site["coverage"][:, 0],
            **_level_labels(by_site, framework),
            "weakest_domain": _labels(domain_ids, _weakest(by_domain["final"])),
        }
    )
    agreement = _agreement(coded, answered, effective_min_panel(framework.min_panel))
    return RoundScores(competencies, domains, overall, agreement, framework.min_panel)


def scores_by_group(
    competencies: pd.DataFrame, framework: Framework, members: pd.DataFrame
) -> pd.DataFrame:
    """Competency figures rolled up into another grouping of competencies (a crosswalk's areas)
    by the rules a domain follows (`_roll_up`): weighted means of the values that exist, and the
    final never above the group's panel figure plus the tolerance (docs/methods.md).

    `competencies`: RoundScores.competencies (some or all sites); `members`: one row per
    (competency, group). Returns site, group, competencies, self, panel, final, gap, coverage,
    panel_n, in the groups' order of first appearance."""
    columns = ["site", "group", "competencies", *_ROLLED, "coverage", "panel_n"]
    ids = [c.id for c in framework.competencies]
    groups = list(dict.fromkeys(members["group"]))
    sites = list(dict.fromkeys(competencies["site"]))
    if not groups or not sites:
        return pd.DataFrame(columns=columns)
    into = np.zeros((len(ids), len(groups)))
    for competency, group in members[["competency", "group"]].itertuples(index=False):
        into[ids.index(competency), groups.index(group)] = 1.0
    by_cell = competencies.assign(competency=competencies["competency"].astype(str)).set_index(
        ["site", "competency"]
    )

    def grid(column: str) -> np.ndarray:
        wide = by_cell[column].unstack("competency").reindex(index=sites, columns=ids)
        return wide.to_numpy(dtype=float)

    level = {name: grid(name) for name in (*_ROLLED, "coverage")}
    panel_n = np.nan_to_num(grid("panel_n")).astype(np.int64)
    weights = np.array([float(c.weight) for c in framework.competencies])
    rolled = _roll_up(level, panel_n, weights, into)
    rolled["final"] = _moderate(rolled["final"], rolled["panel"], framework)
    each_site = np.repeat(np.arange(len(sites)), len(groups))
    return pd.DataFrame(
        {
            "site": np.array(sites, dtype=object)[each_site],
            "group": np.tile(np.array(groups, dtype=object), len(sites)),
            "competencies": np.tile(into.sum(axis=0).astype(int), len(sites)),
            **{name: rolled[name].ravel() for name in (*_ROLLED, "coverage")},
            "panel_n": rolled["panel_n"].ravel(),
        }
    )[columns]


def _level_labels(
    level: Mapping[str, np.ndarray], framework: Framework
) -> dict[str, pd.api.extensions.ExtensionArray]:
    """The level words for the panel's figure and the final one (docs/methods.md, Labels).

    A final's label is never above the panel's at the same level: a median between two levels
    (1.5) reads as the lower level, and a final within the tolerance of it (2.0) would otherwise
    read a level higher than the panel's own. A final nobody on the panel checked (coverage 0)
    has no label at all; one the panel cannot judge (coverage empty, checked by evidence) keeps
    its own.
    """
    scale = framework.scale
    words = [level.label for level in scale.levels]

    def position(figure: np.ndarray) -> np.ndarray:
        return _position(scale, figure)

    panel, final = position(level["panel"]), position(level["final"])
    capped = np.where(panel >= 0, np.minimum(final, panel), final)
    coverage = level["coverage"].ravel()
    capped = np.where(coverage == 0, -1, capped)  # NaN (not judged) compares False: kept
    return {"panel_label": _labels(words, panel), "final_label": _labels(words, capped)}


def _position(scale: Scale, figure: np.ndarray) -> np.ndarray:
    """Each figure's level on the scale (the level it reaches: 1.5 is level 1); -1 for none."""
    values = [level.value for level in scale.levels]
    flat = np.asarray(figure, dtype=float).ravel()
    found = np.searchsorted(values, flat + _EPSILON, side="right") - 1
    return np.where(np.isnan(flat), -1, np.maximum(found, 0))


def level_word(scale: Scale, figure: float | None) -> str:
    """The level a figure reaches, in words ("Developing" for 1.47), by the rule the score
    labels follow; "" where there is no figure."""
    if figure is None or pd.isna(figure):
        return ""
    return scale.levels[int(_position(scale, np.array([figure]))[0])].label


def _labels(names: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Text labels by code (-1: missing), built by taking from the few distinct names."""
    return pd.array(
        pa.array(names, pa.large_string()).take(pa.array(codes, mask=codes < 0)), dtype="str"
    )


def _respondent_values(coded: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """Respondents × competencies: the mean of each respondent's item scores (NaN if none).

    Also whether each respondent gave any scoring answer at all.
    """
    width = coded.n_competencies + 1  # the spare column collects answers that do not score
    cells = coded.respondent * width
    cells += coded.competency
    size = len(coded.respondent_site) * width
    totals = np.bincount(cells, weights=coded.score, minlength=size).reshape(-1, width)
    counts = np.bincount(cells, minlength=size).reshape(-1, width)
    with np.errstate(invalid="ignore"):
        means = totals / counts  # 0 / 0: NaN where a respondent has no score
    return means[:, :-1], np.asarray(counts[:, :-1].any(axis=1))


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
    """Flat flags, in precedence: not_verified (a final the panel checked nowhere: coverage 0),
    accountability_gap (gap ≥ gap_flag), partly_verified (0 < coverage < 1), else ''."""
    rated = ~np.isnan(level["final"])
    with np.errstate(invalid="ignore"):
        over = level["gap"] >= gap_flag - _EPSILON
        unverified = rated & (level["coverage"] <= 0)
        partly = rated & (level["coverage"] > 0) & (level["coverage"] < 1 - _EPSILON)
    flag = np.select([unverified, over, partly], [1, 2, 3], default=0)
    return _labels(_FLAGS, flag.ravel())


def _roll_up(
    level: Mapping[str, np.ndarray], panel_n: np.ndarray, weights: np.ndarray, into: np.ndarray
) -> dict[str, np.ndarray]:
    """Weighted means (sites × parts → sites × wholes) of the values that exist.

    `into` is the parts × wholes membership matrix. The gap is the weighted mean of the gaps
    below (only where both self and panel exist), so it compares like with like when the panel
    could not judge every part. Coverage is rolled up over the parts that have a final value, so
    it says how much of the final rating's weight the panel checked. panel_n is the smallest n
    behind a panel value, else 0.
    """
    rolled = {}

    def weighted_mean(values: np.ndarray, present: np.ndarray) -> np.ndarray:
        total = (present * weights) @ into
        weighted = (np.where(present, values, 0) * weights) @ into
        with np.errstate(invalid="ignore"):
            return weighted / np.where(total > 0, total, np.nan)

    for name in _ROLLED:
        rolled[name] = weighted_mean(level[name], ~np.isnan(level[name]))
    # Coverage describes the final rating: the share of its weight the panel checked. A part
    # the panel cannot judge (coverage empty: checked by evidence) is unchecked here, so a
    # rating that leans on such parts never reads as fully moderated.
    rolled["coverage"] = weighted_mean(
        np.where(np.isnan(level["coverage"]), 0.0, level["coverage"]), ~np.isnan(level["final"])
    )
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
    site_block = np.where(panel, coded.respondent_site, n_sites) * (coded.n_items * (n_values + 1))
    cells = np.take(site_block, coded.respondent)
    cells += coded.rating  # in place: this runs over every answer
    shape = (n_sites + 1, coded.n_items, n_values + 1)
    counts = np.bincount(cells, minlength=np.prod(shape)).reshape(shape)[:-1, :, :-1]
    counts = counts[:, counts.sum(axis=0).any(axis=1)]  # only items some panel member scored
    members = np.bincount(coded.respondent_site[panel & answered], minlength=n_sites)
    alpha = ordinal_alpha_from_counts(counts) if n_values else np.full(n_sites, np.nan)
    return pd.DataFrame(
        {
            "site": coded.sites,
            "alpha": np.where(members >= min_panel, alpha, np.nan),
            "members": members,
            "items": np.count_nonzero(counts.any(axis=2), axis=1),
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
