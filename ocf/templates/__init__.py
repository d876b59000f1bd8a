"""The HTML documents the platform writes, as Jinja2 templates in this folder (issue 32).

Autoescaped: every text from the database, a survey or a translation is escaped by the template
engine, never by hand; only our own fixed markup (styles, charts drawn by vl-convert) is passed
in as `Markup`. StrictUndefined makes a misspelt name an error, not an empty gap.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = ["TEMPLATES"]

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
