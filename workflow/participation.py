"""Who takes part in which mandate: the member bodies and the matrix of their standings."""

from sqlalchemy import func
from sqlmodel import Session, select

from models import Body, BodyDecision, Mandate, Participant, TransitionLog
from workflow.codes import code_key

# Only the county and its municipalities can join a cooperation (working groups cannot).
MEMBER_KINDS = ("county", "municipality")


def member_bodies(session: Session) -> list[Body]:
    """The eleven bodies that can join: the county first, then the municipalities by name."""
    bodies = session.exec(select(Body).where(Body.kind.in_(MEMBER_KINDS))).all()
    return sorted(bodies, key=lambda body: (body.kind != "county", body.name))


def participation(session: Session) -> tuple[list[Body], list[dict]]:
    """The matrix of mandates × member bodies: participant (at the approval, or joined later), a decision, or nothing.

    Each row also says, per participant who joined after the approval, when and by what reference.
    """
    bodies = member_bodies(session)
    mandates = sorted(session.exec(select(Mandate)).all(), key=lambda m: code_key(m.code))
    approved = dict(
        session.exec(
            select(TransitionLog.mandate_id, func.max(TransitionLog.at))
            .where(TransitionLog.trigger == "approve")
            .group_by(TransitionLog.mandate_id)
        ).all()
    )
    cells: dict[tuple[int, int], str] = {}
    decided: dict[tuple[int, int], BodyDecision] = {}
    for row in session.exec(select(BodyDecision)).all():
        cells[(row.mandate_id, row.body_id)] = row.decision
        decided[(row.mandate_id, row.body_id)] = row
    later: dict[tuple[int, int], dict] = {}
    for mandate_id, body_id in session.exec(select(Participant.mandate_id, Participant.body_id)).all():
        cells[(mandate_id, body_id)] = "participant"
        row, approval = decided.get((mandate_id, body_id)), approved.get(mandate_id)
        # Joined after the conference approved it: recorded while implemented or controlled.
        if row is not None and approval is not None and row.recorded_at > approval:
            cells[(mandate_id, body_id)] = "joined_later"
            later[(mandate_id, body_id)] = {"date": row.decided_on.isoformat(), "reference": row.reference}
    rows = [
        {
            "code": m.code,
            "title": m.title,
            "state": m.state,
            "bodies": {b.key: cells.get((m.id, b.id)) for b in bodies},
            "joined_later": {b.key: later[(m.id, b.id)] for b in bodies if (m.id, b.id) in later},
        }
        for m in mandates
    ]
    return bodies, rows
