"""Printing: aligned German tables for people, stable JSON for programs."""

import json

import click


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Lay out rows under headers in aligned columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [headers, *rows]
    ]
    lines.insert(1, "  ".join("─" * width for width in widths))
    return "\n".join(lines)


def echo_json(data) -> None:
    """Print data as indented UTF-8 JSON."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
