"""Issuing an agenda with its decision papers: rendered once, stored as a record, shown as issued from then on."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from ikz.conference.papers import agenda_data
from ikz.conference.render import render_files
from ikz.errors import InvalidInput
from models import Body, Document
from workflow.documents import damaged, files_of, issue, latest, next_edition
from workflow.lookup import CONFERENCE_KEY, find_meeting
from workflow.text import format_long_date

KIND = "agenda"


@dataclass
class AgendaFiles:
    """The files of one meeting's agenda: the issued version's (document set) or a draft's, and what they hold."""

    files: dict[str, tuple[str, bytes]]
    items: int
    papers: int
    document: Document | None = None
    issued_now: bool = False
    notes: list[str] = field(default_factory=list)


def subject(body_key: str, day: date) -> str:
    """What an agenda document is about: the body's meeting on a day, e.g. 'bmk/2011-04-12'."""
    return f"{body_key}/{day.isoformat()}"


def agenda_files(
    session: Session,
    day: date,
    *,
    actor: str,
    now: datetime,
    issue_now: bool = False,
    draft: bool = False,
    body_key: str = CONFERENCE_KEY,
    papers_pdf: bool | None = None,
) -> AgendaFiles:
    """The agenda as issued (unless a draft is asked for), or issued now as the next version, or a draft.

    `papers_pdf`: whether a rendered PDF holds the papers too (None: up to render.PDF_PAPERS of them).
    """
    if issue_now and draft:
        raise InvalidInput("--issue und --draft schließen sich aus: ausgegeben wird eine Fassung, kein Entwurf.")
    data = agenda_data(session, day, body_key)
    meeting = find_meeting(session, day, body_key)
    about = subject(body_key, day)
    result = AgendaFiles({}, len(data["items"]), len(data["papers"]))
    stored = None if draft or issue_now else latest(session, KIND, about)
    if stored is not None:
        rows = files_of(session, stored)
        broken = damaged(rows)
        if broken:
            raise InvalidInput(
                f"Die ausgegebene Fassung {stored.version} der Tagesordnung ist beschädigt: "
                f"{', '.join(broken)} passt nicht mehr zur gespeicherten Prüfsumme (SHA-256)."
            )
        result.files = {row.name: (row.media_type, row.content) for row in rows}
        result.document = stored
        return result
    if not issue_now:
        result.files = render_files(data, notes=result.notes, papers_pdf=papers_pdf)
        return result
    edition = next_edition(session, KIND, about, now=now)
    result.files = render_files(data, edition, notes=result.notes, papers_pdf=papers_pdf)
    owner = session.get(Body, meeting.body_id)
    title = f"Tagesordnung {owner.name} am {format_long_date(day)}"
    result.document = issue(
        session, KIND, about, result.files, edition=edition, title=title, actor=actor, meeting_id=meeting.id
    )
    result.issued_now = True
    return result
