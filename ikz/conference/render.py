"""Write a meeting's agenda and decision papers as HTML and Markdown files, and both as one PDF."""

import re
from pathlib import Path

from jinja2 import Environment

from ikz.templating import environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
AGENDA = "tagesordnung"
PDF_NAME = "sitzungsunterlagen.pdf"
# Characters that would turn user text into Markdown markup (or raw HTML, which Markdown passes through).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def render_agenda(data: dict, out_dir: Path, *, notes: list[str] | None = None) -> list[Path]:
    """Write every document of `agenda_data` into out_dir; a skipped PDF is explained (German) in `notes`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts(data).items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    skipped = write_pdf(data, out_dir / PDF_NAME)
    if skipped is None:
        written.append(out_dir / PDF_NAME)
    elif notes is not None:
        notes.append(skipped)
    return written


def texts(data: dict, *, links: bool = True, suffixes: tuple[str, ...] = ("html", "md")) -> dict[str, str]:
    """Render the agenda and then each paper: file name → text."""
    env = _environment()
    documents = {}
    for suffix in suffixes:
        template = env.get_template(f"agenda.{suffix}.j2")
        documents[f"{AGENDA}.{suffix}"] = template.render(
            meeting=data["meeting"], items=data["items"], papers=data["papers"], links=links
        )
    for paper in data["papers"]:
        for suffix in suffixes:
            template = env.get_template(f"paper.{suffix}.j2")
            documents[f"{paper['file']}.{suffix}"] = template.render(meeting=data["meeting"], paper=paper, links=links)
    return documents


def write_pdf(data: dict, path: Path) -> str | None:
    """Print the agenda and each paper (each on new pages) into one A4 PDF; return why not if WeasyPrint can't run."""
    try:
        # Imported here: WeasyPrint needs Pango from the system; without it HTML and Markdown are still worth having.
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"Hinweis: PDF übersprungen, WeasyPrint kann hier nicht drucken ({reason})."
    # Links between the HTML files mean nothing on paper.
    rendered = [
        HTML(string=html, base_url=str(path.parent)).render()
        for html in texts(data, links=False, suffixes=("html",)).values()
    ]
    pages = [page for document in rendered for page in document.pages]
    rendered[0].copy(pages).write_pdf(path)
    return None


def markdown_escape(value) -> str:
    """Backslash-escape Markdown markup in user text and keep it on one line (table cells, list items)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _environment() -> Environment:
    env = environment(TEMPLATES)
    env.filters["md"] = markdown_escape
    return env
