"""Rounds: what a new round is made of, and the life cycle open → closed → published.

A round keeps a snapshot of its framework and survey YAML, so a later framework version never
changes an old round's results.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ocf.errors import ConfigError, ConflictError, DataError, Problem
from ocf.loading import Library, load_shipped, parse_framework, parse_survey
from ocf.models import Framework, Round, Survey
from ocf.store import Store

__all__ = [
    "ROUND_ID",
    "TRANSITIONS",
    "RoundContent",
    "change_status",
    "open_round",
    "resolve_content",
]


# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "close": (("open",), "closed"),
    "publish": (("closed",), "published"),
    "reopen": (("closed", "published"), "open"),
}


@dataclass(frozen=True)
class RoundContent:
    framework: Framework
    framework_yaml: str
    surveys: tuple[tuple[Survey, str], ...]


def resolve_content(
    framework_ref: str, survey_refs: Sequence[str] = (), library: Library | None = None
) -> RoundContent:
    """Find a round's framework and surveys by shipped id or YAML path, and validate them.

    With no survey given, the round takes every shipped survey of that framework.
    """
    library = library or load_shipped()
    framework_yaml, source = _text_of("framework", framework_ref, library)
    framework = parse_framework(framework_yaml, source)
    if survey_refs:
        texts = [_text_of("survey", ref, library) for ref in survey_refs]
    else:
        texts = [(library.texts[("survey", s.id)], s.id) for s in library.surveys_for(framework.id)]
        if not texts:
            raise ConfigError(
                [
                    Problem(
                        source,
                        f"no shipped survey uses framework {framework.id!r}; name one with --survey",
                    )
                ]
            )
    surveys = tuple((parse_survey(text, src, framework), text) for text, src in texts)
    ids = [survey.id for survey, _ in surveys]
    if len(set(ids)) != len(ids):
        raise ConfigError([Problem(source, "the same survey is named twice")])
    return RoundContent(framework, framework_yaml, surveys)


def _text_of(kind: str, ref: str, library: Library) -> tuple[str, str]:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ConfigError(
                [Problem(str(path), f"cannot read the file: {exc.strerror}")]
            ) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                [Problem(str(path), f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
            ) from None
    if (kind, ref) in library.texts:
        return library.texts[(kind, ref)], ref
    known = sorted(i for k, i in library.texts if k == kind)
    raise ConfigError(
        [
            Problem(
                ref, f"unknown {kind}; expected a path to a YAML file or one of: {', '.join(known)}"
            )
        ]
    )


# A round id: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 40
# (docs/cli.md). It names files and spreadsheet cells, so nothing a spreadsheet could run.
ROUND_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def open_round(
    store: Store,
    round_id: str,
    content: RoundContent,
    actor: str,
    period: str | None = None,
    opens: str | None = None,
    closes: str | None = None,
) -> Round:
    if not ROUND_ID.fullmatch(round_id):
        raise DataError(
            [
                Problem(
                    "round id",
                    f"{round_id!r} is not a round id; expected up to 40 letters, digits, '.', "
                    "'_' or '-', starting with a letter or digit (e.g. 2025-26)",
                )
            ]
        )
    round_ = Round(
        id=round_id,
        framework_id=content.framework.id,
        framework_version=content.framework.version,
        status="open",
        period=period,
        opens=opens,
        closes=closes,
    )
    store.rounds.add_round(round_, content.framework_yaml, content.surveys, actor)
    return round_


def change_status(store: Store, round_id: str, action: str, actor: str, reason: str = "") -> str:
    """Move a round along its life cycle; refuse a move the life cycle does not allow."""
    starts, target = TRANSITIONS[action]
    if action == "reopen" and not reason.strip():
        raise ConflictError("reopening a round needs a reason; it is kept in the audit log")
    if action == "reopen" and store.rounds.retired_scores(round_id) is not None:
        # Its figures are kept as published; a changed self-assessment would never reach them.
        raise ConflictError(
            f"round {round_id}'s panel answers were deleted under the records policy; its "
            "figures are kept as published, so it cannot be reopened"
        )
    with store.write():  # check and change under one lock, so two admins cannot race
        current = store.rounds.require_round(round_id)
        if current.status not in starts:
            raise ConflictError(
                f"round {round_id} is {current.status}; it can be {target} only from {' or '.join(starts)}"
            )
        store.rounds.set_round_status(round_id, target, actor, reason)
        if target == "closed":
            # Closing a round freezes its panels for good: a later reopen is for corrections
            # to self-assessments, never for one more panel answer (docs/security.md).
            store.panels.close_panels_of_round(round_id, actor)
    return target
