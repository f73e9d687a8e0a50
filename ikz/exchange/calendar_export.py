"""Deadlines, recurring duties and meetings as an iCalendar file (RFC 5545) with stable UIDs, or a subscription."""

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from icalendar import Calendar, Event, vDuration
from sqlmodel import Session, select

from ikz.clock import local_date
from ikz.exchange import Export
from models import Body, CooperationField, Duty, Mandate, Meeting, TransitionLog
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
# How often a subscribed calendar should fetch again (RFC 7986 REFRESH-INTERVAL, Outlook's X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)


def deadline_uid(code: str, stage_seq: int) -> str:
    """One UID per mandate and stage: a moved deadline updates the event, a new stage is a new event."""
    return f"frist-{code}-stage{stage_seq}@{DOMAIN}"


def meeting_uid(body_key: str, day: date) -> str:
    """A body meets at most once a day, so body and date identify a meeting in every database."""
    return f"sitzung-{body_key}-{day.isoformat()}@{DOMAIN}"


def duty_uid(duty_key: str, day: date) -> str:
    """One UID per occurrence of a recurring duty."""
    return f"pflicht-{duty_key}-{day.isoformat()}@{DOMAIN}"


def build_calendar(
    session: Session, *, now: datetime, lead: str | None = None, link: Callable[[str], str] | None = None
) -> Calendar:
    """All deadlines of active mandates, upcoming duty occurrences and every meeting; lead restricts the deadlines.

    With `link` (mandate code → its portal page) it is a subscription: events link back to the mandate, the
    calendar says how often to refresh, and what went away stays as a cancelled event, so subscribed
    calendars drop it: the last deadline of a withdrawn mandate, a cancelled meeting, a moved meeting's old day.
    """
    body = get_body(session, lead) if lead else None
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # PUBLISH: DTSTAMP is then the export time (RFC 5545 3.8.7.2).
    calendar.add("method", "PUBLISH")
    name = f"IKZ Kreis Unna: Fristen{f' ({body.name})' if body else ''} und Sitzungen"
    calendar.add("x-wr-calname", name)
    if link:
        calendar.add("name", name)
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        # An X- property is text to the library: give it the duration's own form (PT1H).
        calendar.add("x-published-ttl", vDuration(REFRESH))
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
            event = _deadline(mandate, lead_names, fields, meetings.get(mandate.meeting_id), now)
            if link:
                event.add("url", link(mandate.code))
            calendar.add_component(event)
    if link:
        for event in _withdrawn(session, mandates, leads, body, now):
            event.add("url", link(str(event["x-ikz-mandate"])))
            calendar.add_component(event)
    for event in _duty_events(session, bodies, leads, body, now):
        if link:
            event.add("url", link(str(event["x-ikz-mandate"])))
        calendar.add_component(event)
    for meeting in meetings.values():
        agenda = [m for m in mandates if m.meeting_id == meeting.id]
        calendar.add_component(_meeting(meeting, bodies[meeting.body_id], agenda, now))
        if link and meeting.moved_from:
            calendar.add_component(_moved_away(meeting, bodies[meeting.body_id], now))
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
                event = _all_day(uid, occurrence.day, summary, description, ["IKZ", "Pflicht"], now)
                event.add("x-ikz-mandate", mandate.code)
                events.append(event)
    return sorted(events, key=lambda event: (event.decoded("dtstart"), str(event["uid"])))


def _meeting(meeting: Meeting, owner: Body, agenda: list[Mandate], now: datetime) -> Event:
    lines = [f"Gremium: {owner.name}"]
    if meeting.cancelled_at:
        lines.append(f"Abgesagt: {meeting.cancel_reason}")
    if agenda:
        lines += ["Tagesordnung:", *(f"- {m.code} {m.title} ({lifecycle.STATES[m.state]})" for m in agenda)]
    event = _all_day(
        meeting_uid(owner.key, meeting.date), meeting.date, meeting.title, "\n".join(lines), ["IKZ", "Sitzung"], now
    )
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.cancelled_at:
        # The same UID, cancelled: calendars that have the meeting remove or strike it (RFC 5545 3.8.1.11).
        event.add("status", "CANCELLED")
        event.add("sequence", 1)
    return event


def _moved_away(meeting: Meeting, owner: Body, now: datetime) -> Event:
    """The day a moved meeting no longer takes place, under that day's UID, cancelled."""
    event = _all_day(
        meeting_uid(owner.key, meeting.moved_from),
        meeting.moved_from,
        f"{meeting.title} (verlegt auf {format_date(meeting.date)})",
        f"Gremium: {owner.name}\nVerlegt auf den {format_date(meeting.date)}.",
        ["IKZ", "Sitzung"],
        now,
    )
    event.add("status", "CANCELLED")
    event.add("sequence", 1)
    return event


def _withdrawn(session: Session, mandates: list[Mandate], leads: dict, body: Body | None, now: datetime) -> list[Event]:
    """The last deadline of each withdrawn mandate, under that stage's UID, cancelled."""
    withdrawn = {m.id: m for m in mandates if m.state == "withdrawn" and (body is None or body.id in leads[m.id])}
    if not withdrawn:
        return []
    # The entry before the withdrawal holds the deadline that was in force (its snapshot's "due").
    steps = session.exec(
        select(TransitionLog.mandate_id, TransitionLog.seq)
        .where(TransitionLog.mandate_id.in_(withdrawn), TransitionLog.trigger == "withdraw")
        .order_by(TransitionLog.seq)
    ).all()
    last = dict(steps)
    before = session.exec(
        select(TransitionLog.mandate_id, TransitionLog.seq, TransitionLog.snapshot).where(
            TransitionLog.mandate_id.in_(last)
        )
    ).all()
    events = []
    for mandate_id, seq, snapshot in before:
        if seq != last[mandate_id] - 1:
            continue
        view = json.loads(snapshot)
        if not view.get("due") or view["state"] not in lifecycle.ACTIVE + ("on_hold",):
            continue
        mandate = withdrawn[mandate_id]
        event = _all_day(
            # The stage that was withdrawn from, and its deadline: the UID its event had.
            deadline_uid(mandate.code, view["stage"]),
            date.fromisoformat(view["due"]),
            f"Frist: {mandate.code} {mandate.title} (zurückgezogen)",
            f"Mandat {mandate.code} {mandate.title}\nZustand: {lifecycle.STATES[mandate.state]}",
            ["IKZ", "Frist"],
            now,
        )
        event.add("status", "CANCELLED")
        event.add("last-modified", mandate.updated_at)
        event.add("sequence", mandate.version)
        event.add("x-ikz-mandate", mandate.code)
        events.append(event)
    return sorted(events, key=lambda event: str(event["uid"]))
