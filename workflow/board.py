"""Read-side views of mandates for the CLI, the portal and JSON output (one shape, documented in docs/json.md).

Without `as_of` they read today's rows; with it they rebuild the mandates as they stood then from the history.
"""

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from ikz.clock import BERLIN, local_date
from ikz.errors import NotFound
from models import Body, CooperationField, Dependency, Mandate, MandateLead, Meeting, Participant, TransitionLog
from workflow import lifecycle, words
from workflow.codes import code_key
from workflow.dependencies import waiting_for
from workflow.duties import duty_views
from workflow.history import rebuild
from workflow.lookup import get_body, get_mandate
from workflow.people import lead_bodies
from workflow.text import format_date


def is_overdue(mandate: Mandate, today: date) -> bool:
    """True when an active mandate's stage deadline has passed (the submission deadline does not go overdue)."""
    return overdue_on(mandate.state, mandate.due_date, today)


def overdue_on(state: str, due: date | None, today: date) -> bool:
    """True when a mandate in `state` with deadline `due` is overdue on `today`."""
    return state in lifecycle.CHASED and due is not None and due < today


def deadline_missing(state: str, due: date | None) -> bool:
    """True when an active stage that is chased has no deadline: nobody would be reminded."""
    return state in lifecycle.CHASED and due is None


def end_of(day: date) -> datetime:
    """The last moment of a Berlin calendar day: a view 'as of 15.03.2011' includes all of that day."""
    return datetime.combine(day + timedelta(days=1), time(), BERLIN) - timedelta(microseconds=1)


def list_mandates(
    session: Session,
    *,
    today: date,
    state: str | None = None,
    lead: str | None = None,
    field: int | None = None,
    overdue: bool = False,
    as_of: datetime | None = None,
) -> list[dict]:
    """Return the mandates matching the filters, sorted by code, as plain dicts (as they stood at `as_of`)."""
    state = words.state(state) if state is not None else None
    body = get_body(session, lead) if lead is not None else None
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    if as_of is not None:
        return _list_as_of(session, fields, as_of, state=state, lead=body, field=field, overdue=overdue)
    filters = _filters(state, body, field, overdue, today)
    # Plain columns, not ORM objects: listing 100k mandates must not build 100k identities.
    mandates = session.exec(select(*COLUMNS).where(*filters)).all()
    leads = lead_bodies(session, select(Mandate.id).where(*filters))
    rows = [_summary(m, fields, [b.key for b in leads[m.id]], today) for m in mandates]
    rows.sort(key=lambda row: code_key(row["code"]))
    return rows


COLUMNS = (
    Mandate.id,
    Mandate.code,
    Mandate.field_number,
    Mandate.title,
    Mandate.state,
    Mandate.held_state,
    Mandate.due_date,
    Mandate.savings_target,
    Mandate.version,
)


def _filters(state: str | None, body, field: int | None, overdue: bool, today: date) -> list:
    filters = []
    if state is not None:
        filters.append(Mandate.state == state)
    if field is not None:
        filters.append(Mandate.field_number == field)
    if body is not None:
        filters.append(Mandate.id.in_(select(MandateLead.mandate_id).where(MandateLead.body_id == body.id)))
    if overdue:
        filters += [Mandate.state.in_(lifecycle.CHASED), Mandate.due_date < today]
    return filters


def board_page(
    session: Session,
    *,
    today: date,
    page: int,
    size: int,
    state: str | None = None,
    lead: str | None = None,
    field: int | None = None,
    overdue: bool = False,
) -> tuple[list[dict], int]:
    """One page of list_mandates' rows (same filters, same order), sorted and cut in the database; and the total."""
    state = words.state(state) if state is not None else None
    body = get_body(session, lead) if lead is not None else None
    filters = _filters(state, body, field, overdue, today)
    total = session.exec(select(func.count()).select_from(Mandate).where(*filters)).one()
    mandates = session.exec(
        select(*COLUMNS).where(*filters).order_by(Mandate.sort_key).offset((page - 1) * size).limit(size)
    ).all()
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    leads = lead_bodies(session, [m.id for m in mandates])
    return [_summary(m, fields, [b.key for b in leads[m.id]], today) for m in mandates], total


def _list_as_of(session: Session, fields: dict, as_of: datetime, *, state, lead, field, overdue) -> list[dict]:
    day = local_date(as_of)
    rows = []
    for view in rebuild(session, as_of).values():
        due = date.fromisoformat(view["due"]) if view["due"] else None
        if (
            (state is not None and view["state"] != state)
            or (field is not None and view["field"] != field)
            or (lead is not None and lead.key not in view["leads"])
            or (overdue and not overdue_on(view["state"], due, day))
        ):
            continue
        rows.append(_view_summary(view, fields, day))
    rows.sort(key=lambda row: code_key(row["code"]))
    return rows


def _summary(mandate: Mandate, fields: dict[int, str], leads: list[str], today: date) -> dict:
    return {
        "code": mandate.code,
        "field": mandate.field_number,
        "field_name": fields.get(mandate.field_number, ""),
        "title": mandate.title,
        "state": mandate.state,
        "state_label": lifecycle.STATES[mandate.state],
        "held_state": mandate.held_state,
        "leads": leads,
        "due_date": mandate.due_date.isoformat() if mandate.due_date else None,
        "overdue": is_overdue(mandate, today),
        "deadline_missing": deadline_missing(mandate.state, mandate.due_date),
        "savings_target": mandate.savings_target,
        "version": mandate.version,
    }


def _view_summary(view: dict, fields: dict[int, str], today: date) -> dict:
    """The list row of a mandate as an entry's snapshot shows it (no version: that counts today's row)."""
    due = date.fromisoformat(view["due"]) if view["due"] else None
    return {
        "code": view["code"],
        "field": view["field"],
        "field_name": fields.get(view["field"], ""),
        "title": view["title"],
        "state": view["state"],
        "state_label": lifecycle.STATES[view["state"]],
        "held_state": view["held_state"],
        "leads": view["leads"],
        "due_date": view["due"],
        "overdue": overdue_on(view["state"], due, today),
        "deadline_missing": deadline_missing(view["state"], due),
        "savings_target": view["target"],
        "version": None,
    }


def mandate_detail(session: Session, code: str, *, today: date, as_of: datetime | None = None) -> dict:
    """Return everything about one mandate: details, bodies, dependencies, history, next steps."""
    mandate = get_mandate(session, code)
    if as_of is not None:
        return _detail_as_of(session, mandate, as_of)
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    leads = [{"key": body.key, "name": body.name} for body in lead_bodies(session, [mandate.id])[mandate.id]]
    detail = _summary(mandate, fields, [b["key"] for b in leads], today)
    meeting = session.get(Meeting, mandate.meeting_id) if mandate.meeting_id else None
    blocking = session.exec(
        select(Mandate)
        .join(Dependency, Dependency.mandate_id == Mandate.id)
        .where(Dependency.depends_on_id == mandate.id)
        .order_by(Mandate.code)
    ).all()
    detail.update(
        description=mandate.description,
        lead_bodies=leads,
        participants=_participants(session, mandate.id),
        depends_on=[_reference(m.code, m.title, m.state) for m in waiting_for(session, mandate)],
        waited_for_by=[_reference(m.code, m.title, m.state) for m in blocking],
        meeting={"date": meeting.date.isoformat(), "title": meeting.title} if meeting else None,
        concept_ref=mandate.concept_ref,
        plan_ref=mandate.plan_ref,
        hold_reason=mandate.hold_reason,
        status_text=mandate.status_text,
        status_on=mandate.status_on.isoformat() if mandate.status_on else None,
        held_since=mandate.held_since.isoformat() if mandate.held_since else None,
        hold_until=mandate.hold_until.isoformat() if mandate.hold_until else None,
        duties=duty_views(session, mandate, today),
        created_at=mandate.created_at.isoformat(),
        updated_at=mandate.updated_at.isoformat(),
        history=_history(session, mandate.id),
        allowed=lifecycle.triggers_from(mandate.state),
        as_of=None,
    )
    return detail


def _detail_as_of(session: Session, mandate: Mandate, as_of: datetime) -> dict:
    everyone = rebuild(session, as_of)
    view = everyone.get(mandate.id)
    if view is None:
        raise NotFound(
            f"Mandat {mandate.code} gab es am {format_date(local_date(as_of))} noch nicht "
            f"(angelegt am {format_date(local_date(mandate.created_at))})."
        )
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    names = dict(session.exec(select(Body.key, Body.name)).all())
    by_code = {other["code"]: other for other in everyone.values()}
    detail = _view_summary(view, fields, local_date(as_of))
    meeting = session.get(Meeting, view["meeting"]["id"]) if view["meeting"] else None
    history = _history(session, mandate.id, as_of)
    detail.update(
        description=view["description"],
        lead_bodies=[{"key": key, "name": names.get(key, key)} for key in view["leads"]],
        participants=[{"key": key, "name": names.get(key, key)} for key in view["participants"]],
        depends_on=[
            _reference(c, by_code[c]["title"], by_code[c]["state"]) for c in view["depends_on"] if c in by_code
        ],
        waited_for_by=sorted(
            (
                _reference(other["code"], other["title"], other["state"])
                for other in everyone.values()
                if mandate.code in other["depends_on"]
            ),
            key=lambda ref: code_key(ref["code"]),
        ),
        meeting={"date": view["meeting"]["date"], "title": meeting.title} if meeting else None,
        concept_ref=view["concept"],
        plan_ref=view["plan"],
        hold_reason=view["hold_reason"],
        status_text=view["status"],
        status_on=view["status_on"],
        held_since=view["held_since"],
        hold_until=view["hold_until"],
        duties=duty_views(session, mandate, local_date(as_of)),
        created_at=mandate.created_at.isoformat(),
        updated_at=history[-1]["at"],
        history=history,
        allowed=lifecycle.triggers_from(view["state"]),
        as_of=as_of.isoformat(),
    )
    return detail


def _history(session: Session, mandate_id: int, as_of: datetime | None = None) -> list[dict]:
    query = select(TransitionLog).where(TransitionLog.mandate_id == mandate_id)
    if as_of is not None:
        query = query.where(TransitionLog.at <= as_of)
    entries = session.exec(query.order_by(TransitionLog.seq)).all()
    # A correction names the step it reverses; that step stays in the history, marked as undone.
    undone = {entry.corrects: entry.at for entry in entries if entry.corrects is not None}
    rows, due = [], None
    for entry in entries:
        # The deadline each entry left, from its snapshot: the history says when it moved.
        after = json.loads(entry.snapshot).get("due", due)
        rows.append(_entry(entry, after, changed=after != due, undone_at=undone.get(entry.seq)))
        due = after
    return rows


def _entry(entry: TransitionLog, due: str | None, *, changed: bool, undone_at: datetime | None) -> dict:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "trigger": entry.trigger,
        "from": entry.from_state,
        "to": entry.to_state,
        "note": entry.note,
        "channel": entry.channel,
        "recorded_at": entry.recorded_at.isoformat(),
        "account": entry.account,
        "backdated": is_backdated(entry),
        "due_date": due,
        "due_changed": changed,
        "corrects": entry.corrects,
        "undone_at": undone_at.isoformat() if undone_at else None,
    }


def is_backdated(entry: TransitionLog) -> bool:
    """True when an entry was recorded on a later (Berlin) day than it took effect: booked afterwards."""
    return local_date(entry.recorded_at) > local_date(entry.at)


def _participants(session: Session, mandate_id: int) -> list[dict]:
    rows = session.exec(
        select(Body)
        .join(Participant, Participant.body_id == Body.id)
        .where(Participant.mandate_id == mandate_id)
        .order_by(Body.key)
    ).all()
    return [{"key": body.key, "name": body.name} for body in rows]


def _reference(code: str, title: str, state: str) -> dict:
    return {"code": code, "title": title, "state": state, "state_label": lifecycle.STATES[state]}
