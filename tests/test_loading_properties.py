"""Property tests: the loader answers any input with models or a ConfigError, never a crash."""

from __future__ import annotations

import copy
import random

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocf.errors import ConfigError
from ocf.loading import parse_framework, parse_survey

from .conftest import FIXTURES

MINIMAL = yaml.safe_load((FIXTURES / "framework-minimal.yaml").read_text())
FRAMEWORK = parse_framework((FIXTURES / "framework-minimal.yaml").read_text(), "minimal")
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def paths(data, prefix=()):
    """Every (path) into a nested structure of dicts and lists."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths(value, (*prefix, i))


def mutate(data, path, value, delete):
    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(seed=st.integers(0, 10_000), value=JUNK, delete=st.booleans())
def test_a_damaged_framework_is_refused_with_problems_or_still_valid(
    seed: int, value, delete: bool
) -> None:
    candidates = [p for p in paths(MINIMAL) if p]
    path = random.Random(seed).choice(candidates)
    text = yaml.safe_dump(mutate(MINIMAL, path, value, delete))
    try:
        parse_framework(text, "damaged.yaml")
    except ConfigError as exc:
        assert exc.problems
        assert all(str(p).startswith("damaged.yaml") for p in exc.problems)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_is_parsed_or_refused_cleanly(text: str) -> None:
    for parse in (
        lambda t: parse_framework(t, "x.yaml"),
        lambda t: parse_survey(t, "x.yaml", FRAMEWORK),
    ):
        try:
            parse(text)
        except ConfigError as exc:
            assert exc.problems
