"""What a change causes beyond itself: composed by the caller, in the caller's transaction, in this one place."""

import json
from datetime import datetime

from sqlmodel import Session

from ikz.clock import local_date
from ikz.settings import Settings
from models import Mandate, TransitionLog
from notifications.notices import notify_leads, notify_proposer, notify_waiting, told_about
from workflow import lifecycle
from workflow.corrections import undone_step
from workflow.text import format_date


def follow_up(session: Session, settings: Settings, entry: TransitionLog, *, now: datetime) -> None:
    """Queue the notices that a logged change triggers (the caller commits them with the change)."""
    mandate = session.get(Mandate, entry.mandate_id)
    if entry.trigger in ("approve", "reject"):
        # Mandates waiting for this decision can move on (or must rethink): tell their leads.
        notify_waiting(session, settings, mandate, now=now)
    elif entry.trigger in ("accept", "decline"):
        # A lead who proposed by mail (or in the portal) hears what became of it, in the mandate's thread.
        notify_proposer(session, settings, entry, now=now)
    elif entry.trigger == "undo":
        _corrected(session, settings, mandate, entry, now=now)
    elif entry.trigger == "meeting" or (entry.trigger == "refer_back" and entry.from_state == "present"):
        # The meeting the mandate was submitted to moved or was cancelled, or the conference sent it back.
        notify_leads(
            session,
            settings,
            mandate,
            topic=f"change:{mandate.code}:{entry.seq}",
            headline=f"{mandate.code} {mandate.title}: {entry.note}",
            lines=[_standing(mandate)],
            now=now,
        )


def _corrected(session: Session, settings: Settings, mandate: Mandate, entry: TransitionLog, *, now: datetime) -> None:
    """Everyone whom the undone step caused mail hears that it was corrected (and the leads in any case)."""
    step = undone_step(session, entry)
    stage = json.loads(step.snapshot)["stage"]
    notify_leads(
        session,
        settings,
        mandate,
        topic=f"correction:{mandate.code}:{entry.seq}",
        headline=(
            f"Korrektur zu {mandate.code} {mandate.title}: der Schritt „{lifecycle.TRIGGERS[step.trigger]}“ vom "
            f"{format_date(local_date(step.at))} gilt nicht."
        ),
        lines=[entry.note, _standing(mandate)],
        now=now,
        also=told_about(session, mandate, stage),
    )


def _standing(mandate: Mandate) -> str:
    due = f", Frist {format_date(mandate.due_date)}" if mandate.due_date else ""
    return f"Stand jetzt: {lifecycle.STATES[mandate.state]}{due}."
