"""A meeting's agenda and decision papers as HTML and Markdown, and all of it as one PDF: rendered, then written."""

import re
from pathlib import Path

from jinja2 import Environment

from ikz.templating import environment
from workflow.documents import DRAFT, Edition

TEMPLATES = Path(__file__).resolve().parent / "templates"
AGENDA = "tagesordnung"
PDF_NAME = "sitzungsunterlagen.pdf"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "pdf": "application/pdf"}
# Characters that would turn user text into Markdown markup (or raw HTML, which Markdown passes through).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
# Beyond this many papers the PDF holds the agenda alone unless asked for all: WeasyPrint lays out ~0.2 s a paper.
PDF_PAPERS = 20


def render_files(
    data: dict, edition: Edition = DRAFT, *, notes: list[str] | None = None, papers_pdf: bool | None = None
) -> dict[str, tuple[str, bytes]]:
    """Every file of `agenda_data`: name → (media type, bytes); a skipped PDF is explained (German) in `notes`.

    The PDF holds the papers too when `papers_pdf`, or (None) when there are at most PDF_PAPERS of them.
    """
    files = {
        name: (MEDIA_TYPES[name.rsplit(".", 1)[1]], text.encode("utf-8"))
        for name, text in texts(data, edition=edition).items()
    }
    count = len(data["papers"])
    if papers_pdf is None:
        papers_pdf = count <= PDF_PAPERS
        if not papers_pdf and notes is not None:
            notes.append(
                f"Hinweis: {count} Beschlussvorlagen – das PDF enthält nur die Tagesordnung "
                f"(die Vorlagen als HTML und Markdown); alle ins PDF mit --papers-pdf (etwa 0,2 s je Vorlage)."
            )
    pdf = pdf_bytes(data, edition, papers=papers_pdf)
    if isinstance(pdf, bytes):
        files[PDF_NAME] = (MEDIA_TYPES["pdf"], pdf)
    elif notes is not None:
        notes.append(pdf)
    return files


def write_files(files: dict[str, tuple[str, bytes]], out_dir: Path) -> list[Path]:
    """Write rendered or stored files into out_dir, byte for byte."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (_media_type, content) in files.items():
        path = out_dir / name
        path.write_bytes(content)
        written.append(path)
    return written


def render_agenda(data: dict, out_dir: Path, *, edition: Edition = DRAFT, notes: list[str] | None = None) -> list[Path]:
    """Render every document of `agenda_data` and write it into out_dir."""
    return write_files(render_files(data, edition, notes=notes), out_dir)


def texts(
    data: dict, *, edition: Edition = DRAFT, links: bool = True, suffixes: tuple[str, ...] = ("html", "md")
) -> dict[str, str]:
    """Render the agenda and then each paper: file name → text."""
    env = _environment()
    documents = {}
    for suffix in suffixes:
        template = env.get_template(f"agenda.{suffix}.j2")
        documents[f"{AGENDA}.{suffix}"] = template.render(
            meeting=data["meeting"],
            items=data["items"],
            public_items=data["public_items"],
            non_public_items=data["non_public_items"],
            papers=data["papers"],
            links=links,
            edition=edition,
        )
    for paper in data["papers"]:
        for suffix in suffixes:
            template = env.get_template(f"paper.{suffix}.j2")
            documents[f"{paper['file']}.{suffix}"] = template.render(
                meeting=data["meeting"], paper=paper, links=links, edition=edition
            )
    return documents


def pdf_bytes(data: dict, edition: Edition = DRAFT, *, papers: bool = True) -> bytes | str:
    """The agenda and (with `papers`) each paper, each on new pages, as one A4 PDF, or why WeasyPrint can't run."""
    try:
        # Imported here: WeasyPrint needs Pango from the system; without it HTML and Markdown are still worth having.
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"Hinweis: PDF übersprungen, WeasyPrint kann hier nicht drucken ({reason})."
    # Links between the HTML files mean nothing on paper.
    shown = data if papers else {**data, "papers": []}
    rendered = [
        HTML(string=html).render() for html in texts(shown, edition=edition, links=False, suffixes=("html",)).values()
    ]
    pages = [page for document in rendered for page in document.pages]
    return rendered[0].copy(pages).write_pdf()


def markdown_escape(value) -> str:
    """Backslash-escape Markdown markup in user text and keep it on one line (table cells, list items)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _environment() -> Environment:
    env = environment(TEMPLATES)
    env.filters["md"] = markdown_escape
    return env
