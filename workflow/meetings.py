"""Meetings of the mayors' conference (and later of working groups)."""

from datetime import date, datetime

from sqlmodel import Session, select

from ikz.errors import InvalidInput
from models import Body, Meeting
from workflow.checks import check_text
from workflow.lookup import CONFERENCE_KEY, find_meeting, get_body
from workflow.text import format_date


def meeting_title(body: Body) -> str:
    """A body's meeting as German names it, in the genitive: Sitzung der Bürgermeisterkonferenz, des AK der Kämmerer."""
    name = body.name
    if body.kind == "conference":
        return f"Sitzung der {name}"
    if body.kind == "county":
        # Kreis Unna → des Kreises Unna.
        head, _, rest = name.partition(" ")
        return f"Sitzung des {head}es {rest}" if head == "Kreis" and rest else f"Sitzung des {name}"
    if body.kind == "working_group":
        # Arbeitskreis and AK are masculine: des IT-Arbeitskreises, des AK der Bauhofleiter.
        return f"Sitzung des {name}es" if name.endswith("kreis") else f"Sitzung des {name}"
    if body.kind == "municipality":
        return f"Sitzung in {name}"
    # An organisation's grammatical gender is unknown: name it without an article.
    return f"Sitzung – {name}"


def add_meeting(
    session: Session,
    day: date,
    *,
    now: datetime,
    today: date,
    title: str | None = None,
    body: str = CONFERENCE_KEY,
) -> Meeting:
    """Add a future meeting; refuse past dates and a second meeting of the same body that day."""
    owner = get_body(session, body)
    if day < today:
        raise InvalidInput(
            f"Das Sitzungsdatum {format_date(day)} liegt in der Vergangenheit; "
            f"erlaubt ist heute ({format_date(today)}) oder später."
        )
    if find_meeting(session, day, owner.key) is not None:
        raise InvalidInput(f"Am {format_date(day)} ist bereits eine {meeting_title(owner)} angelegt.")
    title = check_text((title or "").strip(), "Der Titel")[:200] or meeting_title(owner)
    meeting = Meeting(body_id=owner.id, date=day, title=title, created_at=now)
    session.add(meeting)
    session.flush()
    return meeting


def list_meetings(session: Session) -> list[tuple[Meeting, Body]]:
    """Return all meetings with their body, by date."""
    return list(
        session.exec(
            select(Meeting, Body).join(Body, Body.id == Meeting.body_id).order_by(Meeting.date, Body.key)
        ).all()
    )
