"""What a change causes beyond itself: composed by the caller, in the caller's transaction, in this one place."""

from datetime import datetime

from sqlmodel import Session

from ikz.settings import Settings
from models import Mandate, TransitionLog
from notifications.notices import notify_proposer, notify_waiting


def follow_up(session: Session, settings: Settings, entry: TransitionLog, *, now: datetime) -> None:
    """Queue the notices that a logged change triggers (the caller commits them with the change)."""
    if entry.trigger in ("approve", "reject"):
        # Mandates waiting for this decision can move on (or must rethink): tell their leads.
        notify_waiting(session, settings, session.get(Mandate, entry.mandate_id), now=now)
    elif entry.trigger in ("accept", "decline"):
        # A lead who proposed by mail (or in the portal) hears what became of it, in the mandate's thread.
        notify_proposer(session, settings, entry, now=now)
