"""YAML → frozen models, with every problem reported at once as FILE:LINE: field: message.

YAML is composed into nodes (not loaded straight to dicts) so that every value keeps the line
it came from; a `_Checker` then walks the plain data, collecting problems instead of stopping at
the first, and the models are built only when a document has none.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import yaml

from ocf.disclosure import MIN_PANEL_FLOOR
from ocf.errors import ConfigError, Problem
from ocf.languages import REVIEW_STATES, STYLES, SYMBOLS, Translation, flatten, gaps
from ocf.models import (
    COMPETENCY_KINDS,
    ITEM_TYPES,
    OBLIGATION_OPTIONS,
    OPTION_TYPES,
    SCORED_TYPES,
    SITE_KINDS,
    Carers,
    Competency,
    Domain,
    Framework,
    Item,
    Level,
    Moderation,
    Option,
    Scale,
    Section,
    ShowIf,
    ShowIfOperator,
    Survey,
)

__all__ = [
    "DEFAULT_YES_NO",
    "ID_PATTERN",
    "LANGUAGE_TAG",
    "MAX_NODES",
    "PROJECT_ROOT",
    "SHIPPED_FRAMEWORKS",
    "SHIPPED_SURVEYS",
    "SHOW_IF_PATTERN",
    "TRANSLATION_CODE",
    "Library",
    "Path_",
    "load_library",
    "load_shipped",
    "parse_framework",
    "parse_survey",
    "plain_data",
]


ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SHOW_IF_PATTERN = re.compile(
    r"^\s*(?P<item>[a-z0-9][a-z0-9-]*)\s*(?P<op>==|!=|in)\s*(?P<rest>.+?)\s*$"
)
DEFAULT_YES_NO = (
    Option("yes", "Yes"),
    Option("no", "No"),
    Option("dont_know", "Don't know"),
)

Path_ = tuple[str | int, ...]


# --------------------------------------------------------------------------- YAML with lines


@dataclass(frozen=True)
class _Document:
    data: Any
    lines: dict[Path_, int]


# libyaml's parser is about ten times faster than the pure-Python one and keeps line marks too.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Values in one file once aliases are expanded: the largest shipped file has a few thousand.
# Aliases that repeat aliases grow exponentially (a 441-byte file reached millions and 2 GB).
MAX_NODES = 100_000


class _AliasError(Exception):
    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.node = node


@functools.lru_cache(maxsize=64)
def _parse(text: str, source: str) -> _Document:
    """Parse YAML into plain data plus the 1-based line of every path; raise on syntax errors.

    Cached: a file is looked at several times (its kind, its framework, its content) and a
    round's snapshot is parsed on every page run. Callers never mutate the result.
    """
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(exc, text, source)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(source, f"YAML syntax error: {exc}")]) from None
    if node is None:
        raise ConfigError([Problem(source, "the file is empty; expected a YAML mapping", line=1)])
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    constructor = yaml.constructor.SafeConstructor()
    budget = [MAX_NODES]
    inside: set[int] = set()  # the collections being converted, to catch an alias to itself

    def convert(node: yaml.Node, path: Path_) -> Any:
        lines[path] = node.start_mark.line + 1
        budget[0] -= 1
        if budget[0] < 0:
            raise _AliasError(
                f"more than {MAX_NODES:,} values once aliases are expanded: aliases that "
                "repeat aliases (an alias bomb) are refused",
                node,
            )
        if id(node) in inside:
            raise _AliasError("an alias refers to the collection that contains it", node)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            inside.add(id(node))
            try:
                return convert_collection(node, path)
            finally:
                inside.discard(id(node))
        return constructor.construct_object(node, deep=True)

    def convert_collection(node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                if isinstance(key, list | dict):
                    problems.append(
                        Problem(source, "a key must be a plain value", line=lines[path])
                    )
                    continue
                if key in result:
                    problems.append(
                        Problem(
                            source,
                            f"duplicate key {key!r}: the second would silently replace the first",
                            line=key_node.start_mark.line + 1,
                            field=_render((*path, key)),
                        )
                    )
                result[key] = convert(value_node, (*path, key))
                lines[(*path, key)] = key_node.start_mark.line + 1
            return result
        return [convert(child, (*path, i)) for i, child in enumerate(node.value)]

    try:
        data = convert(node, ())
    except _AliasError as exc:
        raise ConfigError(
            [Problem(source, exc.args[0], line=exc.node.start_mark.line + 1)]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(source, f"YAML error: {exc}")]) from None
    if problems:
        raise ConfigError(problems)
    return _Document(data, lines)


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, source: str) -> Problem:
    """Point at the problem, and say where the unfinished construct began when that helps."""
    reason = exc.problem or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    line = min(mark.line + 1, max(1, len(text.splitlines()))) if mark else None
    if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
        reason += f" ({exc.context} that begins on line {exc.context_mark.line + 1})"
    return Problem(source, f"YAML syntax error: {reason}", line=line)


def _render(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --------------------------------------------------------------------------- the checker


_MISSING = object()


class _Checker:
    """Collects problems while reading values out of a parsed document."""

    def __init__(self, source: str, lines: Mapping[Path_, int]):
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []

    def line(self, path: Path_) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def error(self, path: Path_, message: str) -> None:
        self.problems.append(
            Problem(self.source, message, line=self.line(path), field=_render(path) or None)
        )

    def get(
        self,
        mapping: Mapping[str, Any],
        path: Path_,
        key: str,
        kind: str,
        *,
        default: Any = _MISSING,
    ) -> Any:
        """Read `key`, checking its kind; report and return None when it is missing or wrong."""
        where = (*path, key)
        if key not in mapping or mapping[key] is None:
            if default is _MISSING:
                self.error(where, f"required; expected {_KIND_WORDS[kind]}")
                return None
            return default
        value = mapping[key]
        if not _KIND_CHECKS[kind](value):
            self.error(where, f"expected {_KIND_WORDS[kind]}, found {_describe(value)}")
            return None
        return value

    def items_of(self, mapping: Mapping[str, Any], path: Path_, key: str) -> list[Any]:
        """A required non-empty list of mappings."""
        value = self.get(mapping, path, key, "list")
        if value is None:
            return []
        if not value:
            self.error((*path, key), "expected at least one entry, found an empty list")
        good = []
        for i, entry in enumerate(value):
            if isinstance(entry, dict):
                good.append((i, entry))
            else:
                self.error((*path, key, i), f"expected a mapping, found {_describe(entry)}")
        return good

    def identifier(self, mapping: Mapping[str, Any], path: Path_, seen: dict[str, Path_]) -> str:
        value = self.get(mapping, path, "id", "text")
        if value is None:
            return ""
        if not ID_PATTERN.match(value):
            self.error(
                (*path, "id"),
                f"{value!r} is not a valid id; expected lower-case letters, digits and hyphens",
            )
        if value in seen:
            self.error((*path, "id"), f"duplicate id {value!r} (first at {_render(seen[value])})")
        else:
            seen[value] = path
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_KIND_CHECKS = {
    "text": lambda v: isinstance(v, str) and v.strip() != "",
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _is_number,
    "positive": lambda v: _is_number(v) and v > 0,
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "mapping": lambda v: isinstance(v, dict),
    "scalar": lambda v: isinstance(v, str | int | float) and not isinstance(v, bool),
    "texts": lambda v: isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v),
}
_KIND_WORDS = {
    "text": "non-empty text",
    "int": "a whole number",
    "number": "a number",
    "positive": "a number greater than 0",
    "bool": "true or false",
    "list": "a list",
    "mapping": "a mapping of keys to values",
    "scalar": "a number or text",
    "texts": "a list of non-empty texts",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        # YAML 1.1 reads yes/no/on/off as true/false: the commonest surprise for authors.
        return f"{str(value).lower()} (YAML reads yes, no, on and off as true/false: put text in quotes)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, str):
        return f"text {value!r}" if value.strip() else "empty text"
    return repr(value)


# --------------------------------------------------------------------------- frameworks


def parse_framework(text: str, source: str, snapshot: bool = False) -> Framework:
    """Validate framework YAML text and build a Framework; ConfigError lists every problem.

    `snapshot`: the text is a round's stored snapshot, read back rather than newly authored:
    a `min_panel` from before the floor existed is raised to it instead of refused.
    """
    doc = _parse(text, source)
    check = _Checker(source, doc.lines)
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError([Problem(source, "expected a mapping at the top of the file", line=1)])

    fw_id = check.identifier(data, (), {})
    version = check.get(data, (), "version", "int")
    if version is not None and version < 1:
        check.error(("version",), f"expected a whole number of at least 1, found {version}")
    title = check.get(data, (), "title", "text")
    scale = _check_scale(check, data)
    moderation = _check_moderation(check, data)
    min_panel = check.get(data, (), "min_panel", "int", default=MIN_PANEL_FLOOR)
    if min_panel is not None and min_panel < MIN_PANEL_FLOOR:
        if snapshot:  # an old round's snapshot: readable, with the floor applied
            min_panel = MIN_PANEL_FLOOR
        else:
            check.error(
                ("min_panel",),
                f"expected a whole number of at least {MIN_PANEL_FLOOR}, found {min_panel}: "
                "smaller panels would show staff one or two people's answers",
            )
    gap_flag = check.get(data, (), "gap_flag", "positive", default=1)
    focus = check.get(data, (), "focus_populations", "texts", default=[])
    tags = check.get(data, (), "tags", "mapping", default={})
    for tag, label in (tags or {}).items():
        if not isinstance(label, str):
            check.error(
                ("tags", tag), f"expected the tag's title as text, found {_describe(label)}"
            )
    sources = check.get(data, (), "sources", "mapping", default={}) or {}
    for source, citation in sources.items():
        if not (isinstance(citation, str) and citation.strip()):
            check.error(("sources", source), "expected the source's citation as text")
    provenance = check.get(data, (), "provenance", "text", default="") or ""
    assessed_at = check.get(data, (), "assessed_at", "texts", default=["trust"]) or ["trust"]
    for kind in assessed_at:
        if kind not in SITE_KINDS:
            check.error(
                ("assessed_at",), f"unknown site kind {kind!r}; expected {', '.join(SITE_KINDS)}"
            )

    domains: list[Domain] = []
    domain_ids: dict[str, Path_] = {}
    competency_ids: dict[str, Path_] = {}
    for d, raw in check.items_of(data, (), "domains"):
        path: Path_ = ("domains", d)
        domain_id = check.identifier(raw, path, domain_ids)
        competencies = [
            _check_competency(
                check, raw_c, (*path, "competencies", c), competency_ids, scale, set(sources)
            )
            for c, raw_c in check.items_of(raw, path, "competencies")
        ]
        domains.append(
            Domain(
                id=domain_id,
                title=check.get(raw, path, "title", "text") or "",
                weight=check.get(raw, path, "weight", "positive", default=1) or 1,
                description=check.get(raw, path, "description", "text", default="") or "",
                competencies=tuple(c for c in competencies if c is not None),
            )
        )

    if check.problems or scale is None:
        raise ConfigError(sorted(check.problems, key=lambda p: p.line or 0))
    return Framework(
        id=fw_id,
        version=version,
        title=title,
        description=check.get(data, (), "description", "text", default=""),
        focus_populations=tuple(focus),
        scale=scale,
        moderation=moderation,
        min_panel=min_panel,
        gap_flag=gap_flag,
        domains=tuple(domains),
        tags=dict(tags),
        sources={k: " ".join(v.split()) for k, v in sources.items()},
        provenance=provenance.strip(),
        assessed_at=tuple(assessed_at),
    )


def _check_scale(check: _Checker, data: Mapping[str, Any]) -> Scale | None:
    entries = check.items_of(data, (), "scale")
    levels = []
    for i, raw in entries:
        path: Path_ = ("scale", i)
        value = check.get(raw, path, "value", "int")
        label = check.get(raw, path, "label", "text")
        description = check.get(raw, path, "description", "text")
        colour = check.get(raw, path, "colour", "text", default=None)
        if None not in (value, label, description):
            levels.append((i, Level(value, label, description, colour)))
    if len(entries) == 1:
        check.error(("scale",), "expected at least two levels")
    for (_, before), (i, after) in itertools.pairwise(levels):
        if after.value <= before.value:
            check.error(
                ("scale", i, "value"),
                f"scale values must ascend; {after.value} follows {before.value}",
            )
    if len(levels) != len(entries) or len(levels) < 2:
        return None
    return Scale(tuple(level for _, level in levels))


def _check_moderation(check: _Checker, data: Mapping[str, Any]) -> Moderation:
    raw = check.get(data, (), "moderation", "mapping", default={})
    if raw is None:
        return Moderation()
    rule = check.get(raw, ("moderation",), "rule", "text", default="panel_cap")
    if rule not in ("panel_cap", "none"):
        check.error(("moderation", "rule"), f"unknown rule {rule!r}; expected panel_cap or none")
    tolerance = check.get(raw, ("moderation",), "tolerance", "number", default=1)
    if tolerance is not None and tolerance < 0:
        check.error(("moderation", "tolerance"), f"expected 0 or more, found {tolerance}")
    return Moderation(rule=rule, tolerance=tolerance)


def _check_competency(
    check: _Checker,
    raw: Mapping[str, Any],
    path: Path_,
    seen: dict[str, Path_],
    scale: Scale | None,
    sources: set[str],
) -> Competency | None:
    comp_id = check.identifier(raw, path, seen)
    title = check.get(raw, path, "title", "text")
    kind = check.get(raw, path, "kind", "text")
    if kind is not None and kind not in COMPETENCY_KINDS:
        check.error(
            (*path, "kind"),
            f"unknown kind {kind!r}; expected organisational, individual or obligation",
        )
    tags = check.get(raw, path, "tags", "texts", default=[])
    values = scale.values if scale is not None else ()
    evidence, shows = _check_evidence(check, raw, path, values if kind != "obligation" else ())
    common = _check_common(check, raw, path, sources)
    if kind == "obligation":
        made = _check_obligation(check, raw, path, comp_id, title, tags, evidence)
        return None if made is None or common is None else replace(made, **common)
    weight = check.get(raw, path, "weight", "positive", default=1)
    levels = check.get(raw, path, "levels", "mapping")
    descriptors: dict[int, str] = {}
    if levels is not None and scale is not None:
        wanted = scale.values
        found = [k for k in levels if k in wanted]
        extra = [k for k in levels if k not in wanted]
        if len(found) != len(wanted) or extra:
            check.error(
                (*path, "levels"),
                f"expected {len(wanted)} levels ({', '.join(map(str, wanted))}), found "
                f"{len(levels)} ({', '.join(map(str, levels)) or 'none'})",
            )
        for key, text in levels.items():
            if not (isinstance(text, str) and text.strip()):
                check.error((*path, "levels", key), "expected a descriptor for this level as text")
            elif key in wanted:
                descriptors[key] = text.strip()
    checks = _check_checks(check, raw, path, values)
    if (
        comp_id is None
        or title is None
        or kind is None
        or weight is None
        or tags is None
        or evidence is None
        or common is None
        or levels is None
    ):
        return None
    return Competency(
        id=comp_id,
        title=title,
        kind=kind,
        weight=weight,
        levels=descriptors,
        description=check.get(raw, path, "description", "text", default=""),
        tags=tuple(tags),
        evidence=tuple(evidence),
        checks=checks,
        evidence_shows=shows,
        **common,
    )


def _check_evidence(
    check: _Checker, raw: Mapping[str, Any], path: Path_, values: tuple[int, ...]
) -> tuple[list[str] | None, dict[str, tuple[int, ...]]]:
    """Evidence prompts: text, or `{prompt, shows: [levels]}` linking it to those levels' checks."""
    prompts: list[str] = []
    shows: dict[str, tuple[int, ...]] = {}
    entries = raw.get("evidence", [])
    if not isinstance(entries, list):
        check.error((*path, "evidence"), f"expected a list, found {_describe(entries)}")
        return None, {}
    for e, entry in enumerate(entries):
        where = (*path, "evidence", e)
        if isinstance(entry, str) and entry.strip():
            prompts.append(entry.strip())
            continue
        if not isinstance(entry, dict):
            check.error(where, "expected a prompt, or {prompt: …, shows: [levels]}")
            continue
        prompt = check.get(entry, where, "prompt", "text")
        levels = entry.get("shows", [])
        wrong = [v for v in levels if v not in values] if isinstance(levels, list) else [levels]
        if wrong or not levels:
            check.error(
                (*where, "shows"),
                f"expected levels of the scale ({', '.join(map(str, values))}), found "
                f"{', '.join(map(str, wrong)) or 'none'}",
            )
        if prompt is not None:
            prompts.append(prompt.strip())
            shows[prompt.strip()] = tuple(levels) if isinstance(levels, list) else ()
    return prompts, shows


def _check_checks(
    check: _Checker, raw: Mapping[str, Any], path: Path_, values: tuple[int, ...]
) -> dict[int, str]:
    """`checks`: what an inspector would see at each level; keys are levels of the scale."""
    raw_checks = check.get(raw, path, "checks", "mapping", default={}) or {}
    checks: dict[int, str] = {}
    for level, text in raw_checks.items():
        if level not in values:
            check.error(
                (*path, "checks", level),
                f"not a level of the scale; expected {', '.join(map(str, values))}",
            )
        elif not (isinstance(text, str) and text.strip()):
            check.error((*path, "checks", level), "expected what would be seen, as text")
        else:
            checks[level] = " ".join(text.split())
    return checks


def _check_common(
    check: _Checker, raw: Mapping[str, Any], path: Path_, sources: set[str]
) -> dict[str, Any] | None:
    """Keys every competency may have: `sources` (ids of the framework's sources) and
    `panel: not_applicable` with its `panel_reason`."""
    cited = check.get(raw, path, "sources", "texts", default=[])
    for source in cited or []:
        if source not in sources:
            check.error(
                (*path, "sources"),
                f"unknown source {source!r}; expected one of the framework's sources: "
                f"{', '.join(sorted(sources)) or 'none declared'}",
            )
    panel = check.get(raw, path, "panel", "text", default="asked")
    reason = check.get(raw, path, "panel_reason", "text", default="") or ""
    if panel not in ("asked", "not_applicable"):
        check.error((*path, "panel"), f"unknown value {panel!r}; expected not_applicable")
        return None
    if panel == "not_applicable" and not reason.strip():
        check.error(
            (*path, "panel_reason"),
            "required with panel: not_applicable; say why a panel cannot judge it",
        )
    if cited is None:
        return None
    return {
        "sources": tuple(cited),
        "panel": panel,
        "panel_reason": " ".join(reason.split()),
    }


def _check_obligation(
    check: _Checker,
    raw: Mapping[str, Any],
    path: Path_,
    comp_id: str | None,
    title: str | None,
    tags: list[str] | None,
    evidence: list[str] | None,
) -> Competency | None:
    """A duty is met, partly met or not met: it states the duty, and has no levels or weight."""
    for key, why in (
        ("levels", "an obligation is met, partly met or not met, not rated on the scale"),
        ("weight", "an obligation is not averaged into maturity, so it carries no weight"),
    ):
        if key in raw:
            check.error((*path, key), f"remove it: {why}")
    duty = check.get(raw, path, "duty", "text")
    if comp_id is None or title is None or tags is None or evidence is None or duty is None:
        return None
    return Competency(
        id=comp_id,
        title=title,
        kind="obligation",
        weight=0,
        levels={},
        description=check.get(raw, path, "description", "text", default=""),
        tags=tuple(tags),
        evidence=tuple(evidence),
        duty=duty.strip(),
    )


# --------------------------------------------------------------------------- surveys


def parse_survey(
    text: str, source: str, framework: Framework | None, snapshot: bool = False
) -> Survey:
    """Validate survey YAML text against its framework; ConfigError lists every problem.

    `framework` None means the survey names a framework that was not found: that is reported
    and competency references cannot be checked. `snapshot`: a round's stored copy, written
    before the page gained words of its own that its translations lack (those show in English).
    """
    doc = _parse(text, source)
    check = _Checker(source, doc.lines)
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError([Problem(source, "expected a mapping at the top of the file", line=1)])

    survey_id = check.identifier(data, (), {})
    version = check.get(data, (), "version", "int")
    fw_id = check.get(data, (), "framework", "text")
    if fw_id is not None and (framework is None or framework.id != fw_id):
        check.error(("framework",), f"unknown framework {fw_id!r}; expected the id of a framework")
        framework = None
    audience = check.get(data, (), "audience", "text")
    if audience is not None and audience not in ("self", "panel"):
        check.error(("audience",), f"unknown audience {audience!r}; expected self or panel")

    item_ids: dict[str, Path_] = {}
    earlier: dict[str, Item] = {}
    sections: list[Section] = []
    for s, raw in check.items_of(data, (), "sections"):
        path: Path_ = ("sections", s)
        section_id = check.identifier(raw, path, {})
        items = []
        for i, raw_item in check.items_of(raw, path, "items"):
            item = _check_item(check, raw_item, (*path, "items", i), item_ids, earlier, framework)
            if item is not None:
                earlier[item.id] = item
                items.append(item)
        sections.append(
            Section(
                id=section_id,
                title=check.get(raw, path, "title", "text") or "",
                intro=check.get(raw, path, "intro", "text", default="") or "",
                items=tuple(items),
                support=check.get(raw, path, "support", "bool", default=False) or False,
            )
        )
    if len({s.id for s in sections}) != len(sections):
        check.error(("sections",), "section ids must be unique")

    if framework is not None and audience == "self":
        rated = {(i.competency, i.type) for i in earlier.values()}
        for competency in framework.competencies:
            wanted = "obligation" if competency.is_obligation else "level"
            if (competency.id, wanted) not in rated:
                check.error(
                    ("sections",),
                    f"competency {competency.id!r} has no {wanted} item; a self-assessment "
                    "rates every competency of its framework",
                )
    elif audience == "panel":
        known = {c.id: c for c in framework.competencies} if framework is not None else {}
        for item_id, item in earlier.items():
            if item.competency in known and not known[item.competency].panel_can_judge:
                check.error(
                    ("sections",),
                    f"item {item_id!r}: the framework says a panel cannot judge "
                    f"{item.competency!r} (panel: not_applicable); remove the item or that key",
                )
            if item.type == "obligation":
                check.error(
                    ("sections",),
                    f"item {item_id!r}: only the trust answers whether it meets an obligation; "
                    "a panel item on it is a likert, yes_no or choice item",
                )

    survey = Survey(
        id=survey_id,
        version=version,
        framework=fw_id,
        audience=audience,
        title=check.get(data, (), "title", "text") or "",
        intro=check.get(data, (), "intro", "text", default="") or "",
        thanks=check.get(data, (), "thanks", "text", default="") or "",
        sections=tuple(sections),
        carers=_check_carers(check, data, earlier),
    )
    translations = _check_translations(check, data, survey, snapshot)
    if check.problems:
        raise ConfigError(sorted(check.problems, key=lambda p: p.line or 0))
    return replace(survey, translations=translations)


def _check_carers(
    check: _Checker, data: Mapping[str, Any], items: Mapping[str, Item]
) -> Carers | None:
    """`carers: {item: respondent-role, values: [carer, both]}`: the choice item whose answer
    says the member answers as a carer."""
    raw = check.get(data, (), "carers", "mapping", default=None)
    if raw is None:
        return None
    where: Path_ = ("carers",)
    item_id = check.get(raw, where, "item", "text")
    values = check.get(raw, where, "values", "list")
    if item_id is None or values is None:
        return None
    item = items.get(item_id)
    if item is None or item.type != "choice":
        check.error((*where, "item"), f"{item_id!r} is not a choice item of this survey")
        return None
    allowed = {o.value for o in item.options}
    if not values or any(str(v) not in allowed for v in values):
        check.error(
            (*where, "values"), f"expected some of {item_id}'s values: {', '.join(sorted(allowed))}"
        )
        return None
    if not any(i.carer_text for i in items.values()):
        check.error(where, "no item has a carer_text, so nothing changes for a carer")
    return Carers(item_id, tuple(str(v) for v in values))


_TRANSLATION_META = ("name", "review", "direction", "style", "lang", "symbols")
# A translation's code travels in addresses (?lang=pl, ocf.sessions.LANGUAGE) and its `lang`
# into the page's markup: each must be a plain tag, never text that could become markup.
TRANSLATION_CODE = re.compile(r"[a-z]{2,8}")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")


def _check_translations(
    check: _Checker, data: Mapping[str, Any], survey: Survey, snapshot: bool = False
) -> dict[str, Translation]:
    """Each language must give every text a member sees, and nothing the survey lacks (in a
    round's snapshot, the page's own words added since may be missing: they show in English)."""
    raw = check.get(data, (), "translations", "mapping", default={}) or {}
    found: dict[str, Translation] = {}
    for code, block in raw.items():
        where: Path_ = ("translations", code)
        if not isinstance(code, str) or not TRANSLATION_CODE.fullmatch(code):
            check.error(where, f"{code!r}: a translation's code is 2 to 8 lowercase letters")
            continue
        if not isinstance(block, dict):
            check.error(where, "expected a mapping of the survey's texts in that language")
            continue
        lang = block.get("lang")
        if lang is not None and not (isinstance(lang, str) and LANGUAGE_TAG.fullmatch(lang)):
            check.error(
                (*where, "lang"),
                f"{lang!r}: expected a BCP 47 language tag such as en, pl or pa-Guru",
            )
            continue
        name = check.get(block, where, "name", "text")
        review = check.get(block, where, "review", "text", default="draft")
        direction = check.get(block, where, "direction", "text", default="ltr")
        if review not in REVIEW_STATES:
            check.error((*where, "review"), f"expected {' or '.join(REVIEW_STATES)}")
        if direction not in ("ltr", "rtl"):
            check.error((*where, "direction"), "expected ltr or rtl")
        style = check.get(block, where, "style", "text", default="standard")
        if style not in STYLES:
            check.error((*where, "style"), f"expected {' or '.join(STYLES)}")
        symbols = _check_symbols(check, block, where, survey, needed=style == "easy-read")
        texts = flatten({k: v for k, v in block.items() if k not in _TRANSLATION_META})
        missing, extra = gaps(survey, texts)
        if snapshot:
            missing = [k for k in missing if not k.startswith("interface.")]
        for key in missing:
            check.error(where, f"missing {key}")
        for key in extra:
            check.error(where, f"{key} is not in the survey")
        if name and not missing and not extra and symbols is not None:
            found[code] = Translation(
                code,
                name.strip(),
                review,
                direction,
                {k: " ".join(str(v).split()) for k, v in texts.items()},
                style=style,
                lang=str(block.get("lang") or code),
                symbols=symbols,
            )
    return found


def _check_symbols(
    check: _Checker, block: Mapping[str, Any], where: Path_, survey: Survey, needed: bool
) -> dict[str, str] | None:
    """Easy Read shows a symbol beside every question: `symbols: {item-id: symbol-name}`,
    each a file in assets/symbols (the set shipped with the project, under an open licence)."""
    raw = check.get(block, where, "symbols", "mapping", default={}) or {}
    path = (*where, "symbols")
    ok = True
    items = {i.id for i in survey.items}
    for item_id, name in raw.items():
        if item_id not in items:
            check.error(path, f"{item_id} is not in the survey")
            ok = False
        elif not (SYMBOLS / f"{name}.svg").is_file():
            check.error(path, f"{item_id}: no symbol {name!r} in assets/symbols")
            ok = False
    if needed:
        for item_id in sorted(items - set(raw)):
            check.error(path, f"missing a symbol for {item_id} (Easy Read has one per question)")
            ok = False
    return {str(k): str(v) for k, v in raw.items()} if ok else None


def _check_item(
    check: _Checker,
    raw: Mapping[str, Any],
    path: Path_,
    seen: dict[str, Path_],
    earlier: Mapping[str, Item],
    framework: Framework | None,
) -> Item | None:
    item_id = check.identifier(raw, path, seen)
    item_type = check.get(raw, path, "type", "text")
    if item_type is not None and item_type not in ITEM_TYPES:
        check.error(
            (*path, "type"), f"unknown type {item_type!r}; expected one of {', '.join(ITEM_TYPES)}"
        )
        item_type = None
    text = check.get(raw, path, "text", "text")
    required = check.get(raw, path, "required", "bool", default=False)
    help_text = check.get(raw, path, "help", "text", default="")
    carer_text = check.get(raw, path, "carer_text", "text", default="")
    competency = check.get(raw, path, "competency", "text", default=None)

    if competency is not None and framework is not None:
        known = {c.id for c in framework.competencies}
        if competency not in known:
            check.error(
                (*path, "competency"),
                f"unknown competency {competency!r}; expected an id from framework "
                f"{framework.id!r}",
            )
    if (
        competency is not None
        and item_type is not None
        and item_type not in (*SCORED_TYPES, "obligation")
    ):
        check.error(
            (*path, "competency"),
            f"a {item_type} item cannot be scored; only {', '.join(sorted(SCORED_TYPES))} "
            "and obligation items map to a competency",
        )
    _check_rating_item(check, path, item_id, item_type, competency, framework)

    options = _check_options(check, raw, path, item_type, competency, framework)
    show_if = _check_show_if(check, raw, path, earlier)

    if item_id is None or item_type is None or text is None or required is None or options is None:
        return None
    return Item(
        id=item_id,
        type=item_type,
        text=text.strip(),
        competency=competency,
        required=required,
        options=options,
        help=(help_text or "").strip(),
        show_if=show_if,
        carer_text=" ".join((carer_text or "").split()),
    )


def _check_rating_item(
    check: _Checker,
    path: Path_,
    item_id: str | None,
    item_type: str | None,
    competency: str | None,
    framework: Framework | None,
) -> None:
    """A level item rates a maturity competency, an obligation item answers a duty; each has
    its competency and its name (`Survey.rating_item_id`)."""
    if item_type not in ("level", "obligation"):
        return
    if competency is None:
        check.error(
            (*path, "competency"), f"required for a {item_type} item; expected a competency id"
        )
        return
    named = (
        Survey.status_item_id(competency)
        if item_type == "obligation"
        else Survey.level_item_id(competency)
    )
    if item_id and item_id != named:
        check.error(
            (*path, "id"),
            f"a {item_type} item for {competency!r} must be called {named!r}: "
            "the results page and the action plan find the rating by that name",
        )
    known = {c.id: c for c in framework.competencies} if framework is not None else {}
    if competency in known and known[competency].is_obligation != (item_type == "obligation"):
        check.error(
            (*path, "type"),
            f"{competency!r} is an obligation: answer it with an obligation item (met, partly "
            "met or not met)"
            if known[competency].is_obligation
            else f"{competency!r} is rated on the scale: answer it with a level item",
        )


def _check_options(
    check: _Checker,
    raw: Mapping[str, Any],
    path: Path_,
    item_type: str | None,
    competency: str | None,
    framework: Framework | None,
) -> tuple[Option, ...] | None:
    where = (*path, "options")
    if item_type not in OPTION_TYPES:
        if "options" in raw and item_type is not None:
            hint = {
                "level": " (a level item's answers are the framework's scale)",
                "obligation": " (its answers are always met, partly and not_met)",
            }.get(item_type, "")
            check.error(where, f"a {item_type} item takes no options{hint}")
        return OBLIGATION_OPTIONS if item_type == "obligation" else ()
    if "options" not in raw and item_type == "yes_no" and competency is None:
        return DEFAULT_YES_NO
    entries = check.items_of(raw, path, "options")
    if entries and len(entries) < 2:
        check.error(where, "expected at least two options")
    options: list[Option] = []
    values: set[str] = set()
    for o, raw_option in entries:
        opath = (*where, o)
        value = check.get(raw_option, opath, "value", "scalar")
        label = check.get(raw_option, opath, "label", "text")
        score = check.get(raw_option, opath, "score", "number", default=None)
        if value is not None:
            if str(value) in values:
                check.error((*opath, "value"), f"duplicate option value {value!r}")
            values.add(str(value))
        if score is not None and framework is not None:
            low, high = framework.scale.minimum, framework.scale.maximum
            if not low <= score <= high:
                check.error(
                    (*opath, "score"),
                    f"score {score} is outside the scale; expected {low} to {high}",
                )
        if score is not None and item_type == "multi":
            check.error((*opath, "score"), "multi items are not scored; remove the score")
        if value is not None and label is not None:
            options.append(Option(str(value), label, score))
    if competency is not None and options and all(o.score is None for o in options):
        check.error(where, "a scored item needs a score on at least one option")
    return tuple(options) if len(options) == len(entries) else None


def _check_show_if(
    check: _Checker, raw: Mapping[str, Any], path: Path_, earlier: Mapping[str, Item]
) -> ShowIf | None:
    condition = check.get(raw, path, "show_if", "text", default=None)
    if condition is None:
        return None
    where = (*path, "show_if")
    match = SHOW_IF_PATTERN.match(condition)
    if not match:
        check.error(
            where,
            f"cannot read {condition!r}; expected 'ITEM == VALUE', 'ITEM != VALUE' "
            "or 'ITEM in [VALUE, ...]'",
        )
        return None
    target, operator, rest = match["item"], match["op"], match["rest"]
    if operator == "in":
        if not (rest.startswith("[") and rest.endswith("]")):
            check.error(where, f"expected a list after 'in', like [yes, dont_know]; found {rest!r}")
            return None
        values = tuple(v.strip().strip("'\"") for v in rest[1:-1].split(",") if v.strip())
    else:
        values = (rest.strip("'\""),)
    if target not in earlier:
        check.error(where, f"refers to {target!r}, which is not an earlier item of this survey")
        return None
    item = earlier[target]
    if item.options:
        allowed = {o.value for o in item.options}
        unknown = [v for v in values if v not in allowed]
        if unknown:
            check.error(
                where,
                f"{', '.join(map(repr, unknown))} is not an option of {target!r}; expected one of "
                f"{', '.join(sorted(allowed))}",
            )
    return ShowIf(target, cast(ShowIfOperator, operator), values)  # one of the pattern's three


# --------------------------------------------------------------------------- files and folders


@dataclass(frozen=True)
class Library:
    """The frameworks and surveys found in a set of files, by id."""

    frameworks: dict[str, Framework]
    surveys: dict[str, Survey]
    texts: dict[tuple[str, str], str]  # ("framework"|"survey", id) → YAML text, for snapshots

    def surveys_for(self, framework_id: str) -> list[Survey]:
        return [s for s in self.surveys.values() if s.framework == framework_id]


def _yaml_files(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    return files


def plain_data(text: str, source: str) -> Any:
    """The plain data of a document, or None when it does not parse (reported elsewhere)."""
    try:
        return _parse(text, source).data
    except ConfigError:
        return None


def _kind_of(text: str, source: str) -> str:
    """A survey has `audience` and `sections`; anything else is read as a framework."""
    data = plain_data(text, source)
    if isinstance(data, dict) and ("audience" in data or "sections" in data):
        return "survey"
    return "framework"


PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_FRAMEWORKS = PROJECT_ROOT / "frameworks"
SHIPPED_SURVEYS = PROJECT_ROOT / "surveys"


def load_library(
    paths: Iterable[Path | str], *, known: Mapping[str, Framework] | None = None
) -> Library:
    """Load and cross-check every framework and survey under `paths`; all problems at once.

    A survey's framework is looked up among `paths` first, then in `known`.
    """
    problems: list[Problem] = []
    frameworks: dict[str, Framework] = {}
    texts: dict[tuple[str, str], str] = {}
    survey_files: list[tuple[str, str]] = []
    for file in _yaml_files(paths):
        source = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(Problem(source, f"cannot read the file: {exc.strerror}"))
            continue
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(source, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")
            )
            continue
        if _kind_of(text, source) == "survey":
            survey_files.append((text, source))
            continue
        try:
            framework = parse_framework(text, source)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if framework.id in frameworks:
            problems.append(_duplicate(source, "framework", framework.id))
        frameworks[framework.id] = framework
        texts[("framework", framework.id)] = text

    lookup = {**(known or {}), **frameworks}
    surveys: dict[str, Survey] = {}
    for text, source in survey_files:
        try:
            survey = parse_survey(text, source, lookup.get(_framework_id(text, source)))
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if survey.id in surveys:
            problems.append(_duplicate(source, "survey", survey.id))
        surveys[survey.id] = survey
        texts[("survey", survey.id)] = text
    if problems:
        raise ConfigError(problems)
    return Library(frameworks, surveys, texts)


def _duplicate(source: str, kind: str, identifier: str) -> Problem:
    return Problem(
        source, f"{kind} id {identifier!r} is already used by another file", line=1, field="id"
    )


def _framework_id(text: str, source: str) -> str:
    data = plain_data(text, source)
    value = data.get("framework") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def load_shipped() -> Library:
    """The frameworks and surveys that ship with the platform."""
    return load_library([SHIPPED_FRAMEWORKS, SHIPPED_SURVEYS])
