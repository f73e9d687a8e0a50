"""Proposals from leads (a new deadline, work done, a status report) and the coordinator's answer to each."""

from datetime import date, datetime

from sqlmodel import Session, select

from ikz.errors import InvalidInput, NotFound, TransitionRefused
from models import PROPOSAL_KINDS, PROPOSAL_STATES, Duty, Mandate, Proposal, TransitionLog
from workflow import lifecycle
from workflow.checks import check_text
from workflow.lookup import get_mandate
from workflow.notes import MAX_NOTE
from workflow.seam import record
from workflow.text import format_date

# A proposal is about work still to be done: nothing can be proposed for a mandate that has ended.
OPEN_STATES = (*lifecycle.ACTIVE, "on_hold")


def propose(
    session: Session,
    code: str,
    kind: str,
    *,
    text: str,
    actor: str,
    now: datetime,
    today: date,
    channel: str,
    due_date: date | None = None,
    contact_id: int | None = None,
    duty: Duty | None = None,
    occurrence: date | None = None,
    source: str | None = None,
) -> Proposal:
    """Record a lead's proposal and note it in the mandate's history; the coordinator decides it later."""
    mandate = get_mandate(session, code)
    if kind not in PROPOSAL_KINDS:
        raise InvalidInput(f"Unbekannte Art von Vorschlag {kind!r}; erlaubt: {', '.join(PROPOSAL_KINDS)}.")
    if mandate.state not in OPEN_STATES:
        raise TransitionRefused(
            f"Mandat {mandate.code} ist {lifecycle.STATES[mandate.state].lower()}; Vorschläge sind nicht mehr möglich."
        )
    text = check_text((text or "").strip(), "Der Text des Vorschlags", multiline=True)
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"Der Text des Vorschlags ist zu lang; erlaubt sind höchstens {MAX_NOTE} Zeichen.")
    if kind == "deadline":
        if due_date is None:
            raise InvalidInput("Ein Vorschlag für eine neue Frist braucht das Datum.")
        if due_date < today:
            raise InvalidInput(
                f"Die vorgeschlagene Frist {format_date(due_date)} liegt in der Vergangenheit; "
                f"erlaubt ist heute ({format_date(today)}) oder später."
            )
    elif due_date is not None:
        raise InvalidInput("Ein Datum gehört nur zu einem Vorschlag für eine neue Frist.")
    if kind == "status" and not text:
        raise InvalidInput("Ein Stand braucht Text.")
    proposal = Proposal(
        mandate_id=mandate.id,
        kind=kind,
        due_date=due_date,
        text=text,
        proposed_by=actor,
        contact_id=contact_id,
        channel=channel,
        duty_id=duty.id if duty else None,
        occurrence=occurrence,
        source=source,
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    record(session, mandate, "propose", actor=actor, now=now, note=describe(proposal, duty), channel=channel)
    return proposal


def describe(proposal: Proposal, duty: Duty | None = None) -> str:
    """Say in German what a proposal asks for, e.g. 'Vorschlag 3: neue Frist 15.05.2011 – Verhandlungen laufen'."""
    what = PROPOSAL_KINDS[proposal.kind]
    if proposal.kind == "deadline":
        what += f" {format_date(proposal.due_date)}"
    elif proposal.kind == "done" and duty is not None:
        what = f"{duty.title} am {format_date(proposal.occurrence)} erledigt"
    return f"Vorschlag {proposal.id}: {what}" + (f" – {proposal.text}" if proposal.text else "")


def get_proposal(session: Session, proposal_id: int) -> Proposal:
    """Return the proposal with this number or say which are open."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        open_ids = session.exec(select(Proposal.id).where(Proposal.status == "open").order_by(Proposal.id)).all()
        known = ", ".join(map(str, open_ids)) or "keine"
        raise NotFound(f"Einen Vorschlag {proposal_id} gibt es nicht. Offen: {known}.")
    return proposal


def _decidable(session: Session, proposal_id: int) -> tuple[Proposal, Mandate]:
    proposal = get_proposal(session, proposal_id)
    if proposal.status != "open":
        raise TransitionRefused(
            f"Vorschlag {proposal.id} ist bereits {PROPOSAL_STATES[proposal.status]} "
            f"({format_date(proposal.decided_at.date()) if proposal.decided_at else '–'}, {proposal.decided_by})."
        )
    return proposal, session.get(Mandate, proposal.mandate_id)


def accept(
    session: Session, proposal_id: int, *, actor: str, now: datetime, today: date, channel: str = "CLI"
) -> TransitionLog:
    """Accept a proposal: a deadline becomes the stage's deadline, a status the mandate's status; both are logged."""
    proposal, mandate = _decidable(session, proposal_id)
    if mandate.state not in OPEN_STATES:
        raise TransitionRefused(
            f"Mandat {mandate.code} ist inzwischen {lifecycle.STATES[mandate.state].lower()}; "
            f"Vorschlag {proposal.id} kann nur noch abgelehnt werden."
        )
    duty = session.get(Duty, proposal.duty_id) if proposal.duty_id else None
    change = ""
    if proposal.kind == "deadline":
        if proposal.due_date < today:
            raise TransitionRefused(
                f"Die vorgeschlagene Frist {format_date(proposal.due_date)} ist inzwischen verstrichen; "
                f"Vorschlag {proposal.id} kann nur noch abgelehnt werden."
            )
        before = format_date(mandate.due_date) or "–"
        mandate.due_date = proposal.due_date
        change = f"; Frist: {before} → {format_date(proposal.due_date)}"
    elif proposal.kind == "status":
        mandate.status_text, mandate.status_on = proposal.text, today
    proposal.status, proposal.decided_at, proposal.decided_by = "accepted", now, actor
    session.add(proposal)
    note = f"{describe(proposal, duty)} (von {proposal.proposed_by}) angenommen{change}"
    return record(session, mandate, "accept", actor=actor, now=now, note=note, channel=channel)


def decline(
    session: Session, proposal_id: int, *, reason: str, actor: str, now: datetime, channel: str = "CLI"
) -> TransitionLog:
    """Decline a proposal with a reason, which the history keeps."""
    proposal, mandate = _decidable(session, proposal_id)
    reason = check_text((reason or "").strip(), "Die Begründung", multiline=True)
    if not reason:
        raise InvalidInput("Eine Ablehnung braucht eine Begründung (--reason TEXT).")
    proposal.status, proposal.decided_at, proposal.decided_by = "declined", now, actor
    proposal.decision_note = reason
    session.add(proposal)
    duty = session.get(Duty, proposal.duty_id) if proposal.duty_id else None
    note = f"{describe(proposal, duty)} (von {proposal.proposed_by}) abgelehnt: {reason}"
    return record(session, mandate, "decline", actor=actor, now=now, note=note, channel=channel)


def open_proposals(
    session: Session, *, everything: bool = False, mandate_id: int | None = None
) -> list[tuple[Proposal, Mandate]]:
    """Open proposals (or all) with their mandates, oldest first; with `mandate_id` only that mandate's."""
    query = select(Proposal, Mandate).join(Mandate, Mandate.id == Proposal.mandate_id).order_by(Proposal.id)
    if not everything:
        query = query.where(Proposal.status == "open")
    if mandate_id is not None:
        query = query.where(Proposal.mandate_id == mandate_id)
    return list(session.exec(query).all())
