"""Deadlines, recurring duties and meetings as an iCalendar file (RFC 5545) with stable UIDs."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from icalendar import Calendar, Event
from sqlmodel import Session, select

from ikz.clock import local_date
from ikz.exchange import Export
from models import Body, CooperationField, Duty, Mandate, Meeting
from workflow import lifecycle
from workflow.codes import code_key
from workflow.duties import between
from workflow.lookup import get_body
from workflow.people import lead_bodies
from workflow.text import format_date, plural

DOMAIN = "ikz.kreis-unna.example"
PRODID = "-//Kreis Unna//ikz Interkommunale Zusammenarbeit//DE"
# Recurring duties have no end: list their occurrences this far ahead.
DUTY_HORIZON = relativedelta(months=12)


def deadline_uid(code: str, stage_seq: int) -> str:
    """One UID per mandate and stage: a moved deadline updates the event, a new stage is a new event."""
    return f"frist-{code}-stage{stage_seq}@{DOMAIN}"


def meeting_uid(body_key: str, day: date) -> str:
    """A body meets at most once a day, so body and date identify a meeting in every database."""
    return f"sitzung-{body_key}-{day.isoformat()}@{DOMAIN}"


def duty_uid(duty_key: str, day: date) -> str:
    """One UID per occurrence of a recurring duty."""
    return f"pflicht-{duty_key}-{day.isoformat()}@{DOMAIN}"


def build_calendar(session: Session, *, now: datetime, lead: str | None = None) -> Calendar:
    """All deadlines of active mandates, upcoming duty occurrences and every meeting; lead restricts the deadlines."""
    body = get_body(session, lead) if lead else None
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # PUBLISH: DTSTAMP is then the export time (RFC 5545 3.8.7.2).
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"IKZ Kreis Unna: Fristen{f' ({body.name})' if body else ''} und Sitzungen")
    bodies = {b.id: b for b in session.exec(select(Body)).all()}
    leads = defaultdict(
        list, {m: [b.id for b in found] for m, found in lead_bodies(session, select(Mandate.id)).items()}
    )
    meetings = {m.id: m for m in session.exec(select(Meeting).order_by(Meeting.date, Meeting.id)).all()}
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    mandates = sorted(session.exec(select(Mandate)).all(), key=lambda m: code_key(m.code))
    for mandate in mandates:
        if mandate.state in lifecycle.ACTIVE and mandate.due_date and (body is None or body.id in leads[mandate.id]):
            lead_names = ", ".join(sorted(bodies[i].name for i in leads[mandate.id]))
            calendar.add_component(_deadline(mandate, lead_names, fields, meetings.get(mandate.meeting_id), now))
    for event in _duty_events(session, bodies, leads, body, now):
        calendar.add_component(event)
    for meeting in meetings.values():
        agenda = [m for m in mandates if m.meeting_id == meeting.id]
        calendar.add_component(_meeting(meeting, bodies[meeting.body_id], agenda, now))
    return calendar


def export_ics(session: Session, *, now: datetime, lead: str | None = None) -> Export:
    """Render the calendar as text with CRLF line ends."""
    calendar = build_calendar(session, now=now, lead=lead)
    kinds = defaultdict(int)
    for event in calendar.walk("VEVENT"):
        kinds[str(event["uid"]).split("-", 1)[0]] += 1
    summary = (
        f"Kalender mit {plural(kinds['frist'], 'Frist', 'Fristen')}, "
        f"{plural(kinds['pflicht'], 'Pflichttermin', 'Pflichtterminen')} "
        f"und {plural(kinds['sitzung'], 'Sitzung', 'Sitzungen')}"
    )
    return Export(calendar.to_ical().decode("utf-8"), summary)


def _all_day(uid: str, day: date, summary: str, description: str, categories: list[str], now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("categories", categories)
    # A deadline is a marker, not an appointment: it must not block the day in free/busy.
    event.add("transp", "TRANSPARENT")
    return event


def _deadline(mandate: Mandate, lead_names: str, fields: dict, meeting: Meeting | None, now: datetime) -> Event:
    state = lifecycle.STATES[mandate.state]
    lines = [
        f"Mandat {mandate.code} {mandate.title}",
        f"Zustand: {state}",
        f"Federführung: {lead_names}",
        f"Feld: {mandate.field_number} {fields.get(mandate.field_number, '')}".rstrip(),
    ]
    if meeting:
        lines.append(f"Sitzung: {format_date(meeting.date)} ({meeting.title})")
    event = _all_day(
        deadline_uid(mandate.code, mandate.stage_seq),
        mandate.due_date,
        f"Frist: {mandate.code} {mandate.title} ({state})",
        "\n".join(lines),
        ["IKZ", "Frist"],
        now,
    )
    event.add("last-modified", mandate.updated_at)
    # The row version grows with every change, so calendars take a re-import as an update.
    event.add("sequence", mandate.version)
    return event


def _duty_events(
    session: Session, bodies: dict[int, Body], leads: dict, body: Body | None, now: datetime
) -> list[Event]:
    """Occurrences of recurring duties from today to the horizon, each naming whose turn it is."""
    today = local_date(now)
    by_key = {b.key: b for b in bodies.values()}
    events = []
    duties = session.exec(
        select(Duty, Mandate)
        .join(Mandate, Mandate.id == Duty.mandate_id)
        .where(Mandate.state.in_(lifecycle.ACTIVE))
        .order_by(Duty.key)
    ).all()
    for duty, mandate in duties:
        rotation = [by_key[key] for key in duty.rotation.split(",")]
        description = (
            f"Mandat {mandate.code} {mandate.title}\n"
            f"Alle {duty.every_months} Monate, reihum: {', '.join(b.name for b in rotation)}"
        )
        for occurrence in between(duty, today, today + DUTY_HORIZON):
            turn = by_key[occurrence.body_key]
            if body is None or body.id == turn.id or body.id in leads[mandate.id]:
                summary = f"Pflicht: {duty.title} ({turn.name} ist an der Reihe)"
                uid = duty_uid(duty.key, occurrence.day)
                events.append(_all_day(uid, occurrence.day, summary, description, ["IKZ", "Pflicht"], now))
    return sorted(events, key=lambda event: (event.decoded("dtstart"), str(event["uid"])))


def _meeting(meeting: Meeting, owner: Body, agenda: list[Mandate], now: datetime) -> Event:
    lines = [f"Gremium: {owner.name}"]
    if agenda:
        lines += ["Tagesordnung:", *(f"- {m.code} {m.title} ({lifecycle.STATES[m.state]})" for m in agenda)]
    return _all_day(
        meeting_uid(owner.key, meeting.date), meeting.date, meeting.title, "\n".join(lines), ["IKZ", "Sitzung"], now
    )
