"""The mail templates: German text and HTML parts rendered from the same context."""

from pathlib import Path

from ikz.templating import environment

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(name: str, **context) -> str:
    """Render one mail template by file name."""
    return environment(TEMPLATES).get_template(name).render(**context)


def render_pair(stem: str, **context) -> tuple[str, str]:
    """Render `stem.txt.j2` and `stem.html.j2` with the same context."""
    return render(f"{stem}.txt.j2", **context), render(f"{stem}.html.j2", **context)
