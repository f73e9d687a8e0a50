"""Read-side views of mandates for the CLI and JSON output (one shape, documented in docs/json.md)."""

from datetime import date

from sqlmodel import Session, select

from models import Body, CooperationField, Dependency, Mandate, MandateLead, Meeting, Participant, TransitionLog
from workflow import lifecycle
from workflow.codes import code_key
from workflow.dependencies import waiting_for
from workflow.lookup import get_body, get_mandate
from workflow.people import lead_bodies


def is_overdue(mandate: Mandate, today: date) -> bool:
    """True when an active mandate's stage deadline has passed (the submission deadline does not go overdue)."""
    return mandate.state in lifecycle.CHASED and mandate.due_date is not None and mandate.due_date < today


def list_mandates(
    session: Session,
    *,
    today: date,
    state: str | None = None,
    lead: str | None = None,
    field: int | None = None,
    overdue: bool = False,
) -> list[dict]:
    """Return the mandates matching the filters, sorted by code, as plain dicts."""
    # Plain columns, not ORM objects: listing 100k mandates must not build 100k identities.
    filters = []
    if state is not None:
        filters.append(Mandate.state == state)
    if field is not None:
        filters.append(Mandate.field_number == field)
    if lead is not None:
        body = get_body(session, lead)
        filters.append(Mandate.id.in_(select(MandateLead.mandate_id).where(MandateLead.body_id == body.id)))
    if overdue:
        filters += [Mandate.state.in_(lifecycle.CHASED), Mandate.due_date < today]
    columns = (
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
    mandates = session.exec(select(*columns).where(*filters)).all()
    fields = dict(session.exec(select(CooperationField.number, CooperationField.name)).all())
    leads = lead_bodies(session, select(Mandate.id).where(*filters))
    rows = [_summary(m, fields, [b.key for b in leads[m.id]], today) for m in mandates]
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
        "savings_target": mandate.savings_target,
        "version": mandate.version,
    }


def mandate_detail(session: Session, code: str, *, today: date) -> dict:
    """Return everything about one mandate: details, bodies, dependencies, history, next steps."""
    mandate = get_mandate(session, code)
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
    history = session.exec(
        select(TransitionLog).where(TransitionLog.mandate_id == mandate.id).order_by(TransitionLog.at, TransitionLog.id)
    ).all()
    detail.update(
        description=mandate.description,
        lead_bodies=leads,
        participants=_participants(session, mandate.id),
        depends_on=[_reference(m) for m in waiting_for(session, mandate)],
        waited_for_by=[_reference(m) for m in blocking],
        meeting={"date": meeting.date.isoformat(), "title": meeting.title} if meeting else None,
        concept_ref=mandate.concept_ref,
        plan_ref=mandate.plan_ref,
        hold_reason=mandate.hold_reason,
        status_text=mandate.status_text,
        status_on=mandate.status_on.isoformat() if mandate.status_on else None,
        held_since=mandate.held_since.isoformat() if mandate.held_since else None,
        created_at=mandate.created_at.isoformat(),
        updated_at=mandate.updated_at.isoformat(),
        history=[
            {
                "at": entry.at.isoformat(),
                "actor": entry.actor,
                "trigger": entry.trigger,
                "from": entry.from_state,
                "to": entry.to_state,
                "note": entry.note,
                "channel": entry.channel,
            }
            for entry in history
        ],
        allowed=lifecycle.triggers_from(mandate.state),
    )
    return detail


def _participants(session: Session, mandate_id: int) -> list[dict]:
    rows = session.exec(
        select(Body)
        .join(Participant, Participant.body_id == Body.id)
        .where(Participant.mandate_id == mandate_id)
        .order_by(Body.key)
    ).all()
    return [{"key": body.key, "name": body.name} for body in rows]


def _reference(mandate: Mandate) -> dict:
    return {
        "code": mandate.code,
        "title": mandate.title,
        "state": mandate.state,
        "state_label": lifecycle.STATES[mandate.state],
    }
