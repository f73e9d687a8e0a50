"""The monthly status digest (Monatsbericht): its figures as of the first working day, rendered in German."""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlmodel import Session, select

from ikz.clock import BERLIN, local_date
from ikz.settings import Settings
from models import Body, CooperationField, Dependency, Mandate, Meeting, OutboxMessage, TransitionLog
from notifications.rendering import render_pair
from workflow import lifecycle
from workflow.board import is_overdue
from workflow.codes import code_key
from workflow.controlling import LIGHTS, PROGRAMME_GOAL, controlling_report, share
from workflow.lookup import CONFERENCE_KEY
from workflow.people import lead_bodies
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


def digest_data(session: Session, month: date, *, settings: Settings) -> dict:
    """Collect the digest's figures: current states, with every date measured against the as-of day."""
    month = month.replace(day=1)
    moment = as_of(month)
    today = moment.date()
    previous = (month - timedelta(days=1)).replace(day=1)
    horizon = today + timedelta(days=LOOKAHEAD_DAYS)
    mandates = sorted(session.exec(select(Mandate)).all(), key=lambda m: code_key(m.code))
    leads = _lead_names(session)

    def item(mandate: Mandate, **more) -> dict:
        return {
            "code": mandate.code,
            "title": mandate.title,
            "state": mandate.state,
            "state_label": lifecycle.STATES[mandate.state],
            "leads": leads[mandate.id],
            **more,
        }

    dated = [m for m in mandates if m.state in lifecycle.ACTIVE and m.due_date is not None]
    return {
        "month": month,
        "month_label": month_label(month),
        "previous_label": month_label(previous),
        "as_of": moment,
        "as_of_date": today,
        "horizon": horizon,
        "coordinator": {"name": settings.coordinator.name, "email": settings.coordinator.email},
        "status": _status(session, mandates),
        "transitions": _transitions(session, previous, month, {m.id: m for m in mandates}),
        "overdue": [
            item(m, due_date=m.due_date, days=(today - m.due_date).days) for m in dated if is_overdue(m, today)
        ],
        "deadlines": [
            item(m, due_date=m.due_date, days=(m.due_date - today).days)
            for m in dated
            if today <= m.due_date <= horizon
        ],
        "on_hold": [_held(m, today, item) for m in mandates if m.state == "on_hold"],
        "savings": _savings(session, mandates, item),
        "blocked": _blocked(session, mandates, item),
        "failed": _failed(session),
        "conference": _conference(session, today, mandates, item),
    }


def _lead_names(session: Session) -> dict[int, list[str]]:
    leads = lead_bodies(session, select(Mandate.id))
    return defaultdict(list, {mandate_id: [body.name for body in bodies] for mandate_id, bodies in leads.items()})


def _status(session: Session, mandates: list[Mandate]) -> dict:
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


def _transitions(session: Session, start: date, end: date, mandates: dict[int, Mandate]) -> list[dict]:
    """The logged steps in the calendar month [start, end), Berlin time, without catalogue imports."""
    entries = session.exec(
        select(TransitionLog)
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
                "to_label": lifecycle.STATES[entry.to_state],
                "actor": entry.actor,
                "note": entry.note,
            }
        )
    # Stable sort: per mandate, the steps stay in the order they happened.
    rows.sort(key=lambda row: code_key(row["code"]))
    return rows


def _held(mandate: Mandate, today: date, item) -> dict:
    since = local_date(mandate.held_since) if mandate.held_since else None
    return item(
        mandate,
        held_label=lifecycle.STATES[mandate.held_state] if mandate.held_state else "–",
        reason=mandate.hold_reason or "",
        since=since,
        days=(today - since).days if since else None,
    )


def _savings(session: Session, mandates: list[Mandate], item) -> dict:
    """Targets against the programme goal, with realised savings and a traffic light per mandate."""
    report = controlling_report(session)
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


def _blocked(session: Session, mandates: list[Mandate], item) -> list[dict]:
    """Open mandates waiting for a decision that has not been taken yet, and what they wait for."""
    by_id = {m.id: m for m in mandates}
    waits: dict[int, list[Mandate]] = defaultdict(list)
    for mandate_id, depends_on_id in session.exec(select(Dependency.mandate_id, Dependency.depends_on_id)).all():
        waits[mandate_id].append(by_id[depends_on_id])
    rows = []
    for mandate in mandates:
        if mandate.state in lifecycle.FINAL:
            continue
        open_ = sorted(
            (m for m in waits[mandate.id] if m.state not in lifecycle.DECIDED), key=lambda m: code_key(m.code)
        )
        if open_:
            rows.append(
                item(
                    mandate,
                    waits_for=[
                        {"code": m.code, "title": m.title, "state_label": lifecycle.STATES[m.state]} for m in open_
                    ],
                )
            )
    return rows


def _failed(session: Session) -> list[dict]:
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    return [
        {
            "date": local_date(row.created_at),
            "kind": row.kind,
            "recipient": row.recipient,
            "subject": row.subject,
            "attempts": row.attempts,
            "error": row.last_error or "",
        }
        for row in rows
    ]


def _conference(session: Session, today: date, mandates: list[Mandate], item) -> dict:
    meeting = session.exec(
        select(Meeting)
        .join(Body, Body.id == Meeting.body_id)
        .where(Body.key == CONFERENCE_KEY, Meeting.date >= today)
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


def render_digest(data: dict, *, unsubscribe: str = "#abbestellen") -> tuple[str, str, str]:
    """Render the digest as (subject, text, html) in German; `unsubscribe` is the opt-out link (or a marker
    that the outbox fills in per recipient)."""
    subject = f"IKZ-Monatsbericht {data['month_label']}"
    share = format_decimal(data["savings"]["share"], format="#,##0.0", locale=LOCALE)
    realised_share = format_decimal(data["savings"]["realised_share"], format="#,##0.0", locale=LOCALE)
    text, html = render_pair(
        "digest", subject=subject, share=share, realised_share=realised_share, unsubscribe=unsubscribe, **data
    )
    return subject, text, html
