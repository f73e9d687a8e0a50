"""The one write seam: every change to a mandate appends its audit entry, bumps the row and flushes."""

from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ikz.errors import ConcurrentChange
from models import Mandate, TransitionLog
from models.db import is_lock_conflict

# from_state for a change that does not move the mandate (edit, decision, saving, dependency, note).
UNCHANGED = object()


def record(
    session: Session,
    mandate: Mandate,
    trigger: str,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    from_state: object = UNCHANGED,
    channel: str = "CLI",
) -> TransitionLog:
    """Log a change already applied to `mandate` and write both; a lost race becomes ConcurrentChange.

    `from_state` is the state before a step (None when the mandate was just created).
    """
    mandate.updated_at = now
    if mandate.id is None:
        # A new mandate: its first entry is its creation, and the entry needs its id.
        mandate.created_at = now
        session.add(mandate)
        flush_or_conflict(session, mandate)
    entry = TransitionLog(
        mandate_id=mandate.id,
        from_state=mandate.state if from_state is UNCHANGED else from_state,
        to_state=mandate.state,
        trigger=trigger,
        actor=actor,
        channel=channel,
        at=now,
        note=note,
    )
    # Bumping the row also bumps its version: two writers of the same mandate cannot both win,
    # even when the change itself lives in another table (decisions, savings, dependencies).
    session.add(mandate)
    session.add(entry)
    flush_or_conflict(session, mandate)
    return entry


def flush_or_conflict(session: Session, mandate: Mandate) -> None:
    """Flush pending changes, turning a lost optimistic-lock race into a German refusal."""
    try:
        session.flush()
    except (StaleDataError, OperationalError) as exc:
        # On SQLite a write after someone else's commit fails as a busy snapshot instead of a stale row.
        if isinstance(exc, OperationalError) and not is_lock_conflict(exc):
            raise
        session.rollback()
        raise ConcurrentChange(
            f"Mandat {mandate.code} wurde inzwischen von jemand anderem geändert; "
            "nichts wurde gespeichert. Bitte mit 'ikz show' neu ansehen und erneut versuchen."
        ) from None
