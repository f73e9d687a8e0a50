"""The monthly digest (Monatsbericht): its figures as they stood on the first working day, rendered in German."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import or_
from sqlmodel import Session, select

from ikz.clock import BERLIN, local_date
from ikz.settings import Settings
from models import Body, CooperationField, Meeting, OutboxMessage, TransitionLog
from notifications import links
from notifications.outbox import is_unreported
from notifications.rendering import render_pair
from workflow import lifecycle
from workflow.board import deadline_missing, is_backdated, overdue_on
from workflow.codes import code_key
from workflow.controlling import LIGHTS, PROGRAMME_GOAL, report_from, share
from workflow.history import views_at
from workflow.lookup import CONFERENCE_KEY
from workflow.text import LOCALE
from workflow.workdays import first_working_day

LOOKAHEAD_DAYS = 60
SEND_TIME = time(7)


def as_of(month: date) -> datetime:
    """The moment a month's digest describes: its first working day at 07:00 in Berlin."""
    return datetime.combine(first_working_day(month.year, month.month), SEND_TIME, BERLIN)


def month_label(month: date) -> str:
    """Name a month in German, e.g. März 2011."""
    return format_date(month, "LLLL yyyy", locale=LOCALE)


@dataclass(frozen=True, slots=True)
class MandateAt:
    """A mandate as it stood at the digest's moment, rebuilt from its history."""

    id: int
    code: str
    title: str
    field_number: int
    state: str
    held_state: str | None
    hold_reason: str | None
    held_since: datetime | None
    due_date: date | None
    meeting_id: int | None
    target: int | None
    savings: dict
    leads: tuple[str, ...]
    depends_on: tuple[str, ...]

    @classmethod
    def from_view(cls, mandate_id: int, view: dict) -> "MandateAt":
        """Turn an entry's snapshot into a mandate at that moment."""
        return cls(
            id=mandate_id,
            code=view["code"],
            title=view["title"],
            field_number=view["field"],
            state=view["state"],
            held_state=view["held_state"],
            hold_reason=view["hold_reason"],
            held_since=datetime.fromisoformat(view["held_since"]) if view["held_since"] else None,
            due_date=date.fromisoformat(view["due"]) if view["due"] else None,
            meeting_id=view["meeting"]["id"] if view["meeting"] else None,
            target=view["target"],
            savings=view["savings"],
            leads=tuple(view["leads"]),
            depends_on=tuple(view["depends_on"]),
        )


# The lists a digest may cut short (each then ends in "und N weitere" and where to find the rest).
LISTS = (
    "transitions",
    "late_decisions",
    "overdue",
    "without_deadline",
    "deadlines",
    "on_hold",
    "savings",
    "blocked",
    "agenda",
    "preparing",
    "failed",
    "own",
)


def digest_data(
    session: Session, month: date, *, settings: Settings, keep_mandates: bool = False, personal: bool = False
) -> dict:
    """Collect the digest's figures as they stood at its moment, rebuilt from the history (the same in any month).

    `keep_mandates` keeps every mandate as it stood (under "mandates"), for the leads' own digests; `personal`
    leaves room in the portal links for each recipient's access (only for mailing: the outbox fills it in).
    """
    month = month.replace(day=1)
    moment = as_of(month)
    today = moment.date()
    previous = (month - timedelta(days=1)).replace(day=1)
    horizon = today + timedelta(days=LOOKAHEAD_DAYS)
    mandates = sorted(
        (MandateAt.from_view(mandate_id, view) for mandate_id, view in views_at(session, moment)),
        key=lambda m: code_key(m.code),
    )
    names = dict(session.exec(select(Body.key, Body.name)).all())

    def item(mandate: MandateAt, **more) -> dict:
        return {
            "code": mandate.code,
            "title": mandate.title,
            "state": mandate.state,
            "state_label": lifecycle.STATES[mandate.state],
            "leads": [names.get(key, key) for key in mandate.leads],
            **more,
        }

    dated = [m for m in mandates if m.state in lifecycle.ACTIVE and m.due_date is not None]
    transitions = _transitions(session, previous, month, {m.id: m for m in mandates})
    data = {
        "month": month,
        "month_label": month_label(month),
        "previous_label": month_label(previous),
        "as_of": moment,
        "as_of_date": today,
        "horizon": horizon,
        "coordinator": {"name": settings.coordinator.name, "email": settings.coordinator.email},
        "status": _status(session, mandates),
        "transitions": transitions,
        # A body joining or leaving after the conference decided: the participants changed without a meeting.
        "late_decisions": [t for t in transitions if t["trigger"] == "decision" and t["to_state"] in lifecycle.DECIDED],
        "overdue": [
            item(m, due_date=m.due_date, days=(today - m.due_date).days)
            for m in dated
            if overdue_on(m.state, m.due_date, today)
        ],
        "without_deadline": [item(m) for m in mandates if deadline_missing(m.state, m.due_date)],
        "deadlines": [
            item(m, due_date=m.due_date, days=(m.due_date - today).days)
            for m in dated
            if today <= m.due_date <= horizon
        ],
        "on_hold": [_held(m, today, item) for m in mandates if m.state == "on_hold"],
        "savings": _savings(mandates, item),
        "blocked": _blocked(mandates, item),
        "failed": _failed(session, settings, moment),
        "conference": _conference(session, moment, mandates, item),
        "portal": {
            "board": links.board_page(settings, personal=personal),
            "overdue": links.overdue_page(settings, personal=personal),
            "personal": personal,
        },
        # Nothing left out: capped() fills in what a list lost.
        "more": dict.fromkeys(LISTS),
    }
    if keep_mandates:
        data["mandates"] = {m.id: m for m in mandates}
        data["names"] = names
    return data


def capped(data: dict, limit: int) -> dict:
    """The digest with every list cut to `limit` entries; `more` says for each how many were left out and where."""
    more = dict(data["more"])
    portal = data["portal"]

    def cut(key: str, rows: list, link: str | None) -> list:
        if len(rows) <= limit:
            return rows
        more[key] = {"count": len(rows) - limit, "link": link}
        return rows[:limit]

    lists = {
        key: cut(key, data[key], portal["overdue"] if key == "overdue" else portal["board"])
        for key in ("transitions", "late_decisions", "overdue", "without_deadline", "deadlines", "on_hold", "blocked")
    }
    # A failure notice that failed itself is told only here: it comes first, so no cut can hide it.
    failed = sorted(data["failed"], key=lambda row: not row["unreported"])
    conference = data["conference"]
    return {
        **data,
        **lists,
        "savings": {**data["savings"], "mandates": cut("savings", data["savings"]["mandates"], portal["board"])},
        "conference": {
            **conference,
            "agenda": cut("agenda", conference["agenda"], portal["board"]),
            "preparing": cut("preparing", conference["preparing"], portal["board"]),
        },
        # The outbox is not in the portal: the rest is shown by the CLI.
        "failed": cut("failed", failed, None),
        "more": more,
    }


def _status(session: Session, mandates: list[MandateAt]) -> dict:
    per_field = defaultdict(Counter)
    for mandate in mandates:
        per_field[mandate.field_number][mandate.state] += 1
    totals = Counter(m.state for m in mandates)
    fields = session.exec(select(CooperationField).order_by(CooperationField.number)).all()
    return {
        # Only states that occur get a column; ten mostly empty columns would hide the figures.
        "columns": [{"state": s, "label": label} for s, label in lifecycle.STATES.items() if totals[s]],
        "fields": [
            {
                "number": f.number,
                "name": f.name,
                "counts": {s: per_field[f.number][s] for s in lifecycle.STATES if per_field[f.number][s]},
                "total": sum(per_field[f.number].values()),
            }
            for f in fields
        ],
        "totals": {s: totals[s] for s in lifecycle.STATES if totals[s]},
        "total": len(mandates),
    }


def _transitions(session: Session, start: date, end: date, mandates: dict[int, MandateAt]) -> list[dict]:
    """The logged steps in the calendar month [start, end), Berlin time, without catalogue imports."""
    # The columns shown, not the entries: each carries a snapshot of its mandate, the bulk of a large history.
    entries = session.exec(
        select(
            TransitionLog.mandate_id,
            TransitionLog.at,
            TransitionLog.recorded_at,
            TransitionLog.trigger,
            TransitionLog.from_state,
            TransitionLog.to_state,
            TransitionLog.actor,
            TransitionLog.note,
        )
        .where(
            TransitionLog.at >= datetime.combine(start, time(), BERLIN),
            TransitionLog.at < datetime.combine(end, time(), BERLIN),
            TransitionLog.trigger != "import",
        )
        .order_by(TransitionLog.at, TransitionLog.id)
    ).all()
    rows = []
    for entry in entries:
        mandate = mandates[entry.mandate_id]
        rows.append(
            {
                "code": mandate.code,
                "title": mandate.title,
                "date": local_date(entry.at),
                "at": entry.at,
                "trigger": entry.trigger,
                "from_label": lifecycle.STATES[entry.from_state] if entry.from_state else "–",
                "to_state": entry.to_state,
                "to_label": lifecycle.STATES[entry.to_state],
                "actor": entry.actor,
                "note": entry.note,
                # Booked on a later day than it took effect: the history says so wherever it is shown.
                "recorded": local_date(entry.recorded_at) if is_backdated(entry) else None,
            }
        )
    # Stable sort: per mandate, the steps stay in the order they happened.
    rows.sort(key=lambda row: code_key(row["code"]))
    return rows


def _held(mandate: MandateAt, today: date, item) -> dict:
    since = local_date(mandate.held_since) if mandate.held_since else None
    return item(
        mandate,
        held_label=lifecycle.STATES[mandate.held_state] if mandate.held_state else "–",
        reason=mandate.hold_reason or "",
        since=since,
        days=(today - since).days if since else None,
    )


def _savings(mandates: list[MandateAt], item) -> dict:
    """Targets against the programme goal, with realised savings and a traffic light per mandate."""
    report = report_from(
        {"code": m.code, "title": m.title, "state": m.state, "target": m.target, "savings": m.savings} for m in mandates
    )
    by_code = {m.code: m for m in mandates}
    rows = [
        item(
            by_code[r["code"]],
            target=r["savings_target"],
            realised=r["realised"],
            year=r["latest_year"],
            light=r["light"],
            light_label=r["light_label"],
        )
        for r in report["mandates"]
        if r["savings_target"] is not None
    ]
    return {
        "total": report["target_total"],
        "goal": PROGRAMME_GOAL,
        "share": report["target_share"],
        "realised_total": report["realised_total"],
        "realised_share": share(report["realised_total"], PROGRAMME_GOAL),
        "lights": {LIGHTS[key]: count for key, count in report["lights"].items()},
        "mandates": rows,
    }


def _blocked(mandates: list[MandateAt], item) -> list[dict]:
    """Open mandates waiting for a decision that has not been taken yet, and what they wait for."""
    by_code = {m.code: m for m in mandates}
    rows = []
    for mandate in mandates:
        if mandate.state in lifecycle.FINAL:
            continue
        open_ = sorted(
            (by_code[c] for c in mandate.depends_on if c in by_code and by_code[c].state not in lifecycle.DECIDED),
            key=lambda m: code_key(m.code),
        )
        if open_:
            waits_for = [{"code": m.code, "title": m.title, "state_label": lifecycle.STATES[m.state]} for m in open_]
            rows.append(item(mandate, waits_for=waits_for))
    return rows


def _failed(session: Session, settings: Settings, moment: datetime) -> list[dict]:
    """Messages that had failed for good by `moment` and were not delivered by then (a later retry may have).

    `unreported` marks a failure notice that failed itself, of which nobody else tells.
    """
    rows = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.failed_at.is_not(None),
            OutboxMessage.failed_at <= moment,
            or_(OutboxMessage.sent_at.is_(None), OutboxMessage.sent_at > moment),
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    return [
        {
            "id": row.id,
            "date": local_date(row.created_at),
            "kind": row.kind,
            "recipient": row.recipient,
            "subject": row.subject,
            "attempts": row.attempts,
            # Errors stored before the password was masked in every encoding are masked here, too.
            "error": settings.redact(row.last_error or ""),
            "unreported": is_unreported(row),
        }
        for row in rows
    ]


def _conference(session: Session, moment: datetime, mandates: list[MandateAt], item) -> dict:
    meeting = session.exec(
        select(Meeting)
        .join(Body, Body.id == Meeting.body_id)
        .where(Body.key == CONFERENCE_KEY, Meeting.date >= local_date(moment), Meeting.created_at <= moment)
        .order_by(Meeting.date)
    ).first()
    agenda = []
    if meeting is not None:
        agenda = [item(m) for m in mandates if m.meeting_id == meeting.id and m.state in ("present", "decide")]
    return {
        "meeting": {"date": meeting.date, "title": meeting.title} if meeting else None,
        "agenda": agenda,
        "preparing": [item(m) for m in mandates if m.state == "propose"],
    }


# The opt-out link of a digest that is shown or kept, not mailed: each mailed copy carries its own.
NO_UNSUBSCRIBE = "#abbestellen"


def render_digest(data: dict, *, unsubscribe: str = NO_UNSUBSCRIBE, limit: int | None = None) -> tuple[str, str, str]:
    """Render the programme's digest as (subject, text, html) in German, each list cut to `limit` entries.

    `unsubscribe` is the opt-out link (or a marker that the outbox fills in per recipient).
    """
    if limit is not None:
        data = capped(data, limit)
    subject = f"IKZ-Monatsbericht {data['month_label']}"
    text, html = render_pair("digest", subject=subject, unsubscribe=unsubscribe, **_shares(data), **data)
    return subject, text, html


def _shares(data: dict) -> dict:
    return {
        key: format_decimal(data["savings"][field], format="#,##0.0", locale=LOCALE)
        for key, field in (("share", "share"), ("realised_share", "realised_share"))
    }


@dataclass(frozen=True)
class Lead:
    """Whom a lead's digest is for: the bodies it answers for and the open mandates it leads (by id)."""

    bodies: tuple[str, ...]
    mandate_ids: tuple[int, ...]


def own_rows(data: dict, lead: Lead, settings: Settings) -> list[dict]:
    """A lead's open mandates as they stood at the digest's moment, the most pressing first."""
    today = data["as_of_date"]
    names = data["names"]
    rows = []
    for mandate_id in lead.mandate_ids:
        mandate = data["mandates"].get(mandate_id)
        if mandate is None or mandate.state not in (*lifecycle.ACTIVE, "on_hold"):
            continue  # closed since, or not yet begun at the digest's moment
        overdue = mandate.due_date is not None and overdue_on(mandate.state, mandate.due_date, today)
        since = local_date(mandate.held_since) if mandate.state == "on_hold" and mandate.held_since else None
        rows.append(
            {
                "code": mandate.code,
                "title": mandate.title,
                "state_label": lifecycle.STATES[mandate.state],
                "leads": [names.get(key, key) for key in mandate.leads],
                "due_date": mandate.due_date if mandate.state != "on_hold" else None,
                "overdue": overdue,
                "days": abs((today - mandate.due_date).days) if mandate.due_date else None,
                "held_label": lifecycle.STATES[mandate.held_state] if mandate.held_state else "–",
                "since": since,
                "reason": mandate.hold_reason or "",
                "link": links.mandate_page(
                    settings, mandate.code, recipient="lead" if data["portal"]["personal"] else None
                ),
            }
        )
    rows.sort(
        key=lambda row: (
            not row["overdue"],
            row["due_date"] is None,
            row["due_date"] or today,
            code_key(row["code"]),
        )
    )
    return rows


def render_lead_digest(
    data: dict, lead: Lead, *, settings: Settings, unsubscribe: str = NO_UNSUBSCRIBE
) -> tuple[str, str, str]:
    """Render a lead's digest: its own open mandates in full (up to digest.max_own_items), then the programme."""
    rows = own_rows(data, lead, settings)
    own_limit = settings.digest.max_own_items
    overdue = sum(row["overdue"] for row in rows)
    more = None
    if len(rows) > own_limit:
        more = {"count": len(rows) - own_limit, "link": data["portal"]["board"]}
        rows = rows[:own_limit]
    subject = f"IKZ-Monatsbericht {data['month_label']}"
    text, html = render_pair(
        "digest_lead",
        subject=subject,
        unsubscribe=unsubscribe,
        own=rows,
        own_more=more,
        own_total=len(rows) + (more["count"] if more else 0),
        own_overdue=overdue,
        bodies=list(lead.bodies),
        overdue_total=len(data["overdue"]),
        **_shares(data),
        **{key: value for key, value in data.items() if key not in ("mandates", "names")},
    )
    return subject, text, html
