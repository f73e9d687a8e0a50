"""Meetings of the mayors' conference and of working groups: entered, moved, cancelled, given agenda items."""

import re
from datetime import date, datetime

from sqlmodel import Session, select

from ikz.clock import local_date
from ikz.errors import InvalidInput, NotFound, TransitionRefused
from models import Body, Mandate, Meeting, MeetingItem, TransitionLog
from workflow.checks import check_text
from workflow.codes import code_key
from workflow.lookup import CONFERENCE_KEY, find_meeting, get_body, get_mandate
from workflow.rules import Rules
from workflow.seam import record
from workflow.steps import advance
from workflow.text import format_date
from workflow.workdays import add_working_days


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
    time: str | None = None,
    place: str | None = None,
    chair: str | None = None,
) -> Meeting:
    """Add a future meeting; refuse past dates and a second meeting of the same body that day."""
    owner = get_body(session, body)
    time = _time(time)
    place = _line(place, "Der Ort", 200)
    chair = _line(chair, "Der Vorsitz", 120)
    if day < today:
        raise InvalidInput(
            f"Das Sitzungsdatum {format_date(day)} liegt in der Vergangenheit; "
            f"erlaubt ist heute ({format_date(today)}) oder später."
        )
    if find_meeting(session, day, owner.key) is not None:
        raise InvalidInput(f"Am {format_date(day)} ist bereits eine {meeting_title(owner)} angelegt.")
    title = check_text((title or "").strip(), "Der Titel")[:200] or meeting_title(owner)
    meeting = Meeting(body_id=owner.id, date=day, title=title, time=time, place=place, chair=chair, created_at=now)
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


def _time(text: str | None) -> str | None:
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*(Uhr)?\s*", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(f"Ungültige Uhrzeit {text!r}; erlaubt ist SS:MM, z. B. 10:00 oder 14.30.")
    return f"{int(match[1]):02d}:{match[2]}"


def _line(text: str | None, label: str, limit: int) -> str | None:
    if text is None or not text.strip():
        return None
    text = check_text(text.strip(), label)
    if len(text) > limit:
        raise InvalidInput(f"{label} ist zu lang: höchstens {limit} Zeichen.")
    return text


def get_meeting(session: Session, day: date, body: str = CONFERENCE_KEY) -> Meeting:
    """The body's meeting on a day, or say which of its meetings exist."""
    owner = get_body(session, body)
    meeting = find_meeting(session, day, owner.key)
    if meeting is None:
        days = session.exec(select(Meeting.date).where(Meeting.body_id == owner.id).order_by(Meeting.date)).all()
        known = ", ".join(format_date(d) for d in days) or "keine"
        raise NotFound(f"Am {format_date(day)} gibt es keine {meeting_title(owner)}. Vorhanden: {known}.")
    return meeting


def _future(meeting: Meeting, today: date, what: str) -> None:
    if meeting.cancelled_at is not None:
        raise TransitionRefused(
            f"Die Sitzung am {format_date(meeting.date)} ist bereits abgesagt ({meeting.cancel_reason})."
        )
    if meeting.date < today:
        raise TransitionRefused(
            f"Die Sitzung am {format_date(meeting.date)} liegt in der Vergangenheit und kann nicht mehr {what} werden."
        )


def submitted(session: Session, meeting: Meeting) -> list[Mandate]:
    """The mandates submitted to a meeting (waiting for it in the present stage), by code."""
    rows = session.exec(select(Mandate).where(Mandate.meeting_id == meeting.id, Mandate.state == "present")).all()
    return sorted(rows, key=lambda m: code_key(m.code))


def move_meeting(
    session: Session,
    day: date,
    new_day: date,
    *,
    actor: str,
    now: datetime,
    today: date,
    rules: Rules,
    body: str = CONFERENCE_KEY,
    channel: str = "CLI",
) -> tuple[Meeting, list[TransitionLog]]:
    """Move a future meeting to another day; the submitted mandates' submission deadlines move with it (logged)."""
    meeting = get_meeting(session, day, body)
    _future(meeting, today, "verlegt")
    if new_day < today:
        raise InvalidInput(
            f"Der neue Tag {format_date(new_day)} liegt in der Vergangenheit; erlaubt ist heute "
            f"({format_date(today)}) oder später."
        )
    if new_day == day:
        raise InvalidInput(f"Die Sitzung ist bereits am {format_date(day)}.")
    owner = session.get(Body, meeting.body_id)
    if find_meeting(session, new_day, owner.key) is not None:
        raise InvalidInput(f"Am {format_date(new_day)} ist bereits eine {meeting_title(owner)} angelegt.")
    meeting.moved_from, meeting.date, meeting.moved_at = day, new_day, now
    session.add(meeting)
    session.flush()
    entries = []
    for mandate in submitted(session, meeting):
        before, mandate.due_date = mandate.due_date, add_working_days(new_day, -rules.submission_days)
        note = (
            f"Sitzung vom {format_date(day)} auf den {format_date(new_day)} verlegt; "
            f"Vorlagefrist: {format_date(before) or '–'} → {format_date(mandate.due_date)}"
        )
        entries.append(record(session, mandate, "meeting", actor=actor, now=now, note=note, channel=channel))
    return meeting, entries


def cancel_meeting(
    session: Session,
    day: date,
    *,
    reason: str,
    actor: str,
    now: datetime,
    today: date,
    rules: Rules,
    body: str = CONFERENCE_KEY,
    channel: str = "CLI",
) -> tuple[Meeting, list[TransitionLog]]:
    """Cancel a future meeting with a reason; its submitted mandates go back to the concept stage (logged)."""
    meeting = get_meeting(session, day, body)
    _future(meeting, today, "abgesagt")
    reason = check_text((reason or "").strip(), "Der Grund", multiline=True)
    if not reason:
        raise InvalidInput("Eine Absage braucht einen Grund (--reason TEXT).")
    meeting.cancelled_at, meeting.cancel_reason = now, reason
    session.add(meeting)
    session.flush()
    entries = [
        # A submitted paper without its meeting goes back to preparation, as if the conference had referred it.
        advance(
            session,
            mandate.code,
            "refer_back",
            actor=actor,
            now=now,
            today=today,
            note=f"Sitzung am {format_date(day)} abgesagt: {reason}",
            rules=rules,
            channel=channel,
        )
        for mandate in submitted(session, meeting)
    ]
    return meeting, entries


def add_item(
    session: Session,
    day: date,
    title: str,
    *,
    now: datetime,
    body: str = CONFERENCE_KEY,
    public: bool = True,
    note: str | None = None,
    mandate: str | None = None,
) -> MeetingItem:
    """Put a free item (or a mandate, for a working group) on a future meeting's agenda."""
    meeting = get_meeting(session, day, body)
    _future(meeting, local_date(now), "geändert")
    title = _line(title, "Der Titel des Tagesordnungspunkts", 200)
    if not title:
        raise InvalidInput("Der Tagesordnungspunkt braucht einen Titel.")
    about = get_mandate(session, mandate) if mandate else None
    note = check_text(note.strip(), "Die Erläuterung", multiline=True) if note and note.strip() else None
    item = MeetingItem(
        meeting_id=meeting.id,
        title=title,
        public=public,
        note=note,
        mandate_id=about.id if about else None,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def items_of(session: Session, meeting: Meeting) -> list[MeetingItem]:
    """A meeting's free items in the order they were added."""
    return list(
        session.exec(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id).order_by(MeetingItem.id)).all()
    )
