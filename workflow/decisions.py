"""Each body's decision on joining a mandate, recorded while the conference decides."""

from datetime import date, datetime

from sqlmodel import Session, delete, select

from ikz.clock import local_date
from ikz.errors import InvalidInput, TransitionRefused
from models import BODY_DECISIONS, BodyDecision, Mandate, Participant
from workflow import lifecycle, words
from workflow.checks import check_text
from workflow.lookup import get_body, get_mandate
from workflow.participation import MEMBER_KINDS, member_bodies
from workflow.seam import record, started
from workflow.text import format_date

# The conference decides in "decide"; bodies may join (or leave) later, while it is implemented and controlled.
DECISION_STATES = ("decide", "implement", "control")


def record_decision(
    session: Session,
    code: str,
    body_name: str,
    decision: str,
    *,
    decided_on: date,
    reference: str | None,
    actor: str,
    now: datetime,
    channel: str = "CLI",
) -> BodyDecision:
    """Record (or change) one body's decision on joining a mandate: while the conference decides, or later.

    After the approval a body may still join (it becomes a participant at once) or leave (it stops being one):
    Teillösungen are expected, and the papers say "weitere Stellen können sich anschließen".
    """
    mandate = get_mandate(session, code)
    if mandate.state not in DECISION_STATES:
        allowed = ", ".join(lifecycle.STATES[state] for state in DECISION_STATES)
        raise TransitionRefused(
            f"Entscheidungen der Stellen werden in diesen Zuständen erfasst: {allowed}; "
            f"{mandate.code} ist im Zustand {lifecycle.STATES[mandate.state]}."
        )
    decision = words.decision(decision)
    body = get_body(session, body_name)
    if body.kind not in MEMBER_KINDS:
        members = ", ".join(b.key for b in member_bodies(session))
        raise InvalidInput(f"{body.name} kann keinem Mandat beitreten; möglich sind: {members}.")
    if not started(mandate) <= decided_on <= local_date(now):
        raise InvalidInput(
            f"Das Datum der Entscheidung {format_date(decided_on)} liegt außerhalb der Laufzeit von {mandate.code}; "
            f"erlaubt: {format_date(started(mandate))} bis {format_date(local_date(now))}."
        )
    reference = check_text(reference.strip(), "Die Fundstelle")[:200] if reference and reference.strip() else None
    row = session.exec(
        select(BodyDecision).where(BodyDecision.mandate_id == mandate.id, BodyDecision.body_id == body.id)
    ).first()
    if row is None:
        row = BodyDecision(mandate_id=mandate.id, body_id=body.id, decision=decision, decided_on=decided_on)
    row.decision, row.decided_on, row.reference, row.recorded_at, row.actor = (
        decision,
        decided_on,
        reference,
        now,
        actor,
    )
    session.add(row)
    note = f"{body.name}: {BODY_DECISIONS[decision]} am {format_date(decided_on)}"
    if reference:
        note += f" ({reference})"
    if mandate.state != "decide":
        note += " – nach der Entscheidung der Bürgermeisterkonferenz"
        _follow_participation(session, mandate, body.id, joined=decision == "joined")
    record(session, mandate, "decision", actor=actor, now=now, note=note, channel=channel)
    return row


def _follow_participation(session: Session, mandate: Mandate, body_id: int, *, joined: bool) -> None:
    """After the approval the participants follow each decision: a body joins or leaves at once."""
    present = session.get(Participant, (mandate.id, body_id))
    if joined and present is None:
        session.add(Participant(mandate_id=mandate.id, body_id=body_id))
    elif not joined and present is not None:
        session.delete(present)
    session.flush()


def joined_bodies(session: Session, mandate: Mandate) -> list[int]:
    """Ids of the bodies that joined the mandate."""
    return list(
        session.exec(
            select(BodyDecision.body_id).where(BodyDecision.mandate_id == mandate.id, BodyDecision.decision == "joined")
        ).all()
    )


def adopt_participants(session: Session, mandate: Mandate) -> None:
    """On approval the participants become exactly the bodies that joined."""
    session.exec(delete(Participant).where(Participant.mandate_id == mandate.id))
    for body_id in joined_bodies(session, mandate):
        session.add(Participant(mandate_id=mandate.id, body_id=body_id))
    session.flush()
