"""Read-side views of mandates for the CLI, the portal and JSON output (one shape, documented in docs/json.md).

Without `as_of` they read today's rows; with it they rebuild the mandates as they stood then from the history.
"""

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, select

from ikz.clock import BERLIN, local_date
from ikz.errors import NotFound
from models import Body, CooperationField, Mandate, MandateLead, Meeting, Participant, TransitionLog
from workflow import lifecycle, words
from workflow.codes import code_key, code_order
from workflow.dependencies import neighbours
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
    limit: int | None = None,
) -> list[dict]:
    """Return the mandates matching the filters, sorted by code, as plain dicts (as they stood at `as_of`).

    With `limit`, only the first that many (count_mandates says how many match in all).
    """
    return _listing(session, today, state, lead, field, overdue, as_of, limit=limit)


def count_mandates(
    session: Session,
    *,
    today: date,
    state: str | None = None,
    lead: str | None = None,
    field: int | None = None,
    overdue: bool = False,
    as_of: datetime | None = None,
) -> int:
    """How many mandates list_mandates would return without a limit."""
    return _listing(session, today, state, lead, field, overdue, as_of, count=True)


def _listing(session, today, state, lead, field, overdue, as_of, *, limit=None, count=False, offset=0, indexed=False):
    state = words.state(state) if state is not None else None
    body = get_body(session, lead) if lead is not None else None
    if as_of is not None:
        fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
        rows = _list_as_of(session, fields, as_of, state=state, lead=body, field=field, overdue=overdue)
        return len(rows) if count else rows[:limit]
    filters = []
    if state is not None:
        filters.append(Mandate.state == state)
    if field is not None:
        filters.append(Mandate.field_number == field)
    if body is not None:
        filters.append(Mandate.id.in_(select(MandateLead.mandate_id).where(MandateLead.body_id == body.id)))
    if overdue:
        filters += [Mandate.state.in_(lifecycle.CHASED), Mandate.due_date < today]
    if count:
        return session.exec(select(func.count()).select_from(Mandate).where(*filters)).one()
    # Plain columns, sorted and judged in the database: listing 100k mandates builds no objects and sorts nothing here.
    chased = Mandate.state.in_(lifecycle.CHASED)
    query = (
        select(
            Mandate.id,
            Mandate.code,
            Mandate.field_number,
            CooperationField.name,
            Mandate.title,
            Mandate.state,
            Mandate.held_state,
            Mandate.due_date,
            and_(chased, Mandate.due_date < today),
            and_(chased, Mandate.due_date.is_(None)),
            Mandate.savings_target,
            Mandate.version,
            _LEAD_KEYS,
        )
        .outerjoin(CooperationField, CooperationField.number == Mandate.field_number)
        .where(*filters)
        # The indexed sort key pages the portal's board without sorting the whole programme; same order as code_order.
        .order_by(*([Mandate.sort_key] if indexed else code_order(Mandate.code, session.get_bind().dialect.name)))
        .offset(offset or None)
        .limit(limit)
    )
    mandates = session.exec(query).all()
    states = lifecycle.STATES
    return [
        {
            "code": code,
            "field": number,
            "field_name": name or "",
            "title": title,
            "state": state,
            "state_label": states[state],
            "held_state": held,
            "leads": (sorted(keys.split(_SEPARATOR)) if _SEPARATOR in keys else [keys]) if keys else [],
            "due_date": due.isoformat() if due else None,
            "overdue": bool(late),
            "deadline_missing": bool(missing),
            "savings_target": target,
            "version": version,
        }
        for _id, code, number, name, title, state, held, due, late, missing, target, version, keys in mandates
    ]


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
    total = count_mandates(session, today=today, state=state, lead=lead, field=field, overdue=overdue)
    rows = _listing(
        session, today, state, lead, field, overdue, None, limit=size, offset=(page - 1) * size, indexed=True
    )
    return rows, total


# The lead bodies' keys of each listed mandate, joined in the database (one row a mandate, no second query).
_SEPARATOR = "\x1f"
_LEAD_KEYS = (
    select(func.aggregate_strings(Body.key, _SEPARATOR))
    .join(MandateLead, MandateLead.body_id == Body.id)
    .where(MandateLead.mandate_id == Mandate.id)
    .correlate(Mandate)
    .scalar_subquery()
)


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


def mandate_detail(
    session: Session, code: str, *, today: date, as_of: datetime | None = None, history_limit: int | None = None
) -> dict:
    """Return everything about one mandate: details, bodies, dependencies, history (the last `history_limit`), steps."""
    return detail_of(session, get_mandate(session, code), today=today, as_of=as_of, history_limit=history_limit)


def detail_of(
    session: Session,
    mandate: Mandate,
    *,
    today: date,
    as_of: datetime | None = None,
    history_limit: int | None = None,
) -> dict:
    """mandate_detail for a mandate already read (the portal reads it once for its own queries too)."""
    if as_of is not None:
        return _detail_as_of(session, mandate, as_of, history_limit)
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    leads = [{"key": body.key, "name": body.name} for body in lead_bodies(session, [mandate.id])[mandate.id]]
    detail = _summary(mandate, fields, [b["key"] for b in leads], today)
    meeting = session.get(Meeting, mandate.meeting_id) if mandate.meeting_id else None
    waits_for, blocking = neighbours(session, mandate.id)
    detail.update(
        description=mandate.description,
        lead_bodies=leads,
        participants=_participants(session, mandate.id),
        depends_on=[_reference(m.code, m.title, m.state) for m in waits_for],
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
        history=_history(session, mandate.id, limit=history_limit),
        allowed=lifecycle.triggers_from(mandate.state),
        as_of=None,
    )
    return detail


def _detail_as_of(session: Session, mandate: Mandate, as_of: datetime, history_limit: int | None) -> dict:
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
    history = _history(session, mandate.id, as_of, limit=history_limit)
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


def history_length(session: Session, code: str, as_of: datetime | None = None) -> int:
    """How many entries a mandate's history has (effective by `as_of`)."""
    query = select(func.count()).select_from(TransitionLog).join(Mandate, Mandate.id == TransitionLog.mandate_id)
    query = query.where(Mandate.code == code)
    if as_of is not None:
        query = query.where(TransitionLog.at <= as_of)
    return session.exec(query).one()


def _history(session: Session, mandate_id: int, as_of: datetime | None = None, limit: int | None = None) -> list[dict]:
    """The entries oldest first; with `limit` only the last that many (and one more, read for its deadline)."""
    query = select(*_ENTRY_COLUMNS).where(TransitionLog.mandate_id == mandate_id)
    if as_of is not None:
        query = query.where(TransitionLog.at <= as_of)
    query = query.order_by(TransitionLog.seq.desc())
    if limit is not None:
        query = query.limit(limit + 1)
    entries = session.exec(query).all()[::-1]
    first = 1 if limit is not None and len(entries) > limit else 0
    # A correction names the step it reverses; that step stays in the history, marked as undone.
    undone = {entry.corrects: entry.at for entry in entries if entry.corrects is not None}
    due = json.loads(entries[0].snapshot).get("due") if first else None
    rows = []
    for entry in entries[first:]:
        # The deadline each entry left, from its snapshot: the history says when it moved.
        after = json.loads(entry.snapshot).get("due", due)
        rows.append(_entry(entry, after, changed=after != due, undone_at=undone.get(entry.seq)))
        due = after
    return rows


# Columns, not table objects: a history of 10k entries reads fast.
_ENTRY_COLUMNS = (
    TransitionLog.seq,
    TransitionLog.at,
    TransitionLog.actor,
    TransitionLog.trigger,
    TransitionLog.from_state,
    TransitionLog.to_state,
    TransitionLog.note,
    TransitionLog.channel,
    TransitionLog.recorded_at,
    TransitionLog.account,
    TransitionLog.snapshot,
    TransitionLog.corrects,
)


def _entry(entry, due: str | None, *, changed: bool, undone_at: datetime | None) -> dict:
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


def is_backdated(entry) -> bool:
    """True when an entry was recorded on a later (Berlin) day than it took effect: booked afterwards."""
    return local_date(entry.recorded_at) > local_date(entry.at)


def _participants(session: Session, mandate_id: int) -> list[dict]:
    rows = session.exec(
        select(Body.key, Body.name)
        .join(Participant, Participant.body_id == Body.id)
        .where(Participant.mandate_id == mandate_id)
        .order_by(Body.key)
    ).all()
    return [{"key": key, "name": name} for key, name in rows]


def _reference(code: str, title: str, state: str) -> dict:
    return {"code": code, "title": title, "state": state, "state_label": lifecycle.STATES[state]}
