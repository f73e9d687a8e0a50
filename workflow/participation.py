"""Who takes part in which mandate: the member bodies and the matrix of their standings."""

from collections import defaultdict

from sqlalchemy import and_, func
from sqlmodel import Session, select

from models import Body, BodyDecision, Mandate, Participant, TransitionLog
from workflow.codes import code_order

# Only the county and its municipalities can join a cooperation (working groups cannot).
MEMBER_KINDS = ("county", "municipality")


def member_bodies(session: Session) -> list[Body]:
    """The eleven bodies that can join: the county first, then the municipalities by name."""
    bodies = session.exec(select(Body).where(Body.kind.in_(MEMBER_KINDS))).all()
    return sorted(bodies, key=lambda body: (body.kind != "county", body.name))


def participation(session: Session) -> tuple[list[Body], list[dict]]:
    """The matrix of mandates × member bodies: participant (at the approval, or joined later), a decision, or nothing.

    Each row also says, per participant who joined after the approval, when and by what reference.
    The database joins, judges and sorts; here only the rows are laid out (100k mandates, a million cells).
    """
    bodies = member_bodies(session)
    keys = {body.id: body.key for body in bodies}
    approved = (
        select(TransitionLog.mandate_id, func.max(TransitionLog.at).label("at"))
        .where(TransitionLog.trigger == "approve")
        .group_by(TransitionLog.mandate_id)
        .subquery()
    )
    cells: dict[int, dict] = defaultdict(dict)
    later: dict[int, dict] = defaultdict(dict)
    for mandate_id, body_id, decision in session.exec(
        select(BodyDecision.mandate_id, BodyDecision.body_id, BodyDecision.decision).where(
            BodyDecision.body_id.in_(keys)
        )
    ).all():
        cells[mandate_id][keys[body_id]] = decision
    # A participant whose decision was recorded after the conference approved the mandate joined later.
    joined_later = and_(BodyDecision.recorded_at.is_not(None), BodyDecision.recorded_at > approved.c.at)
    for mandate_id, body_id, is_later, decided_on, reference in session.exec(
        select(
            Participant.mandate_id,
            Participant.body_id,
            joined_later,
            BodyDecision.decided_on,
            BodyDecision.reference,
        )
        .outerjoin(
            BodyDecision,
            and_(BodyDecision.mandate_id == Participant.mandate_id, BodyDecision.body_id == Participant.body_id),
        )
        .outerjoin(approved, approved.c.mandate_id == Participant.mandate_id)
        .where(Participant.body_id.in_(keys))
    ).all():
        key = keys[body_id]
        if is_later:
            cells[mandate_id][key] = "joined_later"
            later[mandate_id][key] = {"date": decided_on.isoformat(), "reference": reference}
        else:
            cells[mandate_id][key] = "participant"
    order = code_order(Mandate.code, session.get_bind().dialect.name)
    empty = dict.fromkeys(keys.values())
    rows = []
    for mandate_id, code, title, state in session.exec(
        select(Mandate.id, Mandate.code, Mandate.title, Mandate.state).order_by(*order)
    ).all():
        found, joined = cells.get(mandate_id), later.get(mandate_id)
        rows.append(
            {
                "code": code,
                "title": title,
                "state": state,
                "bodies": {**empty, **found} if found else dict(empty),
                # In the order of the bodies, as the columns are.
                "joined_later": {key: joined[key] for key in keys.values() if key in joined} if joined else {},
            }
        )
    return bodies, rows
