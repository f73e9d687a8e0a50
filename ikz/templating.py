"""Jinja2 environments for everything ikz renders: HTML autoescaped, undefined names an error, German filters."""

from datetime import date, datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ikz.clock import BERLIN
from workflow.text import format_date, format_eur, format_long_date


def _long_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN).date()
    return format_long_date(value)


@cache
def environment(folder: Path) -> Environment:
    """The template environment for one folder of templates."""
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        # select_autoescape(["html"]) would miss "*.html.j2" (LIBRARIES.md).
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates ship with the package: no stat() of each template and its parents on every render.
        auto_reload=False,
    )
    env.filters.update(date=format_date, long_date=_long_date, eur=format_eur)
    return env
