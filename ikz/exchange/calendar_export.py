"""Deadlines, recurring duties and meetings as an iCalendar file (RFC 5545) with stable UIDs, or a subscription."""

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from icalendar import Calendar, Event, vDuration
from sqlmodel import Session, select

from ikz.clock import local_date
from ikz.exchange.streaming import BATCH, Write
from models import Body, CooperationField, Duty, Mandate, MandateLead, Meeting, TransitionLog
from workflow import lifecycle
from workflow.codes import code_order
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
    calendar, events = _calendar(session, now=now, lead=lead, fast=False, link=link)
    for _kind, event in events:
        calendar.add_component(event)
    return calendar


def write_ics(session: Session, write: Write, *, now: datetime, lead: str | None = None) -> str:
    """Write the calendar (CRLF line ends) event by event as it is read; return a German summary."""
    calendar, events = _calendar(session, now=now, lead=lead, fast=True)
    # The calendar's own lines, then each event as build_calendar(…).to_ical() would place it, then its end.
    head = calendar.to_ical().decode("utf-8")
    end = "END:VCALENDAR\r\n"
    write(head[: -len(end)])
    kinds = defaultdict(int)
    for kind, event in events:
        kinds[kind] += 1
        write(event if isinstance(event, str) else event.to_ical().decode("utf-8"))
    write(end)
    return (
        f"Kalender mit {plural(kinds['frist'], 'Frist', 'Fristen')}, "
        f"{plural(kinds['pflicht'], 'Pflichttermin', 'Pflichtterminen')} "
        f"und {plural(kinds['sitzung'], 'Sitzung', 'Sitzungen')}"
    )


def _calendar(
    session: Session, *, now: datetime, lead: str | None, fast: bool, link: Callable[[str], str] | None = None
) -> tuple[Calendar, Iterator]:
    """The calendar without events, and its (kind, event) in order, built as taken (in batches of mandates).

    `fast`: deadlines come as their iCalendar text (written directly, see _deadline_text), not as Event objects.
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
    return calendar, _events(session, body, now, fast, link)


def _events(
    session: Session, body: Body | None, now: datetime, fast: bool, link: Callable[[str], str] | None
) -> Iterator[tuple[str, Event | str]]:
    bodies = {b.id: b for b in session.exec(select(Body)).all()}
    meetings = {m.id: m for m in session.exec(select(Meeting).order_by(Meeting.date, Meeting.id)).all()}
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    order = code_order(Mandate.code, session.get_bind().dialect.name)
    due = select(Mandate).where(Mandate.state.in_(lifecycle.ACTIVE), Mandate.due_date.is_not(None))
    if body is not None:
        due = due.where(Mandate.id.in_(select(MandateLead.mandate_id).where(MandateLead.body_id == body.id)))
    for batch in session.execute(due.order_by(*order).execution_options(yield_per=BATCH)).scalars().partitions():
        leads = lead_bodies(session, [m.id for m in batch])
        for mandate in batch:
            lead_names = ", ".join(sorted(b.name for b in leads[mandate.id]))
            build = _deadline_text if fast and mandate.updated_at.utcoffset() is not None else _deadline
            event = build(mandate, lead_names, fields, meetings.get(mandate.meeting_id), now)
            if link:
                event.add("url", link(mandate.code))
            yield "frist", event
    if link:
        for event in _withdrawn(session, body, now, link):
            yield "frist", event
    all_leads = None
    if body is not None:
        # Duties of mandates the body leads count for it too (as before: its own turn or its mandate).
        all_leads = defaultdict(list)
        for mandate_id, body_id in session.exec(
            select(MandateLead.mandate_id, MandateLead.body_id).where(MandateLead.body_id == body.id)
        ).all():
            all_leads[mandate_id].append(body_id)
    for event in _duty_events(session, bodies, all_leads or defaultdict(list), body, now, link):
        yield "pflicht", event
    agendas = defaultdict(list)
    for mandate in session.exec(select(Mandate).where(Mandate.meeting_id.is_not(None)).order_by(*order)).all():
        agendas[mandate.meeting_id].append(mandate)
    for meeting in meetings.values():
        yield "sitzung", _meeting(meeting, bodies[meeting.body_id], agendas[meeting.id], now)
        if link and meeting.moved_from:
            yield "sitzung", _moved_away(meeting, bodies[meeting.body_id], now)


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


def _deadline_lines(mandate: Mandate, state: str, lead_names: str, fields: dict, meeting: Meeting | None) -> list[str]:
    """The description of a deadline's event, line by line."""
    lines = [
        f"Mandat {mandate.code} {mandate.title}",
        f"Zustand: {state}",
        f"Federführung: {lead_names}",
        f"Feld: {mandate.field_number} {fields.get(mandate.field_number, '')}".rstrip(),
    ]
    if meeting:
        lines.append(f"Sitzung: {format_date(meeting.date)} ({meeting.title})")
    return lines


def _deadline(mandate: Mandate, lead_names: str, fields: dict, meeting: Meeting | None, now: datetime) -> Event:
    state = lifecycle.STATES[mandate.state]
    lines = _deadline_lines(mandate, state, lead_names, fields, meeting)
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


def _deadline_text(mandate: Mandate, lead_names: str, fields: dict, meeting: Meeting | None, now: datetime) -> str:
    """What _deadline(…).to_ical() gives, written directly: icalendar takes ~300 µs an event, 80k deadlines 25 s."""
    state = lifecycle.STATES[mandate.state]
    lines = _deadline_lines(mandate, state, lead_names, fields, meeting)
    day = mandate.due_date
    # In icalendar's order of properties (RFC 5545 leaves it free); DTSTAMP and LAST-MODIFIED in UTC, as it writes them.
    properties = [
        f"SUMMARY:{_text(f'Frist: {mandate.code} {mandate.title} ({state})')}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        f"DTSTAMP:{_utc(now)}",
        f"UID:{_text(deadline_uid(mandate.code, mandate.stage_seq))}",
        f"SEQUENCE:{mandate.version}",
        "CATEGORIES:IKZ,Frist",
        f"DESCRIPTION:{_text(chr(10).join(lines))}",
        f"LAST-MODIFIED:{_utc(mandate.updated_at)}",
        "TRANSP:TRANSPARENT",
    ]
    return "BEGIN:VEVENT\r\n" + "".join(_fold(line) + "\r\n" for line in properties) + "END:VEVENT\r\n"


def _text(value: str) -> str:
    """An iCalendar TEXT value, escaped in icalendar's order (RFC 5545 3.3.11)."""
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str, limit: int = 75) -> str:
    """Fold a content line as icalendar does: below `limit` octets a line, never between a backslash and its escape."""
    if len(line) < limit and line.isascii():
        return line
    folded, current, count = [], [], 0
    for char in line:
        size = len(char.encode("utf-8"))
        if current and count + size >= limit:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current, count = [carried], len(carried.encode("utf-8"))
            else:
                folded.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    folded.append("".join(current))
    return "\r\n ".join(folded)


def _duty_events(
    session: Session,
    bodies: dict[int, Body],
    leads: dict,
    body: Body | None,
    now: datetime,
    link: Callable[[str], str] | None = None,
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
                if link:
                    event.add("url", link(mandate.code))
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


def _withdrawn(session: Session, body: Body | None, now: datetime, link: Callable[[str], str]) -> list[Event]:
    """The last deadline of each withdrawn mandate (of the body's, with one), under that stage's UID, cancelled."""
    query = select(Mandate).where(Mandate.state == "withdrawn")
    if body is not None:
        query = query.where(Mandate.id.in_(select(MandateLead.mandate_id).where(MandateLead.body_id == body.id)))
    withdrawn = {m.id: m for m in session.exec(query).all()}
    if not withdrawn:
        return []
    # The entry before the withdrawal holds the deadline that was in force (its snapshot's "due").
    last = dict(
        session.exec(
            select(TransitionLog.mandate_id, TransitionLog.seq)
            .where(TransitionLog.mandate_id.in_(withdrawn), TransitionLog.trigger == "withdraw")
            .order_by(TransitionLog.seq)
        ).all()
    )
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
        event.add("url", link(mandate.code))
        events.append(event)
    return sorted(events, key=lambda event: str(event["uid"]))
