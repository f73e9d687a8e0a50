"""Who takes part in which mandate: the member bodies and the matrix of their standings."""

from sqlmodel import Session, select

from models import Body, BodyDecision, Mandate, Participant
from workflow.codes import code_key

# Only the county and its municipalities can join a cooperation (working groups cannot).
MEMBER_KINDS = ("county", "municipality")


def member_bodies(session: Session) -> list[Body]:
    """The eleven bodies that can join: the county first, then the municipalities by name."""
    bodies = session.exec(select(Body).where(Body.kind.in_(MEMBER_KINDS))).all()
    return sorted(bodies, key=lambda body: (body.kind != "county", body.name))


def participation(session: Session) -> tuple[list[Body], list[dict]]:
    """The matrix of mandates × member bodies: participant, joined, declined, pending or nothing."""
    bodies = member_bodies(session)
    mandates = sorted(session.exec(select(Mandate)).all(), key=lambda m: code_key(m.code))
    cells: dict[tuple[int, int], str] = {}
    decisions = session.exec(select(BodyDecision.mandate_id, BodyDecision.body_id, BodyDecision.decision)).all()
    for mandate_id, body_id, decision in decisions:
        cells[(mandate_id, body_id)] = decision
    for mandate_id, body_id in session.exec(select(Participant.mandate_id, Participant.body_id)).all():
        cells[(mandate_id, body_id)] = "participant"
    rows = [
        {
            "code": m.code,
            "title": m.title,
            "state": m.state,
            "bodies": {b.key: cells.get((m.id, b.id)) for b in bodies},
        }
        for m in mandates
    ]
    return bodies, rows
